#pragma once

// The built-in detectors. Each one starts from a trigger that the pattern database reported
// (a literal prefix, an '@', a digit...) and confirms or extends it with bounded local scanning
// and validation, appending Candidates. Overlaps between detectors are resolved by the engine.

#include <gatehouse/guardrails/types.h>

#include "guardrails/pattern_db.h"

#include <cstdint>
#include <string_view>
#include <vector>

namespace gatehouse::guardrails::detail {

/// Lower wins when two candidates overlap: specific secrets beat checksummed PII, which beats
/// format-only PII, which beats context-only guesses.
enum class Priority : std::uint8_t {
  kSpecificSecret = 0,
  kChecksummed = 1,
  kStructured = 2,
  kContextual = 3,
  kCustom = 4,
};

struct Candidate {
  EntityType type;
  std::uint32_t start;
  std::uint32_t end;
  std::string_view rule;
  Priority priority;
  Severity severity;
  std::int32_t custom_index = -1;  ///< For custom rules: index into the policy's rules.
  /// Not a finding: a look-alike that failed validation (an IBAN with a bad checksum) and
  /// keeps weaker detectors (phones) from reading its digits as something else.
  bool suppressor = false;
};

/// Pattern-id layout: the trigger kind in the high 16 bits, an index in the low 16.
enum class TriggerKind : unsigned {
  kEmailAt = 1,
  kSecretPrefix,
  kAzureSecret,
  kPemBegin,
  kJwt,
  kUrlCredentials,
  kAssignment,
  kInjection,
  kCustomKeyword,
};

inline constexpr unsigned makePatternId(TriggerKind kind, unsigned index) {
  return (static_cast<unsigned>(kind) << 16) | (index & 0xFFFF);
}
inline constexpr TriggerKind patternKind(unsigned id) {
  return static_cast<TriggerKind>(id >> 16);
}
inline constexpr unsigned patternIndex(unsigned id) {
  return id & 0xFFFF;
}

struct Trigger {
  TriggerKind kind;
  unsigned index;
  std::uint32_t end;  ///< End offset of the trigger match.
};

/// A maximal run of digit groups ("+1 (713) 555-0145", "4111 1111 1111 1111", "10.0.0.1"),
/// found while the pattern database scans.
struct NumberRun {
  std::uint32_t start;
  std::uint32_t end;
};

/// Patterns for every built-in detector trigger with a literal anchor (no injection signals, no
/// custom keywords).
std::vector<PatternSpec> builtinTriggerPatterns();

/// The triggers without a literal anchor, found by one table-driven pass over the bytes: digit
/// runs (phones, cards, SSNs, IPv4), IBAN starts (two capitals and two digits at a word start)
/// and IPv6 colons. Appends number runs and IBAN / IPv6 candidates.
void findStructuralTriggers(std::string_view text, std::vector<NumberRun>& runs,
                            std::vector<Candidate>& out);

/// The number run that starts at or before the digit at `digit` (a '+' or '(' just before it
/// belongs to the run). Returns false when `digit` is not a digit.
bool extendNumberRun(std::string_view text, std::size_t digit, NumberRun& run);

/// Detector entry points; each appends zero or more candidates.
void detectEmail(std::string_view text, std::size_t at, std::vector<Candidate>& out);
void detectIpv6(std::string_view text, std::size_t hint, std::size_t& covered,
                std::vector<Candidate>& out);
void detectIban(std::string_view text, std::size_t start, std::vector<Candidate>& out);
void detectNumbers(std::string_view text, const NumberRun& run, std::vector<Candidate>& out);
void detectSecretPrefix(std::string_view text, unsigned rule, std::size_t end,
                        std::vector<Candidate>& out);
void detectAzureSecret(std::string_view text, std::size_t end, std::vector<Candidate>& out);
void detectPem(std::string_view text, std::size_t end, std::vector<Candidate>& out);
void detectJwt(std::string_view text, std::size_t end, std::vector<Candidate>& out);
void detectUrlCredentials(std::string_view text, std::size_t end, std::vector<Candidate>& out);
void detectAssignment(std::string_view text, std::size_t end, std::vector<Candidate>& out);

}  // namespace gatehouse::guardrails::detail
