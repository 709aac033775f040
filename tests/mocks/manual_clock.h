#pragma once

#include <gatehouse/common/clock.h>

#include <chrono>
#include <cstdint>

namespace gatehouse::testing {

/// A Clock that moves only when the test says so.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t millis = 1'700'000'000'000) : millis_(millis) {}
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(millis_));
  }
  void set(std::int64_t millis) { millis_ = millis; }
  void advance(std::chrono::milliseconds by) { millis_ += by.count(); }

 private:
  std::int64_t millis_;
};

}  // namespace gatehouse::testing
