// Guardrails engine speed: throughput (bytes/s per core: every benchmark is single-threaded) on
// 1 KiB, 32 KiB and 1 MiB prompts with every detector on, and the per-call latency of one
// 1 KiB prompt (the reported time per iteration). Targets from issue 4: >= 200 MB/s per core
// and < 20 us for a 1 KiB prompt.
//
// The prompts are built from a fixed pool of realistic sentences (support tickets, code, logs,
// configuration) with a seeded shuffle, interleaved with sentences carrying PII or a secret whose
// values are random (so nothing is validated twice): "typical" has about one entity per KiB,
// "dense" about three. Benign trigger words (ignore, system, password...) appear too, so the
// validators and the injection scorer do real work rather than scanning clean prose.

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

// Sentences without entities: prose, code, logs, config, and benign trigger words.
const std::vector<std::string>& plainPool() {
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
      "Order #4410-2231 shipped on 2025-02-11 and the tracking number is 1Z999AA10123456784.\n",
      "    if err != nil {\n        return fmt.Errorf(\"open %s: %w\", path, err)\n    }\n",
  };
  return pool;
}

// Sentence templates with an entity; the values are random on every use, so no cache or branch
// predictor sees the same number twice.
std::string entitySentence(std::mt19937& rng) {
  auto digits = [&rng](int n) {
    std::string out;
    for (int i = 0; i < n; ++i) {
      out += static_cast<char>('0' + rng() % 10);
    }
    return out;
  };
  auto luhnCard = [&]() {
    std::string card = "4" + digits(14);
    int sum = 0;
    for (int i = 0; i < 15; ++i) {
      int d = card[static_cast<std::size_t>(14 - i)] - '0';
      if (i % 2 == 0) {
        d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      }
      sum += d;
    }
    card += static_cast<char>('0' + (10 - sum % 10) % 10);
    return card.substr(0, 4) + " " + card.substr(4, 4) + " " + card.substr(8, 4) + " " +
           card.substr(12, 4);
  };
  static const char* kAreas[] = {"415", "212", "312", "617", "702", "206", "512", "303"};
  switch (rng() % 7) {
    case 0:
      return "Reach me at user" + digits(4) + "@example.com or on +44 20 7946 0" + digits(3) +
             " after 3pm.\n";
    case 1:
      return "Card on file: " + luhnCard() + ", expiry 09/27; please do not store it.\n";
    case 2:
      return "The server at 10." + std::to_string(rng() % 256) + "." + std::to_string(rng() % 256) +
             "." + std::to_string(1 + rng() % 254) +
             " stopped answering health checks at 02:10 UTC.\n";
    case 3:
      return "Her SSN is " + std::to_string(100 + rng() % 500) + "-" +
             std::to_string(10 + rng() % 89) + "-" + std::to_string(1000 + rng() % 8999) +
             " and the claim number is CLM-2025-" + digits(5) + ".\n";
    case 4:
      return "Call the support line at (" + std::string(kAreas[rng() % 8]) + ") 555-01" +
             digits(2) + " if the tracking page shows no update.\n";
    case 5: {
      static const char kBase62[] =
          "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
      std::string token = "ghp_";
      for (int i = 0; i < 36; ++i) {
        token += kBase62[rng() % 62];
      }
      return "export GITHUB_TOKEN=" + token + " before running the release script.\n";
    }
    default:
      return "DB_PASSWORD=Zq8!vR2#mK" + digits(6) + "x in the compose file must move to a vault.\n";
  }
}

// A prompt of `bytes` bytes in which about one line in `entity_every` carries PII or a secret.
std::string makePrompt(std::size_t bytes, std::uint32_t seed, int entity_every) {
  const auto& pool = plainPool();
  std::mt19937 rng(seed);
  std::string text;
  text.reserve(bytes + 256);
  while (text.size() < bytes) {
    if (rng() % static_cast<unsigned>(entity_every) == 0) {
      text += entitySentence(rng);
    } else {
      text += pool[rng() % pool.size()];
    }
  }
  text.resize(bytes);
  return text;
}

// Dense: an entity every 3 lines (~3 per KiB). Typical: every 12 lines (~1 per KiB).
constexpr int kDense = 3;
constexpr int kTypical = 12;

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

// Throughput of one scan with every detector, for 1 KiB, 32 KiB and 1 MiB prompts;
// range(1) is the entity density (one entity line every N lines).
void BM_Scan(benchmark::State& state) {
  const std::string text =
      makePrompt(static_cast<std::size_t>(state.range(0)), 42, static_cast<int>(state.range(1)));
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
BENCHMARK(BM_Scan)
    ->ArgNames({"bytes", "entity_every"})
    ->ArgsProduct({{1024, 32 * 1024, 1024 * 1024}, {kTypical, kDense}})
    ->Unit(benchmark::kMicrosecond);

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
  const std::string text = makePrompt(1024, 7, kDense);
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
    prompts.push_back(makePrompt(1024, seed, kDense));
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
  const std::string text = makePrompt(32 * 1024, 99, kDense);
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
