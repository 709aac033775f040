#pragma once

#include <gatehouse/common/clock.h>
#include <gatehouse/common/result.h>
#include <gatehouse/common/secret.h>
#include <gatehouse/crypto/random.h>
#include <gatehouse/tenancy/tenant_store.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace gatehouse::store {
class Database;
}
namespace gatehouse::keyring {
class Keyring;
}
namespace gatehouse::audit {
class AuditLog;
}
namespace gatehouse::http {
class EgressGuard;
class Handler;
}  // namespace gatehouse::http

namespace gatehouse::admin {

/// Who is acting on the admin service.
struct Principal {
  enum class Kind {
    kOperator,    ///< The CLI, run by whoever owns the data directory.
    kSuperAdmin,  ///< An instance-wide admin key.
    kOrgKey,      ///< An admin key bound to one organisation and a role.
  };
  Kind kind = Kind::kOrgKey;
  std::string key_id;
  std::string org_id;  ///< kOrgKey only.
  tenancy::Role role = tenancy::Role::kViewer;

  static Principal operatorCli() {
    return Principal{Kind::kOperator, "", "", tenancy::Role::kOwner};
  }
  /// "cli", or "admin_key:<id>": what the audit trail records as the actor.
  std::string actor() const;
  bool instanceWide() const { return kind != Kind::kOrgKey; }
};

/// One call on the admin service, as the REST API and the CLI both make it.
struct ApiRequest {
  std::string method;  ///< GET, POST, PATCH, PUT, DELETE.
  std::string path;    ///< e.g. "/admin/v1/orgs/org_x/projects".
  std::string query;   ///< Without the '?'.
  std::string body;    ///< JSON, or empty.
  std::string source_ip;
  std::string request_id;
};

struct ApiReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

/// Everything the admin service borrows; all of it must outlive the service.
struct AdminDependencies {
  store::Database& db;  ///< Used only under the service's mutex.
  keyring::Keyring& keyring;
  const audit::AuditLog& audit;
  const SecretString& pepper;
  const http::EgressGuard& egress;
  std::vector<std::string> instance_providers;  ///< Provider names from the configuration.
  const Clock& clock;
  crypto::RandomSource& random;
  std::int64_t default_rotation_overlap_ms = 24 * 3600 * 1000;
};

/// The admin service: organisations, projects, members and roles, caller keys, admin keys,
/// provider keys, providers and models per organisation, usage and audit. The REST API
/// (/admin/v1) and the CLI both call handle(), so they share validation, role checks,
/// tenant scoping and auditing, and return the same JSON. Thread-safe: calls are serialised
/// on one connection (admin traffic is rare; the data plane never waits on it).
class AdminApi {
 public:
  explicit AdminApi(AdminDependencies dependencies);
  ~AdminApi();

  /// Checks `Authorization: Bearer gha_...` against the database on every request, so a
  /// revoked key or a changed role applies at once. The reply is a uniform 401 otherwise;
  /// failures are audited when they come in bursts from one address.
  std::variant<Principal, ApiReply> authenticate(std::string_view presented_key,
                                                 const ApiRequest& request);

  ApiReply handle(const Principal& principal, const ApiRequest& request);

  /// On the first start (no admin key exists) creates a super-admin key and returns it, to be
  /// printed once; nullopt afterwards.
  Result<std::optional<SecretString>> bootstrap();

 private:
  class Impl;
  std::mutex mutex_;
  std::unique_ptr<Impl> impl_;  // Used under mutex_.
};

/// The OpenAPI 3.1 document for /admin/v1.
std::string_view openApiDocument();

/// The HTTP front: /admin/v1/... goes to `admin` (JSON errors
/// `{"error":{"type","message"}}`), everything else to `data_plane`.
std::shared_ptr<http::Handler> makeAdminRouter(AdminApi& admin,
                                               std::shared_ptr<http::Handler> data_plane);

}  // namespace gatehouse::admin
