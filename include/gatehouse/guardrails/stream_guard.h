#pragma once

#include <gatehouse/guardrails/engine.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::guardrails {

class Pseudonymizer;

/// What the stream guard lets through after one chunk.
struct StreamStep {
  std::string text;  ///< Send this to the caller now (may be empty).
  /// A block rule fired: end the stream with an error naming `blocked_by` (never the text).
  bool blocked = false;
  std::string blocked_by;
};

/// Output guardrails for a streamed answer, chunk by chunk, without buffering the whole answer.
///
/// The guard holds back at most `window_bytes` of the most recent output (the look-behind
/// window) and rescans it with every chunk, together with up to `window_bytes` of already-sent
/// text for context (a `password=` key sent earlier still qualifies the value arriving now).
/// Any entity no longer than the window is therefore seen whole before its first byte is sent,
/// however the provider splits it. A finding longer than the window (rare: a JWT with a huge
/// payload) is masked from the point it was first seen. A PEM private key is handled as a
/// state: from its BEGIN line, output is suppressed until its END line, so no key body leaks
/// however long it is. That is deliberately conservative: a block whose body turns out to be a
/// placeholder ("MIIE...") is masked too, where the non-streaming guard would let it through.
///
/// With pseudonymisation, restore placeholders first (Restorer) and guard the restored text:
/// the output policy then sees what the caller would see.
///
/// Findings follow the engine's policy for Direction::kOutput: redact and pseudonymize become
/// placeholders (not restorable: the caller is the one reading them), flag is counted, block
/// ends the stream. Not thread-safe: one per stream.
class OutputStreamGuard {
 public:
  /// `engine` and `pseudonymizer` must outlive the guard. `window_bytes` >= 64.
  OutputStreamGuard(const Engine& engine, Pseudonymizer& pseudonymizer, std::size_t window_bytes);

  StreamStep feed(std::string_view chunk);
  /// End of stream: flushes what is held back.
  StreamStep finish();

  /// Per-detector counts so far, for the usage record (never matched text).
  const std::vector<Outcome>& outcomes() const { return outcomes_; }
  /// Bytes held back right now (always <= the window).
  std::size_t heldBytes() const { return held_.size(); }

 private:
  StreamStep process(bool final);
  void emitScanned(std::string& out, std::size_t cut, bool final);
  void count(std::string_view detector, Action action);
  bool enterPrivateKey(std::string& out, bool final);
  bool skipPrivateKey();

  const Engine& engine_;
  Pseudonymizer& pseudonymizer_;
  std::size_t window_;
  std::string held_;     // received, not yet sent
  std::string context_;  // the last sent bytes (raw), for left context
  bool in_private_key_ = false;
  std::string end_marker_;  // "-----END <label>-----" while in_private_key_
  bool blocked_ = false;
  std::string blocked_by_;
  std::vector<Outcome> outcomes_;
};

}  // namespace gatehouse::guardrails
