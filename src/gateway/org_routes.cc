// Per-organisation routing: the instance's providers and models, plus what an organisation
// added through the admin API, with tenant base URLs egress-checked and pinned.

#include "router.h"

#include <gatehouse/common/log.h>
#include <gatehouse/config/config.h>
#include <gatehouse/crypto/random.h>
#include <gatehouse/gateway/org_routes.h>
#include <gatehouse/http/client.h>
#include <gatehouse/http/egress.h>
#include <gatehouse/store/database.h>
#include <gatehouse/tenancy/tenant_store.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <set>

namespace gatehouse::gateway {
namespace {

namespace json = boost::json;

// The organisation's own models, parsed from their stored deployments JSON (which the admin
// API validated when it wrote it). Deployments on providers that are not available are
// dropped; a model left with none is dropped.
std::vector<config::ModelConfig> orgModels(const std::vector<tenancy::OrgModel>& models,
                                           const std::set<std::string, std::less<>>& providers) {
  std::vector<config::ModelConfig> out;
  for (const auto& model : models) {
    boost::system::error_code ec;
    const json::value deployments = json::parse(model.deployments, ec);
    if (ec || !deployments.is_array()) {
      continue;
    }
    config::ModelConfig parsed;
    parsed.name = model.name;
    for (const auto& item : deployments.as_array()) {
      const json::object* object = item.if_object();
      if (!object) {
        continue;
      }
      const auto* provider = object->if_contains("provider");
      const auto* upstream = object->if_contains("model");
      if (!provider || !provider->is_string() || !upstream || !upstream->is_string() ||
          !providers.contains(std::string_view(provider->as_string()))) {
        continue;
      }
      config::DeploymentConfig deployment;
      deployment.provider = std::string(provider->as_string());
      deployment.model = std::string(upstream->as_string());
      if (const auto* weight = object->if_contains("weight"); weight && weight->is_int64()) {
        deployment.weight = static_cast<std::uint32_t>(weight->as_int64());
      }
      if (const auto* timeout = object->if_contains("timeout_ms"); timeout && timeout->is_int64()) {
        deployment.timeout = std::chrono::milliseconds(timeout->as_int64());
      }
      parsed.deployments.push_back(std::move(deployment));
    }
    if (!parsed.deployments.empty()) {
      out.push_back(std::move(parsed));
    }
  }
  return out;
}

}  // namespace

OrgRoutes::OrgRoutes(std::unique_ptr<store::Database> db, const config::Config& config,
                     const http::EgressGuard& egress, std::chrono::milliseconds recheck_interval)
    : db_(std::move(db)),
      config_(config),
      egress_(egress),
      recheck_interval_(recheck_interval),
      routes_(std::make_shared<const Map>()) {}

OrgRoutes::~OrgRoutes() = default;

OrgRoutes::OrgView OrgRoutes::forOrg(std::string_view org_id) const {
  const std::shared_ptr<const Map> routes = routes_.load(std::memory_order_acquire);
  OrgView view;
  if (const auto it = routes->routers.find(org_id); it != routes->routers.end()) {
    view.router = it->second;
  }
  view.content_history = routes->content_history.contains(org_id);
  return view;
}

Result<void> OrgRoutes::refresh() {
  tenancy::TenantStore store(*db_);
  auto counter = store.changeCounter("tenancy");
  if (!counter) {
    return counter.takeError();
  }
  const auto now = std::chrono::steady_clock::now();
  if (*counter == seen_counter_ && now < next_check_) {
    return {};
  }
  const auto instance = tenancy::ScopeGrant::instance();
  auto orgs = store.listOrganizations(instance);
  if (!orgs) {
    return orgs.takeError();
  }
  auto routes = std::make_shared<Map>();
  for (const auto& org : *orgs) {
    if (org.content_history) {
      routes->content_history.insert(org.id);
    }
    auto scope = store.enter(instance, org.id);
    if (!scope || !*scope) {
      continue;
    }
    auto providers = store.listProviders(**scope);
    auto models = store.listModels(**scope);
    if (!providers || !models) {
      return providers ? models.takeError() : providers.takeError();
    }
    if (providers->empty() && models->empty()) {
      continue;
    }
    config::Config routed = config_;
    std::set<std::string, std::less<>> available;
    for (const auto& provider : config_.providers) {
      available.insert(provider.name);
    }
    for (const auto& provider : *providers) {
      const auto type = config::providerTypeFromName(provider.type);
      auto endpoint = http::parseBaseUrl(provider.base_url);
      auto checked = endpoint ? egress_.check(*endpoint) : Result<http::Endpoint>(endpoint.error());
      if (!type || !checked) {
        log::warn("tenant_provider_refused",
                  {{"org_id", org.id},
                   {"provider", provider.name},
                   {"reason", checked ? std::string("unknown type") : checked.error().message}});
        continue;
      }
      config::ProviderConfig added;
      added.name = provider.name;
      added.type = *type;
      added.base_url = provider.base_url;
      added.pinned_addresses = checked->pinned_addresses;
      routed.providers.push_back(std::move(added));
      available.insert(provider.name);
    }
    // The organisation's models win over the instance's of the same name.
    std::vector<config::ModelConfig> own = orgModels(*models, available);
    std::set<std::string, std::less<>> own_names;
    for (const auto& model : own) {
      own_names.insert(model.name);
    }
    for (const auto& model : config_.models) {
      if (!own_names.contains(model.name)) {
        own.push_back(model);
      }
    }
    routed.models = std::move(own);
    try {
      routes->routers.emplace(org.id, std::make_shared<const Router>(routed));
    } catch (const std::exception& e) {
      log::warn("tenant_routes_refused", {{"org_id", org.id}, {"error", e.what()}});
    }
  }
  routes_.store(std::move(routes), std::memory_order_release);
  seen_counter_ = *counter;
  next_check_ = now + recheck_interval_;
  return {};
}

}  // namespace gatehouse::gateway
