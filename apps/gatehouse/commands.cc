// The operator commands. Every tenant command goes through the admin service, exactly as the
// REST API does (same validation, scoping and audit entries), acting as the operator; they
// run with or without a server, and a running server picks changes up within a second.

#include "commands.h"
#include "environment.h"

#include <gatehouse/auth/key_store.h>
#include <gatehouse/common/clock.h>
#include <gatehouse/usage/usage.h>

#include <boost/json.hpp>

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <stdexcept>

namespace gatehouse::app {

config::Config loadConfiguration(const CommonOptions& options) {
  config::Config config = options.config_file.empty() ? config::defaultConfig()
                                                      : config::loadConfig(options.config_file);
  if (!options.data_dir.empty()) {
    config.data_dir = options.data_dir;
  }
  return config;
}

std::unique_ptr<store::Database> openDatabase(const config::Config& config) {
  if (::mkdir(config.data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw std::runtime_error("cannot create data directory " + config.data_dir);
  }
  return store::Database::open(store::databasePath(config.data_dir));
}

bool productionMode(const config::Config& config) {
  const char* env = std::getenv("GATEHOUSE_ENV");
  return config.mode == "production" || (env && std::string_view(env) == "production");
}

Runtime::Runtime(const config::Config& configuration, const Clock& clock,
                 crypto::RandomSource& random)
    : config(configuration) {
  db = openDatabase(config);  // Creates the data directory the development key lives in.
  auto keys = keyring::loadMasterKeys(config.data_dir, productionMode(config), random);
  using_dev_key = keys.using_dev_key;
  dev_key_path = keys.dev_key_path;
  keyring = std::make_unique<keyring::Keyring>(keyring::openKeyringDatabase(config.data_dir),
                                               std::move(keys.current), std::move(keys.previous),
                                               random, clock);
  auto chain_key = keyring->instanceKey("audit-chain");
  if (!chain_key) {
    throw std::runtime_error(chain_key.error().message);
  }
  audit_log = std::make_unique<audit::AuditLog>(chain_key->reveal(), clock);
  // The organisation keys made before tenancy belong to needs its data key too.
  if (auto r = keyring->createDataKey("org_default"); !r) {
    throw std::runtime_error(r.error().message);
  }
  pepper = auth::loadPepper(config.data_dir, random);
  egress = std::make_unique<http::EgressGuard>(
      http::EgressPolicy{config.egress.allow_cidrs, config.egress.allow_http_hosts});
  std::vector<std::string> providers;
  for (const auto& provider : config.providers) {
    providers.push_back(provider.name);
  }
  admin = std::make_unique<admin::AdminApi>(admin::AdminDependencies{
      *db, *keyring, *audit_log, pepper, *egress, std::move(providers), clock, random,
      std::chrono::duration_cast<std::chrono::milliseconds>(config.rotation_overlap).count()});
}

namespace {

namespace json = boost::json;

std::string scalarText(const json::value& value) {
  if (value.is_string()) {
    return std::string(value.as_string());
  }
  if (value.is_null()) {
    return "-";
  }
  return json::serialize(value);
}

// A list prints as one row per object (scalar fields only); an object as "field: value" lines.
void printHuman(const json::value& reply) {
  const json::object* object = reply.if_object();
  if (!object) {
    std::cout << json::serialize(reply) << "\n";
    return;
  }
  if (const auto* data = object->if_contains("data"); data && data->is_array()) {
    for (const auto& item : data->as_array()) {
      std::string line;
      for (const auto& [name, value] : item.as_object()) {
        if (value.is_object() || value.is_array()) {
          continue;
        }
        line += line.empty() ? "" : "  ";
        line += scalarText(value);
      }
      std::cout << line << "\n";
    }
    return;
  }
  for (const auto& [name, value] : *object) {
    std::cout << std::string(name) << ": "
              << (value.is_object() || value.is_array() ? json::serialize(value)
                                                        : scalarText(value))
              << "\n";
  }
}

admin::ApiRequest toRequest(const AdminCall& call) {
  admin::ApiRequest request;
  request.method = call.method;
  request.path = "/admin/v1" + call.path;
  request.query = call.query;
  request.body = call.body;
  request.source_ip = "local";
  request.request_id = "cli";
  return request;
}

// The admin service's error message, or the body when it is not an error object.
std::string errorMessage(const admin::ApiReply& reply) {
  boost::system::error_code ec;
  const json::value value = json::parse(reply.body, ec);
  if (!ec && value.is_object()) {
    if (const auto* error = value.as_object().if_contains("error"); error && error->is_object()) {
      if (const auto* message = error->as_object().if_contains("message")) {
        return scalarText(*message);
      }
    }
  }
  return reply.body;
}

// Runs `call` through the admin service as the operator. On a refusal prints the service's
// message and returns nullopt.
std::optional<admin::ApiReply> callAsOperator(const CommonOptions& options, const AdminCall& call) {
  const config::Config config = loadConfiguration(options);
  SystemClock clock;
  crypto::SystemRandom random;
  Runtime runtime(config, clock, random);
  admin::ApiReply reply = runtime.admin->handle(admin::Principal::operatorCli(), toRequest(call));
  if (reply.status >= 400) {
    std::cerr << "gatehouse: " << errorMessage(reply) << " (" << reply.status << ")\n";
    return std::nullopt;
  }
  return reply;
}

}  // namespace

int runAdminCall(const CommonOptions& options, const AdminCall& call) {
  const auto reply = callAsOperator(options, call);
  if (!reply) {
    return 1;
  }
  if (call.json) {
    std::cout << reply->body << "\n";
    return 0;
  }
  const json::value value = json::parse(reply->body);
  if (!call.reveal_field.empty()) {
    // The one place a key is ever shown: alone on stdout, so scripts can capture it.
    const auto& object = value.as_object();
    std::cout << scalarText(object.at(call.reveal_field)) << "\n";
    std::cerr << "Created " << scalarText(object.at("id"))
              << ". Store the key now: Gatehouse keeps only a hash and cannot show it again.\n";
    return 0;
  }
  printHuman(value);
  return 0;
}

int runExport(const CommonOptions& options, const AdminCall& call, const std::string& output) {
  const auto reply = callAsOperator(options, call);
  if (!reply) {
    return 1;
  }
  if (output.empty()) {
    std::cout << reply->body << std::flush;
    return 0;
  }
  std::ofstream file(output, std::ios::binary | std::ios::trunc);
  file << reply->body;
  if (!file.flush()) {
    std::cerr << "gatehouse: cannot write " << output << "\n";
    return 1;
  }
  return 0;
}

int runAuditVerify(const CommonOptions& options, bool json_output) {
  const config::Config config = loadConfiguration(options);
  SystemClock clock;
  crypto::SystemRandom random;
  Runtime runtime(config, clock, random);
  auto report = runtime.audit_log->verify(*runtime.db);
  if (!report) {
    std::cerr << "gatehouse: " << report.error().message << "\n";
    return 2;
  }
  if (json_output) {
    std::cout << json::serialize(json::object{{"ok", report->ok},
                                              {"chains", report->chains},
                                              {"entries", report->entries},
                                              {"bad_chain", report->bad_chain},
                                              {"bad_seq", report->bad_seq},
                                              {"bad_id", report->bad_id},
                                              {"problem", report->problem}})
              << "\n";
  } else if (report->ok) {
    std::cout << "audit log verified: " << report->entries << " entries in " << report->chains
              << " chains, no tampering found\n";
  } else {
    std::cout << "AUDIT LOG TAMPERED: chain '" << report->bad_chain << "'"
              << (report->bad_seq ? ", entry " + std::to_string(report->bad_seq) : "")
              << (report->bad_id ? " (row " + std::to_string(report->bad_id) + ")" : "") << ": "
              << report->problem << "\n";
  }
  return report->ok ? 0 : 1;
}

int runRetention(const CommonOptions& options) {
  const config::Config config = loadConfiguration(options);
  SystemClock clock;
  crypto::SystemRandom random;
  Runtime runtime(config, clock, random);
  const std::int64_t now = clock.nowMillis();
  auto audit_purged = runtime.audit_log->enforceRetention(*runtime.db, now);
  if (!audit_purged) {
    std::cerr << "gatehouse: " << audit_purged.error().message << "\n";
    return 1;
  }
  auto usage_purged = usage::enforceRetention(*runtime.db, now);
  if (!usage_purged) {
    std::cerr << "gatehouse: " << usage_purged.error().message << "\n";
    return 1;
  }
  std::cout << "purged " << audit_purged->purged << " audit entries in " << audit_purged->chains
            << " chains and " << *usage_purged << " usage records\n";
  return 0;
}

int runMasterKeyRotate(const CommonOptions& options, const std::string& new_key_file) {
  const config::Config config = loadConfiguration(options);
  SystemClock clock;
  crypto::SystemRandom random;
  Runtime runtime(config, clock, random);
  keyring::MasterKey target = keyring::loadMasterKeyFile(new_key_file);
  const std::string target_id = target.id();
  // Only the wrapped data keys change; rows sealed under them stay as they are, and running
  // servers keep their unwrapped data keys, so nothing stops while this runs.
  auto report = runtime.keyring->rewrapAll(target);
  audit::AuditEvent event;
  event.actor = "cli";
  event.action = "master_key.rotate";
  event.target = target_id;
  event.outcome = report ? "success" : "failure";
  event.source_ip = "local";
  if (report) {
    event.detail = json::serialize(json::object{{"rewrapped", report->rewrapped},
                                                {"already_current", report->already_current}});
  }
  if (auto r = runtime.audit_log->append(*runtime.db, event); !r) {
    std::cerr << "gatehouse: audit: " << r.error().message << "\n";
  }
  if (!report) {
    std::cerr << "gatehouse: " << report.error().message << "\n";
    return 1;
  }
  // Prove the new key opens everything before telling the operator to switch to it.
  keyring::Keyring check(keyring::openKeyringDatabase(config.data_dir), std::move(target),
                         std::nullopt, random, clock);
  auto verified = check.verifyAll();
  if (!verified) {
    std::cerr << "gatehouse: verification under the new master key failed: "
              << verified.error().message << "\n";
    return 1;
  }
  std::cout << "re-wrapped " << report->rewrapped << " data keys under master key " << target_id
            << " (" << report->already_current << " already were); " << *verified
            << " verified.\nNow set GATEHOUSE_MASTER_KEY(_FILE) to the new key and restart the "
               "servers one at a time (keep the old one as GATEHOUSE_MASTER_KEY_PREVIOUS until "
               "all have restarted).\n";
  return 0;
}

}  // namespace gatehouse::app
