#pragma once

#include <gatehouse/common/result.h>
#include <gatehouse/store/database.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace gatehouse::usage {

/// One LLM request, as metered. Never holds prompt or completion content.
struct UsageRecord {
  std::string request_id;
  std::int64_t created_at = 0;  ///< ms since epoch.
  std::string key_id;
  std::string org_id;
  std::string project_id;
  std::string endpoint;  ///< e.g. "/v1/chat/completions".
  std::string model;     ///< What the caller asked for.
  std::string provider;
  std::string deployment;  ///< "<provider>/<upstream model>".
  std::string upstream_model;
  bool stream = false;
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  std::int64_t latency_ms = 0;
  int status = 0;          ///< HTTP status the caller got; 499 when the caller went away.
  std::string error_type;  ///< Empty on success.
  std::string guardrails;  ///< "EMAIL:redact:2,INJECTION:flag:1": outcomes, never content.
};

/// Where the request path hands records. Must not block.
class UsageSink {
 public:
  virtual ~UsageSink() = default;
  virtual void record(UsageRecord record) = 0;
};

/// Queues records in memory and writes them from a background thread in batched
/// transactions, so the request path never waits on the disk.
class UsageRecorder final : public UsageSink {
 public:
  UsageRecorder(std::unique_ptr<store::Database> db, std::size_t batch_size,
                std::chrono::milliseconds flush_interval);
  ~UsageRecorder() override;

  void record(UsageRecord record) override;
  /// Writes everything queued and stops the writer thread.
  void stop();

 private:
  void run();
  Result<void> write(const std::vector<UsageRecord>& batch);

  std::unique_ptr<store::Database> db_;
  // Prepared once, on the writer thread, and used only there.
  std::optional<store::Statement> insert_;       // One record.
  std::optional<store::Statement> insert_many_;  // A full group of records.
  std::optional<store::Statement> org_exists_;
  const std::size_t batch_size_;
  const std::chrono::milliseconds flush_interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<UsageRecord> queue_;  // Guarded by mutex_.
  bool stopping_ = false;           // Guarded by mutex_.
  std::thread writer_;
};

enum class ExportFormat { kCsv, kJsonLines };

/// Writes every usage record (of one organisation, when `org_id` is set), oldest first.
Result<void> exportUsage(store::Database& db, ExportFormat format, std::ostream& out,
                         std::optional<std::string_view> org_id = std::nullopt);

/// Deletes usage records and content history older than their organisation's
/// usage_retention_days (365 days for records of organisations that no longer exist).
/// Returns how many rows went.
Result<std::int64_t> enforceRetention(store::Database& db, std::int64_t now_ms);

}  // namespace gatehouse::usage
