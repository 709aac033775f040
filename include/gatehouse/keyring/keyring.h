#pragma once

#include <gatehouse/common/clock.h>
#include <gatehouse/common/result.h>
#include <gatehouse/common/secret.h>
#include <gatehouse/crypto/locked_buffer.h>
#include <gatehouse/crypto/random.h>

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace gatehouse::store {
class Database;
}  // namespace gatehouse::store

namespace gatehouse::keyring {

/// The fewest characters of master-key material accepted from any source.
inline constexpr std::size_t kMinMasterKeyChars = 32;

/// The root of envelope encryption: the keys derived (HKDF-SHA-256, salt
/// "gatehouse/master-key/v1") from the operator's master-key material. The material itself is not
/// kept. The derived keys live in locked, read-only memory. Non-copyable, movable, and
/// deliberately not printable. Reading is thread-safe.
class MasterKey {
 public:
  /// Derives the key-encryption key (info "kek").
  /// Throws std::invalid_argument when `ikm` is shorter than kMinMasterKeyChars, and
  /// std::runtime_error when derivation fails: only called at start-up and by the CLI.
  static MasterKey fromMaterial(SecretString ikm);

  MasterKey(const MasterKey&) = delete;
  MasterKey& operator=(const MasterKey&) = delete;
  MasterKey(MasterKey&&) noexcept = default;
  MasterKey& operator=(MasterKey&&) noexcept = default;
  ~MasterKey() = default;

  /// A non-secret fingerprint (16 hex characters: the first 8 bytes of
  /// HMAC-SHA-256(KEK, "gatehouse/kek-id")), stored beside each wrapped data key so the keyring
  /// knows which master key wrapped it. Safe to log.
  std::string id() const { return id_; }
  /// The 32-byte key-encryption key, which wraps data keys. Never log or persist it.
  std::string_view kek() const { return kek_.view(); }

 private:
  MasterKey(crypto::LockedSecret kek, std::string id);
  crypto::LockedSecret kek_;
  std::string id_;
};

/// The master keys a process starts with, and where they came from (for the start-up log).
struct MasterKeySource {
  MasterKey current;
  /// The key before the last rotation, accepted for unwrapping only.
  std::optional<MasterKey> previous;
  /// True when no key was configured and the development key file is in use: the caller logs a
  /// loud warning on every start.
  bool using_dev_key = false;
  /// True when this start created the development key file.
  bool generated_dev_key = false;
  /// The development key file's path, when using_dev_key.
  std::string dev_key_path;
};

/// Loads the master keys from the environment: GATEHOUSE_MASTER_KEY (the material itself) or
/// GATEHOUSE_MASTER_KEY_FILE (a file holding it, trailing newline trimmed), and optionally
/// GATEHOUSE_MASTER_KEY_PREVIOUS / GATEHOUSE_MASTER_KEY_PREVIOUS_FILE. An empty variable counts
/// as unset. Material must be at least kMinMasterKeyChars characters. With no current key,
/// production refuses to start; development uses `<data_dir>/master.key`, creating it (mode
/// 0600, 64 hex characters from `random`) when missing. Throws std::runtime_error with a message
/// that never contains key material: only called at start-up.
MasterKeySource loadMasterKeys(const std::string& data_dir, bool production,
                               crypto::RandomSource& random);

/// Loads one master key from a file (the rotate command's --new-key-file), with the same
/// trimming and length rule. Throws std::runtime_error.
MasterKey loadMasterKeyFile(const std::string& path);

/// The keyring's own schema, applied by store::Database::open(path, keyringMigrations()).
std::span<const std::string_view> keyringMigrations();

/// The keyring database inside a data directory: a file of its own, so a backup or dump of the
/// main database holds only ciphertext, and deleting a row here crypto-shreds an organisation's
/// data in every copy of the main database.
std::string keyringPath(const std::string& data_dir);

/// Opens (creating and migrating) `<data_dir>/keyring.db` with secure_delete on. Throws
/// std::runtime_error: only called at start-up.
std::unique_ptr<store::Database> openKeyringDatabase(const std::string& data_dir);

/// Envelope encryption per organisation: each organisation has a random 256-bit data key (DEK),
/// stored wrapped (AES-256-GCM) by the master key's KEK in the keyring database. Data is sealed
/// with the organisation's DEK. Unwrapped DEKs are cached in locked memory for the life of the
/// Keyring, so the data plane does not unwrap per request.
///
/// Thread-safe: one mutex guards the connection and the cache. Sealing and opening use the
/// cached key outside the lock, so `random` must be thread-safe too (SystemRandom is).
///
/// Another process (the CLI) may rewrap the rows while this Keyring runs: cached DEKs stay valid
/// because rotation never changes a DEK. A DEK destroyed by another process stays usable from
/// this process's cache until it restarts.
class Keyring {
 public:
  /// `db` is a keyring database (openKeyringDatabase). `current` wraps new data keys; `previous`
  /// is only used to unwrap. `random` and `clock` must outlive the Keyring. Throws
  /// std::runtime_error when secure_delete cannot be enabled: only called at start-up.
  Keyring(std::unique_ptr<store::Database> db, MasterKey current, std::optional<MasterKey> previous,
          crypto::RandomSource& random, const Clock& clock);
  Keyring(const Keyring&) = delete;
  Keyring& operator=(const Keyring&) = delete;
  ~Keyring();

