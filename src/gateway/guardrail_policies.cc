#include <gatehouse/gateway/guardrail_policies.h>
#include <gatehouse/guardrails/engine.h>

#include <stdexcept>

namespace gatehouse::gateway {

GuardrailPolicies::GuardrailPolicies() = default;
GuardrailPolicies::~GuardrailPolicies() = default;

std::unique_ptr<GuardrailPolicies> GuardrailPolicies::load(const config::GuardrailsConfig& config) {
  auto policies = std::make_unique<GuardrailPolicies>();
  policies->stream_window_bytes_ = config.stream_window_bytes;
  std::map<std::string, const guardrails::Engine*> by_name;
  for (const auto& named : config.policies) {
    auto policy = guardrails::loadPolicyFile(named.file);
    if (!policy) {
      throw std::runtime_error("guardrail policy '" + named.name + "' (" + named.file +
                               "): " + policy.error().message);
    }
    policy->name = named.name;
    auto engine = guardrails::Engine::create(std::move(*policy));
    if (!engine) {
      throw std::runtime_error("guardrail policy '" + named.name + "': " + engine.error().message);
    }
    by_name[named.name] = engine->get();
    policies->engines_.push_back(std::move(*engine));
  }
  if (!config.default_policy.empty()) {
    policies->default_ = by_name.at(config.default_policy);
  }
  for (const auto& key : config.key_policies) {
    policies->by_key_[key.key_id] = by_name.at(key.policy);
  }
  return policies;
}

const guardrails::Engine* GuardrailPolicies::forKey(std::string_view key_id) const {
  const auto it = by_key_.find(key_id);
  return it != by_key_.end() ? it->second : default_;
}

}  // namespace gatehouse::gateway
