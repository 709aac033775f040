// The HTTP/1.1 server: listener -> session -> handler, and back.
//
// Each worker thread owns an io_context, an SO_REUSEPORT acceptor and the sessions it accepted,
// so nothing on the request path is shared between threads except the handler itself and two
// atomics (connection count, draining flag).

#include <gatehouse/common/log.h>
#include <gatehouse/crypto/encoding.h>
#include <gatehouse/http/server.h>

#include "deadline.h"
#include "request_impl.h"
#include "wire.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <list>
#include <mutex>
#include <random>
#include <thread>

namespace gatehouse::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using TlsStream = beast::ssl_stream<tcp::socket>;
using wire::kAsTuple;
constexpr std::size_t kReadBufferBytes = 16 * 1024;

tcp::socket& lowest(tcp::socket& stream) {
  return stream;
}
tcp::socket& lowest(TlsStream& stream) {
  return stream.next_layer();
}

// A request id the caller may correlate with our logs: accepted from x-request-id when it is
// short and plain, generated otherwise.
bool acceptableRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) {
    return false;
  }
  for (char c : id) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) {
      return false;
    }
  }
  return true;
}

class RequestIdGenerator {
 public:
  RequestIdGenerator() {
    std::random_device device;
    char random[8];
    for (std::size_t i = 0; i < sizeof random; i += 4) {
      const std::uint32_t word = device();
      std::memcpy(random + i, &word, 4);
    }
    crypto::appendHex(prefix_, std::string_view(random, sizeof random));
  }
  // "req_" + 16 random hex digits (per worker) + 8 hex digits of a counter.
  std::string next() {
    const std::uint32_t count = static_cast<std::uint32_t>(++counter_);
    const char big_endian[4] = {static_cast<char>(count >> 24), static_cast<char>(count >> 16),
                                static_cast<char>(count >> 8), static_cast<char>(count)};
    std::string id;
    id.reserve(prefix_.size() + 8);
    id += prefix_;
    crypto::appendHex(id, std::string_view(big_endian, sizeof big_endian));
    return id;
  }

 private:
  std::string prefix_ = "req_";
  std::uint64_t counter_ = 0;
};

}  // namespace

class Worker;

/// State shared by all workers.
class ServerImpl {
 public:
  ServerImpl(ServerOptions options, std::shared_ptr<Handler> handler)
      : options_(std::move(options)), handler_(std::move(handler)) {}

  ServerOptions options_;
  std::shared_ptr<Handler> handler_;
  std::unique_ptr<net::ssl::context> tls_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> connections_{0};
  std::atomic<bool> draining_{false};
  std::mutex done_mutex_;
  std::condition_variable done_cv_;
  std::size_t workers_done_ = 0;  // Guarded by done_mutex_.
};

/// Sessions register here so a shutdown can close the idle ones.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void closeIfIdle() = 0;
  virtual void forceClose() = 0;
};

class Worker {
 public:
  explicit Worker(ServerImpl& server) : server_(server), acceptor_(context_) {}

  void bind(const tcp::endpoint& endpoint) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    const int one = 1;
    ::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    acceptor_.bind(endpoint);
    acceptor_.listen(net::socket_base::max_listen_connections);
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  void run() {
    net::co_spawn(context_, accept(), net::detached);
    context_.run();
  }

  void beginShutdown() {
    net::post(context_, [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      for (SessionBase* session : sessions_) {
        session->closeIfIdle();
      }
    });
  }

  void forceClose() {
    net::post(context_, [this] {
      for (SessionBase* session : sessions_) {
        session->forceClose();
      }
    });
  }

  void stop() { context_.stop(); }

  std::list<SessionBase*>::iterator enroll(SessionBase* session) {
    return sessions_.insert(sessions_.end(), session);
  }
  void withdraw(std::list<SessionBase*>::iterator it) { sessions_.erase(it); }

  ServerImpl& server() { return server_; }
  RequestIdGenerator& requestIds() { return request_ids_; }

