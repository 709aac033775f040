// SAX passes over upstream JSON that is relayed as it arrived: they validate it and pull out
// the few values the gateway meters, where a DOM would have been built only to be read once.

#include "chunk_scan.h"

#include "json_util.h"

#include <gatehouse/common/json_escape.h>
#include <gatehouse/providers/translate.h>

#include <boost/json/basic_parser_impl.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace gatehouse::providers {
namespace {

using boost::system::error_code;
using std::string_view;

// A key as it arrives in parts, kept only while it is short enough to be one we look for.
// Almost every key arrives whole (in one on_key), and is then used where it lies.
class ShortKey {
 public:
  void append(string_view part) {
    if (size_ + part.size() > sizeof buffer_) {
      overflow_ = true;
      return;
    }
    part.copy(buffer_ + size_, part.size());
    size_ += part.size();
  }
  // The whole key, given its last part (empty if it was too long to be one we look for), and
  // a fresh start for the next one.
  string_view complete(string_view last) {
    if (size_ == 0 && !overflow_) {
      return last;
    }
    append(last);
    const string_view key(buffer_, overflow_ ? 0 : size_);
    size_ = 0;
    overflow_ = false;
    return key;
  }

 private:
  char buffer_[32];
  std::size_t size_ = 0;
  bool overflow_ = false;
};

// Accepts every event, and collects a key that arrives in parts so that on_key() can have it
// whole from key_.complete(). The scanners below hide the callbacks they need.
class ScanHandlerBase {
 public:
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_array_begin(error_code&) { return true; }
  bool on_array_end(std::size_t, error_code&) { return true; }
  bool on_object_begin(error_code&) { return true; }
  bool on_object_end(std::size_t, error_code&) { return true; }
  bool on_string_part(string_view, std::size_t, error_code&) { return true; }
  bool on_string(string_view, std::size_t, error_code&) { return true; }
  bool on_key_part(string_view s, std::size_t, error_code&) {
    key_.append(s);
    return true;
  }
  bool on_key(string_view s, std::size_t, error_code&) {
    key_.complete(s);
    return true;
  }
  bool on_number_part(string_view, error_code&) { return true; }
  bool on_int64(std::int64_t, string_view, error_code&) { return true; }
  bool on_uint64(std::uint64_t, string_view, error_code&) { return true; }
  bool on_double(double, string_view, error_code&) { return true; }
  bool on_bool(bool, error_code&) { return true; }
  bool on_null(error_code&) { return true; }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }

 protected:
  ShortKey key_;
};

// The counts usageFromResponse() reads from the top-level "usage" object, with the DOM's
// rules: the last of duplicate keys wins, and a count that is not a non-negative integer
// (a string, an object, a fraction, out of range) is 0.
class UsageHandler : public ScanHandlerBase {
 public:
  explicit UsageHandler(Dialect dialect) : dialect_(dialect) {}

  bool is_object = false;

  TokenUsage usage() const {
    TokenUsage usage;
    usage.reported = reported_;
    if (dialect_ == Dialect::kAnthropic) {
      usage.input_tokens = detail::addCounts(
          detail::addCounts(counts_[kInput], counts_[kCacheCreation]), counts_[kCacheRead]);
      usage.output_tokens = counts_[kOutput];
    } else {
      usage.input_tokens = counts_[kPrompt];
      usage.output_tokens = counts_[kCompletion];
    }
    return usage;
  }

  bool on_array_begin(error_code&) { return open(); }
  bool on_array_end(std::size_t, error_code&) { return close(); }
  bool on_object_begin(error_code&) {
    if (depth_ == 0) {
      is_object = true;
    } else if (depth_ == 1 && top_key_is_usage_) {
      in_usage_ = true;
    }
    return open();
  }
  bool on_object_end(std::size_t, error_code&) {
    if (depth_ == 2) {
      in_usage_ = false;
    }
    return close();
  }
  bool on_key(string_view s, std::size_t, error_code&) {
    onKey(key_.complete(s));
    return true;
  }
  bool on_int64(std::int64_t n, string_view, error_code&) {
    count(n);
    return true;
  }
  bool on_uint64(std::uint64_t n, string_view, error_code&) {
    if (n <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      count(static_cast<std::int64_t>(n));
    }
    return true;
  }
  bool on_double(double d, string_view, error_code&) {
    // The same test as asInteger(): integral and inside int64's range.
    if (std::isfinite(d) && std::trunc(d) == d && d > -9.2233720368547758e18 &&
        d < 9.2233720368547758e18) {
      count(static_cast<std::int64_t>(d));
    }
    return true;
  }

