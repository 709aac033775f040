#include <gatehouse/crypto/hmac.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace gatehouse::crypto {

Sha256Digest hmacSha256(std::string_view key, std::string_view message) {
  Sha256Digest digest{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest.data(),
       &length);
  return digest;
}

std::string_view toHex(const Sha256Digest& digest, std::array<char, 64>& buffer) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < digest.size(); ++i) {
    buffer[2 * i] = kHex[digest[i] >> 4];
    buffer[2 * i + 1] = kHex[digest[i] & 0xF];
  }
  return {buffer.data(), buffer.size()};
}

}  // namespace gatehouse::crypto
