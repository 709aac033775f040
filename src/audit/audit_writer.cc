#include <gatehouse/audit/audit_writer.h>
#include <gatehouse/common/log.h>
#include <gatehouse/store/database.h>

namespace gatehouse::audit {
namespace {

constexpr std::size_t kMaxTrackedSources = 10'000;

}  // namespace

AuditWriter::AuditWriter(std::unique_ptr<store::Database> db, const AuditLog& log,
                         std::size_t max_queue)
    : db_(std::move(db)),
      log_(log),
      queue_(max_queue, [this](std::vector<AuditEvent>& batch) { append(batch); }) {}

AuditWriter::~AuditWriter() {
  stop();
}

void AuditWriter::record(AuditEvent event) {
  std::string action = event.action;
  if (!queue_.push(std::move(event))) {
    log::error("audit_queue_full", {{"action", action}});
  }
}

void AuditWriter::append(std::vector<AuditEvent>& batch) {
  for (const AuditEvent& event : batch) {
    if (auto r = log_.append(*db_, event); !r) {
      log::error("audit_append_failed", {{"action", event.action}, {"error", r.error().message}});
    }
  }
}

bool FailureBursts::recordFailure(std::string_view source, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto it = bursts_.find(source);
  if (it == bursts_.end()) {
    if (bursts_.size() >= kMaxTrackedSources) {
      bursts_.clear();  // Bounded memory under a spray of addresses.
    }
    it = bursts_.emplace(std::string(source), Burst{now_ms, 0}).first;
  }
  Burst& burst = it->second;
  if (now_ms - burst.window_start > window_ms_) {
    burst = Burst{now_ms, 0};
  }
  return ++burst.count == threshold_;
}

}  // namespace gatehouse::audit
