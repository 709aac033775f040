#pragma once

#include <gatehouse/http/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace gatehouse::http {

using std::chrono::milliseconds;

/// Every limit the server enforces, passed in explicitly (STYLE: limits are constructor
/// arguments).
struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  unsigned threads = 1;
  std::size_t max_body_bytes = 4 * 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  milliseconds header_timeout{10'000};
  milliseconds body_timeout{30'000};
  milliseconds idle_timeout{60'000};
  milliseconds write_timeout{30'000};
  std::size_t max_connections = 10'000;
  bool access_log = true;
  std::string tls_cert_file;  ///< TLS 1.3 only, when both files are set.
  std::string tls_key_file;
};

class ServerImpl;

/// The HTTP/1.1 front door: one io_context and one SO_REUSEPORT listener per worker thread,
/// coroutine sessions, keep-alive, chunked streaming, and the limits above.
class Server {
 public:
  Server(ServerOptions options, std::shared_ptr<Handler> handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds the listeners; returns the bound port (useful with port 0). Throws on failure.
  std::uint16_t listen();
  /// Starts the worker threads.
  void start();
  /// Stops accepting, closes idle connections, and lets in-flight requests finish.
  /// Thread-safe; returns immediately.
  void beginShutdown();
  /// Waits for the workers to finish; after `grace`, cuts remaining connections.
  /// Returns true when everything finished within the grace period.
  bool wait(milliseconds grace);

  bool tlsEnabled() const;

 private:
  std::unique_ptr<ServerImpl> impl_;
};

}  // namespace gatehouse::http
