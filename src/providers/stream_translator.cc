// Streaming: upstream SSE events -> caller-dialect SSE bytes, metering usage on the way.
#include <gatehouse/providers/translate.h>

#include "chunk_scan.h"
#include "json_util.h"

#include <map>
#include <optional>
#include <string>

namespace gatehouse::providers {
namespace {

using namespace detail;  // NOLINT: private helpers of this module
using json::array;
using json::object;
using json::value;

constexpr std::string_view kDone = "[DONE]";

Error notJson() {
  return upstreamError("upstream sent a stream event that is not a JSON object");
}

// An OpenAI stream signals a failure with a data event holding {"error": {...}}.
bool isOpenAIError(const SseEvent& event, const object& body) {
  return event.event == "error" || !absent(body, "error");
}

// Sets `usage` from an OpenAI chunk's usage, if it has one (Groq puts it under x_groq).
void meterOpenAIChunk(const object& chunk, TokenUsage& usage) {
  const object* reported = objectField(chunk, "usage");
  if (reported == nullptr) {
    if (const object* groq = objectField(chunk, "x_groq")) {
      reported = objectField(*groq, "usage");
    }
  }
  if (reported == nullptr) {
    return;
  }
  usage.input_tokens = tokenCount(reported, "prompt_tokens");
  usage.output_tokens = tokenCount(reported, "completion_tokens");
  usage.reported = true;
}

// message_start carries input and a first output count; message_delta carries the cumulative
// output count and, from newer API versions, the final input counts.
void meterAnthropicEvent(std::string_view type, const object& body, TokenUsage& usage) {
  const object* reported = nullptr;
  if (type == "message_start") {
    const object* message = objectField(body, "message");
    reported = message == nullptr ? nullptr : objectField(*message, "usage");
  } else if (type == "message_delta") {
    reported = objectField(body, "usage");
  }
  if (reported == nullptr) {
    return;
  }
  if (reported->contains("input_tokens") || reported->contains("cache_read_input_tokens") ||
      reported->contains("cache_creation_input_tokens")) {
    const std::int64_t input = anthropicPromptTokens(reported);
    if (type == "message_start" || input > 0) {
      usage.input_tokens = input;
    }
  }
  if (reported->contains("output_tokens")) {
    usage.output_tokens = tokenCount(reported, "output_tokens");
  }
  usage.reported = true;
}

void appendJsonEvent(std::string& out, std::string_view event, const object& body) {
  appendSseEvent(out, event, toJson(body));
}

// Anthropic events carry their type twice: as the SSE event name and as "type" in the data.
void appendAnthropicEvent(std::string& out, object body) {
  const std::string type(stringOr(body, "type"));
  appendJsonEvent(out, type, body);
}

object anthropicEvent(std::string_view type) {
  object body;
  body["type"] = type;
  return body;
}

void appendBlockStop(std::string& out, std::int64_t index) {
  object body = anthropicEvent("content_block_stop");
  body["index"] = index;
  appendAnthropicEvent(out, std::move(body));
}

// message_delta + message_stop: the end of an Anthropic message.
void appendAnthropicEnd(std::string& out, std::string_view stop_reason, const TokenUsage& usage) {
  object delta;
  delta["stop_reason"] = stop_reason.empty() ? std::string_view("end_turn") : stop_reason;
  delta["stop_sequence"] = nullptr;
  object usage_body;
  if (usage.reported) {
    usage_body["input_tokens"] = usage.input_tokens;
  }
  usage_body["output_tokens"] = usage.output_tokens;
  object body = anthropicEvent("message_delta");
  body["delta"] = std::move(delta);
  body["usage"] = std::move(usage_body);
  appendAnthropicEvent(out, std::move(body));
  appendAnthropicEvent(out, anthropicEvent("message_stop"));
}

// ---------------------------------------------------------------------------------------------
// OpenAI upstream -> OpenAI caller
// ---------------------------------------------------------------------------------------------

// Relays `event` unnamed, as OpenAI callers expect it: as it came when it came unnamed.
void relayUnnamed(std::string& out, const SseEvent& event) {
  if (event.event.empty()) {
    relaySseEvent(out, event);
  } else {
    appendSseEvent(out, "", event.data);
  }
}

class OpenAIPassthrough final : public StreamTranslator {
 public:
  explicit OpenAIPassthrough(const StreamOptions& options)
      : include_usage_(options.include_usage) {}

