#include "provider.h"

#include <stdexcept>

namespace gatehouse::gateway {

// The Messages API version this gateway speaks (the one stable version Anthropic documents).
constexpr std::string_view kAnthropicVersion = "2023-06-01";

std::vector<http::Header> Provider::requestHeaders(std::string_view api_key) const {
  std::vector<http::Header> headers;
  headers.reserve(5);
  headers.push_back({"content-type", "application/json"});
  headers.push_back({"host", endpoint.host});
  if (dialect == providers::Dialect::kAnthropic) {
    headers.push_back({"anthropic-version", std::string(kAnthropicVersion)});
    if (!api_key.empty()) {
      headers.push_back({"x-api-key", std::string(api_key)});
    }
  } else if (!api_key.empty()) {
    // Built in place: a temporary std::string of the key would be freed without being wiped.
    std::string value;
    value.reserve(7 + api_key.size());
    value.append("Bearer ").append(api_key);
    headers.push_back({"authorization", std::move(value)});
  }
  return headers;
}

Provider makeProvider(const config::ProviderConfig& config) {
  auto endpoint = http::parseBaseUrl(config.base_url, config.ca_file);
  if (!endpoint) {
    throw std::runtime_error("provider '" + config.name + "': " + endpoint.error().message);
  }
  endpoint->pinned_addresses = config.pinned_addresses;
  Provider provider;
  provider.name = config.name;
  provider.type = config.type;
  provider.endpoint = std::move(*endpoint);
  const std::string& base = provider.endpoint.base_path;
  if (config.type == config::ProviderType::kAnthropic) {
    provider.dialect = providers::Dialect::kAnthropic;
    provider.chat_target = base + "/v1/messages";
  } else {
    provider.dialect = providers::Dialect::kOpenAI;
    provider.chat_target = base + "/chat/completions";
    provider.embeddings_target = base + "/embeddings";
  }
  if (config.type == config::ProviderType::kOpenAI && provider.endpoint.host.empty()) {
    throw std::runtime_error("provider '" + config.name + "' has no host");
  }
  return provider;
}

bool isRateLimitHeader(std::string_view name) {
  const auto startsWith = [name](std::string_view prefix) {
    return name.size() >= prefix.size() &&
           http::equalsIgnoreCase(name.substr(0, prefix.size()), prefix);
  };
  return http::equalsIgnoreCase(name, "retry-after") || startsWith("x-ratelimit-") ||
         startsWith("anthropic-ratelimit-");
}

}  // namespace gatehouse::gateway
