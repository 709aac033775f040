#include "guard.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace gatehouse::gateway {
namespace {

namespace json = boost::json;
using guardrails::Direction;
using providers::Dialect;

constexpr std::size_t kMaxGuardedEvent = 8 * 1024 * 1024;

GuardBlock makeBlock(const guardrails::Engine& engine, std::string detector, Direction direction) {
  guardrails::GuardResult result;
  result.blocked = true;
  result.blocked_by = detector;
  return {std::move(detector), result.blockMessage(engine.policy().name, direction)};
}

// Guards one JSON string in place.
std::optional<GuardBlock> guardString(json::value& value, Direction direction,
                                      const guardrails::Engine& engine,
                                      guardrails::Pseudonymizer& pseudonymizer,
                                      GuardOutcomes& outcomes) {
  if (!value.is_string()) {
    return std::nullopt;
  }
  std::string restored;
  std::string_view text = value.as_string();
  if (direction == Direction::kOutput && pseudonymizer.size() > 0) {
    restored = pseudonymizer.restore(text);
    text = restored;
  }
  guardrails::GuardResult result = engine.guard(text, direction, pseudonymizer);
  outcomes.add(result.outcomes);
  if (result.blocked) {
    return makeBlock(engine, result.blocked_by, direction);
  }
  if (result.rewritten) {
    value = result.text;
  } else if (!restored.empty()) {
    value = restored;
  }
  return std::nullopt;
}

// Text parts: a string, or an array of parts with {"type":"text","text":...} (both dialects),
// and, for Anthropic, tool_result blocks whose content is itself a string or text parts.
std::optional<GuardBlock> guardContent(json::value& content, Direction direction,
                                       const guardrails::Engine& engine,
                                       guardrails::Pseudonymizer& pseudonymizer,
                                       GuardOutcomes& outcomes) {
  if (content.is_string()) {
    return guardString(content, direction, engine, pseudonymizer, outcomes);
  }
  if (!content.is_array()) {
    return std::nullopt;
  }
  for (json::value& part : content.as_array()) {
    json::object* object = part.if_object();
    if (!object) {
      continue;
    }
    const json::value* type = object->if_contains("type");
    if (!type || !type->is_string()) {
      continue;
    }
    std::optional<GuardBlock> block;
    if (type->as_string() == "text") {
      if (json::value* text = object->if_contains("text")) {
        block = guardString(*text, direction, engine, pseudonymizer, outcomes);
      }
    } else if (type->as_string() == "tool_result") {
      if (json::value* nested = object->if_contains("content")) {
        block = guardContent(*nested, direction, engine, pseudonymizer, outcomes);
      }
    }
    if (block) {
      return block;
    }
  }
  return std::nullopt;
}

}  // namespace

void GuardOutcomes::add(const std::vector<guardrails::Outcome>& outcomes) {
  for (const auto& outcome : outcomes) {
    bool merged = false;
    for (auto& existing : outcomes_) {
      if (existing.detector == outcome.detector && existing.action == outcome.action) {
        existing.count += outcome.count;
        merged = true;
        break;
      }
    }
    if (!merged) {
      outcomes_.push_back(outcome);
    }
  }
}

std::string GuardOutcomes::summary() const {
  std::string out;
  for (const auto& outcome : outcomes_) {
    if (!out.empty()) {
      out += ',';
    }
    out += outcome.detector;
    out += ':';
    out += guardrails::actionName(outcome.action);
    out += ':';
    out += std::to_string(outcome.count);
  }
  return out;
}

std::optional<GuardBlock> guardRequest(json::object& body, Dialect caller,
                                       const guardrails::Engine& engine,
                                       guardrails::Pseudonymizer& pseudonymizer,
                                       GuardOutcomes& outcomes) {
  if (caller == Dialect::kAnthropic) {
    if (json::value* system = body.if_contains("system")) {
      if (auto block = guardContent(*system, Direction::kInput, engine, pseudonymizer, outcomes)) {
        return block;
      }
    }
  }
  json::value* messages = body.if_contains("messages");
  if (!messages || !messages->is_array()) {
    return std::nullopt;
  }
  for (json::value& message : messages->as_array()) {
    json::object* object = message.if_object();
    if (!object) {
      continue;
    }
    if (json::value* content = object->if_contains("content")) {
      if (auto block = guardContent(*content, Direction::kInput, engine, pseudonymizer, outcomes)) {
        return block;
      }
    }
  }
  return std::nullopt;
}

