#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace gatehouse::config {

using std::chrono::milliseconds;

/// Thrown by loadConfig(): configuration errors stop start-up with a message naming the key.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TlsConfig {
  std::string cert_file;  ///< PEM certificate chain; TLS is on when both files are set.
  std::string key_file;   ///< PEM private key.
  bool enabled() const { return !cert_file.empty() && !key_file.empty(); }
};

struct ServerConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  unsigned threads = 0;                          ///< 0: one per core.
  std::size_t max_body_bytes = 4 * 1024 * 1024;  ///< Larger bodies get 413.
  std::size_t max_header_bytes = 16 * 1024;      ///< Larger headers get 431.
  milliseconds header_timeout{10'000};  ///< From a request's first byte to its last header byte.
  milliseconds body_timeout{30'000};    ///< For the whole body once the headers are in.
  milliseconds idle_timeout{60'000};    ///< Keep-alive connection with no request in flight.
  milliseconds write_timeout{30'000};   ///< A client that stops reading is dropped after this.
  milliseconds shutdown_grace{30'000};  ///< SIGTERM: in-flight work gets this long to finish.
  std::size_t max_connections = 10'000;
  bool access_log = true;
  TlsConfig tls;
};

enum class ProviderType { kOpenAI, kAnthropic, kOpenAICompatible, kCerebras };

struct ProviderConfig {
  std::string name;
  ProviderType type = ProviderType::kOpenAI;
  std::string base_url;      ///< e.g. https://api.openai.com/v1 or https://api.anthropic.com
  std::string api_key_env;   ///< Name of the environment variable holding the key.
  std::string api_key_file;  ///< Or: a file holding it (Docker/Kubernetes secrets).
  std::string ca_file;       ///< Extra CA bundle to trust for this upstream (private CAs).
  /// Addresses the egress policy checked for a tenant's provider: connect only to these.
  std::vector<std::string> pinned_addresses;
};

struct DeploymentConfig {
  std::string provider;  ///< A ProviderConfig name.
  std::string model;     ///< The model name the upstream expects.
  std::uint32_t weight = 1;
  milliseconds timeout{60'000};  ///< Until the upstream's response headers arrive.
};

struct ModelConfig {
  std::string name;  ///< What callers put in "model".
  std::vector<DeploymentConfig> deployments;
};

struct RoutingConfig {
  std::uint32_t max_attempts = 2;   ///< Per deployment, before falling back to the next.
  milliseconds retry_backoff{100};  ///< First backoff; doubles per retry, with jitter.
  milliseconds max_retry_backoff{2'000};
};

/// Guardrail policies (PII, secrets, prompt injection, custom rules): each is a TOML policy
/// file (see gatehouse::guardrails::parsePolicyToml), applied to every key (`default_policy`)
/// or to chosen keys.
struct GuardrailsConfig {
  struct NamedPolicy {
    std::string name;
    std::string file;
  };
  struct KeyPolicy {
    std::string key_id;
    std::string policy;
  };
  std::string default_policy;  ///< Empty: keys without their own policy are not guarded.
  std::vector<NamedPolicy> policies;
  std::vector<KeyPolicy> key_policies;
  std::size_t stream_window_bytes = 256;  ///< Output look-behind on streams.
};

/// Where tenant-supplied provider base URLs may point (see http::EgressGuard).
struct EgressConfig {
  std::vector<std::string> allow_cidrs;       ///< Non-public ranges the operator allows.
  std::vector<std::string> allow_http_hosts;  ///< Hosts that may use plain http.
};

struct Config {
  /// "production" refuses to start without a master key; "development" generates one.
  /// GATEHOUSE_ENV=production overrides the file.
  std::string mode = "development";
  EgressConfig egress;
  std::chrono::seconds rotation_overlap{24 * 3600};  ///< Default caller-key rotation overlap.
  std::chrono::seconds retention_interval{3600};     ///< How often retention runs.
  ServerConfig server;
  std::string data_dir = "./data";
  RoutingConfig routing;
  std::vector<ProviderConfig> providers;
  std::vector<ModelConfig> models;
  std::int64_t default_max_tokens = 4096;  ///< For Anthropic upstreams when callers omit it.
  GuardrailsConfig guardrails;
  std::size_t usage_batch_size = 256;
  milliseconds usage_flush_interval{100};
};

/// Parses a TOML file. Unknown keys are errors (a typo must not silently fall back to a
/// default); every reference (deployment -> provider) is checked.
Config loadConfig(const std::string& path);

/// The configuration used without --config: OpenAI and Anthropic with keys from
/// OPENAI_API_KEY / ANTHROPIC_API_KEY and a few common model names.
Config defaultConfig();

/// Parses "host:port" ("127.0.0.1:8080", "[::1]:0").
void parseListen(const std::string& listen, ServerConfig& server);

std::string_view providerTypeName(ProviderType type);
std::optional<ProviderType> providerTypeFromName(std::string_view name);

}  // namespace gatehouse::config
