#include <gatehouse/guardrails/policy.h>
#include <gatehouse/guardrails/types.h>

#include "guardrails/char_class.h"

#include <array>

namespace gatehouse::guardrails {
namespace {

constexpr std::array<std::string_view, kEntityTypeCount> kEntityNames = {
    "EMAIL",          "PHONE",       "SSN",     "CREDIT_CARD",
    "IP_ADDRESS",     "IBAN",        "API_KEY", "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY", "PRIVATE_KEY", "JWT",     "GENERIC_SECRET",
    "CUSTOM"};
constexpr std::array<std::string_view, 5> kActionNames = {"allow", "flag", "redact", "pseudonymize",
                                                          "block"};
constexpr std::array<std::string_view, 4> kSeverityNames = {"low", "medium", "high", "critical"};

}  // namespace

std::string_view entityTypeName(EntityType type) {
  const auto index = static_cast<std::size_t>(type);
  return index < kEntityNames.size() ? kEntityNames[index] : "UNKNOWN";
}

std::optional<EntityType> parseEntityType(std::string_view name) {
  for (std::size_t i = 0; i < kEntityNames.size(); ++i) {
    if (detail::equalsCi(name, kEntityNames[i])) {
      return static_cast<EntityType>(i);
    }
  }
  return std::nullopt;
}

bool isSecret(EntityType type) {
  switch (type) {
    case EntityType::kApiKey:
    case EntityType::kAwsAccessKey:
    case EntityType::kAwsSecretKey:
    case EntityType::kPrivateKey:
    case EntityType::kJwt:
    case EntityType::kGenericSecret:
      return true;
    default:
      return false;
  }
}

bool isPii(EntityType type) {
  switch (type) {
    case EntityType::kEmail:
    case EntityType::kPhone:
    case EntityType::kSsn:
    case EntityType::kCreditCard:
    case EntityType::kIpAddress:
    case EntityType::kIban:
      return true;
    default:
      return false;
  }
}

std::string_view actionName(Action action) {
  const auto index = static_cast<std::size_t>(action);
  return index < kActionNames.size() ? kActionNames[index] : "unknown";
}

std::optional<Action> parseAction(std::string_view name) {
  for (std::size_t i = 0; i < kActionNames.size(); ++i) {
    if (detail::equalsCi(name, kActionNames[i])) {
      return static_cast<Action>(i);
    }
  }
  if (detail::equalsCi(name, "pseudonymise") || detail::equalsCi(name, "mask")) {
    return detail::equalsCi(name, "mask") ? Action::kRedact : Action::kPseudonymize;
  }
  return std::nullopt;
}

std::string_view severityName(Severity severity) {
  const auto index = static_cast<std::size_t>(severity);
  return index < kSeverityNames.size() ? kSeverityNames[index] : "unknown";
}

std::optional<Severity> parseSeverity(std::string_view name) {
  for (std::size_t i = 0; i < kSeverityNames.size(); ++i) {
    if (detail::equalsCi(name, kSeverityNames[i])) {
      return static_cast<Severity>(i);
    }
  }
  return std::nullopt;
}

void PolicyConfig::setPii(RuleAction action) {
  for (std::size_t i = 0; i < kEntityTypeCount; ++i) {
    if (isPii(static_cast<EntityType>(i))) {
      entities[i] = action;
    }
  }
}

void PolicyConfig::setSecrets(RuleAction action) {
  for (std::size_t i = 0; i < kEntityTypeCount; ++i) {
    if (isSecret(static_cast<EntityType>(i))) {
      entities[i] = action;
    }
  }
}

PolicyConfig flagEverythingPolicy() {
  PolicyConfig policy;
  policy.name = "flag-everything";
  const RuleAction flag{Action::kFlag, Action::kFlag};
  policy.setPii(flag);
  policy.setSecrets(flag);
  policy.injection = flag;
  return policy;
}

}  // namespace gatehouse::guardrails
