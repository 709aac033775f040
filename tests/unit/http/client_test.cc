#include <gatehouse/http/client.h>

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <vector>

namespace gatehouse::http {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
constexpr auto kAsTuple = net::as_tuple(net::use_awaitable);
constexpr std::chrono::milliseconds kTimeout{5'000};

// The client keeps idle connections in thread-local pools, which outlive a test body; a
// context of static storage outlives them, so a pooled socket never outlives its context.
net::io_context& context() {
  static net::io_context instance;
  return instance;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

/// A plain HTTP/1.1 upstream on 127.0.0.1, port 0: one connection, up to `requests` requests,
/// each answered with "ok"; the last answer closes the connection.
class TinyUpstream {
 public:
  explicit TinyUpstream(int requests)
      : acceptor_(context(), tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)),
        requests_(requests) {
    net::co_spawn(context(), serve(), net::detached);
  }

  std::string port() const { return std::to_string(acceptor_.local_endpoint().port()); }

  int connections = 0;
  std::vector<std::string> heads;  ///< Each request's head, lower-cased.

 private:
  Task<void> serve() {
    auto [accept_ec, socket] = co_await acceptor_.async_accept(kAsTuple);
    if (accept_ec) {
      co_return;
    }
    ++connections;
    std::string buffer;
    for (int served = 0; served < requests_; ++served) {
      auto [read_ec, n] =
          co_await net::async_read_until(socket, net::dynamic_buffer(buffer), "\r\n\r\n", kAsTuple);
      if (read_ec) {
        co_return;
      }
      heads.push_back(lower(buffer.substr(0, n)));
      buffer.erase(0, n);
      const bool last = served + 1 == requests_;
      std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n";
      response += last ? "Connection: close\r\n\r\nok" : "\r\nok";
      auto [write_ec, written] = co_await net::async_write(socket, net::buffer(response), kAsTuple);
      if (write_ec) {
        co_return;
      }
    }
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
  }

  tcp::acceptor acceptor_;
  int requests_;
};

struct Outcome {
  bool ok = false;
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  int status = 0;
  std::string body;
};

/// One GET through `client`, with the Host header the gateway sets (the endpoint's host).
Task<Outcome> get(Client& client, const Endpoint& endpoint) {
  const std::string target = endpoint.base_path + "/models";
  ClientRequest request;
  request.method = "GET";
  request.target = target;
  request.headers.push_back({"host", endpoint.host});
  auto response = co_await client.send(endpoint, std::move(request), kTimeout);
  Outcome outcome;
  if (!response) {
    outcome.code = response.error().code;
    outcome.message = response.error().message;
    co_return outcome;
  }
  outcome.status = response->status();
  auto body = co_await response->readAll(1024, kTimeout);
  if (!body) {
    outcome.code = body.error().code;
    outcome.message = body.error().message;
    co_return outcome;
  }
  outcome.ok = true;
  outcome.body = std::move(*body);
  co_return outcome;
}

TEST(Client, PinnedEndpointConnectsWithoutResolvingTheName) {
  TinyUpstream upstream(2);
  Client client(ClientOptions{});
  Endpoint pinned;
  pinned.tls = false;
  pinned.host = "pinned.invalid";  // .invalid never resolves (RFC 6761)
  pinned.port = upstream.port();
  pinned.base_path = "/v1";
  pinned.pinned_addresses = {"127.0.0.1"};
  Endpoint elsewhere = pinned;
  elsewhere.pinned_addresses = {"127.0.0.2"};  // loopback too, but nothing listens there

  std::vector<Outcome> outcomes;
  net::co_spawn(
      context(),
      [&]() -> Task<void> {
        outcomes.push_back(co_await get(client, pinned));
        // Same host and port, other pins: the pooled connection to 127.0.0.1 must not serve it.
        outcomes.push_back(co_await get(client, elsewhere));
        // Same pins again: the pooled connection is reused.
        outcomes.push_back(co_await get(client, pinned));
      },
      net::detached);
  context().restart();
  context().run_for(std::chrono::seconds(10));

  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_TRUE(outcomes[0].ok) << outcomes[0].message;
  EXPECT_EQ(outcomes[0].status, 200);
  EXPECT_EQ(outcomes[0].body, "ok");
  EXPECT_FALSE(outcomes[1].ok);
  EXPECT_EQ(outcomes[1].code, ErrorCode::kUpstreamError) << outcomes[1].message;
  EXPECT_TRUE(outcomes[2].ok) << outcomes[2].message;
  EXPECT_EQ(outcomes[2].body, "ok");

  EXPECT_EQ(upstream.connections, 1);
  ASSERT_EQ(upstream.heads.size(), 2u);
  for (const auto& head : upstream.heads) {
    EXPECT_EQ(head.rfind("get /v1/models http/1.1\r\n", 0), 0u) << head;
    EXPECT_NE(head.find("\r\nhost: pinned.invalid\r\n"), std::string::npos) << head;
  }
}

TEST(Client, InvalidPinIsAnUpstreamError) {
  Client client(ClientOptions{});
  Endpoint endpoint;
  endpoint.tls = false;
  endpoint.host = "pinned.invalid";
  endpoint.port = "80";
  endpoint.pinned_addresses = {"not-an-address"};
  std::optional<Outcome> outcome;
  net::co_spawn(
      context(), [&]() -> Task<void> { outcome = co_await get(client, endpoint); }, net::detached);
  context().restart();
  context().run_for(std::chrono::seconds(10));
  ASSERT_TRUE(outcome.has_value());
  EXPECT_FALSE(outcome->ok);
  EXPECT_EQ(outcome->code, ErrorCode::kUpstreamError);
  EXPECT_EQ(outcome->message, "invalid pinned upstream address");
}

}  // namespace
}  // namespace gatehouse::http
