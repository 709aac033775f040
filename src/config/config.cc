#include <gatehouse/config/config.h>

#include <toml++/toml.h>

#include <algorithm>
#include <initializer_list>
#include <set>

namespace gatehouse::config {
namespace {

// Rejects keys the schema does not know, so `max_body_byte = 1` is an error, not a no-op.
void requireKnownKeys(const toml::table& table, std::string_view where,
                      std::initializer_list<std::string_view> known) {
  for (auto&& [key, value] : table) {
    if (std::find(known.begin(), known.end(), key.str()) == known.end()) {
      throw ConfigError("unknown key '" + std::string(key.str()) + "' in " + std::string(where));
    }
  }
}

template <class T>
T get(const toml::table& table, std::string_view key, std::string_view where, T fallback) {
  const toml::node* node = table.get(key);
  if (!node) {
    return fallback;
  }
  if constexpr (std::is_same_v<T, bool>) {
    if (auto v = node->value<bool>()) {
      return *v;
    }
  } else if constexpr (std::is_integral_v<T>) {
    if (auto v = node->value<std::int64_t>(); v && *v >= 0) {
      return static_cast<T>(*v);
    }
  } else {
    if (auto v = node->value<std::string>()) {
      return *v;
    }
  }
  throw ConfigError("invalid value for '" + std::string(key) + "' in " + std::string(where));
}

milliseconds getMillis(const toml::table& table, std::string_view key, std::string_view where,
                       milliseconds fallback) {
  return milliseconds(get<std::int64_t>(table, key, where, fallback.count()));
}

const toml::table* subTable(const toml::table& table, std::string_view key) {
  const toml::node* node = table.get(key);
  if (!node) {
    return nullptr;
  }
  if (!node->is_table()) {
    throw ConfigError("'" + std::string(key) + "' must be a table");
  }
  return node->as_table();
}

ProviderType parseProviderType(const std::string& text) {
  if (const auto type = providerTypeFromName(text)) {
    return *type;
  }
  throw ConfigError("unknown provider type '" + text +
                    "' (expected openai, anthropic, openai-compatible or cerebras)");
}

std::string defaultBaseUrl(ProviderType type) {
  switch (type) {
    case ProviderType::kOpenAI:
      return "https://api.openai.com/v1";
    case ProviderType::kAnthropic:
      return "https://api.anthropic.com";
    case ProviderType::kCerebras:
      return "https://api.cerebras.ai/v1";
    case ProviderType::kOpenAICompatible:
      return "";
  }
  return "";
}

void parseServer(const toml::table& table, ServerConfig& server) {
  constexpr std::string_view kWhere = "[server]";
  requireKnownKeys(table, kWhere,
                   {"listen", "threads", "max_body_bytes", "max_header_bytes", "header_timeout_ms",
                    "body_timeout_ms", "idle_timeout_ms", "write_timeout_ms", "shutdown_grace_ms",
                    "max_connections", "access_log", "tls"});
  if (table.contains("listen")) {
    parseListen(get<std::string>(table, "listen", kWhere, ""), server);
  }
  server.threads = get<unsigned>(table, "threads", kWhere, server.threads);
  server.max_body_bytes = get<std::size_t>(table, "max_body_bytes", kWhere, server.max_body_bytes);
  server.max_header_bytes =
      get<std::size_t>(table, "max_header_bytes", kWhere, server.max_header_bytes);
  server.header_timeout = getMillis(table, "header_timeout_ms", kWhere, server.header_timeout);
  server.body_timeout = getMillis(table, "body_timeout_ms", kWhere, server.body_timeout);
  server.idle_timeout = getMillis(table, "idle_timeout_ms", kWhere, server.idle_timeout);
  server.write_timeout = getMillis(table, "write_timeout_ms", kWhere, server.write_timeout);
  server.shutdown_grace = getMillis(table, "shutdown_grace_ms", kWhere, server.shutdown_grace);
  server.max_connections =
      get<std::size_t>(table, "max_connections", kWhere, server.max_connections);
  server.access_log = get<bool>(table, "access_log", kWhere, server.access_log);
  if (const toml::table* tls = subTable(table, "tls")) {
    requireKnownKeys(*tls, "[server.tls]", {"cert_file", "key_file"});
    server.tls.cert_file = get<std::string>(*tls, "cert_file", "[server.tls]", "");
    server.tls.key_file = get<std::string>(*tls, "key_file", "[server.tls]", "");
    if (server.tls.cert_file.empty() != server.tls.key_file.empty()) {
      throw ConfigError("[server.tls] needs both cert_file and key_file");
    }
  }
  if (server.max_body_bytes == 0 || server.max_header_bytes == 0 || server.max_connections == 0) {
    throw ConfigError("[server] limits must be greater than zero");
  }
}

ProviderConfig parseProvider(const toml::table& table) {
  constexpr std::string_view kWhere = "[[providers]]";
  requireKnownKeys(table, kWhere,
                   {"name", "type", "base_url", "api_key_env", "api_key_file", "ca_file"});
  ProviderConfig provider;
  provider.name = get<std::string>(table, "name", kWhere, "");
  if (provider.name.empty()) {
    throw ConfigError("every [[providers]] entry needs a name");
  }
  provider.type = parseProviderType(get<std::string>(table, "type", kWhere, "openai"));
  provider.base_url = get<std::string>(table, "base_url", kWhere, defaultBaseUrl(provider.type));
  if (provider.base_url.empty()) {
    throw ConfigError("provider '" + provider.name + "' needs a base_url");
  }
  while (!provider.base_url.empty() && provider.base_url.back() == '/') {
    provider.base_url.pop_back();
  }
  provider.api_key_env = get<std::string>(table, "api_key_env", kWhere, "");
  provider.api_key_file = get<std::string>(table, "api_key_file", kWhere, "");
  provider.ca_file = get<std::string>(table, "ca_file", kWhere, "");
  if (!provider.api_key_env.empty() && !provider.api_key_file.empty()) {
    throw ConfigError("provider '" + provider.name +
                      "': set api_key_env or api_key_file, not both");
  }
  return provider;
}

ModelConfig parseModel(const toml::table& table) {
  constexpr std::string_view kWhere = "[[models]]";
  requireKnownKeys(table, kWhere, {"name", "deployments"});
  ModelConfig model;
  model.name = get<std::string>(table, "name", kWhere, "");
  if (model.name.empty()) {
    throw ConfigError("every [[models]] entry needs a name");
  }
  const toml::array* deployments = table["deployments"].as_array();
  if (!deployments || deployments->empty()) {
    throw ConfigError("model '" + model.name + "' needs at least one [[models.deployments]]");
  }
  for (const toml::node& node : *deployments) {
    const toml::table* entry = node.as_table();
    if (!entry) {
      throw ConfigError("model '" + model.name + "': deployments must be tables");
    }
    constexpr std::string_view kDeploymentWhere = "[[models.deployments]]";
    requireKnownKeys(*entry, kDeploymentWhere, {"provider", "model", "weight", "timeout_ms"});
    DeploymentConfig deployment;
    deployment.provider = get<std::string>(*entry, "provider", kDeploymentWhere, "");
    deployment.model = get<std::string>(*entry, "model", kDeploymentWhere, model.name);
    deployment.weight = get<std::uint32_t>(*entry, "weight", kDeploymentWhere, 1);
    deployment.timeout = getMillis(*entry, "timeout_ms", kDeploymentWhere, deployment.timeout);
    if (deployment.provider.empty()) {
      throw ConfigError("model '" + model.name + "': a deployment needs a provider");
    }
    model.deployments.push_back(std::move(deployment));
  }
  return model;
}

GuardrailsConfig parseGuardrails(const toml::table& table) {
  constexpr std::string_view kWhere = "[guardrails]";
  requireKnownKeys(table, kWhere, {"default_policy", "stream_window_bytes", "policies", "keys"});
  GuardrailsConfig guardrails;
  guardrails.default_policy = get<std::string>(table, "default_policy", kWhere, "");
  guardrails.stream_window_bytes =
      get<std::size_t>(table, "stream_window_bytes", kWhere, guardrails.stream_window_bytes);
  if (guardrails.stream_window_bytes < 64) {
    throw ConfigError("[guardrails] stream_window_bytes must be at least 64");
  }
  if (const toml::array* policies = table["policies"].as_array()) {
    for (const toml::node& node : *policies) {
      const toml::table* entry = node.as_table();
      if (!entry) {
        throw ConfigError("[[guardrails.policies]] entries must be tables");
      }
      constexpr std::string_view kPolicyWhere = "[[guardrails.policies]]";
      requireKnownKeys(*entry, kPolicyWhere, {"name", "file"});
      GuardrailsConfig::NamedPolicy policy{get<std::string>(*entry, "name", kPolicyWhere, ""),
                                           get<std::string>(*entry, "file", kPolicyWhere, "")};
      if (policy.name.empty() || policy.file.empty()) {
        throw ConfigError("every [[guardrails.policies]] entry needs a name and a file");
      }
      guardrails.policies.push_back(std::move(policy));
    }
  }
  if (const toml::table* keys = subTable(table, "keys")) {
    for (auto&& [key_id, value] : *keys) {
      const auto policy = value.value<std::string>();
      if (!policy) {
        throw ConfigError("[guardrails.keys] values must be policy names");
      }
      guardrails.key_policies.push_back({std::string(key_id.str()), *policy});
    }
  }
  const auto known = [&guardrails](const std::string& name) {
    return std::any_of(guardrails.policies.begin(), guardrails.policies.end(),
                       [&name](const auto& policy) { return policy.name == name; });
  };
  if (!guardrails.default_policy.empty() && !known(guardrails.default_policy)) {
    throw ConfigError("[guardrails] default_policy '" + guardrails.default_policy +
                      "' is not a [[guardrails.policies]] name");
  }
  for (const auto& key : guardrails.key_policies) {
    if (!known(key.policy)) {
      throw ConfigError("[guardrails.keys] uses unknown policy '" + key.policy + "'");
    }
  }
  return guardrails;
}

void validate(const Config& config) {
  std::set<std::string> providers;
  for (const auto& provider : config.providers) {
    if (!providers.insert(provider.name).second) {
      throw ConfigError("provider '" + provider.name + "' is defined twice");
    }
  }
  std::set<std::string> models;
  for (const auto& model : config.models) {
    if (!models.insert(model.name).second) {
      throw ConfigError("model '" + model.name + "' is defined twice");
    }
    for (const auto& deployment : model.deployments) {
      if (!providers.count(deployment.provider)) {
        throw ConfigError("model '" + model.name + "' uses unknown provider '" +
                          deployment.provider + "'");
      }
    }
  }
}

}  // namespace

void parseListen(const std::string& listen, ServerConfig& server) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size()) {
    throw ConfigError("listen must be host:port, got '" + listen + "'");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string port_text = listen.substr(colon + 1);
  if (port_text.find_first_not_of("0123456789") != std::string::npos || port_text.size() > 5 ||
      std::stoul(port_text) > 65535) {
    throw ConfigError("invalid port in listen '" + listen + "'");
  }
  server.host = host;
  server.port = static_cast<std::uint16_t>(std::stoul(port_text));
}

