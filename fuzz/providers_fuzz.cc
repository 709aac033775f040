// libFuzzer target for the provider wire formats: SSE parsing under any split, every stream
// translator, and the request/response translations on arbitrary JSON objects. Beyond "no
// crash", it checks properties that must hold for any input:
//   - the SSE parser gives the same events (and fails the same way) however the bytes are cut;
//   - every event a translator writes is JSON (or [DONE]) and parses back as SSE;
//   - Anthropic events a translator makes carry their type as the event name, and content
//     blocks open, take deltas and close in increasing index order, one at a time;
//   - every translated body and error body serialises to valid JSON;
//   - the SAX scans agree with the DOM: a spliced request means the DOM way's edit of it, and
//     a stream chunk's scan reads the usage its DOM holds.
#include <gatehouse/providers/dialect.h>
#include <gatehouse/providers/sse.h>
#include <gatehouse/providers/translate.h>

#include "providers/chunk_scan.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using gatehouse::Result;
using gatehouse::providers::Dialect;
using gatehouse::providers::OwnedSseEvent;
using gatehouse::providers::SseEvent;
using gatehouse::providers::SseParser;

constexpr std::size_t kMaxEventBytes = 1 << 16;

void check(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

std::optional<boost::json::value> parseJson(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec) {
    return std::nullopt;
  }
  return v;
}

std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) {
    h = (h ^ c) * 1099511628211ull;
  }
  return h;
}

struct Parsed {
  std::vector<OwnedSseEvent> events;
  std::string relayed;  // relaySseEvent() of each event as feedEach() lent it
  bool ok = true;

  bool feed(SseParser& parser, std::string_view bytes) {
    return parser.feedEach(bytes, [this](const SseEvent& event) {
      events.push_back(OwnedSseEvent::copyOf(event));
      gatehouse::providers::relaySseEvent(relayed, event);
    });
  }
};

Parsed parseWhole(std::string_view bytes) {
  SseParser parser(kMaxEventBytes);
  Parsed parsed;
  parsed.ok = parsed.feed(parser, bytes);
  return parsed;
}

// Cuts `bytes` into pieces of 1..32 bytes chosen from a hash of the input, so each input is
// replayed the same way and the corpus stays meaningful.
Parsed parseInPieces(std::string_view bytes) {
  SseParser parser(kMaxEventBytes);
  Parsed parsed;
  std::uint64_t state = fnv1a(bytes) | 1;
  std::size_t at = 0;
  while (at < bytes.size()) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    const std::size_t length = 1 + static_cast<std::size_t>(state % 32);
    if (!parsed.feed(parser, bytes.substr(at, length))) {
      parsed.ok = false;
      break;
    }
    at += length;
  }
  return parsed;
}

void checkSplitInvariance(const Parsed& whole, const Parsed& pieces) {
  check(whole.ok == pieces.ok);
  check(whole.events.size() == pieces.events.size());
  std::string written;
  for (std::size_t i = 0; i < whole.events.size(); ++i) {
    check(whole.events[i].event == pieces.events[i].event);
    check(whole.events[i].data == pieces.events[i].data);
    gatehouse::providers::appendSseEvent(written, whole.events[i].event, whole.events[i].data);
  }
  // An event relayed as it came reads exactly as one written afresh, however it was cut.
  check(whole.relayed == written);
  check(pieces.relayed == written);
}

// The structure a translator owes an Anthropic caller when it builds the events itself.
struct AnthropicShape {
  std::optional<std::int64_t> open;
  std::int64_t next = 0;
  bool stopped = false;

  void onEvent(const boost::json::object& body) {
    check(!stopped);
    const boost::json::value* type = body.if_contains("type");
    check(type != nullptr && type->is_string());
    const std::string_view t = type->get_string();
    const boost::json::value* index_value = body.if_contains("index");
    const std::int64_t* index = index_value == nullptr ? nullptr : index_value->if_int64();
    if (t == "content_block_start") {
      check(!open && index != nullptr && *index == next);
      open = next++;
    } else if (t == "content_block_delta") {
      check(open && index != nullptr && *index == *open);
    } else if (t == "content_block_stop") {
      check(open && index != nullptr && *index == *open);
      open.reset();
    } else if (t == "message_delta") {
      check(!open);
    } else if (t == "message_stop") {
      check(!open);
      stopped = true;
    }
  }
};

void checkOutput(const std::string& out, Dialect upstream, Dialect caller, bool failed) {
  SseParser parser(std::string::npos);
  std::vector<OwnedSseEvent> events;
  check(parser.feed(out, events));
  AnthropicShape shape;
  for (const OwnedSseEvent& event : events) {
    if (caller == Dialect::kOpenAI) {
      check(event.event.empty());
      if (event.data == "[DONE]") {
        continue;
      }
    }
    const std::optional<boost::json::value> data = parseJson(event.data);
    check(data.has_value() && data->is_object());
    if (caller == Dialect::kAnthropic && upstream == Dialect::kOpenAI) {
      // Built by the translator (a pass-through relays the upstream's names as they are).
      const boost::json::value* type = data->get_object().if_contains("type");
      check(type != nullptr && type->is_string() && type->get_string() == event.event);
      shape.onEvent(data->get_object());
    }
  }
  if (upstream == Dialect::kOpenAI && caller == Dialect::kAnthropic && !failed) {
    check(shape.stopped);  // finish() always completes the message
  }
}

