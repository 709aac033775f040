#include <gatehouse/auth/api_key.h>
#include <gatehouse/crypto/encoding.h>

namespace gatehouse::auth {
namespace {

void appendRandomBase62(std::string& out, std::size_t count, crypto::RandomSource& random) {
  for (std::size_t i = 0; i < count; ++i) {
    out += crypto::kBase62Alphabet[random.uniform(62)];
  }
}

GeneratedKey generateKey(std::string_view prefix, crypto::RandomSource& random,
                         const SecretString& pepper) {
  std::string key;
  key.reserve(kCallerKeyLength);
  key += prefix;
  appendRandomBase62(key, kKeyIdLength, random);
  appendRandomBase62(key, kKeySecretLength, random);  // 43 * log2(62) = 256.03 bits.
  key += crypto::base62Fixed(crypto::crc32(key), kKeyChecksumLength);
  GeneratedKey generated;
  generated.id = key.substr(prefix.size(), kKeyIdLength);
  generated.hash = hashCallerKey(pepper, key);
  generated.key = SecretString(std::move(key));
  return generated;
}

std::optional<std::string_view> parseKey(std::string_view prefix, std::string_view presented) {
  if (presented.size() != kCallerKeyLength || !presented.starts_with(prefix)) {
    return std::nullopt;
  }
  const std::string_view body = presented.substr(prefix.size());
  if (!crypto::isBase62(body)) {
    return std::nullopt;
  }
  const std::string_view checked = presented.substr(0, kCallerKeyLength - kKeyChecksumLength);
  const std::string_view checksum = presented.substr(kCallerKeyLength - kKeyChecksumLength);
  if (crypto::base62Fixed(crypto::crc32(checked), kKeyChecksumLength) != checksum) {
    return std::nullopt;
  }
  return body.substr(0, kKeyIdLength);
}

}  // namespace

GeneratedKey generateCallerKey(crypto::RandomSource& random, const SecretString& pepper) {
  return generateKey(kCallerKeyPrefix, random, pepper);
}

GeneratedKey generateAdminKey(crypto::RandomSource& random, const SecretString& pepper) {
  return generateKey(kAdminKeyPrefix, random, pepper);
}

std::optional<std::string_view> parseCallerKey(std::string_view presented) {
  return parseKey(kCallerKeyPrefix, presented);
}

std::optional<std::string_view> parseAdminKey(std::string_view presented) {
  return parseKey(kAdminKeyPrefix, presented);
}

crypto::Sha256Digest hashCallerKey(const SecretString& pepper, std::string_view key) {
  return crypto::hmacSha256(pepper.reveal(), key);
}

}  // namespace gatehouse::auth
