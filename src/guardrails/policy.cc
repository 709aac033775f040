#include <gatehouse/guardrails/policy.h>

#include "guardrails/char_class.h"

#include <toml++/toml.h>

#include <fstream>
#include <sstream>

namespace gatehouse::guardrails {
namespace {

Error policyError(std::string message) {
  return makeError(ErrorCode::kInvalidRequest, "guardrails policy: " + std::move(message));
}

Result<Action> actionValue(const toml::node& node, std::string_view key) {
  const auto text = node.value<std::string>();
  if (!text) {
    return policyError("'" + std::string(key) + "' must be a string action");
  }
  const auto action = parseAction(*text);
  if (!action) {
    return policyError("'" + std::string(key) + "': unknown action '" + *text +
                       "' (allow, flag, redact, pseudonymize, block)");
  }
  return *action;
}

// [input] / [output]: detector = action. Families first, so a specific key overrides them.
Result<void> applySide(const toml::table& side, Direction direction, PolicyConfig& policy) {
  auto set = [direction](RuleAction& rule, Action action) {
    (direction == Direction::kInput ? rule.input : rule.output) = action;
  };
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& [key_node, value] : side) {
      const std::string_view key = key_node.str();
      const bool family = detail::equalsCi(key, "PII") || detail::equalsCi(key, "SECRETS");
      if ((pass == 0) != family) {
        continue;
      }
      auto action = actionValue(value, key);
      if (!action) {
        return action.takeError();
      }
      if (detail::equalsCi(key, "PII") || detail::equalsCi(key, "SECRETS")) {
        for (std::size_t i = 0; i < kEntityTypeCount; ++i) {
          const auto type = static_cast<EntityType>(i);
          if (detail::equalsCi(key, "PII") ? isPii(type) : isSecret(type)) {
            set(policy.entities[i], *action);
          }
        }
      } else if (detail::equalsCi(key, "INJECTION")) {
        set(policy.injection, *action);
      } else if (const auto type = parseEntityType(key); type && *type != EntityType::kCustom) {
        set(policy.entity(*type), *action);
      } else {
        return policyError("unknown detector '" + std::string(key) + "'");
      }
    }
  }
  return {};
}

Result<CustomRule> parseRule(const toml::table& table, std::size_t index) {
  CustomRule rule;
  const std::string where = "rule #" + std::to_string(index + 1);
  for (const auto& [key_node, value] : table) {
    const std::string_view key = key_node.str();
    if (key == "name") {
      rule.name = value.value_or(std::string());
    } else if (key == "regex") {
      rule.regex = value.value_or(std::string());
    } else if (key == "keywords") {
      const auto* array = value.as_array();
      if (array == nullptr) {
        return policyError(where + ": keywords must be an array of strings");
      }
      for (const auto& item : *array) {
        const auto keyword = item.value<std::string>();
        if (!keyword) {
          return policyError(where + ": keywords must be an array of strings");
        }
        rule.keywords.push_back(*keyword);
      }
    } else if (key == "case_sensitive") {
      const auto flag = value.value<bool>();
      if (!flag) {
        return policyError(where + ": case_sensitive must be true or false");
      }
      rule.case_sensitive = *flag;
    } else if (key == "severity") {
      const auto severity = parseSeverity(value.value_or(std::string()));
      if (!severity) {
        return policyError(where + ": severity must be low, medium, high or critical");
      }
      rule.severity = *severity;
    } else if (key == "input" || key == "output" || key == "action") {
      auto action = actionValue(value, key);
      if (!action) {
        return action.takeError();
      }
      if (key != "output") {
        rule.action.input = *action;
      }
      if (key != "input") {
        rule.action.output = *action;
      }
    } else {
      return policyError(where + ": unknown key '" + std::string(key) + "'");
    }
  }
  if (rule.name.empty()) {
    return policyError(where + ": a rule needs a name");
  }
  if (rule.regex.empty() == rule.keywords.empty()) {
    return policyError("rule '" + rule.name + "': give either regex or keywords");
  }
  return rule;
}

}  // namespace

Result<PolicyConfig> parsePolicyToml(std::string_view toml_text) {
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& error) {
    std::ostringstream message;
    message << error.description() << " (line " << error.source().begin.line << ")";
    return policyError(message.str());
  }
  PolicyConfig policy;
  for (const auto& [key_node, value] : root) {
    const std::string_view key = key_node.str();
    if (key == "name") {
      const auto name = value.value<std::string>();
      if (!name) {
        return policyError("name must be a string");
      }
      policy.name = *name;
    } else if (key == "injection_threshold") {
      const auto threshold = value.value<double>();
      if (!threshold || *threshold < 0.0 || *threshold > 1.0) {
        return policyError("injection_threshold must be a number between 0 and 1");
      }
      policy.injection_threshold = *threshold;
    } else if (key == "input" || key == "output") {
      const auto* side = value.as_table();
      if (side == nullptr) {
        return policyError("[" + std::string(key) + "] must be a table");
      }
      auto applied =
          applySide(*side, key == "input" ? Direction::kInput : Direction::kOutput, policy);
      if (!applied) {
        return applied.takeError();
      }
    } else if (key == "rule") {
      const auto* rules = value.as_array();
      if (rules == nullptr) {
        return policyError("rules are written as [[rule]] tables");
      }
      for (std::size_t i = 0; i < rules->size(); ++i) {
        const auto* table = (*rules)[i].as_table();
        if (table == nullptr) {
          return policyError("rules are written as [[rule]] tables");
        }
        auto rule = parseRule(*table, i);
        if (!rule) {
          return rule.takeError();
        }
        policy.custom_rules.push_back(std::move(rule).value());
      }
    } else {
      return policyError("unknown key '" + std::string(key) + "'");
    }
  }
  return policy;
}

Result<PolicyConfig> loadPolicyFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return policyError("cannot read '" + path + "'");
  }
  std::ostringstream content;
  content << file.rdbuf();
  return parsePolicyToml(content.str());
}

}  // namespace gatehouse::guardrails
