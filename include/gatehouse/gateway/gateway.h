#pragma once

#include <gatehouse/common/clock.h>
#include <gatehouse/config/config.h>
#include <gatehouse/crypto/random.h>
#include <gatehouse/gateway/guardrail_policies.h>
#include <gatehouse/gateway/provider_keys.h>
#include <gatehouse/http/types.h>

#include <atomic>
#include <memory>

namespace gatehouse::auth {
class KeyVerifier;
}
namespace gatehouse::usage {
class UsageSink;
}
namespace gatehouse::audit {
class AuditSink;
}

namespace gatehouse::gateway {

class OrgRoutes;
class ContentHistorySink;

/// What the gateway needs from the rest of the process. Everything is borrowed and must
/// outlive the handler.
struct GatewayDependencies {
  const config::Config& config;
  const auth::KeyVerifier& keys;
  const ProviderKeyStore& provider_keys;
  const OrgRoutes& org_routes;  ///< Organisations' own providers and models.
  const GuardrailPolicies& guardrails;
  usage::UsageSink& usage;
  audit::AuditSink& audit;      ///< Guardrail blocks and bursts of failed authentication.
  ContentHistorySink& history;  ///< Content of organisations that opted in.
  const Clock& clock;
  crypto::RandomSource& random;
  const std::atomic<bool>& ready;  ///< /readyz answers 200 only while this is true.
};

/// The data plane: /v1/chat/completions, /v1/messages, /v1/embeddings, /v1/models, and the
/// health endpoints. Throws at start-up when the configuration cannot be served (a bad
/// provider base URL).
std::shared_ptr<http::Handler> makeGateway(const GatewayDependencies& dependencies);

}  // namespace gatehouse::gateway
