#include <gatehouse/providers/translate.h>

#include "test_util.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <string>

namespace gatehouse::providers {
namespace {

using ::testing::HasSubstr;
using testing::J;
using testing::O;

RequestOptions options(std::string model = "claude-sonnet-4-20250514") {
  RequestOptions o;
  o.upstream_model = std::move(model);
  o.default_max_tokens = 4096;
  return o;
}

boost::json::object toAnthropic(std::string_view openai) {
  Result<boost::json::object> out = anthropicRequestFromOpenAI(O(openai), options());
  EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message);
  return out.ok() ? *out : boost::json::object{};
}

Error anthropicError(std::string_view openai) {
  Result<boost::json::object> out = anthropicRequestFromOpenAI(O(openai), options());
  EXPECT_FALSE(out.ok()) << boost::json::serialize(out.ok() ? *out : boost::json::object{});
  return out.ok() ? Error{} : out.error();
}

boost::json::object toOpenAI(std::string_view anthropic) {
  Result<boost::json::object> out = openaiRequestFromAnthropic(O(anthropic), options("gpt-4.1"));
  EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message);
  return out.ok() ? *out : boost::json::object{};
}

Error openaiError(std::string_view anthropic) {
  Result<boost::json::object> out = openaiRequestFromAnthropic(O(anthropic), options("gpt-4.1"));
  EXPECT_FALSE(out.ok()) << boost::json::serialize(out.ok() ? *out : boost::json::object{});
  return out.ok() ? Error{} : out.error();
}

// ---------------------------------------------------------------------------------------------
// OpenAI -> Anthropic
// ---------------------------------------------------------------------------------------------

TEST(AnthropicRequestFromOpenAITest, MinimalChat) {
  EXPECT_EQ(boost::json::serialize(toAnthropic(R"({
    "model": "gpt-4o",
    "messages": [{"role": "user", "content": "Hello!"}]
  })")),
            R"({"model":"claude-sonnet-4-20250514","max_tokens":4096,)"
            R"("messages":[{"role":"user","content":"Hello!"}]})");
}

TEST(AnthropicRequestFromOpenAITest, SystemAndDeveloperMessagesBecomeTheSystemParameter) {
  EXPECT_EQ(toAnthropic(R"({"model":"m","messages":[
      {"role":"system","content":"You are terse."},
      {"role":"user","content":"Hi"}]})")
                .at("system"),
            "You are terse.");
  EXPECT_EQ(toAnthropic(R"({"model":"m","messages":[
      {"role":"developer","content":[{"type":"text","text":"Rule one."}]},
      {"role":"user","content":"Hi"},
      {"role":"system","content":"Rule two."}]})")
                .at("system"),
            J(R"([{"type":"text","text":"Rule one."},{"type":"text","text":"Rule two."}])"));
}

TEST(AnthropicRequestFromOpenAITest, SamplingParameters) {
  const boost::json::object out = toAnthropic(R"({
    "model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}],
    "max_completion_tokens": 300, "max_tokens": 100, "temperature": 0.2, "top_p": 0.9,
    "stop": ["END", "STOP"], "stream": true, "stream_options": {"include_usage": true},
    "user": "user-1234", "n": 1, "seed": 7, "presence_penalty": 0.5
  })");
  EXPECT_EQ(out, O(R"({
    "model": "claude-sonnet-4-20250514", "max_tokens": 300,
    "messages": [{"role": "user", "content": "Hi"}],
    "stop_sequences": ["END", "STOP"], "temperature": 0.2, "top_p": 0.9, "stream": true,
    "metadata": {"user_id": "user-1234"}
  })"));
}

TEST(AnthropicRequestFromOpenAITest, MaxTokensFallsBackToMaxTokensThenTheDefault) {
  EXPECT_EQ(toAnthropic(R"({"messages":[{"role":"user","content":"Hi"}],"max_tokens":77})")
                .at("max_tokens"),
            77);
  EXPECT_EQ(toAnthropic(R"({"messages":[{"role":"user","content":"Hi"}],"max_tokens":null})")
                .at("max_tokens"),
            4096);
}

