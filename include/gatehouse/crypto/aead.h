#pragma once

#include <gatehouse/common/result.h>
#include <gatehouse/common/secret.h>
#include <gatehouse/crypto/random.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace gatehouse::crypto {

inline constexpr std::size_t kAes256KeyBytes = 32;
inline constexpr std::size_t kGcmNonceBytes = 12;
inline constexpr std::size_t kGcmTagBytes = 16;

/// AES-256-GCM with a fresh random 96-bit nonce drawn from `random`. Returns
/// nonce(12) || ciphertext || tag(16). `key` must be 32 bytes (else kInternal error).
/// Thread-safe when `random` is.
Result<std::string> aes256GcmSeal(std::string_view key, std::string_view plaintext,
                                  std::string_view aad, RandomSource& random);

/// Opens what aes256GcmSeal produced. Any change to key, nonce, ciphertext, tag or aad fails
/// closed: an Error (code kInternal, message "decryption failed: ciphertext, key or context
/// mismatch"), never partial or garbage plaintext (the plaintext is decrypted into a buffer that
/// is wiped on failure).
Result<SecretString> aes256GcmOpen(std::string_view key, std::string_view sealed,
                                   std::string_view aad);

/// The general form, for test vectors: any nonce length (> 0) and tag length (12..16 bytes),
/// key of 16/24/32 bytes. Encrypt returns ciphertext||tag. Production code uses the
/// aes256Gcm* pair above, which fixes the nonce size and draws the nonce itself.
Result<std::string> aesGcmEncrypt(std::string_view key, std::string_view nonce,
                                  std::string_view plaintext, std::string_view aad,
                                  std::size_t tag_bytes);

/// Inverse of aesGcmEncrypt; fails closed exactly as aes256GcmOpen does.
Result<SecretString> aesGcmDecrypt(std::string_view key, std::string_view nonce,
                                   std::string_view ciphertext_and_tag, std::string_view aad,
                                   std::size_t tag_bytes);

}  // namespace gatehouse::crypto