  Result<void> onEvent(const SseEvent& event, std::string& out) override {
    if (saw_end_) {
      return {};  // nothing follows [DONE]
    }
    if (event.data == kDone) {
      appendSseEvent(out, "", kDone);
      saw_end_ = true;
      return {};
    }
    const ChunkScan scan = scanOpenAIChunk(event.data);
    if (!scan.is_object) {
      return notJson();
    }
    if (!scan.needs_inspection && event.event != "error") {
      // No error to read: content, or usage the scan has already read.
      if (scan.has_usage) {
        usage_.input_tokens = scan.prompt_tokens;
        usage_.output_tokens = scan.completion_tokens;
        usage_.reported = true;
        // Gatehouse always asks for usage; a caller that did not gets no usage-only chunk.
        if (!include_usage_ && scan.choices_empty) {
          return {};
        }
      }
      relayUnnamed(out, event);
      return {};
    }
    EventArena arena;  // The chunk is inspected and relayed as received, never kept.
    std::optional<object> chunk = parseObject(event.data, arena.storage());
    if (!chunk) {
      return notJson();
    }
    if (isOpenAIError(event, *chunk)) {
      relayUnnamed(out, event);
      return upstreamError(upstreamErrorMessage(event.data, 502));
    }
    meterOpenAIChunk(*chunk, usage_);
    // Gatehouse always asks for usage; a caller that did not gets no usage-only chunk.
    const array* choices = arrayField(*chunk, "choices");
    if (!include_usage_ && choices != nullptr && choices->empty() &&
        objectField(*chunk, "usage") != nullptr) {
      return {};
    }
    relayUnnamed(out, event);
    return {};
  }

  void finish(std::string& out) override {
    if (!saw_end_ && !finished_) {
      appendSseEvent(out, "", kDone);
    }
    finished_ = true;
  }

  bool sawEnd() const override { return saw_end_; }
  TokenUsage usage() const override { return usage_; }

 private:
  bool include_usage_;
  bool saw_end_ = false;
  bool finished_ = false;
  TokenUsage usage_;
};

// ---------------------------------------------------------------------------------------------
// Anthropic upstream -> Anthropic caller
// ---------------------------------------------------------------------------------------------

class AnthropicPassthrough final : public StreamTranslator {
 public:
  Result<void> onEvent(const SseEvent& event, std::string& out) override {
    if (saw_end_) {
      return {};
    }
    EventArena arena;  // The event is inspected and relayed as received, never kept.
    std::optional<object> body = parseObject(event.data, arena.storage());
    if (!body) {
      return notJson();
    }
    const std::string_view type = stringOr(*body, "type");
    const std::string_view name = event.event.empty() ? type : event.event;
    if (name == "error" || type == "error") {
      appendSseEvent(out, "error", event.data);
      return upstreamError(upstreamErrorMessage(event.data, 502));
    }
    meterAnthropicEvent(type, *body, usage_);
    if (type == "message_start") {
      started_ = true;
    } else if (type == "content_block_start") {
      open_block_ = integerField(*body, "index");
    } else if (type == "content_block_stop") {
      open_block_.reset();
    } else if (type == "message_delta") {
      delta_seen_ = true;
    } else if (type == "message_stop") {
      saw_end_ = true;
    }
    if (name == event.event) {
      relaySseEvent(out, event);
    } else {
      appendSseEvent(out, name, event.data);
    }
    return {};
  }

  void finish(std::string& out) override {
    if (saw_end_ || finished_ || !started_) {
      finished_ = true;
      return;
    }
    finished_ = true;
    if (open_block_) {
      appendBlockStop(out, *open_block_);
    }
    if (delta_seen_) {
      appendAnthropicEvent(out, anthropicEvent("message_stop"));
    } else {
      appendAnthropicEnd(out, "end_turn", usage_);
    }
  }

  bool sawEnd() const override { return saw_end_; }
  TokenUsage usage() const override { return usage_; }

 private:
  bool started_ = false;
  bool delta_seen_ = false;
  bool saw_end_ = false;
  bool finished_ = false;
  std::optional<std::int64_t> open_block_;
  TokenUsage usage_;
};

// ---------------------------------------------------------------------------------------------
// Anthropic upstream -> OpenAI caller
// ---------------------------------------------------------------------------------------------

class AnthropicToOpenAI final : public StreamTranslator {
 public:
  explicit AnthropicToOpenAI(const StreamOptions& options) : options_(options) {}