TEST(AnthropicRequestFromOpenAITest, StopAsAString) {
  EXPECT_EQ(toAnthropic(R"({"messages":[{"role":"user","content":"Hi"}],"stop":"\n\n"})")
                .at("stop_sequences"),
            J(R"(["\n\n"])"));
}

TEST(AnthropicRequestFromOpenAITest, ImagePartsBecomeImageBlocks) {
  const boost::json::object out = toAnthropic(R"({"model":"m","messages":[{"role":"user","content":[
    {"type":"text","text":"What's in this image?"},
    {"type":"image_url","image_url":{"url":"https://upload.wikimedia.org/a.jpg","detail":"high"}},
    {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}
  ]}]})");
  EXPECT_EQ(out.at("messages"), J(R"([{"role":"user","content":[
    {"type":"text","text":"What's in this image?"},
    {"type":"image","source":{"type":"url","url":"https://upload.wikimedia.org/a.jpg"}},
    {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}
  ]}])"));
}

TEST(AnthropicRequestFromOpenAITest, PdfFilePartsBecomeDocumentBlocks) {
  const boost::json::object out = toAnthropic(R"({"messages":[{"role":"user","content":[
    {"type":"file","file":{"filename":"a.pdf","file_data":"data:application/pdf;base64,JVBERi0="}}
  ]}]})");
  EXPECT_EQ(out.at("messages").at(0).at("content"), J(R"([{"type":"document","source":
    {"type":"base64","media_type":"application/pdf","data":"JVBERi0="}}])"));
}

TEST(AnthropicRequestFromOpenAITest, ToolConversationFromTheOpenAIGuide) {
  const boost::json::object out = toAnthropic(R"({
    "model": "gpt-4.1",
    "messages": [
      {"role": "user", "content": "What's the weather like in Paris today?"},
      {"role": "assistant", "content": null, "tool_calls": [
        {"id": "call_12345xyz", "type": "function",
         "function": {"name": "get_weather", "arguments": "{\"location\":\"Paris, France\"}"}},
        {"id": "call_67890abc", "type": "function",
         "function": {"name": "get_time", "arguments": ""}}]},
      {"role": "tool", "tool_call_id": "call_12345xyz", "content": "14 degrees celsius"},
      {"role": "tool", "tool_call_id": "call_67890abc",
       "content": [{"type": "text", "text": "10:00"}]},
      {"role": "user", "content": "Thanks. And tomorrow?"}
    ],
    "tools": [{
      "type": "function",
      "function": {
        "name": "get_weather",
        "description": "Get current temperature for a given location.",
        "parameters": {
          "type": "object",
          "properties": {"location": {"type": "string", "description": "City and country"}},
          "required": ["location"], "additionalProperties": false
        },
        "strict": true
      }
    }, {"type": "function", "function": {"name": "get_time"}}],
    "tool_choice": "auto"
  })");
  EXPECT_EQ(out, O(R"({
    "model": "claude-sonnet-4-20250514", "max_tokens": 4096,
    "messages": [
      {"role": "user", "content": "What's the weather like in Paris today?"},
      {"role": "assistant", "content": [
        {"type": "tool_use", "id": "call_12345xyz", "name": "get_weather",
         "input": {"location": "Paris, France"}},
        {"type": "tool_use", "id": "call_67890abc", "name": "get_time", "input": {}}]},
      {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "call_12345xyz", "content": "14 degrees celsius"},
        {"type": "tool_result", "tool_use_id": "call_67890abc",
         "content": [{"type": "text", "text": "10:00"}]},
        {"type": "text", "text": "Thanks. And tomorrow?"}]}
    ],
    "tools": [{
      "name": "get_weather",
      "description": "Get current temperature for a given location.",
      "input_schema": {
        "type": "object",
        "properties": {"location": {"type": "string", "description": "City and country"}},
        "required": ["location"], "additionalProperties": false
      }
    }, {"name": "get_time", "input_schema": {"type": "object", "properties": {}}}],
    "tool_choice": {"type": "auto"}
  })"));
}