  /// Creates the organisation's data key, wrapped by the current master key. Idempotent: a no-op
  /// when one exists (also when another process created it a moment ago).
  Result<void> createDataKey(std::string_view org_id);

  /// Crypto-shredding: deletes the organisation's wrapped data key (secure_delete overwrites it),
  /// drops the cached copy, and truncates the write-ahead log so no copy is left in the file.
  /// True when a key existed. An Error when the log could not be truncated because another
  /// connection is reading: the key is gone from the table, and calling again retries the purge.
  Result<bool> destroyDataKey(std::string_view org_id);

  /// Seals `plaintext` under the organisation's data key, bound to `aad` and the organisation id.
  /// Fails when the organisation has no data key.
  Result<std::string> seal(std::string_view org_id, std::string_view plaintext,
                           std::string_view aad);

  /// Opens what seal produced for the same organisation and `aad`; fails closed on any mismatch
  /// and when the organisation's data key was destroyed.
  Result<SecretString> open(std::string_view org_id, std::string_view sealed, std::string_view aad);

  struct RewrapReport {
    std::size_t rewrapped = 0;
    std::size_t already_current = 0;
  };

  /// Master-key rotation: unwraps every data key with whichever held key (current or previous)
  /// wrapped it and re-wraps it under `target` with a fresh nonce, in one transaction. Sealed data
  /// is never touched, only wrapped keys change. Idempotent: keys already under `target` are
  /// counted, not rewritten. All or nothing: any failure rolls back.
  Result<RewrapReport> rewrapAll(const MasterKey& target);

  /// Unwraps every data key with the held master keys, caching each, and returns how many
  /// there are; an Error naming the first organisation whose key does not unwrap.
  Result<std::size_t> verifyAll();

  struct SyncReport {
    std::size_t cached = 0;     ///< Data keys another process created, now cached here.
    std::size_t forgotten = 0;  ///< Cached data keys whose rows are gone, dropped.
  };
  /// Brings the cache in line with the keyring file: data keys created by other processes are
  /// unwrapped and cached (so a master-key rotation that follows cannot leave this process
  /// without them), and data keys destroyed by other processes (an organisation deleted from
  /// the CLI) are dropped, so crypto-shredding reaches running servers too. Called from the
  /// server's refresh loop.
  Result<SyncReport> sync();

  /// Re-wraps under the current master key every data key a server still running with the
  /// previous key wrapped during a rotation window (readable through the hand-over record the
  /// rotation left). Run at start-up; idempotent.
  Result<RewrapReport> rewrapToCurrent();

  /// A 32-byte key for an instance-wide `purpose` (e.g. "audit-chain"): HKDF-SHA-256 of the
  /// instance's own data key, created on first use. Because it hangs off a data key rather
  /// than the master key itself, a master-key rotation re-wraps it and leaves it unchanged,
  /// so servers still running with the old master key keep producing valid audit MACs.
  Result<SecretString> instanceKey(std::string_view purpose);

 private:
  using CachedKey = std::shared_ptr<const crypto::LockedSecret>;

  Result<CachedKey> dataKey(std::string_view org_id);
  Result<SecretString> unwrap(std::string_view org_id, std::string_view wrapped,
                              std::string_view kek_id) const;
  /// The KEK with this id among those held, if any.
  std::optional<std::string_view> heldKek(std::string_view kek_id) const;
  void loadHandover();
  // The rest: the caller holds mutex_.
  Result<CachedKey> loadIntoCache(std::string_view org_id);
  Result<void> bumpGeneration();
  Result<std::string> generation();

  std::mutex mutex_;
  std::unique_ptr<store::Database> db_;                  // GUARDED_BY mutex_
  std::map<std::string, CachedKey, std::less<>> cache_;  // GUARDED_BY mutex_
  std::string seen_generation_;                          // GUARDED_BY mutex_: as of sync()
  const MasterKey current_;
  const std::optional<MasterKey> previous_;
  /// The KEK a rotation to current_ handed over (the one it replaced), for data keys wrapped
  /// during the rotation window. Set once, by the constructor.
  struct HandedOver {
    std::string id;
    crypto::LockedSecret kek;
  };
  std::optional<HandedOver> handed_over_;
  crypto::RandomSource& random_;
  const Clock& clock_;
};

}  // namespace gatehouse::keyring
