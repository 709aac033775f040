#pragma once

#include <gatehouse/crypto/random.h>

#include <cstdint>

namespace gatehouse::testing {

/// A deterministic RandomSource: a counter run through a simple mixer, so tests get varied
/// but repeatable bytes.
class FixedRandom final : public crypto::RandomSource {
 public:
  explicit FixedRandom(std::uint64_t seed = 1) : state_(seed) {}
  void fill(std::span<std::uint8_t> out) override {
    for (auto& byte : out) {
      state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
      byte = static_cast<std::uint8_t>(state_ >> 56);
    }
  }

 private:
  std::uint64_t state_;
};

}  // namespace gatehouse::testing
