#pragma once

#include <gatehouse/guardrails/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gatehouse::guardrails {

/// Issues placeholders such as [EMAIL_1], numbered per label and per distinct value, for one
/// request (or one conversation): the same value always gets the same placeholder, so the model
/// can still tell two different e-mail addresses apart.
///
/// Pseudonymised values are kept (in memory, wiped on destruction) so the answer can be
/// restored; redacted values are not kept at all, only a 64-bit hash to reuse their number.
/// Not thread-safe: one per request.
class Pseudonymizer {
 public:
  Pseudonymizer();
  ~Pseudonymizer();
  Pseudonymizer(const Pseudonymizer&) = delete;
  Pseudonymizer& operator=(const Pseudonymizer&) = delete;
  Pseudonymizer(Pseudonymizer&&) noexcept;
  Pseudonymizer& operator=(Pseudonymizer&&) noexcept;

  /// The placeholder for `value` under `label` ("EMAIL" -> "[EMAIL_3]"). With `restorable`,
  /// restore() and Restorer turn the placeholder back into `value`.
  std::string placeholderFor(std::string_view label, std::string_view value, bool restorable);

  /// Replaces every restorable placeholder in `text` with its original value.
  std::string restore(std::string_view text) const;

  /// The original value behind a placeholder ("[EMAIL_1]"), or nothing.
  const std::string* originalFor(std::string_view placeholder) const;

  /// Longest placeholder issued so far (what a streaming restorer must hold back).
  std::size_t longestPlaceholder() const { return longest_placeholder_; }
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string placeholder;
    std::string value;  // empty unless restorable
    bool restorable = false;
  };
  std::vector<Entry> entries_;
  std::unordered_map<std::uint64_t, std::size_t> by_value_;      // keyed hash -> entry
  std::unordered_map<std::string, std::size_t> by_placeholder_;  // placeholder -> entry
  std::unordered_map<std::string, std::uint32_t> counters_;      // label -> last number
  std::size_t longest_placeholder_ = 0;
};

/// Restores placeholders in a streamed answer. A placeholder may be split across chunks
/// ("...contact [EMA" + "IL_1] today"): the restorer holds back a possible placeholder prefix
/// (at most Pseudonymizer::longestPlaceholder() bytes) until it can decide. Everything else is
/// emitted at once.
class Restorer {
 public:
  /// `pseudonymizer` must outlive the restorer.
  explicit Restorer(const Pseudonymizer& pseudonymizer) : pseudonymizer_(pseudonymizer) {}

  /// Returns what can be sent now.
  std::string feed(std::string_view chunk);
  /// End of stream: returns whatever was held back.
  std::string finish();

 private:
  const Pseudonymizer& pseudonymizer_;
  std::string pending_;
};

}  // namespace gatehouse::guardrails
