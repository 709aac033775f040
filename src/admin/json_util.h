#pragma once

// Request-body helpers for the admin service: parse without throwing, read typed fields.
#include <gatehouse/common/result.h>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::admin {

constexpr std::size_t kMaxAdminBodyBytes = 64 * 1024;

/// The body as a JSON object; an empty body is an empty object.
inline Result<boost::json::object> parseObject(std::string_view body) {
  if (body.size() > kMaxAdminBodyBytes) {
    return makeError(ErrorCode::kPayloadTooLarge, "The request body is too large.");
  }
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return boost::json::object();
  }
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(body, ec);
  if (ec || !value.is_object()) {
    return makeError(ErrorCode::kInvalidRequest, "The request body must be a JSON object.");
  }
  return std::move(value.as_object());
}

/// A string field, or nullopt when absent or not a string.
inline std::optional<std::string> stringField(const boost::json::object& object,
                                              std::string_view name) {
  const auto* value = object.if_contains(name);
  if (!value || !value->is_string()) {
    return std::nullopt;
  }
  return std::string(value->as_string());
}

}  // namespace gatehouse::admin
