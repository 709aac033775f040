#pragma once

// Translation between the OpenAI Chat Completions and Anthropic Messages wire formats.
// Bodies are Boost.JSON values: the gateway parses each request once to validate and route it,
// and translation works on that parse instead of serialising and parsing again.
#include <gatehouse/common/result.h>
#include <gatehouse/providers/dialect.h>
#include <gatehouse/providers/sse.h>

#include <boost/json/object.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::providers {

/// Options that shape a translated request.
struct RequestOptions {
  std::string upstream_model;              ///< Replaces the caller's `model`.
  std::int64_t default_max_tokens = 4096;  ///< Anthropic requires max_tokens; used when absent.
};

/// The name of the tool anthropicRequestFromOpenAI() forces when the OpenAI request asks for
/// `response_format: {type: "json_schema"}` (Anthropic has no such parameter), or "" when it
/// does not. Pass it back as ResponseOptions/StreamOptions::json_schema_tool so the answer,
/// which arrives as that tool's input, reaches the caller as message content.
std::string jsonSchemaToolName(const boost::json::object& openai_request);

/// OpenAI chat request -> Anthropic Messages request: system/developer messages to `system`,
/// tool/function definitions and tool_calls/tool messages to tool_use/tool_result blocks,
/// image_url parts to image blocks, stop -> stop_sequences, response_format json_schema ->
/// a forced tool, and so on. Fails with kInvalidRequest on structurally bad input.
Result<boost::json::object> anthropicRequestFromOpenAI(const boost::json::object& request,
                                                       const RequestOptions& options);

/// Anthropic Messages request -> OpenAI chat request (the reverse mapping). Sets
/// stream_options.include_usage when streaming so usage can be metered.
Result<boost::json::object> openaiRequestFromAnthropic(const boost::json::object& request,
                                                       const RequestOptions& options);

/// What a translated response reports back to the caller.
struct ResponseOptions {
  std::string model;             ///< The model name the caller sees.
  std::int64_t created = 0;      ///< Unix seconds for OpenAI's `created` (from the injected clock).
  std::string json_schema_tool;  ///< jsonSchemaToolName() of the original OpenAI request.
};

/// Anthropic Message -> OpenAI chat.completion. `model` is reported back to the caller;
/// `created` is 0: prefer the ResponseOptions overload, which takes the time from the caller.
Result<boost::json::object> openaiResponseFromAnthropic(const boost::json::object& message,
                                                        std::string_view model);

/// Anthropic Message -> OpenAI chat.completion, with the time and the structured-output tool
/// (whose tool_use becomes the message content, finish_reason "stop") given by the caller.
Result<boost::json::object> openaiResponseFromAnthropic(const boost::json::object& message,
                                                        const ResponseOptions& options);

/// OpenAI chat.completion -> Anthropic Message (first choice).
Result<boost::json::object> anthropicResponseFromOpenAI(const boost::json::object& completion,
                                                        std::string_view model);

/// Usage in a response body (non-streaming) of the given dialect.
TokenUsage usageFromResponse(Dialect dialect, const boost::json::object& body);

/// For a response relayed byte for byte: validates `body` with Boost.JSON's SAX parser and
/// reads its usage exactly as usageFromResponse() would from its DOM, without building one.
/// Nothing when `body` is not valid JSON with an object at the top.
std::optional<TokenUsage> scanResponseUsage(Dialect dialect, std::string_view body);

/// What relaying a request to an upstream of the caller's own dialect needs from its body,
/// read by one SAX pass over the caller's bytes instead of a DOM, and where the model's value
/// lies in them, so that the upstream model can be spliced in.
struct RequestScan {
  std::string_view model;       ///< The model the caller asked for; points into the body.
  std::size_t model_begin = 0;  ///< The model value, quotes included, is body[begin, end).
  std::size_t model_end = 0;
  bool stream = false;
  bool has_stream_options = false;  ///< A stream_options object.
  bool include_usage = false;       ///< stream_options.include_usage is true.
  /// An OpenAI stream without stream_options: the splice adds include_usage, since Gatehouse
  /// always meters streamed usage.
  bool add_include_usage = false;
};

/// The scan of a completion request's body, or nothing when the request must take the DOM way,
/// which gives each of these cases its own error or normalises it: not valid JSON, not an
/// object, no model or one that is not a non-empty string, a model written with escapes, a
/// "stream" that is not a boolean or null, stream_options that is not an object or has an
/// include_usage that is not a boolean, for an OpenAI caller "messages" that is not a
/// non-empty array or a stream whose stream_options lack include_usage (it must be set inside
/// them), or any of model, stream, stream_options, messages or include_usage given twice
/// (upstreams differ on which duplicate wins, so those are never passed on).
std::optional<RequestScan> scanRequest(Dialect caller, std::string_view body);

/// The caller's `body` for an upstream of the caller's dialect: the model's value replaced by
/// `upstream_model`, and "stream_options":{"include_usage":true} added when the scan says so.
/// Everything else is the caller's bytes.
std::string spliceRequest(std::string_view body, const RequestScan& scan,
                          std::string_view upstream_model);

/// Turns upstream SSE events into the caller's dialect, event by event, and meters usage on
/// the way. Same-dialect translators pass events through (dropping the usage-only chunk when
/// the caller did not ask for it, since Gatehouse always asks the upstream for usage).
class StreamTranslator {
 public:
  virtual ~StreamTranslator() = default;

  /// Consumes one upstream event and appends the caller-dialect SSE bytes (possibly none) to
  /// `out`. An upstream error event is translated and reported as an Error after its bytes are
  /// appended. A malformed event yields kUpstreamError.
  virtual Result<void> onEvent(const SseEvent& event, std::string& out) = 0;

  /// The upstream ended its stream; appends closing bytes (e.g. "data: [DONE]\n\n", or the
  /// message_delta/message_stop Anthropic callers expect if the upstream omitted them).
  virtual void finish(std::string& out) = 0;

  /// True once the upstream has sent its terminal event ([DONE] or message_stop).
  virtual bool sawEnd() const = 0;

  virtual TokenUsage usage() const = 0;
};

struct StreamOptions {
  std::string model;           ///< The model name the caller sees in translated events.
  bool include_usage = false;  ///< OpenAI callers: stream_options.include_usage was set.
  std::int64_t created = 0;    ///< Unix seconds for `created` in chunks made from Anthropic events.
  std::string json_schema_tool;  ///< jsonSchemaToolName() of the original OpenAI request.
};

std::unique_ptr<StreamTranslator> makeStreamTranslator(Dialect upstream, Dialect caller,
                                                       const StreamOptions& options);

}  // namespace gatehouse::providers
