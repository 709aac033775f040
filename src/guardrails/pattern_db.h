#pragma once

// A compiled vectorscan (Hyperscan API) database in block mode, plus the per-thread scratch
// space scanning needs. The only file that includes <hs/hs.h> is pattern_db.cc.

#include <gatehouse/common/result.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct hs_database;

namespace gatehouse::guardrails::detail {

struct PatternSpec {
  std::string expression;  ///< PCRE-like syntax vectorscan accepts.
  unsigned id = 0;
  unsigned flags = 0;  ///< PatternFlag bits.
};

/// Mirrors the HS_FLAG_* values this module uses (checked against hs.h in pattern_db.cc).
enum PatternFlag : unsigned {
  kCaseless = 1,
  kDotAll = 2,
  kSingleMatch = 8,
};

/// Called for every match: pattern id and end offset (exclusive). Return false to stop.
using MatchCallback = bool (*)(unsigned id, std::size_t end, void* context);

class PatternDatabase {
 public:
  /// Compiles all patterns into one database. Errors name the pattern that failed.
  static Result<std::unique_ptr<PatternDatabase>> compile(const std::vector<PatternSpec>& specs);
  ~PatternDatabase();
  PatternDatabase(const PatternDatabase&) = delete;
  PatternDatabase& operator=(const PatternDatabase&) = delete;

  /// Scans `text` once, reporting matches in end-offset order. Thread-safe: each thread uses
  /// its own scratch space, allocated on first use.
  void scan(std::string_view text, MatchCallback callback, void* context) const;

 private:
  PatternDatabase(hs_database* db, std::uint64_t generation) : db_(db), generation_(generation) {}
  hs_database* db_;
  std::uint64_t generation_;
};

}  // namespace gatehouse::guardrails::detail
