#include "chunk_scan.h"

#include <boost/json/basic_parser_impl.hpp>

#include <cstddef>

namespace gatehouse::providers {
namespace {

using boost::system::error_code;
using std::string_view;

// Tracks the depth and the last top-level key; keeps nothing else.
class ScanHandler {
 public:
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

  ChunkScan result;

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_array_begin(error_code&) { return open(); }
  bool on_array_end(std::size_t, error_code&) { return close(); }
  bool on_object_begin(error_code&) {
    if (depth_ == 0) {
      result.is_object = true;
    } else if (depth_ == 1 && last_key_is_usage_) {
      result.needs_inspection = true;
    }
    return open();
  }
  bool on_object_end(std::size_t, error_code&) { return close(); }
  bool on_string_part(string_view, std::size_t, error_code&) { return true; }
  bool on_string(string_view, std::size_t, error_code&) { return true; }
  bool on_key_part(string_view s, std::size_t, error_code&) {
    appendKey(s);
    return true;
  }
  bool on_key(string_view s, std::size_t, error_code&) {
    appendKey(s);
    if (depth_ == 1) {
      const string_view key(key_buffer_, key_overflow_ ? 0 : key_size_);
      last_key_is_usage_ = key == "usage";
      if (key == "error" || key == "x_groq") {
        result.needs_inspection = true;
      }
    }
    key_size_ = 0;
    key_overflow_ = false;
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

 private:
  bool open() {
    ++depth_;
    return true;
  }
  bool close() {
    --depth_;
    return true;
  }
  void appendKey(string_view s) {
    if (key_size_ + s.size() > sizeof key_buffer_) {
      key_overflow_ = true;  // Longer than any key we look for.
      return;
    }
    s.copy(key_buffer_ + key_size_, s.size());
    key_size_ += s.size();
  }

  std::size_t depth_ = 0;
  bool last_key_is_usage_ = false;  // Of the top-level object.
  char key_buffer_[16];
  std::size_t key_size_ = 0;
  bool key_overflow_ = false;
};

}  // namespace

ChunkScan scanOpenAIChunk(std::string_view text) {
  boost::json::basic_parser<ScanHandler> parser(boost::json::parse_options{});
  error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (ec || used != text.size() || !parser.done()) {
    return {};
  }
  return parser.handler().result;
}

}  // namespace gatehouse::providers
