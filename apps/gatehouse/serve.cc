// `gatehouse serve`: wires the modules together, then waits for SIGTERM/SIGINT.

#include "commands.h"
#include "environment.h"

#include <gatehouse/admin/admin_api.h>
#include <gatehouse/audit/audit.h>
#include <gatehouse/audit/audit_writer.h>
#include <gatehouse/auth/key_store.h>
#include <gatehouse/common/clock.h>
#include <gatehouse/common/log.h>
#include <gatehouse/crypto/random.h>
#include <gatehouse/gateway/content_history.h>
#include <gatehouse/gateway/gateway.h>
#include <gatehouse/gateway/guardrail_policies.h>
#include <gatehouse/gateway/org_routes.h>
#include <gatehouse/gateway/provider_keys.h>
#include <gatehouse/http/server.h>
#include <gatehouse/keyring/keyring.h>
#include <gatehouse/usage/usage.h>

#include <csignal>
#include <iostream>
#include <stdexcept>
#include <thread>

namespace gatehouse::app {
namespace {

constexpr auto kKeyRefreshInterval = std::chrono::milliseconds(250);
constexpr std::size_t kAuditQueueLimit = 10'000;
constexpr std::size_t kHistoryQueueLimit = 1'000;
// Tenant provider base URLs are resolved and egress-checked again at least this often.
constexpr auto kRouteRecheckInterval = std::chrono::milliseconds(5 * 60 * 1000);

http::ServerOptions serverOptions(const config::ServerConfig& server) {
  http::ServerOptions options;
  options.host = server.host;
  options.port = server.port;
  options.threads =
      server.threads ? server.threads : std::max(1u, std::thread::hardware_concurrency());
  options.max_body_bytes = server.max_body_bytes;
  options.max_header_bytes = server.max_header_bytes;
  options.header_timeout = server.header_timeout;
  options.body_timeout = server.body_timeout;
  options.idle_timeout = server.idle_timeout;
  options.write_timeout = server.write_timeout;
  options.max_connections = server.max_connections;
  options.access_log = server.access_log;
  options.tls_cert_file = server.tls.cert_file;
  options.tls_key_file = server.tls.key_file;
  return options;
}

// Blocks the shutdown signals in every thread (threads inherit the mask), so only the main
// thread's sigwait() sees them.
sigset_t blockShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return signals;
}

// Retention for audit entries, usage records and content history, per organisation.
void enforceRetentionOnce(store::Database& db, const Runtime& runtime, const Clock& clock) {
  const std::int64_t now = clock.nowMillis();
  auto audit_purged = runtime.audit_log->enforceRetention(db, now);
  if (!audit_purged) {
    log::error("audit_retention_failed", {{"error", audit_purged.error().message}});
  } else if (audit_purged->purged > 0) {
    log::info("audit_retention",
              {{"purged", audit_purged->purged}, {"chains", audit_purged->chains}});
  }
  auto usage_purged = usage::enforceRetention(db, now);
  if (!usage_purged) {
    log::error("usage_retention_failed", {{"error", usage_purged.error().message}});
  } else if (*usage_purged > 0) {
    log::info("usage_retention", {{"purged", *usage_purged}});
  }
}

}  // namespace

