#include <gatehouse/providers/translate.h>

#include "test_util.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gatehouse::providers {
namespace {

using testing::D;
using testing::decode;
using testing::Done;
using testing::E;
using ::testing::ElementsAre;
using testing::Event;
using ::testing::HasSubstr;
using testing::runStream;

// ---------------------------------------------------------------------------------------------
// Real streams, as the providers' documentation shows them.
// ---------------------------------------------------------------------------------------------

// OpenAI Chat Completions streaming with stream_options.include_usage (API reference).
constexpr std::string_view kOpenAITextStream =
    "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,"
    "\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,"
    "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]"
    ","
    "\"usage\":null}\n\n"
    "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,"
    "\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,"
    "\"delta\":{\"content\":\"Hello\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}"
    "\n\n"
    "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,"
    "\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,"
    "\"delta\":{\"content\":\" there\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}"
    "\n\n"
    "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,"
    "\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,"
    "\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":null}\n\n"
    "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,"
    "\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[],"
    "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":12,\"total_tokens\":21}}\n\n"
    "data: [DONE]\n\n";

// OpenAI function calling, streamed (function calling guide): id and name first, then the
// arguments in pieces, then finish_reason tool_calls.
constexpr std::string_view kOpenAIToolStream =
    "data: {\"id\":\"chatcmpl-tool\",\"object\":\"chat.completion.chunk\",\"created\":1,"
    "\"model\":\"gpt-4.1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
    "\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"call_DdmO9pD3xa9XTPNJ32zg2hcA\","
    "\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}],"
    "\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n"
    "data: {\"id\":\"chatcmpl-tool\",\"object\":\"chat.completion.chunk\",\"created\":1,"
    "\"model\":\"gpt-4.1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
    "\"function\":{\"arguments\":\"{\\\"\"}}]},\"logprobs\":null,\"finish_reason\":null}],"
    "\"usage\":null}\n\n"
    "data: {\"id\":\"chatcmpl-tool\",\"object\":\"chat.completion.chunk\",\"created\":1,"
    "\"model\":\"gpt-4.1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
    "\"function\":{\"arguments\":\"location\"}}]},\"logprobs\":null,\"finish_reason\":null}],"
    "\"usage\":null}\n\n"
    "data: {\"id\":\"chatcmpl-tool\",\"object\":\"chat.completion.chunk\",\"created\":1,"
    "\"model\":\"gpt-4.1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
    "\"function\":{\"arguments\":\"\\\":\\\"Paris, France\\\"}\"}}]},\"logprobs\":null,"
    "\"finish_reason\":null}],\"usage\":null}\n\n"
    "data: {\"id\":\"chatcmpl-tool\",\"object\":\"chat.completion.chunk\",\"created\":1,"
    "\"model\":\"gpt-4.1\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,"
    "\"finish_reason\":\"tool_calls\"}],\"usage\":null}\n\n"
    "data: {\"id\":\"chatcmpl-tool\",\"object\":\"chat.completion.chunk\",\"created\":1,"
    "\"model\":\"gpt-4.1\",\"choices\":[],\"usage\":{\"prompt_tokens\":60,"
    "\"completion_tokens\":18,\"total_tokens\":78}}\n\n"
    "data: [DONE]\n\n";

// Anthropic Messages streaming, basic example (streaming docs).
constexpr std::string_view kAnthropicTextStream =
    "event: message_start\n"
    "data: {\"type\": \"message_start\", \"message\": {\"id\": "
    "\"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY\", \"type\": \"message\", \"role\": \"assistant\", "
    "\"content\": [], \"model\": \"claude-opus-4-1-20250805\", \"stop_reason\": null, "
    "\"stop_sequence\": null, \"usage\": {\"input_tokens\": 25, \"output_tokens\": 1}}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\": \"content_block_start\", \"index\": 0, \"content_block\": {\"type\": "
    "\"text\", \"text\": \"\"}}\n\n"
    "event: ping\n"
    "data: {\"type\": \"ping\"}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": "
    "\"text_delta\", \"text\": \"Hello\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": "
    "\"text_delta\", \"text\": \"!\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\": \"content_block_stop\", \"index\": 0}\n\n"
    "event: message_delta\n"
    "data: {\"type\": \"message_delta\", \"delta\": {\"stop_reason\": \"end_turn\", "
    "\"stop_sequence\":null}, \"usage\": {\"output_tokens\": 15}}\n\n"
    "event: message_stop\n"
    "data: {\"type\": \"message_stop\"}\n\n";

// Anthropic streaming with tool use (streaming docs), shortened: text, then a tool_use block
// whose input arrives as input_json_delta pieces.
constexpr std::string_view kAnthropicToolStream =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_014p7gG3wDgGV9EUtLvnow3U\","
    "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-opus-4-1-20250805\","
    "\"stop_sequence\":null,\"usage\":{\"input_tokens\":472,\"output_tokens\":2},\"content\":[],"
    "\"stop_reason\":null}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
    "\"text\":\"\"}}\n\n"
    "event: ping\n"
    "data: {\"type\": \"ping\"}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
    "\"text\":\"Okay, let's check the weather.\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\","
    "\"id\":\"toolu_01T1x1fJ34qAmk2tNTrN7Up6\",\"name\":\"get_weather\",\"input\":{}}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
    "\"partial_json\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
    "\"partial_json\":\"{\\\"location\\\":\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
    "\"partial_json\":\" \\\"San Francisco, CA\\\"}\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\","
    "\"stop_sequence\":null},\"usage\":{\"output_tokens\":89}}\n\n"
    "event: message_stop\n"
    "data: {\"type\":\"message_stop\"}\n\n";

