#pragma once

#include <gatehouse/common/result.h>
#include <gatehouse/common/task.h>
#include <gatehouse/http/types.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::http {

/// Where an upstream lives, parsed once from its base URL.
struct Endpoint {
  bool tls = true;
  std::string host;
  std::string port;
  std::string base_path;  ///< e.g. "/v1"; request paths are appended to it.
  std::string ca_file;    ///< Extra trust anchors; the system store is always used.
  /// When set, connect only to these (already checked) addresses; the host name is still used
  /// for SNI, the Host header and certificate verification. EgressGuard::check() fills it.
  std::vector<std::string> pinned_addresses;
};

/// Parses "https://api.openai.com/v1" style URLs (http or https, no query or fragment).
Result<Endpoint> parseBaseUrl(std::string_view url, std::string ca_file = {});

/// One request to send. The method, target and body are views: the caller keeps what they view
/// alive until send() completes (a request is sent once per attempt, so they are not copied).
struct ClientRequest {
  std::string_view method = "POST";
  std::string_view target;  ///< Path and query, base_path already applied.
  std::vector<Header> headers;
  std::string_view body;
};

class ClientResponseImpl;

/// An upstream response whose body is read incrementally. Destroying it before the body is
/// complete closes the connection, which is how a caller's disconnect cancels the upstream.
class ClientResponse {
 public:
  explicit ClientResponse(std::unique_ptr<ClientResponseImpl> impl);
  ClientResponse(ClientResponse&&) noexcept;
  ClientResponse& operator=(ClientResponse&&) noexcept;
  ~ClientResponse();

  int status() const;
  /// First value of a header (case-insensitive), or "".
  std::string_view header(std::string_view name) const;
  const std::vector<Header>& headers() const;

  /// The next piece of the body; an empty view means the body is complete. The view is valid
  /// until the next call. Each read waits at most `idle_timeout`.
  Task<Result<std::string_view>> readSome(std::chrono::milliseconds idle_timeout);
  /// True once the body has been read to its end: readSome() would return the empty view
  /// without waiting.
  bool complete() const;
  /// True when body bytes have arrived that readSome() has not returned yet (or the body is
  /// complete): the next readSome() will probably not wait on the upstream.
  bool bodyBuffered() const;
  /// The whole body, failing with kUpstreamError beyond `limit` bytes.
  Task<Result<std::string>> readAll(std::size_t limit, std::chrono::milliseconds idle_timeout);

 private:
  std::unique_ptr<ClientResponseImpl> impl_;
};

struct ClientOptions {
  std::size_t max_idle_per_endpoint = 64;  ///< Per worker thread.
  std::chrono::milliseconds idle_ttl{30'000};
  std::size_t max_header_bytes = 64 * 1024;
};

class ClientImpl;

/// Asynchronous HTTP/1.1 client with keep-alive pools (one per worker thread, so no locks on
/// the hot path), certificate and hostname verification on by default, and SNI.
class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();

  /// Sends `request` and waits for the response headers for at most `timeout` (connect,
  /// TLS handshake, write and time to first byte together). Errors: kUpstreamTimeout,
  /// kUpstreamError (connect, TLS, protocol).
  Task<Result<ClientResponse>> send(const Endpoint& endpoint, ClientRequest request,
                                    std::chrono::milliseconds timeout);

 private:
  std::unique_ptr<ClientImpl> impl_;
};

}  // namespace gatehouse::http
