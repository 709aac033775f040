// The admin service: one entry point (handle) for the REST API and the CLI. Each route
// resolves the organisation first (another tenant's id is a 404, whoever asks), then checks
// the principal's role, validates, does the work and its audit entry in one transaction.

#include "json_util.h"

#include <gatehouse/admin/admin_api.h>
#include <gatehouse/audit/audit.h>
#include <gatehouse/audit/audit_writer.h>
#include <gatehouse/auth/api_key.h>
#include <gatehouse/common/log.h>
#include <gatehouse/http/client.h>
#include <gatehouse/http/egress.h>
#include <gatehouse/keyring/keyring.h>
#include <gatehouse/store/database.h>
#include <gatehouse/usage/usage.h>

#include <boost/json.hpp>

#include <sstream>

namespace gatehouse::admin {
namespace {

namespace json = boost::json;
using tenancy::OrgScope;
using tenancy::Role;

constexpr std::size_t kMaxNameLength = 200;
constexpr std::size_t kMaxProviderKeyLength = 4096;
constexpr int kFailureBurstThreshold = 10;
constexpr std::int64_t kMaxKeyLifetimeSeconds = 10LL * 366 * 24 * 3600;  // Ten years.
constexpr std::int64_t kMaxRotationOverlapSeconds = 366LL * 24 * 3600;   // A year.
constexpr std::chrono::milliseconds kFailureBurstWindow{60'000};

ApiReply errorReply(int status, std::string_view message) {
  std::string type;
  switch (status) {
    case 400:
      type = "invalid_request_error";
      break;
    case 401:
      type = "authentication_error";
      break;
    case 403:
      type = "permission_error";
      break;
    case 404:
      type = "not_found_error";
      break;
    case 405:
      type = "method_not_allowed";
      break;
    case 409:
      type = "conflict_error";
      break;
    default:
      type = "api_error";
  }
  json::object error{{"type", type}, {"message", message}};
  return ApiReply{status, "application/json", json::serialize(json::object{{"error", error}})};
}

ApiReply errorReply(const Error& error) {
  if (error.code == ErrorCode::kInternal) {
    // Internal details (SQLite messages) go to the log, not to the caller.
    log::error("admin_internal_error", {{"error", error.message}});
    return errorReply(500, "internal error");
  }
  return errorReply(httpStatus(error.code), error.message);
}

ApiReply jsonReply(int status, const json::value& value) {
  return ApiReply{status, "application/json", json::serialize(value)};
}

json::value optionalInt(const std::optional<std::int64_t>& value) {
  return value ? json::value(*value) : json::value(nullptr);
}

json::object organizationJson(const tenancy::Organization& org) {
  return {{"id", org.id},
          {"name", org.name},
          {"created_at", org.created_at},
          {"audit_retention_days", org.audit_retention_days},
          {"usage_retention_days", org.usage_retention_days},
          {"content_history", org.content_history}};
}

json::object projectJson(const tenancy::Project& project) {
  return {{"id", project.id},
          {"org_id", project.org_id},
          {"name", project.name},
          {"created_at", project.created_at}};
}

json::object memberJson(const tenancy::Member& member) {
  return {{"user_id", member.user_id},
          {"email", member.email},
          {"name", member.name},
          {"role", tenancy::roleName(member.role)},
          {"created_at", member.created_at}};
}

json::object callerKeyJson(const tenancy::CallerKey& key) {
  json::array scopes;
  for (const auto& scope : key.scopes) {
    scopes.emplace_back(scope);
  }
  return {{"id", key.id},
          {"org_id", key.org_id},
          {"project_id", key.project_id},
          {"name", key.name},
          {"scopes", std::move(scopes)},
          {"created_at", key.created_at},
          {"expires_at", optionalInt(key.expires_at)},
          {"revoked_at", optionalInt(key.revoked_at)},
          {"rotated_to", key.rotated_to ? json::value(*key.rotated_to) : json::value(nullptr)}};
}

json::object adminKeyJson(const tenancy::AdminKey& key) {
  return {{"id", key.id},
          {"org_id", key.org_id.empty() ? json::value(nullptr) : json::value(key.org_id)},
          {"role", key.role},
          {"name", key.name},
          {"created_at", key.created_at},
          {"revoked_at", optionalInt(key.revoked_at)}};
}

json::object providerKeyJson(const tenancy::ProviderKey& key) {
  // Never the key: its last four characters are all anyone gets back.
  return {
      {"id", key.id},
      {"org_id", key.org_id},
      {"project_id", key.project_id.empty() ? json::value(nullptr) : json::value(key.project_id)},
      {"provider", key.provider},
      {"name", key.name},
      {"last_four", key.last_four},
      {"created_at", key.created_at}};
}

json::object providerJson(const tenancy::OrgProvider& provider) {
  return {{"id", provider.id},
          {"org_id", provider.org_id},
          {"name", provider.name},
          {"type", provider.type},
          {"base_url", provider.base_url},
          {"created_at", provider.created_at}};
}

json::object modelJson(const tenancy::OrgModel& model) {
  boost::system::error_code ec;
  json::value deployments = json::parse(model.deployments, ec);
  if (ec) {
    deployments = json::array();  // Written by this service; unreadable only if tampered with.
  }
  return {{"id", model.id},
          {"org_id", model.org_id},
          {"name", model.name},
          {"deployments", std::move(deployments)},
          {"created_at", model.created_at}};
}

json::object auditEntryJson(const audit::AuditEntry& entry) {
  json::value detail;
  boost::system::error_code ec;
  detail = json::parse(entry.event.detail, ec);
  if (ec) {
    detail = entry.event.detail;
  }
  return {{"id", entry.id},
          {"seq", entry.seq},
          {"created_at", entry.created_at},
          {"org_id", entry.event.org_id},
          {"actor", entry.event.actor},
          {"action", entry.event.action},
          {"target", entry.event.target},
          {"outcome", entry.event.outcome},
          {"source_ip", entry.event.source_ip},
          {"request_id", entry.event.request_id},
          {"detail", std::move(detail)},
          {"prev_hash", entry.prev_hash_hex},
          {"hash", entry.hash_hex}};
}

template <class T, class ToJson>
json::object listJson(const std::vector<T>& items, ToJson toJson) {
  json::array data;
  for (const auto& item : items) {
    data.emplace_back(toJson(item));
  }
  return {{"object", "list"}, {"data", std::move(data)}};
}

std::vector<std::string_view> splitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const auto segment = path.substr(0, slash);
    if (!segment.empty()) {
      segments.push_back(segment);
    }
    if (slash == std::string_view::npos) {
      break;
    }
    path.remove_prefix(slash + 1);
  }
  return segments;
}

std::string queryParameter(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return eq == std::string_view::npos ? std::string() : std::string(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) {
      break;
    }
    query.remove_prefix(amp + 1);
  }
  return {};
}

