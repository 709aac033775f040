#pragma once

#include <gatehouse/auth/api_key.h>
#include <gatehouse/common/clock.h>
#include <gatehouse/common/result.h>
#include <gatehouse/common/secret.h>
#include <gatehouse/crypto/hmac.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

namespace gatehouse::store {
class Database;
}

namespace gatehouse::auth {

/// Who a verified caller key belongs to, as the data plane needs it.
struct CallerIdentity {
  std::string key_id;
  std::string org_id;
  std::string project_id;
  std::vector<std::string> scopes;  ///< Allowed models; empty allows every model.
  std::optional<std::int64_t> expires_at;

  bool allowsModel(std::string_view model) const;
};

/// Why a presented key was refused. Only ever logged; the caller gets one uniform 401.
enum class KeyRejection { kMissing, kMalformed, kUnknownOrRevoked, kWrongSecret, kExpired };

/// The hot-path check: an in-memory map from key id to identity and hash, replaced wholesale
/// by refresh() when the database's change counter moves (so revocation applies within one
/// refresh interval), and read without locks.
class KeyVerifier {
 public:
  /// `db` is a connection this verifier owns and uses only from refresh().
  KeyVerifier(std::unique_ptr<store::Database> db, SecretString pepper, const Clock& clock);
  ~KeyVerifier();

  using Verdict = std::variant<std::shared_ptr<const CallerIdentity>, KeyRejection>;
  /// The identity behind a valid, unexpired key, or the reason it was refused. Runs in
  /// constant time with respect to the secret, and does the same HMAC work whether or not the
  /// id exists.
  Verdict verify(std::string_view presented) const;

  /// Reloads the cache if the keys changed since the last call. Thread-safe.
  Result<void> refresh();

 private:
  struct Entry {
    crypto::Sha256Digest hash;
    std::shared_ptr<const CallerIdentity> identity;
  };
  // Looked up by the presented key's id without copying it into a std::string.
  struct IdHash : std::hash<std::string_view> {
    using is_transparent = void;
  };
  using KeyMap = std::unordered_map<std::string, Entry, IdHash, std::equal_to<>>;
  std::unique_ptr<store::Database> db_;
  crypto::HmacSha256Key pepper_;  // hashCallerKey() under the server pepper, pre-keyed.
  const Clock& clock_;
  std::atomic<std::shared_ptr<const KeyMap>> keys_;
  std::int64_t seen_counter_ = -1;  // Touched only by refresh().
};

/// The server pepper: GATEHOUSE_PEPPER, GATEHOUSE_PEPPER_FILE, or `<data_dir>/pepper`
/// (created with 0600 permissions on first use). Throws at start-up on failure.
SecretString loadPepper(const std::string& data_dir, crypto::RandomSource& random);

}  // namespace gatehouse::auth
