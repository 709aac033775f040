#pragma once

#include <gatehouse/http/types.h>

#include <boost/beast/http/basic_parser.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::http {

/// The server-side state behind a Request facade. A session keeps one and reuses its buffers
/// from one request to the next.
class RequestImpl {
 public:
  RequestImpl() = default;
  RequestImpl(const RequestImpl&) = delete;
  RequestImpl& operator=(const RequestImpl&) = delete;
  ~RequestImpl() { wipe(); }

  /// The first value of the named field (case-insensitive), or "" when absent.
  std::string_view header(std::string_view name) const { return findHeader(headers, name); }

  /// Forgets the last request. Its header values (the caller's key among them) and body are
  /// wiped first, since the buffers live on; a large body's buffer is let go.
  void reset();

  /// Appends a field, in the room a field of an earlier request left.
  void addHeader(std::string_view name, std::string_view value) {
    if (spare_headers_.empty()) {
      headers.push_back({std::string(name), std::string(value)});
      return;
    }
    Header& header = headers.emplace_back(std::move(spare_headers_.back()));
    spare_headers_.pop_back();
    header.name.assign(name);
    header.value.assign(value);
  }

  std::string method;
  std::string target;
  unsigned version = 11;
  std::vector<Header> headers;  ///< In the order they arrived.
  std::string body;
  std::string remote_address;
  std::string request_id;

 private:
  // The header values (the caller's key among them) and the body, zeroed where they lie.
  void wipe();

  // Short fields of the last requests, wiped, kept for their strings' room: a request then
  // allocates nothing for fields no longer than those before it. Bounded in number and size,
  // so an idle connection holds a few KiB at most, whatever its requests sent.
  std::vector<Header> spare_headers_;
};

/// Parses a caller's request into a RequestImpl. Beast's basic_parser does all of the HTTP
/// work, the header and body limits included; this only stores what it finds, straight into
/// the session's buffers, where Beast's request_parser would build a message (a node per field)
/// to be moved out and destroyed.
class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  explicit RequestParser(RequestImpl& into) : into_(into) {}

 private:
  using error_code = boost::system::error_code;
  using string_view = boost::beast::string_view;

  void on_request_impl(boost::beast::http::verb, string_view method, string_view target,
                       int version, error_code&) override {
    into_.method.assign(method.data(), method.size());
    into_.target.assign(target.data(), target.size());
    into_.version = static_cast<unsigned>(version);
  }
  void on_response_impl(int, string_view, int, error_code&) override {}
  void on_field_impl(boost::beast::http::field, string_view name, string_view value,
                     error_code&) override {
    into_.addHeader({name.data(), name.size()}, {value.data(), value.size()});
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
    // basic_parser has already refused a Content-Length over the body limit.
    if (length) {
      into_.body.reserve(static_cast<std::size_t>(*length));
    }
  }
  std::size_t on_body_impl(string_view body, error_code&) override {
    into_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override {
    into_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_finish_impl(error_code&) override {}

  RequestImpl& into_;
};

}  // namespace gatehouse::http
