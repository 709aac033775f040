#pragma once

#include <string>
#include <string_view>

namespace gatehouse::tenancy {

class ScopeGrant;
class InstanceScope;

/// Proof that the code holding it acts for one organisation. Every tenant query in
/// TenantStore takes one and binds its id into the SQL, so a query that forgets the tenant
/// does not compile. It cannot be built from a string: only ScopeGrant (the authenticators)
/// and InstanceScope::enter() make one.
class OrgScope {
 public:
  const std::string& orgId() const { return org_id_; }

 private:
  friend class ScopeGrant;
  friend class TenantStore;
  explicit OrgScope(std::string org_id) : org_id_(std::move(org_id)) {}
  std::string org_id_;
};

/// Proof of instance-wide authority: a super-admin key, or the operator's CLI (which runs
/// with the database file owner's authority anyway). Needed to list, create and delete
/// organisations, and to enter any one of them (TenantStore::enter checks it exists).
class InstanceScope {
 private:
  friend class ScopeGrant;
  InstanceScope() = default;
};

/// The only way to obtain a scope. Called by what authenticates a principal: the data
/// plane's caller-key verifier, the admin API's key check, and the operator CLI's entry
/// point. Nothing on a request path should call it with an id taken from the request.
class ScopeGrant {
 public:
  /// For a principal whose key the caller has just verified as belonging to `org_id`.
  static OrgScope authenticatedOrg(std::string org_id) { return OrgScope(std::move(org_id)); }
  /// For a verified super-admin key or the operator CLI.
  static InstanceScope instance() { return InstanceScope(); }
};

}  // namespace gatehouse::tenancy