std::string keyHash(const crypto::Sha256Digest& digest) {
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

bool validName(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameLength;
}

}  // namespace

std::string Principal::actor() const {
  switch (kind) {
    case Kind::kOperator:
      return "cli";
    case Kind::kSuperAdmin:
    case Kind::kOrgKey:
      return "admin_key:" + key_id;
  }
  return "unknown";
}

// ---------------------------------------------------------------------------------------------

class AdminApi::Impl {
 public:
  explicit Impl(AdminDependencies dependencies)
      : d_(std::move(dependencies)), store_(d_.db, d_.random) {}

  std::variant<Principal, ApiReply> authenticate(std::string_view presented,
                                                 const ApiRequest& request);
  ApiReply handle(const Principal& principal, const ApiRequest& request);
  Result<std::optional<SecretString>> bootstrap();

 private:
  // One request in flight: who, what, and where to audit it.
  struct Call {
    const Principal& principal;
    const ApiRequest& request;
    audit::AuditEvent event(std::string_view org_id, std::string_view action,
                            std::string_view target, std::string_view outcome = "success",
                            std::string detail = "{}") const {
      audit::AuditEvent e;
      e.org_id = std::string(org_id);
      e.actor = principal.actor();
      e.action = std::string(action);
      e.target = std::string(target);
      e.outcome = std::string(outcome);
      e.source_ip = request.source_ip;
      e.request_id = request.request_id;
      e.detail = std::move(detail);
      return e;
    }
  };

  ApiReply route(const Call& call, const std::vector<std::string_view>& path);
  ApiReply routeOrg(const Call& call, const OrgScope& scope,
                    const std::vector<std::string_view>& path);

  /// 403 unless the principal holds `minimum` in the scope's organisation (instance-wide
  /// principals hold every role). A refused change is audited.
  std::optional<ApiReply> require(const Call& call, const OrgScope& scope, Role minimum,
                                  std::string_view action);

  /// Records a refused change (outside any transaction: the refusal must stay on record).
  void auditDenied(const Call& call, std::string_view org_id, std::string_view action);

  /// An admin's deletion of the object `id`: role check, `remove`, 404 when there was nothing
  /// to delete, and the `action` audit entry, in one transaction.
  template <class Remove>
  ApiReply deleteObject(const Call& call, const OrgScope& scope, std::string_view id,
                        std::string_view action, std::string_view not_found, Remove remove);

  /// Runs `work` and the audit entry it returns in one transaction.
  template <class Work>
  ApiReply transact(Work work);

  // Organisations.
  ApiReply createOrganization(const Call& call, const json::object& body);
  ApiReply updateOrganization(const Call& call, const OrgScope& scope, const json::object& body);
  ApiReply deleteOrganization(const Call& call, const OrgScope& scope);
  // Per-organisation collections.
  ApiReply projects(const Call& call, const OrgScope& scope, std::span<const std::string_view> rest,
                    const json::object& body);
  ApiReply members(const Call& call, const OrgScope& scope, std::span<const std::string_view> rest,
                   const json::object& body);
  ApiReply callerKeys(const Call& call, const OrgScope& scope,
                      std::span<const std::string_view> rest, const json::object& body);
  ApiReply adminKeys(const Call& call, const OrgScope& scope,
                     std::span<const std::string_view> rest, const json::object& body);
  ApiReply providerKeys(const Call& call, const OrgScope& scope,
                        std::span<const std::string_view> rest, json::object& body);
  ApiReply providers(const Call& call, const OrgScope& scope,
                     std::span<const std::string_view> rest, const json::object& body);
  ApiReply models(const Call& call, const OrgScope& scope, std::span<const std::string_view> rest,
                  const json::object& body);
  ApiReply usage(const Call& call, const OrgScope& scope);
  ApiReply contentHistory(const Call& call, const OrgScope& scope);
  ApiReply auditTrail(const Call& call, std::string_view chain,
                      std::span<const std::string_view> rest);

  Result<bool> providerExists(const OrgScope& scope, std::string_view name);
  void recordAuthFailure(const ApiRequest& request);

  AdminDependencies d_;
  tenancy::TenantStore store_;
  audit::FailureBursts failures_{kFailureBurstThreshold, kFailureBurstWindow};
};

template <class Work>
ApiReply AdminApi::Impl::transact(Work work) {
  store::Transaction transaction(d_.db);
  if (auto begun = transaction.begin(); !begun) {
    return errorReply(begun.error());
  }
  // `work` returns the reply and the audit events to append, or an error reply to send
  // with everything rolled back.
  std::vector<audit::AuditEvent> events;
  ApiReply reply = work(events);
  if (reply.status >= 400) {
    return reply;
  }
  for (const auto& event : events) {
    if (auto r = d_.audit.appendInTransaction(d_.db, event); !r) {
      return errorReply(r.error());
    }
  }
  if (auto r = transaction.commit(); !r) {
    return errorReply(r.error());
  }
  return reply;
}

template <class Remove>
ApiReply AdminApi::Impl::deleteObject(const Call& call, const OrgScope& scope, std::string_view id,
                                      std::string_view action, std::string_view not_found,
                                      Remove remove) {
  if (auto denied = require(call, scope, Role::kAdmin, action)) {
    return *denied;
  }
  return transact([&](std::vector<audit::AuditEvent>& events) {
    Result<bool> removed = remove();
    if (!removed) {
      return errorReply(removed.error());
    }
    if (!*removed) {
      return errorReply(404, not_found);
    }
    events.push_back(call.event(scope.orgId(), action, id));
    return jsonReply(200, json::object{{"id", id}, {"deleted", true}});
  });
}

std::variant<Principal, ApiReply> AdminApi::Impl::authenticate(std::string_view presented,
                                                               const ApiRequest& request) {
  const ApiReply refused = errorReply(401, "Invalid or missing admin API key.");
  const auto id = auth::parseAdminKey(presented);
  auto identity = store_.adminKeyForAuthentication(tenancy::ScopeGrant::instance(),
                                                   id ? *id : std::string_view("-"));
  if (!identity) {
    return errorReply(identity.error());
  }
  // The HMAC is computed whether or not the id exists, so timing says nothing about ids.
  const auto actual = auth::hashCallerKey(d_.pepper, presented);
  const std::string expected = *identity ? (*identity)->hash : std::string(32, '\0');
  const bool match = constantTimeEquals(expected, keyHash(actual));
  if (!id || !*identity || !match) {
    recordAuthFailure(request);
    log::info("admin_auth_failed",
              {{"request_id", request.request_id}, {"remote", request.source_ip}});
    return refused;
  }
  Principal principal;
  principal.key_id = (*identity)->id;
  if ((*identity)->role == "superadmin") {
    principal.kind = Principal::Kind::kSuperAdmin;
    principal.role = Role::kOwner;
  } else {
    const auto role = tenancy::parseRole((*identity)->role);
    if (!role) {
      return refused;
    }
    principal.kind = Principal::Kind::kOrgKey;
    principal.org_id = (*identity)->org_id;
    principal.role = *role;
  }
  return principal;
}

