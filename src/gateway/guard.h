#pragma once

// Guardrails in the request path: every text of a request before the provider sees it, and
// every text of the answer (whole, or streamed delta by delta) before the caller sees it.

#include <gatehouse/guardrails/engine.h>
#include <gatehouse/guardrails/pseudonymizer.h>
#include <gatehouse/guardrails/stream_guard.h>
#include <gatehouse/providers/dialect.h>
#include <gatehouse/providers/sse.h>

#include <boost/json/object.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gatehouse::gateway {

/// Per-detector counts over one request, for its usage record. Never holds matched text.
class GuardOutcomes {
 public:
  void add(const std::vector<guardrails::Outcome>& outcomes);
  /// "EMAIL:redact:2,INJECTION:flag:1" (empty when nothing fired).
  std::string summary() const;

 private:
  std::vector<guardrails::Outcome> outcomes_;
};

/// Why a guarded text was refused; `message` names the rule, never the text.
struct GuardBlock {
  std::string detector;
  std::string message;
};

/// Runs the input policy over every text in a request body of the caller's dialect: system
/// prompts, message text (strings and text parts), and tool results. Rewrites the body in place
/// (placeholders for redacted and pseudonymised values). Returns the block, if a rule blocked.
std::optional<GuardBlock> guardRequest(boost::json::object& body, providers::Dialect caller,
                                       const guardrails::Engine& engine,
                                       guardrails::Pseudonymizer& pseudonymizer,
                                       GuardOutcomes& outcomes);

/// The input policy over an embeddings request's `input` (a string or strings), in place.
std::optional<GuardBlock> guardEmbeddingsInput(boost::json::object& body,
                                               const guardrails::Engine& engine,
                                               guardrails::Pseudonymizer& pseudonymizer,
                                               GuardOutcomes& outcomes);

/// Restores pseudonyms in a whole answer of the caller's dialect, then runs the output policy
/// over its text, in place.
std::optional<GuardBlock> guardResponse(boost::json::object& body, providers::Dialect caller,
                                        const guardrails::Engine& engine,
                                        guardrails::Pseudonymizer& pseudonymizer,
                                        GuardOutcomes& outcomes);

/// The same for a streamed answer: takes the caller-dialect SSE bytes the stream translator
/// produced and rewrites their text deltas. Per choice (OpenAI) or content block (Anthropic) a
/// Restorer puts pseudonymised values back and an OutputStreamGuard holds back a bounded window
/// so an entity split across chunks is still caught; what is held is flushed before the
/// choice's finish chunk or the block's stop event.
class StreamGuard {
 public:
  StreamGuard(providers::Dialect caller, const guardrails::Engine& engine,
              guardrails::Pseudonymizer& pseudonymizer, std::size_t window_bytes);

  /// Appends the guarded form of `sse` to `out`. Returns the block when a rule ended the
  /// stream; the caller-dialect error event is already appended then.
  std::optional<GuardBlock> process(std::string_view sse, std::string& out);

  /// What the output guards counted, for the usage record.
  void addOutcomesTo(GuardOutcomes& outcomes) const;

 private:
  struct TextFilter {
    TextFilter(const guardrails::Engine& engine, guardrails::Pseudonymizer& pseudonymizer,
               std::size_t window);
    guardrails::Restorer restorer;
    guardrails::OutputStreamGuard guard;
  };
  TextFilter& filter(std::int64_t index);
  /// Text that may be sent now, or nothing when a rule blocked (block_ is then set).
  std::string feed(std::int64_t index, std::string_view text);
  std::string flush(std::int64_t index);
  void processOpenAI(const providers::SseEvent& event, std::string& out);
  void processAnthropic(const providers::SseEvent& event, std::string& out);

  providers::Dialect caller_;
  const guardrails::Engine& engine_;
  guardrails::Pseudonymizer& pseudonymizer_;
  std::size_t window_;
  providers::SseParser parser_;
  std::map<std::int64_t, std::unique_ptr<TextFilter>> filters_;
  std::optional<GuardBlock> block_;
};

}  // namespace gatehouse::gateway
