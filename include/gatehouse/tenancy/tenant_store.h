#pragma once

#include <gatehouse/common/result.h>
#include <gatehouse/crypto/random.h>
#include <gatehouse/tenancy/scope.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::store {
class Database;
}

namespace gatehouse::tenancy {

/// Membership roles, weakest first, so `role >= Role::kAdmin` reads as it should.
enum class Role { kViewer, kMember, kAdmin, kOwner };
std::string_view roleName(Role role);
std::optional<Role> parseRole(std::string_view name);

struct Organization {
  std::string id;
  std::string name;
  std::int64_t created_at = 0;
  std::int64_t audit_retention_days = 365;
  std::int64_t usage_retention_days = 365;
  bool content_history = false;
};

/// The settings an organisation's admins may change; unset fields stay as they are.
struct OrganizationSettings {
  std::optional<std::string> name;
  std::optional<std::int64_t> audit_retention_days;
  std::optional<std::int64_t> usage_retention_days;
  std::optional<bool> content_history;
};

struct Project {
  std::string id;
  std::string org_id;
  std::string name;
  std::int64_t created_at = 0;
};

struct Member {
  std::string user_id;
  std::string email;
  std::string name;
  Role role = Role::kViewer;
  std::int64_t created_at = 0;
};

struct CallerKey {
  std::string id;
  std::string org_id;
  std::string project_id;
  std::string name;
  std::vector<std::string> scopes;  ///< Allowed model names; empty allows every model.
  std::int64_t created_at = 0;
  std::optional<std::int64_t> expires_at;
  std::optional<std::int64_t> revoked_at;
  std::optional<std::string> rotated_to;
};

/// What the data plane's verifier caches per caller key.
struct CallerKeyIdentity {
  std::string id;
  std::string org_id;
  std::string project_id;
  std::string hash;  ///< HMAC-SHA-256 of the key, 32 bytes.
  std::vector<std::string> scopes;
  std::optional<std::int64_t> expires_at;
};

struct NewCallerKey {
  std::string id;    ///< The key id embedded in the key.
  std::string hash;  ///< 32 bytes.
  std::string project_id;
  std::string name;
  std::vector<std::string> scopes;
  std::optional<std::int64_t> expires_at;
};

/// Admin keys: `org_id` empty for a super-admin key.
struct AdminKey {
  std::string id;
  std::string org_id;
  std::string role;  ///< A Role name, or "superadmin".
  std::string name;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> revoked_at;
};

struct AdminKeyIdentity {
  std::string id;
  std::string org_id;
  std::string role;
  std::string hash;
};

struct ProviderKey {
  std::string id;
  std::string org_id;
  std::string project_id;  ///< Empty: every project of the organisation.
  std::string provider;
  std::string name;
  std::string last_four;
  std::int64_t created_at = 0;
};

/// A provider key row as the data plane needs it: still sealed.
struct SealedProviderKey {
  std::string id;
  std::string org_id;
  std::string project_id;
  std::string provider;
  std::string ciphertext;
};

/// A content-history entry, still sealed.
struct SealedHistoryEntry {
  std::string request_id;
  std::string project_id;
  std::int64_t created_at = 0;
  std::string sealed;
};

struct OrgProvider {
  std::string id;
  std::string org_id;
  std::string name;
  std::string type;  ///< A config provider type name ("openai", "anthropic", ...).
  std::string base_url;
  std::int64_t created_at = 0;
};

struct OrgModel {
  std::string id;
  std::string org_id;
  std::string name;
  std::string deployments;  ///< JSON array of {"provider","model","weight","timeout_ms"}.
  std::int64_t created_at = 0;
};

/// The AAD that binds a provider key's ciphertext to its organisation, row and purpose, so
/// a row copied to another organisation or id, or a field swapped, fails to decrypt.
std::string providerKeyAad(std::string_view org_id, std::string_view row_id,
                           std::string_view provider);
/// The same for an organisation's content-history entries.
std::string contentHistoryAad(std::string_view org_id, std::string_view request_id);

/// A new random object id: `prefix` + 16 base62 characters. Ids are not secrets, but random
/// ids give a guesser nothing to enumerate.
std::string newObjectId(std::string_view prefix, crypto::RandomSource& random);

/// The one data-access layer for tenant data. Every method takes the scope it acts in and
/// binds the scope's organisation into its SQL; an object of another organisation is
/// indistinguishable from one that does not exist (nullopt / false). Methods run inside
/// whatever transaction the caller holds (so an action and its audit entry commit together);
/// changes to keys, providers and models bump the change counters the data plane polls.
/// Not thread-safe: one per connection.
class TenantStore {
 public:
  TenantStore(store::Database& db, crypto::RandomSource& random) : db_(db), random_(random) {}
  /// With the operating system's CSPRNG for new ids: for readers such as the data plane's
  /// caches, which have no random source of their own to inject.
  explicit TenantStore(store::Database& db);

  store::Database& database() { return db_; }

  // Organisations (instance-wide).
  Result<Organization> createOrganization(const InstanceScope&, std::string_view name,
                                          std::int64_t now_ms);
  Result<std::vector<Organization>> listOrganizations(const InstanceScope&);
  /// A scope for an existing organisation; nullopt when there is none with that id.
  Result<std::optional<OrgScope>> enter(const InstanceScope&, std::string_view org_id);
  /// Deletes the organisation and, by cascade, everything it owns.
  Result<bool> deleteOrganization(const OrgScope& scope);