constexpr std::string_view kAnthropicOverloaded =
    "event: error\n"
    "data: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": "
    "\"Overloaded\"}}\n\n";

StreamOptions streamOptions(bool include_usage, std::string json_schema_tool = "") {
  StreamOptions o;
  o.model = "caller-model";
  o.include_usage = include_usage;
  o.created = 1700000000;
  o.json_schema_tool = std::move(json_schema_tool);
  return o;
}

std::unique_ptr<StreamTranslator> make(Dialect upstream, Dialect caller, bool include_usage = false,
                                       std::string json_schema_tool = "") {
  return makeStreamTranslator(upstream, caller,
                              streamOptions(include_usage, std::move(json_schema_tool)));
}

// An OpenAI chunk as the Anthropic->OpenAI translator writes it.
Event chunk(std::string_view id, std::string_view delta, std::string_view finish_reason = "null",
            bool with_usage_null = false) {
  return D(std::string(R"({"id":")") + std::string(id) +
           R"(","object":"chat.completion.chunk","created":1700000000,"model":"caller-model",)"
           R"("choices":[{"index":0,"delta":)" +
           std::string(delta) + R"(,"logprobs":null,"finish_reason":)" +
           std::string(finish_reason) + "}]" + (with_usage_null ? R"(,"usage":null)" : "") + "}");
}

// ---------------------------------------------------------------------------------------------
// OpenAI -> OpenAI
// ---------------------------------------------------------------------------------------------

TEST(OpenAIPassthroughTest, RelaysEveryEventVerbatimWhenTheCallerAskedForUsage) {
  auto translator = make(Dialect::kOpenAI, Dialect::kOpenAI, /*include_usage=*/true);
  const testing::Run run = runStream(*translator, kOpenAITextStream, /*finish=*/false);
  ASSERT_FALSE(run.failed);
  EXPECT_EQ(run.bytes, kOpenAITextStream);
  EXPECT_TRUE(translator->sawEnd());
  const TokenUsage usage = translator->usage();
  EXPECT_TRUE(usage.reported);
  EXPECT_EQ(usage.input_tokens, 9);
  EXPECT_EQ(usage.output_tokens, 12);
  std::string after;
  translator->finish(after);
  EXPECT_EQ(after, "");  // [DONE] was already relayed
}

TEST(OpenAIPassthroughTest, DropsTheUsageChunkTheCallerDidNotAskFor) {
  auto translator = make(Dialect::kOpenAI, Dialect::kOpenAI, /*include_usage=*/false);
  const testing::Run run = runStream(*translator, kOpenAITextStream);
  ASSERT_FALSE(run.failed);
  std::string expected(kOpenAITextStream);
  const std::size_t usage_chunk =
      expected.find("data: {\"id\":\"chatcmpl-123\"", expected.find("\"finish_reason\":\"stop\""));
  const std::size_t done = expected.find("data: [DONE]");
  expected.erase(usage_chunk, done - usage_chunk);
  EXPECT_EQ(run.bytes, expected);
  EXPECT_EQ(translator->usage().input_tokens, 9);  // metered all the same
  EXPECT_EQ(translator->usage().output_tokens, 12);
}

TEST(OpenAIPassthroughTest, ReframesCrLfAndNamedEventsAsPlainDataEvents) {
  auto translator = make(Dialect::kOpenAI, Dialect::kOpenAI);
  const testing::Run run =
      runStream(*translator, "event: chunk\r\ndata: {\"choices\":[]}\r\n\r\ndata: [DONE]\r\n\r\n");
  ASSERT_FALSE(run.failed);
  EXPECT_EQ(run.bytes, "data: {\"choices\":[]}\n\ndata: [DONE]\n\n");
}

TEST(OpenAIPassthroughTest, ErrorEventIsRelayedAndReported) {
  auto translator = make(Dialect::kOpenAI, Dialect::kOpenAI);
  const std::string error =
      R"({"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}})";
  const testing::Run run = runStream(
      *translator, std::string(kOpenAITextStream.substr(0, kOpenAITextStream.find("data: {", 10))) +
                       "data: " + error + "\n\n");
  ASSERT_TRUE(run.failed);
  EXPECT_EQ(run.error.code, ErrorCode::kUpstreamError);
  EXPECT_EQ(run.error.message, "The server had an error while processing your request.");
  EXPECT_THAT(run.bytes, ::testing::EndsWith("data: " + error + "\n\n"));
  EXPECT_FALSE(translator->sawEnd());
}

TEST(OpenAIPassthroughTest, MalformedEventIsAnUpstreamError) {
  for (const char* data : {"{\"choices\":", "[1,2]", "hello"}) {
    auto translator = make(Dialect::kOpenAI, Dialect::kOpenAI);
    std::string out;
    Result<void> ok = translator->onEvent(SseEvent{"", data}, out);
    ASSERT_FALSE(ok.ok()) << data;
    EXPECT_EQ(ok.error().code, ErrorCode::kUpstreamError);
    EXPECT_EQ(out, "");
  }
}