TEST(AnthropicRequestFromOpenAITest, AssistantTextAndToolCallsShareOneTurn) {
  const boost::json::object out = toAnthropic(R"({"messages":[
    {"role":"user","content":"Weather?"},
    {"role":"assistant","content":"Let me check.","tool_calls":[{"id":"call_1","type":"function",
      "function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
    {"role":"tool","tool_call_id":"call_1","content":""}]})");
  EXPECT_EQ(out.at("messages"), J(R"([
    {"role":"user","content":"Weather?"},
    {"role":"assistant","content":[{"type":"text","text":"Let me check."},
      {"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris"}}]},
    {"role":"user","content":[{"type":"tool_result","tool_use_id":"call_1"}]}])"));
}

TEST(AnthropicRequestFromOpenAITest, ConsecutiveSameRoleMessagesAreMerged) {
  EXPECT_EQ(toAnthropic(R"({"messages":[
    {"role":"user","content":"one"},{"role":"user","content":[{"type":"text","text":"two"}]},
    {"role":"assistant","content":"three"},{"role":"assistant","content":""},
    {"role":"assistant","content":"four"},{"role":"user","content":"five"}]})")
                .at("messages"),
            J(R"([
    {"role":"user","content":[{"type":"text","text":"one"},{"type":"text","text":"two"}]},
    {"role":"assistant","content":[{"type":"text","text":"three"},{"type":"text","text":"four"}]},
    {"role":"user","content":"five"}])"));
}

TEST(AnthropicRequestFromOpenAITest, ToolChoiceMapping) {
  const std::pair<const char*, const char*> cases[] = {
      {R"("auto")", R"({"type":"auto"})"},
      {R"("none")", R"({"type":"none"})"},
      {R"("required")", R"({"type":"any"})"},
      {R"({"type":"function","function":{"name":"get_weather"}})",
       R"({"type":"tool","name":"get_weather"})"},
  };
  for (const auto& [openai, anthropic] : cases) {
    const boost::json::object out =
        toAnthropic(std::string(R"({"messages":[{"role":"user","content":"Hi"}],)") +
                    R"("tools":[{"type":"function","function":{"name":"get_weather"}}],)" +
                    R"("tool_choice":)" + openai + "}");
    EXPECT_EQ(out.at("tool_choice"), J(anthropic)) << openai;
  }
}

TEST(AnthropicRequestFromOpenAITest, ParallelToolCallsFalseDisablesParallelToolUse) {
  EXPECT_EQ(toAnthropic(R"({"messages":[{"role":"user","content":"Hi"}],
      "tools":[{"type":"function","function":{"name":"f"}}],"parallel_tool_calls":false})")
                .at("tool_choice"),
            J(R"({"type":"auto","disable_parallel_tool_use":true})"));
  EXPECT_EQ(toAnthropic(R"({"messages":[{"role":"user","content":"Hi"}],
      "tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"required",
      "parallel_tool_calls":false})")
                .at("tool_choice"),
            J(R"({"type":"any","disable_parallel_tool_use":true})"));
  EXPECT_EQ(toAnthropic(R"({"messages":[{"role":"user","content":"Hi"}],
      "tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"none",
      "parallel_tool_calls":false})")
                .at("tool_choice"),
            J(R"({"type":"none"})"));
  // Without tools there is nothing to choose from.
  EXPECT_FALSE(toAnthropic(R"({"messages":[{"role":"user","content":"Hi"}],
      "parallel_tool_calls":false,"tool_choice":"auto"})")
                   .contains("tool_choice"));
}

TEST(AnthropicRequestFromOpenAITest, JsonObjectFormatBecomesASystemInstruction) {
  const boost::json::object out = toAnthropic(R"({"messages":[
    {"role":"system","content":"You extract data."},{"role":"user","content":"Hi"}],
    "response_format":{"type":"json_object"}})");
  const boost::json::array& system = out.at("system").as_array();
  ASSERT_EQ(system.size(), 2u);
  EXPECT_EQ(system[0], J(R"({"type":"text","text":"You extract data."})"));
  EXPECT_THAT(std::string(system[1].at("text").as_string()), HasSubstr("JSON object"));
  EXPECT_FALSE(out.contains("tools"));
}