void AdminApi::Impl::recordAuthFailure(const ApiRequest& request) {
  // One audit entry per burst, not one per guess: a brute force must not flood the trail.
  if (!failures_.recordFailure(request.source_ip, d_.clock.nowMillis())) {
    return;
  }
  audit::AuditEvent event;
  event.actor = "anonymous";
  event.action = "auth.failed_burst";
  event.outcome = "denied";
  event.source_ip = request.source_ip;
  event.request_id = request.request_id;
  event.detail = json::serialize(json::object{{"surface", "admin_api"},
                                              {"failures", failures_.threshold()},
                                              {"window_ms", failures_.windowMs()}});
  if (auto r = d_.audit.append(d_.db, event); !r) {
    log::error("audit_append_failed", {{"error", r.error().message}});
  }
}

Result<std::optional<SecretString>> AdminApi::Impl::bootstrap() {
  const auto instance = tenancy::ScopeGrant::instance();
  store::Transaction transaction(d_.db);
  if (auto begun = transaction.begin(); !begun) {
    return begun.takeError();
  }
  auto count = store_.countAdminKeys(instance);
  if (!count) {
    return count.takeError();
  }
  if (*count > 0) {
    return std::optional<SecretString>();
  }
  auth::GeneratedKey generated = auth::generateAdminKey(d_.random, d_.pepper);
  auto created = store_.createSuperAdminKey(instance, generated.id, keyHash(generated.hash),
                                            "bootstrap", d_.clock.nowMillis());
  if (!created) {
    return created.takeError();
  }
  audit::AuditEvent event;
  event.actor = "system";
  event.action = "admin_key.bootstrap";
  event.target = generated.id;
  if (auto r = d_.audit.appendInTransaction(d_.db, event); !r) {
    return r.takeError();
  }
  if (auto r = transaction.commit(); !r) {
    return r.takeError();
  }
  return std::optional<SecretString>(std::move(generated.key));
}

void AdminApi::Impl::auditDenied(const Call& call, std::string_view org_id,
                                 std::string_view action) {
  if (auto r = d_.audit.append(d_.db, call.event(org_id, action, "", "denied")); !r) {
    log::error("audit_append_failed", {{"error", r.error().message}});
  }
}

std::optional<ApiReply> AdminApi::Impl::require(const Call& call, const OrgScope& scope,
                                                Role minimum, std::string_view action) {
  if (call.principal.instanceWide() || call.principal.role >= minimum) {
    return std::nullopt;
  }
  // Refused changes are audited, and so are refused reads of what is sensitive to read (the
  // audit trail, content history); a refused listing is not worth an entry.
  if (call.request.method != "GET" || action.ends_with(".read")) {
    auditDenied(call, scope.orgId(), action);
  }
  return errorReply(403, "This action needs the " + std::string(tenancy::roleName(minimum)) +
                             " role in this organization.");
}

ApiReply AdminApi::Impl::handle(const Principal& principal, const ApiRequest& request) {
  const std::string_view prefix = "/admin/v1";
  std::string_view path = request.path;
  if (!path.starts_with(prefix)) {
    return errorReply(404, "Unknown admin endpoint.");
  }
  path.remove_prefix(prefix.size());
  if (!path.empty() && path.front() != '/') {
    return errorReply(404, "Unknown admin endpoint.");  // "/admin/v1orgs" is not the API.
  }
  const Call call{principal, request};
  return route(call, splitPath(path));
}

ApiReply AdminApi::Impl::route(const Call& call, const std::vector<std::string_view>& path) {
  const std::string& method = call.request.method;
  const auto instance = tenancy::ScopeGrant::instance();
  if (path.empty()) {
    return errorReply(404, "Unknown admin endpoint.");
  }
  if (path[0] == "me" && path.size() == 1 && method == "GET") {
    const Principal& p = call.principal;
    return jsonReply(
        200,
        json::object{{"key_id", p.key_id},
                     {"org_id", p.org_id.empty() ? json::value(nullptr) : json::value(p.org_id)},
                     {"role", p.instanceWide() ? "superadmin" : tenancy::roleName(p.role)}});
  }
  if (path[0] == "audit") {
    // The instance-wide chain, and verification of every chain: super-admins only.
    if (!call.principal.instanceWide()) {
      return errorReply(404, "Unknown admin endpoint.");
    }
    return auditTrail(call, "", std::span(path).subspan(1));
  }
  if (path[0] != "orgs") {
    return errorReply(404, "Unknown admin endpoint.");
  }
  if (path.size() == 1) {
    if (method == "GET") {
      if (!call.principal.instanceWide()) {
        auto org =
            store_.organization(tenancy::ScopeGrant::authenticatedOrg(call.principal.org_id));
        if (!org) {
          return errorReply(org.error());
        }
        return jsonReply(200, listJson(std::vector{*org}, organizationJson));
      }
      auto orgs = store_.listOrganizations(instance);
      if (!orgs) {
        return errorReply(orgs.error());
      }
      return jsonReply(200, listJson(*orgs, organizationJson));
    }
    if (method == "POST") {
      if (!call.principal.instanceWide()) {
        auditDenied(call, call.principal.org_id, "org.create");
        return errorReply(403, "Creating organizations needs a super-admin key.");
      }
      auto body = parseObject(call.request.body);
      if (!body) {
        return errorReply(body.error());
      }
      return createOrganization(call, *body);
    }
    return errorReply(405, "Method not allowed.");
  }

  // Resolve the organisation before anything else: another tenant's organisation, a guessed
  // id and a deleted one all look exactly alike.
  std::optional<OrgScope> scope;
  if (call.principal.instanceWide()) {
    auto entered = store_.enter(instance, path[1]);
    if (!entered) {
      return errorReply(entered.error());
    }
    scope = std::move(*entered);
  } else if (path[1] == call.principal.org_id) {
    scope = tenancy::ScopeGrant::authenticatedOrg(call.principal.org_id);
  }
  if (!scope) {
    return errorReply(404, "Organization not found.");
  }
  return routeOrg(call, *scope, path);
}

