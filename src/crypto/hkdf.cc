#include <gatehouse/crypto/hkdf.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <algorithm>
#include <memory>

namespace gatehouse::crypto {
namespace {

constexpr std::size_t kMaxOutputBytes = 255 * 32;

struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* ctx) const { EVP_KDF_CTX_free(ctx); }
};

// OpenSSL treats an octet-string parameter with a null pointer as absent, even when its length
// is zero; an empty salt or info must still reach it as present-but-empty.
void* octets(std::string_view s) {
  static char empty = 0;
  return s.empty() ? &empty : const_cast<char*>(s.data());
}

}  // namespace

Result<SecretString> hkdfSha256(std::string_view ikm, std::string_view salt, std::string_view info,
                                std::size_t length) {
  if (length > kMaxOutputBytes) {
    return makeError(ErrorCode::kInternal, "hkdf-sha256 output is limited to 255 * 32 bytes");
  }
  // Fetched once: the implicit fetch behind every derivation costs a lock and a lookup.
  static EVP_KDF* const kHkdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  std::unique_ptr<EVP_KDF_CTX, KdfCtxFree> ctx(kHkdf ? EVP_KDF_CTX_new(kHkdf) : nullptr);
  if (!ctx) {
    return makeError(ErrorCode::kInternal, "hkdf-sha256 is unavailable");
  }
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, octets(ikm), ikm.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, octets(salt), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, octets(info), info.size()),
      OSSL_PARAM_construct_end(),
  };
  // Capacity past the small-string buffer, so the move into SecretString leaves no inline copy.
  std::string out;
  out.reserve(std::max<std::size_t>(length, 32));
  out.resize(length);
  if (EVP_KDF_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), out.size(), params) !=
      1) {
    secureWipe(out.data(), out.capacity());
    return makeError(ErrorCode::kInternal, "hkdf-sha256 derivation failed");
  }
  return SecretString(std::move(out));
}

}  // namespace gatehouse::crypto
