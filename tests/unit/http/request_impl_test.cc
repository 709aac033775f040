#include "http/request_impl.h"

#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

#include <string>
#include <string_view>

namespace gatehouse::http {
namespace {

namespace bhttp = boost::beast::http;

// Parses `bytes` whole into `impl`; the parser's error, need_more included.
boost::system::error_code parseInto(RequestImpl& impl, std::string_view bytes,
                                    std::uint64_t body_limit = 1 << 20) {
  RequestParser parser(impl);
  parser.body_limit(body_limit);
  parser.eager(true);
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
  if (!ec && !parser.is_done()) {
    ec = bhttp::error::need_more;
  }
  return ec;
}

TEST(RequestParser, FillsTheRequestTheFacadeReads) {
  RequestImpl impl;
  ASSERT_FALSE(parseInto(impl,
                         "POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: gh\r\n"
                         "Authorization: Bearer first\r\nauthorization: Bearer second\r\n"
                         "Content-Length: 5\r\n\r\nhello"));
  const Request request(impl);
  EXPECT_EQ(request.method(), "POST");
  EXPECT_EQ(request.target(), "/v1/chat/completions?x=1");
  EXPECT_EQ(request.path(), "/v1/chat/completions");
  EXPECT_EQ(request.header("AUTHORIZATION"), "Bearer first");  // The first, as Beast's find.
  EXPECT_EQ(request.header("x-api-key"), "");
  EXPECT_EQ(request.body(), "hello");
  EXPECT_EQ(impl.version, 11U);
  EXPECT_EQ(impl.headers.size(), 4U);
}

TEST(RequestParser, AssemblesAChunkedBody) {
  RequestImpl impl;
  ASSERT_FALSE(parseInto(impl,
                         "POST /v1/messages HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n"));
  EXPECT_EQ(Request(impl).body(), "abcde");
}

TEST(RequestParser, TheBodyLimitHoldsForBothFramings) {
  RequestImpl sized;
  EXPECT_EQ(parseInto(sized, "POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world", 10),
            bhttp::error::body_limit);
  RequestImpl chunked;
  EXPECT_EQ(parseInto(chunked,
                      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n",
                      10),
            bhttp::error::body_limit);
}

// The session keeps one RequestImpl for all of a connection's requests: a reset must leave no
// byte of the last body where the next request's buffer lies, nor keep a huge buffer alive.
TEST(RequestImpl, ResetWipesTheBodyWhereItLiesAndLetsALargeBufferGo) {
  RequestImpl impl;
  const std::string secret(40, 's');  // Past the short-string buffer: on the heap.
  ASSERT_FALSE(parseInto(impl, "POST / HTTP/1.1\r\nContent-Length: 40\r\n\r\n" + secret));
  const char* const data = impl.body.data();
  impl.reset();
  EXPECT_TRUE(impl.body.empty());
  EXPECT_TRUE(impl.headers.empty());
  EXPECT_TRUE(impl.method.empty() && impl.target.empty());
  ASSERT_EQ(impl.body.data(), data);  // The buffer is kept for the next request...
  EXPECT_EQ(std::string_view(data, secret.size()), std::string(secret.size(), '\0'));  // ...wiped.

  impl.body.assign(1 << 20, 'x');
  impl.reset();
  EXPECT_LT(impl.body.capacity(), std::size_t{1} << 20);
}

// A field's strings are reused by the next request's fields, wiped in between; a long one is
// let go, so requests with large fields cannot leave an idle connection holding their room.
TEST(RequestImpl, ResetKeepsShortFieldsWipedForReuseAndLetsLongOnesGo) {
  RequestImpl impl;
  const std::string key = "Bearer gtk_" + std::string(40, 'k');  // Past the short-string buffer.
  ASSERT_FALSE(parseInto(impl, "GET / HTTP/1.1\r\nAuthorization: " + key + "\r\n\r\n"));
  const char* const value = impl.headers.at(0).value.data();
  impl.reset();
  EXPECT_EQ(std::string_view(value, key.size()), std::string(key.size(), '\0'));
  ASSERT_FALSE(
      parseInto(impl, "GET / HTTP/1.1\r\nUser-Agent: " + std::string(30, 'u') + "\r\n\r\n"));
  EXPECT_EQ(impl.headers.at(0).value.data(), value);  // The wiped room, reused.
  EXPECT_EQ(Request(impl).header("user-agent"), std::string(30, 'u'));
  EXPECT_EQ(Request(impl).header("authorization"), "");

  const std::string large(4096, 'x');
  impl.reset();
  ASSERT_FALSE(parseInto(impl, "GET / HTTP/1.1\r\nX-Large: " + large + "\r\n\r\n"));
  impl.reset();
  ASSERT_FALSE(parseInto(impl, "GET / HTTP/1.1\r\nX-Small: s\r\n\r\n"));
  EXPECT_LT(impl.headers.at(0).value.capacity(), large.size());
}

TEST(FieldValue, OnlyVisibleCharactersSpacesAndTabsMayBeSent) {
  EXPECT_TRUE(isValidFieldValue("Bearer sk-abc_123\t=~"));
  EXPECT_TRUE(isValidFieldValue("caf\xc3\xa9"));  // obs-text
  EXPECT_TRUE(isValidFieldValue(""));
  for (int byte = 0; byte < 0x20; ++byte) {
    EXPECT_EQ(isValidFieldValue("a" + std::string(1, static_cast<char>(byte)) + "b"), byte == '\t')
        << byte;
  }
  EXPECT_FALSE(isValidFieldValue("a\x7f"));
}

}  // namespace
}  // namespace gatehouse::http