  Result<void> onEvent(const SseEvent& event, std::string& out) override {
    if (saw_end_) {
      return {};
    }
    std::optional<object> body = parseObject(event.data);
    if (!body) {
      return notJson();
    }
    const std::string_view type = stringOr(*body, "type");
    if (event.event == "error" || type == "error") {
      return relayError(*body, event.data, out);
    }
    if (type == "message_start") {
      return onMessageStart(*body, out);
    }
    if (type == "ping") {
      return {};
    }
    const bool known = type == "content_block_start" || type == "content_block_delta" ||
                       type == "content_block_stop" || type == "message_delta" ||
                       type == "message_stop";
    if (!known) {
      return {};  // Anthropic may add event types; its versioning policy says to skip them
    }
    if (!started_) {
      return upstreamError("upstream sent " + std::string(type) + " before message_start");
    }
    if (type == "content_block_start") {
      return onBlockStart(*body, out);
    }
    if (type == "content_block_delta") {
      return onBlockDelta(*body, out);
    }
    if (type == "message_delta") {
      meterAnthropicEvent(type, *body, usage_);
      const object* delta = objectField(*body, "delta");
      const json::string* stop_reason =
          delta == nullptr ? nullptr : stringField(*delta, "stop_reason");
      if (stop_reason != nullptr && !finish_sent_) {
        std::string_view finish_reason = openaiFinishReason(view(*stop_reason));
        if (finish_reason == "tool_calls" && next_tool_index_ == 0 && answered_by_schema_tool_) {
          finish_reason = "stop";  // the structured-output answer is content, not a tool call
        }
        appendChunk(out, object{}, json::string(finish_reason));
        finish_sent_ = true;
      }
      return {};
    }
    if (type == "message_stop") {
      saw_end_ = true;
      appendEnd(out);
    }
    return {};  // content_block_stop: OpenAI has no counterpart
  }

  void finish(std::string& out) override {
    if (saw_end_ || finished_) {
      finished_ = true;
      return;
    }
    appendEnd(out);
  }

  bool sawEnd() const override { return saw_end_; }
  TokenUsage usage() const override { return usage_; }

 private:
  enum class BlockKind { kText, kTool, kSchemaAnswer, kIgnored };
  struct Block {
    BlockKind kind;
    std::int64_t tool_index = 0;
  };

  Result<void> relayError(const object& body, std::string_view data, std::string& out) {
    const object* error = objectField(body, "error");
    const std::string_view error_type = error == nullptr ? "" : stringOr(*error, "type");
    const std::string message = upstreamErrorMessage(data, 502);
    out += streamErrorEvent(Dialect::kOpenAI, statusForAnthropicErrorType(error_type), message);
    return upstreamError(message);
  }

  Result<void> onMessageStart(const object& body, std::string& out) {
    if (started_) {
      return upstreamError("upstream sent a second message_start");
    }
    const object* message = objectField(body, "message");
    if (message == nullptr) {
      return upstreamError("upstream message_start has no message");
    }
    started_ = true;
    id_ = openaiIdFromAnthropic(stringOr(*message, "id"));
    meterAnthropicEvent("message_start", body, usage_);
    object delta;
    delta["role"] = "assistant";
    delta["content"] = "";
    delta["refusal"] = nullptr;
    appendChunk(out, std::move(delta), nullptr);
    return {};
  }

