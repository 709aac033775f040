// Request bodies: OpenAI Chat Completions <-> Anthropic Messages.
#include <gatehouse/providers/translate.h>

#include "json_util.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

namespace gatehouse::providers {
namespace {

using namespace detail;  // NOLINT: private helpers of this module
using json::array;
using json::object;
using json::value;

constexpr std::string_view kJsonObjectInstruction =
    "Respond with a single valid JSON object and nothing else: no prose, no code fences.";
constexpr std::string_view kJsonSchemaToolDescription =
    "Reply to the user by calling this tool. Its input is your complete answer, formatted to "
    "match the required JSON schema.";
constexpr std::size_t kMaxToolNameBytes = 64;

std::string indexed(std::string_view base, std::size_t i) {
  return std::string(base) + "[" + std::to_string(i) + "]";
}

std::string dotted(std::string_view base, std::size_t i) {
  return std::string(base) + "." + std::to_string(i);
}

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) {
    return false;
  }
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) {
      return false;
    }
  }
  return true;
}

const char* kindName(const value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "a number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "a value";
}

Error invalidType(std::string_view param, std::string_view expected, const value& got) {
  return invalidRequest("Invalid type for '" + std::string(param) + "': expected " +
                        std::string(expected) + ", but got " + kindName(got) + " instead.");
}

Error missing(std::string_view param) {
  return invalidRequest("Missing required parameter: '" + std::string(param) + "'.");
}

object textBlock(std::string_view text) {
  object block;
  block["type"] = "text";
  block["text"] = text;
  return block;
}

// ---------------------------------------------------------------------------------------------
// OpenAI -> Anthropic
// ---------------------------------------------------------------------------------------------

struct DataUrl {
  std::string_view media_type;
  std::string_view data;
};

// "data:image/png;base64,iVBOR..." -> {image/png, iVBOR...}; only base64 payloads qualify.
Result<DataUrl> parseDataUrl(std::string_view url, std::string_view param) {
  const std::size_t comma = url.find(',');
  if (comma == std::string_view::npos) {
    return invalidRequest("Invalid '" + std::string(param) + "': malformed data URL.");
  }
  std::string_view meta = url.substr(5, comma - 5);  // after "data:"
  constexpr std::string_view kBase64 = ";base64";
  if (meta.size() < kBase64.size() || meta.substr(meta.size() - kBase64.size()) != kBase64) {
    return invalidRequest("Invalid '" + std::string(param) +
                          "': only base64-encoded data URLs are supported.");
  }
  const std::string_view media_type = meta.substr(0, meta.find(';'));
  if (media_type.empty()) {
    return invalidRequest("Invalid '" + std::string(param) + "': the data URL has no media type.");
  }
  return DataUrl{media_type, url.substr(comma + 1)};
}

Result<object> anthropicImageBlock(std::string_view url, std::string_view param) {
  object source;
  if (startsWithNoCase(url, "data:")) {
    Result<DataUrl> data = parseDataUrl(url, param);
    if (!data) {
      return data.takeError();
    }
    source["type"] = "base64";
    source["media_type"] = data->media_type;
    source["data"] = data->data;
  } else if (startsWithNoCase(url, "https://") || startsWithNoCase(url, "http://")) {
    source["type"] = "url";
    source["url"] = url;
  } else {
    return invalidRequest("Invalid '" + std::string(param) +
                          "': expected an http(s) URL or a base64 data URL.");
  }
  object block;
  block["type"] = "image";
  block["source"] = std::move(source);
  return block;
}

Result<object> anthropicDocumentBlock(const object& part, std::string_view param) {
  const object* file = objectField(part, "file");
  if (file == nullptr) {
    return missing(std::string(param) + ".file");
  }
  const json::string* file_data = stringField(*file, "file_data");
  if (file_data == nullptr) {
    return invalidRequest("Invalid '" + std::string(param) +
                          ".file': only inline file_data is supported for this model, not "
                          "file_id.");
  }
  Result<DataUrl> data = parseDataUrl(view(*file_data), std::string(param) + ".file.file_data");
  if (!data) {
    return data.takeError();
  }
  object source;
  source["type"] = "base64";
  source["media_type"] = data->media_type;
  source["data"] = data->data;
  object block;
  block["type"] = "document";
  block["source"] = std::move(source);
  return block;
}

