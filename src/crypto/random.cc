#include <gatehouse/crypto/random.h>

#include <sodium.h>

namespace gatehouse::crypto {

std::uint32_t RandomSource::uniform(std::uint32_t bound) {
  // Rejection sampling: discard the top partial range so every value is equally likely.
  const std::uint32_t limit = UINT32_MAX - (UINT32_MAX % bound);
  for (;;) {
    std::uint32_t value = 0;
    fill({reinterpret_cast<std::uint8_t*>(&value), sizeof value});
    if (value < limit) {
      return value % bound;
    }
  }
}

void SystemRandom::fill(std::span<std::uint8_t> out) {
  randombytes_buf(out.data(), out.size());
}

}  // namespace gatehouse::crypto
