#pragma once

#include <gatehouse/common/result.h>
#include <gatehouse/common/secret.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::config {
struct ProviderConfig;
}

namespace gatehouse::gateway {

/// Where the data plane gets the key to forward to a provider. The only reader of provider
/// keys; implementations must be thread-safe. The returned secret is the caller's to wipe
/// (SecretString does so when it goes out of scope, right after the request is forwarded).
class ProviderKeyStore {
 public:
  virtual ~ProviderKeyStore() = default;
  virtual Result<SecretString> keyFor(std::string_view provider) const = 0;
};

/// Keys named by the configuration: `api_key_env` or `api_key_file`, read once at start-up.
/// A provider without either gets no key (local servers such as Ollama need none).
class ConfigProviderKeys final : public ProviderKeyStore {
 public:
  /// Throws at start-up when a named file cannot be read.
  explicit ConfigProviderKeys(const std::vector<config::ProviderConfig>& providers);
  Result<SecretString> keyFor(std::string_view provider) const override;

 private:
  struct Entry {
    SecretString key;
    bool configured = false;  ///< A source was named (an empty value is then an error).
  };
  std::map<std::string, Entry, std::less<>> keys_;
};

}  // namespace gatehouse::gateway
