#include <gatehouse/crypto/sha256.h>

#include <openssl/evp.h>

namespace gatehouse::crypto {

Sha256Digest sha256(std::string_view data) {
  Sha256Digest digest{};
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr);
  return digest;
}

}  // namespace gatehouse::crypto
