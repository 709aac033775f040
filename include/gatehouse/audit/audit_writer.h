#pragma once

#include <gatehouse/audit/audit.h>
#include <gatehouse/common/background_queue.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::audit {

/// Where the request path hands audit events. Must not block.
class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual void record(AuditEvent event) = 0;
};

/// Queues events in memory and appends them from a background thread on its own connection,
/// so the data plane never waits on the disk. A full queue drops the newest event and logs
/// that it did (an attacker flooding the request path must not exhaust memory).
class AuditWriter final : public AuditSink {
 public:
  AuditWriter(std::unique_ptr<store::Database> db, const AuditLog& log, std::size_t max_queue);
  ~AuditWriter() override;

  void record(AuditEvent event) override;
  /// Appends everything queued and stops the writer thread.
  void stop() { queue_.stop(); }

 private:
  void append(std::vector<AuditEvent>& batch);

  std::unique_ptr<store::Database> db_;
  const AuditLog& log_;
  BackgroundQueue<AuditEvent> queue_;  // Last: its thread uses the members above.
};

/// Counts authentication failures per source address and says when they amount to a burst
/// (`threshold` within `window`), so a burst becomes one audit entry instead of one per guess.
/// Thread-safe; memory is bounded however many addresses send.
class FailureBursts {
 public:
  FailureBursts(int threshold, std::chrono::milliseconds window)
      : threshold_(threshold), window_ms_(window.count()) {}

  /// Counts one failure; true exactly when this one completes a burst.
  bool recordFailure(std::string_view source, std::int64_t now_ms);

  int threshold() const { return threshold_; }
  std::int64_t windowMs() const { return window_ms_; }

 private:
  struct Burst {
    std::int64_t window_start = 0;
    int count = 0;
  };
  const int threshold_;
  const std::int64_t window_ms_;
  std::mutex mutex_;
  std::map<std::string, Burst, std::less<>> bursts_;  // Guarded by mutex_.
};

}  // namespace gatehouse::audit
