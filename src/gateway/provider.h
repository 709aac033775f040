#pragma once

#include <gatehouse/config/config.h>
#include <gatehouse/http/client.h>
#include <gatehouse/providers/dialect.h>

#include <string>
#include <vector>

namespace gatehouse::gateway {

/// A configured provider, resolved once at start-up into what the request path needs.
struct Provider {
  std::string name;
  config::ProviderType type;
  providers::Dialect dialect;
  http::Endpoint endpoint;
  std::string chat_target;        ///< Path for chat (OpenAI) or messages (Anthropic).
  std::string embeddings_target;  ///< Empty when the provider has no embeddings API.

  /// The headers every request to this provider carries, the credential among them.
  std::vector<http::Header> requestHeaders(std::string_view api_key) const;
};

/// Throws std::runtime_error (start-up) when the base URL is not usable.
Provider makeProvider(const config::ProviderConfig& config);

/// The upstream's rate-limit headers worth relaying to the caller.
bool isRateLimitHeader(std::string_view name);

}  // namespace gatehouse::gateway