// Appends the Anthropic blocks for an OpenAI message `content` (a string, null, or an array of
// parts). `text_only` is for system, developer and tool messages, which carry text parts only.
Result<void> appendContent(const value& content, std::string_view param, bool text_only,
                           array& blocks) {
  if (content.is_null()) {
    return {};
  }
  if (const json::string* s = content.if_string()) {
    if (!s->empty()) {
      blocks.push_back(textBlock(view(*s)));
    }
    return {};
  }
  const array* parts = content.if_array();
  if (parts == nullptr) {
    return invalidType(param, "a string or an array of content parts", content);
  }
  for (std::size_t j = 0; j < parts->size(); ++j) {
    const std::string part_param = indexed(param, j);
    const object* part = (*parts)[j].if_object();
    if (part == nullptr) {
      return invalidType(part_param, "an object", (*parts)[j]);
    }
    const json::string* type = stringField(*part, "type");
    if (type == nullptr) {
      return missing(part_param + ".type");
    }
    if (*type == "text" || *type == "refusal") {
      const json::string* text = stringField(*part, view(*type));
      if (text == nullptr) {
        return missing(part_param + "." + std::string(view(*type)));
      }
      if (!text->empty()) {
        blocks.push_back(textBlock(view(*text)));
      }
      continue;
    }
    if (text_only) {
      return invalidRequest("Invalid value: '" + std::string(view(*type)) + "' for '" + part_param +
                            ".type': only text parts are allowed here.");
    }
    if (*type == "image_url") {
      const value* image = part->if_contains("image_url");
      const json::string* url = nullptr;
      if (image != nullptr && image->is_string()) {
        url = image->if_string();
      } else if (image != nullptr && image->is_object()) {
        url = stringField(image->get_object(), "url");
      }
      if (url == nullptr) {
        return missing(part_param + ".image_url.url");
      }
      Result<object> block = anthropicImageBlock(view(*url), part_param + ".image_url.url");
      if (!block) {
        return block.takeError();
      }
      blocks.push_back(std::move(*block));
    } else if (*type == "file") {
      Result<object> block = anthropicDocumentBlock(*part, part_param);
      if (!block) {
        return block.takeError();
      }
      blocks.push_back(std::move(*block));
    } else {
      return invalidRequest("Invalid value: '" + std::string(view(*type)) + "' for '" + part_param +
                            ".type': this model supports text, image_url and file parts.");
    }
  }
  return {};
}

Result<object> parseArguments(const object& function, std::string_view param) {
  const value* arguments = function.if_contains("arguments");
  if (arguments == nullptr || arguments->is_null()) {
    return object{};
  }
  if (const object* already = arguments->if_object()) {
    return *already;  // lenient: some clients send the object itself
  }
  const json::string* text = arguments->if_string();
  if (text == nullptr) {
    return invalidType(param, "a string", *arguments);
  }
  std::string_view trimmed = view(*text);
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.front()))) {
    trimmed.remove_prefix(1);
  }
  if (trimmed.empty()) {
    return object{};  // a call without arguments
  }
  std::optional<object> parsed = parseObject(trimmed);
  if (!parsed) {
    return invalidRequest("Invalid '" + std::string(param) +
                          "': the tool call arguments must be a JSON object encoded as a string.");
  }
  return std::move(*parsed);
}

Result<void> appendToolCalls(const value& tool_calls, std::string_view param, array& blocks) {
  if (tool_calls.is_null()) {
    return {};
  }
  const array* calls = tool_calls.if_array();
  if (calls == nullptr) {
    return invalidType(param, "an array", tool_calls);
  }
  for (std::size_t j = 0; j < calls->size(); ++j) {
    const std::string call_param = indexed(param, j);
    const object* call = (*calls)[j].if_object();
    if (call == nullptr) {
      return invalidType(call_param, "an object", (*calls)[j]);
    }
    if (const json::string* type = stringField(*call, "type");
        type != nullptr && *type != "function") {
      return invalidRequest("Invalid value: '" + std::string(view(*type)) + "' for '" + call_param +
                            ".type': only function tool calls are supported.");
    }
    const json::string* id = stringField(*call, "id");
    if (id == nullptr) {
      return missing(call_param + ".id");
    }
    const object* function = objectField(*call, "function");
    if (function == nullptr) {
      return missing(call_param + ".function");
    }
    const json::string* name = stringField(*function, "name");
    if (name == nullptr) {
      return missing(call_param + ".function.name");
    }
    Result<object> input = parseArguments(*function, call_param + ".function.arguments");
    if (!input) {
      return input.takeError();
    }
    object block;
    block["type"] = "tool_use";
    block["id"] = *id;
    block["name"] = *name;
    block["input"] = std::move(*input);
    blocks.push_back(std::move(block));
  }
  return {};
}

Result<object> toolResultBlock(const object& message, std::string_view param) {
  const json::string* id = stringField(message, "tool_call_id");
  if (id == nullptr) {
    return missing(std::string(param) + ".tool_call_id");
  }
  object block;
  block["type"] = "tool_result";
  block["tool_use_id"] = *id;
  if (const value* content = message.if_contains("content")) {
    if (const json::string* s = content->if_string()) {
      if (!s->empty()) {
        block["content"] = *s;
      }
    } else {
      array parts;
      Result<void> ok = appendContent(*content, std::string(param) + ".content", true, parts);
      if (!ok) {
        return ok.takeError();
      }
      if (!parts.empty()) {
        block["content"] = std::move(parts);
      }
    }
  }
  return block;
}

struct Turn {
  std::string_view role;  // "user" or "assistant"
  array blocks;
};

value turnContent(array&& blocks) {
  // A lone text block reads more naturally, and is accepted more widely, as a plain string.
  if (blocks.size() == 1) {
    const object* only = blocks[0].if_object();
    if (only != nullptr && stringOr(*only, "type") == "text" && only->size() == 2) {
      if (const json::string* text = stringField(*only, "text")) {
        return *text;
      }
    }
  }
  return std::move(blocks);
}

struct Conversation {
  array system;
  std::vector<Turn> turns;
};

