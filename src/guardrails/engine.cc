#include <gatehouse/guardrails/engine.h>
#include <gatehouse/guardrails/pseudonymizer.h>

#include "guardrails/char_class.h"
#include "guardrails/detectors.h"
#include "guardrails/injection.h"
#include "guardrails/pattern_db.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <mutex>

namespace gatehouse::guardrails {

using detail::Candidate;
using detail::NumberRun;
using detail::PatternDatabase;
using detail::PatternSpec;
using detail::Priority;
using detail::Trigger;
using detail::TriggerKind;

namespace {

std::string escapeForPattern(std::string_view literal) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : literal) {
    out += "\\x";
    out += kHex[(static_cast<unsigned char>(c) >> 4) & 0xF];
    out += kHex[static_cast<unsigned char>(c) & 0xF];
  }
  return out;
}

std::vector<PatternSpec> builtinSpecs() {
  std::vector<PatternSpec> specs = detail::builtinTriggerPatterns();
  std::vector<PatternSpec> injection = detail::injectionPatterns();
  specs.insert(specs.end(), std::make_move_iterator(injection.begin()),
               std::make_move_iterator(injection.end()));
  return specs;
}

// Policies without keyword rules share one database of the built-in patterns, compiled once.
Result<std::shared_ptr<const PatternDatabase>> sharedBuiltinDatabase() {
  static std::mutex mutex;
  static std::shared_ptr<const PatternDatabase> database;
  std::lock_guard lock(mutex);
  if (!database) {
    auto compiled = PatternDatabase::compile(builtinSpecs());
    if (!compiled) {
      return compiled.takeError();
    }
    database = std::shared_ptr<const PatternDatabase>(std::move(compiled).value());
    detail::warmInjectionConfirmers();
  }
  return database;
}

struct ScanState {
  std::string_view text;
  std::vector<Trigger> triggers;
  std::vector<NumberRun> runs;
  std::vector<Candidate> candidates;
  detail::InjectionScanState injection;
};

bool onMatch(unsigned id, std::size_t end, void* context) {
  auto& state = *static_cast<ScanState*>(context);
  const TriggerKind kind = detail::patternKind(id);
  switch (kind) {
    case TriggerKind::kInjection:
      detail::onInjectionMatch(state.text, detail::patternIndex(id), end, state.injection);
      return true;
    default:
      state.triggers.push_back(
          Trigger{kind, detail::patternIndex(id), static_cast<std::uint32_t>(end)});
      return true;
  }
}

int actionRank(Action action) {
  return static_cast<int>(action);
}

}  // namespace

std::string placeholderLabel(const Finding& finding) {
  std::string label(detectorName(finding));
  for (char& c : label) {
    c = detail::isAlnum(static_cast<unsigned char>(c)) ? detail::toUpper(c) : '_';
  }
  return label;
}

std::string_view detectorName(const Finding& finding) {
  return finding.type == EntityType::kCustom ? finding.rule : entityTypeName(finding.type);
}

std::string GuardResult::blockMessage(std::string_view policy_name, Direction direction) const {
  std::string message = "Request blocked by guardrail policy '";
  message.append(policy_name);
  message.append("': ");
  message.append(blocked_by);
  message.append(blocked_by == "INJECTION" ? " (prompt injection) detected in the "
                                           : " detected in the ");
  message.append(direction == Direction::kInput ? "input." : "model output.");
  return message;
}

class Engine::Impl {
 public:
  struct Keyword {
    std::size_t rule;
    std::size_t length;
    bool word_start;
    bool word_end;
  };

  PolicyConfig policy;
  EngineLimits limits;
  std::shared_ptr<const PatternDatabase> database;
  std::vector<std::unique_ptr<RE2>> regexes;  // index i belongs to rule regex_rules[i]
  std::vector<std::size_t> regex_rules;
  std::unique_ptr<RE2::Set> regex_set;
  std::vector<Keyword> keywords;

  Result<void> compile();
  ScanResult run(std::string_view text, const Direction* direction) const;

 private:
  void runCustomRegexes(std::string_view text, std::vector<Candidate>& out) const;
  void onKeyword(std::string_view text, const Trigger& trigger, std::vector<Candidate>& out) const;
  Action actionFor(const Candidate& candidate, const Direction* direction) const;
};

