// Request dispatch: health endpoints, authentication, and the routes of the /v1 API.

#include "gateway_impl.h"

#include <gatehouse/common/json_escape.h>
#include <gatehouse/common/log.h>
#include <gatehouse/gateway/org_routes.h>

namespace gatehouse::gateway {
namespace {

using providers::Dialect;

// Failed caller authentications from one address that make one audit entry.
constexpr int kAuthFailureBurstThreshold = 20;
constexpr std::chrono::milliseconds kAuthFailureBurstWindow{60'000};

http::Response jsonResponse(int status, std::string body) {
  http::Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

const char* rejectionName(auth::KeyRejection rejection) {
  switch (rejection) {
    case auth::KeyRejection::kMissing:
      return "missing";
    case auth::KeyRejection::kMalformed:
      return "malformed";
    case auth::KeyRejection::kUnknownOrRevoked:
      return "unknown_or_revoked";
    case auth::KeyRejection::kWrongSecret:
      return "wrong_secret";
    case auth::KeyRejection::kExpired:
      return "expired";
  }
  return "unknown";
}

}  // namespace

std::string_view presentedKey(const http::Request& request) {
  std::string_view authorization = request.header("authorization");
  if (!authorization.empty()) {
    constexpr std::string_view kBearer = "Bearer ";
    if (authorization.size() > kBearer.size() &&
        http::equalsIgnoreCase(authorization.substr(0, kBearer.size()), kBearer)) {
      authorization.remove_prefix(kBearer.size());
      while (!authorization.empty() && authorization.front() == ' ') {
        authorization.remove_prefix(1);
      }
      return authorization;
    }
    return {};
  }
  return request.header("x-api-key");
}

std::string_view errorTypeFor(int status) {
  switch (status) {
    case 400:
      return "invalid_request";
    case 401:
      return "authentication";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 413:
      return "too_large";
    case 429:
      return "rate_limited";
    case 499:
      return "client_closed";
    case 502:
      return "upstream_error";
    case 503:
      return "unavailable";
    case 504:
      return "upstream_timeout";
    default:
      return status >= 400 ? "error" : "";
  }
}

GatewayHandler::GatewayHandler(const GatewayDependencies& dependencies)
    : config_(dependencies.config),
      keys_(dependencies.keys),
      provider_keys_(dependencies.provider_keys),
      org_routes_(dependencies.org_routes),
      guardrails_(dependencies.guardrails),
      usage_(dependencies.usage),
      audit_(dependencies.audit),
      history_(dependencies.history),
      auth_failures_(kAuthFailureBurstThreshold, kAuthFailureBurstWindow),
      clock_(dependencies.clock),
      random_(dependencies.random),
      ready_(dependencies.ready),
      router_(dependencies.config),
      client_(http::ClientOptions{}) {}

http::Response GatewayHandler::rejection(std::string_view target, int status,
                                         std::string_view message) const {
  const Dialect dialect =
      target.starts_with("/v1/messages") ? Dialect::kAnthropic : Dialect::kOpenAI;
  return jsonResponse(status, providers::errorBody(dialect, status, message));
}

Task<void> GatewayHandler::handle(const http::Request& request, http::ResponseWriter& writer) {
  const std::string_view path = request.path();
  const std::string_view method = request.method();

  if (path == "/healthz" || path == "/readyz") {
    const bool ok = path == "/healthz" || ready_.load();
    co_await writer.send(
        jsonResponse(ok ? 200 : 503, ok ? R"({"status":"ok"})" : R"({"status":"unavailable"})"));
    co_return;
  }

  Call call;
  call.caller = path == "/v1/messages" ? Dialect::kAnthropic : Dialect::kOpenAI;
  call.started = std::chrono::steady_clock::now();
  call.record.request_id = std::string(request.requestId());
  call.source_ip = std::string(request.remoteAddress());
  call.record.endpoint = std::string(path);
  call.record.created_at = clock_.nowMillis();

  if (!path.starts_with("/v1/")) {
    co_await writer.send(rejection(path, 404, "Unknown path. Gatehouse serves the /v1 API."));
    co_return;
  }

  // Every /v1 call is authenticated before anything else about it is looked at, and every
  // refusal gets the same body: it must not tell a guesser which part of a key was wrong.
  auto verdict = keys_.verify(presentedKey(request));
  if (const auto* rejected = std::get_if<auth::KeyRejection>(&verdict)) {
    log::info("auth_failed", {{"request_id", request.requestId()},
                              {"reason", rejectionName(*rejected)},
                              {"remote", request.remoteAddress()}});
    if (auth_failures_.recordFailure(request.remoteAddress(), clock_.nowMillis())) {
      audit::AuditEvent event;
      event.actor = "anonymous";
      event.action = "auth.failed_burst";
      event.outcome = "denied";
      event.source_ip = std::string(request.remoteAddress());
      event.request_id = std::string(request.requestId());
      event.detail = R"({"surface":"data_plane","failures":)" +
                     std::to_string(auth_failures_.threshold()) + R"(,"window_ms":)" +
                     std::to_string(auth_failures_.windowMs()) + "}";
      audit_.record(std::move(event));
    }
    co_await writer.send(rejection(path, 401, "Invalid or missing API key."));
    co_return;
  }
  call.identity = std::move(std::get<std::shared_ptr<const auth::CallerIdentity>>(verdict));
  call.record.key_id = call.identity->key_id;
  call.record.org_id = call.identity->org_id;
  call.record.project_id = call.identity->project_id;
  OrgRoutes::OrgView org = org_routes_.forOrg(call.identity->org_id);
  call.org_router = std::move(org.router);
  if (org.content_history && request.method() == "POST") {
    call.history = std::make_unique<ContentHistoryEntry>();
    call.history->org_id = call.identity->org_id;
    call.history->project_id = call.identity->project_id;
    call.history->request_id = call.record.request_id;
    call.history->created_at = call.record.created_at;
    call.history->request = SecretString(std::string(request.body()));
  }
  call.guard = guardrails_.forKey(call.record.key_id);
  if (call.guard) {
    call.pseudonymizer = std::make_unique<guardrails::Pseudonymizer>();
  }

  const bool is_post = method == "POST";
  if (path == "/v1/chat/completions" || path == "/v1/messages") {
    if (is_post) {
      co_await serveCompletion(request, writer, call);
      co_return;
    }
  } else if (path == "/v1/embeddings") {
    if (is_post) {
      co_await serveEmbeddings(request, writer, call);
      co_return;
    }
  } else if (path == "/v1/models") {
    if (method == "GET") {
      co_await writer.send(models(request, call));
      co_return;
    }
  } else {
    co_await writer.send(rejection(path, 404, "Unknown endpoint."));
    co_return;
  }
  co_await writer.send(rejection(path, 405, "Method not allowed for this endpoint."));
}

http::Response GatewayHandler::models(const http::Request& request, const Call& call) const {
  // The Anthropic SDK lists models with its own shape; it always sends anthropic-version.
  const bool anthropic = !request.header("anthropic-version").empty();
  std::string body = anthropic ? R"({"data":[)" : R"({"object":"list","data":[)";
  // Only the models this key may use.
  std::vector<std::string> names;
  for (const auto& name : routerFor(call).modelNames()) {
    if (call.identity->allowsModel(name)) {
      names.push_back(name);
    }
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    body += i ? ",{" : "{";
    if (anthropic) {
      body += R"("type":"model","id":")";
      appendJsonEscaped(body, names[i]);
      body += R"(","display_name":")";
      appendJsonEscaped(body, names[i]);
      body += R"(","created_at":"1970-01-01T00:00:00Z"})";
    } else {
      body += R"("id":")";
      appendJsonEscaped(body, names[i]);
      body += R"(","object":"model","created":0,"owned_by":"gatehouse"})";
    }
  }
  body += "]";
  if (anthropic) {
    const auto quoted = [](const std::string& name) {
      std::string out = "\"";
      appendJsonEscaped(out, name);
      return out + "\"";
    };
    body += R"(,"has_more":false,"first_id":)";
    body += names.empty() ? "null" : quoted(names.front());
    body += R"(,"last_id":)";
    body += names.empty() ? "null" : quoted(names.back());
  }
  body += "}";
  return jsonResponse(200, std::move(body));
}

