// The upstream client: pooled keep-alive connections per worker thread, TLS with certificate
// and hostname verification, and bodies read piece by piece so streams are relayed as they
// arrive.

#include <gatehouse/common/log.h>
#include <gatehouse/common/secret.h>
#include <gatehouse/http/client.h>

#include "deadline.h"
#include "wire.h"

#include <openssl/x509v3.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <map>
#include <mutex>
#include <unordered_map>

namespace gatehouse::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using TlsStream = beast::ssl_stream<tcp::socket>;
using SteadyClock = std::chrono::steady_clock;
using wire::kAsTuple;
constexpr std::size_t kReadChunk = 16 * 1024;

// The pins are part of the key: a connection made to one set of checked addresses must never
// serve an endpoint pinned to another (or an unpinned one, which resolves the name itself).
std::string poolKey(const Endpoint& endpoint) {
  std::string key;
  key.reserve(endpoint.host.size() + endpoint.port.size() + endpoint.ca_file.size() + 64);
  key.append(endpoint.tls ? "https://" : "http://").append(endpoint.host).push_back(':');
  key.append(endpoint.port).push_back('|');
  key.append(endpoint.ca_file).push_back('|');
  for (const auto& address : endpoint.pinned_addresses) {
    key.append(address).push_back(',');
  }
  return key;
}

/// The endpoints to try: the pinned addresses when there are any (no DNS lookup, so the name
/// cannot rebind between the egress check and the connect), else the resolver's answer.
Task<Result<std::vector<tcp::endpoint>>> connectTargets(const Endpoint& endpoint) {
  if (!endpoint.pinned_addresses.empty()) {
    std::uint16_t port = 0;
    const char* const last = endpoint.port.data() + endpoint.port.size();
    const auto [end, port_ec] = std::from_chars(endpoint.port.data(), last, port);
    if (endpoint.port.empty() || port_ec != std::errc() || end != last) {
      co_return makeError(ErrorCode::kUpstreamError, "invalid upstream port");
    }
    std::vector<tcp::endpoint> targets;
    for (const auto& pinned : endpoint.pinned_addresses) {
      boost::system::error_code ec;
      const auto address = net::ip::make_address(pinned, ec);
      if (ec) {
        co_return makeError(ErrorCode::kUpstreamError, "invalid pinned upstream address");
      }
      targets.emplace_back(address, port);
    }
    co_return targets;
  }
  tcp::resolver resolver(co_await net::this_coro::executor);
  auto [resolve_ec, results] =
      co_await resolver.async_resolve(endpoint.host, endpoint.port, kAsTuple);
  if (resolve_ec) {
    co_return makeError(ErrorCode::kUpstreamError, "cannot resolve upstream host");
  }
  std::vector<tcp::endpoint> targets;
  for (const auto& entry : results) {
    targets.push_back(entry.endpoint());
  }
  co_return targets;
}

