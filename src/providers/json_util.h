#pragma once

// Private helpers shared by the provider translations: typed, non-throwing access to Boost.JSON
// values, and the mappings both the body and the stream translations use.
#include <gatehouse/common/result.h>
#include <gatehouse/providers/dialect.h>

#include <boost/json/array.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace gatehouse::providers::detail {

namespace json = boost::json;

inline std::string_view view(const json::string& s) {
  return {s.data(), s.size()};
}

inline const json::string* stringField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v == nullptr ? nullptr : v->if_string();
}

inline const json::object* objectField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v == nullptr ? nullptr : v->if_object();
}

inline const json::array* arrayField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v == nullptr ? nullptr : v->if_array();
}

/// True when `key` is absent or JSON null: OpenAI clients send null for "not set".
inline bool absent(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v == nullptr || v->is_null();
}

/// The string at `key`, or `fallback` when it is absent or not a string.
inline std::string_view stringOr(const json::object& o, std::string_view key,
                                 std::string_view fallback = {}) {
  const json::string* s = stringField(o, key);
  return s == nullptr ? fallback : view(*s);
}

/// An integral JSON number (int64, uint64 in range, or a double with no fraction).
inline std::optional<std::int64_t> asInteger(const json::value& v) {
  if (const std::int64_t* i = v.if_int64()) {
    return *i;
  }
  if (const std::uint64_t* u = v.if_uint64()) {
    if (*u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return static_cast<std::int64_t>(*u);
    }
    return std::nullopt;
  }
  if (const double* d = v.if_double()) {
    // 2^63 is exactly representable; anything at or above it does not fit.
    if (std::isfinite(*d) && std::trunc(*d) == *d && *d > -9.2233720368547758e18 &&
        *d < 9.2233720368547758e18) {
      return static_cast<std::int64_t>(*d);
    }
  }
  return std::nullopt;
}

inline std::optional<std::int64_t> integerField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v == nullptr ? std::nullopt : asInteger(*v);
}

/// A token count: a non-negative integer, 0 when absent or ill-typed (usage is best effort).
inline std::int64_t tokenCount(const json::object* o, std::string_view key) {
  if (o == nullptr) {
    return 0;
  }
  const std::optional<std::int64_t> n = integerField(*o, key);
  return n && *n > 0 ? *n : 0;
}

inline bool isNumber(const json::value& v) {
  return v.is_number();
}

inline std::string toJson(const json::value& v) {
  return json::serialize(v);
}

inline Error invalidRequest(std::string message) {
  return makeError(ErrorCode::kInvalidRequest, std::move(message));
}

inline Error upstreamError(std::string message) {
  return makeError(ErrorCode::kUpstreamError, std::move(message));
}

/// Parses `text` as a JSON object without throwing. The object's memory comes from
/// `storage`; a caller that passes an arena must not let the object (or a copy of one of its
/// values, which shares the arena) outlive it.
inline std::optional<json::object> parseObject(std::string_view text,
                                               json::storage_ptr storage = {}) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec, std::move(storage));
  if (ec || !v.is_object()) {
    return std::nullopt;
  }
  return std::move(v.as_object());
}

/// Scratch memory for parsing one streamed event that is only inspected, never kept: most
/// chunks fit in the inline buffer, so parsing allocates nothing and freeing is a no-op.
class EventArena {
 public:
  EventArena() : resource_(buffer_, sizeof buffer_) {}
  json::storage_ptr storage() { return json::storage_ptr(&resource_); }

 private:
  alignas(std::max_align_t) unsigned char buffer_[4096];
  json::monotonic_resource resource_;
};

inline std::string_view stripPrefix(std::string_view s, std::string_view prefix) {
  if (s.substr(0, prefix.size()) == prefix) {
    s.remove_prefix(prefix.size());
  }
  return s;
}

/// "msg_01AB" -> "chatcmpl-01AB": the caller sees an id in its own dialect's shape that still
/// names the upstream message.
inline std::string openaiIdFromAnthropic(std::string_view id) {
  return "chatcmpl-" + std::string(stripPrefix(id, "msg_"));
}

inline std::string anthropicIdFromOpenAI(std::string_view id) {
  return "msg_" + std::string(stripPrefix(id, "chatcmpl-"));
}

/// Anthropic stop_reason -> OpenAI finish_reason.
inline std::string_view openaiFinishReason(std::string_view stop_reason) {
  if (stop_reason == "max_tokens" || stop_reason == "model_context_window_exceeded") {
    return "length";
  }
  if (stop_reason == "tool_use") {
    return "tool_calls";
  }
  if (stop_reason == "refusal") {
    return "content_filter";
  }
  return "stop";  // end_turn, stop_sequence, pause_turn
}

/// OpenAI finish_reason -> Anthropic stop_reason.
inline std::string_view anthropicStopReason(std::string_view finish_reason) {
  if (finish_reason == "length") {
    return "max_tokens";
  }
  if (finish_reason == "tool_calls" || finish_reason == "function_call") {
    return "tool_use";
  }
  return "end_turn";  // stop, content_filter, and anything unknown
}

/// Token counts come from the upstream: add them without overflowing.
inline std::int64_t addCounts(std::int64_t a, std::int64_t b) {
  return a > std::numeric_limits<std::int64_t>::max() - b ? std::numeric_limits<std::int64_t>::max()
                                                          : a + b;
}

/// Anthropic counts cache reads and writes apart from input_tokens; OpenAI's prompt_tokens and
/// Gatehouse's metering count every prompt token.
inline std::int64_t anthropicPromptTokens(const json::object* usage) {
  return addCounts(addCounts(tokenCount(usage, "input_tokens"),
                             tokenCount(usage, "cache_creation_input_tokens")),
                   tokenCount(usage, "cache_read_input_tokens"));
}

/// Replaces invalid UTF-8 with U+FFFD so the text can go into a JSON string.
std::string sanitizeUtf8(std::string_view text);

/// At most `max_bytes` of `text`, cut on a UTF-8 boundary, with "..." when cut.
std::string truncateUtf8(std::string_view text, std::size_t max_bytes);

/// The HTTP status an Anthropic error type stands for (invalid_request_error -> 400, ...).
int statusForAnthropicErrorType(std::string_view type);

/// The HTTP status an OpenAI error object stands for, judged by its type and code.
int statusForOpenAIError(const json::object& error);

/// The most bytes of an upstream's own error message Gatehouse relays.
inline constexpr std::size_t kMaxRelayedMessageBytes = 500;

}  // namespace gatehouse::providers::detail
