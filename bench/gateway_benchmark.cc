// Per-request costs Gatehouse adds: key verification, SSE parsing, stream translation, and
// the usage record each request leaves for the background writer.

#include <gatehouse/auth/key_store.h>
#include <gatehouse/providers/sse.h>
#include <gatehouse/providers/translate.h>
#include <gatehouse/store/database.h>
#include <gatehouse/tenancy/tenant_store.h>
#include <gatehouse/usage/usage.h>

#include "mocks/fixed_random.h"
#include "mocks/temp_dir.h"

#include <benchmark/benchmark.h>
#include <boost/json/parse.hpp>

namespace gatehouse {
namespace {

// A streamed OpenAI answer of `chunks` content deltas plus the usage chunk and [DONE].
std::string openaiStream(int chunks) {
  std::string out;
  for (int i = 0; i < chunks; ++i) {
    out += R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m",)"
           R"("choices":[{"index":0,"delta":{"content":"token "},"finish_reason":null}]})"
           "\n\n";
  }
  out += R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m",)"
         R"("choices":[],"usage":{"prompt_tokens":10,"completion_tokens":20,"total_tokens":30}})"
         "\n\ndata: [DONE]\n\n";
  return out;
}

void BM_VerifyCallerKey(benchmark::State& state) {
  testing::TempDir dir;
  testing::FixedRandom random;
  SecretString pepper("benchmark-pepper");
  auto db = store::Database::open(store::databasePath(dir.path()));
  tenancy::TenantStore tenants(*db, random);
  const auto generated = auth::generateCallerKey(random, pepper);
  tenancy::NewCallerKey key;
  key.id = generated.id;
  key.hash.assign(reinterpret_cast<const char*>(generated.hash.data()), generated.hash.size());
  key.project_id = "prj_default";
  key.name = "bench";
  (void)tenants.createCallerKey(tenancy::ScopeGrant::authenticatedOrg("org_default"), key, 0);
  SystemClock clock;
  auth::KeyVerifier verifier(store::Database::open(store::databasePath(dir.path())),
                             SecretString("benchmark-pepper"), clock);
  (void)verifier.refresh();
  for (auto _ : state) {
    benchmark::DoNotOptimize(verifier.verify(generated.key.reveal()));
  }
}
BENCHMARK(BM_VerifyCallerKey);

void BM_SseParse(benchmark::State& state) {
  const std::string stream = openaiStream(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    providers::SseParser parser(1 << 20);
    std::size_t bytes = 0;
    benchmark::DoNotOptimize(parser.feedEach(
        stream, [&bytes](const providers::SseEvent& event) { bytes += event.data.size(); }));
    benchmark::DoNotOptimize(bytes);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
}
BENCHMARK(BM_SseParse)->Arg(10)->Arg(200);

void BM_StreamTranslate(benchmark::State& state, providers::Dialect caller) {
  const std::string stream = openaiStream(200);
  std::string out;
  for (auto _ : state) {
    // Parsed and translated together, as the relay does.
    providers::SseParser parser(1 << 20);
    auto translator =
        providers::makeStreamTranslator(providers::Dialect::kOpenAI, caller, {"m", false, 1, ""});
    out.clear();
    (void)parser.feedEach(
        stream, [&](const providers::SseEvent& event) { (void)translator->onEvent(event, out); });
    translator->finish(out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
}
BENCHMARK_CAPTURE(BM_StreamTranslate, openai_passthrough, providers::Dialect::kOpenAI);
BENCHMARK_CAPTURE(BM_StreamTranslate, openai_to_anthropic, providers::Dialect::kAnthropic);

void BM_TranslateRequestToAnthropic(benchmark::State& state) {
  const auto request = boost::json::parse(R"({"model":"m","stream":true,"max_tokens":256,
    "messages":[{"role":"system","content":"You are terse."},
                {"role":"user","content":"What is the capital of France?"}],
    "tools":[{"type":"function","function":{"name":"lookup","description":"d",
              "parameters":{"type":"object","properties":{"q":{"type":"string"}}}}}]})")
                           .as_object();
  for (auto _ : state) {
    benchmark::DoNotOptimize(providers::anthropicRequestFromOpenAI(request, {"claude", 4096}));
  }
}
BENCHMARK(BM_TranslateRequestToAnthropic);

// The background writer's cost per usage record, in batches of 256 as the server configures
// it, into a real SQLite file: it runs on its own thread but shares the cores with the data
// plane. Each iteration queues 4096 records and waits for the writer to commit them.
void BM_UsageWrite(benchmark::State& state) {
  testing::TempDir dir;
  // Creates the schema and holds the file open, as the server's other connections do.
  auto db = store::Database::open(store::databasePath(dir.path()));
  constexpr int kRecords = 4096;
  std::int64_t next_id = 0;
  for (auto _ : state) {
    usage::UsageRecorder recorder(store::Database::open(store::databasePath(dir.path())), 256,
                                  std::chrono::milliseconds(100));
    for (int i = 0; i < kRecords; ++i) {
      usage::UsageRecord record;
      record.request_id = "req_6f1c2a9be03d4475" + std::to_string(next_id++);
      record.created_at = 1796127420098 + next_id;
      record.key_id = "yURWvD8lfsDEZpoa";
      record.org_id = "org_default";
      record.project_id = "prj_default";
      record.endpoint = "/v1/chat/completions";
      record.model = "bench";
      record.provider = "up";
      record.deployment = "up/bench-upstream";
      record.upstream_model = "bench-upstream";
      record.input_tokens = 31;
      record.output_tokens = 45;
      record.latency_ms = 1;
      record.status = 200;
      recorder.record(std::move(record));
    }
    recorder.stop();
  }
  state.SetItemsProcessed(state.iterations() * kRecords);
}
BENCHMARK(BM_UsageWrite)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace gatehouse

BENCHMARK_MAIN();
