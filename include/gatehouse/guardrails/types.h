#pragma once

#include <gatehouse/guardrails/fwd.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace gatehouse::guardrails {

/// What a finding is. The names (entityTypeName) are the ones the labelled datasets in
/// `shared/datasets/README.md` use, so evaluation output needs no mapping.
enum class EntityType : unsigned char {
  kEmail,
  kPhone,
  kSsn,
  kCreditCard,
  kIpAddress,
  kIban,
  kApiKey,  ///< Provider, SaaS and Gatehouse caller keys (Finding::rule says which).
  kAwsAccessKey,
  kAwsSecretKey,
  kPrivateKey,  ///< A whole PEM / OpenSSH / PGP private key block.
  kJwt,
  kGenericSecret,  ///< A high-entropy value assigned to password=, secret:, URL credentials.
  kCustom,         ///< A user rule; Finding::rule is the rule's name.
};
inline constexpr std::size_t kEntityTypeCount = 13;

/// "EMAIL", "PHONE", ..., "CUSTOM".
std::string_view entityTypeName(EntityType type);
/// The inverse of entityTypeName, case-insensitive.
std::optional<EntityType> parseEntityType(std::string_view name);
/// True for API_KEY, AWS_*, PRIVATE_KEY, JWT and GENERIC_SECRET.
bool isSecret(EntityType type);
/// True for EMAIL, PHONE, SSN, CREDIT_CARD, IP_ADDRESS and IBAN.
bool isPii(EntityType type);

/// What a policy does with a finding. Ordered by strength: when two rules hit the same span the
/// stronger action wins.
enum class Action : unsigned char {
  kAllow,         ///< Ignore.
  kFlag,          ///< Record only (usage record, audit), the text passes unchanged.
  kRedact,        ///< Replace with a placeholder such as [EMAIL_1]; never restored.
  kPseudonymize,  ///< Placeholder to the provider, original restored in the answer.
  kBlock,         ///< Refuse the request (input) or end the stream (output).
};
std::string_view actionName(Action action);
std::optional<Action> parseAction(std::string_view name);

/// Input: what the caller sends to the provider. Output: what the provider answers.
enum class Direction : unsigned char { kInput, kOutput };

enum class Severity : unsigned char { kLow, kMedium, kHigh, kCritical };
std::string_view severityName(Severity severity);
std::optional<Severity> parseSeverity(std::string_view name);

/// One detected entity. Offsets are bytes into the scanned text, end exclusive.
struct Finding {
  EntityType type = EntityType::kEmail;
  std::uint32_t start = 0;
  std::uint32_t end = 0;
  /// Which rule matched: "github-pat", "luhn", "gatehouse-caller-key", a custom rule's name...
  /// Points into the Engine (or static storage); valid as long as the Engine lives.
  std::string_view rule;
  Severity severity = Severity::kMedium;
  /// The policy's action for this finding in the scanned direction (kFlag for Engine::scanAll).
  Action action = Action::kFlag;

  std::uint32_t size() const { return end - start; }
  friend bool operator==(const Finding&, const Finding&) = default;
};

/// The prompt-injection / jailbreak detector's verdict for one text.
struct InjectionVerdict {
  double score = 0.0;    ///< In [0, 1]; higher is more likely an attack.
  bool flagged = false;  ///< score >= the policy's threshold.
  /// Names of the signal families that fired ("instruction_override", "role_play_persona"...),
  /// static strings, for logs and for tuning. Never contains matched text.
  std::vector<std::string_view> signals;
};

}  // namespace gatehouse::guardrails