std::optional<ProviderType> providerTypeFromName(std::string_view name) {
  for (ProviderType type : {ProviderType::kOpenAI, ProviderType::kAnthropic,
                            ProviderType::kOpenAICompatible, ProviderType::kCerebras}) {
    if (providerTypeName(type) == name) {
      return type;
    }
  }
  return std::nullopt;
}

std::string_view providerTypeName(ProviderType type) {
  switch (type) {
    case ProviderType::kOpenAI:
      return "openai";
    case ProviderType::kAnthropic:
      return "anthropic";
    case ProviderType::kOpenAICompatible:
      return "openai-compatible";
    case ProviderType::kCerebras:
      return "cerebras";
  }
  return "openai";
}

namespace {

std::vector<std::string> stringList(const toml::table& table, std::string_view key,
                                    std::string_view where) {
  std::vector<std::string> values;
  const toml::node_view<const toml::node> node = table[key];
  if (!node) {
    return values;
  }
  const toml::array* array = node.as_array();
  if (!array) {
    throw ConfigError(std::string(where) + " " + std::string(key) + " must be an array of strings");
  }
  for (const toml::node& item : *array) {
    const auto* text = item.as_string();
    if (!text) {
      throw ConfigError(std::string(where) + " " + std::string(key) +
                        " must be an array of strings");
    }
    values.push_back(text->get());
  }
  return values;
}

}  // namespace