void GatewayHandler::finish(Call& call, int status, std::string_view error_type) {
  // Only answered requests are kept: a refused one (a guardrail block above all) must not
  // have its content stored after all.
  if (call.history && status < 400) {
    history_.record(std::move(*call.history));
  }
  call.history.reset();
  call.record.guardrails = call.outcomes.summary();
  call.record.status = status;
  call.record.error_type = std::string(error_type);
  call.record.latency_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - call.started)
                               .count();
  usage_.record(std::move(call.record));
}

Task<void> GatewayHandler::fail(http::ResponseWriter& writer, Call& call, int status,
                                std::string_view message, std::vector<http::Header> headers) {
  http::Response response =
      jsonResponse(status, providers::errorBody(call.caller, status, message));
  response.headers = std::move(headers);
  const bool delivered = co_await writer.send(std::move(response));
  finish(call, delivered ? status : 499, errorTypeFor(status));
}

Task<void> GatewayHandler::failGuarded(http::ResponseWriter& writer, Call& call,
                                       const GuardBlock& block, std::string_view direction) {
  log::warn("guardrail_blocked", {{"request_id", call.record.request_id},
                                  {"key_id", call.record.key_id},
                                  {"detector", block.detector},
                                  {"direction", direction}});
  auditGuardBlock(call, block.detector, direction);
  co_await fail(writer, call, 400, block.message);
}

void GatewayHandler::auditGuardBlock(const Call& call, std::string_view detector,
                                     std::string_view direction) {
  audit::AuditEvent event;
  event.org_id = call.record.org_id;
  event.actor = "caller_key:" + call.record.key_id;
  event.action = "guardrail.block";
  event.target = call.record.key_id;
  event.outcome = "denied";
  event.source_ip = call.source_ip;
  event.request_id = call.record.request_id;
  event.detail = R"({"detector":")";
  appendJsonEscaped(event.detail, detector);
  event.detail += R"(","direction":")";
  appendJsonEscaped(event.detail, direction);
  event.detail += R"(","endpoint":")";
  appendJsonEscaped(event.detail, call.record.endpoint);
  event.detail += R"("})";
  audit_.record(std::move(event));
}

std::shared_ptr<http::Handler> makeGateway(const GatewayDependencies& dependencies) {
  return std::make_shared<GatewayHandler>(dependencies);
}

}  // namespace gatehouse::gateway