 private:
  Task<void> accept();

  ServerImpl& server_;
  net::io_context context_{1};
  tcp::acceptor acceptor_;
  std::list<SessionBase*> sessions_;  // Touched only on this worker's thread.
  RequestIdGenerator request_ids_;
};

namespace {

/// One connection: reads requests one at a time, hands each to the handler, and writes what
/// the handler answers. Templated on the stream so plain and TLS share one implementation.
template <class Stream>
class Session final : public SessionBase, public ResponseWriter {
 public:
  Session(Worker& worker, Stream stream, std::string remote)
      : worker_(worker),
        options_(worker.server().options_),
        stream_(std::move(stream)),
        deadline_(lowest(stream_)),
        remote_(std::move(remote)) {
    // The peer's address, for handlers (audit entries, failure counting per address).
    request_.remote_address = remote_;
    buffer_.reserve(kReadBufferBytes);  // Beast reads at most the free capacity at a time.
    registration_ = worker_.enroll(this);
  }
  ~Session() override { worker_.withdraw(registration_); }

  Task<void> run();

  void closeIfIdle() override {
    if (idle_) {
      boost::system::error_code ignored;
      lowest(stream_).cancel(ignored);
    }
  }
  void forceClose() override {
    boost::system::error_code ignored;
    lowest(stream_).close(ignored);
  }

  // ResponseWriter.
  Task<bool> send(Response response) override;
  Task<bool> beginStream(int status, std::vector<Header> headers) override;
  Task<bool> flush() override;
  Task<bool> writeChunk(std::string_view bytes) override;
  Task<bool> endStream(std::string_view last_bytes) override;
  bool started() const override { return started_; }

 private:
  Task<bool> handshake();
  Task<bool> serveOne();
  Task<bool> reject(std::string_view target, int status, std::string_view message);
  void decorate(wire::HeaderWriter& header);
  void accessLog(int status);

  Worker& worker_;
  const ServerOptions& options_;
  Stream stream_;
  Deadline deadline_;  // Of every read and write on stream_; the socket closes when it passes.
  std::string remote_;
  std::list<SessionBase*>::iterator registration_;
  beast::flat_buffer buffer_;
  RequestImpl request_;
  bool idle_ = false;
  bool started_ = false;
  bool keep_alive_ = true;
  bool stream_ok_ = true;
  std::string stream_head_;  // A stream's header, until it goes out with the first bytes.
  int status_ = 0;
  std::chrono::steady_clock::time_point request_start_;
};

template <class Stream>
Task<bool> Session<Stream>::handshake() {
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    deadline_.expiresAfter(options_.header_timeout);
    auto [ec] = co_await stream_.async_handshake(net::ssl::stream_base::server, kAsTuple);
    if (ec) {
      log::debug("tls_handshake_failed", {{"remote", remote_}, {"error", ec.message()}});
      co_return false;
    }
  }
  co_return true;
}

template <class Stream>
Task<void> Session<Stream>::run() {
  try {
    if (co_await handshake()) {
      while (co_await serveOne()) {
      }
    }
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      deadline_.expiresAfter(std::chrono::seconds(1));
      co_await stream_.async_shutdown(kAsTuple);
    }
    boost::system::error_code ignored;
    lowest(stream_).shutdown(tcp::socket::shutdown_both, ignored);
  } catch (const std::exception& e) {
    // Caught once, here: a bug in one request must not take the worker down.
    log::error("session_failed", {{"request_id", request_.request_id}, {"error", e.what()}});
  }
}

