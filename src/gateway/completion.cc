// The upstream half of the request path: translate, send with retries and fallback, relay the
// answer (whole or streamed) back in the caller's dialect, meter it.

#include "gateway_impl.h"

#include <gatehouse/common/log.h>
#include <gatehouse/providers/sse.h>
#include <gatehouse/providers/translate.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <charconv>
#include <optional>

namespace gatehouse::gateway {
namespace {

namespace json = boost::json;
using providers::Dialect;

constexpr std::size_t kMaxUpstreamBody = 32 * 1024 * 1024;
constexpr std::size_t kMaxUpstreamErrorBody = 64 * 1024;
constexpr std::size_t kMaxSseEvent = 8 * 1024 * 1024;

struct ParsedBody {
  json::object object;
  std::string model;
};

// Parses and checks what every completion-style request needs before it can be routed.
// `storage` is the request's arena: every node of the parse lives until the request ends.
Result<ParsedBody> parseRequestBody(std::string_view body, json::storage_ptr storage) {
  boost::system::error_code ec;
  json::value value = json::parse(body, ec, std::move(storage));
  if (ec) {
    return makeError(ErrorCode::kInvalidRequest,
                     "We could not parse the JSON body of your request. (Expected a JSON object.)");
  }
  if (!value.is_object()) {
    return makeError(ErrorCode::kInvalidRequest, "The request body must be a JSON object.");
  }
  ParsedBody parsed{std::move(value.as_object()), {}};
  const json::value* model = parsed.object.if_contains("model");
  if (!model) {
    return makeError(ErrorCode::kInvalidRequest, "Missing required parameter: 'model'.");
  }
  if (!model->is_string() || model->as_string().empty()) {
    return makeError(ErrorCode::kInvalidRequest, "'model' must be a non-empty string.");
  }
  parsed.model = std::string(model->as_string());
  if (const json::value* stream = parsed.object.if_contains("stream");
      stream && !stream->is_bool() && !stream->is_null()) {
    return makeError(ErrorCode::kInvalidRequest, "'stream' must be a boolean.");
  }
  return parsed;
}

bool wantsStream(const json::object& body) {
  const json::value* stream = body.if_contains("stream");
  return stream && stream->is_bool() && stream->as_bool();
}

bool wantsUsageChunk(const json::object& body) {
  const json::value* options = body.if_contains("stream_options");
  if (!options || !options->is_object()) {
    return false;
  }
  const json::value* include = options->as_object().if_contains("include_usage");
  return include && include->is_bool() && include->as_bool();
}

// The request body for one deployment, in its provider's dialect. Same-dialect bodies are
// edited in place (no copy of the caller's messages); every deployment overwrites what it sets.
Result<std::string> upstreamBody(json::object& body, Dialect caller, const Deployment& deployment,
                                 std::int64_t default_max_tokens) {
  const Dialect upstream = deployment.provider->dialect;
  if (caller != upstream) {
    providers::RequestOptions options{deployment.upstream_model, default_max_tokens};
    auto translated = caller == Dialect::kOpenAI
                          ? providers::anthropicRequestFromOpenAI(body, options)
                          : providers::openaiRequestFromAnthropic(body, options);
    if (!translated) {
      return translated.takeError();
    }
    return json::serialize(*translated);
  }
  body["model"] = deployment.upstream_model;
  if (upstream == Dialect::kOpenAI && wantsStream(body)) {
    // Always meter streamed usage; the chunk is dropped again if the caller did not ask for it.
    json::value& options = body["stream_options"];
    if (!options.is_object()) {
      options = json::object(body.storage());
    }
    options.as_object()["include_usage"] = true;
  }
  return json::serialize(body);
}

std::vector<http::Header> relayHeaders(const http::ClientResponse& response) {
  std::vector<http::Header> headers;
  for (const auto& header : response.headers()) {
    if (isRateLimitHeader(header.name)) {
      headers.push_back(header);
    }
  }
  return headers;
}

bool retryable(int status) {
  return status == 429 || status == 408 || status >= 500;
}

}  // namespace

std::chrono::milliseconds GatewayHandler::backoff(std::uint32_t attempt,
                                                  std::string_view retry_after) {
  const auto cap = config_.routing.max_retry_backoff;
  std::int64_t seconds = 0;
  if (!retry_after.empty() &&
      std::from_chars(retry_after.data(), retry_after.data() + retry_after.size(), seconds).ec ==
          std::errc()) {
    return std::min(cap, std::chrono::milliseconds(seconds * 1000));
  }
  // Exponential with full jitter over the upper half, so synchronised callers spread out.
  const auto base = config_.routing.retry_backoff * (1u << std::min<std::uint32_t>(attempt, 10));
  const auto bounded = std::min(cap, base);
  const auto half = bounded.count() / 2;
  const auto jitter = half > 0 ? random_.uniform(static_cast<std::uint32_t>(half) + 1) : 0;
  return std::chrono::milliseconds(half + jitter);
}

Task<std::optional<http::ClientResponse>> GatewayHandler::sendWithRetries(
    const Deployment& deployment, const std::string& target, const std::string& body, Call& call,
    UpstreamFailure& failure) {
  const Provider& provider = *deployment.provider;
  auto key = provider_keys_.keyFor(*call.identity, provider.name);
  if (!key) {
    failure = {ErrorCode::kUpstreamError, 0, key.error().message, {}};
    log::error("provider_key_unavailable",
               {{"request_id", call.record.request_id}, {"provider", provider.name}});
    co_return std::nullopt;
  }
  if (!http::isValidFieldValue(key->reveal())) {
    // Refused where keys come in; a key stored before that check is refused here.
    failure = {ErrorCode::kUpstreamError, 0, "The provider key cannot be sent in a header.", {}};
    log::error("provider_key_invalid",
               {{"request_id", call.record.request_id}, {"provider", provider.name}});
    co_return std::nullopt;
  }
  auto executor = co_await boost::asio::this_coro::executor;
  std::string retry_after;  // From the last 429, which says how long to wait.
  for (std::uint32_t attempt = 0; attempt < config_.routing.max_attempts; ++attempt) {
    if (attempt > 0) {
      boost::asio::steady_timer timer(executor, backoff(attempt - 1, retry_after));
      co_await timer.async_wait(boost::asio::use_awaitable);
      retry_after.clear();
    }
    http::ClientRequest request{"POST", target, provider.requestHeaders(key->reveal()), body};
    auto sent = co_await client_.send(provider.endpoint, std::move(request), deployment.timeout);
    if (!sent) {
      failure = {sent.error().code,
                 0,
                 sent.error().code == ErrorCode::kUpstreamTimeout
                     ? "The upstream provider did not respond in time."
                     : "Could not reach the upstream provider.",
                 {}};
      log::warn("upstream_attempt_failed", {{"request_id", call.record.request_id},
                                            {"deployment", deployment.label},
                                            {"attempt", attempt + 1},
                                            {"error", sent.error().message}});
      continue;
    }
    http::ClientResponse response = std::move(*sent);
    const int status = response.status();
    if (status >= 200 && status < 300) {
      co_return std::move(response);
    }
    auto error_body = co_await response.readAll(kMaxUpstreamErrorBody, deployment.timeout);
    failure.upstream_status = status;
    failure.message =
        providers::upstreamErrorMessage(error_body ? std::string_view(*error_body) : "", status);
    failure.relay_headers = relayHeaders(response);
    log::warn("upstream_attempt_failed", {{"request_id", call.record.request_id},
                                          {"deployment", deployment.label},
                                          {"attempt", attempt + 1},
                                          {"upstream_status", status}});
    if (!retryable(status)) {
      failure.code = ErrorCode::kInvalidRequest;  // The caller gets the upstream's answer.
      co_return std::nullopt;
    }
    failure.code = status == 429 ? ErrorCode::kRateLimited : ErrorCode::kUpstreamError;
    if (status == 429) {
      retry_after = std::string(response.header("retry-after"));
    }
  }
  co_return std::nullopt;
}

Task<void> GatewayHandler::failUpstream(http::ResponseWriter& writer, Call& call,
                                        const UpstreamFailure& failure) {
  if (failure.code == ErrorCode::kInvalidRequest) {
    // The upstream refused the request itself. Its 4xx means the same to the caller, except
    // that a refused credential is the gateway's problem, not the caller's.
    if (failure.upstream_status == 401 || failure.upstream_status == 403) {
      co_await fail(writer, call, 502,
                    "The upstream provider rejected the gateway's credentials for this model.");
    } else {
      co_await fail(writer, call, failure.upstream_status, failure.message);
    }
    co_return;
  }
  if (failure.code == ErrorCode::kRateLimited) {
    co_await fail(writer, call, 429, failure.message, failure.relay_headers);
    co_return;
  }
  if (failure.code == ErrorCode::kUpstreamTimeout) {
    co_await fail(writer, call, 504, failure.message);
    co_return;
  }
  const std::string message = failure.upstream_status
                                  ? "The upstream provider failed: " + failure.message
                                  : failure.message;
  co_await fail(writer, call, 502, message);
}

// Whether every deployment of `plan` speaks `caller`'s dialect, so the caller's bytes can go
// to any of them with only the model changed.
bool allSameDialect(const std::vector<const Deployment*>& plan, Dialect caller) {
  return std::all_of(plan.begin(), plan.end(), [caller](const Deployment* deployment) {
    return deployment->provider->dialect == caller;
  });
}

Task<void> GatewayHandler::serveCompletion(const http::Request& request,
                                           http::ResponseWriter& writer, Call& call) {
  // An unguarded request is first read by a SAX pass. When it goes to upstreams of its own
  // dialect (the common case), the caller's bytes are sent on with the model spliced in, and no
  // DOM is built or serialised. Anything else, and every malformed request, takes the DOM way.
  std::optional<providers::RequestScan> scan;
  if (!call.guard) {
    scan = providers::scanRequest(call.caller, request.body());
  }
  json::monotonic_resource arena;
  std::optional<ParsedBody> parsed;
  const auto parseDom = [&]() -> Result<void> {
    auto dom = parseRequestBody(request.body(), &arena);
    if (!dom) {
      return dom.takeError();
    }
    if (call.caller == Dialect::kOpenAI) {
      const json::value* messages = dom->object.if_contains("messages");
      if (!messages || !messages->is_array() || messages->as_array().empty()) {
        return makeError(ErrorCode::kInvalidRequest, "'messages' must be a non-empty array.");
      }
      call.json_schema_tool = providers::jsonSchemaToolName(dom->object);
    }
    parsed = std::move(*dom);
    return {};
  };
  if (!scan) {
    if (auto ok = parseDom(); !ok) {
      co_await fail(writer, call, 400, ok.error().message);
      co_return;
    }
    if (call.guard) {
      if (auto block = guardRequest(parsed->object, call.caller, *call.guard, *call.pseudonymizer,
                                    call.outcomes)) {
        co_await failGuarded(writer, call, *block, "input");
        co_return;
      }
    }
  }
  const std::string model = scan ? std::string(scan->model) : parsed->model;
  const bool stream = scan ? scan->stream : wantsStream(parsed->object);
  // Read before upstreamBody() edits the body.
  const bool include_usage = scan ? scan->include_usage : wantsUsageChunk(parsed->object);
  call.record.model = model;
  call.record.stream = stream;
  // A model outside the key's scopes looks exactly like one that does not exist.
  const auto plan = call.identity->allowsModel(model) ? routerFor(call).plan(model, random_)
                                                      : std::vector<const Deployment*>();
  if (plan.empty()) {
    co_await fail(writer, call, 404,
                  "The model '" + model + "' does not exist or you do not have access to it.");
    co_return;
  }
  if (scan && !allSameDialect(plan, call.caller)) {
    // A fallback to the other dialect translates the request, which needs its DOM. The scan
    // accepted the body, so the parse can only fail for want of memory.
    if (auto ok = parseDom(); !ok) {
      co_await fail(writer, call, 400, ok.error().message);
      co_return;
    }
    scan.reset();
  }

  UpstreamFailure failure{
      ErrorCode::kUpstreamError, 0, "No deployment could serve the request.", {}};
  for (const Deployment* deployment : plan) {
    Result<std::string> upstream =
        scan ? Result<std::string>(
                   providers::spliceRequest(request.body(), *scan, deployment->upstream_model))
             : upstreamBody(parsed->object, call.caller, *deployment, config_.default_max_tokens);
    if (!upstream) {
      co_await fail(writer, call, httpStatus(upstream.error().code), upstream.error().message);
      co_return;
    }
    call.record.provider = deployment->provider->name;
    call.record.deployment = deployment->label;
    call.record.upstream_model = deployment->upstream_model;
    auto response = co_await sendWithRetries(*deployment, deployment->provider->chat_target,
                                             *upstream, call, failure);
    if (response) {
      if (stream) {
        co_await relayStream(std::move(*response), writer, *deployment, include_usage, call);
      } else {
        co_await relayWhole(std::move(*response), writer, *deployment, call);
      }
      co_return;
    }
    if (failure.code == ErrorCode::kInvalidRequest) {
      break;  // The upstream judged the request itself; another deployment would too.
    }
  }
  co_await failUpstream(writer, call, failure);
}

Task<void> GatewayHandler::relayWhole(http::ClientResponse response, http::ResponseWriter& writer,
                                      const Deployment& deployment, Call& call) {
  auto body = co_await response.readAll(kMaxUpstreamBody, deployment.timeout);
  if (!body) {
    co_await fail(writer, call, httpStatus(body.error().code),
                  "The upstream provider's response could not be read.");
    co_return;
  }
  const Dialect upstream = deployment.provider->dialect;
  const bool passthrough = upstream == call.caller && !call.guard;
  // Same dialect and unguarded, the upstream's bytes go out untouched, so a SAX pass that
  // validates them and reads the usage is all they need; anything else is edited as a DOM.
  boost::system::error_code ec;
  json::monotonic_resource arena;
  json::value parsed;
  std::optional<providers::TokenUsage> usage;
  if (passthrough) {
    usage = providers::scanResponseUsage(upstream, *body);
  } else if (parsed = json::parse(*body, ec, &arena); !ec && parsed.is_object()) {
    usage = providers::usageFromResponse(upstream, parsed.as_object());
  }
  if (!usage) {
    log::warn("upstream_invalid_json",
              {{"request_id", call.record.request_id}, {"deployment", deployment.label}});
    co_await fail(writer, call, 502, "The upstream provider returned an invalid response.");
    co_return;
  }
  call.record.input_tokens = usage->input_tokens;
  call.record.output_tokens = usage->output_tokens;

  http::Response out;
  out.headers = relayHeaders(response);
  if (passthrough) {
    out.body = std::move(*body);
  } else if (upstream == call.caller) {
    if (auto block = guardResponse(parsed.as_object(), call.caller, *call.guard,
                                   *call.pseudonymizer, call.outcomes)) {
      co_await failGuarded(writer, call, *block, "output");
      co_return;
    }
    out.body = json::serialize(parsed);
  } else {
    const providers::ResponseOptions options{call.record.model, clock_.nowMillis() / 1000,
                                             call.json_schema_tool};
    auto translated =
        call.caller == Dialect::kOpenAI
            ? providers::openaiResponseFromAnthropic(parsed.as_object(), options)
            : providers::anthropicResponseFromOpenAI(parsed.as_object(), call.record.model);
    if (!translated) {
      co_await fail(writer, call, 502, "The upstream provider returned an unexpected response.");
      co_return;
    }
    if (call.guard) {
      if (auto block = guardResponse(*translated, call.caller, *call.guard, *call.pseudonymizer,
                                     call.outcomes)) {
        co_await failGuarded(writer, call, *block, "output");
        co_return;
      }
    }
    out.body = json::serialize(*translated);
  }
  if (call.history) {
    call.history->response = SecretString(out.body.substr(0, kMaxHistoryResponseBytes));
  }
  const bool delivered = co_await writer.send(std::move(out));
  finish(call, delivered ? 200 : 499, delivered ? "" : errorTypeFor(499));
}

Task<void> GatewayHandler::relayStream(http::ClientResponse response, http::ResponseWriter& writer,
                                       const Deployment& deployment, bool include_usage,
                                       Call& call) {
  if (response.header("content-type").find("text/event-stream") == std::string_view::npos) {
    co_await fail(writer, call, 502, "The upstream provider did not stream its response.");
    co_return;
  }
  const providers::StreamOptions options{call.record.model, include_usage,
                                         clock_.nowMillis() / 1000, call.json_schema_tool};
  auto translator =
      providers::makeStreamTranslator(deployment.provider->dialect, call.caller, options);
  providers::SseParser parser(kMaxSseEvent);
  std::string out;
  int status = 200;
  std::string_view error_type;
  std::optional<StreamGuard> guard;
  if (call.guard) {
    guard.emplace(call.caller, *call.guard, *call.pseudonymizer, guardrails_.streamWindowBytes());
  }
  // Runs the output guardrails over `out` in place; true when a rule ended the stream.
  std::string guarded;
  const auto guardOutput = [&](std::string& bytes) {
    if (!guard) {
      return false;
    }
    guarded.clear();
    auto block = guard->process(bytes, guarded);
    bytes.swap(guarded);
    if (block) {
      status = 400;
      error_type = "guardrail_blocked";
      log::warn("guardrail_blocked", {{"request_id", call.record.request_id},
                                      {"key_id", call.record.key_id},
                                      {"detector", block->detector},
                                      {"direction", "output"}});
      auditGuardBlock(call, block->detector, "output");
    }
    return block.has_value();
  };
  // What the caller receives, for content history (capped; wiped with the entry).
  std::string history_response;
  const auto keepForHistory = [&](std::string_view bytes) {
    if (call.history && history_response.size() < kMaxHistoryResponseBytes) {
      history_response.append(bytes.substr(
          0, std::min(bytes.size(), kMaxHistoryResponseBytes - history_response.size())));
    }
  };

  // From here on bytes reach the caller, so nothing is retried.
  bool client_present = co_await writer.beginStream(200, relayHeaders(response));
  while (client_present) {
    if (!response.bodyBuffered()) {
      // About to wait on the upstream: the caller gets the header now, not with the events.
      client_present = co_await writer.flush();
      if (!client_present) {
        break;
      }
    }
    auto piece = co_await response.readSome(deployment.timeout);
    if (!piece) {
      status = httpStatus(piece.error().code);
      error_type = errorTypeFor(status);
      out = providers::streamErrorEvent(call.caller, status,
                                        status == 504 ? "The upstream provider stopped responding."
                                                      : "The upstream provider's stream failed.");
      log::warn("upstream_stream_failed", {{"request_id", call.record.request_id},
                                           {"deployment", deployment.label},
                                           {"error", piece.error().message}});
      break;  // `out` goes with the stream's end.
    }
    out.clear();
    if (!piece->empty()) {
      out.reserve(piece->size() + 256);  // Relayed events are about as long as they came.
      bool upstream_error = false;
      const bool parsed = parser.feedEach(*piece, [&](const providers::SseEvent& event) {
        if (upstream_error) {
          return;  // Nothing after an error is relayed.
        }
        const std::size_t before = out.size();
        if (auto r = translator->onEvent(event, out); !r) {
          upstream_error = true;
          if (out.size() == before) {
            // Not a relayed upstream error event but one the translator could not read.
            out += providers::streamErrorEvent(call.caller, 502,
                                               "The upstream provider sent a malformed event.");
          }
        }
      });
      if (!parsed) {
        upstream_error = true;
        out += providers::streamErrorEvent(call.caller, 502,
                                           "The upstream provider's stream was malformed.");
      }
      if (upstream_error) {
        status = 502;
        error_type = errorTypeFor(502);
        break;
      }
      if (guardOutput(out)) {
        break;  // Dropping the response cancels the upstream's generation.
      }
      if (!response.complete()) {
        keepForHistory(out);
        client_present = co_await writer.writeChunk(out);
        continue;
      }
      // The body ended with this piece: its events and the stream's end go out together.
    }
    std::string tail;
    if (translator->sawEnd()) {
      translator->finish(tail);
      guardOutput(tail);
    } else {
      // Cut off before its terminal event: say so rather than end as if complete.
      status = 502;
      error_type = errorTypeFor(502);
      tail = providers::streamErrorEvent(call.caller, 502,
                                         "The upstream provider's stream ended early.");
    }
    out += tail;
    break;
  }
  if (client_present) {
    keepForHistory(out);
    client_present = co_await writer.endStream(out);
  }
  if (guard) {
    guard->addOutcomesTo(call.outcomes);
  }
  const auto usage = translator->usage();
  call.record.input_tokens = usage.input_tokens;
  call.record.output_tokens = usage.output_tokens;
  if (call.history) {
    call.history->response = SecretString(std::move(history_response));
  }
  if (!client_present) {
    // The caller went away: returning drops `response`, which closes the upstream connection
    // and so cancels the generation.
    log::info("client_disconnected", {{"request_id", call.record.request_id}});
    status = 499;
    error_type = errorTypeFor(499);
  }
  finish(call, status, error_type);
}

Task<void> GatewayHandler::serveEmbeddings(const http::Request& request,
                                           http::ResponseWriter& writer, Call& call) {
  json::monotonic_resource arena;
  auto parsed = parseRequestBody(request.body(), &arena);
  if (!parsed) {
    co_await fail(writer, call, 400, parsed.error().message);
    co_return;
  }
  call.record.model = parsed->model;
  if (!parsed->object.contains("input")) {
    co_await fail(writer, call, 400, "Missing required parameter: 'input'.");
    co_return;
  }
  if (call.guard) {
    if (auto block =
            guardEmbeddingsInput(parsed->object, *call.guard, *call.pseudonymizer, call.outcomes)) {
      co_await failGuarded(writer, call, *block, "input");
      co_return;
    }
  }
  // A model outside the key's scopes looks exactly like one that does not exist.
  const auto plan = call.identity->allowsModel(parsed->model)
                        ? routerFor(call).plan(parsed->model, random_)
                        : std::vector<const Deployment*>();
  if (plan.empty()) {
    co_await fail(
        writer, call, 404,
        "The model '" + parsed->model + "' does not exist or you do not have access to it.");
    co_return;
  }
  UpstreamFailure failure{
      ErrorCode::kUpstreamError, 0, "No deployment could serve the request.", {}};
  bool any_embeddings = false;
  for (const Deployment* deployment : plan) {
    if (deployment->provider->embeddings_target.empty()) {
      continue;
    }
    any_embeddings = true;
    json::object& upstream = parsed->object;
    upstream["model"] = deployment->upstream_model;
    call.record.provider = deployment->provider->name;
    call.record.deployment = deployment->label;
    call.record.upstream_model = deployment->upstream_model;
    auto response = co_await sendWithRetries(*deployment, deployment->provider->embeddings_target,
                                             json::serialize(upstream), call, failure);
    if (response) {
      co_await relayWhole(std::move(*response), writer, *deployment, call);
      co_return;
    }
    if (failure.code == ErrorCode::kInvalidRequest) {
      break;
    }
  }
  if (!any_embeddings) {
    co_await fail(writer, call, 400,
                  "The model '" + parsed->model + "' does not support embeddings.");
    co_return;
  }
  co_await failUpstream(writer, call, failure);
}

}  // namespace gatehouse::gateway