void fuzzStreams(std::string_view bytes) {
  for (const Dialect upstream : {Dialect::kOpenAI, Dialect::kAnthropic}) {
    for (const Dialect caller : {Dialect::kOpenAI, Dialect::kAnthropic}) {
      for (const bool include_usage : {false, true}) {
        for (const char* schema_tool : {"", "get_weather"}) {
          gatehouse::providers::StreamOptions options;
          options.model = "fuzz-model";
          options.include_usage = include_usage;
          options.created = 1700000000;
          options.json_schema_tool = schema_tool;
          auto translator = gatehouse::providers::makeStreamTranslator(upstream, caller, options);
          std::string out;
          bool failed = false;
          SseParser parser(kMaxEventBytes);
          parser.feedEach(bytes, [&](const SseEvent& event) {
            if (failed) {
              return;
            }
            const Result<void> ok = translator->onEvent(event, out);
            if (!ok) {
              check(ok.error().code == gatehouse::ErrorCode::kUpstreamError);
              failed = true;
            }
          });
          if (!failed) {
            translator->finish(out);
          }
          const gatehouse::providers::TokenUsage usage = translator->usage();
          check(usage.input_tokens >= 0 && usage.output_tokens >= 0);
          checkOutput(out, upstream, caller, failed);
        }
      }
    }
  }
}

void checkBody(const Result<boost::json::object>& result) {
  if (result) {
    check(parseJson(boost::json::serialize(*result)).has_value());
  } else {
    check(!result.error().message.empty());
  }
}

void fuzzBodies(std::string_view bytes) {
  for (const int status : {400, 401, 404, 429, 500, 529}) {
    for (const Dialect dialect : {Dialect::kOpenAI, Dialect::kAnthropic}) {
      check(parseJson(gatehouse::providers::errorBody(dialect, status, bytes)).has_value());
    }
  }
  const std::string message = gatehouse::providers::upstreamErrorMessage(bytes, 502);
  check(!message.empty() && message.size() <= 503);
  check(parseJson(gatehouse::providers::errorBody(Dialect::kOpenAI, 502, message)).has_value());

  const std::optional<boost::json::value> parsed = parseJson(bytes);
  if (!parsed || !parsed->is_object()) {
    return;
  }
  const boost::json::object& body = parsed->get_object();
  gatehouse::providers::RequestOptions request_options;
  request_options.upstream_model = "fuzz-upstream";
  checkBody(gatehouse::providers::anthropicRequestFromOpenAI(body, request_options));
  checkBody(gatehouse::providers::openaiRequestFromAnthropic(body, request_options));
  checkBody(gatehouse::providers::anthropicRequestFromOpenAI(body, {}));
  gatehouse::providers::ResponseOptions response_options;
  response_options.model = "fuzz-model";
  response_options.json_schema_tool = gatehouse::providers::jsonSchemaToolName(body);
  checkBody(gatehouse::providers::openaiResponseFromAnthropic(body, response_options));
  checkBody(gatehouse::providers::openaiResponseFromAnthropic(body, "fuzz-model"));
  checkBody(gatehouse::providers::anthropicResponseFromOpenAI(body, "fuzz-model"));
  for (const Dialect dialect : {Dialect::kOpenAI, Dialect::kAnthropic}) {
    const gatehouse::providers::TokenUsage usage =
        gatehouse::providers::usageFromResponse(dialect, body);
    check(usage.input_tokens >= 0 && usage.output_tokens >= 0);
  }
}

// The SAX scans against the DOM: a request the scan accepts for splicing means, once spliced,
// what the DOM way's edit of it means; a chunk's scan reads what its DOM holds.
void fuzzScans(std::string_view bytes) {
  const std::optional<boost::json::value> parsed = parseJson(bytes);
  const bool is_object = parsed && parsed->is_object();
  for (const Dialect caller : {Dialect::kOpenAI, Dialect::kAnthropic}) {
    const auto scan = gatehouse::providers::scanRequest(caller, bytes);
    if (!scan) {
      continue;
    }
    check(is_object);
    const boost::json::object& body = parsed->get_object();
    const boost::json::value* model = body.if_contains("model");
    check(model != nullptr && model->is_string() && model->get_string() == scan->model);
    const bool add = scan->add_include_usage;
    check(!add || (caller == Dialect::kOpenAI && scan->stream && !scan->has_stream_options));
    const std::string spliced = gatehouse::providers::spliceRequest(bytes, *scan, "fuzz\"up");
    boost::json::value expected = *parsed;
    expected.get_object()["model"] = "fuzz\"up";
    if (add) {
      expected.get_object()["stream_options"] = boost::json::object{{"include_usage", true}};
    }
    const std::optional<boost::json::value> got = parseJson(spliced);
    check(got.has_value() && *got == expected);
  }
  const gatehouse::providers::ChunkScan chunk = gatehouse::providers::scanOpenAIChunk(bytes);
  check(chunk.is_object == is_object);
  if (is_object && !chunk.needs_inspection) {
    const boost::json::object& body = parsed->get_object();
    const boost::json::value* usage = body.if_contains("usage");
    check(chunk.has_usage == (usage != nullptr && usage->is_object()));
    const auto counts = gatehouse::providers::usageFromResponse(Dialect::kOpenAI, body);
    check(chunk.prompt_tokens == counts.input_tokens &&
          chunk.completion_tokens == counts.output_tokens);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const Parsed whole = parseWhole(bytes);
  checkSplitInvariance(whole, parseInPieces(bytes));
  fuzzStreams(bytes);
  fuzzBodies(bytes);
  fuzzScans(bytes);
  return 0;
}