TEST(OpenAIPassthroughTest, FinishAddsDoneWhenTheUpstreamClosedWithoutIt) {
  auto translator = make(Dialect::kOpenAI, Dialect::kOpenAI);
  const testing::Run run = runStream(*translator, "data: {\"choices\":[]}\n\n");
  EXPECT_FALSE(translator->sawEnd());
  EXPECT_EQ(run.bytes, "data: {\"choices\":[]}\n\ndata: [DONE]\n\n");
  EXPECT_FALSE(translator->usage().reported);
}

TEST(OpenAIPassthroughTest, MetersGroqUsageUnderXGroq) {
  auto translator = make(Dialect::kOpenAI, Dialect::kOpenAI);
  const testing::Run run =
      runStream(*translator,
                "data: {\"id\":\"chatcmpl-g\",\"choices\":[{\"index\":0,\"delta\":{},"
                "\"finish_reason\":\"stop\"}],\"x_groq\":{\"id\":\"req_01\",\"usage\":"
                "{\"prompt_tokens\":24,\"completion_tokens\":377,\"total_tokens\":401}}}\n\n"
                "data: [DONE]\n\n");
  ASSERT_FALSE(run.failed);
  EXPECT_TRUE(translator->usage().reported);
  EXPECT_EQ(translator->usage().input_tokens, 24);
  EXPECT_EQ(translator->usage().output_tokens, 377);
}

TEST(OpenAIPassthroughTest, NothingAfterDone) {
  auto translator = make(Dialect::kOpenAI, Dialect::kOpenAI);
  const testing::Run run = runStream(*translator, "data: [DONE]\n\ndata: {\"choices\":[]}\n\n");
  EXPECT_EQ(run.bytes, "data: [DONE]\n\n");
}

// ---------------------------------------------------------------------------------------------
// Anthropic -> Anthropic
// ---------------------------------------------------------------------------------------------

TEST(AnthropicPassthroughTest, RelaysEveryEventVerbatimAndMetersUsage) {
  auto translator = make(Dialect::kAnthropic, Dialect::kAnthropic);
  const testing::Run run = runStream(*translator, kAnthropicTextStream);
  ASSERT_FALSE(run.failed);
  EXPECT_EQ(run.bytes, kAnthropicTextStream);  // finish() adds nothing to a complete stream
  EXPECT_TRUE(translator->sawEnd());
  EXPECT_EQ(translator->usage().input_tokens, 25);
  EXPECT_EQ(translator->usage().output_tokens, 15);
}

TEST(AnthropicPassthroughTest, CacheTokensCountAsInputAndMessageDeltaInputWins) {
  auto translator = make(Dialect::kAnthropic, Dialect::kAnthropic);
  const testing::Run run = runStream(
      *translator,
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\","
      "\"usage\":{\"input_tokens\":10,\"cache_creation_input_tokens\":5,"
      "\"cache_read_input_tokens\":100,\"output_tokens\":1}}}\n\n"
      "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
      "\"end_turn\"},\"usage\":{\"input_tokens\":12,\"cache_creation_input_tokens\":5,"
      "\"cache_read_input_tokens\":100,\"output_tokens\":30}}\n\n");
  ASSERT_FALSE(run.failed);
  EXPECT_EQ(translator->usage().input_tokens, 117);
  EXPECT_EQ(translator->usage().output_tokens, 30);
}

TEST(AnthropicPassthroughTest, ErrorEventIsRelayedAndReported) {
  auto translator = make(Dialect::kAnthropic, Dialect::kAnthropic);
  const std::string start(kAnthropicTextStream.substr(0, kAnthropicTextStream.find("event: ping")));
  const testing::Run run = runStream(*translator, start + std::string(kAnthropicOverloaded));
  ASSERT_TRUE(run.failed);
  EXPECT_EQ(run.error.code, ErrorCode::kUpstreamError);
  EXPECT_EQ(run.error.message, "Overloaded");
  EXPECT_EQ(run.bytes, start + std::string(kAnthropicOverloaded));
}

TEST(AnthropicPassthroughTest, FinishClosesATruncatedStream) {
  auto translator = make(Dialect::kAnthropic, Dialect::kAnthropic);
  const std::string head(
      kAnthropicTextStream.substr(0, kAnthropicTextStream.find("event: content_block_stop")));
  const testing::Run run = runStream(*translator, head);
  ASSERT_FALSE(run.failed);
  EXPECT_FALSE(translator->sawEnd());
  EXPECT_EQ(run.bytes.substr(0, head.size()), head);
  EXPECT_THAT(decode(run.bytes.substr(head.size())),
              ElementsAre(E("content_block_stop", R"({"type":"content_block_stop","index":0})"),
                          E("message_delta", R"({"type":"message_delta","delta":
                            {"stop_reason":"end_turn","stop_sequence":null},
                            "usage":{"input_tokens":25,"output_tokens":1}})"),
                          E("message_stop", R"({"type":"message_stop"})")));
}

