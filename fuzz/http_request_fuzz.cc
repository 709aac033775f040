// Feeds arbitrary bytes to the request parser exactly as the server configures it (header and
// body limits, split reads), then reads the request through the facade the handler sees, and
// checks that it shows what Beast's own request_parser makes of the same bytes.

#include <gatehouse/http/types.h>

#include "http/request_impl.h"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

constexpr std::size_t kMaxHeaderBytes = 16 * 1024;
constexpr std::size_t kMaxBodyBytes = 64 * 1024;

void check(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace bhttp = boost::beast::http;
  if (size == 0) {
    return 0;
  }
  // The first byte picks where the input is split, as TCP would split it.
  const std::size_t split = data[0] % size;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  gatehouse::http::RequestImpl impl;
  gatehouse::http::RequestParser parser(impl);
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
  impl.remote_address = "127.0.0.1";
  impl.request_id = "req_fuzz";
  const gatehouse::http::Request request(impl);
  volatile std::size_t sink = request.method().size() + request.target().size() +
                              request.path().size() + request.header("authorization").size() +
                              request.header("x-api-key").size() + request.body().size();
  (void)sink;
  // What Beast's own request_parser makes of the same bytes is what the facade must show.
  bhttp::request_parser<bhttp::string_body> beast;
  beast.header_limit(kMaxHeaderBytes);
  beast.body_limit(kMaxBodyBytes);
  beast.eager(true);
  boost::system::error_code beast_ec;
  const std::string whole(input);
  std::size_t used = 0;
  while (used < whole.size() && !beast_ec && !beast.is_done()) {
    const std::size_t n =
        beast.put(boost::asio::buffer(whole.data() + used, whole.size() - used), beast_ec);
    used += n;
    if (n == 0) {
      break;
    }
  }
  if (!beast_ec && beast.is_done() && parser.is_done()) {
    const auto& message = beast.get();
    check(request.method() == message.method_string());
    check(request.target() == message.target());
    check(request.body() == message.body());
    check(parser.keep_alive() == message.keep_alive());
    for (const auto& field : message) {
      check(request.header(field.name_string()) == message[field.name_string()]);
    }
  }
  return 0;
}
