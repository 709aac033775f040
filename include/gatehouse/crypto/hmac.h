#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

namespace gatehouse::crypto {

using Sha256Digest = std::array<std::uint8_t, 32>;

/// HMAC-SHA-256 (RFC 2104) of `message` under `key`.
Sha256Digest hmacSha256(std::string_view key, std::string_view message);

/// HMAC-SHA-256 under one long-lived key, for the hot path: the key schedule (the inner and
/// outer pad blocks and OpenSSL's algorithm fetch) is done once, and each thread keeps its own
/// keyed context, re-initialised per message. A one-shot hmacSha256() costs about four times
/// as much for a short message. The key material lives only inside OpenSSL's contexts, which
/// cleanse it when freed. Thread-safe; throws std::runtime_error if OpenSSL cannot key it.
class HmacSha256Key {
 public:
  explicit HmacSha256Key(std::string_view key);
  ~HmacSha256Key();
  HmacSha256Key(const HmacSha256Key&) = delete;
  HmacSha256Key& operator=(const HmacSha256Key&) = delete;

  Sha256Digest mac(std::string_view message) const;

 private:
  struct Template;
  std::unique_ptr<Template> template_;
};

/// Lower-case hex of a digest.
std::string_view toHex(const Sha256Digest& digest, std::array<char, 64>& buffer);

}  // namespace gatehouse::crypto