TEST(AnthropicPassthroughTest, FinishAfterMessageDeltaAddsOnlyMessageStop) {
  auto translator = make(Dialect::kAnthropic, Dialect::kAnthropic);
  const std::string head(
      kAnthropicTextStream.substr(0, kAnthropicTextStream.find("event: message_stop")));
  const testing::Run run = runStream(*translator, head);
  ASSERT_FALSE(run.failed);
  EXPECT_EQ(run.bytes, head + "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
}

TEST(AnthropicPassthroughTest, FinishBeforeMessageStartAddsNothing) {
  auto translator = make(Dialect::kAnthropic, Dialect::kAnthropic);
  const testing::Run run = runStream(*translator, "event: ping\ndata: {\"type\": \"ping\"}\n\n");
  EXPECT_EQ(run.bytes, "event: ping\ndata: {\"type\": \"ping\"}\n\n");
}

TEST(AnthropicPassthroughTest, MalformedEventIsAnUpstreamError) {
  auto translator = make(Dialect::kAnthropic, Dialect::kAnthropic);
  std::string out;
  Result<void> ok = translator->onEvent(SseEvent{"message_start", "{\"type\":"}, out);
  ASSERT_FALSE(ok.ok());
  EXPECT_EQ(ok.error().code, ErrorCode::kUpstreamError);
  EXPECT_EQ(out, "");
}

// ---------------------------------------------------------------------------------------------
// Anthropic upstream -> OpenAI caller
// ---------------------------------------------------------------------------------------------

TEST(AnthropicToOpenAITest, TextStreamFromTheDocs) {
  auto translator = make(Dialect::kAnthropic, Dialect::kOpenAI);
  const testing::Run run = runStream(*translator, kAnthropicTextStream, /*finish=*/false);
  ASSERT_FALSE(run.failed) << run.error.message;
  const std::string id = "chatcmpl-1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY";
  EXPECT_THAT(decode(run.bytes),
              ElementsAre(chunk(id, R"({"role":"assistant","content":"","refusal":null})"),
                          chunk(id, R"({"content":"Hello"})"), chunk(id, R"({"content":"!"})"),
                          chunk(id, "{}", R"("stop")"), Done()));
  EXPECT_TRUE(translator->sawEnd());
  EXPECT_EQ(translator->usage().input_tokens, 25);
  EXPECT_EQ(translator->usage().output_tokens, 15);
}

TEST(AnthropicToOpenAITest, FirstChunkExactBytes) {
  auto translator = make(Dialect::kAnthropic, Dialect::kOpenAI);
  std::string out;
  ASSERT_TRUE(translator
                  ->onEvent({"message_start",
                             R"({"type":"message_start","message":{"id":"msg_abc","usage":{}}})"},
                            out)
                  .ok());
  EXPECT_EQ(out,
            "data: {\"id\":\"chatcmpl-abc\",\"object\":\"chat.completion.chunk\","
            "\"created\":1700000000,\"model\":\"caller-model\",\"choices\":[{\"index\":0,"
            "\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},"
            "\"logprobs\":null,\"finish_reason\":null}]}\n\n");
}

TEST(AnthropicToOpenAITest, ToolUseStreamFromTheDocsWithUsage) {
  auto translator = make(Dialect::kAnthropic, Dialect::kOpenAI, /*include_usage=*/true);
  const testing::Run run = runStream(*translator, kAnthropicToolStream);
  ASSERT_FALSE(run.failed) << run.error.message;
  const std::string id = "chatcmpl-014p7gG3wDgGV9EUtLvnow3U";
  EXPECT_THAT(
      decode(run.bytes),
      ElementsAre(
          chunk(id, R"({"role":"assistant","content":"","refusal":null})", "null", true),
          chunk(id, R"({"content":"Okay, let's check the weather."})", "null", true),
          chunk(id, R"({"tool_calls":[{"index":0,"id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6",
                "type":"function","function":{"name":"get_weather","arguments":""}}]})",
                "null", true),
          chunk(id, R"({"tool_calls":[{"index":0,"function":{"arguments":"{\"location\":"}}]})",
                "null", true),
          chunk(
              id,
              R"({"tool_calls":[{"index":0,"function":{"arguments":" \"San Francisco, CA\"}"}}]})",
              "null", true),
          chunk(id, "{}", R"("tool_calls")", true),
          D(R"({"id":"chatcmpl-014p7gG3wDgGV9EUtLvnow3U","object":"chat.completion.chunk",
                "created":1700000000,"model":"caller-model","choices":[],
                "usage":{"prompt_tokens":472,"completion_tokens":89,"total_tokens":561}})"),
          Done()));
  EXPECT_EQ(translator->usage().input_tokens, 472);
  EXPECT_EQ(translator->usage().output_tokens, 89);
}

TEST(AnthropicToOpenAITest, ToolCallIndexCountsToolCallsOnly) {
  auto translator = make(Dialect::kAnthropic, Dialect::kOpenAI);
  const testing::Run run = runStream(
      *translator,
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_2\"}}\n\n"
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
      "\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
      "{\"type\":\"thinking_delta\",\"thinking\":\"Let me solve this step by step\"}}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
      "{\"type\":\"signature_delta\",\"signature\":"
      "\"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl\"}}"
      "\n\n"
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,"
      "\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_a\",\"name\":\"a\",\"input\":{}}}"
      "\n\n"
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":2,"
      "\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_b\",\"name\":\"b\",\"input\":{}}}"
      "\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":"
      "{\"type\":\"input_json_delta\",\"partial_json\":\"{}\"}}\n\n"
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":2}\n\n"
      "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
      "\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":3}}\n\n"
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
  ASSERT_FALSE(run.failed) << run.error.message;
  EXPECT_THAT(
      decode(run.bytes),
      ElementsAre(
          chunk("chatcmpl-2", R"({"role":"assistant","content":"","refusal":null})"),
          chunk("chatcmpl-2", R"({"tool_calls":[{"index":0,"id":"toolu_a",
                        "type":"function","function":{"name":"a","arguments":""}}]})"),
          chunk("chatcmpl-2", R"({"tool_calls":[{"index":1,"id":"toolu_b",
                        "type":"function","function":{"name":"b","arguments":""}}]})"),
          chunk("chatcmpl-2", R"({"tool_calls":[{"index":1,"function":{"arguments":"{}"}}]})"),
          chunk("chatcmpl-2", "{}", R"("tool_calls")"), Done()));
}