ApiReply AdminApi::Impl::routeOrg(const Call& call, const OrgScope& scope,
                                  const std::vector<std::string_view>& path) {
  const std::string& method = call.request.method;
  json::object body;
  if (method == "POST" || method == "PATCH" || method == "PUT") {
    auto parsed = parseObject(call.request.body);
    if (!parsed) {
      return errorReply(parsed.error());
    }
    body = std::move(*parsed);
  }
  if (path.size() == 2) {
    if (method == "GET") {
      auto org = store_.organization(scope);
      return org ? jsonReply(200, organizationJson(*org)) : errorReply(org.error());
    }
    if (method == "PATCH") {
      return updateOrganization(call, scope, body);
    }
    if (method == "DELETE") {
      return deleteOrganization(call, scope);
    }
    return errorReply(405, "Method not allowed.");
  }
  const std::string_view collection = path[2];
  const auto rest = std::span(path).subspan(3);
  if (collection == "projects") {
    return projects(call, scope, rest, body);
  }
  if (collection == "members") {
    return members(call, scope, rest, body);
  }
  if (collection == "keys") {
    return callerKeys(call, scope, rest, body);
  }
  if (collection == "admin-keys") {
    return adminKeys(call, scope, rest, body);
  }
  if (collection == "provider-keys") {
    return providerKeys(call, scope, rest, body);
  }
  if (collection == "providers") {
    return providers(call, scope, rest, body);
  }
  if (collection == "models") {
    return models(call, scope, rest, body);
  }
  if (collection == "usage" && rest.empty() && method == "GET") {
    return usage(call, scope);
  }
  if (collection == "history" && rest.empty() && method == "GET") {
    if (auto denied = require(call, scope, Role::kAdmin, "content_history.read")) {
      return *denied;
    }
    return contentHistory(call, scope);
  }
  if (collection == "audit") {
    if (auto denied = require(call, scope, Role::kAdmin, "audit.read")) {
      return *denied;
    }
    return auditTrail(call, scope.orgId(), rest);
  }
  return errorReply(404, "Unknown admin endpoint.");
}

// --- Organisations ---------------------------------------------------------------------------

ApiReply AdminApi::Impl::createOrganization(const Call& call, const json::object& body) {
  const auto name = stringField(body, "name");
  if (!name || !validName(*name)) {
    return errorReply(400, "'name' is required (1-200 characters).");
  }
  return transact([&](std::vector<audit::AuditEvent>& events) {
    auto org =
        store_.createOrganization(tenancy::ScopeGrant::instance(), *name, d_.clock.nowMillis());
    if (!org) {
      return errorReply(org.error());
    }
    // Its own data key, wrapped by the master key, before anything of it is stored.
    if (auto r = d_.keyring.createDataKey(org->id); !r) {
      return errorReply(r.error());
    }
    events.push_back(call.event(org->id, "org.create", org->id));
    events.push_back(call.event("", "org.create", org->id));
    return jsonReply(201, organizationJson(*org));
  });
}

ApiReply AdminApi::Impl::updateOrganization(const Call& call, const OrgScope& scope,
                                            const json::object& body) {
  if (auto denied = require(call, scope, Role::kAdmin, "org.update")) {
    return *denied;
  }
  tenancy::OrganizationSettings settings;
  json::object changed;
  if (const auto* name = body.if_contains("name")) {
    if (!name->is_string() || !validName(name->as_string())) {
      return errorReply(400, "'name' must be a string of 1-200 characters.");
    }
    settings.name = std::string(name->as_string());
    changed["name"] = *name;
  }
  for (const char* field : {"audit_retention_days", "usage_retention_days"}) {
    if (const auto* days = body.if_contains(field)) {
      if (!days->is_int64() || days->as_int64() < 1 || days->as_int64() > 36500) {
        return errorReply(400, std::string("'") + field + "' must be an integer from 1 to 36500.");
      }
      (std::string_view(field) == "audit_retention_days" ? settings.audit_retention_days
                                                         : settings.usage_retention_days) =
          days->as_int64();
      changed[field] = *days;
    }
  }
  if (const auto* history = body.if_contains("content_history")) {
    if (!history->is_bool()) {
      return errorReply(400, "'content_history' must be a boolean.");
    }
    settings.content_history = history->as_bool();
    changed["content_history"] = *history;
  }
  return transact([&](std::vector<audit::AuditEvent>& events) {
    auto org = store_.updateOrganization(scope, settings);
    if (!org) {
      return errorReply(org.error());
    }
    events.push_back(call.event(scope.orgId(), "settings.update", scope.orgId(), "success",
                                json::serialize(changed)));
    return jsonReply(200, organizationJson(*org));
  });
}

ApiReply AdminApi::Impl::deleteOrganization(const Call& call, const OrgScope& scope) {
  if (auto denied = require(call, scope, Role::kOwner, "org.delete")) {
    return *denied;
  }
  // Crypto-shredding first: once the data key is gone, every ciphertext of this
  // organisation, in this database or in any backup of it, is unreadable. A failure after
  // this point leaves rows that can no longer be decrypted, never readable ones.
  auto destroyed = d_.keyring.destroyDataKey(scope.orgId());
  if (!destroyed) {
    return errorReply(destroyed.error());
  }
  return transact([&](std::vector<audit::AuditEvent>& events) {
    auto removed = store_.deleteOrganization(scope);
    if (!removed) {
      return errorReply(removed.error());
    }
    events.push_back(call.event(scope.orgId(), "org.delete", scope.orgId()));
    events.push_back(call.event("", "org.delete", scope.orgId()));
    return jsonReply(200, json::object{{"id", scope.orgId()}, {"deleted", true}});
  });
}

// --- Projects --------------------------------------------------------------------------------

ApiReply AdminApi::Impl::projects(const Call& call, const OrgScope& scope,
                                  std::span<const std::string_view> rest,
                                  const json::object& body) {
  const std::string& method = call.request.method;
  if (rest.empty() && method == "GET") {
    auto list = store_.listProjects(scope);
    return list ? jsonReply(200, listJson(*list, projectJson)) : errorReply(list.error());
  }
  if (rest.empty() && method == "POST") {
    if (auto denied = require(call, scope, Role::kAdmin, "project.create")) {
      return *denied;
    }
    const auto name = stringField(body, "name");
    if (!name || !validName(*name)) {
      return errorReply(400, "'name' is required (1-200 characters).");
    }
    return transact([&](std::vector<audit::AuditEvent>& events) {
      auto project = store_.createProject(scope, *name, d_.clock.nowMillis());
      if (!project) {
        return errorReply(project.error());
      }
      events.push_back(call.event(scope.orgId(), "project.create", project->id));
      return jsonReply(201, projectJson(*project));
    });
  }
  if (rest.size() == 1 && method == "GET") {
    auto project = store_.project(scope, rest[0]);
    if (!project) {
      return errorReply(project.error());
    }
    return *project ? jsonReply(200, projectJson(**project))
                    : errorReply(404, "Project not found.");
  }
  if (rest.size() == 1 && method == "DELETE") {
    return deleteObject(call, scope, rest[0], "project.delete", "Project not found.",
                        [&] { return store_.deleteProject(scope, rest[0]); });
  }
  return errorReply(rest.size() > 1 ? 404 : 405, "Unknown endpoint or method.");
}

// --- Members ---------------------------------------------------------------------------------

