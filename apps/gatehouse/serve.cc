// `gatehouse serve`: wires the modules together, then waits for SIGTERM/SIGINT.

#include "commands.h"
#include "environment.h"

#include <gatehouse/auth/key_store.h>
#include <gatehouse/common/clock.h>
#include <gatehouse/common/log.h>
#include <gatehouse/crypto/random.h>
#include <gatehouse/gateway/gateway.h>
#include <gatehouse/gateway/guardrail_policies.h>
#include <gatehouse/gateway/provider_keys.h>
#include <gatehouse/http/server.h>
#include <gatehouse/usage/usage.h>

#include <csignal>
#include <iostream>
#include <stdexcept>
#include <thread>

namespace gatehouse::app {
namespace {

constexpr auto kKeyRefreshInterval = std::chrono::milliseconds(250);

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

}  // namespace

int runServe(const CommonOptions& options) {
  const sigset_t signals = blockShutdownSignals();
  log::initLogging(log::Level::kInfo);
  const config::Config config = loadConfiguration(options);

  // Each long-lived user of the database gets its own connection.
  auto verifier_db = openDatabase(config);
  auto usage_db = openDatabase(config);

  SystemClock clock;
  crypto::SystemRandom random;
  auth::KeyVerifier verifier(std::move(verifier_db), auth::loadPepper(config.data_dir, random));
  if (auto r = verifier.refresh(); !r) {
    throw std::runtime_error(r.error().message);
  }
  usage::UsageRecorder recorder(std::move(usage_db), config.usage_batch_size,
                                config.usage_flush_interval);
  gateway::ConfigProviderKeys provider_keys(config.providers);
  const auto guardrails = gateway::GuardrailPolicies::load(config.guardrails);
  std::atomic<bool> ready{false};
  auto handler = gateway::makeGateway(
      {config, verifier, provider_keys, *guardrails, recorder, clock, random, ready});

  http::Server server(serverOptions(config.server), handler);
  const std::uint16_t port = server.listen();
  server.start();

  // Revocations and new keys reach the hot path through this loop, not through a database
  // read per request.
  std::atomic<bool> stopping{false};
  std::thread refresher([&] {
    while (!stopping.load()) {
      if (auto r = verifier.refresh(); !r) {
        log::error("key_refresh_failed", {{"error", r.error().message}});
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
  recorder.stop();
  log::info("stopped", {{"clean", clean}});
  log::shutdownLogging();
  return 0;
}

}  // namespace gatehouse::app