TEST(AnthropicToOpenAITest, StopReasonsMapToFinishReasons) {
  const std::pair<const char*, const char*> cases[] = {
      {"end_turn", "stop"},
      {"stop_sequence", "stop"},
      {"max_tokens", "length"},
      {"tool_use", "tool_calls"},
  };
  for (const auto& [stop_reason, finish_reason] : cases) {
    auto translator = make(Dialect::kAnthropic, Dialect::kOpenAI);
    std::string out;
    ASSERT_TRUE(
        translator
            ->onEvent({"message_start", R"({"type":"message_start","message":{"id":"m"}})"}, out)
            .ok());
    out.clear();
    ASSERT_TRUE(translator
                    ->onEvent({"message_delta", std::string(R"({"type":"message_delta","delta":)") +
                                                    R"({"stop_reason":")" + stop_reason + "\"}}"},
                              out)
                    .ok());
    EXPECT_THAT(decode(out),
                ElementsAre(chunk("chatcmpl-m", "{}", std::string("\"") + finish_reason + "\"")))
        << stop_reason;
  }
}

TEST(AnthropicToOpenAITest, JsonSchemaToolStreamsAsContent) {
  auto translator = make(Dialect::kAnthropic, Dialect::kOpenAI, false, "person");
  const testing::Run run = runStream(
      *translator,
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_3\"}}\n\n"
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
      "\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_x\",\"name\":\"person\","
      "\"input\":{}}}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
      "{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"name\\\": \"}}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
      "{\"type\":\"input_json_delta\",\"partial_json\":\"\\\"Alice\\\"}\"}}\n\n"
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
      "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
      "\"tool_use\"},\"usage\":{\"output_tokens\":9}}\n\n"
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
  ASSERT_FALSE(run.failed) << run.error.message;
  EXPECT_THAT(
      decode(run.bytes),
      ElementsAre(chunk("chatcmpl-3", R"({"role":"assistant","content":"","refusal":null})"),
                  chunk("chatcmpl-3", R"({"content":"{\"name\": "})"),
                  chunk("chatcmpl-3", R"({"content":"\"Alice\"}"})"),
                  chunk("chatcmpl-3", "{}", R"("stop")"), Done()));
}

TEST(AnthropicToOpenAITest, ErrorEventBecomesAnOpenAIErrorChunk) {
  auto translator = make(Dialect::kAnthropic, Dialect::kOpenAI);
  const std::string start(kAnthropicTextStream.substr(0, kAnthropicTextStream.find("event: ping")));
  const testing::Run run = runStream(*translator, start + std::string(kAnthropicOverloaded));
  ASSERT_TRUE(run.failed);
  EXPECT_EQ(run.error.code, ErrorCode::kUpstreamError);
  EXPECT_EQ(run.error.message, "Overloaded");
  const std::vector<Event> events = decode(run.bytes);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1], D(R"({"error":{"message":"Overloaded","type":"server_error","param":null,
                              "code":null}})"));
}

TEST(AnthropicToOpenAITest, FinishAfterATruncatedStreamEndsTheOpenAIStream) {
  auto translator = make(Dialect::kAnthropic, Dialect::kOpenAI, /*include_usage=*/true);
  const std::string head(
      kAnthropicTextStream.substr(0, kAnthropicTextStream.find("event: content_block_stop")));
  const testing::Run run = runStream(*translator, head);
  ASSERT_FALSE(run.failed);
  EXPECT_FALSE(translator->sawEnd());
  const std::vector<Event> events = decode(run.bytes);
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[3],
            chunk("chatcmpl-1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY", "{}", R"("stop")", true));
  EXPECT_EQ(events[4].data.at("usage"),
            testing::J(R"({"prompt_tokens":25,"completion_tokens":1,"total_tokens":26})"));
  EXPECT_EQ(events[5], Done());
}

TEST(AnthropicToOpenAITest, FinishWithoutAnyEventIsJustDone) {
  auto translator = make(Dialect::kAnthropic, Dialect::kOpenAI, true);
  std::string out;
  translator->finish(out);
  EXPECT_EQ(out, "data: [DONE]\n\n");
  translator->finish(out);
  EXPECT_EQ(out, "data: [DONE]\n\n");  // once only
}

TEST(AnthropicToOpenAITest, UnknownEventsAreSkipped) {
  auto translator = make(Dialect::kAnthropic, Dialect::kOpenAI);
  std::string out;
  EXPECT_TRUE(translator->onEvent({"brand_new_event", R"({"type":"brand_new_event"})"}, out).ok());
  EXPECT_EQ(out, "");
}