// Reads and serves one request; false when the connection should close.
template <class Stream>
Task<bool> Session<Stream>::serveOne() {
  if (worker_.server().draining_.load()) {
    co_return false;
  }

  // Wait for the first byte under the idle timeout; only then start the header clock, so a
  // slow trickle of header bytes (slowloris) cannot hold the connection past header_timeout.
  if (buffer_.size() == 0) {
    idle_ = true;
    deadline_.expiresAfter(options_.idle_timeout);
    auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(kReadBufferBytes), kAsTuple);
    idle_ = false;
    if (ec || n == 0) {
      co_return false;
    }
    buffer_.commit(n);
  }
  request_start_ = std::chrono::steady_clock::now();
  started_ = false;
  status_ = 0;
  request_.reset();

  RequestParser parser(request_);
  parser.header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
  parser.body_limit(options_.max_body_bytes);
  deadline_.expiresAfter(options_.header_timeout);
  const auto header_ec =
      co_await wire::read(stream_, buffer_, parser, wire::Until::kHeader, kReadBufferBytes);
  const std::string_view target = request_.target;  // Empty unless the start line was read.
  if (header_ec == bhttp::error::header_limit) {
    co_return co_await reject(target, 431, "Request headers are too large.");
  }
  if (header_ec == bhttp::error::body_limit) {
    co_return co_await reject(target, 413, "Request body is larger than the configured limit.");
  }
  if (deadline_.reason(header_ec) == beast::error::timeout) {
    // The deadline has already closed the socket, so there is no 408 to send: the slow
    // client is simply dropped.
    log::warn("request_timeout", {{"remote", remote_}, {"phase", "headers"}});
    co_return false;
  }
  if (header_ec) {
    if (header_ec != bhttp::error::end_of_stream && parser.got_some()) {
      co_return co_await reject(target, 400, "Malformed HTTP request.");
    }
    co_return false;
  }
  const std::string_view incoming_id = request_.header("x-request-id");
  request_.request_id =
      acceptableRequestId(incoming_id) ? std::string(incoming_id) : worker_.requestIds().next();
  if (bhttp::token_list(request_.header("Expect")).exists("100-continue")) {
    const std::string cont = wire::HeaderWriter().formatResponse(100, request_.version);
    deadline_.expiresAfter(options_.write_timeout);
    if (co_await wire::write(stream_, cont, {})) {
      co_return false;
    }
  }

  deadline_.expiresAfter(options_.body_timeout);
  const auto body_ec =
      co_await wire::read(stream_, buffer_, parser, wire::Until::kMessage, kReadBufferBytes);
  if (body_ec == bhttp::error::body_limit) {
    co_return co_await reject(target, 413, "Request body is larger than the configured limit.");
  }
  if (deadline_.reason(body_ec) == beast::error::timeout) {
    log::warn("request_timeout", {{"remote", remote_}, {"phase", "body"}});
    co_return false;
  }
  if (body_ec) {
    co_return false;
  }
  deadline_.expiresNever();

  keep_alive_ = parser.keep_alive();
  stream_ok_ = true;
  const Request request(request_);
  co_await worker_.server().handler_->handle(request, *this);
  if (!started_) {
    // A handler that returns without answering is a bug; the caller still gets an answer.
    log::error("handler_sent_no_response", {{"request_id", request_.request_id}});
    co_await send(worker_.server().handler_->rejection(target, 500, "Internal error."));
  }
  if (!stream_head_.empty()) {
    // A stream begun and never ended is a bug too; the connection cannot carry another answer.
    log::error("handler_left_stream_open", {{"request_id", request_.request_id}});
    stream_head_.clear();
    co_return false;
  }
  // The caller's key and content go now, not when the next request (or none) arrives.
  request_.reset();
  co_return keep_alive_&& stream_ok_ && !worker_.server().draining_.load();
}

template <class Stream>
void Session<Stream>::decorate(wire::HeaderWriter& header) {
  header.set("x-request-id", request_.request_id);
  // The connection is ours to manage, whatever a handler said about it.
  if (keep_alive_ && !worker_.server().draining_.load()) {
    header.erase("Connection");  // HTTP/1.1 keeps it open unless told otherwise.
  } else {
    header.set("Connection", "close");
  }
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    header.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains; preload");
  }
}