TEST(AnthropicRequestFromOpenAITest, JsonSchemaFormatBecomesAForcedTool) {
  const char* request = R"({"model":"gpt-4o","messages":[{"role":"user","content":"Alice is 30"}],
    "response_format":{"type":"json_schema","json_schema":{"name":"person","strict":true,
      "schema":{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},
                "required":["name","age"],"additionalProperties":false}}}})";
  EXPECT_EQ(jsonSchemaToolName(O(request)), "person");
  const boost::json::object out = toAnthropic(request);
  ASSERT_TRUE(out.contains("tools"));
  const boost::json::array& tools = out.at("tools").as_array();
  ASSERT_EQ(tools.size(), 1u);
  EXPECT_EQ(tools[0].at("name"), "person");
  EXPECT_EQ(tools[0].at("input_schema"), J(R"({"type":"object","properties":{"name":
    {"type":"string"},"age":{"type":"integer"}},"required":["name","age"],
    "additionalProperties":false})"));
  EXPECT_TRUE(tools[0].at("description").is_string());
  EXPECT_EQ(out.at("tool_choice"), J(R"({"type":"tool","name":"person"})"));
}

TEST(AnthropicRequestFromOpenAITest, JsonSchemaWithCallerToolsLetsTheModelPickATool) {
  const boost::json::object out = toAnthropic(R"({"messages":[{"role":"user","content":"Hi"}],
    "tools":[{"type":"function","function":{"name":"lookup"}}],
    "response_format":{"type":"json_schema","json_schema":{"name":"answer","schema":{"type":"object"}}}})");
  ASSERT_EQ(out.at("tools").as_array().size(), 2u);
  EXPECT_EQ(out.at("tools").at(1).at("name"), "answer");
  EXPECT_EQ(out.at("tool_choice"), J(R"({"type":"any"})"));
}

TEST(AnthropicRequestFromOpenAITest, JsonSchemaNameIsSanitised) {
  EXPECT_EQ(jsonSchemaToolName(O(R"({"response_format":{"type":"json_schema",
    "json_schema":{"name":"my schema!"}}})")),
            "my_schema_");
  EXPECT_EQ(jsonSchemaToolName(O(R"({"response_format":{"type":"json_schema","json_schema":{}}})")),
            "json_response");
  EXPECT_EQ(jsonSchemaToolName(O(R"({"response_format":{"type":"json_object"}})")), "");
  EXPECT_EQ(jsonSchemaToolName(O(R"({})")), "");
}

TEST(AnthropicRequestFromOpenAITest, UpstreamModelFallsBackToTheCallersModel) {
  Result<boost::json::object> out = anthropicRequestFromOpenAI(
      O(R"({"model":"claude-x","messages":[{"role":"user","content":"Hi"}]})"), RequestOptions{});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->at("model"), "claude-x");
}

struct Rejection {
  const char* request;
  const char* message;  ///< A substring the error message must contain.
};