TEST(AnthropicToOpenAITest, MalformedOrOutOfOrderEventsAreUpstreamErrors) {
  const std::vector<std::vector<std::string>> cases = {
      {"not json"},
      {R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"},
      {R"({"type":"message_start"})"},
      {R"({"type":"message_start","message":{"id":"m"}})",
       R"({"type":"message_start","message":{"id":"m"}})"},
      {R"({"type":"message_start","message":{"id":"m"}})",
       R"({"type":"content_block_start","content_block":{"type":"text"}})"},
      {R"({"type":"message_start","message":{"id":"m"}})",
       R"({"type":"content_block_start","index":0,"content_block":{"type":"text"}})",
       R"({"type":"content_block_start","index":0,"content_block":{"type":"text"}})"},
      {R"({"type":"message_start","message":{"id":"m"}})",
       R"({"type":"content_block_delta","index":4,"delta":{"type":"text_delta","text":"x"}})"},
      {R"({"type":"message_start","message":{"id":"m"}})",
       R"({"type":"content_block_start","index":0,"content_block":{"type":"text"}})",
       R"({"type":"content_block_delta","index":0})"},
  };
  for (const std::vector<std::string>& events : cases) {
    auto translator = make(Dialect::kAnthropic, Dialect::kOpenAI);
    std::string out;
    Result<void> last;
    for (const std::string& data : events) {
      last = translator->onEvent({"", data}, out);
      if (!last.ok()) {
        break;
      }
    }
    ASSERT_FALSE(last.ok()) << events.back();
    EXPECT_EQ(last.error().code, ErrorCode::kUpstreamError);
  }
}

// ---------------------------------------------------------------------------------------------
// OpenAI upstream -> Anthropic caller
// ---------------------------------------------------------------------------------------------

TEST(OpenAIToAnthropicTest, TextStreamBecomesTheFullEventSequence) {
  auto translator = make(Dialect::kOpenAI, Dialect::kAnthropic);
  const testing::Run run = runStream(*translator, kOpenAITextStream, /*finish=*/false);
  ASSERT_FALSE(run.failed) << run.error.message;
  EXPECT_THAT(
      decode(run.bytes),
      ElementsAre(E("message_start", R"({"type":"message_start","message":{"id":"msg_123",
            "type":"message","role":"assistant","model":"caller-model","content":[],
            "stop_reason":null,"stop_sequence":null,
            "usage":{"input_tokens":0,"output_tokens":0}}})"),
                  E("ping", R"({"type":"ping"})"),
                  E("content_block_start", R"({"type":"content_block_start","index":0,
            "content_block":{"type":"text","text":""}})"),
                  E("content_block_delta", R"({"type":"content_block_delta","index":0,
            "delta":{"type":"text_delta","text":"Hello"}})"),
                  E("content_block_delta", R"({"type":"content_block_delta","index":0,
            "delta":{"type":"text_delta","text":" there"}})"),
                  E("content_block_stop", R"({"type":"content_block_stop","index":0})"),
                  E("message_delta", R"({"type":"message_delta","delta":{"stop_reason":"end_turn",
            "stop_sequence":null},"usage":{"input_tokens":9,"output_tokens":12}})"),
                  E("message_stop", R"({"type":"message_stop"})")));
  EXPECT_TRUE(translator->sawEnd());
  EXPECT_EQ(translator->usage().input_tokens, 9);
  EXPECT_EQ(translator->usage().output_tokens, 12);
  std::string after;
  translator->finish(after);
  EXPECT_EQ(after, "");
}

TEST(OpenAIToAnthropicTest, WireBytesOfTheFirstEvents) {
  auto translator = make(Dialect::kOpenAI, Dialect::kAnthropic);
  std::string out;
  ASSERT_TRUE(translator->onEvent({"", R"({"id":"chatcmpl-9","choices":[]})"}, out).ok());
  EXPECT_EQ(out,
            "event: message_start\n"
            "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_9\",\"type\":\"message\","
            "\"role\":\"assistant\",\"model\":\"caller-model\",\"content\":[],\"stop_reason\":null,"
            "\"stop_sequence\":null,\"usage\":{\"input_tokens\":0,\"output_tokens\":0}}}\n\n"
            "event: ping\ndata: {\"type\":\"ping\"}\n\n");
}

TEST(OpenAIToAnthropicTest, ToolCallStreamBecomesAToolUseBlock) {
  auto translator = make(Dialect::kOpenAI, Dialect::kAnthropic);
  const testing::Run run = runStream(*translator, kOpenAIToolStream);
  ASSERT_FALSE(run.failed) << run.error.message;
  const std::vector<Event> events = decode(run.bytes);
  ASSERT_GE(events.size(), 2u);
  EXPECT_THAT(std::vector<Event>(events.begin() + 2, events.end()),
              ElementsAre(E("content_block_start", R"({"type":"content_block_start","index":0,
                            "content_block":{"type":"tool_use",
                            "id":"call_DdmO9pD3xa9XTPNJ32zg2hcA","name":"get_weather","input":{}}})"),
                          E("content_block_delta", R"({"type":"content_block_delta","index":0,
                            "delta":{"type":"input_json_delta","partial_json":"{\""}})"),
                          E("content_block_delta", R"({"type":"content_block_delta","index":0,
                            "delta":{"type":"input_json_delta","partial_json":"location"}})"),
                          E("content_block_delta", R"({"type":"content_block_delta","index":0,
                            "delta":{"type":"input_json_delta",
                            "partial_json":"\":\"Paris, France\"}"}})"),
                          E("content_block_stop", R"({"type":"content_block_stop","index":0})"),
                          E("message_delta", R"({"type":"message_delta","delta":
                            {"stop_reason":"tool_use","stop_sequence":null},
                            "usage":{"input_tokens":60,"output_tokens":18}})"),
                          E("message_stop", R"({"type":"message_stop"})")));
}