 protected:
  enum Field { kPrompt, kCompletion, kInput, kOutput, kCacheCreation, kCacheRead, kNone };

  void onKey(string_view key) {
    if (depth_ == 1) {
      top_key_is_usage_ = key == "usage";
      if (top_key_is_usage_) {
        // A later "usage" replaces an earlier one, whatever either holds.
        counts_ = {};
        reported_ = false;
      }
    } else if (depth_ == 2 && in_usage_) {
      field_ = fieldNamed(key);
      if (field_ != kNone) {
        counts_[field_] = 0;  // Until a valid count follows.
        reported_ = reported_ || field_ == kPrompt || field_ == kCompletion || field_ == kInput ||
                    field_ == kOutput;
      }
    }
  }

  Field fieldNamed(string_view key) const {
    if (dialect_ == Dialect::kAnthropic) {
      return key == "input_tokens"                  ? kInput
             : key == "output_tokens"               ? kOutput
             : key == "cache_creation_input_tokens" ? kCacheCreation
             : key == "cache_read_input_tokens"     ? kCacheRead
                                                    : kNone;
    }
    return key == "prompt_tokens" ? kPrompt : key == "completion_tokens" ? kCompletion : kNone;
  }
  // A number directly inside the usage object, as the value of the key just read.
  void count(std::int64_t n) {
    if (depth_ == 2 && in_usage_ && field_ != kNone) {
      counts_[field_] = n > 0 ? n : 0;
    }
  }
  bool open() {
    ++depth_;
    field_ = kNone;  // A container value is not a count, nor is anything inside it.
    return true;
  }
  bool close() {
    --depth_;
    return true;
  }

  const Dialect dialect_;
  std::size_t depth_ = 0;
  bool top_key_is_usage_ = false;
  bool in_usage_ = false;
  Field field_ = kNone;
  std::array<std::int64_t, kNone> counts_{};
  bool reported_ = false;
};

// An OpenAI stream chunk: the usage counts as UsageHandler reads them, whether "usage" holds
// an object and "choices" an empty array (the last of duplicate keys decides, as in the DOM),
// and whether an "error" or "x_groq" asks for the DOM.
class ChunkHandler : public UsageHandler {
 public:
  ChunkHandler() : UsageHandler(Dialect::kOpenAI) {}

  ChunkScan result() const {
    ChunkScan scan;
    scan.is_object = is_object;
    scan.needs_inspection = needs_inspection_;
    scan.has_usage = usage_is_object_;
    const TokenUsage counts = usage();
    scan.prompt_tokens = counts.input_tokens;
    scan.completion_tokens = counts.output_tokens;
    scan.choices_empty = choices_empty_;
    return scan;
  }

  bool on_object_begin(error_code& ec) {
    if (depth_ == 1 && top_key_is_usage_) {
      usage_is_object_ = true;
    }
    return UsageHandler::on_object_begin(ec);
  }
  bool on_array_end(std::size_t size, error_code& ec) {
    if (depth_ == 2 && top_key_is_choices_) {
      choices_empty_ = size == 0;
    }
    return UsageHandler::on_array_end(size, ec);
  }
  bool on_key(string_view s, std::size_t, error_code&) {
    const string_view key = key_.complete(s);
    if (depth_ == 1) {
      if (key == "usage") {
        usage_is_object_ = false;  // Until an object follows.
      }
      top_key_is_choices_ = key == "choices";
      if (top_key_is_choices_) {
        choices_empty_ = false;  // Until an empty array follows.
      }
      if (key == "error" || key == "x_groq") {
        needs_inspection_ = true;
      }
    }
    onKey(key);
    return true;
  }