TEST(AnthropicRequestFromOpenAITest, RejectsMalformedRequestsPrecisely) {
  const Rejection cases[] = {
      {R"({"model":"m"})", "Missing required parameter: 'messages'."},
      {R"({"messages":null})", "Missing required parameter: 'messages'."},
      {R"({"messages":{}})", "Invalid type for 'messages': expected an array, but got an object"},
      {R"({"messages":[]})", "Invalid 'messages': empty array."},
      {R"({"messages":["hi"]})",
       "Invalid type for 'messages[0]': expected an object, but got a "
       "string instead."},
      {R"({"messages":[{"content":"hi"}]})", "Missing required parameter: 'messages[0].role'."},
      {R"({"messages":[{"role":7,"content":"hi"}]})", "Invalid type for 'messages[0].role'"},
      {R"({"messages":[{"role":"robot","content":"hi"}]})",
       "Invalid value: 'robot' for 'messages[0].role'"},
      {R"({"messages":[{"role":"function","name":"f","content":"x"}]})",
       "deprecated function role"},
      {R"({"messages":[{"role":"user"}]})", "Missing required parameter: 'messages[0].content'."},
      {R"({"messages":[{"role":"user","content":5}]})", "Invalid type for 'messages[0].content'"},
      {R"({"messages":[{"role":"user","content":[{"type":"input_audio"}]}]})",
       "Invalid value: 'input_audio' for 'messages[0].content[0].type'"},
      {R"({"messages":[{"role":"user","content":[{"type":"text"}]}]})",
       "Missing required parameter: 'messages[0].content[0].text'."},
      {R"({"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x"}}]}]})",
       "expected an http(s) URL or a base64 data URL"},
      {R"({"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,abc"}}]}]})",
       "only base64-encoded data URLs"},
      {R"({"messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"https://x"}}]}]})",
       "only text parts are allowed here"},
      {R"({"messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function",
          "function":{"name":"f","arguments":"{not json"}}]}]})",
       "Invalid 'messages[0].tool_calls[0].function.arguments'"},
      {R"({"messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function",
          "function":{"name":"f","arguments":"[1,2]"}}]}]})",
       "must be a JSON object"},
      {R"({"messages":[{"role":"assistant","tool_calls":[{"type":"function",
          "function":{"name":"f"}}]}]})",
       "Missing required parameter: 'messages[0].tool_calls[0].id'."},
      {R"({"messages":[{"role":"assistant","tool_calls":{}}]})",
       "Invalid type for 'messages[0].tool_calls'"},
      {R"({"messages":[{"role":"assistant","function_call":{"name":"f","arguments":"{}"}}]})",
       "deprecated function_call"},
      {R"({"messages":[{"role":"tool","content":"x"}]})",
       "Missing required parameter: 'messages[0].tool_call_id'."},
      {R"({"messages":[{"role":"user","content":"hi"}],"n":2})", "n must be 1"},
      {R"({"messages":[{"role":"user","content":"hi"}],"n":"2"})", "Invalid type for 'n'"},
      {R"({"messages":[{"role":"user","content":"hi"}],"max_tokens":0})",
       "Invalid 'max_tokens': integer below minimum value"},
      {R"({"messages":[{"role":"user","content":"hi"}],"max_completion_tokens":1.5})",
       "Invalid type for 'max_completion_tokens'"},
      {R"({"messages":[{"role":"user","content":"hi"}],"temperature":"hot"})",
       "Invalid type for 'temperature'"},
      {R"({"messages":[{"role":"user","content":"hi"}],"stream":"yes"})",
       "Invalid type for 'stream'"},
      {R"({"messages":[{"role":"user","content":"hi"}],"stop":[1]})", "Invalid type for 'stop[0]'"},
      {R"({"messages":[{"role":"user","content":"hi"}],"tools":{}})", "Invalid type for 'tools'"},
      {R"({"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function"}]})",
       "Missing required parameter: 'tools[0].function'."},
      {R"({"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"custom","custom":{}}]})",
       "only function tools are supported"},
      {R"({"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function",
          "function":{"name":"f","parameters":"x"}}]})",
       "Invalid type for 'tools[0].function.parameters'"},
      {R"({"messages":[{"role":"user","content":"hi"}],"tool_choice":"sometimes"})",
       "Invalid value: 'sometimes' for 'tool_choice'"},
      {R"({"messages":[{"role":"user","content":"hi"}],"tool_choice":{"type":"function"}})",
       "Missing required parameter: 'tool_choice.function.name'."},
      {R"({"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"xml"}})",
       "Invalid value: 'xml' for 'response_format.type'"},
      {R"({"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema"}})",
       "Missing required parameter: 'response_format.json_schema'."},
      {R"({"messages":[{"role":"user","content":"hi"}],
          "tools":[{"type":"function","function":{"name":"answer"}}],
          "response_format":{"type":"json_schema","json_schema":{"name":"answer"}}})",
       "is also the name of a tool"},
      {R"({"messages":[{"role":"user","content":"hi"}],"user":42})", "Invalid type for 'user'"},
      {R"({"messages":[{"role":"user","content":"hi"}],"parallel_tool_calls":"no"})",
       "Invalid type for 'parallel_tool_calls'"},
  };
  for (const Rejection& c : cases) {
    const Error error = anthropicError(c.request);
    EXPECT_EQ(error.code, ErrorCode::kInvalidRequest) << c.request;
    EXPECT_THAT(error.message, HasSubstr(c.message)) << c.request;
  }
}

