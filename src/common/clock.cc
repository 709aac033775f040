#include <gatehouse/common/clock.h>

#include <fmt/format.h>
#include <ctime>

namespace gatehouse {

std::string formatTimestamp(std::int64_t millis_since_epoch) {
  const std::time_t seconds = static_cast<std::time_t>(millis_since_epoch / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                     static_cast<int>(millis_since_epoch % 1000));
}

}  // namespace gatehouse