  Result<void> onBlockStart(const object& body, std::string& out) {
    const std::optional<std::int64_t> index = integerField(body, "index");
    const object* block = objectField(body, "content_block");
    if (!index || block == nullptr) {
      return upstreamError("upstream content_block_start lacks an index or a content_block");
    }
    if (blocks_.count(*index) != 0) {
      return upstreamError("upstream started content block " + std::to_string(*index) + " twice");
    }
    const std::string_view type = stringOr(*block, "type");
    if (type == "text") {
      blocks_.emplace(*index, Block{BlockKind::kText});
      if (const std::string_view text = stringOr(*block, "text"); !text.empty()) {
        appendContent(out, text);
      }
      return {};
    }
    if (type != "tool_use") {
      blocks_.emplace(*index, Block{BlockKind::kIgnored});  // thinking, server tools, ...
      return {};
    }
    const std::string_view name = stringOr(*block, "name");
    const object* input = objectField(*block, "input");
    // The initial input is {} with the arguments following as deltas; a proxy may send it whole.
    const std::string initial = input != nullptr && !input->empty() ? toJson(*input) : "";
    if (!options_.json_schema_tool.empty() && name == options_.json_schema_tool) {
      blocks_.emplace(*index, Block{BlockKind::kSchemaAnswer});
      answered_by_schema_tool_ = true;
      if (!initial.empty()) {
        appendContent(out, initial);
      }
      return {};
    }
    const std::int64_t tool_index = next_tool_index_++;
    blocks_.emplace(*index, Block{BlockKind::kTool, tool_index});
    object function;
    function["name"] = name;
    function["arguments"] = initial;
    object call;
    call["index"] = tool_index;
    call["id"] = stringOr(*block, "id");
    call["type"] = "function";
    call["function"] = std::move(function);
    array calls;
    calls.push_back(std::move(call));
    object delta;
    delta["tool_calls"] = std::move(calls);
    appendChunk(out, std::move(delta), nullptr);
    return {};
  }

  Result<void> onBlockDelta(const object& body, std::string& out) {
    const std::optional<std::int64_t> index = integerField(body, "index");
    const object* delta = objectField(body, "delta");
    if (!index || delta == nullptr) {
      return upstreamError("upstream content_block_delta lacks an index or a delta");
    }
    const auto block = blocks_.find(*index);
    if (block == blocks_.end()) {
      return upstreamError("upstream sent a delta for content block " + std::to_string(*index) +
                           " before starting it");
    }
    const std::string_view type = stringOr(*delta, "type");
    if (type == "text_delta" && block->second.kind == BlockKind::kText) {
      if (const std::string_view text = stringOr(*delta, "text"); !text.empty()) {
        appendContent(out, text);
      }
    } else if (type == "input_json_delta") {
      const std::string_view partial = stringOr(*delta, "partial_json");
      if (partial.empty()) {
        return {};
      }
      if (block->second.kind == BlockKind::kSchemaAnswer) {
        appendContent(out, partial);
      } else if (block->second.kind == BlockKind::kTool) {
        object function;
        function["arguments"] = partial;
        object call;
        call["index"] = block->second.tool_index;
        call["function"] = std::move(function);
        array calls;
        calls.push_back(std::move(call));
        object chunk_delta;
        chunk_delta["tool_calls"] = std::move(calls);
        appendChunk(out, std::move(chunk_delta), nullptr);
      }
    }
    // thinking_delta, signature_delta, citations_delta: nothing a Chat Completions caller reads.
    return {};
  }

  void appendContent(std::string& out, std::string_view text) {
    object delta;
    delta["content"] = text;
    appendChunk(out, std::move(delta), nullptr);
  }

  object chunkHeader() const {
    object chunk;
    chunk["id"] = id_;
    chunk["object"] = "chat.completion.chunk";
    chunk["created"] = options_.created;
    chunk["model"] = options_.model;
    return chunk;
  }

  void appendChunk(std::string& out, object delta, value finish_reason) {
    object choice;
    choice["index"] = 0;
    choice["delta"] = std::move(delta);
    choice["logprobs"] = nullptr;
    choice["finish_reason"] = std::move(finish_reason);
    array choices;
    choices.push_back(std::move(choice));
    object chunk = chunkHeader();
    chunk["choices"] = std::move(choices);
    if (options_.include_usage) {
      chunk["usage"] = nullptr;  // as OpenAI does on every chunk before the usage chunk
    }
    appendJsonEvent(out, "", chunk);
  }

  // The finish chunk if the upstream never gave a stop reason, the usage chunk when asked for,
  // and [DONE].
  void appendEnd(std::string& out) {
    finished_ = true;
    if (started_ && !finish_sent_) {
      appendChunk(out, object{}, "stop");
      finish_sent_ = true;
    }
    if (started_ && options_.include_usage) {
      object usage;
      usage["prompt_tokens"] = usage_.input_tokens;
      usage["completion_tokens"] = usage_.output_tokens;
      usage["total_tokens"] = addCounts(usage_.input_tokens, usage_.output_tokens);
      object chunk = chunkHeader();
      chunk["choices"] = array{};
      chunk["usage"] = std::move(usage);
      appendJsonEvent(out, "", chunk);
    }
    appendSseEvent(out, "", kDone);
  }

