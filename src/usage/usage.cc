#include <gatehouse/common/clock.h>
#include <gatehouse/common/csv.h>
#include <gatehouse/common/json_escape.h>
#include <gatehouse/common/log.h>
#include <gatehouse/usage/usage.h>

#include <array>

namespace gatehouse::usage {
namespace {

constexpr std::array<std::string_view, 17> kColumns = {
    "request_id", "created_at",     "key_id",     "endpoint",     "model",         "provider",
    "deployment", "upstream_model", "stream",     "input_tokens", "output_tokens", "latency_ms",
    "status",     "error_type",     "guardrails", "org_id",       "project_id"};
constexpr std::size_t kColumnCount = kColumns.size();
// Rows inserted by one statement when a batch has that many: each statement run costs SQLite
// a VM start and halt, about a fifth of a row's cost when rows go one by one.
constexpr std::size_t kRowsPerInsert = 32;

// INSERT of `rows` records, their parameters numbered in order, kColumnCount per record.
std::string insertSql(std::size_t rows) {
  std::string sql = "INSERT INTO usage_records (";
  for (std::size_t column = 0; column < kColumnCount; ++column) {
    sql.append(column == 0 ? "" : ", ").append(kColumns[column]);
  }
  sql += ") VALUES ";
  for (std::size_t row = 0; row < rows; ++row) {
    sql += row == 0 ? "(" : ",(";
    for (std::size_t column = 0; column < kColumnCount; ++column) {
      sql += column == 0 ? "?" : ",?";
    }
    sql += ")";
  }
  return sql;
}

// Binds `r` as the record whose first parameter is `first`. The text is bound in place: the
// batch outlives the statement's run.
void bindRecord(store::Statement& insert, int first, const UsageRecord& r) {
  insert.bindUnowned(first, r.request_id)
      .bind(first + 1, r.created_at)
      .bindUnowned(first + 2, r.key_id)
      .bindUnowned(first + 3, r.endpoint)
      .bindUnowned(first + 4, r.model)
      .bindUnowned(first + 5, r.provider)
      .bindUnowned(first + 6, r.deployment)
      .bindUnowned(first + 7, r.upstream_model)
      .bind(first + 8, std::int64_t{r.stream})
      .bind(first + 9, r.input_tokens)
      .bind(first + 10, r.output_tokens)
      .bind(first + 11, r.latency_ms)
      .bind(first + 12, std::int64_t{r.status})
      .bindUnowned(first + 13, r.error_type)
      .bindUnowned(first + 14, r.guardrails)
      .bindUnowned(first + 15, r.org_id)
      .bindUnowned(first + 16, r.project_id);
}

constexpr std::string_view kOrgExists = "SELECT 1 FROM organizations WHERE id = ?1";

}  // namespace

UsageRecorder::UsageRecorder(std::unique_ptr<store::Database> db, std::size_t batch_size,
                             std::chrono::milliseconds flush_interval)
    : db_(std::move(db)), batch_size_(batch_size), flush_interval_(flush_interval) {
  writer_ = std::thread([this] { run(); });
}

UsageRecorder::~UsageRecorder() {
  stop();
}

void UsageRecorder::record(UsageRecord record) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(record));
    wake = queue_.size() >= batch_size_;
  }
  if (wake) {
    wake_.notify_one();
  }
}

void UsageRecorder::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      return;
    }
    stopping_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) {
    writer_.join();
  }
}

void UsageRecorder::run() {
  std::vector<UsageRecord> batch;
  for (;;) {
    bool last = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, flush_interval_,
                     [this] { return stopping_ || queue_.size() >= batch_size_; });
      batch.swap(queue_);
      last = stopping_;
    }
    if (!batch.empty()) {
      if (auto r = write(batch); !r) {
        log::error("usage_write_failed", {{"records", batch.size()}, {"error", r.error().message}});
      }
      batch.clear();
    }
    if (last) {
      return;
    }
  }
}

Result<void> UsageRecorder::write(const std::vector<UsageRecord>& batch) {
  // Prepared on the first batch and kept for the writer's lifetime.
  if (!insert_many_) {
    auto one = db_->prepare(insertSql(1));
    auto many = db_->prepare(insertSql(kRowsPerInsert));
    auto org = db_->prepare(kOrgExists);
    for (auto* prepared : {&one, &many, &org}) {
      if (!*prepared) {
        return prepared->takeError();
      }
    }
    insert_.emplace(std::move(*one));
    org_exists_.emplace(std::move(*org));
    insert_many_.emplace(std::move(*many));
  }
  store::Transaction transaction(*db_);  // Rolled back on any early return.
  if (auto r = transaction.begin(); !r) {
    return r;
  }
  // A record of an organisation deleted while the record was queued is dropped, not written
  // after the deletion removed the organisation's usage. The check is made once per
  // organisation in the batch (almost always one), inside the write transaction, so no
  // deletion can come between it and the inserts.
  std::vector<std::pair<std::string_view, bool>> org_exists;
  auto orgExists = [&](std::string_view org_id) -> Result<bool> {
    for (const auto& [id, exists] : org_exists) {
      if (id == org_id) {
        return exists;
      }
    }
    org_exists_->bind(1, org_id);
    auto row = org_exists_->step();
    org_exists_->reset();
    if (!row) {
      return row.takeError();
    }
    org_exists.emplace_back(org_id, *row);
    return *row;
  };
  std::vector<const UsageRecord*> kept;
  kept.reserve(batch.size());
  for (const UsageRecord& r : batch) {
    if (!r.org_id.empty()) {
      auto exists = orgExists(r.org_id);
      if (!exists) {
        return exists.takeError();
      }
      if (!*exists) {
        continue;
      }
    }
    kept.push_back(&r);
  }
  std::size_t next = 0;
  for (; kept.size() - next >= kRowsPerInsert; next += kRowsPerInsert) {
    for (std::size_t row = 0; row < kRowsPerInsert; ++row) {
      bindRecord(*insert_many_, static_cast<int>(row * kColumnCount + 1), *kept[next + row]);
    }
    if (auto result = insert_many_->run(); !result) {
      return result;
    }
  }
  for (; next < kept.size(); ++next) {
    bindRecord(*insert_, 1, *kept[next]);
    if (auto result = insert_->run(); !result) {
      return result;
    }
  }
  return transaction.commit();
}