std::optional<GuardBlock> guardEmbeddingsInput(json::object& body, const guardrails::Engine& engine,
                                               guardrails::Pseudonymizer& pseudonymizer,
                                               GuardOutcomes& outcomes) {
  json::value* input = body.if_contains("input");
  if (!input) {
    return std::nullopt;
  }
  if (!input->is_array()) {
    return guardString(*input, Direction::kInput, engine, pseudonymizer, outcomes);
  }
  for (json::value& item : input->as_array()) {
    if (auto block = guardString(item, Direction::kInput, engine, pseudonymizer, outcomes)) {
      return block;
    }
  }
  return std::nullopt;
}

std::optional<GuardBlock> guardResponse(json::object& body, Dialect caller,
                                        const guardrails::Engine& engine,
                                        guardrails::Pseudonymizer& pseudonymizer,
                                        GuardOutcomes& outcomes) {
  if (caller == Dialect::kAnthropic) {
    if (json::value* content = body.if_contains("content")) {
      return guardContent(*content, Direction::kOutput, engine, pseudonymizer, outcomes);
    }
    return std::nullopt;
  }
  json::value* choices = body.if_contains("choices");
  if (!choices || !choices->is_array()) {
    return std::nullopt;
  }
  for (json::value& choice : choices->as_array()) {
    json::value* message = choice.is_object() ? choice.as_object().if_contains("message") : nullptr;
    json::value* content =
        message && message->is_object() ? message->as_object().if_contains("content") : nullptr;
    if (content) {
      if (auto block = guardString(*content, Direction::kOutput, engine, pseudonymizer, outcomes)) {
        return block;
      }
    }
  }
  return std::nullopt;
}

StreamGuard::TextFilter::TextFilter(const guardrails::Engine& engine,
                                    guardrails::Pseudonymizer& pseudonymizer, std::size_t window)
    : restorer(pseudonymizer), guard(engine, pseudonymizer, window) {}

StreamGuard::StreamGuard(Dialect caller, const guardrails::Engine& engine,
                         guardrails::Pseudonymizer& pseudonymizer, std::size_t window_bytes)
    : caller_(caller),
      engine_(engine),
      pseudonymizer_(pseudonymizer),
      window_(window_bytes),
      parser_(kMaxGuardedEvent) {}

StreamGuard::TextFilter& StreamGuard::filter(std::int64_t index) {
  auto& slot = filters_[index];
  if (!slot) {
    slot = std::make_unique<TextFilter>(engine_, pseudonymizer_, window_);
  }
  return *slot;
}

std::string StreamGuard::feed(std::int64_t index, std::string_view text) {
  TextFilter& f = filter(index);
  guardrails::StreamStep step = f.guard.feed(f.restorer.feed(text));
  if (step.blocked) {
    block_ = makeBlock(engine_, step.blocked_by, Direction::kOutput);
    return {};
  }
  return std::move(step.text);
}

std::string StreamGuard::flush(std::int64_t index) {
  const auto it = filters_.find(index);
  if (it == filters_.end()) {
    return {};
  }
  TextFilter& f = *it->second;
  guardrails::StreamStep last = f.guard.feed(f.restorer.finish());
  guardrails::StreamStep end = f.guard.finish();
  if (last.blocked || end.blocked) {
    block_ =
        makeBlock(engine_, last.blocked ? last.blocked_by : end.blocked_by, Direction::kOutput);
    return {};
  }
  return last.text + end.text;
}

void StreamGuard::addOutcomesTo(GuardOutcomes& outcomes) const {
  for (const auto& [index, f] : filters_) {
    outcomes.add(f->guard.outcomes());
  }
}