Result<Conversation> anthropicConversation(const object& request) {
  const value* messages_value = request.if_contains("messages");
  if (messages_value == nullptr || messages_value->is_null()) {
    return missing("messages");
  }
  const array* messages = messages_value->if_array();
  if (messages == nullptr) {
    return invalidType("messages", "an array", *messages_value);
  }
  if (messages->empty()) {
    return invalidRequest(
        "Invalid 'messages': empty array. Expected an array with minimum length "
        "1, but got an empty array instead.");
  }
  Conversation conversation;
  for (std::size_t i = 0; i < messages->size(); ++i) {
    const std::string param = indexed("messages", i);
    const object* message = (*messages)[i].if_object();
    if (message == nullptr) {
      return invalidType(param, "an object", (*messages)[i]);
    }
    const value* role_value = message->if_contains("role");
    if (role_value == nullptr) {
      return missing(param + ".role");
    }
    const json::string* role = role_value->if_string();
    if (role == nullptr) {
      return invalidType(param + ".role", "a string", *role_value);
    }
    const value* content = message->if_contains("content");
    array blocks;
    std::string_view turn_role;
    if (*role == "system" || *role == "developer") {
      if (content == nullptr) {
        return missing(param + ".content");
      }
      Result<void> ok = appendContent(*content, param + ".content", true, conversation.system);
      if (!ok) {
        return ok.takeError();
      }
      continue;
    }
    if (*role == "user") {
      if (content == nullptr) {
        return missing(param + ".content");
      }
      Result<void> ok = appendContent(*content, param + ".content", false, blocks);
      if (!ok) {
        return ok.takeError();
      }
      if (blocks.empty()) {
        blocks.push_back(textBlock(""));  // Anthropic's own error explains empty content
      }
      turn_role = "user";
    } else if (*role == "assistant") {
      if (!absent(*message, "function_call")) {
        return invalidRequest("Invalid '" + param +
                              ".function_call': the deprecated function_call is not supported; "
                              "use tool_calls.");
      }
      if (content != nullptr) {
        Result<void> ok = appendContent(*content, param + ".content", false, blocks);
        if (!ok) {
          return ok.takeError();
        }
      }
      if (const value* tool_calls = message->if_contains("tool_calls")) {
        Result<void> ok = appendToolCalls(*tool_calls, param + ".tool_calls", blocks);
        if (!ok) {
          return ok.takeError();
        }
      }
      if (blocks.empty()) {
        continue;  // an empty assistant turn says nothing; Anthropic rejects it
      }
      turn_role = "assistant";
    } else if (*role == "tool") {
      Result<object> block = toolResultBlock(*message, param);
      if (!block) {
        return block.takeError();
      }
      blocks.push_back(std::move(*block));
      turn_role = "user";  // Anthropic carries tool results in the next user turn
    } else if (*role == "function") {
      return invalidRequest("Invalid value: 'function' for '" + param +
                            ".role': the deprecated function role is not supported; use tool.");
    } else {
      return invalidRequest("Invalid value: '" + std::string(view(*role)) + "' for '" + param +
                            ".role'. Supported values are: 'system', 'assistant', 'user', "
                            "'tool', and 'developer'.");
    }
    // Anthropic requires user and assistant turns to alternate: merge neighbours of one role.
    if (!conversation.turns.empty() && conversation.turns.back().role == turn_role) {
      array& into = conversation.turns.back().blocks;
      for (value& block : blocks) {
        into.push_back(std::move(block));
      }
    } else {
      conversation.turns.push_back(Turn{turn_role, std::move(blocks)});
    }
  }
  return conversation;
}

// tools: [{type:function, function:{name, description, parameters}}] -> Anthropic tools.
Result<array> anthropicTools(const value& tools_value) {
  const array* tools = tools_value.if_array();
  if (tools == nullptr) {
    return invalidType("tools", "an array", tools_value);
  }
  array out;
  for (std::size_t i = 0; i < tools->size(); ++i) {
    const std::string param = indexed("tools", i);
    const object* tool = (*tools)[i].if_object();
    if (tool == nullptr) {
      return invalidType(param, "an object", (*tools)[i]);
    }
    const std::string_view type = stringOr(*tool, "type", "function");
    if (type != "function") {
      return invalidRequest("Invalid value: '" + std::string(type) + "' for '" + param +
                            ".type': only function tools are supported.");
    }
    const object* function = objectField(*tool, "function");
    if (function == nullptr) {
      return missing(param + ".function");
    }
    const json::string* name = stringField(*function, "name");
    if (name == nullptr) {
      return missing(param + ".function.name");
    }
    object converted;
    converted["name"] = *name;
    if (const json::string* description = stringField(*function, "description")) {
      converted["description"] = *description;
    }
    const value* parameters = function->if_contains("parameters");
    if (parameters != nullptr && !parameters->is_null()) {
      if (!parameters->is_object()) {
        return invalidType(param + ".function.parameters", "an object", *parameters);
      }
      converted["input_schema"] = *parameters;
    } else {
      // A function without parameters takes none; Anthropic requires a schema regardless.
      object schema;
      schema["type"] = "object";
      schema["properties"] = object{};
      converted["input_schema"] = std::move(schema);
    }
    out.push_back(std::move(converted));
  }
  return out;
}

