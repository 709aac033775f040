#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gatehouse {

/// A secret held in memory: wiped on destruction and on move-from, never printable, compared
/// only in constant time. There is deliberately no operator<< and no implicit conversion, so a
/// secret cannot reach a log line or an error message by accident.
class SecretString {
 public:
  SecretString() = default;
  explicit SecretString(std::string value) : value_(std::move(value)) {}
  SecretString(const SecretString&) = delete;
  SecretString& operator=(const SecretString&) = delete;
  SecretString(SecretString&& other) noexcept;
  SecretString& operator=(SecretString&& other) noexcept;
  ~SecretString();

  /// The plaintext, for the one call that needs it (a header value, an HMAC key). Do not copy it
  /// into a longer-lived std::string.
  std::string_view reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  std::size_t size() const { return value_.size(); }

  /// Constant-time equality (the length is not secret).
  bool equals(std::string_view other) const;

 private:
  void wipe();
  std::string value_;
};

/// Overwrites `bytes` with zeros in a way the optimiser cannot drop.
void secureWipe(void* bytes, std::size_t size);

/// Constant-time comparison of two equal-length byte strings; false when lengths differ.
bool constantTimeEquals(std::string_view a, std::string_view b);

}  // namespace gatehouse
