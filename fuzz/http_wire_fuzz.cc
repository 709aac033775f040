// Drives wire::read, the loop the server and the upstream client parse with, over a stream
// that hands arbitrary bytes out in pieces as TCP would: a request read as the server reads it
// (header, then body, with its limits), or a response read as the client reads it (header,
// then the body in small buffers). It must never crash, hang, or hand out more body bytes than
// it was given.

#include "http/wire.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using gatehouse::http::wire::Until;

/// Serves `input` in pieces of at most `piece` bytes, then end of file; every read completes
/// through the io_context, as a socket read does.
class PieceStream {
 public:
  using executor_type = net::io_context::executor_type;

  PieceStream(net::io_context& context, std::string_view input, std::size_t piece)
      : context_(context), input_(input), piece_(piece) {}

  executor_type get_executor() { return context_.get_executor(); }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return net::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const MutableBuffers& target) {
          boost::system::error_code ec;
          std::size_t n = 0;
          if (offset_ >= input_.size()) {
            ec = net::error::eof;
          } else {
            const std::string_view next = input_.substr(offset_, piece_);
            n = net::buffer_copy(target, net::buffer(next.data(), next.size()));
            offset_ += n;
          }
          net::post(context_,
                    [handler = std::move(handler), ec, n]() mutable { std::move(handler)(ec, n); });
        },
        token, buffers);
  }

 private:
  net::io_context& context_;
  std::string_view input_;
  std::size_t piece_;
  std::size_t offset_ = 0;
};

gatehouse::Task<void> readRequest(PieceStream& stream) {
  beast::flat_buffer buffer;
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(64 * 1024);
  auto ec = co_await gatehouse::http::wire::read(stream, buffer, parser, Until::kHeader, 4096);
  if (ec) {
    co_return;
  }
  if (!parser.is_header_done()) {
    std::abort();
  }
  ec = co_await gatehouse::http::wire::read(stream, buffer, parser, Until::kMessage, 4096);
  if (!ec && !parser.is_done()) {
    std::abort();
  }
}

gatehouse::Task<void> readResponse(PieceStream& stream, std::size_t input_size) {
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::buffer_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(boost::none);
  auto ec = co_await gatehouse::http::wire::read(stream, buffer, parser, Until::kHeader, 4096);
  if (ec) {
    co_return;
  }
  char chunk[7];  // Small, so a body fills it again and again (need_buffer).
  std::size_t body_bytes = 0;
  while (!parser.is_done()) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    ec = co_await gatehouse::http::wire::read(stream, buffer, parser, Until::kBodyProgress, 4096);
    if (ec && ec != bhttp::error::need_buffer) {
      co_return;
    }
    body_bytes += sizeof chunk - parser.get().body().size;
    if (body_bytes > input_size) {
      std::abort();  // More body than bytes received.
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) {
    return 0;
  }
  // First byte: request or response, and the size of each piece the "network" delivers.
  const bool response = (data[0] & 1) != 0;
  const std::size_t piece = 1 + (data[0] >> 1);
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  net::io_context context;
  PieceStream stream(context, input, piece);
  if (response) {
    net::co_spawn(context, readResponse(stream, input.size()), net::detached);
  } else {
    net::co_spawn(context, readRequest(stream), net::detached);
  }
  context.run();
  return 0;
}