int runServe(const CommonOptions& options) {
  const sigset_t signals = blockShutdownSignals();
  log::initLogging(log::Level::kInfo);
  const config::Config config = loadConfiguration(options);

  SystemClock clock;
  crypto::SystemRandom random;
  Runtime runtime(config, clock, random);
  if (runtime.using_dev_key) {
    // Loud on every start: a development key sits next to the data it protects.
    log::warn("development_master_key",
              {{"path", runtime.dev_key_path},
               {"message",
                "using a generated development master key stored next to the data; set "
                "GATEHOUSE_MASTER_KEY or GATEHOUSE_MASTER_KEY_FILE and GATEHOUSE_ENV=production "
                "for real deployments"}});
    std::cerr << "WARNING: Gatehouse is using a DEVELOPMENT master key (" << runtime.dev_key_path
              << "). Anyone who can read the data directory can decrypt provider keys. Set "
                 "GATEHOUSE_MASTER_KEY or GATEHOUSE_MASTER_KEY_FILE in production.\n";
  }
  // Data keys that servers still on the previous master key wrapped during a rotation move
  // under this one; then every data key is unwrapped now, so a rotation that happens while
  // this server runs finds them all cached (the data keys themselves never change).
  if (auto moved = runtime.keyring->rewrapToCurrent(); !moved) {
    log::error("keyring_rewrap_failed", {{"error", moved.error().message}});
  } else if (moved->rewrapped > 0) {
    log::info("keyring_rewrapped", {{"data_keys", moved->rewrapped}});
  }
  if (auto warmed = runtime.keyring->verifyAll(); !warmed) {
    log::error("keyring_check_failed", {{"error", warmed.error().message}});
  }
  auto bootstrap = runtime.admin->bootstrap();
  if (!bootstrap) {
    throw std::runtime_error(bootstrap.error().message);
  }
  if (*bootstrap) {
    std::cout << "Bootstrap super-admin key (shown only this once; it manages every "
                 "organisation through /admin/v1):\n"
              << (*bootstrap)->reveal() << std::endl;
  }

  // Each long-lived user of the database gets its own connection.
  auth::KeyVerifier verifier(openDatabase(config), auth::loadPepper(config.data_dir, random),
                             clock);
  if (auto r = verifier.refresh(); !r) {
    throw std::runtime_error(r.error().message);
  }
  usage::UsageRecorder recorder(openDatabase(config), config.usage_batch_size,
                                config.usage_flush_interval);
  audit::AuditWriter audit_writer(openDatabase(config), *runtime.audit_log, kAuditQueueLimit);
  gateway::ContentHistoryWriter history(openDatabase(config), *runtime.keyring, kHistoryQueueLimit);
  gateway::ConfigProviderKeys config_keys(config.providers);
  gateway::TenantProviderKeys provider_keys(openDatabase(config), *runtime.keyring, config_keys,
                                            audit_writer);
  if (auto r = provider_keys.refresh(); !r) {
    throw std::runtime_error(r.error().message);
  }
  gateway::OrgRoutes org_routes(openDatabase(config), config, *runtime.egress,
                                kRouteRecheckInterval);
  if (auto r = org_routes.refresh(); !r) {
    throw std::runtime_error(r.error().message);
  }
  const auto guardrails = gateway::GuardrailPolicies::load(config.guardrails);
  std::atomic<bool> ready{false};
  auto data_plane = gateway::makeGateway({config, verifier, provider_keys, org_routes, *guardrails,
                                          recorder, audit_writer, history, clock, random, ready});
  auto handler = admin::makeAdminRouter(*runtime.admin, data_plane);

  http::Server server(serverOptions(config.server), handler);
  const std::uint16_t port = server.listen();
  server.start();

  // Revocations, new keys and provider-key changes reach the hot path through this loop, not
  // through a database read per request.
  std::atomic<bool> stopping{false};
  std::thread refresher([&] {
    while (!stopping.load()) {
      if (auto r = verifier.refresh(); !r) {
        log::error("key_refresh_failed", {{"error", r.error().message}});
      }
      if (auto r = provider_keys.refresh(); !r) {
        log::error("provider_key_refresh_failed", {{"error", r.error().message}});
      }
      if (auto r = runtime.keyring->sync(); !r) {
        log::error("keyring_refresh_failed", {{"error", r.error().message}});
      }
      std::this_thread::sleep_for(kKeyRefreshInterval);
    }
  });
  // Slower upkeep on a thread of its own, so neither a tenant's slow DNS (routes re-check
  // egress) nor a large retention delete can hold revocations back.
  std::thread maintenance([&] {
    auto retention_db = openDatabase(config);
    auto next_retention = std::chrono::steady_clock::now();
    while (!stopping.load()) {
      if (auto r = org_routes.refresh(); !r) {
        log::error("org_routes_refresh_failed", {{"error", r.error().message}});
      }
      if (std::chrono::steady_clock::now() >= next_retention) {
        enforceRetentionOnce(*retention_db, runtime, clock);
        next_retention = std::chrono::steady_clock::now() + config.retention_interval;
      }
      std::this_thread::sleep_for(kKeyRefreshInterval);
    }
  });

  ready = true;
  const std::string scheme = server.tlsEnabled() ? "https" : "http";
  const std::string host = config.server.host.find(':') != std::string::npos
                               ? "[" + config.server.host + "]"
                               : config.server.host;
  log::info("started", {{"listen", host + ":" + std::to_string(port)},
                        {"tls", server.tlsEnabled()},
                        {"models", config.models.size()}});
  std::cout << "listening on " << scheme << "://" << host << ":" << port << std::endl;

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  log::info("shutting_down", {{"signal", signal_number}});
  ready = false;
  server.beginShutdown();
  const bool clean = server.wait(config.server.shutdown_grace);
  stopping = true;
  refresher.join();
  maintenance.join();
  recorder.stop();
  audit_writer.stop();
  history.stop();
  log::info("stopped", {{"clean", clean}});
  log::shutdownLogging();
  return 0;
}

}  // namespace gatehouse::app
