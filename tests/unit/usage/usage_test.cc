#include <gatehouse/usage/usage.h>

#include "mocks/temp_dir.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <cstdio>
#include <sstream>

namespace gatehouse::usage {
namespace {

// Adds an organisation row, as the admin service would.
void addOrganization(const std::string& path, std::string_view id) {
  auto db = store::Database::open(path);
  ASSERT_TRUE(db->exec("INSERT INTO organizations (id, name, created_at) VALUES ('" +
                       std::string(id) + "', 'n', 0)")
                  .ok());
}

UsageRecord sample(std::string request_id, std::string model) {
  UsageRecord record;
  record.request_id = std::move(request_id);
  record.created_at = 1763856000000;
  record.key_id = "AbCdEfGhIjKlMnOp";
  record.endpoint = "/v1/chat/completions";
  record.model = std::move(model);
  record.provider = "oa";
  record.deployment = "oa/gpt-4o-mini";
  record.upstream_model = "gpt-4o-mini";
  record.stream = true;
  record.input_tokens = 12;
  record.output_tokens = 34;
  record.latency_ms = 56;
  record.status = 200;
  record.guardrails = "EMAIL:redact:1";
  record.org_id = "org_default";  // The organisation every database starts with.
  record.project_id = "prj_a";
  return record;
}

TEST(UsageRecorder, StopFlushesEveryQueuedRecordInOrder) {
  testing::TempDir dir;
  const std::string path = store::databasePath(dir.path());
  {
    UsageRecorder recorder(store::Database::open(path), 1000, std::chrono::hours(1));
    for (int i = 0; i < 50; ++i) {
      recorder.record(sample("req_" + std::to_string(i), "gpt"));
    }
    recorder.stop();
  }
  auto db = store::Database::open(path);
  std::ostringstream out;
  ASSERT_TRUE(exportUsage(*db, ExportFormat::kJsonLines, out).ok());
  std::istringstream lines(out.str());
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    EXPECT_NE(line.find("\"request_id\":\"req_" + std::to_string(count) + "\""), std::string::npos);
    ++count;
  }
  EXPECT_EQ(count, 50);
}

TEST(UsageRecorder, AFullBatchIsWrittenWithoutWaitingForTheInterval) {
  testing::TempDir dir;
  const std::string path = store::databasePath(dir.path());
  UsageRecorder recorder(store::Database::open(path), 2, std::chrono::hours(1));
  recorder.record(sample("a", "m"));
  recorder.record(sample("b", "m"));
  auto reader = store::Database::open(path);
  std::int64_t rows = 0;
  for (int i = 0; i < 200 && rows < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    auto count = reader->prepare("SELECT count(*) FROM usage_records");
    ASSERT_TRUE(count.ok());
    ASSERT_TRUE(*count->step());
    rows = count->columnInt(0);
  }
  EXPECT_EQ(rows, 2);
}

TEST(ExportUsage, JsonLinesHaveEveryFieldWithTypes) {
  testing::TempDir dir;
  const std::string path = store::databasePath(dir.path());
  {
    UsageRecorder recorder(store::Database::open(path), 10, std::chrono::milliseconds(10));
    recorder.record(sample("req_1", "gpt"));
  }
  auto db = store::Database::open(path);
  std::ostringstream out;
  ASSERT_TRUE(exportUsage(*db, ExportFormat::kJsonLines, out).ok());
  EXPECT_EQ(
      out.str(),
      "{\"request_id\":\"req_1\",\"created_at\":\"2025-11-23T00:00:00.000Z\","
      "\"key_id\":\"AbCdEfGhIjKlMnOp\",\"endpoint\":\"/v1/chat/completions\","
      "\"model\":\"gpt\",\"provider\":\"oa\",\"deployment\":\"oa/gpt-4o-mini\","
      "\"upstream_model\":\"gpt-4o-mini\",\"stream\":true,\"input_tokens\":12,"
      "\"output_tokens\":34,\"latency_ms\":56,\"status\":200,\"error_type\":\"\","
      "\"guardrails\":\"EMAIL:redact:1\",\"org_id\":\"org_default\",\"project_id\":\"prj_a\"}\n");
}

TEST(ExportUsage, AnOrganizationSeesOnlyItsOwnRecords) {
  testing::TempDir dir;
  const std::string path = store::databasePath(dir.path());
  addOrganization(path, "org_b");
  {
    UsageRecorder recorder(store::Database::open(path), 10, std::chrono::milliseconds(10));
    recorder.record(sample("req_a", "gpt"));
    UsageRecord other = sample("req_b", "gpt");
    other.org_id = "org_b";
    recorder.record(std::move(other));
  }
  auto db = store::Database::open(path);
  std::ostringstream out;
  ASSERT_TRUE(exportUsage(*db, ExportFormat::kJsonLines, out, "org_b").ok());
  EXPECT_EQ(out.str().find("req_a"), std::string::npos);
  EXPECT_NE(out.str().find("req_b"), std::string::npos);
}

TEST(UsageRetention, RecordsOlderThanTheirOrganizationsRetentionGo) {
  testing::TempDir dir;
  const std::string path = store::databasePath(dir.path());
  constexpr std::int64_t kDay = 24LL * 3600 * 1000;
  const std::int64_t now = 1'763'856'000'000 + 400 * kDay;
  addOrganization(path, "org_gone");
  {
    UsageRecorder recorder(store::Database::open(path), 10, std::chrono::milliseconds(10));
    for (auto [id, org, age] :
         {std::tuple{"old_default", "org_default", 40},
          std::tuple{"new_default", "org_default", 20}, std::tuple{"old_gone", "org_gone", 366},
          std::tuple{"kept_gone", "org_gone", 300}}) {
      UsageRecord record = sample(id, "gpt");
      record.org_id = org;
      record.created_at = now - age * kDay;
      recorder.record(std::move(record));
    }
  }
  auto db = store::Database::open(path);
  ASSERT_TRUE(
      db->exec("UPDATE organizations SET usage_retention_days = 30 WHERE id = 'org_default'").ok());
  // Its records stay; without their organisation they get the default 365 days.
  ASSERT_TRUE(db->exec("DELETE FROM organizations WHERE id = 'org_gone'").ok());
  auto removed = enforceRetention(*db, now);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 2);
  std::ostringstream out;
  ASSERT_TRUE(exportUsage(*db, ExportFormat::kJsonLines, out).ok());
  EXPECT_EQ(out.str().find("old_"), std::string::npos);
  EXPECT_NE(out.str().find("new_default"), std::string::npos);
  EXPECT_NE(out.str().find("kept_gone"), std::string::npos);
}