 private:
  bool usage_is_object_ = false;
  bool top_key_is_choices_ = false;
  bool choices_empty_ = false;
  bool needs_inspection_ = false;
};

// The top-level values a request relayed to its own dialect is routed by. Anything the scan
// cannot vouch for (a key the gateway reads given twice, a value of the wrong type, a model
// written with escapes) leaves `usable` false, and the request goes the DOM way.
class RequestHandler : public ScanHandlerBase {
 public:
  RequestHandler(Dialect caller, std::string_view body) : caller_(caller), body_(body) {}

  bool is_object = false;
  bool usable = true;
  RequestScan result;

  // Whether the keys the gateway needs were all there, each once, with usable values.
  bool complete() const {
    return is_object && usable && seen_[kModel] == 1 && !result.model.empty() &&
           (caller_ != Dialect::kOpenAI || messages_ok_);
  }

  bool on_object_begin(error_code&) {
    if (depth_ == 0) {
      is_object = true;
    } else if (depth_ == 1) {
      // Only stream_options may hold an object, and only an object is kept as it is.
      value(kObjectValue);
      in_stream_options_ = top_key_ == kStreamOptions;
      if (in_stream_options_) {
        result.has_stream_options = true;
      }
    }
    nonBooleanIncludeUsage();
    return open();
  }
  bool on_object_end(std::size_t, error_code&) {
    if (depth_ == 2) {
      in_stream_options_ = false;
    }
    return close();
  }
  bool on_array_begin(error_code&) {
    if (depth_ == 1) {
      value(kArrayValue);
    }
    nonBooleanIncludeUsage();
    return open();
  }
  bool on_array_end(std::size_t size, error_code&) {
    if (depth_ == 2 && top_key_ == kMessages) {
      messages_ok_ = size > 0;
    }
    return close();
  }
  bool on_key(string_view s, std::size_t, error_code&) {
    const string_view key = key_.complete(s);
    if (depth_ == 1) {
      top_key_ = key == "model"            ? kModel
                 : key == "stream"         ? kStream
                 : key == "stream_options" ? kStreamOptions
                 : key == "messages"       ? kMessages
                                           : kOther;
      if (top_key_ != kOther && ++seen_[top_key_] > 1) {
        usable = false;
      }
    } else if (depth_ == 2 && in_stream_options_) {
      in_include_usage_ = key == "include_usage";
      if (in_include_usage_ && ++include_usage_seen_ > 1) {
        usable = false;
      }
    }
    return true;
  }
  bool on_string_part(string_view, std::size_t, error_code&) {
    if (depth_ == 1) {
      value(kOtherValue);  // Arrived in parts: escaped, so not a slice of the body.
    }
    nonBooleanIncludeUsage();
    return true;
  }
  bool on_string(string_view s, std::size_t total, error_code&) {
    if (depth_ == 1) {
      if (top_key_ == kModel && total == s.size() && isTokenInBody(s)) {
        result.model_begin = reinterpret_cast<std::uintptr_t>(s.data()) -
                             reinterpret_cast<std::uintptr_t>(body_.data()) - 1;
        result.model = body_.substr(result.model_begin + 1, s.size());
        result.model_end = result.model_begin + s.size() + 2;
      } else {
        value(kOtherValue);
      }
    }
    nonBooleanIncludeUsage();
    return true;
  }
  bool on_int64(std::int64_t, string_view, error_code&) { return scalar(); }
  bool on_uint64(std::uint64_t, string_view, error_code&) { return scalar(); }
  bool on_double(double, string_view, error_code&) { return scalar(); }
  bool on_null(error_code&) {
    if (depth_ == 1 && top_key_ == kStream) {
      return true;  // A null stream is no stream.
    }
    return scalar();
  }
  bool on_bool(bool b, error_code&) {
    if (depth_ == 1 && top_key_ == kStream) {
      result.stream = b;
      return true;
    }
    if (depth_ == 2 && in_stream_options_ && in_include_usage_) {
      result.include_usage = b;
      return true;
    }
    return scalar();
  }