// ---------------------------------------------------------------------------------------------
// Anthropic -> OpenAI
// ---------------------------------------------------------------------------------------------

TEST(OpenAIRequestFromAnthropicTest, MinimalMessage) {
  EXPECT_EQ(boost::json::serialize(toOpenAI(R"({
    "model": "claude-sonnet-4-20250514", "max_tokens": 1024,
    "messages": [{"role": "user", "content": "Hello, world"}]
  })")),
            R"({"model":"gpt-4.1","messages":[{"role":"user","content":"Hello, world"}],)"
            R"("max_completion_tokens":1024})");
}

TEST(OpenAIRequestFromAnthropicTest, ParametersAndStreaming) {
  EXPECT_EQ(toOpenAI(R"({
    "model": "claude-sonnet-4-20250514", "max_tokens": 1024,
    "system": [{"type": "text", "text": "You are terse."},
               {"type": "text", "text": "Answer in French.", "cache_control": {"type": "ephemeral"}}],
    "messages": [{"role": "user", "content": "Hi"}],
    "stop_sequences": ["\n\nHuman:"], "temperature": 0.5, "top_p": 0.8, "top_k": 5,
    "stream": true, "metadata": {"user_id": "13803d75-b4b5-4c3e-b2a2-6f21399b021b"},
    "thinking": {"type": "enabled", "budget_tokens": 2000}
  })"),
            O(R"({
    "model": "gpt-4.1",
    "messages": [{"role": "system", "content": "You are terse.\nAnswer in French."},
                 {"role": "user", "content": "Hi"}],
    "max_completion_tokens": 1024, "stop": ["\n\nHuman:"], "temperature": 0.5, "top_p": 0.8,
    "stream": true, "stream_options": {"include_usage": true},
    "user": "13803d75-b4b5-4c3e-b2a2-6f21399b021b"
  })"));
}

TEST(OpenAIRequestFromAnthropicTest, ToolUseConversationFromTheAnthropicDocs) {
  const boost::json::object out = toOpenAI(R"({
    "model": "claude-opus-4-1-20250805", "max_tokens": 1024,
    "tools": [{
      "name": "get_weather",
      "description": "Get the current weather in a given location",
      "input_schema": {"type": "object",
        "properties": {"location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"}},
        "required": ["location"]}
    }],
    "tool_choice": {"type": "any", "disable_parallel_tool_use": true},
    "messages": [
      {"role": "user", "content": "What's the weather like in San Francisco?"},
      {"role": "assistant", "content": [
        {"type": "thinking", "thinking": "I should call the tool.", "signature": "EqQBCg"},
        {"type": "text", "text": "I'll check the current weather in San Francisco for you."},
        {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "get_weather",
         "input": {"location": "San Francisco, CA", "unit": "celsius"}}]},
      {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_01A09q90qw90lq917835lq9",
         "content": "15 degrees"},
        {"type": "text", "text": "Is that warm?"}]}
    ]
  })");
  EXPECT_EQ(out, O(R"({
    "model": "gpt-4.1",
    "messages": [
      {"role": "user", "content": "What's the weather like in San Francisco?"},
      {"role": "assistant",
       "content": "I'll check the current weather in San Francisco for you.",
       "tool_calls": [{"id": "toolu_01A09q90qw90lq917835lq9", "type": "function",
         "function": {"name": "get_weather",
                      "arguments": "{\"location\":\"San Francisco, CA\",\"unit\":\"celsius\"}"}}]},
      {"role": "tool", "tool_call_id": "toolu_01A09q90qw90lq917835lq9", "content": "15 degrees"},
      {"role": "user", "content": "Is that warm?"}
    ],
    "max_completion_tokens": 1024,
    "tools": [{"type": "function", "function": {
      "name": "get_weather",
      "description": "Get the current weather in a given location",
      "parameters": {"type": "object",
        "properties": {"location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"}},
        "required": ["location"]}}}],
    "tool_choice": "required",
    "parallel_tool_calls": false
  })"));
}