TEST(UsageRecorder, DropsRecordsOfAnOrganizationDeletedWhileTheyWereQueued) {
  testing::TempDir dir;
  const std::string path = store::databasePath(dir.path());
  {
    UsageRecorder recorder(store::Database::open(path), 10, std::chrono::milliseconds(10));
    UsageRecord gone = sample("req_gone", "gpt");
    gone.org_id = "org_deleted";
    recorder.record(std::move(gone));
    recorder.record(sample("req_kept", "gpt"));
  }
  auto db = store::Database::open(path);
  std::ostringstream out;
  ASSERT_TRUE(exportUsage(*db, ExportFormat::kJsonLines, out).ok());
  EXPECT_EQ(out.str().find("req_gone"), std::string::npos);
  EXPECT_NE(out.str().find("req_kept"), std::string::npos);
}

// A batch larger than one multi-row INSERT: the records written in groups and those written
// one by one keep every field and their order, and dropped records shift no other's values.
TEST(UsageRecorder, LargeBatchesKeepEveryFieldOfEveryRecord) {
  testing::TempDir dir;
  const std::string path = store::databasePath(dir.path());
  const auto make = [](int i) {
    UsageRecord r = sample("req_" + std::to_string(i), "model_" + std::to_string(i));
    r.created_at = 1763856000000 + i;
    r.key_id = "key" + std::to_string(i);
    r.provider = "p" + std::to_string(i);
    r.deployment = "d" + std::to_string(i);
    r.upstream_model = "u" + std::to_string(i);
    r.stream = i % 2 == 0;
    r.input_tokens = 1000 + i;
    r.output_tokens = 2000 + i;
    r.latency_ms = 3000 + i;
    r.status = 200 + i;
    r.error_type = "e" + std::to_string(i);
    r.guardrails = "g" + std::to_string(i);
    r.project_id = "prj_" + std::to_string(i);
    if (i % 7 == 3) {
      r.org_id = "org_deleted";
    }
    return r;
  };
  constexpr int kRecords = 75;  // Two full groups of 32 and the rest one by one, less drops.
  {
    UsageRecorder recorder(store::Database::open(path), 1000, std::chrono::hours(1));
    for (int i = 0; i < kRecords; ++i) {
      recorder.record(make(i));
    }
  }
  auto db = store::Database::open(path);
  std::ostringstream out;
  ASSERT_TRUE(exportUsage(*db, ExportFormat::kJsonLines, out).ok());
  std::istringstream lines(out.str());
  std::string line;
  int i = 0;
  while (std::getline(lines, line)) {
    while (i % 7 == 3) {
      ++i;
    }
    const UsageRecord r = make(i);
    const auto row = boost::json::parse(line).as_object();
    EXPECT_EQ(row.at("request_id").as_string(), r.request_id) << line;
    char millis[4];
    std::snprintf(millis, sizeof millis, "%03d", i);  // created_at is 2025-11-23 plus i ms.
    EXPECT_EQ(row.at("created_at").as_string(), "2025-11-23T00:00:00." + std::string(millis) + "Z")
        << line;
    EXPECT_EQ(row.at("stream").as_bool(), r.stream) << line;
    EXPECT_EQ(row.at("key_id").as_string(), r.key_id) << line;
    EXPECT_EQ(row.at("model").as_string(), r.model) << line;
    EXPECT_EQ(row.at("provider").as_string(), r.provider) << line;
    EXPECT_EQ(row.at("deployment").as_string(), r.deployment) << line;
    EXPECT_EQ(row.at("upstream_model").as_string(), r.upstream_model) << line;
    EXPECT_EQ(row.at("input_tokens").to_number<std::int64_t>(), r.input_tokens) << line;
    EXPECT_EQ(row.at("output_tokens").to_number<std::int64_t>(), r.output_tokens) << line;
    EXPECT_EQ(row.at("latency_ms").to_number<std::int64_t>(), r.latency_ms) << line;
    EXPECT_EQ(row.at("status").to_number<std::int64_t>(), r.status) << line;
    EXPECT_EQ(row.at("error_type").as_string(), r.error_type) << line;
    EXPECT_EQ(row.at("guardrails").as_string(), r.guardrails) << line;
    EXPECT_EQ(row.at("project_id").as_string(), r.project_id) << line;
    ++i;
  }
  EXPECT_EQ(i, kRecords);  // The last record was written, and nothing after it.
}

TEST(ExportUsage, CsvQuotesSeparatorsAndDefusesFormulas) {
  testing::TempDir dir;
  const std::string path = store::databasePath(dir.path());
  {
    UsageRecorder recorder(store::Database::open(path), 10, std::chrono::milliseconds(10));
    recorder.record(sample("req_1", "a,\"b\""));
    recorder.record(sample("req_2", "=HYPERLINK(\"x\")"));
  }
  auto db = store::Database::open(path);
  std::ostringstream out;
  ASSERT_TRUE(exportUsage(*db, ExportFormat::kCsv, out).ok());
  const std::string csv = out.str();
  EXPECT_TRUE(csv.starts_with("request_id,created_at,key_id,endpoint,model,"));
  EXPECT_NE(csv.find(",\"a,\"\"b\"\"\","), std::string::npos);
  EXPECT_NE(csv.find(",\"'=HYPERLINK(\"\"x\"\")\","), std::string::npos);
}

}  // namespace
}  // namespace gatehouse::usage
