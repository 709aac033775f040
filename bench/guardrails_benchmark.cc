// Guardrails engine speed: throughput (bytes/s per core: every benchmark is single-threaded) on
// 1 KiB, 32 KiB and 1 MiB prompts with every detector on, and the per-call latency of one
// 1 KiB prompt (the reported time per iteration). Targets from issue 4: >= 200 MB/s per core
// and < 20 us for a 1 KiB prompt.
//
// The prompts are built from a fixed pool of realistic sentences (support tickets, code, logs,
// configuration) with a seeded shuffle: about one line in six carries PII or a secret, and a
// few trigger words (ignore, system, password...) appear in benign phrasing, so validators and
// the injection scorer do real work rather than scanning clean prose.

#include <gatehouse/guardrails/engine.h>
#include <gatehouse/guardrails/pseudonymizer.h>
#include <gatehouse/guardrails/stream_guard.h>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace gatehouse::guardrails;

const std::vector<std::string>& sentencePool() {
  static const std::vector<std::string> pool = {
      "Please summarise the attached meeting notes and list the action items by owner.\n",
      "The customer says the invoice total does not match the quote we sent last week.\n",
      "Can you rewrite this paragraph so that it sounds friendlier but keeps the facts?\n",
      "Refactor the function below to avoid the nested loops and explain the complexity.\n",
      "for (std::size_t i = 0; i < items.size(); ++i) { total += items[i].price * qty; }\n",
      "2025-03-14T10:22:31Z INFO request completed status=200 latency_ms=41 route=/v1/chat\n",
      "Our retention policy keeps logs for 90 days; older records are deleted nightly.\n",
      "Translate the following product description into German and French, please.\n",
      "Should I ignore the deprecation warning from pip, or does it matter for the build?\n",
      "The system administrator rotated the certificates on Tuesday without downtime.\n",
      "Draft a polite reply declining the meeting and proposing two alternative dates.\n",
      "What are the trade-offs between PostgreSQL row-level security and app-side checks?\n",
      "Compare version 2.4.1 with 2.5.0 and list the breaking changes in the changelog.\n",
      "Reach me at jordan.lee@example.com or on +44 20 7946 0991 after 3pm.\n",
      "Card on file: 4111 1111 1111 1111, expiry 09/27; please do not store it.\n",
      "The server at 192.0.2.44 stopped answering health checks at 02:10 UTC.\n",
      "export OPENAI_API_KEY=sk-proj-8fKq2LmN4pRs6TuVwXyZ0aBcDeFgHiJkLmNoPqRsT3BlbkFJ"
      "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcdef\n",
      "Wire the refund to DE89 3704 0044 0532 0130 00 before the end of the month.\n",
      "Her SSN is 123-45-6789 and the claim number is CLM-2025-88121.\n",
      "DB_PASSWORD=Zq8!vR2#mK9pLw4x in the compose file must move to a secret store.\n",
      "Call the support line at (415) 555-0132 if the tracking page shows no update.\n",
      "Order #4410-2231 shipped on 2025-02-11 and the tracking number is 1Z999AA10123456784.\n",
  };
  return pool;
}

std::string makePrompt(std::size_t bytes, std::uint32_t seed) {
  const auto& pool = sentencePool();
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::size_t> pick(0, pool.size() - 1);
  std::string text;
  text.reserve(bytes + 256);
  while (text.size() < bytes) {
    text += pool[pick(rng)];
  }
  text.resize(bytes);
  return text;
}

const Engine& engine() {
  static const std::unique_ptr<Engine> instance = [] {
    // Every detector on: all PII and secret types and injection flagged on both sides.
    auto created = Engine::create(flagEverythingPolicy());
    if (!created) {
      std::abort();
    }
    return std::move(created).value();
  }();
  return *instance;
}

const Engine& redactingEngine() {
  static const std::unique_ptr<Engine> instance = [] {
    PolicyConfig policy;
    policy.setPii({Action::kPseudonymize, Action::kRedact});
    policy.setSecrets({Action::kRedact, Action::kRedact});
    policy.injection = {Action::kFlag, Action::kFlag};
    auto created = Engine::create(std::move(policy));
    if (!created) {
      std::abort();
    }
    return std::move(created).value();
  }();
  return *instance;
}

// Throughput of one scan with every detector, for 1 KiB, 32 KiB and 1 MiB prompts.
void BM_Scan(benchmark::State& state) {
  const std::string text = makePrompt(static_cast<std::size_t>(state.range(0)), 42);
  const Engine& e = engine();
  std::size_t findings = 0;
  for (auto _ : state) {
    const ScanResult result = e.scan(text, Direction::kInput);
    findings = result.findings.size();
    benchmark::DoNotOptimize(result);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.counters["findings"] = static_cast<double>(findings);
}
BENCHMARK(BM_Scan)->Arg(1024)->Arg(32 * 1024)->Arg(1024 * 1024)->Unit(benchmark::kMicrosecond);

// Clean prose only (no entities, no digits): the floor set by the pattern database pass.
void BM_ScanCleanProse(benchmark::State& state) {
  std::string text;
  const std::string sentence =
      "The quick brown fox jumps over the lazy dog while the committee reviews the proposal. ";
  while (text.size() < static_cast<std::size_t>(state.range(0))) {
    text += sentence;
  }
  text.resize(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(engine().scan(text, Direction::kInput));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ScanCleanProse)->Arg(1024)->Arg(1024 * 1024)->Unit(benchmark::kMicrosecond);

// What the request path pays for one 1 KiB prompt: scan + policy + pseudonymise / redact.
void BM_Guard1KiB(benchmark::State& state) {
  const std::string text = makePrompt(1024, 7);
  const Engine& e = redactingEngine();
  for (auto _ : state) {
    Pseudonymizer pseudonymizer;
    benchmark::DoNotOptimize(e.guard(text, Direction::kInput, pseudonymizer));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_Guard1KiB)->Unit(benchmark::kMicrosecond);

// Per-call latency across many different 1 KiB prompts (no warm branch-predictor advantage).
void BM_Latency1KiBVaried(benchmark::State& state) {
  std::vector<std::string> prompts;
  for (std::uint32_t seed = 0; seed < 64; ++seed) {
    prompts.push_back(makePrompt(1024, seed));
  }
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(engine().scan(prompts[i++ % prompts.size()], Direction::kInput));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * 1024));
}
BENCHMARK(BM_Latency1KiBVaried)->Unit(benchmark::kMicrosecond);

// Streaming output guard: a 32 KiB answer in 16-byte chunks with a 512-byte window.
void BM_StreamGuard(benchmark::State& state) {
  const std::string text = makePrompt(32 * 1024, 99);
  const Engine& e = redactingEngine();
  for (auto _ : state) {
    Pseudonymizer pseudonymizer;
    OutputStreamGuard guard(e, pseudonymizer, 512);
    std::size_t out = 0;
    for (std::size_t pos = 0; pos < text.size(); pos += 16) {
      out += guard.feed(std::string_view(text).substr(pos, 16)).text.size();
    }
    out += guard.finish().text.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_StreamGuard)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