ApiReply AdminApi::Impl::members(const Call& call, const OrgScope& scope,
                                 std::span<const std::string_view> rest, const json::object& body) {
  const std::string& method = call.request.method;
  if (rest.empty() && method == "GET") {
    auto list = store_.listMembers(scope);
    return list ? jsonReply(200, listJson(*list, memberJson)) : errorReply(list.error());
  }
  if (rest.size() > 1) {
    return errorReply(404, "Unknown endpoint.");
  }
  if (method == "GET") {
    auto member = store_.member(scope, rest[0]);
    if (!member) {
      return errorReply(member.error());
    }
    return *member ? jsonReply(200, memberJson(**member)) : errorReply(404, "Member not found.");
  }
  std::optional<Role> role;
  if (method == "POST" || method == "PATCH") {
    const auto role_name = stringField(body, "role");
    role = role_name ? tenancy::parseRole(*role_name) : std::nullopt;
    if (!role) {
      return errorReply(400, "'role' must be one of owner, admin, member, viewer.");
    }
  }
  // Only an owner may make (or unmake) owners; admins manage everyone else.
  const Role needed = role == Role::kOwner ? Role::kOwner : Role::kAdmin;
  if (rest.empty() && method == "POST") {
    if (auto denied = require(call, scope, needed, "member.add")) {
      return *denied;
    }
    const auto email = stringField(body, "email");
    if (!email || email->find('@') == std::string::npos || email->size() > 320) {
      return errorReply(400, "'email' must be an email address.");
    }
    const std::string name = stringField(body, "name").value_or("");
    return transact([&](std::vector<audit::AuditEvent>& events) {
      auto member = store_.addMember(scope, *email, name, *role, d_.clock.nowMillis());
      if (!member) {
        return errorReply(member.error());
      }
      events.push_back(
          call.event(scope.orgId(), "member.add", member->user_id, "success",
                     json::serialize(json::object{{"role", tenancy::roleName(*role)}})));
      return jsonReply(201, memberJson(*member));
    });
  }
  if (rest.empty()) {
    return errorReply(405, "Method not allowed.");
  }
  if (method == "PATCH" || method == "DELETE") {
    auto existing = store_.member(scope, rest[0]);
    if (!existing) {
      return errorReply(existing.error());
    }
    if (!*existing) {
      return errorReply(404, "Member not found.");
    }
    const Role touching = (*existing)->role == Role::kOwner ? Role::kOwner : needed;
    const std::string action = method == "PATCH" ? "member.role_change" : "member.remove";
    if (auto denied = require(call, scope, std::max(needed, touching), action)) {
      return *denied;
    }
    return transact([&](std::vector<audit::AuditEvent>& events) {
      auto changed = method == "PATCH" ? store_.setMemberRole(scope, rest[0], *role)
                                       : store_.removeMember(scope, rest[0]);
      if (!changed) {
        return errorReply(changed.error());
      }
      json::object detail{{"previous_role", tenancy::roleName((*existing)->role)}};
      if (role) {
        detail["role"] = tenancy::roleName(*role);
      }
      events.push_back(
          call.event(scope.orgId(), action, rest[0], "success", json::serialize(detail)));
      if (method == "DELETE") {
        return jsonReply(200, json::object{{"user_id", rest[0]}, {"removed", true}});
      }
      auto member = store_.member(scope, rest[0]);
      if (!member || !*member) {
        return errorReply(404, "Member not found.");
      }
      return jsonReply(200, memberJson(**member));
    });
  }
  return errorReply(405, "Method not allowed.");
}

// --- Caller keys -----------------------------------------------------------------------------

ApiReply AdminApi::Impl::callerKeys(const Call& call, const OrgScope& scope,
                                    std::span<const std::string_view> rest,
                                    const json::object& body) {
  const std::string& method = call.request.method;
  const std::int64_t now = d_.clock.nowMillis();
  if (rest.empty() && method == "GET") {
    auto list = store_.listCallerKeys(scope);
    return list ? jsonReply(200, listJson(*list, callerKeyJson)) : errorReply(list.error());
  }
  if (rest.empty() && method == "POST") {
    if (auto denied = require(call, scope, Role::kMember, "caller_key.create")) {
      return *denied;
    }
    tenancy::NewCallerKey key;
    const auto project_id = stringField(body, "project_id");
    const auto name = stringField(body, "name");
    if (!project_id || !name || !validName(*name)) {
      return errorReply(400, "'project_id' and 'name' are required.");
    }
    key.project_id = *project_id;
    key.name = *name;
    if (const auto* scopes = body.if_contains("scopes")) {
      if (!scopes->is_array()) {
        return errorReply(400, "'scopes' must be an array of model names.");
      }
      for (const auto& model : scopes->as_array()) {
        if (!model.is_string() || model.as_string().empty() ||
            model.as_string().find(',') != json::string::npos) {
          return errorReply(400, "'scopes' must be an array of model names.");
        }
        key.scopes.emplace_back(model.as_string());
      }
    }
    if (const auto* expires = body.if_contains("expires_in_seconds")) {
      if (!expires->is_int64() || expires->as_int64() <= 0 ||
          expires->as_int64() > kMaxKeyLifetimeSeconds) {
        return errorReply(400, "'expires_in_seconds' must be an integer from 1 to " +
                                   std::to_string(kMaxKeyLifetimeSeconds) + ".");
      }
      key.expires_at = now + expires->as_int64() * 1000;
    }
    auth::GeneratedKey generated = auth::generateCallerKey(d_.random, d_.pepper);
    key.id = generated.id;
    key.hash = keyHash(generated.hash);
    return transact([&](std::vector<audit::AuditEvent>& events) {
      auto created = store_.createCallerKey(scope, key, now);
      if (!created) {
        return errorReply(created.error());
      }
      events.push_back(call.event(scope.orgId(), "caller_key.create", created->id, "success",
                                  json::serialize(json::object{{"project_id", key.project_id}})));
      json::object reply = callerKeyJson(*created);
      // The one time the key is shown.
      reply["key"] = generated.key.reveal();
      return jsonReply(201, reply);
    });
  }
  if (rest.empty()) {
    return errorReply(405, "Method not allowed.");
  }
  auto existing = store_.callerKey(scope, rest[0]);
  if (!existing) {
    return errorReply(existing.error());
  }
  if (!*existing) {
    return errorReply(404, "API key not found.");
  }
  if (rest.size() == 1 && method == "GET") {
    return jsonReply(200, callerKeyJson(**existing));
  }
  if (rest.size() == 1 && method == "DELETE") {
    if (auto denied = require(call, scope, Role::kAdmin, "caller_key.revoke")) {
      return *denied;
    }
    return transact([&](std::vector<audit::AuditEvent>& events) {
      auto revoked = store_.revokeCallerKey(scope, rest[0], now);
      if (!revoked) {
        return errorReply(revoked.error());
      }
      if (!*revoked) {
        return errorReply(409, "The API key is already revoked.");
      }
      events.push_back(call.event(scope.orgId(), "caller_key.revoke", rest[0]));
      return jsonReply(200, json::object{{"id", rest[0]}, {"revoked", true}});
    });
  }
  if (rest.size() == 2 && rest[1] == "rotate" && method == "POST") {
    if (auto denied = require(call, scope, Role::kMember, "caller_key.rotate")) {
      return *denied;
    }
    const tenancy::CallerKey& old = **existing;
    if (old.revoked_at || old.rotated_to) {
      return errorReply(409, "Only an active key that was not rotated yet can be rotated.");
    }
    std::int64_t overlap_ms = d_.default_rotation_overlap_ms;
    if (const auto* overlap = body.if_contains("overlap_seconds")) {
      if (!overlap->is_int64() || overlap->as_int64() < 0 ||
          overlap->as_int64() > kMaxRotationOverlapSeconds) {
        return errorReply(400, "'overlap_seconds' must be an integer from 0 to " +
                                   std::to_string(kMaxRotationOverlapSeconds) + ".");
      }
      overlap_ms = overlap->as_int64() * 1000;
    }
    tenancy::NewCallerKey successor;
    successor.project_id = old.project_id;
    successor.name = old.name;
    successor.scopes = old.scopes;
    successor.expires_at = old.expires_at;
    auth::GeneratedKey generated = auth::generateCallerKey(d_.random, d_.pepper);
    successor.id = generated.id;
    successor.hash = keyHash(generated.hash);
    return transact([&](std::vector<audit::AuditEvent>& events) {
      auto created = store_.createCallerKey(scope, successor, now);
      if (!created) {
        return errorReply(created.error());
      }
      if (auto r = store_.markRotated(scope, old.id, created->id, now + overlap_ms); !r) {
        return errorReply(r.error());
      }
      events.push_back(call.event(
          scope.orgId(), "caller_key.rotate", old.id, "success",
          json::serialize(json::object{{"successor", created->id}, {"overlap_ms", overlap_ms}})));
      json::object reply = callerKeyJson(*created);
      reply["key"] = generated.key.reveal();
      // The store keeps the earlier of the key's own expiry and the end of the overlap.
      const std::int64_t old_expiry =
          std::min(old.expires_at.value_or(now + overlap_ms), now + overlap_ms);
      reply["previous"] = json::object{{"id", old.id}, {"expires_at", old_expiry}};
      return jsonReply(201, reply);
    });
  }
  return errorReply(rest.size() > 2 ? 404 : 405, "Unknown endpoint or method.");
}

