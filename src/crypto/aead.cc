#include <gatehouse/crypto/aead.h>

#include <openssl/evp.h>
#include <openssl/modes.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <span>

namespace gatehouse::crypto {
namespace {

constexpr std::string_view kOpenFailed = "decryption failed: ciphertext, key or context mismatch";

// OpenSSL's EVP GCM keeps the nonce in a fixed 128-byte buffer and refuses longer ones. GCM
// itself allows any length (a long nonce is GHASHed into the first counter block); those go
// through OpenSSL's mode-level GCM instead. Only test vectors use nonces that long.
constexpr std::size_t kEvpMaxNonceBytes = 128;
constexpr std::size_t kMinTagBytes = 12;

// EVP_CipherUpdate takes an int length: feed larger inputs in pieces.
constexpr std::size_t kMaxUpdateBytes = std::size_t{1} << 30;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

struct Gcm128Release {
  void operator()(GCM128_CONTEXT* ctx) const { CRYPTO_gcm128_release(ctx); }
};

const unsigned char* bytesOf(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Fetched once: an implicit fetch on every operation costs a lock and a lookup, and the data
// plane opens a provider key per request.
const EVP_CIPHER* cipherFor(std::size_t key_bytes, bool gcm) {
  static const std::array<EVP_CIPHER*, 6> kCiphers = {
      EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr),
      EVP_CIPHER_fetch(nullptr, "AES-192-GCM", nullptr),
      EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr),
      EVP_CIPHER_fetch(nullptr, "AES-128-ECB", nullptr),
      EVP_CIPHER_fetch(nullptr, "AES-192-ECB", nullptr),
      EVP_CIPHER_fetch(nullptr, "AES-256-ECB", nullptr),
  };
  const std::size_t base = gcm ? 0 : 3;
  switch (key_bytes) {
    case 16:
      return kCiphers[base];
    case 24:
      return kCiphers[base + 1];
    case 32:
      return kCiphers[base + 2];
    default:
      return nullptr;
  }
}

// A buffer for plaintext that is about to become a SecretString. Its capacity is kept past the
// small-string buffer so that moving it into the SecretString hands over the heap allocation
// instead of leaving an unwiped inline copy behind.
std::string secretBuffer(std::size_t size) {
  std::string buffer;
  buffer.reserve(std::max<std::size_t>(size, 32));
  buffer.resize(size);
  return buffer;
}

bool evpUpdate(EVP_CIPHER_CTX* ctx, unsigned char* out, std::string_view in) {
  for (std::size_t done = 0; done < in.size();) {
    const std::size_t n = std::min(kMaxUpdateBytes, in.size() - done);
    int written = 0;
    if (EVP_CipherUpdate(ctx, out == nullptr ? nullptr : out + done, &written, bytesOf(in) + done,
                         static_cast<int>(n)) != 1) {
      return false;
    }
    done += n;
  }
  return true;
}

// One GCM pass through EVP. Feeds `aad`, then `in` into `out` (in.size() bytes). Encrypting
// writes the tag into `tag`; decrypting checks it. False on any failure, a bad tag included.
bool evpGcm(bool encrypt, std::string_view key, std::string_view nonce, std::string_view aad,
            std::string_view in, unsigned char* out, std::span<unsigned char> tag) {
  const EVP_CIPHER* cipher = cipherFor(key.size(), true);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  const int enc = encrypt ? 1 : 0;
  if (cipher == nullptr || !ctx ||
      EVP_CipherInit_ex(ctx.get(), cipher, nullptr, nullptr, nullptr, enc) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()),
                          nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, bytesOf(key), bytesOf(nonce), enc) != 1) {
    return false;
  }
  if (!evpUpdate(ctx.get(), nullptr, aad) || !evpUpdate(ctx.get(), out, in)) {
    return false;
  }
  const int tag_len = static_cast<int>(tag.size());
  if (!encrypt && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, tag_len, tag.data()) != 1) {
    return false;
  }
  // GCM is a stream mode: Final writes nothing, but it is where the tag is computed or checked.
  int final_len = 0;
  std::array<unsigned char, 16> unused{};
  if (EVP_CipherFinal_ex(ctx.get(), unused.data(), &final_len) != 1) {
    return false;
  }
  return !encrypt || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, tag_len, tag.data()) == 1;
}

// The block function for CRYPTO_gcm128: one AES block through an ECB context. An ECB update of
// one whole block on an initialised context cannot fail.
void ecbBlock(const unsigned char in[16], unsigned char out[16], const void* key) {
  int written = 0;
  EVP_EncryptUpdate(static_cast<EVP_CIPHER_CTX*>(const_cast<void*>(key)), out, &written, in, 16);
}

