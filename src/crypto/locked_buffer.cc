#include <gatehouse/crypto/locked_buffer.h>

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <stdexcept>
#include <utility>

namespace gatehouse::crypto {

LockedSecret::LockedSecret(std::string_view bytes) : size_(bytes.size()) {
  // sodium_malloc relies on the page size sodium_init records; sodium_init is idempotent and
  // thread-safe.
  if (sodium_init() < 0) {
    throw std::runtime_error("libsodium initialisation failed");
  }
  // sodium_malloc(0) is not guaranteed to return a usable pointer; allocate one byte instead.
  data_ = static_cast<char*>(sodium_malloc(std::max<std::size_t>(size_, 1)));
  if (data_ == nullptr) {
    throw std::bad_alloc();
  }
  if (size_ > 0) {
    std::memcpy(data_, bytes.data(), size_);
  }
  // A stray write through a dangling pointer now faults instead of corrupting the key.
  sodium_mprotect_readonly(data_);
}

LockedSecret::LockedSecret(LockedSecret&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

LockedSecret& LockedSecret::operator=(LockedSecret&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

LockedSecret::~LockedSecret() {
  release();
}

void LockedSecret::release() noexcept {
  if (data_ != nullptr) {
    // sodium_free makes the region writable, zeroes it, unlocks and unmaps it.
    sodium_free(data_);
    data_ = nullptr;
    size_ = 0;
  }
}

}  // namespace gatehouse::crypto