TEST(OpenAIRequestFromAnthropicTest, ToolOnlyAssistantTurnHasNullContent) {
  const boost::json::object out = toOpenAI(R"({"model":"c","max_tokens":10,"messages":[
    {"role":"user","content":"Weather?"},
    {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"w","input":{}}]},
    {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1",
      "content":[{"type":"text","text":"sunny"},{"type":"text","text":"20C"}]}]}]})");
  EXPECT_EQ(out.at("messages"), J(R"([
    {"role":"user","content":"Weather?"},
    {"role":"assistant","content":null,"tool_calls":[{"id":"toolu_1","type":"function",
      "function":{"name":"w","arguments":"{}"}}]},
    {"role":"tool","tool_call_id":"toolu_1","content":"sunny\n20C"}])"));
}

TEST(OpenAIRequestFromAnthropicTest, ImageAndDocumentBlocks) {
  const boost::json::object out = toOpenAI(R"({"model":"c","max_tokens":10,"messages":[
    {"role":"user","content":[
      {"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/4AAQ"}},
      {"type":"image","source":{"type":"url","url":"https://example.com/cat.jpg"}},
      {"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0="}},
      {"type":"text","text":"Describe these."}]}]})");
  EXPECT_EQ(out.at("messages"), J(R"([{"role":"user","content":[
    {"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/4AAQ"}},
    {"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}},
    {"type":"file","file":{"filename":"document.pdf","file_data":"data:application/pdf;base64,JVBERi0="}},
    {"type":"text","text":"Describe these."}]}])"));
}

TEST(OpenAIRequestFromAnthropicTest, ToolChoiceMapping) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"type":"auto"})", R"("auto")"},
      {R"({"type":"any"})", R"("required")"},
      {R"({"type":"none"})", R"("none")"},
      {R"({"type":"tool","name":"get_weather"})",
       R"({"type":"function","function":{"name":"get_weather"}})"},
  };
  for (const auto& [anthropic, openai] : cases) {
    const boost::json::object out = toOpenAI(
        std::string(
            R"({"model":"c","max_tokens":10,"messages":[{"role":"user","content":"Hi"}],)") +
        R"("tools":[{"name":"get_weather","input_schema":{"type":"object"}}],"tool_choice":)" +
        anthropic + "}");
    EXPECT_EQ(out.at("tool_choice"), J(openai)) << anthropic;
    EXPECT_FALSE(out.contains("parallel_tool_calls"));
  }
}

TEST(OpenAIRequestFromAnthropicTest, NoStreamOptionsWhenNotStreaming) {
  const boost::json::object out = toOpenAI(
      R"({"model":"c","max_tokens":10,"stream":false,"messages":[{"role":"user","content":"Hi"}]})");
  EXPECT_EQ(out.at("stream"), false);
  EXPECT_FALSE(out.contains("stream_options"));
}

