// The floor under Gatehouse's data plane: the same stack (Asio coroutines, Beast's HTTP/1.1
// parser and serializer, one io_context per thread) doing nothing but relay, so that a run
// beside nginx and Gatehouse shows how much of Gatehouse's cost per request is the stack and
// how much is its own work (auth, JSON scans, routing, metering). It is Beast's idiomatic
// use: each caller connection gets one upstream connection, and each request is read whole,
// forwarded, and its response read whole and returned. No timeouts, limits or TLS; a
// benchmark reference only (see bench/README.md), never part of the product.
//
//   beast_floor_proxy LISTEN_PORT UPSTREAM_PORT [THREADS]   (127.0.0.1 only)

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using net::ip::tcp;
constexpr auto kAsTuple = net::as_tuple(net::use_awaitable);
constexpr std::size_t kReadBytes = 16 * 1024;

net::awaitable<void> relay(tcp::socket caller, tcp::endpoint upstream_address) {
  tcp::socket upstream(caller.get_executor());
  if (auto [ec] = co_await upstream.async_connect(upstream_address, kAsTuple); ec) {
    co_return;
  }
  upstream.set_option(tcp::no_delay(true));
  caller.set_option(tcp::no_delay(true));
  // Room for a whole request or streamed response, as Gatehouse reads 16 KiB at a time: a
  // flat_buffer grown only as needed reads 512 bytes to 1 KiB per call, five calls a stream.
  boost::beast::flat_buffer caller_buffer;
  boost::beast::flat_buffer upstream_buffer;
  caller_buffer.reserve(kReadBytes);
  upstream_buffer.reserve(kReadBytes);
  for (;;) {
    http::request<http::string_body> request;
    if (auto [ec, n] = co_await http::async_read(caller, caller_buffer, request, kAsTuple); ec) {
      co_return;
    }
    const bool keep_alive = request.keep_alive();
    request.keep_alive(true);  // as nginx's upstream keep-alive pool does
    if (auto [ec, n] = co_await http::async_write(upstream, request, kAsTuple); ec) {
      co_return;
    }
    http::response<http::string_body> response;
    if (auto [ec, n] = co_await http::async_read(upstream, upstream_buffer, response, kAsTuple);
        ec) {
      co_return;
    }
    response.keep_alive(keep_alive);
    if (auto [ec, n] = co_await http::async_write(caller, response, kAsTuple); ec || !keep_alive) {
      co_return;
    }
  }
}

net::awaitable<void> accept(tcp::acceptor& acceptor, tcp::endpoint upstream_address) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kAsTuple);
    if (!ec) {
      net::co_spawn(acceptor.get_executor(), relay(std::move(socket), upstream_address),
                    net::detached);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s LISTEN_PORT UPSTREAM_PORT [THREADS]\n", argv[0]);
    return 2;
  }
  const auto loopback = net::ip::make_address("127.0.0.1");
  const tcp::endpoint listen_address(loopback, static_cast<unsigned short>(std::atoi(argv[1])));
  const tcp::endpoint upstream_address(loopback, static_cast<unsigned short>(std::atoi(argv[2])));
  const int threads = argc > 3 ? std::max(1, std::atoi(argv[3])) : 1;

  // One io_context and one SO_REUSEPORT acceptor per thread, as Gatehouse's server runs.
  std::vector<std::unique_ptr<net::io_context>> contexts;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  for (int i = 0; i < threads; ++i) {
    auto& context = *contexts.emplace_back(std::make_unique<net::io_context>(1));
    auto& acceptor = *acceptors.emplace_back(std::make_unique<tcp::acceptor>(context));
    acceptor.open(listen_address.protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    const int on = 1;
    ::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
    acceptor.bind(listen_address);
    acceptor.listen(4096);
    net::co_spawn(context, accept(acceptor, upstream_address), net::detached);
  }
  std::printf("listening on http://127.0.0.1:%d\n", listen_address.port());
  std::fflush(stdout);
  std::vector<std::thread> workers;
  for (int i = 1; i < threads; ++i) {
    workers.emplace_back([&context = *contexts[i]] { context.run(); });
  }
  contexts[0]->run();
}
