#pragma once

#include <gatehouse/common/result.h>
#include <gatehouse/guardrails/types.h>

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::guardrails {

/// What to do with one detector's findings on each side of the provider.
struct RuleAction {
  Action input = Action::kAllow;
  Action output = Action::kAllow;

  Action forDirection(Direction direction) const {
    return direction == Direction::kInput ? input : output;
  }
  friend bool operator==(const RuleAction&, const RuleAction&) = default;
};

/// A user rule: a regular expression (RE2 syntax, linear time, so no rule can stall the gateway)
/// or a keyword list (whole words), with a name that appears in findings, errors and audit
/// events.
struct CustomRule {
  std::string name;
  std::string regex;                  ///< Either this...
  std::vector<std::string> keywords;  ///< ...or this (not both).
  bool case_sensitive = false;
  Severity severity = Severity::kMedium;
  RuleAction action{Action::kFlag, Action::kFlag};
};

/// A guardrail policy (per organisation, project or key). A plain value: build it from the
/// config file (parsePolicyToml) or from the admin API, then compile it with Engine::create.
struct PolicyConfig {
  std::string name = "default";
  /// Indexed by EntityType (kCustom's slot is unused: custom rules carry their own actions).
  std::array<RuleAction, kEntityTypeCount> entities{};
  RuleAction injection{};
  /// Injection scores at or above this are flagged; tuned on the dev set (see bench/).
  double injection_threshold = 0.5;
  std::vector<CustomRule> custom_rules;

  RuleAction& entity(EntityType type) { return entities[static_cast<std::size_t>(type)]; }
  const RuleAction& entity(EntityType type) const {
    return entities[static_cast<std::size_t>(type)];
  }
  /// Sets every PII type (isPii) to `action`.
  void setPii(RuleAction action);
  /// Sets every secret type (isSecret) to `action`.
  void setSecrets(RuleAction action);
};

/// A policy that flags everything on both sides: what `gatehouse scan` uses without --policy.
PolicyConfig flagEverythingPolicy();

/// Parses a policy document:
/// ```toml
/// name = "support-bot"
/// injection_threshold = 0.5
/// [input]                 # detector = action; PII and SECRETS name whole families
/// PII = "pseudonymize"
/// SECRETS = "block"
/// INJECTION = "block"
/// [output]
/// SECRETS = "redact"
/// EMAIL = "flag"
/// [[rule]]
/// name = "project-codenames"
/// keywords = ["bluebird", "nightjar"]
/// severity = "high"
/// input = "redact"
/// output = "redact"
/// ```
/// Unknown detectors, actions or keys are errors (kInvalidRequest) naming the key. Family keys
/// are applied first, so `PII = "redact"` plus `EMAIL = "flag"` flags e-mails only.
Result<PolicyConfig> parsePolicyToml(std::string_view toml_text);

/// Reads and parses a policy file.
Result<PolicyConfig> loadPolicyFile(const std::string& path);

}  // namespace gatehouse::guardrails