TEST(OpenAIRequestFromAnthropicTest, RejectsMalformedRequestsLikeAnthropicDoes) {
  const Rejection cases[] = {
      {R"({"max_tokens":10,"messages":[{"role":"user","content":"Hi"}]})", "model: Field required"},
      {R"({"model":"c","messages":[{"role":"user","content":"Hi"}]})",
       "max_tokens: Field required"},
      {R"({"model":"c","max_tokens":0,"messages":[{"role":"user","content":"Hi"}]})",
       "max_tokens: Input should be a valid integer greater than or equal to 1"},
      {R"({"model":"c","max_tokens":"9","messages":[{"role":"user","content":"Hi"}]})",
       "max_tokens: Input should be a valid integer"},
      {R"({"model":"c","max_tokens":10})", "messages: Field required"},
      {R"({"model":"c","max_tokens":10,"messages":"Hi"})",
       "messages: Input should be a valid list"},
      {R"({"model":"c","max_tokens":10,"messages":[]})",
       "messages: at least one message is required"},
      {R"({"model":"c","max_tokens":10,"messages":[{"role":"system","content":"Hi"}]})",
       "messages.0.role: Input should be 'user' or 'assistant'. The Messages API accepts a "
       "top-level `system` parameter"},
      {R"({"model":"c","max_tokens":10,"messages":[1]})",
       "messages.0: Input should be a valid dictionary"},
      {R"({"model":"c","max_tokens":10,"messages":[{"role":"user"}]})",
       "messages.0.content: Field required"},
      {R"({"model":"c","max_tokens":10,"messages":[{"role":"user","content":{}}]})",
       "messages.0.content: Input should be a valid list"},
      {R"({"model":"c","max_tokens":10,"messages":[{"role":"user","content":[{"text":"x"}]}]})",
       "messages.0.content.0.type: Field required"},
      {R"({"model":"c","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text"}]}]})",
       "messages.0.content.0.text: Field required"},
      {R"({"model":"c","max_tokens":10,"messages":[{"role":"user","content":[
          {"type":"tool_use","id":"t","name":"n","input":{}}]}]})",
       "tool_use blocks are only allowed in assistant messages"},
      {R"({"model":"c","max_tokens":10,"messages":[{"role":"assistant","content":[
          {"type":"tool_use","id":"t","name":"n","input":[]}]}]})",
       "tool_use blocks need an id, a name and an object input"},
      {R"({"model":"c","max_tokens":10,"messages":[{"role":"assistant","content":[
          {"type":"tool_result","tool_use_id":"t"}]}]})",
       "tool_result blocks are only allowed in user messages"},
      {R"({"model":"c","max_tokens":10,"messages":[{"role":"user","content":[
          {"type":"tool_result"}]}]})",
       "messages.0.content.0.tool_use_id: Field required"},
      {R"({"model":"c","max_tokens":10,"messages":[{"role":"user","content":[
          {"type":"tool_result","tool_use_id":"t","content":[{"type":"image","source":{}}]}]}]})",
       "only text blocks can be sent to this model in a tool_result"},
      {R"({"model":"c","max_tokens":10,"messages":[{"role":"user","content":[
          {"type":"image","source":{"type":"file","file_id":"f"}}]}]})",
       "only base64 and url image sources"},
      {R"({"model":"c","max_tokens":10,"messages":[{"role":"user","content":[
          {"type":"container_upload","file_id":"f"}]}]})",
       "'container_upload' blocks cannot be sent to this model"},
      {R"({"model":"c","max_tokens":10,"system":5,"messages":[{"role":"user","content":"Hi"}]})",
       "system: Input should be a valid string or list of text blocks"},
      {R"({"model":"c","max_tokens":10,"system":[{"type":"image"}],"messages":[{"role":"user","content":"Hi"}]})",
       "system.0: Input should be a valid text block"},
      {R"({"model":"c","max_tokens":10,"stop_sequences":"x","messages":[{"role":"user","content":"Hi"}]})",
       "stop_sequences: Input should be a valid list"},
      {R"({"model":"c","max_tokens":10,"temperature":"x","messages":[{"role":"user","content":"Hi"}]})",
       "temperature: Input should be a valid number"},
      {R"({"model":"c","max_tokens":10,"stream":1,"messages":[{"role":"user","content":"Hi"}]})",
       "stream: Input should be a valid boolean"},
      {R"({"model":"c","max_tokens":10,"tools":[{"name":"n"}],"messages":[{"role":"user","content":"Hi"}]})",
       "tools.0.input_schema: Field required"},
      {R"({"model":"c","max_tokens":10,"tools":[{"type":"web_search_20250305","name":"web_search"}],
          "messages":[{"role":"user","content":"Hi"}]})",
       "'web_search_20250305' tools cannot be sent to this model"},
      {R"({"model":"c","max_tokens":10,"tool_choice":{"type":"tool"},"messages":[{"role":"user","content":"Hi"}]})",
       "tool_choice.name: Field required"},
  };
  for (const Rejection& c : cases) {
    const Error error = openaiError(c.request);
    EXPECT_EQ(error.code, ErrorCode::kInvalidRequest) << c.request;
    EXPECT_THAT(error.message, HasSubstr(c.message)) << c.request;
  }
}

}  // namespace
}  // namespace gatehouse::providers
