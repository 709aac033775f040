#pragma once

// The prompt-injection / jailbreak detector: phrase-level signals matched by the same pattern
// database as the PII and secret triggers (one pass), plus a few byte-level features computed
// on the side (invisible Unicode tag characters, gibberish suffixes), combined into one score.

#include <gatehouse/guardrails/types.h>

#include "guardrails/pattern_db.h"

#include <array>
#include <bitset>
#include <cstdint>
#include <string_view>
#include <vector>

namespace gatehouse::guardrails::detail {

inline constexpr std::size_t kMaxInjectionSignals = 256;
using SignalSet = std::bitset<kMaxInjectionSignals>;

/// Per-scan state of the injection detector.
struct InjectionScanState {
  SignalSet fired;
  std::array<std::uint8_t, kMaxInjectionSignals> attempts{};  // RE2 confirmations tried
};

/// The signal patterns, with ids made by makePatternId(TriggerKind::kInjection, index). Most are
/// matched as they are; a few are cheap anchors whose full phrase onInjectionMatch confirms.
std::vector<PatternSpec> injectionPatterns();

/// Records a match of signal `index` ending at `end` (confirming anchored signals).
void onInjectionMatch(std::string_view text, unsigned index, std::size_t end,
                      InjectionScanState& state);

/// Compiles the RE2 confirmation programs now (otherwise on first use).
void warmInjectionConfirmers();

/// The pattern and weight of signal `index` (for tuning tools and tests).
std::string_view injectionSignalPattern(std::size_t index);
double injectionSignalWeight(std::size_t index);

/// Combines the signals that fired on `text` into a verdict.
InjectionVerdict scoreInjection(std::string_view text, const SignalSet& fired, double threshold);

}  // namespace gatehouse::guardrails::detail