Config loadConfig(const std::string& path) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw ConfigError("cannot parse " + path + ": " + std::string(e.description()));
  }
  Config config;
  requireKnownKeys(root, "the top level",
                   {"server", "data_dir", "routing", "providers", "models", "default_max_tokens",
                    "usage", "guardrails", "mode", "egress", "keys", "audit"});
  config.mode = get<std::string>(root, "mode", "the top level", config.mode);
  if (config.mode != "development" && config.mode != "production") {
    throw ConfigError("mode must be \"development\" or \"production\"");
  }
  if (const toml::table* egress = subTable(root, "egress")) {
    requireKnownKeys(*egress, "[egress]", {"allow_cidrs", "allow_http_hosts"});
    config.egress.allow_cidrs = stringList(*egress, "allow_cidrs", "[egress]");
    config.egress.allow_http_hosts = stringList(*egress, "allow_http_hosts", "[egress]");
  }
  if (const toml::table* keys = subTable(root, "keys")) {
    requireKnownKeys(*keys, "[keys]", {"rotation_overlap_seconds"});
    config.rotation_overlap = std::chrono::seconds(get<std::int64_t>(
        *keys, "rotation_overlap_seconds", "[keys]", config.rotation_overlap.count()));
  }
  if (const toml::table* audit = subTable(root, "audit")) {
    requireKnownKeys(*audit, "[audit]", {"retention_interval_seconds"});
    config.retention_interval = std::chrono::seconds(get<std::int64_t>(
        *audit, "retention_interval_seconds", "[audit]", config.retention_interval.count()));
  }
  config.data_dir = get<std::string>(root, "data_dir", "the top level", config.data_dir);
  config.default_max_tokens =
      get<std::int64_t>(root, "default_max_tokens", "the top level", config.default_max_tokens);
  if (const toml::table* server = subTable(root, "server")) {
    parseServer(*server, config.server);
  }
  if (const toml::table* routing = subTable(root, "routing")) {
    constexpr std::string_view kWhere = "[routing]";
    requireKnownKeys(*routing, kWhere,
                     {"max_attempts", "retry_backoff_ms", "max_retry_backoff_ms"});
    config.routing.max_attempts =
        get<std::uint32_t>(*routing, "max_attempts", kWhere, config.routing.max_attempts);
    config.routing.retry_backoff =
        getMillis(*routing, "retry_backoff_ms", kWhere, config.routing.retry_backoff);
    config.routing.max_retry_backoff =
        getMillis(*routing, "max_retry_backoff_ms", kWhere, config.routing.max_retry_backoff);
    if (config.routing.max_attempts == 0) {
      throw ConfigError("[routing] max_attempts must be at least 1");
    }
  }
  if (const toml::table* usage = subTable(root, "usage")) {
    requireKnownKeys(*usage, "[usage]", {"batch_size", "flush_interval_ms"});
    config.usage_batch_size =
        get<std::size_t>(*usage, "batch_size", "[usage]", config.usage_batch_size);
    config.usage_flush_interval =
        getMillis(*usage, "flush_interval_ms", "[usage]", config.usage_flush_interval);
  }
  if (const toml::table* guardrails = subTable(root, "guardrails")) {
    config.guardrails = parseGuardrails(*guardrails);
  }
  if (const toml::array* providers = root["providers"].as_array()) {
    for (const toml::node& node : *providers) {
      if (!node.is_table()) {
        throw ConfigError("[[providers]] entries must be tables");
      }
      config.providers.push_back(parseProvider(*node.as_table()));
    }
  }
  if (const toml::array* models = root["models"].as_array()) {
    for (const toml::node& node : *models) {
      if (!node.is_table()) {
        throw ConfigError("[[models]] entries must be tables");
      }
      config.models.push_back(parseModel(*node.as_table()));
    }
  }
  validate(config);
  return config;
}

Config defaultConfig() {
  Config config;
  const auto addProvider = [&config](std::string name, ProviderType type, std::string key_env) {
    ProviderConfig provider;
    provider.name = std::move(name);
    provider.type = type;
    provider.base_url = defaultBaseUrl(type);
    provider.api_key_env = std::move(key_env);
    config.providers.push_back(std::move(provider));
  };
  const auto addModel = [&config](std::string name, std::string provider) {
    DeploymentConfig deployment;
    deployment.provider = std::move(provider);
    deployment.model = name;
    config.models.push_back({std::move(name), {std::move(deployment)}});
  };
  addProvider("openai", ProviderType::kOpenAI, "OPENAI_API_KEY");
  addProvider("anthropic", ProviderType::kAnthropic, "ANTHROPIC_API_KEY");
  for (const char* name : {"gpt-4o", "gpt-4o-mini", "text-embedding-3-small"}) {
    addModel(name, "openai");
  }
  for (const char* name : {"claude-sonnet-4-5", "claude-haiku-4-5"}) {
    addModel(name, "anthropic");
  }
  return config;
}

}  // namespace gatehouse::config