TEST(OpenAIToAnthropicTest, TextThenParallelToolCallsGetIncreasingBlockIndexes) {
  auto translator = make(Dialect::kOpenAI, Dialect::kAnthropic);
  const testing::Run run = runStream(
      *translator,
      "data: {\"id\":\"chatcmpl-p\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
      "\"content\":\"Checking both.\"}}]}\n\n"
      "data: "
      "{\"id\":\"chatcmpl-p\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":"
      "0,\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"name\":\"weather\","
      "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]}}]}\n\n"
      "data: "
      "{\"id\":\"chatcmpl-p\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":"
      "1,\"id\":\"call_b\",\"type\":\"function\",\"function\":{\"name\":\"weather\","
      "\"arguments\":\"\"}}]}}]}\n\n"
      "data: "
      "{\"id\":\"chatcmpl-p\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":"
      "1,\"function\":{\"arguments\":\"{\\\"city\\\":\\\"Rome\\\"}\"}}]},"
      "\"finish_reason\":\"tool_calls\"}]}\n\n"
      "data: [DONE]\n\n");
  ASSERT_FALSE(run.failed) << run.error.message;
  const std::vector<Event> events = decode(run.bytes);
  ASSERT_GE(events.size(), 2u);
  EXPECT_THAT(
      std::vector<Event>(events.begin() + 2, events.end()),
      ElementsAre(E("content_block_start", R"({"type":"content_block_start","index":0,
            "content_block":{"type":"text","text":""}})"),
                  E("content_block_delta", R"({"type":"content_block_delta","index":0,
            "delta":{"type":"text_delta","text":"Checking both."}})"),
                  E("content_block_stop", R"({"type":"content_block_stop","index":0})"),
                  E("content_block_start", R"({"type":"content_block_start","index":1,
            "content_block":{"type":"tool_use","id":"call_a","name":"weather","input":{}}})"),
                  E("content_block_delta", R"({"type":"content_block_delta","index":1,
            "delta":{"type":"input_json_delta","partial_json":"{\"city\":\"Paris\"}"}})"),
                  E("content_block_stop", R"({"type":"content_block_stop","index":1})"),
                  E("content_block_start", R"({"type":"content_block_start","index":2,
            "content_block":{"type":"tool_use","id":"call_b","name":"weather","input":{}}})"),
                  E("content_block_delta", R"({"type":"content_block_delta","index":2,
            "delta":{"type":"input_json_delta","partial_json":"{\"city\":\"Rome\"}"}})"),
                  E("content_block_stop", R"({"type":"content_block_stop","index":2})"),
                  E("message_delta", R"({"type":"message_delta","delta":{"stop_reason":"tool_use",
            "stop_sequence":null},"usage":{"output_tokens":0}})"),
                  E("message_stop", R"({"type":"message_stop"})")));
  EXPECT_FALSE(translator->usage().reported);
}

TEST(OpenAIToAnthropicTest, FinishReasonLengthIsMaxTokens) {
  auto translator = make(Dialect::kOpenAI, Dialect::kAnthropic);
  const testing::Run run =
      runStream(*translator,
                "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},"
                "\"finish_reason\":\"length\"}]}\n\ndata: [DONE]\n\n");
  ASSERT_FALSE(run.failed);
  const std::vector<Event> events = decode(run.bytes);
  ASSERT_EQ(events.size(), 7u);
  EXPECT_EQ(events[5].data.at("delta").at("stop_reason"), "max_tokens");
}

TEST(OpenAIToAnthropicTest, DoneWithoutAFinishReasonStillClosesEverything) {
  auto translator = make(Dialect::kOpenAI, Dialect::kAnthropic);
  const testing::Run run = runStream(
      *translator,
      "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n"
      "data: [DONE]\n\n",
      /*finish=*/false);
  ASSERT_FALSE(run.failed);
  EXPECT_TRUE(translator->sawEnd());
  const std::vector<Event> events = decode(run.bytes);
  ASSERT_EQ(events.size(), 7u);
  EXPECT_EQ(events[4], E("content_block_stop", R"({"type":"content_block_stop","index":0})"));
  EXPECT_EQ(events[5], E("message_delta", R"({"type":"message_delta","delta":
    {"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":0}})"));
  EXPECT_EQ(events[6], E("message_stop", R"({"type":"message_stop"})"));
}

TEST(OpenAIToAnthropicTest, FinishClosesAStreamThatEndedWithoutDone) {
  auto translator = make(Dialect::kOpenAI, Dialect::kAnthropic);
  const testing::Run run = runStream(
      *translator,
      "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
      "\"id\":\"call_1\",\"function\":{\"name\":\"f\",\"arguments\":\"{\"}}]}}]}\n\n");
  ASSERT_FALSE(run.failed);
  EXPECT_FALSE(translator->sawEnd());
  const std::vector<Event> events = decode(run.bytes);
  ASSERT_EQ(events.size(), 7u);
  EXPECT_EQ(events[4], E("content_block_stop", R"({"type":"content_block_stop","index":0})"));
  EXPECT_EQ(events[5].event, "message_delta");
  EXPECT_EQ(events[6].event, "message_stop");
  std::string again;
  translator->finish(again);
  EXPECT_EQ(again, "");
}

