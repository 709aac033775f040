#pragma once

#include <gatehouse/common/result.h>
#include <gatehouse/guardrails/policy.h>
#include <gatehouse/guardrails/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::guardrails {

class Pseudonymizer;

/// Everything the detectors found in one text.
struct ScanResult {
  /// Sorted by start, never overlapping (when detectors disagree the stronger action, then the
  /// more specific detector, then the longer span wins).
  std::vector<Finding> findings;
  InjectionVerdict injection;
  /// The text was longer than EngineLimits::max_text_bytes and only its start was scanned.
  bool truncated = false;
};

/// One line for the usage record and the audit event: which detector, what was done, how often.
/// Never contains the matched text.
struct Outcome {
  std::string detector;  ///< "EMAIL", "API_KEY", "INJECTION", or a custom rule's name.
  Action action = Action::kFlag;
  std::uint32_t count = 0;
  friend bool operator==(const Outcome&, const Outcome&) = default;
};

/// What the request path does with a text after the policy ran.
struct GuardResult {
  bool blocked = false;
  /// The detector that blocked ("SSN", "INJECTION", "project-codenames"). Safe to show the
  /// caller: a rule name, never matched text.
  std::string blocked_by;
  /// The text to forward: placeholders in place of redacted / pseudonymised findings. Equal to
  /// the input when nothing was rewritten (and empty when blocked).
  std::string text;
  bool rewritten = false;
  std::vector<Outcome> outcomes;
  InjectionVerdict injection;

  /// A message for the caller's error body, e.g. "Request blocked by guardrail policy
  /// 'default': SSN detected in the input." (no matched text).
  std::string blockMessage(std::string_view policy_name, Direction direction) const;
};

/// Limits for one engine (rule 4: limits are constructor arguments).
struct EngineLimits {
  /// Texts longer than this are scanned only up to here; `scan` reports `truncated`.
  std::size_t max_text_bytes = 16 * 1024 * 1024;
  /// Longest custom regex program (RE2 max_mem, bytes).
  std::int64_t max_regex_memory = 8 * 1024 * 1024;
};

/// The guardrails engine for one policy: every built-in detector (PII, secrets, prompt
/// injection) and the policy's custom rules, compiled once at start-up into one pattern
/// database that scans a text in a single pass; candidates are then validated (Luhn, mod-97,
/// libphonenumber, SSA rules, strict IP parsing, entropy and checksums for secrets).
///
/// Thread-safe: one Engine is shared by all request threads (per-thread scratch space is
/// allocated on first use). Create it at start-up; creation is the only step that can fail.
class Engine {
 public:
  /// Compiles `policy`. Errors (kInvalidRequest) name the custom rule that did not compile.
  static Result<std::unique_ptr<Engine>> create(PolicyConfig policy, EngineLimits limits = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// Runs the detectors the policy enables for `direction`; each finding carries its action.
  ScanResult scan(std::string_view text, Direction direction) const;

  /// Runs every detector regardless of the policy, injection included (every finding's action
  /// is kFlag): `gatehouse scan` without a policy, and the evaluation program.
  ScanResult scanAll(std::string_view text) const;

  /// Scans and applies the policy: block, rewrite (redact / pseudonymise through
  /// `pseudonymizer`, which numbers placeholders per distinct value across all the texts of a
  /// request), or pass with flags. Run it on every text part of a request (system prompt,
  /// messages, tool results) with the same Pseudonymizer.
  GuardResult guard(std::string_view text, Direction direction, Pseudonymizer& pseudonymizer) const;

  const PolicyConfig& policy() const;
  const EngineLimits& limits() const;

 private:
  class Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The detector name an outcome or a block reports for a finding: the entity type name, or the
/// custom rule's name.
std::string_view detectorName(const Finding& finding);

/// The placeholder label for a finding: detectorName upper-cased, other characters as '_'
/// ("EMAIL", "PROJECT_CODENAMES").
std::string placeholderLabel(const Finding& finding);

}  // namespace gatehouse::guardrails