// tool_choice: "auto" | "none" | "required" | {type:function, function:{name}}.
Result<object> anthropicToolChoice(const value& choice) {
  object out;
  if (const json::string* s = choice.if_string()) {
    if (*s == "auto") {
      out["type"] = "auto";
    } else if (*s == "none") {
      out["type"] = "none";
    } else if (*s == "required") {
      out["type"] = "any";
    } else {
      return invalidRequest("Invalid value: '" + std::string(view(*s)) +
                            "' for 'tool_choice'. Supported values are: 'none', 'auto', and "
                            "'required'.");
    }
    return out;
  }
  const object* named = choice.if_object();
  if (named == nullptr) {
    return invalidType("tool_choice", "a string or an object", choice);
  }
  if (stringOr(*named, "type") != "function") {
    return invalidRequest(
        "Invalid 'tool_choice': only {\"type\": \"function\"} objects are "
        "supported.");
  }
  const object* function = objectField(*named, "function");
  const json::string* name = function == nullptr ? nullptr : stringField(*function, "name");
  if (name == nullptr) {
    return missing("tool_choice.function.name");
  }
  out["type"] = "tool";
  out["name"] = *name;
  return out;
}

Result<std::optional<std::int64_t>> positiveInteger(const object& request, std::string_view key) {
  const value* v = request.if_contains(key);
  if (v == nullptr || v->is_null()) {
    return std::optional<std::int64_t>{};
  }
  const std::optional<std::int64_t> n = asInteger(*v);
  if (!n) {
    return invalidType(key, "an integer", *v);
  }
  if (*n < 1) {
    return invalidRequest("Invalid '" + std::string(key) +
                          "': integer below minimum value. Expected a value >= 1, but got " +
                          std::to_string(*n) + " instead.");
  }
  return n;
}

Result<void> copyNumber(const object& from, std::string_view key, object& to,
                        std::string_view to_key) {
  const value* v = from.if_contains(key);
  if (v == nullptr || v->is_null()) {
    return {};
  }
  if (!v->is_number()) {
    return invalidType(key, "a number", *v);
  }
  to[to_key] = *v;
  return {};
}

Result<void> copyBool(const object& from, std::string_view key, object& to) {
  const value* v = from.if_contains(key);
  if (v == nullptr || v->is_null()) {
    return {};
  }
  if (!v->is_bool()) {
    return invalidType(key, "a boolean", *v);
  }
  to[key] = *v;
  return {};
}