  StreamOptions options_;
  std::string id_ = "chatcmpl-";
  bool started_ = false;
  bool finish_sent_ = false;
  bool saw_end_ = false;
  bool finished_ = false;
  bool answered_by_schema_tool_ = false;
  std::int64_t next_tool_index_ = 0;  ///< OpenAI numbers tool calls alone, from 0.
  std::map<std::int64_t, Block> blocks_;
  TokenUsage usage_;
};

// ---------------------------------------------------------------------------------------------
// OpenAI upstream -> Anthropic caller
// ---------------------------------------------------------------------------------------------

class OpenAIToAnthropic final : public StreamTranslator {
 public:
  explicit OpenAIToAnthropic(const StreamOptions& options) : options_(options) {}

  Result<void> onEvent(const SseEvent& event, std::string& out) override {
    if (saw_end_) {
      return {};
    }
    if (event.data == kDone) {
      saw_end_ = true;
      appendEnd(out);
      return {};
    }
    std::optional<object> chunk = parseObject(event.data);
    if (!chunk) {
      return notJson();
    }
    if (isOpenAIError(event, *chunk)) {
      const object* error = objectField(*chunk, "error");
      const int status = error == nullptr ? 502 : statusForOpenAIError(*error);
      const std::string message = upstreamErrorMessage(event.data, 502);
      out += streamErrorEvent(Dialect::kAnthropic, status, message);
      return upstreamError(message);
    }
    if (!started_) {
      appendStart(out, stringOr(*chunk, "id"));
    }
    meterOpenAIChunk(*chunk, usage_);
    const value* choices_value = chunk->if_contains("choices");
    if (choices_value == nullptr || choices_value->is_null()) {
      return {};
    }
    const array* choices = choices_value->if_array();
    if (choices == nullptr) {
      return upstreamError("upstream chunk choices is not an array");
    }
    for (const value& item : *choices) {
      const object* choice = item.if_object();
      if (choice == nullptr) {
        return upstreamError("upstream chunk choice is not an object");
      }
      if (integerField(*choice, "index").value_or(0) != 0) {
        continue;  // Anthropic has one choice; Gatehouse never asks for more
      }
      if (Result<void> ok = onChoice(*choice, out); !ok) {
        return ok;
      }
    }
    return {};
  }

  void finish(std::string& out) override {
    if (!saw_end_ && !finished_) {
      appendEnd(out);
    }
    finished_ = true;
  }

  bool sawEnd() const override { return saw_end_; }
  TokenUsage usage() const override { return usage_; }

 private:
  enum class Open { kNone, kText, kTool };

  Result<void> onChoice(const object& choice, std::string& out) {
    if (const object* delta = objectField(choice, "delta")) {
      for (const std::string_view key : {"content", "refusal"}) {
        if (const std::string_view text = stringOr(*delta, key); !text.empty()) {
          appendText(out, text);
        }
      }
      if (const value* calls_value = delta->if_contains("tool_calls");
          calls_value != nullptr && !calls_value->is_null()) {
        const array* calls = calls_value->if_array();
        if (calls == nullptr) {
          return upstreamError("upstream delta tool_calls is not an array");
        }
        for (const value& call : *calls) {
          const object* call_object = call.if_object();
          if (call_object == nullptr) {
            return upstreamError("upstream delta tool call is not an object");
          }
          if (Result<void> ok = onToolCall(*call_object, out); !ok) {
            return ok;
          }
        }
      }
    }
    if (const json::string* finish_reason = stringField(choice, "finish_reason")) {
      closeBlock(out);
      stop_reason_ = anthropicStopReason(view(*finish_reason));
    }
    return {};
  }

