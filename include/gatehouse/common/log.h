#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <variant>

namespace gatehouse::log {

/// One structured field of a log line. Values are borrowed for the duration of the call.
/// There is no constructor from SecretString: secrets cannot be logged.
struct Field {
  std::string_view key;
  std::variant<std::string_view, std::int64_t, double, bool> value;

  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, std::int64_t v) : key(k), value(v) {}
  Field(std::string_view k, int v) : key(k), value(static_cast<std::int64_t>(v)) {}
  Field(std::string_view k, unsigned v) : key(k), value(static_cast<std::int64_t>(v)) {}
  Field(std::string_view k, std::size_t v) : key(k), value(static_cast<std::int64_t>(v)) {}
  Field(std::string_view k, double v) : key(k), value(v) {}
  Field(std::string_view k, bool v) : key(k), value(v) {}
};

enum class Level { kDebug, kInfo, kWarn, kError };

/// Sets up the process-wide logger: JSON lines on stderr, written by a background thread so
/// the request path does not wait on the terminal or a pipe.
void initLogging(Level min_level);

/// Flushes and stops the background writer (call once, at exit).
void shutdownLogging();

/// Writes {"ts":..,"level":..,"event":<event>, <fields>...} as one JSON line.
void write(Level level, std::string_view event, std::initializer_list<Field> fields);

inline void debug(std::string_view event, std::initializer_list<Field> fields = {}) {
  write(Level::kDebug, event, fields);
}
inline void info(std::string_view event, std::initializer_list<Field> fields = {}) {
  write(Level::kInfo, event, fields);
}
inline void warn(std::string_view event, std::initializer_list<Field> fields = {}) {
  write(Level::kWarn, event, fields);
}
inline void error(std::string_view event, std::initializer_list<Field> fields = {}) {
  write(Level::kError, event, fields);
}

}  // namespace gatehouse::log
