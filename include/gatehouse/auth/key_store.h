#pragma once

#include <gatehouse/auth/api_key.h>
#include <gatehouse/common/clock.h>
#include <gatehouse/common/result.h>
#include <gatehouse/common/secret.h>
#include <gatehouse/store/database.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

namespace gatehouse::auth {

struct KeyRecord {
  std::string id;
  std::string name;
  std::int64_t created_at = 0;  ///< ms since epoch.
  std::optional<std::int64_t> revoked_at;
};

/// Reads and writes caller keys in the database (the CLI and the server both use it).
class KeyRepository {
 public:
  explicit KeyRepository(store::Database& db) : db_(db) {}

  /// Stores a new key; returns its record. The plaintext is in `generated` only.
  Result<KeyRecord> create(std::string_view name, const GeneratedKey& generated,
                           std::int64_t now_ms);
  Result<std::vector<KeyRecord>> list();
  /// False when no such key exists (or it was already revoked).
  Result<bool> revoke(std::string_view id, std::int64_t now_ms);

  /// Monotonic counter bumped by every change to the keys table.
  Result<std::int64_t> changeCounter();

  struct HashedKey {
    std::string id;
    crypto::Sha256Digest hash;
  };
  /// Every key that has not been revoked, with its hash (for the verifier's cache).
  Result<std::vector<HashedKey>> activeKeys();

 private:
  Result<void> bumpChangeCounter();
  store::Database& db_;
};

/// Why a presented key was refused. Only ever logged; the caller gets one uniform 401.
enum class KeyRejection { kMissing, kMalformed, kUnknownOrRevoked, kWrongSecret };

/// The hot-path check: an in-memory map from key id to hash, replaced wholesale by refresh()
/// when the database's change counter moves (so revocation applies within one refresh
/// interval), and read without locks.
class KeyVerifier {
 public:
  /// `db` is a connection this verifier owns and uses only from refresh().
  KeyVerifier(std::unique_ptr<store::Database> db, SecretString pepper);

  /// The key id of a valid key, or the reason it was refused. Runs in constant time with
  /// respect to the secret, and does the same HMAC work whether or not the id exists.
  std::variant<std::string, KeyRejection> verify(std::string_view presented) const;

  /// Reloads the cache if the keys changed since the last call. Thread-safe.
  Result<void> refresh();

 private:
  using KeyMap = std::unordered_map<std::string, crypto::Sha256Digest>;
  std::unique_ptr<store::Database> db_;
  KeyRepository repository_;
  SecretString pepper_;
  std::atomic<std::shared_ptr<const KeyMap>> keys_;
  std::int64_t seen_counter_ = -1;  // Touched only by refresh().
};

/// The server pepper: GATEHOUSE_PEPPER, GATEHOUSE_PEPPER_FILE, or `<data_dir>/pepper`
/// (created with 0600 permissions on first use). Throws at start-up on failure.
SecretString loadPepper(const std::string& data_dir, crypto::RandomSource& random);

}  // namespace gatehouse::auth
