#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string>

namespace gatehouse::http {

/// The server-side state behind a Request facade.
class RequestImpl {
 public:
  boost::beast::http::request<boost::beast::http::string_body> message;
  std::string remote_address;
  std::string request_id;
};

}  // namespace gatehouse::http
