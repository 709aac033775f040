#include <gatehouse/common/clock.h>
#include <gatehouse/common/json_escape.h>
#include <gatehouse/common/log.h>

#include <fmt/format.h>
#include <spdlog/async.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>

namespace gatehouse::log {
namespace {

std::atomic<Level> g_min_level{Level::kInfo};
std::shared_ptr<spdlog::logger> g_logger;

std::string_view levelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

void appendValue(std::string& out, const Field& field) {
  std::visit(
      [&out](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::string_view>) {
          out += '"';
          appendJsonEscaped(out, v);
          out += '"';
        } else if constexpr (std::is_same_v<V, bool>) {
          out += v ? "true" : "false";
        } else {
          fmt::format_to(std::back_inserter(out), "{}", v);
        }
      },
      field.value);
}

}  // namespace

void initLogging(Level min_level) {
  g_min_level = min_level;
  if (g_logger) {
    return;
  }
  spdlog::init_thread_pool(8192, 1);
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  g_logger = std::make_shared<spdlog::async_logger>("gatehouse", sink, spdlog::thread_pool(),
                                                    spdlog::async_overflow_policy::overrun_oldest);
  g_logger->set_pattern("%v");
  g_logger->set_level(spdlog::level::trace);
}

void shutdownLogging() {
  if (g_logger) {
    g_logger->flush();
    g_logger.reset();
    spdlog::shutdown();
  }
}

void write(Level level, std::string_view event, std::initializer_list<Field> fields) {
  if (level < g_min_level.load(std::memory_order_relaxed)) {
    return;
  }
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::string line;
  line.reserve(128);
  line += "{\"ts\":\"";
  line += formatTimestamp(now);
  line += "\",\"level\":\"";
  line += levelName(level);
  line += "\",\"event\":\"";
  appendJsonEscaped(line, event);
  line += '"';
  for (const Field& field : fields) {
    line += ",\"";
    appendJsonEscaped(line, field.key);
    line += "\":";
    appendValue(line, field);
  }
  line += '}';
  if (g_logger) {
    g_logger->info(line);
  } else {
    fmt::print(stderr, "{}\n", line);
  }
}

}  // namespace gatehouse::log
