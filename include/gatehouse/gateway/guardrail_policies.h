#pragma once

#include <gatehouse/config/config.h>

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::guardrails {
class Engine;
}

namespace gatehouse::gateway {

/// The compiled guardrail policies and which caller key uses which. Built once at start-up;
/// read-only (and so thread-safe) afterwards.
class GuardrailPolicies {
 public:
  /// Loads and compiles every policy file the configuration names. Throws std::runtime_error
  /// (start-up) naming the policy that does not load or compile.
  static std::unique_ptr<GuardrailPolicies> load(const config::GuardrailsConfig& config);

  /// No policies at all: nothing is guarded.
  GuardrailPolicies();
  ~GuardrailPolicies();

  /// The engine for a caller key: its own policy, else the default, else none.
  const guardrails::Engine* forKey(std::string_view key_id) const;
  std::size_t streamWindowBytes() const { return stream_window_bytes_; }

 private:
  std::vector<std::unique_ptr<guardrails::Engine>> engines_;
  std::map<std::string, const guardrails::Engine*, std::less<>> by_key_;
  const guardrails::Engine* default_ = nullptr;
  std::size_t stream_window_bytes_ = 256;
};

}  // namespace gatehouse::gateway