// --- Admin keys ------------------------------------------------------------------------------

ApiReply AdminApi::Impl::adminKeys(const Call& call, const OrgScope& scope,
                                   std::span<const std::string_view> rest,
                                   const json::object& body) {
  const std::string& method = call.request.method;
  if (auto denied = require(call, scope, Role::kAdmin, "admin_key.manage")) {
    return *denied;
  }
  if (rest.empty() && method == "GET") {
    auto list = store_.listAdminKeys(scope);
    return list ? jsonReply(200, listJson(*list, adminKeyJson)) : errorReply(list.error());
  }
  if (rest.empty() && method == "POST") {
    const auto name = stringField(body, "name");
    Role granted = Role::kViewer;
    if (const auto role = tenancy::parseRole(stringField(body, "role").value_or("")); role) {
      granted = *role;
    } else {
      return errorReply(400, "'name' and 'role' (owner, admin, member, viewer) are required.");
    }
    if (!name || !validName(*name)) {
      return errorReply(400, "'name' and 'role' (owner, admin, member, viewer) are required.");
    }
    // Nobody hands out more than they hold.
    if (!call.principal.instanceWide() && granted > call.principal.role) {
      auditDenied(call, scope.orgId(), "admin_key.create");
      return errorReply(403, "An admin key cannot grant a role above its own.");
    }
    auth::GeneratedKey generated = auth::generateAdminKey(d_.random, d_.pepper);
    const std::string key_name = *name;
    return transact([&, granted](std::vector<audit::AuditEvent>& events) {
      auto created = store_.createAdminKey(scope, generated.id, keyHash(generated.hash), granted,
                                           key_name, d_.clock.nowMillis());
      if (!created) {
        return errorReply(created.error());
      }
      events.push_back(call.event(scope.orgId(), "admin_key.create", created->id, "success",
                                  json::serialize(json::object{{"role", created->role}})));
      json::object reply = adminKeyJson(*created);
      reply["key"] = generated.key.reveal();
      return jsonReply(201, reply);
    });
  }
  if (rest.size() == 1 && method == "DELETE") {
    auto keys = store_.listAdminKeys(scope);
    if (!keys) {
      return errorReply(keys.error());
    }
    for (const auto& key : *keys) {
      const auto role = tenancy::parseRole(key.role);
      if (key.id == rest[0] && !call.principal.instanceWide() && role &&
          *role > call.principal.role) {
        auditDenied(call, scope.orgId(), "admin_key.revoke");
        return errorReply(403, "An admin key cannot revoke a key with a role above its own.");
      }
    }
    return transact([&](std::vector<audit::AuditEvent>& events) {
      auto revoked = store_.revokeAdminKey(scope, rest[0], d_.clock.nowMillis());
      if (!revoked) {
        return errorReply(revoked.error());
      }
      if (!*revoked) {
        return errorReply(404, "Admin key not found.");
      }
      events.push_back(call.event(scope.orgId(), "admin_key.revoke", rest[0]));
      return jsonReply(200, json::object{{"id", rest[0]}, {"revoked", true}});
    });
  }
  return errorReply(rest.size() > 1 ? 404 : 405, "Unknown endpoint or method.");
}

// --- Provider keys ---------------------------------------------------------------------------

Result<bool> AdminApi::Impl::providerExists(const OrgScope& scope, std::string_view name) {
  for (const auto& instance : d_.instance_providers) {
    if (instance == name) {
      return true;
    }
  }
  auto own = store_.listProviders(scope);
  if (!own) {
    return own.takeError();
  }
  for (const auto& provider : *own) {
    if (provider.name == name) {
      return true;
    }
  }
  return false;
}

