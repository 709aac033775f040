#include <gatehouse/common/secret.h>

#include <sodium.h>

namespace gatehouse {

void secureWipe(void* bytes, std::size_t size) {
  sodium_memzero(bytes, size);
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

SecretString::SecretString(SecretString&& other) noexcept : value_(std::move(other.value_)) {
  other.wipe();
}

SecretString& SecretString::operator=(SecretString&& other) noexcept {
  if (this != &other) {
    wipe();
    value_ = std::move(other.value_);
    other.wipe();
  }
  return *this;
}

SecretString::~SecretString() {
  wipe();
}

bool SecretString::equals(std::string_view other) const {
  return constantTimeEquals(value_, other);
}

void SecretString::wipe() {
  // Wipe the whole capacity: a short string lives in the inline buffer, a long one on the heap.
  if (value_.capacity() > 0) {
    secureWipe(value_.data(), value_.capacity());
  }
  value_.clear();
}

}  // namespace gatehouse
