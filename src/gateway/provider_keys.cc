#include <gatehouse/config/config.h>
#include <gatehouse/gateway/provider_keys.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace gatehouse::gateway {

ConfigProviderKeys::ConfigProviderKeys(const std::vector<config::ProviderConfig>& providers) {
  for (const auto& provider : providers) {
    Entry entry;
    if (!provider.api_key_env.empty()) {
      entry.configured = true;
      if (const char* value = std::getenv(provider.api_key_env.c_str())) {
        entry.key = SecretString(value);
      }
    } else if (!provider.api_key_file.empty()) {
      entry.configured = true;
      std::ifstream in(provider.api_key_file, std::ios::binary);
      if (!in) {
        throw std::runtime_error("provider '" + provider.name + "': cannot read api_key_file " +
                                 provider.api_key_file);
      }
      std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.pop_back();
      }
      entry.key = SecretString(std::move(text));
    }
    keys_.emplace(provider.name, std::move(entry));
  }
}

Result<SecretString> ConfigProviderKeys::keyFor(std::string_view provider) const {
  const auto it = keys_.find(provider);
  if (it == keys_.end()) {
    return makeError(ErrorCode::kInternal, "unknown provider");
  }
  if (it->second.configured && it->second.key.empty()) {
    return makeError(ErrorCode::kUpstreamError,
                     "No API key is configured for provider '" + std::string(provider) + "'.");
  }
  return SecretString(std::string(it->second.key.reveal()));
}

}  // namespace gatehouse::gateway
