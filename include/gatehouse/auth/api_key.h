#pragma once

#include <gatehouse/common/secret.h>
#include <gatehouse/crypto/hmac.h>
#include <gatehouse/crypto/random.h>

#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::auth {

/// Caller keys look like `gtk_` + 16 base62 id chars + 43 base62 secret chars (256 bits) +
/// 6 base62 checksum chars (CRC-32 of everything before it). The prefix and the checksum let
/// secret scanners recognise a Gatehouse key offline; the id is not secret and is how the
/// server finds the key's record without a table scan.
inline constexpr std::string_view kCallerKeyPrefix = "gtk_";
/// Admin API keys have the same shape under their own prefix, so neither kind of key can be
/// mistaken for the other (a caller key never opens the admin API, and the reverse).
inline constexpr std::string_view kAdminKeyPrefix = "gha_";
inline constexpr std::size_t kKeyIdLength = 16;
inline constexpr std::size_t kKeySecretLength = 43;
inline constexpr std::size_t kKeyChecksumLength = 6;
inline constexpr std::size_t kCallerKeyLength =
    kCallerKeyPrefix.size() + kKeyIdLength + kKeySecretLength + kKeyChecksumLength;

struct GeneratedKey {
  std::string id;
  SecretString key;  ///< Shown to the user once, never stored.
  crypto::Sha256Digest hash;
};

/// Draws a new key from `random` and hashes it under `pepper`.
GeneratedKey generateCallerKey(crypto::RandomSource& random, const SecretString& pepper);
GeneratedKey generateAdminKey(crypto::RandomSource& random, const SecretString& pepper);

/// The key id of a well-formed key (prefix, length, alphabet and checksum all correct), or
/// nothing. Says nothing about whether the key exists.
std::optional<std::string_view> parseCallerKey(std::string_view presented);
std::optional<std::string_view> parseAdminKey(std::string_view presented);

/// What is stored: HMAC-SHA-256 of the full key under the server's pepper.
crypto::Sha256Digest hashCallerKey(const SecretString& pepper, std::string_view key);

}  // namespace gatehouse::auth