TEST(OpenAIToAnthropicTest, DoneAloneIsStillAWellFormedMessage) {
  auto translator = make(Dialect::kOpenAI, Dialect::kAnthropic);
  const testing::Run run = runStream(*translator, "data: [DONE]\n\n");
  ASSERT_FALSE(run.failed);
  const std::vector<Event> events = decode(run.bytes);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].event, "message_start");
  EXPECT_EQ(events[1].event, "ping");
  EXPECT_EQ(events[2].event, "message_delta");
  EXPECT_EQ(events[3].event, "message_stop");
}

TEST(OpenAIToAnthropicTest, ErrorChunkBecomesAnAnthropicErrorEvent) {
  auto translator = make(Dialect::kOpenAI, Dialect::kAnthropic);
  const testing::Run run = runStream(
      *translator,
      "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n"
      "data: {\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"param\":null,"
      "\"code\":\"rate_limit_exceeded\"}}\n\n");
  ASSERT_TRUE(run.failed);
  EXPECT_EQ(run.error.code, ErrorCode::kUpstreamError);
  EXPECT_EQ(run.error.message, "Rate limit reached");
  const std::vector<Event> events = decode(run.bytes);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), E("error", R"({"type":"error","error":{"type":"rate_limit_error",
                                          "message":"Rate limit reached"}})"));
}

TEST(OpenAIToAnthropicTest, InterleavedToolCallsAreAnUpstreamError) {
  auto translator = make(Dialect::kOpenAI, Dialect::kAnthropic);
  const testing::Run run = runStream(
      *translator,
      "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"a\",\"function\":"
      "{\"name\":\"f\",\"arguments\":\"\"}}]}}]}\n\n"
      "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"b\",\"function\":"
      "{\"name\":\"g\",\"arguments\":\"\"}}]}}]}\n\n"
      "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
      "{\"arguments\":\"{}\"}}]}}]}\n\n");
  ASSERT_TRUE(run.failed);
  EXPECT_EQ(run.error.code, ErrorCode::kUpstreamError);
  EXPECT_THAT(run.error.message, HasSubstr("tool call 0"));
}

TEST(OpenAIToAnthropicTest, MalformedChunksAreUpstreamErrors) {
  for (const char* data : {"{", R"({"choices":{}})", R"({"choices":[7]})",
                           R"({"choices":[{"delta":{"tool_calls":"x"}}]})",
                           R"({"choices":[{"delta":{"tool_calls":[1]}}]})"}) {
    auto translator = make(Dialect::kOpenAI, Dialect::kAnthropic);
    std::string out;
    Result<void> ok = translator->onEvent({"", data}, out);
    ASSERT_FALSE(ok.ok()) << data;
    EXPECT_EQ(ok.error().code, ErrorCode::kUpstreamError) << data;
  }
}

TEST(OpenAIToAnthropicTest, OtherChoicesAndReasoningAreIgnored) {
  auto translator = make(Dialect::kOpenAI, Dialect::kAnthropic);
  std::string out;
  ASSERT_TRUE(translator
                  ->onEvent({"", R"({"id":"c","choices":[{"index":1,"delta":{"content":"no"}},
                                  {"index":0,"delta":{"reasoning_content":"hmm"}}]})"},
                            out)
                  .ok());
  const std::vector<Event> events = decode(out);
  ASSERT_EQ(events.size(), 2u);  // message_start and ping only
}

// ---------------------------------------------------------------------------------------------
// Every translator sees the same events however the upstream's bytes are cut.
// ---------------------------------------------------------------------------------------------

std::string translateInPieces(Dialect upstream, Dialect caller, std::string_view bytes,
                              std::size_t cut) {
  auto translator = make(upstream, caller, true);
  SseParser parser(1 << 16);
  std::string out;
  for (std::string_view piece : {bytes.substr(0, cut), bytes.substr(cut)}) {
    // As the relay does: an event whole in its piece comes with its wire bytes, a cut one
    // without, and the output must not tell them apart.
    EXPECT_TRUE(parser.feedEach(
        piece, [&](const SseEvent& event) { EXPECT_TRUE(translator->onEvent(event, out).ok()); }));
  }
  translator->finish(out);
  return out;
}

TEST(StreamSplitTest, EverySplitPositionGivesTheSameOutput) {
  const std::pair<Dialect, std::string_view> streams[] = {
      {Dialect::kOpenAI, kOpenAITextStream},
      {Dialect::kOpenAI, kOpenAIToolStream},
      {Dialect::kAnthropic, kAnthropicTextStream},
      {Dialect::kAnthropic, kAnthropicToolStream},
  };
  for (const auto& [upstream, bytes] : streams) {
    for (const Dialect caller : {Dialect::kOpenAI, Dialect::kAnthropic}) {
      const std::string whole = translateInPieces(upstream, caller, bytes, bytes.size());
      ASSERT_FALSE(whole.empty());
      for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
        ASSERT_EQ(translateInPieces(upstream, caller, bytes, cut), whole)
            << dialectName(upstream) << " -> " << dialectName(caller) << " cut at " << cut;
      }
    }
  }
}

}  // namespace
}  // namespace gatehouse::providers