Result<void> exportUsage(store::Database& db, ExportFormat format, std::ostream& out,
                         std::optional<std::string_view> org_id) {
  auto select = db.prepare(
      "SELECT request_id, created_at, key_id, endpoint, model, provider, deployment, "
      "upstream_model, stream, input_tokens, output_tokens, latency_ms, status, error_type, "
      "guardrails, org_id, project_id FROM usage_records WHERE ?1 IS NULL OR org_id = ?1 "
      "ORDER BY id");
  if (!select) {
    return select.takeError();
  }
  org_id ? select->bind(1, *org_id) : select->bindNull(1);
  // Which columns are integers (the rest are text).
  constexpr std::array<bool, kColumns.size()> kIsInteger = {
      false, true, false, false, false, false, false, false, true,
      true,  true, true,  true,  false, false, false, false};
  std::string line;
  if (format == ExportFormat::kCsv) {
    for (std::size_t i = 0; i < kColumns.size(); ++i) {
      line += i ? "," : "";
      line += kColumns[i];
    }
    out << line << '\n';
  }
  for (;;) {
    auto row = select->step();
    if (!row) {
      return row.takeError();
    }
    if (!*row) {
      break;
    }
    line.clear();
    if (format == ExportFormat::kJsonLines) {
      line += '{';
    }
    for (std::size_t i = 0; i < kColumns.size(); ++i) {
      const int column = static_cast<int>(i);
      if (format == ExportFormat::kCsv) {
        line += i ? "," : "";
        if (i == 1) {
          line += formatTimestamp(select->columnInt(column));
        } else if (kIsInteger[i]) {
          line += std::to_string(select->columnInt(column));
        } else {
          appendCsvField(line, select->columnText(column));
        }
        continue;
      }
      line += i ? ",\"" : "\"";
      line += kColumns[i];
      line += "\":";
      if (i == 1) {
        line += '"' + formatTimestamp(select->columnInt(column)) + '"';
      } else if (i == 8) {
        line += select->columnInt(column) ? "true" : "false";
      } else if (kIsInteger[i]) {
        line += std::to_string(select->columnInt(column));
      } else {
        line += '"';
        appendJsonEscaped(line, select->columnText(column));
        line += '"';
      }
    }
    if (format == ExportFormat::kJsonLines) {
      line += '}';
    }
    out << line << '\n';
  }
  out.flush();
  return {};
}

Result<std::int64_t> enforceRetention(store::Database& db, std::int64_t now_ms) {
  constexpr std::int64_t kDayMs = 24 * 3600 * 1000;
  constexpr std::int64_t kDefaultDays = 365;  // Rows whose organisation is gone.
  struct OrgRetention {
    std::string org_id;
    std::int64_t days;
  };
  store::Transaction transaction(db);
  if (auto r = transaction.begin(); !r) {
    return r.takeError();
  }
  std::int64_t removed = 0;
  for (std::string_view table : {"usage_records", "content_history"}) {
    const std::string name(table);
    // One range delete per organisation on the (org_id, created_at) index. A single DELETE
    // with each row's own cutoff would read every row of the table on every run. The
    // organisations present are found by a loose index scan (one seek each), so rows whose
    // organisation was deleted still age out under the default.
    auto present =
        db.prepare("WITH RECURSIVE present(id) AS (SELECT MIN(org_id) FROM " + name +
                   " UNION ALL SELECT (SELECT MIN(org_id) FROM " + name +
                   " WHERE org_id > present.id) FROM present WHERE present.id IS NOT NULL) "
                   "SELECT present.id, COALESCE(o.usage_retention_days, ?1) FROM present "
                   "LEFT JOIN organizations o ON o.id = present.id WHERE present.id IS NOT NULL");
    if (present) {
      present->bind(1, kDefaultDays);
    }
    auto orgs = store::collectRows<OrgRetention>(present, [](const store::Statement& row) {
      return OrgRetention{row.columnText(0), row.columnInt(1)};
    });
    if (!orgs) {
      return orgs.takeError();
    }
    auto remove = db.prepare("DELETE FROM " + name + " WHERE org_id = ?1 AND created_at < ?2");
    if (!remove) {
      return remove.takeError();
    }
    for (const auto& org : *orgs) {
      remove->reset();
      remove->bind(1, org.org_id).bind(2, now_ms - org.days * kDayMs);
      if (auto r = remove->run(); !r) {
        return r.takeError();
      }
      removed += db.changes();
    }
  }
  if (auto r = transaction.commit(); !r) {
    return r.takeError();
  }
  return removed;
}

}  // namespace gatehouse::usage