Result<array> stopSequences(const value& stop) {
  array out;
  if (const json::string* s = stop.if_string()) {
    if (!s->empty()) {
      out.push_back(*s);
    }
    return out;
  }
  const array* list = stop.if_array();
  if (list == nullptr) {
    return invalidType("stop", "a string or an array of strings", stop);
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json::string* s = (*list)[i].if_string();
    if (s == nullptr) {
      return invalidType(indexed("stop", i), "a string", (*list)[i]);
    }
    if (!s->empty()) {
      out.push_back(*s);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Anthropic -> OpenAI
// ---------------------------------------------------------------------------------------------

Error anthropicInvalid(std::string message) {
  return invalidRequest(std::move(message));
}

Result<object> openaiImagePart(const object& block, std::string_view param) {
  const object* source = objectField(block, "source");
  if (source == nullptr) {
    return anthropicInvalid(std::string(param) + ".source: Field required");
  }
  const std::string_view type = stringOr(*source, "type");
  std::string url;
  if (type == "base64") {
    const json::string* media_type = stringField(*source, "media_type");
    const json::string* data = stringField(*source, "data");
    if (media_type == nullptr || data == nullptr) {
      return anthropicInvalid(std::string(param) +
                              ".source: media_type and data are required for base64 images");
    }
    url = "data:" + std::string(view(*media_type)) + ";base64," + std::string(view(*data));
  } else if (type == "url") {
    const json::string* u = stringField(*source, "url");
    if (u == nullptr) {
      return anthropicInvalid(std::string(param) + ".source.url: Field required");
    }
    url = view(*u);
  } else {
    return anthropicInvalid(std::string(param) + ".source.type: only base64 and url image " +
                            "sources can be sent to this model");
  }
  object image_url;
  image_url["url"] = url;
  object part;
  part["type"] = "image_url";
  part["image_url"] = std::move(image_url);
  return part;
}

Result<object> openaiDocumentPart(const object& block, std::string_view param) {
  const object* source = objectField(block, "source");
  if (source == nullptr) {
    return anthropicInvalid(std::string(param) + ".source: Field required");
  }
  const std::string_view type = stringOr(*source, "type");
  if (type == "text") {
    const json::string* data = stringField(*source, "data");
    if (data == nullptr) {
      return anthropicInvalid(std::string(param) + ".source.data: Field required");
    }
    object part;
    part["type"] = "text";
    part["text"] = *data;
    return part;
  }
  if (type != "base64") {
    return anthropicInvalid(std::string(param) + ".source.type: only base64 and text document " +
                            "sources can be sent to this model");
  }
  const json::string* media_type = stringField(*source, "media_type");
  const json::string* data = stringField(*source, "data");
  if (media_type == nullptr || data == nullptr) {
    return anthropicInvalid(std::string(param) +
                            ".source: media_type and data are required for base64 documents");
  }
  object file;
  file["filename"] = stringOr(block, "title", "document.pdf");
  file["file_data"] =
      "data:" + std::string(view(*media_type)) + ";base64," + std::string(view(*data));
  object part;
  part["type"] = "file";
  part["file"] = std::move(file);
  return part;
}

// tool_result content (a string or text blocks) -> an OpenAI tool message's string content.
Result<std::string> toolResultText(const object& block, std::string_view param) {
  const value* content = block.if_contains("content");
  if (content == nullptr || content->is_null()) {
    return std::string();
  }
  if (const json::string* s = content->if_string()) {
    return std::string(view(*s));
  }
  const array* parts = content->if_array();
  if (parts == nullptr) {
    return anthropicInvalid(std::string(param) +
                            ".content: Input should be a valid string or list of blocks");
  }
  std::string text;
  for (std::size_t k = 0; k < parts->size(); ++k) {
    const object* part = (*parts)[k].if_object();
    const json::string* part_text = part == nullptr ? nullptr : stringField(*part, "text");
    if (part == nullptr || stringOr(*part, "type") != "text" || part_text == nullptr) {
      return anthropicInvalid(dotted(std::string(param) + ".content", k) +
                              ": only text blocks can be sent to this model in a tool_result");
    }
    if (!text.empty()) {
      text += '\n';
    }
    text += view(*part_text);
  }
  return text;
}

// Appends the OpenAI messages for one Anthropic message (tool results become tool messages,
// which OpenAI requires right after the assistant's tool_calls, so they come first).
Result<void> appendOpenAIMessages(const object& message, std::string_view role,
                                  std::string_view param, array& out) {
  const value* content = message.if_contains("content");
  if (content == nullptr) {
    return anthropicInvalid(std::string(param) + ".content: Field required");
  }
  if (const json::string* s = content->if_string()) {
    object converted;
    converted["role"] = role;
    converted["content"] = *s;
    out.push_back(std::move(converted));
    return {};
  }
  const array* blocks = content->if_array();
  if (blocks == nullptr) {
    return anthropicInvalid(std::string(param) + ".content: Input should be a valid list");
  }
  array parts;
  std::string text;
  array tool_calls;
  for (std::size_t j = 0; j < blocks->size(); ++j) {
    const std::string block_param = dotted(std::string(param) + ".content", j);
    const object* block = (*blocks)[j].if_object();
    if (block == nullptr) {
      return anthropicInvalid(block_param + ": Input should be a valid dictionary");
    }
    const json::string* type = stringField(*block, "type");
    if (type == nullptr) {
      return anthropicInvalid(block_param + ".type: Field required");
    }
    if (*type == "text") {
      const json::string* block_text = stringField(*block, "text");
      if (block_text == nullptr) {
        return anthropicInvalid(block_param + ".text: Field required");
      }
      if (role == "assistant") {
        text += view(*block_text);
      } else {
        parts.push_back(textBlock(view(*block_text)));
      }
    } else if (*type == "thinking" || *type == "redacted_thinking") {
      continue;  // signed reasoning from an Anthropic model means nothing to another model
    } else if (*type == "tool_use") {
      if (role != "assistant") {
        return anthropicInvalid(block_param + ": tool_use blocks are only allowed in assistant " +
                                "messages");
      }
      const json::string* id = stringField(*block, "id");
      const json::string* name = stringField(*block, "name");
      const object* input = objectField(*block, "input");
      if (id == nullptr || name == nullptr || input == nullptr) {
        return anthropicInvalid(block_param + ": tool_use blocks need an id, a name and an " +
                                "object input");
      }
      object function;
      function["name"] = *name;
      function["arguments"] = toJson(*input);
      object call;
      call["id"] = *id;
      call["type"] = "function";
      call["function"] = std::move(function);
      tool_calls.push_back(std::move(call));
    } else if (*type == "tool_result") {
      if (role != "user") {
        return anthropicInvalid(block_param + ": tool_result blocks are only allowed in user " +
                                "messages");
      }
      const json::string* id = stringField(*block, "tool_use_id");
      if (id == nullptr) {
        return anthropicInvalid(block_param + ".tool_use_id: Field required");
      }
      Result<std::string> result_text = toolResultText(*block, block_param);
      if (!result_text) {
        return result_text.takeError();
      }
      object tool;
      tool["role"] = "tool";
      tool["tool_call_id"] = *id;
      tool["content"] = *result_text;
      out.push_back(std::move(tool));
    } else if (*type == "image" && role == "user") {
      Result<object> part = openaiImagePart(*block, block_param);
      if (!part) {
        return part.takeError();
      }
      parts.push_back(std::move(*part));
    } else if (*type == "document" && role == "user") {
      Result<object> part = openaiDocumentPart(*block, block_param);
      if (!part) {
        return part.takeError();
      }
      parts.push_back(std::move(*part));
    } else {
      return anthropicInvalid(block_param + ".type: '" + std::string(view(*type)) +
                              "' blocks cannot be sent to this model");
    }
  }
  if (role == "assistant") {
    if (text.empty() && tool_calls.empty()) {
      return {};  // only thinking: nothing for the other model to read
    }
    object converted;
    converted["role"] = "assistant";
    if (text.empty()) {
      converted["content"] = nullptr;
    } else {
      converted["content"] = text;
    }
    if (!tool_calls.empty()) {
      converted["tool_calls"] = std::move(tool_calls);
    }
    out.push_back(std::move(converted));
    return {};
  }
  if (parts.empty()) {
    return {};  // a turn of tool results only
  }
  object converted;
  converted["role"] = "user";
  // A lone text part as a plain string: every OpenAI-compatible server accepts that.
  if (parts.size() == 1 && stringOr(parts[0].get_object(), "type") == "text") {
    converted["content"] = parts[0].get_object()["text"];
  } else {
    converted["content"] = std::move(parts);
  }
  out.push_back(std::move(converted));
  return {};
}

}  // namespace

std::string jsonSchemaToolName(const boost::json::object& openai_request) {
  const object* format = objectField(openai_request, "response_format");
  if (format == nullptr || stringOr(*format, "type") != "json_schema") {
    return {};
  }
  const object* schema = objectField(*format, "json_schema");
  std::string name(schema == nullptr ? std::string_view{} : stringOr(*schema, "name"));
  // Both APIs restrict names to [a-zA-Z0-9_-]{1,64}; keep the hint the name gives the model.
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
      c = '_';
    }
  }
  if (name.size() > kMaxToolNameBytes) {
    name.resize(kMaxToolNameBytes);
  }
  return name.empty() ? "json_response" : name;
}