bool isIpLiteral(const std::string& host) {
  boost::system::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

/// Parses an upstream response as Beast's response_parser<buffer_body> does, but puts the
/// status and fields straight into what ClientResponse hands out: no fields container is built
/// only to be copied once and destroyed. Body bytes go to the buffer `setBody()` names, and the
/// parser stops with need_buffer when it is full, exactly as buffer_body's reader does.
class ResponseParser final : public bhttp::basic_parser<false> {
 public:
  ResponseParser() { headers.reserve(16); }  // Providers send a dozen or two.

  int status = 0;
  std::vector<Header> headers;

  void setBody(char* data, std::size_t size) {
    body_data_ = data;
    body_left_ = size;
  }
  /// Stops the parser from writing to the body buffer any more.
  void clearBody() { body_data_ = nullptr; }
  std::size_t bodyLeft() const { return body_left_; }

 private:
  void on_request_impl(bhttp::verb, beast::string_view, beast::string_view, int,
                       boost::system::error_code&) override {}
  void on_response_impl(int code, beast::string_view, int, boost::system::error_code&) override {
    status = code;
  }
  void on_field_impl(bhttp::field, beast::string_view name, beast::string_view value,
                     boost::system::error_code&) override {
    headers.push_back({std::string(name), std::string(value)});
  }
  void on_header_impl(boost::system::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&,
                         boost::system::error_code&) override {}
  std::size_t on_body_impl(beast::string_view body, boost::system::error_code& ec) override {
    return putBody(body, ec);
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view,
                            boost::system::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body,
                                 boost::system::error_code& ec) override {
    return putBody(body, ec);
  }
  void on_finish_impl(boost::system::error_code&) override {}

  std::size_t putBody(beast::string_view body, boost::system::error_code& ec) {
    if (body_data_ == nullptr) {
      ec = bhttp::error::need_buffer;
      return 0;
    }
    const std::size_t n = std::min(body.size(), body_left_);
    std::memcpy(body_data_, body.data(), n);
    body_data_ += n;
    body_left_ -= n;
    if (n < body.size()) {
      ec = bhttp::error::need_buffer;
    }
    return n;
  }

  char* body_data_ = nullptr;
  std::size_t body_left_ = 0;
};

/// One upstream connection, plain or TLS.
class Connection {
 public:
  Connection(tcp::socket socket, net::ssl::context* tls) {
    // Beast sizes each socket read by the buffer's free capacity (512 bytes at least); a small
    // buffer would cut every response into many reads.
    buffer.reserve(kReadChunk);
    if (tls) {
      tls_.emplace(std::move(socket), *tls);
    } else {
      plain_.emplace(std::move(socket));
    }
    deadline_.emplace(transport());
  }

  tcp::socket& transport() { return tls_ ? tls_->next_layer() : *plain_; }
  Deadline& deadline() { return *deadline_; }

  template <class Fn>
  auto withStream(Fn&& fn) {
    return tls_ ? fn(*tls_) : fn(*plain_);
  }

  TlsStream* tls() { return tls_ ? &*tls_ : nullptr; }

  beast::flat_buffer buffer;
  char body_chunk[kReadChunk];  ///< Where the parser puts body bytes; reused by each response.
  SteadyClock::time_point idle_since;
  std::string key;

 private:
  std::optional<TlsStream> tls_;
  std::optional<tcp::socket> plain_;
  std::optional<Deadline>
      deadline_;  // Of every operation on the transport; set in the constructor.
};

/// The pools of one worker thread, keyed by endpoint. Thread-local so the hot path takes no
/// lock: a coroutine always resumes on the worker that started it.
struct ThreadPools {
  std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>> idle;
};

class ClientImpl {
 public:
  explicit ClientImpl(ClientOptions options) : options_(options) {}

  ThreadPools& pools() {
    thread_local std::map<const ClientImpl*, ThreadPools> by_client;
    return by_client[this];
  }

  std::unique_ptr<Connection> checkout(const std::string& key) {
    auto& idle = pools().idle[key];
    const auto now = SteadyClock::now();
    while (!idle.empty()) {
      auto connection = std::move(idle.back());
      idle.pop_back();
      if (now - connection->idle_since < options_.idle_ttl) {
        return connection;
      }
    }
    return nullptr;
  }

  void checkin(std::unique_ptr<Connection> connection) {
    auto& idle = pools().idle[connection->key];
    if (idle.size() < options_.max_idle_per_endpoint) {
      connection->idle_since = SteadyClock::now();
      idle.push_back(std::move(connection));
    }
  }

  // SSL contexts are shared by all threads (an SSL_CTX is safe to share once configured).
  Result<net::ssl::context*> tlsContext(const std::string& ca_file) {
    std::lock_guard lock(tls_mutex_);
    auto& slot = tls_contexts_[ca_file];
    if (!slot) {
      auto context = std::make_unique<net::ssl::context>(net::ssl::context::tls_client);
      boost::system::error_code ec;
      context->set_default_verify_paths(ec);
      if (!ca_file.empty()) {
        context->load_verify_file(ca_file, ec);
        if (ec) {
          return makeError(ErrorCode::kInternal, "cannot load CA file " + ca_file);
        }
      }
      context->set_verify_mode(net::ssl::verify_peer);
      SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
      slot = std::move(context);
    }
    return slot.get();
  }

  Task<Result<std::unique_ptr<Connection>>> connect(const Endpoint& endpoint,
                                                    SteadyClock::time_point deadline);

  Task<Result<ClientResponse>> attempt(std::unique_ptr<Connection> connection,
                                       const ClientRequest& request,
                                       SteadyClock::time_point deadline);

  ClientOptions options_;
  std::mutex tls_mutex_;
  std::map<std::string, std::unique_ptr<net::ssl::context>> tls_contexts_;  // GUARDED_BY tls_mutex_
};

class ClientResponseImpl {
 public:
  ClientResponseImpl(ClientImpl& client, std::unique_ptr<Connection> connection,
                     std::unique_ptr<ResponseParser> parser)
      : client_(client), connection_(std::move(connection)), parser_(std::move(parser)) {}

  ~ClientResponseImpl() {
    // Only a fully read, keep-alive response may hand its connection to the next request;
    // anything else is closed, which also cancels the upstream's work.
    if (connection_ && parser_->is_done() && parser_->keep_alive()) {
      connection_->deadline().expiresNever();
      client_.checkin(std::move(connection_));
    } else if (connection_) {
      boost::system::error_code ignored;
      connection_->transport().shutdown(tcp::socket::shutdown_both, ignored);
      connection_->transport().close(ignored);
    }
  }

  Task<Result<std::string_view>> readSome(std::chrono::milliseconds idle_timeout) {
    if (parser_->is_done()) {
      co_return std::string_view();
    }
    char* const chunk = connection_->body_chunk;
    for (;;) {
      parser_->setBody(chunk, kReadChunk);
      connection_->deadline().expiresAfter(idle_timeout);
      // Up to the first body bytes, not the whole message: waiting for more would hold
      // streamed chunks back.
      const auto ec = co_await connection_->withStream([&](auto& stream) {
        return wire::read(stream, connection_->buffer, *parser_, wire::Until::kBodyProgress,
                          kReadChunk);
      });
      // A deadline bounds an operation, not the time between two: while the gateway writes
      // what it read to a slow caller, the upstream connection must stay open.
      connection_->deadline().expiresNever();
      if (ec && ec != bhttp::error::need_buffer) {
        parser_->clearBody();
        if (connection_->deadline().reason(ec) == beast::error::timeout) {
          co_return makeError(ErrorCode::kUpstreamTimeout, "upstream stopped sending");
        }
        co_return makeError(ErrorCode::kUpstreamError, "upstream read failed: " + ec.message());
      }
      const std::size_t got = kReadChunk - parser_->bodyLeft();
      if (got > 0 || parser_->is_done()) {
        co_return std::string_view(chunk, got);
      }
    }
  }

  bool complete() const { return parser_->is_done(); }
  bool bodyBuffered() const { return complete() || connection_->buffer.size() > 0; }
  int status() const { return parser_->status; }
  const std::vector<Header>& headers() const { return parser_->headers; }

 private:
  ClientImpl& client_;
  std::unique_ptr<Connection> connection_;
  std::unique_ptr<ResponseParser> parser_;
};

Task<Result<std::unique_ptr<Connection>>> ClientImpl::connect(const Endpoint& endpoint,
                                                              SteadyClock::time_point deadline) {
  auto executor = co_await net::this_coro::executor;
  net::ssl::context* tls = nullptr;
  if (endpoint.tls) {
    auto context = tlsContext(endpoint.ca_file);
    if (!context) {
      co_return context.takeError();
    }
    tls = *context;
  }
  auto targets = co_await connectTargets(endpoint);
  if (!targets) {
    co_return targets.takeError();
  }
  auto connection = std::make_unique<Connection>(tcp::socket(executor), tls);
  connection->key = poolKey(endpoint);
  connection->deadline().expiresAt(deadline);
  auto [connect_ec, connected] =
      co_await net::async_connect(connection->transport(), *targets, kAsTuple);
  if (connect_ec) {
    if (connection->deadline().reason(connect_ec) == beast::error::timeout) {
      co_return makeError(ErrorCode::kUpstreamTimeout, "upstream connect timed out");
    }
    co_return makeError(ErrorCode::kUpstreamError,
                        "cannot connect to upstream: " + connect_ec.message());
  }
  connection->transport().set_option(tcp::no_delay(true));
  if (TlsStream* stream = connection->tls()) {
    SSL* ssl = stream->native_handle();
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (isIpLiteral(endpoint.host)) {
      X509_VERIFY_PARAM_set1_ip_asc(param, endpoint.host.c_str());
    } else {
      X509_VERIFY_PARAM_set1_host(param, endpoint.host.c_str(), endpoint.host.size());
      SSL_set_tlsext_host_name(ssl, endpoint.host.c_str());  // SNI
    }
    auto [handshake_ec] = co_await stream->async_handshake(net::ssl::stream_base::client, kAsTuple);
    if (handshake_ec) {
      if (connection->deadline().reason(handshake_ec) == beast::error::timeout) {
        co_return makeError(ErrorCode::kUpstreamTimeout, "upstream TLS handshake timed out");
      }
      co_return makeError(ErrorCode::kUpstreamError,
                          "TLS handshake with upstream failed: " + handshake_ec.message());
    }
  }
  co_return std::move(connection);
}

Task<Result<ClientResponse>> ClientImpl::attempt(std::unique_ptr<Connection> connection,
                                                 const ClientRequest& request,
                                                 SteadyClock::time_point deadline) {
  wire::HeaderWriter header;
  for (const auto& field : request.headers) {
    header.set(field.name, field.value);
  }
  header.erase("Connection");  // HTTP/1.1: kept alive for the pool.
  const std::string_view method = request.method;
  if (!request.body.empty() || method == "POST" || method == "PUT" || method == "OPTIONS") {
    header.setContentLength(request.body.size());  // As Beast's prepare_payload() decides.
  }
  // The header holds the provider key: it is wiped once written. The writer only viewed the
  // request's own copy, which the caller wipes.
  std::string head = header.formatRequest(method, request.target);

  connection->deadline().expiresAt(deadline);
  const auto write_ec = co_await connection->withStream(
      [&](auto& stream) { return wire::write(stream, head, request.body); });
  secureWipe(head.data(), head.size());  // The serialized header holds the key too.
  if (write_ec) {
    if (connection->deadline().reason(write_ec) == beast::error::timeout) {
      co_return makeError(ErrorCode::kUpstreamTimeout, "upstream write timed out");
    }
    co_return makeError(ErrorCode::kUpstreamError, "upstream write failed: " + write_ec.message());
  }
  auto parser = std::make_unique<ResponseParser>();
  parser->header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
  parser->body_limit(boost::none);  // Streams are unbounded; readAll() enforces its own limit.
  const auto read_ec = co_await connection->withStream([&](auto& stream) {
    return wire::read(stream, connection->buffer, *parser, wire::Until::kHeader, kReadChunk);
  });
  connection->deadline().expiresNever();  // The body's reads set their own.
  if (read_ec) {
    if (connection->deadline().reason(read_ec) == beast::error::timeout) {
      co_return makeError(ErrorCode::kUpstreamTimeout, "upstream did not answer in time");
    }
    co_return makeError(ErrorCode::kUpstreamError, "upstream closed or sent an invalid response");
  }
  co_return ClientResponse(
      std::make_unique<ClientResponseImpl>(*this, std::move(connection), std::move(parser)));
}

Result<Endpoint> parseBaseUrl(std::string_view url, std::string ca_file) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) {
    return makeError(ErrorCode::kInvalidRequest, "invalid base URL");
  }
  Endpoint endpoint;
  const auto scheme = parsed->scheme();
  if (scheme == "https") {
    endpoint.tls = true;
  } else if (scheme == "http") {
    endpoint.tls = false;
  } else {
    return makeError(ErrorCode::kInvalidRequest, "base URL must be http or https");
  }
  if (parsed->has_query() || parsed->has_fragment() || parsed->has_userinfo()) {
    return makeError(ErrorCode::kInvalidRequest,
                     "base URL must not have credentials, a query or a fragment");
  }
  endpoint.host = std::string(parsed->host_address());
  if (endpoint.host.empty()) {
    return makeError(ErrorCode::kInvalidRequest, "base URL has no host");
  }
  endpoint.port = parsed->has_port() ? std::string(parsed->port()) : (endpoint.tls ? "443" : "80");
  endpoint.base_path = std::string(parsed->encoded_path());
  while (!endpoint.base_path.empty() && endpoint.base_path.back() == '/') {
    endpoint.base_path.pop_back();
  }
  endpoint.ca_file = std::move(ca_file);
  return endpoint;
}

