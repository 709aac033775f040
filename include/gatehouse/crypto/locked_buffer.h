#pragma once

#include <cstddef>
#include <string_view>

namespace gatehouse::crypto {

/// A long-lived secret (a key-encryption key, a cached data key) in memory that is kept out of
/// swap and core dumps as far as the OS allows: libsodium's sodium_malloc (guard pages on both
/// sides, a canary, mlock'd), made read-only once filled, wiped and unmapped on destruction.
/// Each instance costs a few pages, so use it for keys, not for bulk data. Non-copyable,
/// movable; a moved-from LockedSecret is empty. Reading is thread-safe.
class LockedSecret {
 public:
  /// Copies `bytes` into locked memory. Throws std::bad_alloc when the allocation fails.
  explicit LockedSecret(std::string_view bytes);
  LockedSecret(const LockedSecret&) = delete;
  LockedSecret& operator=(const LockedSecret&) = delete;
  LockedSecret(LockedSecret&& other) noexcept;
  LockedSecret& operator=(LockedSecret&& other) noexcept;
  ~LockedSecret();

  /// The bytes, valid while this object lives and is not moved from. Do not copy them into a
  /// longer-lived std::string.
  std::string_view view() const { return {data_, size_}; }
  std::size_t size() const { return size_; }

 private:
  void release() noexcept;
  char* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace gatehouse::crypto