  Result<Organization> organization(const OrgScope& scope);
  Result<Organization> updateOrganization(const OrgScope& scope,
                                          const OrganizationSettings& settings);

  // Projects.
  Result<Project> createProject(const OrgScope& scope, std::string_view name, std::int64_t now_ms);
  Result<std::vector<Project>> listProjects(const OrgScope& scope);
  Result<std::optional<Project>> project(const OrgScope& scope, std::string_view project_id);
  Result<bool> deleteProject(const OrgScope& scope, std::string_view project_id);

  // Members: users are instance-wide, memberships per organisation.
  Result<Member> addMember(const OrgScope& scope, std::string_view email, std::string_view name,
                           Role role, std::int64_t now_ms);
  Result<std::vector<Member>> listMembers(const OrgScope& scope);
  Result<std::optional<Member>> member(const OrgScope& scope, std::string_view user_id);
  Result<bool> setMemberRole(const OrgScope& scope, std::string_view user_id, Role role);
  Result<bool> removeMember(const OrgScope& scope, std::string_view user_id);

  // Caller keys.
  Result<CallerKey> createCallerKey(const OrgScope& scope, const NewCallerKey& key,
                                    std::int64_t now_ms);
  Result<std::vector<CallerKey>> listCallerKeys(const OrgScope& scope);
  Result<std::optional<CallerKey>> callerKey(const OrgScope& scope, std::string_view key_id);
  Result<bool> revokeCallerKey(const OrgScope& scope, std::string_view key_id, std::int64_t now_ms);
  /// Marks `old_id` as rotated to `successor_id` and makes it expire at `old_expires_at`
  /// (or keeps an earlier expiry).
  Result<bool> markRotated(const OrgScope& scope, std::string_view old_id,
                           std::string_view successor_id, std::int64_t old_expires_at);
  /// Every unrevoked caller key of every organisation, for the verifier's cache. Instance-wide
  /// by nature: a presented key is looked up before its tenant is known.
  Result<std::vector<CallerKeyIdentity>> activeCallerKeys(const InstanceScope&);
  Result<std::int64_t> changeCounter(std::string_view name);

  // Admin keys.
  Result<AdminKey> createAdminKey(const OrgScope& scope, std::string_view id, std::string_view hash,
                                  Role role, std::string_view name, std::int64_t now_ms);
  Result<AdminKey> createSuperAdminKey(const InstanceScope&, std::string_view id,
                                       std::string_view hash, std::string_view name,
                                       std::int64_t now_ms);
  Result<std::vector<AdminKey>> listAdminKeys(const OrgScope& scope);
  Result<bool> revokeAdminKey(const OrgScope& scope, std::string_view key_id, std::int64_t now_ms);
  Result<std::size_t> countAdminKeys(const InstanceScope&);
  /// Looked up by key id before the principal is known (the admin API's authenticator).
  Result<std::optional<AdminKeyIdentity>> adminKeyForAuthentication(const InstanceScope&,
                                                                    std::string_view key_id);

  // Provider keys. The ciphertext is produced by the caller (the keyring) for the id this
  // store hands out first, so the AAD can bind the row id.
  std::string newProviderKeyId();
  Result<ProviderKey> addProviderKey(const OrgScope& scope, std::string_view id,
                                     std::string_view project_id, std::string_view provider,
                                     std::string_view name, std::string_view ciphertext,
                                     std::string_view last_four, std::int64_t now_ms);
  Result<std::vector<ProviderKey>> listProviderKeys(const OrgScope& scope);
  Result<std::optional<ProviderKey>> providerKey(const OrgScope& scope, std::string_view id);
  Result<bool> deleteProviderKey(const OrgScope& scope, std::string_view id);
  /// Every sealed provider key of one organisation (the data plane's index).
  Result<std::vector<SealedProviderKey>> sealedProviderKeys(const OrgScope& scope);
  /// Every sealed provider key, for the data plane's index and the rotation check.
  Result<std::vector<SealedProviderKey>> allSealedProviderKeys(const InstanceScope&);

  // Providers and models an organisation routes itself.
  Result<OrgProvider> addProvider(const OrgScope& scope, std::string_view name,
                                  std::string_view type, std::string_view base_url,
                                  std::int64_t now_ms);
  Result<std::vector<OrgProvider>> listProviders(const OrgScope& scope);
  Result<bool> deleteProvider(const OrgScope& scope, std::string_view id);
  Result<OrgModel> putModel(const OrgScope& scope, std::string_view name,
                            std::string_view deployments_json, std::int64_t now_ms);
  Result<std::vector<OrgModel>> listModels(const OrgScope& scope);
  Result<bool> deleteModel(const OrgScope& scope, std::string_view id);

  // Content history (written by the data plane's history writer).
  /// Newest first, at most `limit`.
  Result<std::vector<SealedHistoryEntry>> contentHistory(const OrgScope& scope, std::size_t limit);

 private:
  Result<void> bump(std::string_view counter);
  /// Runs `sql` (a DELETE or UPDATE with ?1 = the scope's organisation, ?2 = `id`); true when
  /// a row changed, and then the named change counters move.
  Result<bool> changeOne(std::string_view sql, const OrgScope& scope, std::string_view id,
                         std::initializer_list<std::string_view> counters);

  store::Database& db_;
  crypto::RandomSource& random_;
};

}  // namespace gatehouse::tenancy