ClientResponse::ClientResponse(std::unique_ptr<ClientResponseImpl> impl) : impl_(std::move(impl)) {}
ClientResponse::ClientResponse(ClientResponse&&) noexcept = default;
ClientResponse& ClientResponse::operator=(ClientResponse&&) noexcept = default;
ClientResponse::~ClientResponse() = default;

int ClientResponse::status() const {
  return impl_->status();
}

std::string_view ClientResponse::header(std::string_view name) const {
  return findHeader(impl_->headers(), name);
}

const std::vector<Header>& ClientResponse::headers() const {
  return impl_->headers();
}

bool ClientResponse::complete() const {
  return impl_->complete();
}

bool ClientResponse::bodyBuffered() const {
  return impl_->bodyBuffered();
}

Task<Result<std::string_view>> ClientResponse::readSome(std::chrono::milliseconds idle_timeout) {
  return impl_->readSome(idle_timeout);
}

Task<Result<std::string>> ClientResponse::readAll(std::size_t limit,
                                                  std::chrono::milliseconds idle_timeout) {
  std::string body;
  for (;;) {
    auto piece = co_await impl_->readSome(idle_timeout);
    if (!piece) {
      co_return piece.takeError();
    }
    if (piece->empty()) {
      co_return body;
    }
    if (body.size() + piece->size() > limit) {
      co_return makeError(ErrorCode::kUpstreamError, "upstream response is too large");
    }
    body.append(*piece);
  }
}

Client::Client(ClientOptions options) : impl_(std::make_unique<ClientImpl>(options)) {}
Client::~Client() = default;

Task<Result<ClientResponse>> Client::send(const Endpoint& endpoint, ClientRequest request,
                                          std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  const std::string key = poolKey(endpoint);
  // A pooled connection may have been closed by the upstream while idle; if it fails before
  // any response byte, the request is sent again once on a fresh connection.
  if (auto pooled = impl_->checkout(key)) {
    auto response = co_await impl_->attempt(std::move(pooled), request, deadline);
    if (response || response.error().code == ErrorCode::kUpstreamTimeout) {
      wipeHeaderValues(request.headers);
      co_return response;
    }
  }
  auto connection = co_await impl_->connect(endpoint, deadline);
  if (!connection) {
    wipeHeaderValues(request.headers);
    co_return connection.takeError();
  }
  auto response = co_await impl_->attempt(std::move(*connection), request, deadline);
  wipeHeaderValues(request.headers);
  co_return response;
}

}  // namespace gatehouse::http
