#include "http/wire.h"
#include "http/deadline.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace gatehouse::http::wire {
namespace {

using tcp = net::ip::tcp;

// What Beast's own serializer writes for the header of `message`.
template <bool isRequest, class Fields>
std::string beastHeader(bhttp::message<isRequest, bhttp::empty_body, Fields>& message) {
  bhttp::serializer<isRequest, bhttp::empty_body, Fields> serializer{message};
  serializer.split(true);
  std::string out;
  boost::system::error_code ec;
  while (!ec && !serializer.is_header_done()) {
    serializer.next(ec, [&](boost::system::error_code&, const auto& buffers) {
      out += beast::buffers_to_string(buffers);
      serializer.consume(beast::buffer_bytes(buffers));
    });
  }
  return out;
}

TEST(WireHeaderWriter, RequestMatchesBeastByteForByte) {
  bhttp::request<bhttp::empty_body> message{bhttp::verb::post, "/v1/chat/completions?x=1", 11};
  message.set("Host", "api.example.com");
  message.set("Authorization", "Bearer sk-test");
  message.set("anthropic-version", "2023-06-01");
  message.content_length(42);
  message.keep_alive(true);
  HeaderWriter header;
  header.set("Host", "api.example.com");
  header.set("Authorization", "Bearer sk-test");
  header.set("anthropic-version", "2023-06-01");
  header.setContentLength(42);
  header.erase("Connection");
  EXPECT_EQ(header.formatRequest("POST", "/v1/chat/completions?x=1"), beastHeader(message));
}

TEST(WireHeaderWriter, ResponsesMatchBeastByteForByte) {
  for (const int status : {200, 404, 429, 504, 599}) {
    bhttp::response<bhttp::empty_body> message{static_cast<bhttp::status>(status), 11};
    message.set("Content-Type", "application/json");
    message.set("x-request-id", "req_1");
    message.keep_alive(false);
    message.content_length(7);
    HeaderWriter header;
    header.set("Content-Type", "application/json");
    header.set("x-request-id", "req_1");
    header.set("Connection", "close");
    header.setContentLength(7);
    EXPECT_EQ(header.formatResponse(status), beastHeader(message)) << status;
  }
  bhttp::response<bhttp::empty_body> chunked{bhttp::status::ok, 11};
  chunked.set("Content-Type", "text/event-stream; charset=utf-8");
  chunked.chunked(true);
  HeaderWriter stream;
  stream.set("Content-Type", "text/event-stream; charset=utf-8");
  stream.set("Transfer-Encoding", "chunked");
  EXPECT_EQ(stream.formatResponse(200), beastHeader(chunked));
  bhttp::response<bhttp::empty_body> old{bhttp::status::continue_, 10};
  EXPECT_EQ(HeaderWriter().formatResponse(100, 10), beastHeader(old));
}

// Property: any sequence of set() and erase() over names that differ only in case gives the
// bytes Beast's fields give for the same calls: the same survivors, in the same order.
TEST(WireHeaderWriter, SetAndEraseFollowBeastOnRandomSequences) {
  const std::vector<std::string> names = {
      "x-a",          "X-A",         "Content-Type",     "content-type",
      "x-request-id", "Retry-After", "x-ratelimit-reset"};
  std::mt19937 random(20261201);
  for (int round = 0; round < 2000; ++round) {
    bhttp::response<bhttp::empty_body> message{bhttp::status::too_many_requests, 11};
    HeaderWriter header;
    std::vector<std::string> values;  // Kept alive: the writer views them.
    values.reserve(16);
    const int operations = 1 + static_cast<int>(random() % 12);
    for (int i = 0; i < operations; ++i) {
      const std::string& name = names[random() % names.size()];
      if (random() % 4 == 0) {
        message.erase(name);
        header.erase(name);
      } else {
        values.push_back("v" + std::to_string(random() % 1000));
        message.set(name, values.back());
        header.set(name, values.back());
      }
    }
    const std::size_t length = random() % 100000;
    message.content_length(length);
    header.setContentLength(length);
    ASSERT_EQ(header.formatResponse(429), beastHeader(message)) << "round " << round;
  }
}

// Connects `peer` to a listener on 127.0.0.1 and accepts the connection into `local`.
// `peer_receive_buffer`, when set, is `peer`'s receive buffer size, set before it connects.
void connectPair(net::io_context& context, tcp::socket& local, tcp::socket& peer,
                 int peer_receive_buffer = 0) {
  tcp::acceptor acceptor(context, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  peer.open(tcp::v4());
  if (peer_receive_buffer > 0) {
    peer.set_option(net::socket_base::receive_buffer_size(peer_receive_buffer));
  }
  peer.connect(acceptor.local_endpoint());
  acceptor.accept(local);
}

// A connected pair of sockets on 127.0.0.1; the test writes to `peer` and reads `local`.
class WireReadTest : public ::testing::Test {
 protected:
  WireReadTest() : local(context), peer(context) { connectPair(context, local, peer); }

  // Runs `read` on the context and returns its error.
  template <class Parser>
  boost::system::error_code read(Parser& parser, Until until) {
    auto future = net::co_spawn(context, wire::read(local, buffer, parser, until, 16 * 1024),
                                net::use_future);
    context.restart();
    context.run();
    return future.get();
  }

  net::io_context context;
  tcp::socket local;
  tcp::socket peer;
  beast::flat_buffer buffer;
};

TEST_F(WireReadTest, ParsesARequestThatArrivesOneByteAtATime) {
  const std::string request =
      "POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world";
  std::thread writer([&] {
    for (char c : request) {
      net::write(peer, net::buffer(&c, 1));
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  bhttp::request_parser<bhttp::string_body> parser;
  EXPECT_FALSE(read(parser, Until::kHeader));
  EXPECT_TRUE(parser.is_header_done());
  EXPECT_EQ(parser.get().target(), "/v1/embeddings");
  EXPECT_FALSE(read(parser, Until::kMessage));
  writer.join();
  EXPECT_TRUE(parser.is_done());
  EXPECT_EQ(parser.get().body(), "hello world");
}

TEST_F(WireReadTest, LeavesAPipelinedRequestInTheBuffer) {
  net::write(peer, net::buffer(std::string_view(
                       "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")));
  bhttp::request_parser<bhttp::string_body> first;
  EXPECT_FALSE(read(first, Until::kMessage));
  EXPECT_EQ(first.get().target(), "/a");
  EXPECT_EQ(beast::buffers_to_string(buffer.data()), "GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
  bhttp::request_parser<bhttp::string_body> second;
  EXPECT_FALSE(read(second, Until::kMessage));
  EXPECT_EQ(second.get().target(), "/b");
  EXPECT_EQ(buffer.size(), 0u);
}

TEST_F(WireReadTest, WipesTheBytesTheParserTook) {
  const std::string_view first = "GET /a HTTP/1.1\r\nAuthorization: Bearer gtk_secret\r\n\r\n";
  const std::string_view second = "GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
  net::write(peer, net::buffer(std::string(first) + std::string(second)));
  bhttp::request_parser<bhttp::string_body> parser;
  EXPECT_FALSE(read(parser, Until::kMessage));
  EXPECT_EQ(parser.get()[bhttp::field::authorization], "Bearer gtk_secret");  // A copy.
  // The second request is still buffered, so the first one's bytes sit right before it.
  ASSERT_EQ(beast::buffers_to_string(buffer.data()), second);
  const char* const taken = static_cast<const char*>(buffer.data().data()) - first.size();
  EXPECT_EQ(std::string_view(taken, first.size()), std::string(first.size(), '\0'));
}

TEST_F(WireReadTest, APeerThatClosesBeforeSendingIsEndOfStream) {
  peer.shutdown(tcp::socket::shutdown_send);
  bhttp::request_parser<bhttp::string_body> idle;
  EXPECT_EQ(read(idle, Until::kHeader), bhttp::error::end_of_stream);
}

TEST_F(WireReadTest, AMessageCutShortIsPartial) {
  net::write(peer, net::buffer(std::string_view(
                       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nshort")));
  peer.shutdown(tcp::socket::shutdown_send);
  bhttp::request_parser<bhttp::string_body> parser;
  EXPECT_EQ(read(parser, Until::kMessage), bhttp::error::partial_message);
}

TEST_F(WireReadTest, LimitsAreBeastsOwnErrors) {
  net::write(
      peer,
      net::buffer(std::string_view("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")));
  bhttp::request_parser<bhttp::string_body> parser;
  parser.body_limit(10);
  EXPECT_EQ(read(parser, Until::kHeader), bhttp::error::body_limit);

  bhttp::request_parser<bhttp::string_body> big_header;
  big_header.header_limit(64);
  net::write(peer, net::buffer("GET / HTTP/1.1\r\nX: " + std::string(200, 'a') + "\r\n\r\n"));
  buffer.consume(buffer.size());
  EXPECT_EQ(read(big_header, Until::kHeader), bhttp::error::header_limit);
}

TEST_F(WireReadTest, BodyProgressReturnsEachChunkOfAStreamAsItArrives) {
  net::write(peer, net::buffer(std::string_view(
                       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n")));
  bhttp::response_parser<bhttp::buffer_body> parser;
  EXPECT_FALSE(read(parser, Until::kHeader));
  char chunk[64];
  parser.get().body().data = chunk;
  parser.get().body().size = sizeof chunk;
  const auto ec = read(parser, Until::kBodyProgress);
  EXPECT_TRUE(!ec || ec == bhttp::error::need_buffer) << ec.message();
  EXPECT_EQ(std::string_view(chunk, sizeof chunk - parser.get().body().size), "first");
  EXPECT_FALSE(parser.is_done());  // Returned without waiting for the rest of the stream.
}

TEST(WireWriteChunk, FramesChunksAsHttpSays) {
  net::io_context context;
  tcp::socket local(context);
  tcp::socket peer(context);
  connectPair(context, local, peer);
  auto writes = [&]() -> Task<void> {
    co_await writeChunk(local, "HEAD ", std::string(300, 'x'));  // With a header first.
    co_await writeChunk(local, "", "y");
    co_await writeLastChunk(local, "", "tail");  // A last data chunk with the terminator.
    co_await writeLastChunk(local, "", "");      // The terminator alone.
    co_await writeLastChunk(local, "HEAD ", "");
    local.shutdown(tcp::socket::shutdown_send);
  };
  net::co_spawn(context, writes(), net::detached);
  context.run();
  std::string received;
  boost::system::error_code ec;
  char piece[1024];
  while (!ec) {
    const std::size_t n = peer.read_some(net::buffer(piece), ec);
    received.append(piece, n);
  }
  EXPECT_EQ(received, "HEAD 12c\r\n" + std::string(300, 'x') +
                          "\r\n1\r\ny\r\n4\r\ntail\r\n0\r\n\r\n0\r\n\r\nHEAD 0\r\n\r\n");
}

// A message larger than the socket will take at once: the part written on the spot and the
// remainder written asynchronously arrive whole and in order.
TEST(WireWrite, AMessageTheSocketCannotTakeAtOnceArrivesWhole) {
  net::io_context context;
  tcp::socket local(context);
  tcp::socket peer(context);
  connectPair(context, local, peer, 4096);
  local.set_option(net::socket_base::send_buffer_size(4096));
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n";
  std::string body(1 << 20, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) {
    body[i] = static_cast<char>('a' + i % 26);
  }
  std::string received;
  std::thread reader([&] {
    boost::system::error_code ec;
    char piece[65536];
    while (!ec) {
      received.append(piece, peer.read_some(net::buffer(piece), ec));
    }
  });
  boost::system::error_code write_ec = net::error::fault;
  auto writes = [&]() -> Task<void> {
    write_ec = co_await write(local, head, body);
    local.shutdown(tcp::socket::shutdown_send);
  };
  net::co_spawn(context, writes(), net::detached);
  context.run();
  reader.join();
  EXPECT_FALSE(write_ec) << write_ec.message();
  EXPECT_EQ(received.size(), head.size() + body.size());
  EXPECT_TRUE(received == head + body);
}

// The asynchronous remainder is still bounded by the socket's deadline: a peer that stops
// reading gets the write timed out rather than held forever.
TEST(WireWrite, TheRemainderTimesOutWhenThePeerStopsReading) {
  net::io_context context;
  tcp::socket local(context);
  tcp::socket peer(context);
  connectPair(context, local, peer);
  Deadline deadline(local);
  const std::string body(64 << 20, 'x');  // Far beyond both sockets' buffers.
  boost::system::error_code write_ec;
  auto writes = [&]() -> Task<void> {
    deadline.expiresAfter(std::chrono::milliseconds(200));
    write_ec = deadline.reason(co_await write(local, "", body));
  };
  net::co_spawn(context, writes(), net::detached);
  context.run();
  EXPECT_EQ(write_ec, beast::error::timeout);
}

}  // namespace
}  // namespace gatehouse::http::wire
