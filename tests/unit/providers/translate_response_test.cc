#include <gatehouse/providers/translate.h>

#include "test_util.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

namespace gatehouse::providers {
namespace {

using ::testing::HasSubstr;
using testing::J;
using testing::O;

ResponseOptions responseOptions(std::string json_schema_tool = "") {
  ResponseOptions o;
  o.model = "gpt-4o";
  o.created = 1741569952;
  o.json_schema_tool = std::move(json_schema_tool);
  return o;
}

// The example Message from Anthropic's Messages API reference.
constexpr const char* kAnthropicMessage = R"({
  "content": [{"text": "Hi! My name is Claude.", "type": "text"}],
  "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
  "model": "claude-sonnet-4-20250514",
  "role": "assistant",
  "stop_reason": "end_turn",
  "stop_sequence": null,
  "type": "message",
  "usage": {"input_tokens": 2095, "output_tokens": 503}
})";

TEST(OpenAIResponseFromAnthropicTest, TextMessageExactWireFormat) {
  Result<boost::json::object> out =
      openaiResponseFromAnthropic(O(kAnthropicMessage), responseOptions());
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(boost::json::serialize(*out),
            R"({"id":"chatcmpl-013Zva2CMHLNnXjNJJKqJ2EF","object":"chat.completion",)"
            R"("created":1741569952,"model":"gpt-4o","choices":[{"index":0,"message":)"
            R"({"role":"assistant","content":"Hi! My name is Claude.","refusal":null,)"
            R"("annotations":[]},"logprobs":null,"finish_reason":"stop"}],)"
            R"("usage":{"prompt_tokens":2095,"completion_tokens":503,"total_tokens":2598,)"
            R"("prompt_tokens_details":{"cached_tokens":0}}})");
}

TEST(OpenAIResponseFromAnthropicTest, ModelOnlyOverloadReportsTheModel) {
  Result<boost::json::object> out = openaiResponseFromAnthropic(O(kAnthropicMessage), "my-model");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->at("model"), "my-model");
  EXPECT_EQ(out->at("object"), "chat.completion");
}

TEST(OpenAIResponseFromAnthropicTest, ToolUseFromTheAnthropicDocs) {
  Result<boost::json::object> out = openaiResponseFromAnthropic(O(R"({
    "id": "msg_01Aq9w938a90dw8q",
    "model": "claude-opus-4-1-20250805",
    "stop_reason": "tool_use",
    "role": "assistant",
    "type": "message",
    "content": [
      {"type": "thinking", "thinking": "The user wants weather.", "signature": "EqQBCgIYAh"},
      {"type": "text", "text": "I'll check the current weather in San Francisco for you."},
      {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "get_weather",
       "input": {"location": "San Francisco, CA", "unit": "celsius"}}
    ],
    "usage": {"input_tokens": 100, "cache_creation_input_tokens": 20,
              "cache_read_input_tokens": 30, "output_tokens": 40}
  })"),
                                                                responseOptions());
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->at("choices"), J(R"([{"index":0,"message":{"role":"assistant",
    "content":"I'll check the current weather in San Francisco for you.","refusal":null,
    "tool_calls":[{"id":"toolu_01A09q90qw90lq917835lq9","type":"function","function":
      {"name":"get_weather","arguments":"{\"location\":\"San Francisco, CA\",\"unit\":\"celsius\"}"}}],
    "annotations":[]},"logprobs":null,"finish_reason":"tool_calls"}])"));
  EXPECT_EQ(out->at("usage"), J(R"({"prompt_tokens":150,"completion_tokens":40,
    "total_tokens":190,"prompt_tokens_details":{"cached_tokens":30}})"));
}

TEST(OpenAIResponseFromAnthropicTest, OnlyToolCallsMeansNullContent) {
  Result<boost::json::object> out = openaiResponseFromAnthropic(O(R"({"id":"msg_1",
    "content":[{"type":"tool_use","id":"toolu_1","name":"f","input":{}}],"stop_reason":"tool_use",
    "usage":{"input_tokens":1,"output_tokens":2}})"),
                                                                responseOptions());
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->at("choices").at(0).at("message").at("content").is_null());
}

