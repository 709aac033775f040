// Feeds arbitrary bytes to the request parser exactly as the server configures it (header and
// body limits, split reads), then reads the request through the facade the handler sees.

#include <gatehouse/http/types.h>

#include "http/request_impl.h"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

constexpr std::size_t kMaxHeaderBytes = 16 * 1024;
constexpr std::size_t kMaxBodyBytes = 64 * 1024;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace bhttp = boost::beast::http;
  if (size == 0) {
    return 0;
  }
  // The first byte picks where the input is split, as TCP would split it.
  const std::size_t split = data[0] % size;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(kMaxHeaderBytes);
  parser.body_limit(kMaxBodyBytes);
  parser.eager(true);
  boost::system::error_code ec;
  std::string pending;
  for (const std::string_view piece : {input.substr(0, split), input.substr(split)}) {
    pending.append(piece);
    while (!pending.empty() && !ec && !parser.is_done()) {
      const std::size_t n = parser.put(boost::asio::buffer(pending.data(), pending.size()), ec);
      pending.erase(0, n);
      if (ec == bhttp::error::need_more) {
        ec = {};
        break;
      }
      if (n == 0) {
        break;
      }
    }
  }
  if (ec || !parser.is_header_done()) {
    return 0;
  }
  gatehouse::http::RequestImpl impl;
  impl.message = parser.release();
  impl.remote_address = "127.0.0.1";
  impl.request_id = "req_fuzz";
  const gatehouse::http::Request request(impl);
  volatile std::size_t sink = request.method().size() + request.target().size() +
                              request.path().size() + request.header("authorization").size() +
                              request.header("x-api-key").size() + request.body().size();
  (void)sink;
  return 0;
}
