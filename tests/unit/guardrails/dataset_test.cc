// Regression floors on the labelled development sets (../shared/datasets): the full report with
// score.py's exact rules is bench/guardrails_eval; these tests fail when a change drops the
// figures below the bar. Skipped when the datasets are not checked out next to the repo.

#include <gatehouse/guardrails/engine.h>

#include "unit/guardrails/test_util.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <fstream>
#include <set>

namespace gatehouse::guardrails {
namespace {

std::vector<boost::json::object> load(const std::string& name) {
  std::vector<boost::json::object> rows;
  std::ifstream file(std::string(GATEHOUSE_SHARED_DIR) + "/datasets/" + name);
  std::string line;
  while (std::getline(file, line)) {
    if (!line.empty()) {
      rows.push_back(boost::json::parse(line).as_object());
    }
  }
  return rows;
}

TEST(Dataset, PiiAndSecretsOverlapF1AboveTheBar) {
  const auto rows = load("pii_secrets_dev.jsonl");
  if (rows.empty()) {
    GTEST_SKIP() << "datasets not found";
  }
  long tp = 0;
  long predicted = 0;
  long gold = 0;
  long negative_hits = 0;
  const std::set<std::string> checksum_kinds = {
      "luhn_fail_card", "order_16", "bad_iban",        "bad_ssn",         "bad_ipv4",
      "rf_ref",         "isin",     "placeholder_key", "pem_placeholder", "aws_doc_example"};
  for (const auto& row : rows) {
    const std::string text(row.at("text").as_string());
    const ScanResult result = testing::flagAllEngine().scanAll(text);
    std::vector<bool> used(result.findings.size(), false);
    for (const auto& e : row.at("entities").as_array()) {
      const auto& entity = e.as_object();
      const auto start = static_cast<std::uint32_t>(entity.at("start").as_int64());
      const auto end = static_cast<std::uint32_t>(entity.at("end").as_int64());
      ++gold;
      for (std::size_t i = 0; i < result.findings.size(); ++i) {
        const Finding& f = result.findings[i];
        if (!used[i] && entityTypeName(f.type) == entity.at("type").as_string() && f.start < end &&
            start < f.end) {
          used[i] = true;
          ++tp;
          break;
        }
      }
    }
    predicted += static_cast<long>(result.findings.size());
    for (const auto& n : row.at("hard_negatives").as_array()) {
      const auto& negative = n.as_object();
      const auto start = static_cast<std::uint32_t>(negative.at("start").as_int64());
      const auto end = static_cast<std::uint32_t>(negative.at("end").as_int64());
      const bool hit =
          std::any_of(result.findings.begin(), result.findings.end(),
                      [&](const Finding& f) { return f.start < end && start < f.end; });
      if (hit && checksum_kinds.count(std::string(negative.at("kind").as_string())) != 0) {
        ++negative_hits;
      }
    }
  }
  const double precision = static_cast<double>(tp) / static_cast<double>(predicted);
  const double recall = static_cast<double>(tp) / static_cast<double>(gold);
  const double f1 = 2 * precision * recall / (precision + recall);
  EXPECT_GE(f1, 0.95) << "P " << precision << " R " << recall;
  EXPECT_EQ(negative_hits, 0);
}

TEST(Dataset, InjectionRecallAndFalsePositiveRate) {
  const auto rows = load("injection_dev.jsonl");
  if (rows.empty()) {
    GTEST_SKIP() << "datasets not found";
  }
  int tp = 0;
  int attacks = 0;
  int fp = 0;
  int benign = 0;
  for (const auto& row : rows) {
    const bool flagged =
        testing::flagAllEngine().scanAll(std::string(row.at("text").as_string())).injection.flagged;
    if (row.at("label").as_int64() == 1) {
      ++attacks;
      tp += flagged;
    } else {
      ++benign;
      fp += flagged;
    }
  }
  const double recall = static_cast<double>(tp) / attacks;
  const double fpr = static_cast<double>(fp) / benign;
  // The issue asks for 0.90 recall at <= 2% FPR; the dev set reaches 0.94 at 0% with the default
  // threshold (see the report in bench/guardrails_eval). These floors catch regressions.
  EXPECT_GE(recall, 0.90);
  EXPECT_LE(fpr, 0.02);
}

}  // namespace
}  // namespace gatehouse::guardrails
