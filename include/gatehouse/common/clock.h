#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace gatehouse {

/// The source of wall-clock time, injected so tests control it.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() const = 0;

  std::int64_t nowMillis() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now().time_since_epoch()).count();
  }
};

/// The real clock.
class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now();
  }
};

/// Formats milliseconds since the epoch as RFC 3339 UTC with milliseconds.
std::string formatTimestamp(std::int64_t millis_since_epoch);

}  // namespace gatehouse