Result<void> Engine::Impl::compile() {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(limits.max_regex_memory);
  std::vector<PatternSpec> keyword_specs;
  for (std::size_t r = 0; r < policy.custom_rules.size(); ++r) {
    const CustomRule& rule = policy.custom_rules[r];
    if (rule.name.empty()) {
      return makeError(ErrorCode::kInvalidRequest, "guardrails: a custom rule has no name");
    }
    if (rule.regex.empty() == rule.keywords.empty()) {
      return makeError(ErrorCode::kInvalidRequest,
                       "guardrails: rule '" + rule.name + "' needs a regex or keywords (one)");
    }
    if (!rule.regex.empty()) {
      options.set_case_sensitive(rule.case_sensitive);
      auto re = std::make_unique<RE2>(rule.regex, options);
      if (!re->ok()) {
        return makeError(ErrorCode::kInvalidRequest,
                         "guardrails: rule '" + rule.name + "' regex: " + re->error());
      }
      regexes.push_back(std::move(re));
      regex_rules.push_back(r);
    }
    for (const std::string& keyword : rule.keywords) {
      if (keyword.empty() || keyword.size() > 256) {
        return makeError(ErrorCode::kInvalidRequest,
                         "guardrails: rule '" + rule.name + "' has an empty or over-long keyword");
      }
      if (keywords.size() >= 0xFFFF) {
        return makeError(ErrorCode::kInvalidRequest, "guardrails: too many keywords");
      }
      const auto index = static_cast<unsigned>(keywords.size());
      keywords.push_back(Keyword{r, keyword.size(),
                                 detail::isWord(static_cast<unsigned char>(keyword.front())),
                                 detail::isWord(static_cast<unsigned char>(keyword.back()))});
      keyword_specs.push_back(PatternSpec{escapeForPattern(keyword),
                                          detail::makePatternId(TriggerKind::kCustomKeyword, index),
                                          rule.case_sensitive ? 0u : unsigned{detail::kCaseless}});
    }
  }
  if (!regexes.empty()) {
    // One pass tells which regexes match at all; only those are run again for positions.
    RE2::Options set_options;
    set_options.set_log_errors(false);
    set_options.set_max_mem(limits.max_regex_memory * static_cast<std::int64_t>(regexes.size()));
    regex_set = std::make_unique<RE2::Set>(set_options, RE2::UNANCHORED);
    for (std::size_t i = 0; i < regexes.size(); ++i) {
      // Case-insensitivity travels inside the pattern so one Set serves all rules.
      const std::string pattern =
          (policy.custom_rules[regex_rules[i]].case_sensitive ? "" : "(?i)") +
          regexes[i]->pattern();
      std::string error;
      if (regex_set->Add(pattern, &error) < 0) {
        return makeError(
            ErrorCode::kInvalidRequest,
            "guardrails: rule '" + policy.custom_rules[regex_rules[i]].name + "' regex: " + error);
      }
    }
    if (!regex_set->Compile()) {
      return makeError(ErrorCode::kInvalidRequest,
                       "guardrails: custom regexes exceed the memory limit");
    }
  }
  if (keyword_specs.empty()) {
    auto shared = sharedBuiltinDatabase();
    if (!shared) {
      return shared.takeError();
    }
    database = std::move(shared).value();
  } else {
    std::vector<PatternSpec> specs = builtinSpecs();
    specs.insert(specs.end(), keyword_specs.begin(), keyword_specs.end());
    auto compiled = PatternDatabase::compile(specs);
    if (!compiled) {
      return compiled.takeError();
    }
    database = std::shared_ptr<const PatternDatabase>(std::move(compiled).value());
  }
  return {};
}

void Engine::Impl::onKeyword(std::string_view text, const Trigger& trigger,
                             std::vector<Candidate>& out) const {
  if (trigger.index >= keywords.size()) {
    return;
  }
  const Keyword& keyword = keywords[trigger.index];
  const std::size_t end = trigger.end;
  const std::size_t start = end - keyword.length;
  // Whole words only: "cat" does not fire inside "concatenate".
  if (keyword.word_start && start > 0 &&
      detail::isWord(static_cast<unsigned char>(text[start - 1]))) {
    return;
  }
  if (keyword.word_end && end < text.size() &&
      detail::isWord(static_cast<unsigned char>(text[end]))) {
    return;
  }
  const CustomRule& rule = policy.custom_rules[keyword.rule];
  out.push_back(Candidate{EntityType::kCustom, static_cast<std::uint32_t>(start),
                          static_cast<std::uint32_t>(end), rule.name, Priority::kCustom,
                          rule.severity, static_cast<std::int32_t>(keyword.rule)});
}