Result<boost::json::object> anthropicRequestFromOpenAI(const boost::json::object& request,
                                                       const RequestOptions& options) {
  Result<Conversation> conversation = anthropicConversation(request);
  if (!conversation) {
    return conversation.takeError();
  }

  object out;
  out["model"] = options.upstream_model.empty() ? stringOr(request, "model")
                                                : std::string_view(options.upstream_model);

  Result<std::optional<std::int64_t>> max_completion =
      positiveInteger(request, "max_completion_tokens");
  if (!max_completion) {
    return max_completion.takeError();
  }
  Result<std::optional<std::int64_t>> max_tokens = positiveInteger(request, "max_tokens");
  if (!max_tokens) {
    return max_tokens.takeError();
  }
  out["max_tokens"] = max_completion->value_or(max_tokens->value_or(options.default_max_tokens));

  if (const value* n = request.if_contains("n"); n != nullptr && !n->is_null()) {
    const std::optional<std::int64_t> count = asInteger(*n);
    if (!count) {
      return invalidType("n", "an integer", *n);
    }
    if (*count != 1) {
      return invalidRequest(
          "Invalid 'n': this model returns one choice per request; n must be "
          "1.");
    }
  }

  // response_format: Anthropic has no JSON mode. json_object becomes an instruction; a schema
  // becomes a tool the model is made to call, whose input is the answer.
  const std::string schema_tool = jsonSchemaToolName(request);
  if (const value* format_value = request.if_contains("response_format");
      format_value != nullptr && !format_value->is_null()) {
    const object* format = format_value->if_object();
    if (format == nullptr) {
      return invalidType("response_format", "an object", *format_value);
    }
    const std::string_view type = stringOr(*format, "type");
    if (type == "json_object") {
      conversation->system.push_back(textBlock(kJsonObjectInstruction));
    } else if (type == "json_schema") {
      if (objectField(*format, "json_schema") == nullptr) {
        return missing("response_format.json_schema");
      }
    } else if (type != "text") {
      return invalidRequest("Invalid value: '" + std::string(type) +
                            "' for 'response_format.type'. Supported values are: 'text', "
                            "'json_object', and 'json_schema'.");
    }
  }

  if (conversation->system.size() == 1) {
    out["system"] = conversation->system[0].get_object()["text"];
  } else if (!conversation->system.empty()) {
    out["system"] = std::move(conversation->system);
  }

  array messages;
  for (Turn& turn : conversation->turns) {
    object message;
    message["role"] = turn.role;
    message["content"] = turnContent(std::move(turn.blocks));
    messages.push_back(std::move(message));
  }
  out["messages"] = std::move(messages);

  if (const value* stop = request.if_contains("stop"); stop != nullptr && !stop->is_null()) {
    Result<array> sequences = stopSequences(*stop);
    if (!sequences) {
      return sequences.takeError();
    }
    if (!sequences->empty()) {
      out["stop_sequences"] = std::move(*sequences);
    }
  }
  for (const std::string_view key : {"temperature", "top_p"}) {
    Result<void> ok = copyNumber(request, key, out, key);
    if (!ok) {
      return ok.takeError();
    }
  }
  if (Result<void> ok = copyBool(request, "stream", out); !ok) {
    return ok.takeError();
  }

  // Tools, the structured-output tool among them.
  array tools;
  if (const value* tools_value = request.if_contains("tools");
      tools_value != nullptr && !tools_value->is_null()) {
    Result<array> converted = anthropicTools(*tools_value);
    if (!converted) {
      return converted.takeError();
    }
    tools = std::move(*converted);
  }
  const bool caller_tools = !tools.empty();
  std::optional<object> tool_choice;
  if (const value* choice = request.if_contains("tool_choice");
      choice != nullptr && !choice->is_null()) {
    Result<object> converted = anthropicToolChoice(*choice);
    if (!converted) {
      return converted.takeError();
    }
    tool_choice = std::move(*converted);
  }
  if (!schema_tool.empty()) {
    for (const value& tool : tools) {
      if (stringOr(tool.get_object(), "name") == schema_tool) {
        return invalidRequest("Invalid 'response_format.json_schema.name': '" + schema_tool +
                              "' is also the name of a tool; choose a different schema name.");
      }
    }
    // Checked above: response_format.json_schema is an object when schema_tool is set.
    const object* format = objectField(request, "response_format");
    const object* spec = format == nullptr ? nullptr : objectField(*format, "json_schema");
    if (spec == nullptr) {
      return missing("response_format.json_schema");
    }
    object tool;
    tool["name"] = schema_tool;
    tool["description"] = stringOr(*spec, "description", kJsonSchemaToolDescription);
    if (const object* schema = objectField(*spec, "schema")) {
      tool["input_schema"] = *schema;
    } else {
      object any_object;
      any_object["type"] = "object";
      tool["input_schema"] = std::move(any_object);
    }
    tools.push_back(std::move(tool));
    // Without the caller's own tools the schema tool is the answer; with them the model must
    // call some tool: one of the caller's, or the schema tool to answer.
    const std::string_view caller_choice = tool_choice ? stringOr(*tool_choice, "type") : "";
    if (!caller_tools || caller_choice == "none") {
      object forced;
      forced["type"] = "tool";
      forced["name"] = schema_tool;
      tool_choice = std::move(forced);
    } else if (caller_choice != "tool") {
      object any;
      any["type"] = "any";
      tool_choice = std::move(any);
    }
  }
  if (const value* parallel = request.if_contains("parallel_tool_calls");
      parallel != nullptr && !parallel->is_null()) {
    if (!parallel->is_bool()) {
      return invalidType("parallel_tool_calls", "a boolean", *parallel);
    }
    if (!parallel->get_bool() && !tools.empty()) {
      if (!tool_choice) {
        tool_choice.emplace();
        (*tool_choice)["type"] = "auto";
      }
      if (stringOr(*tool_choice, "type") != "none") {
        (*tool_choice)["disable_parallel_tool_use"] = true;
      }
    }
  }
  if (!tools.empty()) {
    out["tools"] = std::move(tools);
    if (tool_choice) {
      out["tool_choice"] = std::move(*tool_choice);
    }
  }

  if (const value* user = request.if_contains("user"); user != nullptr && !user->is_null()) {
    const json::string* id = user->if_string();
    if (id == nullptr) {
      return invalidType("user", "a string", *user);
    }
    object metadata;
    metadata["user_id"] = *id;
    out["metadata"] = std::move(metadata);
  }
  return out;
}

