#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace gatehouse::crypto {

using Sha256Digest = std::array<std::uint8_t, 32>;

/// HMAC-SHA-256 (RFC 2104) of `message` under `key`.
Sha256Digest hmacSha256(std::string_view key, std::string_view message);

/// Lower-case hex of a digest.
std::string_view toHex(const Sha256Digest& digest, std::array<char, 64>& buffer);

}  // namespace gatehouse::crypto
