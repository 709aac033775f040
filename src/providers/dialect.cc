#include <gatehouse/providers/dialect.h>
#include <gatehouse/providers/sse.h>

#include "json_util.h"

#include <cstdint>
#include <string>

namespace gatehouse::providers {
namespace detail {

namespace {

// Length of the valid UTF-8 sequence that starts at text[i], or 0 when it is not valid.
std::size_t validUtf8Length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(text[k]); };
  const std::uint8_t lead = byte(i);
  if (lead < 0x80) {
    return 1;
  }
  std::size_t length = 0;
  std::uint32_t code = 0;
  std::uint32_t min = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, code = lead & 0x1Fu, min = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, code = lead & 0x0Fu, min = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, code = lead & 0x07u, min = 0x10000;
  } else {
    return 0;
  }
  if (i + length > text.size()) {
    return 0;
  }
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0u) != 0x80u) {
      return 0;
    }
    code = (code << 6) | (byte(i + k) & 0x3Fu);
  }
  if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
    return 0;
  }
  return length;
}

}  // namespace

std::string sanitizeUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = validUtf8Length(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string truncateUtf8(std::string_view text, std::size_t max_bytes) {
  std::string clean = sanitizeUtf8(text);
  if (clean.size() <= max_bytes) {
    return clean;
  }
  std::size_t cut = max_bytes;
  // Step back over continuation bytes so the cut lands on a character boundary.
  while (cut > 0 && (static_cast<std::uint8_t>(clean[cut]) & 0xC0u) == 0x80u) {
    --cut;
  }
  clean.resize(cut);
  clean += "...";
  return clean;
}

int statusForAnthropicErrorType(std::string_view type) {
  if (type == "authentication_error") {
    return 401;
  }
  if (type == "billing_error") {
    return 402;
  }
  if (type == "permission_error") {
    return 403;
  }
  if (type == "not_found_error") {
    return 404;
  }
  if (type == "request_too_large") {
    return 413;
  }
  if (type == "rate_limit_error") {
    return 429;
  }
  if (type == "timeout_error") {
    return 504;
  }
  if (type == "overloaded_error") {
    return 529;
  }
  if (type == "invalid_request_error") {
    return 400;
  }
  return 500;  // api_error and anything newer
}

int statusForOpenAIError(const json::object& error) {
  // Some OpenAI-compatible servers (vLLM) put the HTTP status in `code`.
  if (const std::optional<std::int64_t> code = integerField(error, "code");
      code && *code >= 400 && *code <= 599) {
    return static_cast<int>(*code);
  }
  const std::string_view type = stringOr(error, "type");
  const std::string_view code = stringOr(error, "code");
  if (code == "invalid_api_key" || type == "authentication_error") {
    return 401;
  }
  if (code == "rate_limit_exceeded" || code == "insufficient_quota" || type == "requests" ||
      type == "tokens" || type == "rate_limit_error" || type == "insufficient_quota") {
    return 429;
  }
  if (code == "model_not_found") {
    return 404;
  }
  if (type == "permission_error") {
    return 403;
  }
  if (type == "invalid_request_error") {
    return 400;
  }
  return 500;  // server_error and anything unknown
}

}  // namespace detail

namespace {

using detail::json::object;

struct OpenAIErrorKind {
  std::string_view type;
  std::string_view code;  ///< Empty: JSON null.
};

// OpenAI's own bodies: 401 is invalid_request_error/invalid_api_key ("Incorrect API key
// provided"), unknown models are invalid_request_error/model_not_found, 5xx are server_error.
OpenAIErrorKind openaiErrorKind(int status) {
  switch (status) {
    case 401:
      return {"invalid_request_error", "invalid_api_key"};
    case 403:
      return {"permission_error", {}};
    case 404:
      return {"invalid_request_error", "model_not_found"};
    case 429:
      return {"rate_limit_error", "rate_limit_exceeded"};
    default:
      break;
  }
  if (status >= 500) {
    return {"server_error", {}};
  }
  return {"invalid_request_error", {}};  // 400, 413 and every other 4xx
}

// Anthropic's documented types (https://docs.anthropic.com/en/api/errors).
std::string_view anthropicErrorType(int status) {
  switch (status) {
    case 401:
      return "authentication_error";
    case 402:
      return "billing_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 503:
    case 529:
      return "overloaded_error";
    case 504:
      return "timeout_error";
    default:
      break;
  }
  if (status >= 500) {
    return "api_error";
  }
  return "invalid_request_error";
}

std::string_view reasonPhrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 402:
      return "Payment Required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 529:
      return "Overloaded";
    default:
      return {};
  }
}

}  // namespace

std::string_view dialectName(Dialect dialect) {
  switch (dialect) {
    case Dialect::kOpenAI:
      return "openai";
    case Dialect::kAnthropic:
      return "anthropic";
  }
  return "unknown";
}

std::string errorBody(Dialect dialect, int status, std::string_view message) {
  const std::string text = detail::sanitizeUtf8(message);
  if (dialect == Dialect::kAnthropic) {
    object error;
    error["type"] = anthropicErrorType(status);
    error["message"] = text;
    object body;
    body["type"] = "error";
    body["error"] = std::move(error);
    return detail::toJson(body);
  }
  const OpenAIErrorKind kind = openaiErrorKind(status);
  object error;
  error["message"] = text;
  error["type"] = kind.type;
  error["param"] = nullptr;
  if (kind.code.empty()) {
    error["code"] = nullptr;
  } else {
    error["code"] = kind.code;
  }
  object body;
  body["error"] = std::move(error);
  return detail::toJson(body);
}

std::string streamErrorEvent(Dialect dialect, int status, std::string_view message) {
  std::string out;
  appendSseEvent(out, dialect == Dialect::kAnthropic ? "error" : "",
                 errorBody(dialect, status, message));
  return out;
}

std::string upstreamErrorMessage(std::string_view body, int status) {
  using detail::stringField;
  if (const std::optional<object> parsed = detail::parseObject(body)) {
    const detail::json::string* message = nullptr;
    if (const object* error = detail::objectField(*parsed, "error")) {
      message = stringField(*error, "message");  // OpenAI and Anthropic
    } else {
      message = stringField(*parsed, "error");  // Ollama, llama.cpp: {"error":"..."}
    }
    if (message == nullptr) {
      message = stringField(*parsed, "message");  // vLLM: {"object":"error","message":...}
    }
    if (message == nullptr) {
      message = stringField(*parsed, "detail");  // FastAPI-based servers
    }
    if (message != nullptr && !message->empty()) {
      return detail::truncateUtf8(detail::view(*message), detail::kMaxRelayedMessageBytes);
    }
  }
  std::string text = "upstream returned HTTP " + std::to_string(status);
  if (const std::string_view phrase = reasonPhrase(status); !phrase.empty()) {
    text += " (";
    text += phrase;
    text += ")";
  }
  return text;
}

}  // namespace gatehouse::providers
