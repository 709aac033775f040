#include "guardrails/pattern_db.h"

#include <hs/hs.h>

#include <algorithm>
#include <atomic>
#include <climits>

namespace gatehouse::guardrails::detail {
namespace {

static_assert(kCaseless == HS_FLAG_CASELESS);
static_assert(kDotAll == HS_FLAG_DOTALL);
static_assert(kSingleMatch == HS_FLAG_SINGLEMATCH);

std::atomic<std::uint64_t> g_next_generation{1};

// One scratch per thread, grown to fit every database this thread has scanned with (a scratch
// allocated for database A and then grown for B stays valid for A).
struct ThreadScratch {
  hs_scratch_t* scratch = nullptr;
  std::vector<std::uint64_t> fitted;  // generations this scratch is known to fit
  ~ThreadScratch() {
    if (scratch != nullptr) {
      hs_free_scratch(scratch);
    }
  }
};

thread_local ThreadScratch t_scratch;

struct Trampoline {
  MatchCallback callback;
  void* context;
};

int onMatch(unsigned int id, unsigned long long /*from*/, unsigned long long to,
            unsigned int /*flags*/, void* ctx) {
  auto* t = static_cast<Trampoline*>(ctx);
  return t->callback(id, static_cast<std::size_t>(to), t->context) ? 0 : 1;
}

}  // namespace

Result<std::unique_ptr<PatternDatabase>> PatternDatabase::compile(
    const std::vector<PatternSpec>& specs) {
  std::vector<const char*> expressions;
  std::vector<unsigned> ids;
  std::vector<unsigned> flags;
  expressions.reserve(specs.size());
  for (const auto& spec : specs) {
    expressions.push_back(spec.expression.c_str());
    ids.push_back(spec.id);
    flags.push_back(spec.flags);
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* error = nullptr;
  const hs_error_t rc = hs_compile_multi(expressions.data(), flags.data(), ids.data(),
                                         static_cast<unsigned>(expressions.size()), HS_MODE_BLOCK,
                                         nullptr, &db, &error);
  if (rc != HS_SUCCESS) {
    std::string message = "guardrails: pattern compilation failed";
    if (error != nullptr) {
      if (error->expression >= 0 && static_cast<std::size_t>(error->expression) < specs.size()) {
        message += " for pattern #" + std::to_string(specs[error->expression].id);
      }
      message += ": ";
      message += error->message;
      hs_free_compile_error(error);
    }
    return makeError(ErrorCode::kInvalidRequest, std::move(message));
  }
  return std::unique_ptr<PatternDatabase>(new PatternDatabase(db, g_next_generation++));
}

PatternDatabase::~PatternDatabase() {
  hs_free_database(db_);
}

void PatternDatabase::scan(std::string_view text, MatchCallback callback, void* context) const {
  ThreadScratch& local = t_scratch;
  if (std::find(local.fitted.begin(), local.fitted.end(), generation_) == local.fitted.end()) {
    if (hs_alloc_scratch(db_, &local.scratch) != HS_SUCCESS) {
      return;  // Out of memory: scanning finds nothing rather than crashing the gateway.
    }
    if (local.fitted.size() > 64) {
      local.fitted.clear();  // Old generations may belong to freed databases.
    }
    local.fitted.push_back(generation_);
  }
  Trampoline trampoline{callback, context};
  // Block mode takes an unsigned length; larger inputs are scanned in overlapping blocks by
  // the caller (the engine caps text size well below 4 GiB).
  const auto length = static_cast<unsigned int>(std::min<std::size_t>(text.size(), UINT_MAX));
  hs_scan(db_, text.data(), length, 0, local.scratch, onMatch, &trampoline);
}

}  // namespace gatehouse::guardrails::detail