ApiReply AdminApi::Impl::providerKeys(const Call& call, const OrgScope& scope,
                                      std::span<const std::string_view> rest, json::object& body) {
  const std::string& method = call.request.method;
  if (rest.empty() && method == "GET") {
    auto list = store_.listProviderKeys(scope);
    return list ? jsonReply(200, listJson(*list, providerKeyJson)) : errorReply(list.error());
  }
  if (rest.empty() && method == "POST") {
    // The plaintext key lives in the parsed body only until it is sealed; wipe it on every
    // way out of this function.
    json::string* plaintext = nullptr;
    if (auto* key = body.if_contains("key"); key && key->is_string()) {
      plaintext = &key->as_string();
    }
    struct Wipe {
      json::string* text;
      ~Wipe() {
        if (text) {
          secureWipe(text->data(), text->size());
        }
      }
    } wipe{plaintext};
    if (auto denied = require(call, scope, Role::kAdmin, "provider_key.add")) {
      return *denied;
    }
    const auto provider = stringField(body, "provider");
    const auto name = stringField(body, "name");
    const std::string project_id = stringField(body, "project_id").value_or("");
    if (!provider || !name || !validName(*name) || !plaintext || plaintext->size() < 8 ||
        plaintext->size() > kMaxProviderKeyLength) {
      return errorReply(400, "'provider', 'name' and 'key' (8-4096 characters) are required.");
    }
    if (!http::isValidFieldValue(std::string_view(plaintext->data(), plaintext->size()))) {
      return errorReply(400, "'key' must not contain line breaks or other control characters.");
    }
    auto exists = providerExists(scope, *provider);
    if (!exists) {
      return errorReply(exists.error());
    }
    if (!*exists) {
      return errorReply(404, "Provider not found.");
    }
    const std::string id = store_.newProviderKeyId();
    const std::string_view key(plaintext->data(), plaintext->size());
    auto sealed =
        d_.keyring.seal(scope.orgId(), key, tenancy::providerKeyAad(scope.orgId(), id, *provider));
    if (!sealed) {
      return errorReply(sealed.error());
    }
    const std::string last_four(key.substr(key.size() - 4));
    return transact([&](std::vector<audit::AuditEvent>& events) {
      auto added = store_.addProviderKey(scope, id, project_id, *provider, *name, *sealed,
                                         last_four, d_.clock.nowMillis());
      if (!added) {
        return errorReply(added.error());
      }
      events.push_back(call.event(scope.orgId(), "provider_key.add", id, "success",
                                  json::serialize(json::object{{"provider", *provider}})));
      return jsonReply(201, providerKeyJson(*added));
    });
  }
  if (rest.size() != 1) {
    return errorReply(rest.empty() ? 405 : 404, "Unknown endpoint or method.");
  }
  if (method == "GET") {
    auto key = store_.providerKey(scope, rest[0]);
    if (!key) {
      return errorReply(key.error());
    }
    return *key ? jsonReply(200, providerKeyJson(**key))
                : errorReply(404, "Provider key not found.");
  }
  if (method == "DELETE") {
    // The row goes: no soft delete keeps a ciphertext around.
    return deleteObject(call, scope, rest[0], "provider_key.delete", "Provider key not found.",
                        [&] { return store_.deleteProviderKey(scope, rest[0]); });
  }
  return errorReply(405, "Method not allowed.");
}

// --- Providers and models --------------------------------------------------------------------

ApiReply AdminApi::Impl::providers(const Call& call, const OrgScope& scope,
                                   std::span<const std::string_view> rest,
                                   const json::object& body) {
  const std::string& method = call.request.method;
  if (rest.empty() && method == "GET") {
    auto list = store_.listProviders(scope);
    return list ? jsonReply(200, listJson(*list, providerJson)) : errorReply(list.error());
  }
  if (rest.empty() && method == "POST") {
    if (auto denied = require(call, scope, Role::kAdmin, "provider.add")) {
      return *denied;
    }
    const auto name = stringField(body, "name");
    const auto type = stringField(body, "type");
    const auto base_url = stringField(body, "base_url");
    if (!name || !validName(*name) || !type || !base_url) {
      return errorReply(400, "'name', 'type' and 'base_url' are required.");
    }
    if (*type != "openai" && *type != "anthropic" && *type != "openai-compatible" &&
        *type != "cerebras") {
      return errorReply(400, "'type' must be openai, anthropic, openai-compatible or cerebras.");
    }
    for (const auto& instance : d_.instance_providers) {
      if (instance == *name) {
        return errorReply(409, "That name belongs to a provider of this gateway.");
      }
    }
    auto endpoint = http::parseBaseUrl(*base_url);
    if (!endpoint) {
      return errorReply(400, "'base_url' is not a usable http(s) URL.");
    }
    // The base URL is tenant input: it must not point the gateway at itself, its network or
    // a metadata service.
    if (auto checked = d_.egress.check(*endpoint); !checked) {
      audit::AuditEvent event =
          call.event(scope.orgId(), "provider.add", "", "denied",
                     json::serialize(json::object{{"reason", "egress_policy"}}));
      if (auto r = d_.audit.append(d_.db, event); !r) {
        log::error("audit_append_failed", {{"error", r.error().message}});
      }
      return errorReply(400, checked.error().message);
    }
    return transact([&](std::vector<audit::AuditEvent>& events) {
      auto added = store_.addProvider(scope, *name, *type, *base_url, d_.clock.nowMillis());
      if (!added) {
        return errorReply(added.error());
      }
      events.push_back(call.event(scope.orgId(), "provider.add", added->id));
      return jsonReply(201, providerJson(*added));
    });
  }
  if (rest.size() == 1 && method == "DELETE") {
    return deleteObject(call, scope, rest[0], "provider.delete", "Provider not found.",
                        [&] { return store_.deleteProvider(scope, rest[0]); });
  }
  return errorReply(rest.size() > 1 ? 404 : 405, "Unknown endpoint or method.");
}

ApiReply AdminApi::Impl::models(const Call& call, const OrgScope& scope,
                                std::span<const std::string_view> rest, const json::object& body) {
  const std::string& method = call.request.method;
  if (rest.empty() && method == "GET") {
    auto list = store_.listModels(scope);
    return list ? jsonReply(200, listJson(*list, modelJson)) : errorReply(list.error());
  }
  if (rest.empty() && (method == "PUT" || method == "POST")) {
    if (auto denied = require(call, scope, Role::kAdmin, "model.put")) {
      return *denied;
    }
    const auto name = stringField(body, "name");
    const auto* deployments = body.if_contains("deployments");
    if (!name || !validName(*name) || !deployments || !deployments->is_array() ||
        deployments->as_array().empty()) {
      return errorReply(400, "'name' and a non-empty 'deployments' array are required.");
    }
    json::array normalised;
    for (const auto& item : deployments->as_array()) {
      const auto* object = item.if_object();
      const auto provider = object ? stringField(*object, "provider") : std::nullopt;
      if (!provider) {
        return errorReply(400, "Each deployment needs a 'provider'.");
      }
      auto exists = providerExists(scope, *provider);
      if (!exists) {
        return errorReply(exists.error());
      }
      if (!*exists) {
        return errorReply(400, "Unknown provider '" + *provider + "' in deployments.");
      }
      const std::string model = stringField(*object, "model").value_or(*name);
      std::int64_t weight = 1;
      std::int64_t timeout_ms = 60'000;
      if (const auto* w = object->if_contains("weight")) {
        if (!w->is_int64() || w->as_int64() < 1 || w->as_int64() > 1000) {
          return errorReply(400, "'weight' must be an integer from 1 to 1000.");
        }
        weight = w->as_int64();
      }
      if (const auto* t = object->if_contains("timeout_ms")) {
        if (!t->is_int64() || t->as_int64() < 100 || t->as_int64() > 600'000) {
          return errorReply(400, "'timeout_ms' must be an integer from 100 to 600000.");
        }
        timeout_ms = t->as_int64();
      }
      normalised.push_back(json::object{{"provider", *provider},
                                        {"model", model},
                                        {"weight", weight},
                                        {"timeout_ms", timeout_ms}});
    }
    return transact([&](std::vector<audit::AuditEvent>& events) {
      auto model = store_.putModel(scope, *name, json::serialize(normalised), d_.clock.nowMillis());
      if (!model) {
        return errorReply(model.error());
      }
      events.push_back(call.event(scope.orgId(), "model.put", model->id));
      return jsonReply(200, modelJson(*model));
    });
  }
  if (rest.size() == 1 && method == "DELETE") {
    return deleteObject(call, scope, rest[0], "model.delete", "Model not found.",
                        [&] { return store_.deleteModel(scope, rest[0]); });
  }
  return errorReply(rest.size() > 1 ? 404 : 405, "Unknown endpoint or method.");
}

