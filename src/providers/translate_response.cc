// Response bodies: Anthropic Message <-> OpenAI chat.completion, and usage in either.
#include <gatehouse/providers/translate.h>

#include "json_util.h"

#include <algorithm>
#include <string>

namespace gatehouse::providers {
namespace {

using namespace detail;  // NOLINT: private helpers of this module
using json::array;
using json::object;
using json::value;

object openaiUsage(const object* anthropic_usage) {
  const std::int64_t prompt = anthropicPromptTokens(anthropic_usage);
  const std::int64_t completion = tokenCount(anthropic_usage, "output_tokens");
  object usage;
  usage["prompt_tokens"] = prompt;
  usage["completion_tokens"] = completion;
  usage["total_tokens"] = addCounts(prompt, completion);
  object details;
  details["cached_tokens"] = tokenCount(anthropic_usage, "cache_read_input_tokens");
  usage["prompt_tokens_details"] = std::move(details);
  return usage;
}

// OpenAI message content: a string, or (some compatible servers) an array of text parts.
std::string openaiContentText(const value* content) {
  std::string text;
  if (content == nullptr) {
    return text;
  }
  if (const json::string* s = content->if_string()) {
    text = view(*s);
  } else if (const array* parts = content->if_array()) {
    for (const value& part : *parts) {
      if (const object* p = part.if_object()) {
        text += stringOr(*p, "text");
      }
    }
  }
  return text;
}

}  // namespace

Result<boost::json::object> openaiResponseFromAnthropic(const boost::json::object& message,
                                                        std::string_view model) {
  ResponseOptions options;
  options.model = model;
  return openaiResponseFromAnthropic(message, options);
}

Result<boost::json::object> openaiResponseFromAnthropic(const boost::json::object& message,
                                                        const ResponseOptions& options) {
  const array* content = arrayField(message, "content");
  if (content == nullptr) {
    return upstreamError("upstream message has no content array");
  }
  const value* id_value = message.if_contains("id");
  if (id_value != nullptr && !id_value->is_string()) {
    return upstreamError("upstream message id is not a string");
  }
  std::string text;
  bool answered_by_schema_tool = false;
  array tool_calls;
  for (const value& item : *content) {
    const object* block = item.if_object();
    if (block == nullptr) {
      return upstreamError("upstream message content holds a non-object block");
    }
    const std::string_view type = stringOr(*block, "type");
    if (type == "text") {
      const json::string* block_text = stringField(*block, "text");
      if (block_text == nullptr) {
        return upstreamError("upstream text block has no text");
      }
      text += view(*block_text);
    } else if (type == "tool_use") {
      const json::string* id = stringField(*block, "id");
      const json::string* name = stringField(*block, "name");
      const value* input = block->if_contains("input");
      if (id == nullptr || name == nullptr || input == nullptr) {
        return upstreamError("upstream tool_use block lacks an id, a name or an input");
      }
      if (!options.json_schema_tool.empty() && view(*name) == options.json_schema_tool) {
        // The structured-output answer (see jsonSchemaToolName): it is the message content.
        text += toJson(*input);
        answered_by_schema_tool = true;
        continue;
      }
      object function;
      function["name"] = *name;
      function["arguments"] = toJson(*input);
      object call;
      call["id"] = *id;
      call["type"] = "function";
      call["function"] = std::move(function);
      tool_calls.push_back(std::move(call));
    }
    // thinking, redacted_thinking and server-side tool blocks have no Chat Completions form.
  }

  object reply;
  reply["role"] = "assistant";
  if (text.empty() && !tool_calls.empty()) {
    reply["content"] = nullptr;
  } else {
    reply["content"] = text;
  }
  reply["refusal"] = nullptr;
  const bool has_tool_calls = !tool_calls.empty();
  if (has_tool_calls) {
    reply["tool_calls"] = std::move(tool_calls);
  }
  reply["annotations"] = array{};

  std::string_view finish_reason = openaiFinishReason(stringOr(message, "stop_reason"));
  if (finish_reason == "tool_calls" && !has_tool_calls && answered_by_schema_tool) {
    finish_reason = "stop";
  }
  object choice;
  choice["index"] = 0;
  choice["message"] = std::move(reply);
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = finish_reason;
  array choices;
  choices.push_back(std::move(choice));

  object out;
  out["id"] = openaiIdFromAnthropic(id_value == nullptr ? "" : view(id_value->get_string()));
  out["object"] = "chat.completion";
  out["created"] = options.created;
  out["model"] = options.model;
  out["choices"] = std::move(choices);
  out["usage"] = openaiUsage(objectField(message, "usage"));
  return out;
}

Result<boost::json::object> anthropicResponseFromOpenAI(const boost::json::object& completion,
                                                        std::string_view model) {
  const array* choices = arrayField(completion, "choices");
  if (choices == nullptr || choices->empty()) {
    return upstreamError("upstream completion has no choices");
  }
  const object* choice = (*choices)[0].if_object();
  const object* message = choice == nullptr ? nullptr : objectField(*choice, "message");
  if (message == nullptr) {
    return upstreamError("upstream completion choice has no message");
  }
  const value* id_value = completion.if_contains("id");
  if (id_value != nullptr && !id_value->is_string()) {
    return upstreamError("upstream completion id is not a string");
  }

  array content;
  std::string text = openaiContentText(message->if_contains("content"));
  if (text.empty()) {
    text = stringOr(*message, "refusal");
  }
  if (!text.empty()) {
    object block;
    block["type"] = "text";
    block["text"] = text;
    content.push_back(std::move(block));
  }
  if (const value* calls_value = message->if_contains("tool_calls");
      calls_value != nullptr && !calls_value->is_null()) {
    const array* calls = calls_value->if_array();
    if (calls == nullptr) {
      return upstreamError("upstream tool_calls is not an array");
    }
    for (const value& item : *calls) {
      const object* call = item.if_object();
      const object* function = call == nullptr ? nullptr : objectField(*call, "function");
      const json::string* id = call == nullptr ? nullptr : stringField(*call, "id");
      const json::string* name = function == nullptr ? nullptr : stringField(*function, "name");
      if (id == nullptr || name == nullptr) {
        return upstreamError("upstream tool call lacks an id or a function name");
      }
      object input;
      const std::string_view arguments = stringOr(*function, "arguments");
      if (arguments.find_first_not_of(" \t\r\n") != std::string_view::npos) {
        std::optional<object> parsed = parseObject(arguments);
        if (!parsed) {
          return upstreamError("upstream tool call arguments are not a JSON object");
        }
        input = std::move(*parsed);
      }
      object block;
      block["type"] = "tool_use";
      block["id"] = *id;
      block["name"] = *name;
      block["input"] = std::move(input);
      content.push_back(std::move(block));
    }
  }

  const object* usage = objectField(completion, "usage");
  const std::int64_t prompt = tokenCount(usage, "prompt_tokens");
  const object* details = usage == nullptr ? nullptr : objectField(*usage, "prompt_tokens_details");
  const std::int64_t cached = std::min(prompt, tokenCount(details, "cached_tokens"));
  object anthropic_usage;
  // Anthropic counts cache reads apart from input_tokens; the sum stays the prompt size.
  anthropic_usage["input_tokens"] = prompt - cached;
  anthropic_usage["cache_creation_input_tokens"] = 0;
  anthropic_usage["cache_read_input_tokens"] = cached;
  anthropic_usage["output_tokens"] = tokenCount(usage, "completion_tokens");

  object out;
  out["id"] = anthropicIdFromOpenAI(id_value == nullptr ? "" : view(id_value->get_string()));
  out["type"] = "message";
  out["role"] = "assistant";
  out["model"] = model;
  out["content"] = std::move(content);
  out["stop_reason"] = anthropicStopReason(stringOr(*choice, "finish_reason"));
  out["stop_sequence"] = nullptr;
  out["usage"] = std::move(anthropic_usage);
  return out;
}

TokenUsage usageFromResponse(Dialect dialect, const boost::json::object& body) {
  TokenUsage result;
  const object* usage = objectField(body, "usage");
  if (usage == nullptr) {
    return result;
  }
  if (dialect == Dialect::kAnthropic) {
    result.input_tokens = anthropicPromptTokens(usage);
    result.output_tokens = tokenCount(usage, "output_tokens");
    result.reported = usage->contains("input_tokens") || usage->contains("output_tokens");
  } else {
    result.input_tokens = tokenCount(usage, "prompt_tokens");
    result.output_tokens = tokenCount(usage, "completion_tokens");
    result.reported = usage->contains("prompt_tokens") || usage->contains("completion_tokens");
  }
  return result;
}

}  // namespace gatehouse::providers
