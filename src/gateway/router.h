#pragma once

#include "provider.h"

#include <gatehouse/config/config.h>
#include <gatehouse/crypto/random.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace gatehouse::gateway {

/// One place a model can be served from.
struct Deployment {
  const Provider* provider = nullptr;
  std::string upstream_model;
  std::uint32_t weight = 1;
  std::chrono::milliseconds timeout{60'000};
  std::string label;  ///< "<provider>/<upstream model>", for usage records and logs.
};

/// Maps a model name to the deployments that serve it.
class Router {
 public:
  /// Throws std::runtime_error (start-up) on a configuration it cannot serve.
  explicit Router(const config::Config& config);

  bool knows(std::string_view model) const { return models_.count(model) > 0; }
  const std::vector<std::string>& modelNames() const { return names_; }

  /// The order to try a model's deployments in: highest weight first; deployments of equal
  /// weight share the load (their order is drawn at random each time). Empty when the model is
  /// unknown.
  std::vector<const Deployment*> plan(std::string_view model, crypto::RandomSource& random) const;

 private:
  std::vector<Provider> providers_;
  std::map<std::string, std::vector<Deployment>, std::less<>> models_;
  std::vector<std::string> names_;
};

}  // namespace gatehouse::gateway