template <class Stream>
void Session<Stream>::accessLog(int status) {
  if (!options_.access_log) {
    return;
  }
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - request_start_)
                          .count();
  // The path only: query strings can carry tokens.
  const std::string_view target = request_.target;
  log::info("request", {{"request_id", request_.request_id},
                        {"method", request_.method},
                        {"path", target.substr(0, target.find('?'))},
                        {"status", status},
                        {"duration_us", static_cast<std::int64_t>(micros)},
                        {"remote", remote_}});
}

template <class Stream>
Task<bool> Session<Stream>::reject(std::string_view target, int status, std::string_view message) {
  if (request_.request_id.empty()) {
    request_.request_id = worker_.requestIds().next();
  }
  keep_alive_ = false;
  log::warn("request_rejected", {{"request_id", request_.request_id},
                                 {"status", status},
                                 {"remote", remote_},
                                 {"reason", message}});
  co_await send(worker_.server().handler_->rejection(target, status, message));
  co_return false;
}

template <class Stream>
Task<bool> Session<Stream>::send(Response response) {
  started_ = true;
  status_ = response.status;
  wire::HeaderWriter header;
  header.set("Content-Type", response.content_type);
  for (const auto& field : response.headers) {
    header.set(field.name, field.value);
  }
  decorate(header);
  if (response.status / 100 != 1 && response.status != 204 && response.status != 304) {
    header.setContentLength(response.body.size());  // Those three statuses have no body.
  }
  const std::string head = header.formatResponse(response.status);
  deadline_.expiresAfter(options_.write_timeout);
  const auto ec = co_await wire::write(stream_, head, response.body);
  deadline_.expiresNever();
  accessLog(status_);
  stream_ok_ = !ec;
  co_return !ec;
}

template <class Stream>
Task<bool> Session<Stream>::beginStream(int status, std::vector<Header> headers) {
  started_ = true;
  status_ = status;
  wire::HeaderWriter header;
  header.set("Content-Type", "text/event-stream; charset=utf-8");
  header.set("Cache-Control", "no-cache");
  for (const auto& field : headers) {
    header.set(field.name, field.value);
  }
  decorate(header);
  header.erase("Content-Length");  // A chunked body has none.
  header.set("Transfer-Encoding", "chunked");
  stream_head_ = header.formatResponse(status);
  co_return stream_ok_;
}

template <class Stream>
Task<bool> Session<Stream>::flush() {
  if (stream_ok_ && !stream_head_.empty()) {
    deadline_.expiresAfter(options_.write_timeout);
    const auto ec = co_await wire::write(stream_, stream_head_, {});
    deadline_.expiresNever();
    stream_head_.clear();
    stream_ok_ = !ec;
  }
  co_return stream_ok_;
}

template <class Stream>
Task<bool> Session<Stream>::writeChunk(std::string_view bytes) {
  if (!stream_ok_) {
    co_return false;
  }
  if (bytes.empty()) {
    co_return true;  // An empty chunk would end the chunked body.
  }
  deadline_.expiresAfter(options_.write_timeout);
  const auto ec = co_await wire::writeChunk(stream_, stream_head_, bytes);
  deadline_.expiresNever();
  stream_head_.clear();
  stream_ok_ = !ec;
  co_return !ec;
}

template <class Stream>
Task<bool> Session<Stream>::endStream(std::string_view last_bytes) {
  if (stream_ok_) {
    deadline_.expiresAfter(options_.write_timeout);
    const auto ec = co_await wire::writeLastChunk(stream_, stream_head_, last_bytes);
    deadline_.expiresNever();
    stream_ok_ = !ec;
  }
  stream_head_.clear();
  accessLog(stream_ok_ ? status_ : 499);
  co_return stream_ok_;
}

// Owns the session for the duration of the coroutine and keeps the connection count honest.
template <class Stream>
Task<void> runSession(Worker& worker, Stream stream, std::string remote) {
  Session<Stream> session(worker, std::move(stream), std::move(remote));
  co_await session.run();
}

}  // namespace