TEST(OpenAIResponseFromAnthropicTest, StopReasonMapping) {
  const std::pair<const char*, const char*> cases[] = {
      {"end_turn", "stop"},       {"stop_sequence", "stop"}, {"max_tokens", "length"},
      {"tool_use", "tool_calls"}, {"pause_turn", "stop"},    {"refusal", "content_filter"},
  };
  for (const auto& [anthropic, openai] : cases) {
    boost::json::object message = O(kAnthropicMessage);
    message["stop_reason"] = anthropic;
    Result<boost::json::object> out = openaiResponseFromAnthropic(message, responseOptions());
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(out->at("choices").at(0).at("finish_reason"), openai) << anthropic;
  }
}

TEST(OpenAIResponseFromAnthropicTest, JsonSchemaToolBecomesContent) {
  Result<boost::json::object> out = openaiResponseFromAnthropic(O(R"({"id":"msg_1",
    "content":[{"type":"tool_use","id":"toolu_1","name":"person","input":{"name":"Alice","age":30}}],
    "stop_reason":"tool_use","usage":{"input_tokens":1,"output_tokens":2}})"),
                                                                responseOptions("person"));
  ASSERT_TRUE(out.ok());
  const boost::json::value& choice = out->at("choices").at(0);
  EXPECT_EQ(choice.at("message").at("content"), R"({"name":"Alice","age":30})");
  EXPECT_FALSE(choice.at("message").as_object().contains("tool_calls"));
  EXPECT_EQ(choice.at("finish_reason"), "stop");
}

TEST(OpenAIResponseFromAnthropicTest, MalformedMessagesAreUpstreamErrors) {
  const char* cases[] = {
      R"({})",
      R"({"content":"text"})",
      R"({"id":5,"content":[]})",
      R"({"content":[1]})",
      R"({"content":[{"type":"text"}]})",
      R"({"content":[{"type":"tool_use","id":"t","name":"n"}]})",
  };
  for (const char* c : cases) {
    Result<boost::json::object> out = openaiResponseFromAnthropic(O(c), responseOptions());
    ASSERT_FALSE(out.ok()) << c;
    EXPECT_EQ(out.error().code, ErrorCode::kUpstreamError) << c;
  }
}

// The example chat.completion from OpenAI's Chat Completions reference.
constexpr const char* kOpenAICompletion = R"({
  "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
  "object": "chat.completion",
  "created": 1741569952,
  "model": "gpt-4.1-2025-04-14",
  "choices": [{
    "index": 0,
    "message": {"role": "assistant", "content": "Hello! How can I assist you today?",
                "refusal": null, "annotations": []},
    "logprobs": null,
    "finish_reason": "stop"
  }],
  "usage": {
    "prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29,
    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
      "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
  },
  "service_tier": "default"
})";

TEST(AnthropicResponseFromOpenAITest, TextCompletionExactWireFormat) {
  Result<boost::json::object> out =
      anthropicResponseFromOpenAI(O(kOpenAICompletion), "claude-sonnet-4-20250514");
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(boost::json::serialize(*out),
            R"({"id":"msg_B9MBs8CjcvOU2jLn4n570S5qMJKcT","type":"message","role":"assistant",)"
            R"("model":"claude-sonnet-4-20250514","content":[{"type":"text",)"
            R"("text":"Hello! How can I assist you today?"}],"stop_reason":"end_turn",)"
            R"("stop_sequence":null,"usage":{"input_tokens":19,"cache_creation_input_tokens":0,)"
            R"("cache_read_input_tokens":0,"output_tokens":10}})");
}

TEST(AnthropicResponseFromOpenAITest, ToolCallsFromTheOpenAIGuide) {
  Result<boost::json::object> out = anthropicResponseFromOpenAI(O(R"({
    "id": "chatcmpl-abc123", "object": "chat.completion", "created": 1699896916,
    "model": "gpt-4o-mini",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": null,
      "tool_calls": [{"id": "call_abc123", "type": "function", "function":
        {"name": "get_current_weather", "arguments": "{\n\"location\": \"Boston, MA\"\n}"}},
        {"id": "call_def456", "type": "function", "function":
        {"name": "get_time", "arguments": ""}}]},
      "logprobs": null, "finish_reason": "tool_calls"}],
    "usage": {"prompt_tokens": 82, "completion_tokens": 17, "total_tokens": 99,
              "prompt_tokens_details": {"cached_tokens": 64}}
  })"),
                                                                "claude");
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->at("content"), J(R"([
    {"type":"tool_use","id":"call_abc123","name":"get_current_weather","input":{"location":"Boston, MA"}},
    {"type":"tool_use","id":"call_def456","name":"get_time","input":{}}])"));
  EXPECT_EQ(out->at("stop_reason"), "tool_use");
  EXPECT_EQ(out->at("usage"), J(R"({"input_tokens":18,"cache_creation_input_tokens":0,
    "cache_read_input_tokens":64,"output_tokens":17})"));
}