 private:
  enum Key { kModel, kStream, kStreamOptions, kMessages, kOther };
  enum Value { kObjectValue, kArrayValue, kOtherValue };

  // A top-level value other than the ones the handlers above accept for its key.
  void value(Value kind) {
    const bool fits = top_key_ == kOther || (top_key_ == kStreamOptions && kind == kObjectValue) ||
                      (top_key_ == kMessages && kind == kArrayValue);
    if (!fits) {
      usable = false;
    }
  }
  bool scalar() {
    if (depth_ == 1) {
      value(kOtherValue);
    }
    nonBooleanIncludeUsage();
    return true;
  }
  // Called for every value but a boolean: one given to include_usage leaves it to the DOM way.
  void nonBooleanIncludeUsage() {
    if (depth_ == 2 && in_stream_options_ && in_include_usage_) {
      usable = false;
    }
  }
  // Whether `s` is an unescaped string's text where it lies in the body, between its quotes.
  // An escaped string is handed over from the parser's own buffer instead. Compared as
  // addresses, since `s` need not point into the body at all.
  bool isTokenInBody(string_view s) const {
    const auto begin = reinterpret_cast<std::uintptr_t>(body_.data());
    const auto at = reinterpret_cast<std::uintptr_t>(s.data());
    if (at <= begin || at + s.size() >= begin + body_.size()) {
      return false;
    }
    const std::size_t offset = at - begin;
    return body_[offset - 1] == '"' && body_[offset + s.size()] == '"' &&
           s.find('\\') == string_view::npos;
  }
  bool open() {
    ++depth_;
    return true;
  }
  bool close() {
    --depth_;
    return true;
  }

  const Dialect caller_;
  const string_view body_;
  std::size_t depth_ = 0;
  Key top_key_ = kOther;
  std::array<int, kOther> seen_{};
  bool in_stream_options_ = false;
  bool in_include_usage_ = false;
  int include_usage_seen_ = 0;
  bool messages_ok_ = false;
};

// Runs `handler` over all of `text`; false unless it is one complete, valid JSON value.
template <class Handler>
bool scan(boost::json::basic_parser<Handler>& parser, std::string_view text) {
  error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  return !ec && used == text.size() && parser.done();
}

}  // namespace

ChunkScan scanOpenAIChunk(std::string_view text) {
  boost::json::basic_parser<ChunkHandler> parser(boost::json::parse_options{});
  if (!scan(parser, text)) {
    return {};
  }
  return parser.handler().result();
}

std::optional<RequestScan> scanRequest(Dialect caller, std::string_view body) {
  boost::json::basic_parser<RequestHandler> parser(boost::json::parse_options{}, caller, body);
  if (!scan(parser, body) || !parser.handler().complete()) {
    return std::nullopt;
  }
  RequestScan result = parser.handler().result;
  if (caller == Dialect::kOpenAI && result.stream) {
    if (result.has_stream_options && !result.include_usage) {
      return std::nullopt;  // include_usage would have to be set inside the caller's object.
    }
    result.add_include_usage = !result.has_stream_options;
  }
  return result;
}

std::string spliceRequest(std::string_view body, const RequestScan& scan,
                          std::string_view upstream_model) {
  std::string out;
  out.reserve(body.size() + upstream_model.size() + 48);
  out.append(body.substr(0, scan.model_begin)).push_back('"');
  appendJsonEscaped(out, upstream_model);
  out.push_back('"');
  out.append(body.substr(scan.model_end));
  if (scan.add_include_usage) {
    // The body is one object with at least a model in it: its last '}' closes it.
    const std::size_t close = out.find_last_of('}');
    out.insert(close, R"(,"stream_options":{"include_usage":true})");
  }
  return out;
}

std::optional<TokenUsage> scanResponseUsage(Dialect dialect, std::string_view body) {
  boost::json::basic_parser<UsageHandler> parser(boost::json::parse_options{}, dialect);
  if (!scan(parser, body) || !parser.handler().is_object) {
    return std::nullopt;
  }
  return parser.handler().usage();
}

}  // namespace gatehouse::providers
