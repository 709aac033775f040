#pragma once

#include "guard.h"
#include "router.h"

#include <gatehouse/audit/audit_writer.h>
#include <gatehouse/auth/key_store.h>
#include <gatehouse/gateway/content_history.h>
#include <gatehouse/gateway/gateway.h>
#include <gatehouse/http/client.h>
#include <gatehouse/providers/dialect.h>
#include <gatehouse/usage/usage.h>

#include <boost/json/object.hpp>

#include <chrono>
#include <string>

namespace gatehouse::gateway {

/// Everything known about one authenticated /v1 call; becomes its usage record.
struct Call {
  providers::Dialect caller = providers::Dialect::kOpenAI;
  std::chrono::steady_clock::time_point started;
  std::string source_ip;
  usage::UsageRecord record;
  /// The verified caller key: its organisation, project and allowed models.
  std::shared_ptr<const auth::CallerIdentity> identity;
  /// The caller's organisation's own routes (null: the instance's), held for the request.
  std::shared_ptr<const Router> org_router;
  /// Set when an OpenAI caller's response_format became a forced tool on an Anthropic upstream.
  std::string json_schema_tool;
  /// The caller key's guardrail policy (null: unguarded), and the request's placeholders.
  const guardrails::Engine* guard = nullptr;
  std::unique_ptr<guardrails::Pseudonymizer> pseudonymizer;
  GuardOutcomes outcomes;
  /// Set when the organisation keeps content history: what the caller sent and received.
  std::unique_ptr<ContentHistoryEntry> history;
};

/// The most of a response kept in content history.
inline constexpr std::size_t kMaxHistoryResponseBytes = 1024 * 1024;

/// Why the last upstream attempt failed, kept to answer the caller once every attempt is spent.
struct UpstreamFailure {
  ErrorCode code = ErrorCode::kUpstreamError;
  int upstream_status = 0;  ///< 0 when no HTTP response arrived.
  std::string message;      ///< Safe for the caller.
  std::vector<http::Header> relay_headers;
};

class GatewayHandler final : public http::Handler {
 public:
  explicit GatewayHandler(const GatewayDependencies& dependencies);

  Task<void> handle(const http::Request& request, http::ResponseWriter& writer) override;
  http::Response rejection(std::string_view target, int status,
                           std::string_view message) const override;

 private:
  Task<void> serveCompletion(const http::Request& request, http::ResponseWriter& writer,
                             Call& call);
  Task<void> serveEmbeddings(const http::Request& request, http::ResponseWriter& writer,
                             Call& call);
  http::Response models(const http::Request& request, const Call& call) const;
  /// The router for this call: its organisation's, or the instance's.
  const Router& routerFor(const Call& call) const {
    return call.org_router ? *call.org_router : router_;
  }

  /// Sends `body` to the deployment, retrying per the routing policy. On success the response
  /// is returned with its status 2xx; otherwise `failure` says what went wrong and whether the
  /// caller should get the upstream's own 4xx (failure.code == kInvalidRequest).
  Task<std::optional<http::ClientResponse>> sendWithRetries(const Deployment& deployment,
                                                            const std::string& target,
                                                            const std::string& body, Call& call,
                                                            UpstreamFailure& failure);

  Task<void> relayStream(http::ClientResponse response, http::ResponseWriter& writer,
                         const Deployment& deployment, bool include_usage, Call& call);
  Task<void> relayWhole(http::ClientResponse response, http::ResponseWriter& writer,
                        const Deployment& deployment, Call& call);

  Task<void> fail(http::ResponseWriter& writer, Call& call, int status, std::string_view message,
                  std::vector<http::Header> headers = {});
  /// Answers a guardrail block (400, naming the rule) and logs it.
  Task<void> failGuarded(http::ResponseWriter& writer, Call& call, const GuardBlock& block,
                         std::string_view direction);
  /// The audit entry for a guardrail block: what and where, never the matched text.
  void auditGuardBlock(const Call& call, std::string_view detector, std::string_view direction);
  Task<void> failUpstream(http::ResponseWriter& writer, Call& call, const UpstreamFailure& failure);
  void finish(Call& call, int status, std::string_view error_type);

  std::chrono::milliseconds backoff(std::uint32_t attempt, std::string_view retry_after);

  const config::Config& config_;
  const auth::KeyVerifier& keys_;
  const ProviderKeyStore& provider_keys_;
  const OrgRoutes& org_routes_;
  const GuardrailPolicies& guardrails_;
  usage::UsageSink& usage_;
  audit::AuditSink& audit_;
  ContentHistorySink& history_;
  audit::FailureBursts auth_failures_;
  const Clock& clock_;
  crypto::RandomSource& random_;
  const std::atomic<bool>& ready_;
  Router router_;
  http::Client client_;
};

/// The caller's key from `Authorization: Bearer ...` or `x-api-key` (the Anthropic SDK's).
std::string_view presentedKey(const http::Request& request);

/// The error type recorded in usage for a status.
std::string_view errorTypeFor(int status);

}  // namespace gatehouse::gateway
