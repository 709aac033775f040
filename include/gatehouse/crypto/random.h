#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace gatehouse::crypto {

/// A source of cryptographically secure random bytes, injected so tests control entropy.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual void fill(std::span<std::uint8_t> out) = 0;

  /// A uniformly distributed integer in [0, bound) without modulo bias.
  std::uint32_t uniform(std::uint32_t bound);
};

/// The operating system's CSPRNG (libsodium's randombytes). Thread-safe.
class SystemRandom final : public RandomSource {
 public:
  void fill(std::span<std::uint8_t> out) override;
};

}  // namespace gatehouse::crypto
