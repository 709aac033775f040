#include <gatehouse/audit/audit_writer.h>
#include <gatehouse/auth/key_store.h>
#include <gatehouse/common/log.h>
#include <gatehouse/config/config.h>
#include <gatehouse/crypto/random.h>
#include <gatehouse/gateway/provider_keys.h>
#include <gatehouse/http/types.h>
#include <gatehouse/keyring/keyring.h>
#include <gatehouse/store/database.h>
#include <gatehouse/tenancy/tenant_store.h>

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
    if (!http::isValidFieldValue(entry.key.reveal())) {
      throw std::runtime_error("provider '" + provider.name +
                               "': the API key has characters an HTTP header cannot carry "
                               "(a line break or another control character)");
    }
    keys_.emplace(provider.name, std::move(entry));
  }
}

Result<SecretString> ConfigProviderKeys::keyFor(const auth::CallerIdentity&,
                                                std::string_view provider) const {
  return keyFor(provider);
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

TenantProviderKeys::TenantProviderKeys(std::unique_ptr<store::Database> db,
                                       keyring::Keyring& keyring,
                                       const ConfigProviderKeys& fallback, audit::AuditSink& audit)
    : db_(std::move(db)),
      keyring_(keyring),
      fallback_(fallback),
      audit_(audit),
      index_(std::make_shared<const Index>()) {}

TenantProviderKeys::~TenantProviderKeys() = default;

Result<SecretString> TenantProviderKeys::keyFor(const auth::CallerIdentity& caller,
                                                std::string_view provider) const {
  const std::shared_ptr<const Index> index = index_.load(std::memory_order_acquire);
  const auto org = index->find(caller.org_id);
  if (org == index->end()) {
    return fallback_.keyFor(provider);
  }
  const auto it = org->second.find(provider);
  if (it == org->second.end()) {
    return fallback_.keyFor(provider);
  }
  const Sealed* chosen = nullptr;
  for (const Sealed& sealed : it->second) {
    if (sealed.project_id == caller.project_id) {
      chosen = &sealed;
      break;
    }
    if (sealed.project_id.empty() && !chosen) {
      chosen = &sealed;
    }
  }
  if (!chosen) {
    return fallback_.keyFor(provider);
  }
  auto opened = keyring_.open(caller.org_id, chosen->ciphertext,
                              tenancy::providerKeyAad(caller.org_id, chosen->id, provider));
  if (!opened) {
    // A corrupted, swapped or shredded row: refuse the request rather than fall back to
    // another key the organisation did not choose.
    log::error(
        "provider_key_decrypt_failed",
        {{"org_id", caller.org_id}, {"provider_key_id", chosen->id}, {"provider", provider}});
    return makeError(ErrorCode::kUpstreamError,
                     "The provider key for '" + std::string(provider) +
                         "' could not be decrypted; the request was not forwarded.");
  }
  return opened;
}

Result<void> TenantProviderKeys::refresh() {
  tenancy::TenantStore store(*db_);
  auto counter = store.changeCounter("tenancy");
  if (!counter) {
    return counter.takeError();
  }
  if (*counter == seen_counter_) {
    return {};
  }
  auto rows = store.allSealedProviderKeys(tenancy::ScopeGrant::instance());
  if (!rows) {
    return rows.takeError();
  }
  auto index = std::make_shared<Index>();
  for (auto& row : *rows) {
    (*index)[row.org_id][row.provider].push_back(
        Sealed{std::move(row.id), std::move(row.project_id), std::move(row.ciphertext)});
  }
  index_.store(std::move(index), std::memory_order_release);
  seen_counter_ = *counter;
  return {};
}

}  // namespace gatehouse::gateway
