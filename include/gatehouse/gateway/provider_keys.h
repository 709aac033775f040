#pragma once

#include <gatehouse/common/result.h>
#include <gatehouse/common/secret.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::config {
struct ProviderConfig;
}
namespace gatehouse::auth {
struct CallerIdentity;
}
namespace gatehouse::keyring {
class Keyring;
}
namespace gatehouse::store {
class Database;
}
namespace gatehouse::audit {
class AuditSink;
}

namespace gatehouse::gateway {

/// Where the data plane gets the key to forward to a provider. The only reader of provider
/// keys; implementations must be thread-safe. The returned secret is the caller's to wipe
/// (SecretString does so when it goes out of scope, right after the request is forwarded).
class ProviderKeyStore {
 public:
  virtual ~ProviderKeyStore() = default;
  /// The key to call `provider` with on behalf of `caller` (its organisation and project).
  virtual Result<SecretString> keyFor(const auth::CallerIdentity& caller,
                                      std::string_view provider) const = 0;
};

/// Keys named by the configuration: `api_key_env` or `api_key_file`, read once at start-up.
/// A provider without either gets no key (local servers such as Ollama need none).
class ConfigProviderKeys final : public ProviderKeyStore {
 public:
  /// Throws at start-up when a named file cannot be read, or a key holds a character an HTTP
  /// header cannot carry.
  explicit ConfigProviderKeys(const std::vector<config::ProviderConfig>& providers);
  Result<SecretString> keyFor(const auth::CallerIdentity& caller,
                              std::string_view provider) const override;
  Result<SecretString> keyFor(std::string_view provider) const;

 private:
  struct Entry {
    SecretString key;
    bool configured = false;  ///< A source was named (an empty value is then an error).
  };
  std::map<std::string, Entry, std::less<>> keys_;
};

/// Organisations' own (BYOK) keys, sealed in the database under each organisation's data
/// key, with the configured keys as the fallback for providers an organisation brought no key
/// for. A project's own key wins over its organisation's. The index of sealed rows is
/// replaced wholesale by refresh() when the tenancy change counter moves; a key is decrypted
/// only for the request that forwards with it, and the plaintext is the caller's to wipe.
class TenantProviderKeys final : public ProviderKeyStore {
 public:
  /// `db` is owned and used only from refresh(); the rest is borrowed. A key that fails to
  /// decrypt is audited as "provider_key.use_denied" through `audit`.
  TenantProviderKeys(std::unique_ptr<store::Database> db, keyring::Keyring& keyring,
                     const ConfigProviderKeys& fallback, audit::AuditSink& audit);
  ~TenantProviderKeys() override;

  Result<SecretString> keyFor(const auth::CallerIdentity& caller,
                              std::string_view provider) const override;
  /// Reloads the index if provider keys changed. Thread-safe with keyFor().
  Result<void> refresh();

 private:
  struct Sealed {
    std::string id;
    std::string project_id;  ///< Empty: the whole organisation.
    std::string ciphertext;
  };
  /// Organisation -> provider -> its sealed keys.
  using Index =
      std::map<std::string, std::map<std::string, std::vector<Sealed>, std::less<>>, std::less<>>;

  std::unique_ptr<store::Database> db_;
  keyring::Keyring& keyring_;
  const ConfigProviderKeys& fallback_;
  audit::AuditSink& audit_;
  std::atomic<std::shared_ptr<const Index>> index_;
  std::int64_t seen_counter_ = -1;  // Touched only by refresh().
};

}  // namespace gatehouse::gateway
