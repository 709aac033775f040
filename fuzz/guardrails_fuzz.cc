// Arbitrary bytes (invalid UTF-8 included) through the whole guardrails engine: every detector,
// custom rules, the policy actions, the pseudonymiser and its restorer, and the streaming output
// guard with chunk splits taken from the input. Checks the engine's invariants on the way:
// findings sorted, in bounds and non-overlapping; the stream guard never holds more than its
// window; restoring a guarded text never crashes.

#include <gatehouse/guardrails/engine.h>
#include <gatehouse/guardrails/pseudonymizer.h>
#include <gatehouse/guardrails/stream_guard.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

namespace {

using namespace gatehouse::guardrails;

const Engine& engine() {
  static const std::unique_ptr<Engine> instance = [] {
    PolicyConfig policy;
    policy.setPii({Action::kPseudonymize, Action::kRedact});
    policy.setSecrets({Action::kRedact, Action::kRedact});
    policy.entity(EntityType::kSsn) = {Action::kBlock, Action::kBlock};
    policy.injection = {Action::kFlag, Action::kFlag};
    policy.custom_rules.push_back(CustomRule{"codename",
                                             {},
                                             {"bluebird", "night jar"},
                                             false,
                                             Severity::kHigh,
                                             {Action::kRedact, Action::kRedact}});
    policy.custom_rules.push_back(CustomRule{"ticket",
                                             "TCK-[0-9]{3,8}|(a+)+$",
                                             {},
                                             false,
                                             Severity::kLow,
                                             {Action::kFlag, Action::kRedact}});
    auto created = Engine::create(std::move(policy));
    if (!created) {
      std::abort();
    }
    return std::move(created).value();
  }();
  return *instance;
}

void checkFindings(const ScanResult& result, std::size_t size) {
  std::uint32_t last_end = 0;
  for (const Finding& f : result.findings) {
    if (f.start < last_end || f.end <= f.start || f.end > size) {
      std::abort();
    }
    last_end = f.end;
  }
  if (!(result.injection.score >= 0.0 && result.injection.score <= 1.0)) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) {
    return 0;
  }
  // Two bytes steer the stream: the chunk size and the window.
  const std::size_t chunk = 1 + data[0] % 64;
  const std::size_t window = 64 + static_cast<std::size_t>(data[1]) * 4;
  const std::string_view text(reinterpret_cast<const char*>(data) + 2, size - 2);
  const Engine& e = engine();

  checkFindings(e.scanAll(text), text.size());
  checkFindings(e.scan(text, Direction::kInput), text.size());

  Pseudonymizer pseudonymizer;
  const GuardResult input = e.guard(text, Direction::kInput, pseudonymizer);
  if (!input.blocked) {
    const std::string restored = pseudonymizer.restore(input.text);
    (void)restored;
  }

  // The answer streamed back: restore placeholders, then guard the output, chunk by chunk.
  Restorer restorer(pseudonymizer);
  OutputStreamGuard guard(e, pseudonymizer, window);
  std::size_t sent = 0;
  for (std::size_t pos = 0; pos < text.size(); pos += chunk) {
    const std::string restored = restorer.feed(text.substr(pos, chunk));
    const StreamStep step = guard.feed(restored);
    sent += step.text.size();
    if (guard.heldBytes() > window) {
      std::abort();
    }
    if (step.blocked) {
      break;
    }
  }
  guard.feed(restorer.finish());
  sent += guard.finish().text.size();
  (void)sent;
  return 0;
}
