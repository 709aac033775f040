#include "router.h"

#include <algorithm>
#include <stdexcept>

namespace gatehouse::gateway {

Router::Router(const config::Config& config) {
  providers_.reserve(config.providers.size());
  for (const auto& provider : config.providers) {
    providers_.push_back(makeProvider(provider));
  }
  const auto findProvider = [this](const std::string& name) -> const Provider* {
    for (const auto& provider : providers_) {
      if (provider.name == name) {
        return &provider;
      }
    }
    throw std::runtime_error("unknown provider '" + name + "'");
  };
  for (const auto& model : config.models) {
    std::vector<Deployment> deployments;
    for (const auto& entry : model.deployments) {
      Deployment deployment;
      deployment.provider = findProvider(entry.provider);
      deployment.upstream_model = entry.model;
      deployment.weight = entry.weight;
      deployment.timeout = entry.timeout;
      deployment.label = entry.provider + "/" + entry.model;
      deployments.push_back(std::move(deployment));
    }
    names_.push_back(model.name);
    models_.emplace(model.name, std::move(deployments));
  }
}

std::vector<const Deployment*> Router::plan(std::string_view model,
                                            crypto::RandomSource& random) const {
  std::vector<const Deployment*> order;
  const auto it = models_.find(model);
  if (it == models_.end()) {
    return order;
  }
  for (const auto& deployment : it->second) {
    order.push_back(&deployment);
  }
  // Fisher-Yates, then a stable sort by weight: ties stay in their random order.
  for (std::size_t i = order.size(); i > 1; --i) {
    std::swap(order[i - 1], order[random.uniform(static_cast<std::uint32_t>(i))]);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const Deployment* a, const Deployment* b) { return a->weight > b->weight; });
  return order;
}

}  // namespace gatehouse::gateway