  Result<void> onToolCall(const object& call, std::string& out) {
    const object* function = objectField(call, "function");
    const std::string_view arguments = function == nullptr ? "" : stringOr(*function, "arguments");
    const json::string* id = stringField(call, "id");
    std::optional<std::int64_t> index = integerField(call, "index");
    if (!index) {
      // Some compatible servers leave out the index: a call with an id is a new one.
      index = id != nullptr || open_ != Open::kTool ? static_cast<std::int64_t>(tools_.size())
                                                    : open_tool_;
    }
    const auto known = tools_.find(*index);
    if (known == tools_.end()) {
      closeBlock(out);
      const std::int64_t block_index = next_block_++;
      tools_.emplace(*index, block_index);
      open_ = Open::kTool;
      open_index_ = block_index;
      open_tool_ = *index;
      object content_block;
      content_block["type"] = "tool_use";
      content_block["id"] =
          id != nullptr ? std::string(view(*id)) : "toolu_gatehouse_" + std::to_string(*index);
      content_block["name"] = function == nullptr ? "" : stringOr(*function, "name");
      content_block["input"] = object{};
      object body = anthropicEvent("content_block_start");
      body["index"] = block_index;
      body["content_block"] = std::move(content_block);
      appendAnthropicEvent(out, std::move(body));
    } else if (open_ != Open::kTool || open_tool_ != *index) {
      return upstreamError("upstream resumed tool call " + std::to_string(*index) +
                           " after another block began");
    }
    if (!arguments.empty()) {
      object delta;
      delta["type"] = "input_json_delta";
      delta["partial_json"] = arguments;
      appendDelta(out, std::move(delta));
    }
    return {};
  }

  void appendText(std::string& out, std::string_view text) {
    if (open_ != Open::kText) {
      closeBlock(out);
      open_ = Open::kText;
      open_index_ = next_block_++;
      object content_block;
      content_block["type"] = "text";
      content_block["text"] = "";
      object body = anthropicEvent("content_block_start");
      body["index"] = open_index_;
      body["content_block"] = std::move(content_block);
      appendAnthropicEvent(out, std::move(body));
    }
    object delta;
    delta["type"] = "text_delta";
    delta["text"] = text;
    appendDelta(out, std::move(delta));
  }

  void appendDelta(std::string& out, object delta) {
    object body = anthropicEvent("content_block_delta");
    body["index"] = open_index_;
    body["delta"] = std::move(delta);
    appendAnthropicEvent(out, std::move(body));
  }

  void closeBlock(std::string& out) {
    if (open_ != Open::kNone) {
      appendBlockStop(out, open_index_);
      open_ = Open::kNone;
    }
  }

  void appendStart(std::string& out, std::string_view upstream_id) {
    started_ = true;
    object usage;
    usage["input_tokens"] = 0;  // OpenAI reports usage only at the end: see message_delta
    usage["output_tokens"] = 0;
    object message;
    message["id"] = anthropicIdFromOpenAI(upstream_id);
    message["type"] = "message";
    message["role"] = "assistant";
    message["model"] = options_.model;
    message["content"] = array{};
    message["stop_reason"] = nullptr;
    message["stop_sequence"] = nullptr;
    message["usage"] = std::move(usage);
    object body = anthropicEvent("message_start");
    body["message"] = std::move(message);
    appendAnthropicEvent(out, std::move(body));
    appendAnthropicEvent(out, anthropicEvent("ping"));
  }

  void appendEnd(std::string& out) {
    finished_ = true;
    if (!started_) {
      appendStart(out, "");
    }
    closeBlock(out);
    appendAnthropicEnd(out, stop_reason_, usage_);
  }

  StreamOptions options_;
  bool started_ = false;
  bool saw_end_ = false;
  bool finished_ = false;
  std::string stop_reason_;
  Open open_ = Open::kNone;
  std::int64_t open_index_ = 0;
  std::int64_t open_tool_ = 0;
  std::int64_t next_block_ = 0;
  std::map<std::int64_t, std::int64_t> tools_;  ///< OpenAI tool-call index -> block index.
  TokenUsage usage_;
};

}  // namespace

std::unique_ptr<StreamTranslator> makeStreamTranslator(Dialect upstream, Dialect caller,
                                                       const StreamOptions& options) {
  if (upstream == Dialect::kOpenAI) {
    if (caller == Dialect::kOpenAI) {
      return std::make_unique<OpenAIPassthrough>(options);
    }
    return std::make_unique<OpenAIToAnthropic>(options);
  }
  if (caller == Dialect::kAnthropic) {
    return std::make_unique<AnthropicPassthrough>();
  }
  return std::make_unique<AnthropicToOpenAI>(options);
}

}  // namespace gatehouse::providers
