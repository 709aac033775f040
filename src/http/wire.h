#pragma once

// Reading and writing HTTP/1.1 messages with as few asynchronous operations as the bytes
// allow. Beast parses and serializes; these helpers only decide when to touch the socket:
//
//  - reads feed Beast's parser straight from the connection's buffer and await the socket
//    only when the parser needs more bytes, so a request or response that arrived in one
//    segment is parsed without another composed operation, post or timer;
//  - writes send the serialized header and the body as one gather write, so the socket sees
//    one sendmsg per message instead of a walk through Beast's serializer machinery; on plain
//    TCP that sendmsg is made on the spot, and only bytes the socket would not take wait for
//    an asynchronous write.
//
// Included by server.cc and client.cc only (STYLE: Beast templates stay out of wide headers).

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/container/small_vector.hpp>

#include <gatehouse/common/secret.h>
#include <gatehouse/common/task.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <string>
#include <string_view>

namespace gatehouse::http::wire {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
inline constexpr auto kAsTuple = net::as_tuple(net::use_awaitable);

/// What a read stops at.
enum class Until { kHeader, kBodyProgress, kMessage };

inline bool reached(Until until, bool header_done, bool message_done, bool body_progress) {
  switch (until) {
    case Until::kHeader:
      return header_done;
    case Until::kBodyProgress:
      return body_progress || message_done;
    case Until::kMessage:
      return message_done;
  }
  return true;
}

/// Feeds `buffer` to `parser`, reading from `stream` (in pieces of at most `read_size` bytes)
/// only when the parser needs more, until `until` holds. Errors are Beast's: end_of_stream
/// when the peer closed before sending anything, partial_message when it closed mid-message,
/// header_limit/body_limit, need_buffer (a buffer_body whose buffer is full), or the socket's
/// own (a socket closed by its Deadline fails with operation_aborted or bad_descriptor).
template <class Stream, class Parser>
Task<boost::system::error_code> read(Stream& stream, beast::flat_buffer& buffer, Parser& parser,
                                     Until until, std::size_t read_size) {
  bool body_progress = false;
  for (;;) {
    if (buffer.size() > 0) {
      boost::system::error_code ec;
      const bool header_was_done = parser.is_header_done();
      const std::size_t used = parser.put(buffer.data(), ec);
      // The parser has copied what it took (fields, body); the raw bytes, which include the
      // caller's key on the server side, are wiped rather than left in the buffer's memory.
      secureWipe(buffer.data().data(), used);
      buffer.consume(used);
      body_progress = body_progress || (header_was_done && used > 0);
      if (ec && ec != bhttp::error::need_more) {
        co_return ec;
      }
      // The parser took a part (a header, a chunk size line, body bytes) and more is
      // buffered: offer it the rest before deciding, so body progress means body bytes
      // whenever they are already here.
      const bool more_buffered = !ec && used > 0 && buffer.size() > 0;
      if (reached(until, parser.is_header_done(), parser.is_done(),
                  body_progress && !more_buffered)) {
        co_return boost::system::error_code();
      }
      if (more_buffered) {
        continue;
      }
    } else if (reached(until, parser.is_header_done(), parser.is_done(), body_progress)) {
      co_return boost::system::error_code();
    }
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(read_size), kAsTuple);
    if (ec == net::error::eof) {
      if (!parser.got_some()) {
        co_return bhttp::error::end_of_stream;
      }
      boost::system::error_code eof_ec;
      parser.put_eof(eof_ec);
      if (eof_ec) {
        co_return eof_ec;
      }
      co_return reached(until, parser.is_header_done(), parser.is_done(), true)
          ? boost::system::error_code()
          : boost::system::error_code(bhttp::error::partial_message);
    }
    if (ec) {
      co_return ec;
    }
    buffer.commit(n);
  }
}

/// A message header formatted straight into its bytes. Beast's message and serializer would
/// allocate a node per field, keep the fields in a set as well as a list, and walk a
/// buffer-sequence machinery to write them out, for fields that are set once and written once.
/// The bytes are what Beast writes for the same calls: `set()` replaces every earlier field of
/// that name, whatever its case, and puts the new one last. Names and values are viewed, not
/// copied, so they must outlive `formatRequest()`/`formatResponse()`.
class HeaderWriter {
 public:
  HeaderWriter() = default;
  HeaderWriter(const HeaderWriter&) = delete;  // Content-Length's value lies inside.
  HeaderWriter& operator=(const HeaderWriter&) = delete;

  void set(std::string_view name, std::string_view value) {
    erase(name);
    fields_.push_back({name, value});
  }
  void erase(std::string_view name) {
    fields_.erase(
        std::remove_if(fields_.begin(), fields_.end(),
                       [name](const Field& field) { return beast::iequals(field.name, name); }),
        fields_.end());
  }
  void setContentLength(std::size_t length) {
    const auto end = std::to_chars(length_.data(), length_.data() + length_.size(), length).ptr;
    set("Content-Length", std::string_view(length_.data(), end - length_.data()));
  }