// The same pass through OpenSSL's mode-level GCM, for nonces EVP will not take.
bool longNonceGcm(bool encrypt, std::string_view key, std::string_view nonce, std::string_view aad,
                  std::string_view in, unsigned char* out, std::span<unsigned char> tag) {
  const EVP_CIPHER* cipher = cipherFor(key.size(), false);
  CipherCtx ecb(EVP_CIPHER_CTX_new());
  if (cipher == nullptr || !ecb ||
      EVP_EncryptInit_ex(ecb.get(), cipher, nullptr, bytesOf(key), nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ecb.get(), 0) != 1) {
    return false;
  }
  std::unique_ptr<GCM128_CONTEXT, Gcm128Release> gcm(CRYPTO_gcm128_new(ecb.get(), ecbBlock));
  if (!gcm) {
    return false;
  }
  CRYPTO_gcm128_setiv(gcm.get(), bytesOf(nonce), nonce.size());
  if (!aad.empty() && CRYPTO_gcm128_aad(gcm.get(), bytesOf(aad), aad.size()) != 0) {
    return false;
  }
  if (!in.empty()) {
    const int rc = encrypt ? CRYPTO_gcm128_encrypt(gcm.get(), bytesOf(in), out, in.size())
                           : CRYPTO_gcm128_decrypt(gcm.get(), bytesOf(in), out, in.size());
    if (rc != 0) {
      return false;
    }
  }
  if (encrypt) {
    std::array<unsigned char, 16> full{};
    CRYPTO_gcm128_tag(gcm.get(), full.data(), full.size());
    std::memcpy(tag.data(), full.data(), tag.size());
    return true;
  }
  // Constant-time comparison of the first tag.size() bytes.
  return CRYPTO_gcm128_finish(gcm.get(), tag.data(), tag.size()) == 0;
}

bool gcm(bool encrypt, std::string_view key, std::string_view nonce, std::string_view aad,
         std::string_view in, unsigned char* out, std::span<unsigned char> tag) {
  return nonce.size() <= kEvpMaxNonceBytes ? evpGcm(encrypt, key, nonce, aad, in, out, tag)
                                           : longNonceGcm(encrypt, key, nonce, aad, in, out, tag);
}

Result<void> checkParameters(std::string_view key, std::string_view nonce, std::size_t tag_bytes) {
  if (key.size() != 16 && key.size() != 24 && key.size() != 32) {
    return makeError(ErrorCode::kInternal, "aes-gcm key must be 16, 24 or 32 bytes");
  }
  // An empty nonce would leak the authentication key (CVE-2017-7822).
  if (nonce.empty()) {
    return makeError(ErrorCode::kInternal, "aes-gcm nonce must not be empty");
  }
  if (tag_bytes < kMinTagBytes || tag_bytes > kGcmTagBytes) {
    return makeError(ErrorCode::kInternal, "aes-gcm tag must be 12 to 16 bytes");
  }
  return {};
}

Error openFailed() {
  return makeError(ErrorCode::kInternal, std::string(kOpenFailed));
}

}  // namespace

Result<std::string> aesGcmEncrypt(std::string_view key, std::string_view nonce,
                                  std::string_view plaintext, std::string_view aad,
                                  std::size_t tag_bytes) {
  if (auto checked = checkParameters(key, nonce, tag_bytes); !checked) {
    return checked.takeError();
  }
  std::string out(plaintext.size() + tag_bytes, '\0');
  auto* data = reinterpret_cast<unsigned char*>(out.data());
  if (!gcm(true, key, nonce, aad, plaintext, data, {data + plaintext.size(), tag_bytes})) {
    return makeError(ErrorCode::kInternal, "aes-gcm encryption failed");
  }
  return out;
}

Result<SecretString> aesGcmDecrypt(std::string_view key, std::string_view nonce,
                                   std::string_view ciphertext_and_tag, std::string_view aad,
                                   std::size_t tag_bytes) {
  if (auto checked = checkParameters(key, nonce, tag_bytes); !checked) {
    return checked.takeError();
  }
  if (ciphertext_and_tag.size() < tag_bytes) {
    return openFailed();
  }
  const std::string_view ciphertext =
      ciphertext_and_tag.substr(0, ciphertext_and_tag.size() - tag_bytes);
  std::array<unsigned char, kGcmTagBytes> tag{};
  std::memcpy(tag.data(), ciphertext_and_tag.data() + ciphertext.size(), tag_bytes);
  std::string plain = secretBuffer(ciphertext.size());
  if (!gcm(false, key, nonce, aad, ciphertext, reinterpret_cast<unsigned char*>(plain.data()),
           {tag.data(), tag_bytes})) {
    // The buffer holds unauthenticated plaintext: it must not outlive the failure.
    secureWipe(plain.data(), plain.capacity());
    return openFailed();
  }
  return SecretString(std::move(plain));
}

Result<std::string> aes256GcmSeal(std::string_view key, std::string_view plaintext,
                                  std::string_view aad, RandomSource& random) {
  if (key.size() != kAes256KeyBytes) {
    return makeError(ErrorCode::kInternal, "aes-256-gcm key must be 32 bytes");
  }
  std::string out(kGcmNonceBytes + plaintext.size() + kGcmTagBytes, '\0');
  auto* data = reinterpret_cast<unsigned char*>(out.data());
  random.fill({data, kGcmNonceBytes});
  const std::string_view nonce(out.data(), kGcmNonceBytes);
  if (!gcm(true, key, nonce, aad, plaintext, data + kGcmNonceBytes,
           {data + kGcmNonceBytes + plaintext.size(), kGcmTagBytes})) {
    return makeError(ErrorCode::kInternal, "aes-gcm encryption failed");
  }
  return out;
}

Result<SecretString> aes256GcmOpen(std::string_view key, std::string_view sealed,
                                   std::string_view aad) {
  if (key.size() != kAes256KeyBytes) {
    return makeError(ErrorCode::kInternal, "aes-256-gcm key must be 32 bytes");
  }
  if (sealed.size() < kGcmNonceBytes + kGcmTagBytes) {
    return openFailed();
  }
  return aesGcmDecrypt(key, sealed.substr(0, kGcmNonceBytes), sealed.substr(kGcmNonceBytes), aad,
                       kGcmTagBytes);
}

}  // namespace gatehouse::crypto