// --- Usage and audit -------------------------------------------------------------------------

ApiReply AdminApi::Impl::usage(const Call& call, const OrgScope& scope) {
  const std::string format = queryParameter(call.request.query, "format");
  if (!format.empty() && format != "csv" && format != "jsonl") {
    return errorReply(400, "'format' must be csv or jsonl.");
  }
  std::ostringstream out;
  const auto kind = format == "csv" ? usage::ExportFormat::kCsv : usage::ExportFormat::kJsonLines;
  if (auto r = usage::exportUsage(d_.db, kind, out, scope.orgId()); !r) {
    return errorReply(r.error());
  }
  audit::AuditEvent event =
      call.event(scope.orgId(), "usage.export", scope.orgId(), "success",
                 json::serialize(json::object{{"format", format.empty() ? "jsonl" : format}}));
  if (auto r = d_.audit.append(d_.db, event); !r) {
    return errorReply(r.error());
  }
  return ApiReply{200, format == "csv" ? "text/csv" : "application/x-ndjson", out.str()};
}

ApiReply AdminApi::Impl::contentHistory(const Call& call, const OrgScope& scope) {
  std::size_t limit = 50;
  if (auto text = queryParameter(call.request.query, "limit"); !text.empty()) {
    try {
      limit = std::clamp<std::size_t>(std::stoul(text), 1, 500);
    } catch (const std::exception&) {
      return errorReply(400, "'limit' must be an integer.");
    }
  }
  auto entries = store_.contentHistory(scope, limit);
  if (!entries) {
    return errorReply(entries.error());
  }
  json::array data;
  for (const auto& entry : *entries) {
    auto opened = d_.keyring.open(scope.orgId(), entry.sealed,
                                  tenancy::contentHistoryAad(scope.orgId(), entry.request_id));
    json::object item{{"request_id", entry.request_id},
                      {"project_id", entry.project_id},
                      {"created_at", entry.created_at}};
    boost::system::error_code ec;
    json::value content = opened ? json::parse(opened->reveal(), ec) : json::value();
    if (!opened || ec || !content.is_object()) {
      // Fails closed: a tampered or shredded entry is reported, never shown in part.
      item["error"] = "this entry could not be decrypted";
    } else {
      item["request"] = content.as_object()["request"];
      item["response"] = content.as_object()["response"];
    }
    data.push_back(std::move(item));
  }
  audit::AuditEvent event =
      call.event(scope.orgId(), "content_history.read", scope.orgId(), "success",
                 json::serialize(json::object{{"entries", entries->size()}}));
  if (auto r = d_.audit.append(d_.db, event); !r) {
    return errorReply(r.error());
  }
  return jsonReply(200, json::object{{"object", "list"}, {"data", std::move(data)}});
}

ApiReply AdminApi::Impl::auditTrail(const Call& call, std::string_view chain,
                                    std::span<const std::string_view> rest) {
  if (call.request.method != "GET") {
    return errorReply(405, "Method not allowed.");
  }
  if (rest.empty()) {
    std::size_t limit = 100;
    std::int64_t before = 0;
    try {
      if (auto text = queryParameter(call.request.query, "limit"); !text.empty()) {
        limit = std::clamp<std::size_t>(std::stoul(text), 1, 1000);
      }
      if (auto text = queryParameter(call.request.query, "before"); !text.empty()) {
        before = std::stoll(text);
      }
    } catch (const std::exception&) {
      return errorReply(400, "'limit' and 'before' must be integers.");
    }
    auto entries = audit::listEntries(d_.db, chain, limit, before);
    return entries ? jsonReply(200, listJson(*entries, auditEntryJson))
                   : errorReply(entries.error());
  }
  if (rest.size() == 1 && rest[0] == "export") {
    const std::string format = queryParameter(call.request.query, "format");
    if (!format.empty() && format != "csv" && format != "jsonl") {
      return errorReply(400, "'format' must be csv or jsonl.");
    }
    audit::ExportFilter filter;
    filter.org_id = std::string(chain);
    std::ostringstream out;
    const auto kind = format == "csv" ? audit::ExportFormat::kCsv : audit::ExportFormat::kJsonLines;
    auto written = audit::exportAudit(d_.db, filter, kind, out);
    if (!written) {
      return errorReply(written.error());
    }
    audit::AuditEvent event = call.event(chain, "audit.export", std::string(chain), "success",
                                         json::serialize(json::object{{"entries", *written}}));
    if (auto r = d_.audit.append(d_.db, event); !r) {
      return errorReply(r.error());
    }
    return ApiReply{200, format == "csv" ? "text/csv" : "application/x-ndjson", out.str()};
  }
  if (rest.size() == 1 && rest[0] == "verify" && chain.empty()) {
    auto report = d_.audit.verify(d_.db);
    if (!report) {
      return errorReply(report.error());
    }
    return jsonReply(200, json::object{{"ok", report->ok},
                                       {"chains", report->chains},
                                       {"entries", report->entries},
                                       {"bad_chain", report->bad_chain},
                                       {"bad_seq", report->bad_seq},
                                       {"bad_id", report->bad_id},
                                       {"problem", report->problem}});
  }
  return errorReply(404, "Unknown endpoint.");
}

// ---------------------------------------------------------------------------------------------

AdminApi::AdminApi(AdminDependencies dependencies)
    : impl_(std::make_unique<Impl>(std::move(dependencies))) {}

AdminApi::~AdminApi() = default;

std::variant<Principal, ApiReply> AdminApi::authenticate(std::string_view presented_key,
                                                         const ApiRequest& request) {
  std::lock_guard lock(mutex_);
  return impl_->authenticate(presented_key, request);
}

ApiReply AdminApi::handle(const Principal& principal, const ApiRequest& request) {
  std::lock_guard lock(mutex_);
  return impl_->handle(principal, request);
}

Result<std::optional<SecretString>> AdminApi::bootstrap() {
  std::lock_guard lock(mutex_);
  return impl_->bootstrap();
}

}  // namespace gatehouse::admin