void StreamGuard::processOpenAI(const providers::SseEvent& event, std::string& out) {
  if (event.data == "[DONE]") {
    providers::relaySseEvent(out, event);
    return;
  }
  boost::system::error_code ec;
  json::value value = json::parse(event.data, ec);
  json::value* choices =
      !ec && value.is_object() ? value.as_object().if_contains("choices") : nullptr;
  if (!choices || !choices->is_array()) {
    providers::relaySseEvent(out, event);  // usage or error chunk
    return;
  }
  for (json::value& choice_value : choices->as_array()) {
    json::object* choice = choice_value.if_object();
    if (!choice) {
      continue;
    }
    const json::value* index_value = choice->if_contains("index");
    const std::int64_t index = index_value && index_value->is_int64() ? index_value->as_int64() : 0;
    json::value* delta = choice->if_contains("delta");
    std::string text;
    if (delta && delta->is_object()) {
      if (json::value* content = delta->as_object().if_contains("content");
          content && content->is_string()) {
        text = feed(index, content->as_string());
      }
    }
    const json::value* finish = choice->if_contains("finish_reason");
    if (finish && finish->is_string()) {
      text += flush(index);  // Nothing may stay held once the choice is finished.
    }
    if (block_) {
      return;
    }
    if (delta && delta->is_object()) {
      json::object& delta_object = delta->as_object();
      if (delta_object.contains("content") || !text.empty()) {
        delta_object["content"] = text;
      }
    }
  }
  providers::appendSseEvent(out, event.event, json::serialize(value));
}

void StreamGuard::processAnthropic(const providers::SseEvent& event, std::string& out) {
  if (event.event != "content_block_delta" && event.event != "content_block_stop") {
    providers::relaySseEvent(out, event);
    return;
  }
  boost::system::error_code ec;
  json::value value = json::parse(event.data, ec);
  if (ec || !value.is_object()) {
    providers::relaySseEvent(out, event);
    return;
  }
  json::object& object = value.as_object();
  const json::value* index_value = object.if_contains("index");
  const std::int64_t index = index_value && index_value->is_int64() ? index_value->as_int64() : 0;
  if (event.event == "content_block_stop") {
    const std::string held = flush(index);
    if (block_) {
      return;
    }
    if (!held.empty()) {
      json::object delta_event{{"type", "content_block_delta"},
                               {"index", index},
                               {"delta", json::object{{"type", "text_delta"}, {"text", held}}}};
      providers::appendSseEvent(out, "content_block_delta", json::serialize(delta_event));
    }
    providers::relaySseEvent(out, event);
    return;
  }
  json::value* delta = object.if_contains("delta");
  json::object* delta_object = delta ? delta->if_object() : nullptr;
  json::value* text = delta_object ? delta_object->if_contains("text") : nullptr;
  if (!text || !text->is_string()) {
    providers::relaySseEvent(out, event);
    return;
  }
  std::string allowed = feed(index, text->as_string());
  if (block_) {
    return;
  }
  if (allowed.empty()) {
    return;  // Held back for now; an empty text_delta would be noise.
  }
  *text = allowed;
  providers::appendSseEvent(out, event.event, json::serialize(value));
}

std::optional<GuardBlock> StreamGuard::process(std::string_view sse, std::string& out) {
  if (block_) {
    return block_;
  }
  // Each event is checked in the parser's own storage, as the relay reads it (no copy).
  const std::size_t relayed_before = out.size();
  const bool parsed = parser_.feedEach(sse, [&](const providers::SseEvent& event) {
    if (block_) {
      return;  // Nothing after a block is relayed.
    }
    if (caller_ == Dialect::kOpenAI) {
      processOpenAI(event, out);
    } else {
      processAnthropic(event, out);
    }
  });
  if (!parsed && !block_) {
    // Nothing of a piece whose framing broke is relayed, not even its events before the break.
    out.resize(relayed_before);
    block_ = GuardBlock{"STREAM", "The answer could not be checked by the guardrails."};
  }
  if (block_) {
    out += providers::streamErrorEvent(caller_, 400, block_->message);
  }
  return block_;
}

}  // namespace gatehouse::gateway