Task<void> Worker::accept() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(kAsTuple);
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor_.is_open()) {
        co_return;
      }
      log::warn("accept_failed", {{"error", ec.message()}});
      continue;
    }
    if (server_.connections_.fetch_add(1) >= server_.options_.max_connections) {
      server_.connections_.fetch_sub(1);
      log::warn("connection_refused", {{"reason", "max_connections"}});
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    socket.set_option(tcp::no_delay(true));
    boost::system::error_code endpoint_ec;
    std::string remote = socket.remote_endpoint(endpoint_ec).address().to_string();
    auto release = [this](std::exception_ptr) { server_.connections_.fetch_sub(1); };
    if (server_.tls_) {
      net::co_spawn(
          context_,
          runSession(*this, TlsStream(std::move(socket), *server_.tls_), std::move(remote)),
          release);
    } else {
      net::co_spawn(context_, runSession(*this, std::move(socket), std::move(remote)), release);
    }
  }
}

Server::Server(ServerOptions options, std::shared_ptr<Handler> handler)
    : impl_(std::make_unique<ServerImpl>(std::move(options), std::move(handler))) {}

Server::~Server() {
  for (auto& worker : impl_->workers_) {
    worker->stop();
  }
  for (auto& thread : impl_->threads_) {
    if (thread.joinable()) {
      thread.join();
    }
  }
}

bool Server::tlsEnabled() const {
  return impl_->tls_ != nullptr;
}

std::uint16_t Server::listen() {
  const ServerOptions& options = impl_->options_;
  if (!options.tls_cert_file.empty()) {
    auto tls = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
    // TLS 1.3 only: every client we serve (SDKs, curl, browsers) speaks it.
    SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_3_VERSION);
    tls->set_options(net::ssl::context::no_compression | net::ssl::context::single_dh_use);
    tls->use_certificate_chain_file(options.tls_cert_file);
    tls->use_private_key_file(options.tls_key_file, net::ssl::context::pem);
    impl_->tls_ = std::move(tls);
  }
  const auto address = net::ip::make_address(options.host);
  std::uint16_t port = options.port;
  const unsigned threads = std::max(1u, options.threads);
  for (unsigned i = 0; i < threads; ++i) {
    auto worker = std::make_unique<Worker>(*impl_);
    // The first listener picks the port (which may be 0); the others share it.
    worker->bind(tcp::endpoint(address, port));
    port = worker->port();
    impl_->workers_.push_back(std::move(worker));
  }
  return port;
}

void Server::start() {
  for (auto& worker : impl_->workers_) {
    impl_->threads_.emplace_back([this, w = worker.get()] {
      w->run();
      std::lock_guard lock(impl_->done_mutex_);
      ++impl_->workers_done_;
      impl_->done_cv_.notify_all();
    });
  }
}

void Server::beginShutdown() {
  impl_->draining_ = true;
  for (auto& worker : impl_->workers_) {
    worker->beginShutdown();
  }
}

bool Server::wait(milliseconds grace) {
  bool clean = true;
  {
    std::unique_lock lock(impl_->done_mutex_);
    const auto all_done = [this] { return impl_->workers_done_ == impl_->workers_.size(); };
    if (!impl_->done_cv_.wait_for(lock, grace, all_done)) {
      clean = false;
      lock.unlock();
      log::warn("shutdown_grace_expired", {{"open_connections", impl_->connections_.load()}});
      for (auto& worker : impl_->workers_) {
        worker->forceClose();
      }
      lock.lock();
      if (!impl_->done_cv_.wait_for(lock, std::chrono::seconds(2), all_done)) {
        for (auto& worker : impl_->workers_) {
          worker->stop();
        }
      }
    }
  }
  for (auto& thread : impl_->threads_) {
    thread.join();
  }
  impl_->threads_.clear();
  return clean;
}

}  // namespace gatehouse::http