void Engine::Impl::runCustomRegexes(std::string_view text, std::vector<Candidate>& out) const {
  if (!regex_set) {
    return;
  }
  constexpr std::size_t kMaxMatchesPerRule = 10'000;
  std::vector<int> matched;
  const re2::StringPiece input(text.data(), text.size());
  if (!regex_set->Match(input, &matched)) {
    return;
  }
  for (int index : matched) {
    const RE2& re = *regexes[static_cast<std::size_t>(index)];
    const std::size_t rule_index = regex_rules[static_cast<std::size_t>(index)];
    const CustomRule& rule = policy.custom_rules[rule_index];
    std::size_t pos = 0;
    re2::StringPiece match;
    for (std::size_t n = 0; n < kMaxMatchesPerRule && pos <= text.size(); ++n) {
      if (!re.Match(input, pos, text.size(), RE2::UNANCHORED, &match, 1)) {
        break;
      }
      const auto start = static_cast<std::size_t>(match.data() - text.data());
      const std::size_t end = start + match.size();
      if (end > start) {
        out.push_back(Candidate{EntityType::kCustom, static_cast<std::uint32_t>(start),
                                static_cast<std::uint32_t>(end), rule.name, Priority::kCustom,
                                rule.severity, static_cast<std::int32_t>(rule_index)});
      }
      pos = end > start ? end : end + 1;
    }
  }
}

Action Engine::Impl::actionFor(const Candidate& candidate, const Direction* direction) const {
  if (direction == nullptr) {
    return Action::kFlag;
  }
  if (candidate.type == EntityType::kCustom) {
    return policy.custom_rules[static_cast<std::size_t>(candidate.custom_index)]
        .action.forDirection(*direction);
  }
  return policy.entity(candidate.type).forDirection(*direction);
}