  std::string formatRequest(std::string_view method, std::string_view target) const {
    std::string out;
    out.reserve(size(method.size() + target.size() + 11));
    out.append(method).push_back(' ');
    out.append(target).append(" HTTP/1.1\r\n");
    return fieldsAfter(std::move(out));
  }
  /// `version` is 10 or 11, as in Beast.
  std::string formatResponse(int status, unsigned version = 11) const {
    const std::string_view reason = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
    char digits[8];
    const auto end = std::to_chars(digits, digits + sizeof digits, status).ptr;
    std::string out;
    out.reserve(size(reason.size() + 16));
    out.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ").append(digits, end).push_back(' ');
    out.append(reason).append("\r\n");
    return fieldsAfter(std::move(out));
  }

 private:
  struct Field {
    std::string_view name;
    std::string_view value;
  };

  std::size_t size(std::size_t start_line) const {
    std::size_t total = start_line + 2;
    for (const Field& field : fields_) {
      total += field.name.size() + field.value.size() + 4;
    }
    return total;
  }
  std::string fieldsAfter(std::string out) const {
    for (const Field& field : fields_) {
      out.append(field.name).append(": ").append(field.value).append("\r\n");
    }
    out.append("\r\n");
    return out;
  }

  boost::container::small_vector<Field, 12> fields_;
  std::array<char, 24> length_{};
};

/// The socket of a plain TCP stream; none for a stream (TLS) that encodes what it sends.
inline net::ip::tcp::socket* plainSocket(net::ip::tcp::socket& socket) {
  return &socket;
}
template <class Stream>
net::ip::tcp::socket* plainSocket(Stream&) {
  return nullptr;
}

/// Sends all of `buffers`. On plain TCP it first writes, without blocking, what the socket
/// takes now: a message that fits the send buffer (the usual case) then costs one sendmsg and
/// no asynchronous operation, timer or trip through the scheduler. Whatever is left is written
/// asynchronously, under the socket's Deadline. `buffers` is taken by value so that callers
/// may return this coroutine itself instead of awaiting it in one of their own.
template <class Stream, class Buffers>
Task<boost::system::error_code> writeAll(Stream& stream, Buffers buffers) {
  std::size_t sent = 0;
  if (net::ip::tcp::socket* socket = plainSocket(stream)) {
    boost::system::error_code ec;
    if (!socket->non_blocking()) {
      socket->non_blocking(true, ec);  // Once per socket: write_some must not wait.
    }
    if (!ec) {
      sent = socket->write_some(buffers, ec);
    }
    if (!ec && sent == net::buffer_size(buffers)) {
      co_return ec;
    }
    if (ec && ec != net::error::would_block) {
      co_return ec;
    }
  }
  beast::buffers_suffix<Buffers> rest(buffers);
  rest.consume(sent);
  auto [ec, n] = co_await net::async_write(stream, rest, kAsTuple);
  co_return ec;
}

/// Writes `head` then `body` in one gather write. Both must stay valid until it completes.
template <class Stream>
Task<boost::system::error_code> write(Stream& stream, std::string_view head,
                                      std::string_view body) {
  return writeAll(stream, std::array<net::const_buffer, 2>{net::buffer(head.data(), head.size()),
                                                           net::buffer(body.data(), body.size())});
}

/// A chunk's "size CRLF" line, formatted into `line`.
inline net::const_buffer chunkSizeLine(std::size_t size, std::array<char, 20>& line) {
  char* end = std::to_chars(line.data(), line.data() + 16, size, 16).ptr;
  *end++ = '\r';
  *end++ = '\n';
  return net::buffer(line.data(), static_cast<std::size_t>(end - line.data()));
}

/// Writes `head` (the message header when it has not gone yet, else empty), then one chunk of
/// a chunked body ("size CRLF data CRLF"), in one write. An empty `data` would end the body,
/// so callers skip it.
template <class Stream>
Task<boost::system::error_code> writeChunk(Stream& stream, std::string_view head,
                                           std::string_view data) {
  std::array<char, 20> size_line;
  static constexpr char kCrlf[] = "\r\n";
  const std::array<net::const_buffer, 4> buffers{
      net::buffer(head.data(), head.size()), chunkSizeLine(data.size(), size_line),
      net::buffer(data.data(), data.size()), net::buffer(kCrlf, 2)};
  co_return co_await writeAll(stream, buffers);
}

/// Writes `head` as writeChunk() does, then the end of a chunked body with no trailer: `data`
/// as a last data chunk unless it is empty, and the terminating chunk, in one write.
template <class Stream>
Task<boost::system::error_code> writeLastChunk(Stream& stream, std::string_view head,
                                               std::string_view data) {
  static constexpr char kEnd[] = "\r\n0\r\n\r\n";  // Ends the data chunk, then the body.
  std::array<char, 20> size_line;
  const std::array<net::const_buffer, 4> buffers{
      net::buffer(head.data(), head.size()),
      data.empty() ? net::const_buffer() : chunkSizeLine(data.size(), size_line),
      net::buffer(data.data(), data.size()),
      data.empty() ? net::const_buffer(kEnd + 2, 5) : net::const_buffer(kEnd, 7)};
  co_return co_await writeAll(stream, buffers);
}

}  // namespace gatehouse::http::wire