TEST(AnthropicResponseFromOpenAITest, FinishReasonMapping) {
  const std::pair<const char*, const char*> cases[] = {
      {"stop", "end_turn"},          {"length", "max_tokens"},       {"tool_calls", "tool_use"},
      {"function_call", "tool_use"}, {"content_filter", "end_turn"},
  };
  for (const auto& [openai, anthropic] : cases) {
    boost::json::object completion = O(kOpenAICompletion);
    completion["choices"].as_array()[0].as_object()["finish_reason"] = openai;
    Result<boost::json::object> out = anthropicResponseFromOpenAI(completion, "claude");
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(out->at("stop_reason"), anthropic) << openai;
  }
}

TEST(AnthropicResponseFromOpenAITest, RefusalBecomesText) {
  Result<boost::json::object> out = anthropicResponseFromOpenAI(O(R"({"id":"chatcmpl-1",
    "choices":[{"index":0,"message":{"role":"assistant","content":null,
      "refusal":"I can't help with that."},"finish_reason":"stop"}]})"),
                                                                "claude");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->at("content"), J(R"([{"type":"text","text":"I can't help with that."}])"));
}

TEST(AnthropicResponseFromOpenAITest, MalformedCompletionsAreUpstreamErrors) {
  const char* cases[] = {
      R"({})",
      R"({"choices":[]})",
      R"({"choices":[1]})",
      R"({"choices":[{"index":0}]})",
      R"({"id":[],"choices":[{"message":{"content":"x"}}]})",
      R"({"choices":[{"message":{"tool_calls":{}}}]})",
      R"({"choices":[{"message":{"tool_calls":[{"type":"function"}]}}]})",
      R"({"choices":[{"message":{"tool_calls":[{"id":"c","function":{"name":"f","arguments":"{bad"}}]}}]})",
  };
  for (const char* c : cases) {
    Result<boost::json::object> out = anthropicResponseFromOpenAI(O(c), "claude");
    ASSERT_FALSE(out.ok()) << c;
    EXPECT_EQ(out.error().code, ErrorCode::kUpstreamError) << c;
  }
}

TEST(UsageFromResponseTest, OpenAI) {
  const TokenUsage usage = usageFromResponse(Dialect::kOpenAI, O(kOpenAICompletion));
  EXPECT_TRUE(usage.reported);
  EXPECT_EQ(usage.input_tokens, 19);
  EXPECT_EQ(usage.output_tokens, 10);
}

TEST(UsageFromResponseTest, OpenAIEmbeddings) {
  const TokenUsage usage = usageFromResponse(
      Dialect::kOpenAI, O(R"({"object":"list","data":[],"model":"text-embedding-3-small",
        "usage":{"prompt_tokens":8,"total_tokens":8}})"));
  EXPECT_TRUE(usage.reported);
  EXPECT_EQ(usage.input_tokens, 8);
  EXPECT_EQ(usage.output_tokens, 0);
}

TEST(UsageFromResponseTest, AnthropicCountsCacheTokensAsInput) {
  const TokenUsage usage = usageFromResponse(
      Dialect::kAnthropic, O(R"({"usage":{"input_tokens":100,"cache_creation_input_tokens":20,
        "cache_read_input_tokens":30,"output_tokens":40,"service_tier":"standard"}})"));
  EXPECT_TRUE(usage.reported);
  EXPECT_EQ(usage.input_tokens, 150);
  EXPECT_EQ(usage.output_tokens, 40);
}

TEST(UsageFromResponseTest, MissingOrIllTypedUsage) {
  EXPECT_FALSE(usageFromResponse(Dialect::kOpenAI, O(R"({"choices":[]})")).reported);
  EXPECT_FALSE(usageFromResponse(Dialect::kAnthropic, O(R"({"usage":null})")).reported);
  EXPECT_FALSE(usageFromResponse(Dialect::kAnthropic, O(R"({"usage":{}})")).reported);
  const TokenUsage bad = usageFromResponse(
      Dialect::kOpenAI, O(R"({"usage":{"prompt_tokens":"7","completion_tokens":-3}})"));
  EXPECT_EQ(bad.input_tokens, 0);
  EXPECT_EQ(bad.output_tokens, 0);
}

}  // namespace
}  // namespace gatehouse::providers