Result<boost::json::object> openaiRequestFromAnthropic(const boost::json::object& request,
                                                       const RequestOptions& options) {
  const json::string* model = stringField(request, "model");
  if (model == nullptr || model->empty()) {
    return anthropicInvalid("model: Field required");
  }
  const value* max_tokens_value = request.if_contains("max_tokens");
  if (max_tokens_value == nullptr) {
    return anthropicInvalid("max_tokens: Field required");
  }
  const std::optional<std::int64_t> max_tokens = asInteger(*max_tokens_value);
  if (!max_tokens || *max_tokens < 1) {
    return anthropicInvalid(
        "max_tokens: Input should be a valid integer greater than or equal to 1");
  }
  const value* messages_value = request.if_contains("messages");
  if (messages_value == nullptr) {
    return anthropicInvalid("messages: Field required");
  }
  const array* messages = messages_value->if_array();
  if (messages == nullptr) {
    return anthropicInvalid("messages: Input should be a valid list");
  }
  if (messages->empty()) {
    return anthropicInvalid("messages: at least one message is required");
  }

  object out;
  out["model"] =
      options.upstream_model.empty() ? view(*model) : std::string_view(options.upstream_model);

  array converted;
  if (const value* system = request.if_contains("system");
      system != nullptr && !system->is_null()) {
    std::string text;
    if (const json::string* s = system->if_string()) {
      text = view(*s);
    } else if (const array* blocks = system->if_array()) {
      for (std::size_t i = 0; i < blocks->size(); ++i) {
        const object* block = (*blocks)[i].if_object();
        const json::string* block_text = block == nullptr ? nullptr : stringField(*block, "text");
        if (block_text == nullptr || stringOr(*block, "type") != "text") {
          return anthropicInvalid(dotted("system", i) + ": Input should be a valid text block");
        }
        if (!text.empty()) {
          text += '\n';
        }
        text += view(*block_text);
      }
    } else {
      return anthropicInvalid("system: Input should be a valid string or list of text blocks");
    }
    if (!text.empty()) {
      object message;
      message["role"] = "system";
      message["content"] = text;
      converted.push_back(std::move(message));
    }
  }
  for (std::size_t i = 0; i < messages->size(); ++i) {
    const std::string param = dotted("messages", i);
    const object* message = (*messages)[i].if_object();
    if (message == nullptr) {
      return anthropicInvalid(param + ": Input should be a valid dictionary");
    }
    const std::string_view role = stringOr(*message, "role");
    if (role != "user" && role != "assistant") {
      return anthropicInvalid(param + ".role: Input should be 'user' or 'assistant'" +
                              (role == "system" ? std::string(". The Messages API accepts a "
                                                              "top-level `system` parameter, not "
                                                              "\"system\" as an input message "
                                                              "role.")
                                                : std::string()));
    }
    Result<void> ok = appendOpenAIMessages(*message, role, param, converted);
    if (!ok) {
      return ok.takeError();
    }
  }
  out["messages"] = std::move(converted);
  // max_completion_tokens: OpenAI's reasoning models reject the older max_tokens.
  out["max_completion_tokens"] = *max_tokens;

  if (const value* stop = request.if_contains("stop_sequences");
      stop != nullptr && !stop->is_null()) {
    const array* list = stop->if_array();
    if (list == nullptr) {
      return anthropicInvalid("stop_sequences: Input should be a valid list");
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
      if (!(*list)[i].is_string()) {
        return anthropicInvalid(dotted("stop_sequences", i) + ": Input should be a valid string");
      }
    }
    if (!list->empty()) {
      out["stop"] = *list;
    }
  }
  for (const std::string_view key : {"temperature", "top_p"}) {
    const value* v = request.if_contains(key);
    if (v != nullptr && !v->is_null()) {
      if (!v->is_number()) {
        return anthropicInvalid(std::string(key) + ": Input should be a valid number");
      }
      out[key] = *v;
    }
  }
  if (const value* stream = request.if_contains("stream");
      stream != nullptr && !stream->is_null()) {
    if (!stream->is_bool()) {
      return anthropicInvalid("stream: Input should be a valid boolean");
    }
    out["stream"] = *stream;
    if (stream->get_bool()) {
      object stream_options;
      stream_options["include_usage"] = true;
      out["stream_options"] = std::move(stream_options);
    }
  }

  bool have_tools = false;
  if (const value* tools_value = request.if_contains("tools");
      tools_value != nullptr && !tools_value->is_null()) {
    const array* tools = tools_value->if_array();
    if (tools == nullptr) {
      return anthropicInvalid("tools: Input should be a valid list");
    }
    array converted_tools;
    for (std::size_t i = 0; i < tools->size(); ++i) {
      const object* tool = (*tools)[i].if_object();
      if (tool == nullptr) {
        return anthropicInvalid(dotted("tools", i) + ": Input should be a valid dictionary");
      }
      const std::string_view type = stringOr(*tool, "type", "custom");
      if (type != "custom") {
        return anthropicInvalid(dotted("tools", i) + ".type: '" + std::string(type) +
                                "' tools cannot be sent to this model");
      }
      const json::string* name = stringField(*tool, "name");
      if (name == nullptr) {
        return anthropicInvalid(dotted("tools", i) + ".name: Field required");
      }
      const object* schema = objectField(*tool, "input_schema");
      if (schema == nullptr) {
        return anthropicInvalid(dotted("tools", i) + ".input_schema: Field required");
      }
      object function;
      function["name"] = *name;
      if (const json::string* description = stringField(*tool, "description")) {
        function["description"] = *description;
      }
      function["parameters"] = *schema;
      object converted_tool;
      converted_tool["type"] = "function";
      converted_tool["function"] = std::move(function);
      converted_tools.push_back(std::move(converted_tool));
    }
    have_tools = !converted_tools.empty();
    if (have_tools) {
      out["tools"] = std::move(converted_tools);
    }
  }
  if (const value* choice_value = request.if_contains("tool_choice");
      choice_value != nullptr && !choice_value->is_null()) {
    const object* choice = choice_value->if_object();
    if (choice == nullptr) {
      return anthropicInvalid("tool_choice: Input should be a valid dictionary");
    }
    const std::string_view type = stringOr(*choice, "type");
    value converted_choice;
    if (type == "auto") {
      converted_choice = "auto";
    } else if (type == "any") {
      converted_choice = "required";
    } else if (type == "none") {
      converted_choice = "none";
    } else if (type == "tool") {
      const json::string* name = stringField(*choice, "name");
      if (name == nullptr) {
        return anthropicInvalid("tool_choice.name: Field required");
      }
      object function;
      function["name"] = *name;
      object named;
      named["type"] = "function";
      named["function"] = std::move(function);
      converted_choice = std::move(named);
    } else {
      return anthropicInvalid("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'");
    }
    if (have_tools) {
      out["tool_choice"] = std::move(converted_choice);
      // OpenAI accepts parallel_tool_calls only alongside tools.
      if (const value* disable = choice->if_contains("disable_parallel_tool_use");
          disable != nullptr && disable->is_bool() && disable->get_bool() && type != "none") {
        out["parallel_tool_calls"] = false;
      }
    }
  }
  if (const object* metadata = objectField(request, "metadata")) {
    if (const json::string* user = stringField(*metadata, "user_id")) {
      out["user"] = *user;
    }
  }
  return out;
}

}  // namespace gatehouse::providers