ScanResult Engine::Impl::run(std::string_view text, const Direction* direction) const {
  ScanResult result;
  if (text.size() > limits.max_text_bytes) {
    text = text.substr(0, limits.max_text_bytes);
    result.truncated = true;
  }
  ScanState state;
  state.text = text;
  database->scan(text, onMatch, &state);
  detail::findStructuralTriggers(text, state.runs, state.candidates);

  std::vector<Candidate>& candidates = state.candidates;
  for (const Trigger& trigger : state.triggers) {
    const std::size_t end = trigger.end;
    switch (trigger.kind) {
      case TriggerKind::kEmailAt:
        detail::detectEmail(text, end - 2, candidates);
        break;
      case TriggerKind::kSecretPrefix:
        detail::detectSecretPrefix(text, trigger.index, end, candidates);
        break;
      case TriggerKind::kAzureSecret:
        detail::detectAzureSecret(text, end, candidates);
        break;
      case TriggerKind::kPemBegin:
        detail::detectPem(text, end, candidates);
        break;
      case TriggerKind::kJwt:
        detail::detectJwt(text, end, candidates);
        break;
      case TriggerKind::kUrlCredentials:
        detail::detectUrlCredentials(text, end, candidates);
        break;
      case TriggerKind::kAssignment:
        detail::detectAssignment(text, end, candidates);
        break;
      case TriggerKind::kCustomKeyword:
        onKeyword(text, trigger, candidates);
        break;
      default:
        break;
    }
  }
  for (const NumberRun& run : state.runs) {
    detail::detectNumbers(text, run, candidates);
  }
  runCustomRegexes(text, candidates);

  // Resolve overlaps: stronger action, then more specific detector, then longer span.
  struct Ranked {
    const Candidate* candidate;
    Action action;
  };
  std::vector<std::pair<std::uint32_t, std::uint32_t>> suppressed;
  for (const Candidate& candidate : candidates) {
    if (candidate.suppressor) {
      suppressed.emplace_back(candidate.start, candidate.end);
    }
  }
  std::vector<Ranked> ranked;
  ranked.reserve(candidates.size());
  for (const Candidate& candidate : candidates) {
    if (candidate.suppressor) {
      continue;
    }
    if (candidate.priority >= Priority::kStructured &&
        std::any_of(suppressed.begin(), suppressed.end(), [&](const auto& zone) {
          return candidate.start < zone.second && zone.first < candidate.end;
        })) {
      continue;
    }
    const Action action = actionFor(candidate, direction);
    if (action != Action::kAllow) {
      ranked.push_back(Ranked{&candidate, action});
    }
  }
  const auto outranks = [](const Ranked& a, const Ranked& b) {
    if (a.action != b.action) {
      return actionRank(a.action) > actionRank(b.action);
    }
    if (a.candidate->priority != b.candidate->priority) {
      return a.candidate->priority < b.candidate->priority;
    }
    const auto len_a = a.candidate->end - a.candidate->start;
    const auto len_b = b.candidate->end - b.candidate->start;
    if (len_a != len_b) {
      return len_a > len_b;
    }
    return a.candidate->start < b.candidate->start;
  };
  // Accepting candidates in rank order and dropping any that overlaps one already accepted only
  // ever compares candidates of one cluster (a run of transitively overlapping spans), so each
  // cluster is resolved on its own: most are a single candidate, and the ranking sort stays
  // small. Clusters come in start order, so the findings do too.
  std::sort(ranked.begin(), ranked.end(), [](const Ranked& a, const Ranked& b) {
    if (a.candidate->start != b.candidate->start) {
      return a.candidate->start < b.candidate->start;
    }
    return a.candidate->end < b.candidate->end;
  });
  const auto accept = [&result](const Ranked& r) {
    const Candidate& c = *r.candidate;
    result.findings.push_back(Finding{c.type, c.start, c.end, c.rule, c.severity, r.action});
  };
  std::vector<Ranked> cluster;
  for (std::size_t first = 0; first < ranked.size();) {
    std::size_t last = first + 1;
    std::uint32_t cluster_end = ranked[first].candidate->end;
    while (last < ranked.size() && ranked[last].candidate->start < cluster_end) {
      cluster_end = std::max(cluster_end, ranked[last].candidate->end);
      ++last;
    }
    if (last == first + 1) {
      accept(ranked[first]);
      first = last;
      continue;
    }
    cluster.assign(ranked.begin() + static_cast<std::ptrdiff_t>(first),
                   ranked.begin() + static_cast<std::ptrdiff_t>(last));
    std::sort(cluster.begin(), cluster.end(), outranks);
    const std::size_t accepted_from = result.findings.size();
    for (const Ranked& r : cluster) {
      const Candidate& c = *r.candidate;
      const bool overlaps = std::any_of(
          result.findings.begin() + static_cast<std::ptrdiff_t>(accepted_from),
          result.findings.end(),
          [&c](const Finding& taken) { return taken.start < c.end && c.start < taken.end; });
      if (!overlaps) {
        accept(r);
      }
    }
    std::sort(result.findings.begin() + static_cast<std::ptrdiff_t>(accepted_from),
              result.findings.end(),
              [](const Finding& a, const Finding& b) { return a.start < b.start; });
    first = last;
  }

  const bool score_injection =
      direction == nullptr || policy.injection.forDirection(*direction) != Action::kAllow;
  if (score_injection) {
    result.injection =
        detail::scoreInjection(text, state.injection.fired, policy.injection_threshold);
  }
  return result;
}

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::create(PolicyConfig policy, EngineLimits limits) {
  if (!(policy.injection_threshold >= 0.0 && policy.injection_threshold <= 1.0)) {
    return makeError(ErrorCode::kInvalidRequest,
                     "guardrails: injection_threshold must be between 0 and 1");
  }
  auto impl = std::make_unique<Impl>();
  impl->policy = std::move(policy);
  impl->limits = limits;
  auto compiled = impl->compile();
  if (!compiled) {
    return compiled.takeError();
  }
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

ScanResult Engine::scan(std::string_view text, Direction direction) const {
  return impl_->run(text, &direction);
}

ScanResult Engine::scanAll(std::string_view text) const {
  return impl_->run(text, nullptr);
}

const PolicyConfig& Engine::policy() const {
  return impl_->policy;
}
const EngineLimits& Engine::limits() const {
  return impl_->limits;
}

GuardResult Engine::guard(std::string_view text, Direction direction,
                          Pseudonymizer& pseudonymizer) const {
  GuardResult result;
  ScanResult scan_result = scan(text, direction);
  result.injection = std::move(scan_result.injection);
  auto count = [&result](std::string_view detector, Action action) {
    for (Outcome& outcome : result.outcomes) {
      if (outcome.detector == detector && outcome.action == action) {
        ++outcome.count;
        return;
      }
    }
    result.outcomes.push_back(Outcome{std::string(detector), action, 1});
  };
  for (const Finding& finding : scan_result.findings) {
    count(detectorName(finding), finding.action);
    if (finding.action == Action::kBlock && !result.blocked) {
      result.blocked = true;
      result.blocked_by = std::string(detectorName(finding));
    }
  }
  const Action injection_action = impl_->policy.injection.forDirection(direction);
  if (result.injection.flagged && injection_action != Action::kAllow) {
    count("INJECTION", injection_action);
    if (injection_action == Action::kBlock && !result.blocked) {
      result.blocked = true;
      result.blocked_by = "INJECTION";
    }
  }
  if (result.blocked) {
    return result;
  }
  std::size_t copied = 0;
  for (const Finding& finding : scan_result.findings) {
    if (finding.action != Action::kRedact && finding.action != Action::kPseudonymize) {
      continue;
    }
    // Restoring only makes sense for what the provider sees; on output it is a redaction.
    const bool restorable =
        finding.action == Action::kPseudonymize && direction == Direction::kInput;
    result.text.append(text.substr(copied, finding.start - copied));
    result.text.append(pseudonymizer.placeholderFor(
        placeholderLabel(finding), text.substr(finding.start, finding.size()), restorable));
    copied = finding.end;
    result.rewritten = true;
  }
  if (result.rewritten) {
    result.text.append(text.substr(copied));
  } else {
    result.text.assign(text);
  }
  return result;
}

}  // namespace gatehouse::guardrails
