#include <gatehouse/usage/usage.h>

#include "mocks/temp_dir.h"

#include <gtest/gtest.h>

#include <sstream>

namespace gatehouse::usage {
namespace {

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
  EXPECT_EQ(out.str(),
            "{\"request_id\":\"req_1\",\"created_at\":\"2025-11-23T00:00:00.000Z\","
            "\"key_id\":\"AbCdEfGhIjKlMnOp\",\"endpoint\":\"/v1/chat/completions\","
            "\"model\":\"gpt\",\"provider\":\"oa\",\"deployment\":\"oa/gpt-4o-mini\","
            "\"upstream_model\":\"gpt-4o-mini\",\"stream\":true,\"input_tokens\":12,"
            "\"output_tokens\":34,\"latency_ms\":56,\"status\":200,\"error_type\":\"\","
            "\"guardrails\":\"EMAIL:redact:1\"}\n");
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
