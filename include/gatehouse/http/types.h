#pragma once

#include <gatehouse/common/task.h>

#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::http {

struct Header {
  std::string name;
  std::string value;
};

/// Overwrites every header value in place (they may carry credentials) before it is freed.
void wipeHeaderValues(std::vector<Header>& headers);

/// Case-insensitive ASCII comparison, as HTTP field names require.
bool equalsIgnoreCase(std::string_view a, std::string_view b);

/// The first value of the named header in `headers` (case-insensitive), or "" when absent.
std::string_view findHeader(const std::vector<Header>& headers, std::string_view name);

/// Whether `value` may be sent as an HTTP field value (RFC 9110 5.5): visible characters,
/// spaces and tabs only. A CR, LF or NUL in a value would end the field early and let the rest
/// be read as further fields, or as a second request on a pooled connection.
bool isValidFieldValue(std::string_view value);

class RequestImpl;

/// A parsed request, as the handler sees it: a read-only view over the server's own request
/// object, so no header or body is copied and no Beast type leaks out of src/http.
/// Valid only for the duration of Handler::handle().
class Request final {
 public:
  explicit Request(const RequestImpl& impl) : impl_(impl) {}

  std::string_view method() const;
  /// The request target as sent ("/v1/models?x=1").
  std::string_view target() const;
  /// The target without its query string.
  std::string_view path() const;
  /// The first value of the named header (case-insensitive), or "" when absent.
  std::string_view header(std::string_view name) const;
  std::string_view body() const;
  /// The peer's IP address.
  std::string_view remoteAddress() const;
  /// The id this request carries in logs and in the x-request-id response header.
  std::string_view requestId() const;

 private:
  const RequestImpl& impl_;
};

/// A complete (non-streamed) response.
struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<Header> headers;
  std::string body;
};

/// How a handler answers. Exactly one of send() or beginStream()..endStream() per request.
/// Every call returns false once the client is gone (closed, reset, or too slow to read);
/// the handler should then stop work for this request.
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;

  virtual Task<bool> send(Response response) = 0;

  /// Starts a chunked text/event-stream response. The header is held back to go out in the
  /// same write as the first bytes (writeChunk() or endStream()); flush() sends it on its own,
  /// for a caller about to wait for those bytes.
  virtual Task<bool> beginStream(int status, std::vector<Header> headers) = 0;
  virtual Task<bool> flush() = 0;
  virtual Task<bool> writeChunk(std::string_view bytes) = 0;
  /// Ends the stream. `last_bytes` (may be empty) go out in the same write as the terminating
  /// chunk, so a stream's tail costs the caller one read, not two.
  virtual Task<bool> endStream(std::string_view last_bytes) = 0;

  /// True once a response (or the start of one) has been sent.
  virtual bool started() const = 0;
};

/// The application behind the server. One instance serves every worker thread concurrently,
/// so implementations must be thread-safe.
class Handler {
 public:
  virtual ~Handler() = default;

  virtual Task<void> handle(const Request& request, ResponseWriter& writer) = 0;

  /// The response for a request the server rejected before the handler saw it (too large,
  /// malformed, timed out), shaped for the API the target belongs to.
  virtual Response rejection(std::string_view target, int status,
                             std::string_view message) const = 0;
};

}  // namespace gatehouse::http
