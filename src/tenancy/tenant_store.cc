// The tenant data-access layer: every statement that touches tenant data binds the scope's
// organisation id, so "the wrong tenant" is not a state a query can be in.

#include <gatehouse/crypto/encoding.h>
#include <gatehouse/store/database.h>
#include <gatehouse/tenancy/tenant_store.h>

#include <array>

namespace gatehouse::tenancy {
namespace {

constexpr std::array<std::string_view, 4> kRoleNames = {"viewer", "member", "admin", "owner"};

std::string joinScopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& scope : scopes) {
    if (!out.empty()) {
      out += ',';
    }
    out += scope;
  }
  return out;
}

std::vector<std::string> splitScopes(std::string_view text) {
  std::vector<std::string> scopes;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto part = text.substr(0, comma);
    if (!part.empty()) {
      scopes.emplace_back(part);
    }
    if (comma == std::string_view::npos) {
      break;
    }
    text.remove_prefix(comma + 1);
  }
  return scopes;
}

std::optional<std::int64_t> optionalInt(const store::Statement& row, int column) {
  if (row.columnIsNull(column)) {
    return std::nullopt;
  }
  return row.columnInt(column);
}

Result<bool> runChanging(store::Database& db, Result<store::Statement>& statement) {
  if (!statement) {
    return statement.takeError();
  }
  if (auto r = statement->run(); !r) {
    return r.takeError();
  }
  return db.changes() > 0;
}

Organization readOrganization(const store::Statement& row) {
  return Organization{row.columnText(0), row.columnText(1), row.columnInt(2),
                      row.columnInt(3),  row.columnInt(4),  row.columnInt(5) != 0};
}
constexpr std::string_view kOrganizationColumns =
    "id, name, created_at, audit_retention_days, usage_retention_days, content_history";

Project readProject(const store::Statement& row) {
  return Project{row.columnText(0), row.columnText(1), row.columnText(2), row.columnInt(3)};
}

Member readMember(const store::Statement& row) {
  return Member{row.columnText(0), row.columnText(1), row.columnText(2),
                parseRole(row.columnText(3)).value_or(Role::kViewer), row.columnInt(4)};
}
constexpr std::string_view kMemberSelect =
    "SELECT u.id, u.email, m.display_name, m.role, m.created_at FROM memberships m "
    "JOIN users u ON u.id = m.user_id WHERE m.org_id = ?1";

CallerKey readCallerKey(const store::Statement& row) {
  CallerKey key;
  key.id = row.columnText(0);
  key.org_id = row.columnText(1);
  key.project_id = row.columnText(2);
  key.name = row.columnText(3);
  key.scopes = splitScopes(row.columnText(4));
  key.created_at = row.columnInt(5);
  key.expires_at = optionalInt(row, 6);
  key.revoked_at = optionalInt(row, 7);
  if (!row.columnIsNull(8)) {
    key.rotated_to = row.columnText(8);
  }
  return key;
}
constexpr std::string_view kCallerKeyColumns =
    "id, org_id, project_id, name, scopes, created_at, expires_at, revoked_at, rotated_to";

AdminKey readAdminKey(const store::Statement& row) {
  return AdminKey{row.columnText(0), row.columnText(1), row.columnText(2),
                  row.columnText(3), row.columnInt(4),  optionalInt(row, 5)};
}

ProviderKey readProviderKey(const store::Statement& row) {
  return ProviderKey{row.columnText(0), row.columnText(1), row.columnText(2), row.columnText(3),
                     row.columnText(4), row.columnText(5), row.columnInt(6)};
}
constexpr std::string_view kProviderKeyColumns =
    "id, org_id, COALESCE(project_id, ''), provider, name, last_four, created_at";

SealedProviderKey readSealed(const store::Statement& row) {
  return SealedProviderKey{row.columnText(0), row.columnText(1), row.columnText(2),
                           row.columnText(3), row.columnBlob(4)};
}

OrgProvider readProvider(const store::Statement& row) {
  return OrgProvider{row.columnText(0), row.columnText(1), row.columnText(2),
                     row.columnText(3), row.columnText(4), row.columnInt(5)};
}

OrgModel readModel(const store::Statement& row) {
  return OrgModel{row.columnText(0), row.columnText(1), row.columnText(2), row.columnText(3),
                  row.columnInt(4)};
}

// A purpose tag and length-prefixed fields: no value can be crafted to read as two.
std::string boundContext(std::string_view purpose, std::initializer_list<std::string_view> fields) {
  std::string aad(purpose);
  for (std::string_view field : fields) {
    aad += '|';
    aad += std::to_string(field.size());
    aad += ':';
    aad += field;
  }
  return aad;
}

Error notFound(std::string what) {
  return makeError(ErrorCode::kNotFound, std::move(what));
}

// SystemRandom is stateless and thread-safe: one serves every reader.
crypto::RandomSource& systemRandom() {
  static crypto::SystemRandom random;
  return random;
}

}  // namespace

std::string_view roleName(Role role) {
  return kRoleNames[static_cast<std::size_t>(role)];
}

std::optional<Role> parseRole(std::string_view name) {
  for (std::size_t i = 0; i < kRoleNames.size(); ++i) {
    if (kRoleNames[i] == name) {
      return static_cast<Role>(i);
    }
  }
  return std::nullopt;
}

std::string providerKeyAad(std::string_view org_id, std::string_view row_id,
                           std::string_view provider) {
  return boundContext("gatehouse/provider-key/v1", {org_id, row_id, provider});
}

std::string contentHistoryAad(std::string_view org_id, std::string_view request_id) {
  return boundContext("gatehouse/content-history/v1", {org_id, request_id});
}

std::string newObjectId(std::string_view prefix, crypto::RandomSource& random) {
  std::string id(prefix);
  for (int i = 0; i < 16; ++i) {
    id += crypto::kBase62Alphabet[random.uniform(62)];
  }
  return id;
}

TenantStore::TenantStore(store::Database& db) : db_(db), random_(systemRandom()) {}

Result<void> TenantStore::bump(std::string_view counter) {
  auto update = db_.prepare("UPDATE change_counters SET value = value + 1 WHERE name = ?1");
  if (!update) {
    return update.takeError();
  }
  update->bind(1, counter);
  return update->run();
}

Result<bool> TenantStore::changeOne(std::string_view sql, const OrgScope& scope,
                                    std::string_view id,
                                    std::initializer_list<std::string_view> counters) {
  auto statement = db_.prepare(sql);
  if (statement) {
    statement->bind(1, scope.orgId()).bind(2, id);
  }
  auto changed = runChanging(db_, statement);
  if (changed && *changed) {
    for (std::string_view counter : counters) {
      if (auto r = bump(counter); !r) {
        return r.takeError();
      }
    }
  }
  return changed;
}

Result<std::int64_t> TenantStore::changeCounter(std::string_view name) {
  auto select = db_.prepare("SELECT value FROM change_counters WHERE name = ?1");
  if (!select) {
    return select.takeError();
  }
  select->bind(1, name);
  auto row = select->step();
  if (!row) {
    return row.takeError();
  }
  return *row ? select->columnInt(0) : 0;
}

// --- Organisations -------------------------------------------------------------------------

Result<Organization> TenantStore::createOrganization(const InstanceScope&, std::string_view name,
                                                     std::int64_t now_ms) {
  Organization org;
  org.id = newObjectId("org_", random_);
  org.name = std::string(name);
  org.created_at = now_ms;
  auto insert = db_.prepare("INSERT INTO organizations (id, name, created_at) VALUES (?1, ?2, ?3)");
  if (!insert) {
    return insert.takeError();
  }
  insert->bind(1, org.id).bind(2, name).bind(3, now_ms);
  if (auto r = insert->run(); !r) {
    return r.takeError();
  }
  return org;
}

Result<std::vector<Organization>> TenantStore::listOrganizations(const InstanceScope&) {
  auto select = db_.prepare("SELECT " + std::string(kOrganizationColumns) +
                            " FROM organizations ORDER BY created_at, id");
  return store::collectRows<Organization>(select, readOrganization);
}

Result<std::optional<OrgScope>> TenantStore::enter(const InstanceScope&, std::string_view org_id) {
  auto select = db_.prepare("SELECT id FROM organizations WHERE id = ?1");
  if (!select) {
    return select.takeError();
  }
  select->bind(1, org_id);
  auto row = select->step();
  if (!row) {
    return row.takeError();
  }
  if (!*row) {
    return std::optional<OrgScope>();
  }
  return std::optional<OrgScope>(OrgScope(select->columnText(0)));
}

Result<bool> TenantStore::deleteOrganization(const OrgScope& scope) {
  // Usage records name the organisation without a foreign key (they outlive keys and
  // projects), so they go explicitly. Audit entries stay: they record the deletion itself.
  auto usage = db_.prepare("DELETE FROM usage_records WHERE org_id = ?1");
  if (!usage) {
    return usage.takeError();
  }
  usage->bind(1, scope.orgId());
  if (auto r = usage->run(); !r) {
    return r.takeError();
  }
  auto remove = db_.prepare("DELETE FROM organizations WHERE id = ?1");
  if (remove) {
    remove->bind(1, scope.orgId());
  }
  auto removed = runChanging(db_, remove);
  if (removed && *removed) {
    if (auto r = bump("caller_keys"); !r) {
      return r.takeError();
    }
    if (auto r = bump("tenancy"); !r) {
      return r.takeError();
    }
  }
  return removed;
}

Result<Organization> TenantStore::organization(const OrgScope& scope) {
  auto select = db_.prepare("SELECT " + std::string(kOrganizationColumns) +
                            " FROM organizations WHERE id = ?1");
  if (select) {
    select->bind(1, scope.orgId());
  }
  auto org = store::firstRow<Organization>(select, readOrganization);
  if (!org) {
    return org.takeError();
  }
  if (!*org) {
    return notFound("organization not found");
  }
  return std::move(**org);
}

Result<Organization> TenantStore::updateOrganization(const OrgScope& scope,
                                                     const OrganizationSettings& settings) {
  auto update = db_.prepare(
      "UPDATE organizations SET name = COALESCE(?2, name), "
      "audit_retention_days = COALESCE(?3, audit_retention_days), "
      "usage_retention_days = COALESCE(?4, usage_retention_days), "
      "content_history = COALESCE(?5, content_history) WHERE id = ?1");
  if (!update) {
    return update.takeError();
  }
  update->bind(1, scope.orgId());
  settings.name ? update->bind(2, *settings.name) : update->bindNull(2);
  settings.audit_retention_days ? update->bind(3, *settings.audit_retention_days)
                                : update->bindNull(3);
  settings.usage_retention_days ? update->bind(4, *settings.usage_retention_days)
                                : update->bindNull(4);
  settings.content_history
      ? update->bind(5, static_cast<std::int64_t>(*settings.content_history ? 1 : 0))
      : update->bindNull(5);
  if (auto r = update->run(); !r) {
    return r.takeError();
  }
  if (auto r = bump("tenancy"); !r) {
    return r.takeError();
  }
  return organization(scope);
}

// --- Projects ------------------------------------------------------------------------------

Result<Project> TenantStore::createProject(const OrgScope& scope, std::string_view name,
                                           std::int64_t now_ms) {
  Project project{newObjectId("prj_", random_), scope.orgId(), std::string(name), now_ms};
  auto insert =
      db_.prepare("INSERT INTO projects (id, org_id, name, created_at) VALUES (?1, ?2, ?3, ?4)");
  if (!insert) {
    return insert.takeError();
  }
  insert->bind(1, project.id).bind(2, scope.orgId()).bind(3, name).bind(4, now_ms);
  if (auto r = insert->run(); !r) {
    return makeError(ErrorCode::kConflict, "a project with that name already exists");
  }
  return project;
}

Result<std::vector<Project>> TenantStore::listProjects(const OrgScope& scope) {
  auto select = db_.prepare(
      "SELECT id, org_id, name, created_at FROM projects WHERE org_id = ?1 ORDER BY created_at, "
      "id");
  if (select) {
    select->bind(1, scope.orgId());
  }
  return store::collectRows<Project>(select, readProject);
}

Result<std::optional<Project>> TenantStore::project(const OrgScope& scope,
                                                    std::string_view project_id) {
  auto select = db_.prepare(
      "SELECT id, org_id, name, created_at FROM projects WHERE org_id = ?1 AND id = ?2");
  if (select) {
    select->bind(1, scope.orgId()).bind(2, project_id);
  }
  return store::firstRow<Project>(select, readProject);
}

Result<bool> TenantStore::deleteProject(const OrgScope& scope, std::string_view project_id) {
  return changeOne("DELETE FROM projects WHERE org_id = ?1 AND id = ?2", scope, project_id,
                   {"caller_keys", "tenancy"});
}

// --- Members -------------------------------------------------------------------------------

Result<Member> TenantStore::addMember(const OrgScope& scope, std::string_view email,
                                      std::string_view name, Role role, std::int64_t now_ms) {
  auto upsert = db_.prepare(
      "INSERT INTO users (id, email, created_at) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (email) DO NOTHING");
  if (!upsert) {
    return upsert.takeError();
  }
  upsert->bind(1, newObjectId("usr_", random_)).bind(2, email).bind(3, now_ms);
  if (auto r = upsert->run(); !r) {
    return r.takeError();
  }
  auto insert = db_.prepare(
      "INSERT INTO memberships (org_id, user_id, display_name, role, created_at) "
      "SELECT ?1, id, ?5, ?2, ?3 FROM users WHERE email = ?4");
  if (!insert) {
    return insert.takeError();
  }
  insert->bind(1, scope.orgId())
      .bind(2, roleName(role))
      .bind(3, now_ms)
      .bind(4, email)
      .bind(5, name);
  if (auto r = insert->run(); !r) {
    return makeError(ErrorCode::kConflict, "that user is already a member");
  }
  auto select = db_.prepare(std::string(kMemberSelect) + " AND u.email = ?2");
  if (select) {
    select->bind(1, scope.orgId()).bind(2, email);
  }
  auto added = store::firstRow<Member>(select, readMember);
  if (!added) {
    return added.takeError();
  }
  if (!*added) {
    return makeError(ErrorCode::kInternal, "membership vanished after insert");
  }
  return std::move(**added);
}

Result<std::vector<Member>> TenantStore::listMembers(const OrgScope& scope) {
  auto select = db_.prepare(std::string(kMemberSelect) + " ORDER BY m.created_at, u.email");
  if (select) {
    select->bind(1, scope.orgId());
  }
  return store::collectRows<Member>(select, readMember);
}

Result<std::optional<Member>> TenantStore::member(const OrgScope& scope, std::string_view user_id) {
  auto select = db_.prepare(std::string(kMemberSelect) + " AND u.id = ?2");
  if (select) {
    select->bind(1, scope.orgId()).bind(2, user_id);
  }
  return store::firstRow<Member>(select, readMember);
}

Result<bool> TenantStore::setMemberRole(const OrgScope& scope, std::string_view user_id,
                                        Role role) {
  auto update = db_.prepare("UPDATE memberships SET role = ?3 WHERE org_id = ?1 AND user_id = ?2");
  if (update) {
    update->bind(1, scope.orgId()).bind(2, user_id).bind(3, roleName(role));
  }
  return runChanging(db_, update);
}

Result<bool> TenantStore::removeMember(const OrgScope& scope, std::string_view user_id) {
  return changeOne("DELETE FROM memberships WHERE org_id = ?1 AND user_id = ?2", scope, user_id,
                   {});
}

// --- Caller keys ---------------------------------------------------------------------------

Result<CallerKey> TenantStore::createCallerKey(const OrgScope& scope, const NewCallerKey& key,
                                               std::int64_t now_ms) {
  auto insert = db_.prepare(
      "INSERT INTO caller_keys (id, org_id, project_id, name, key_hash, scopes, created_at, "
      "expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!insert) {
    return insert.takeError();
  }
  insert->bind(1, key.id)
      .bind(2, scope.orgId())
      .bind(3, key.project_id)
      .bind(4, key.name)
      .bindBlob(5, key.hash)
      .bind(6, joinScopes(key.scopes))
      .bind(7, now_ms);
  key.expires_at ? insert->bind(8, *key.expires_at) : insert->bindNull(8);
  if (auto r = insert->run(); !r) {
    // The only constraint a valid request can trip: the project is not this org's.
    return notFound("project not found");
  }
  if (auto r = bump("caller_keys"); !r) {
    return r.takeError();
  }
  CallerKey created;
  created.id = key.id;
  created.org_id = scope.orgId();
  created.project_id = key.project_id;
  created.name = key.name;
  created.scopes = key.scopes;
  created.created_at = now_ms;
  created.expires_at = key.expires_at;
  return created;
}

Result<std::vector<CallerKey>> TenantStore::listCallerKeys(const OrgScope& scope) {
  auto select = db_.prepare("SELECT " + std::string(kCallerKeyColumns) +
                            " FROM caller_keys WHERE org_id = ?1 ORDER BY created_at, id");
  if (select) {
    select->bind(1, scope.orgId());
  }
  return store::collectRows<CallerKey>(select, readCallerKey);
}

Result<std::optional<CallerKey>> TenantStore::callerKey(const OrgScope& scope,
                                                        std::string_view key_id) {
  auto select = db_.prepare("SELECT " + std::string(kCallerKeyColumns) +
                            " FROM caller_keys WHERE org_id = ?1 AND id = ?2");
  if (select) {
    select->bind(1, scope.orgId()).bind(2, key_id);
  }
  return store::firstRow<CallerKey>(select, readCallerKey);
}

Result<bool> TenantStore::revokeCallerKey(const OrgScope& scope, std::string_view key_id,
                                          std::int64_t now_ms) {
  auto update = db_.prepare(
      "UPDATE caller_keys SET revoked_at = ?3 WHERE org_id = ?1 AND id = ?2 AND revoked_at IS "
      "NULL");
  if (update) {
    update->bind(1, scope.orgId()).bind(2, key_id).bind(3, now_ms);
  }
  auto revoked = runChanging(db_, update);
  if (revoked && *revoked) {
    if (auto r = bump("caller_keys"); !r) {
      return r.takeError();
    }
  }
  return revoked;
}

Result<bool> TenantStore::markRotated(const OrgScope& scope, std::string_view old_id,
                                      std::string_view successor_id, std::int64_t old_expires_at) {
  auto update = db_.prepare(
      "UPDATE caller_keys SET rotated_to = ?3, expires_at = MIN(COALESCE(expires_at, ?4), ?4) "
      "WHERE org_id = ?1 AND id = ?2 AND revoked_at IS NULL");
  if (update) {
    update->bind(1, scope.orgId()).bind(2, old_id).bind(3, successor_id).bind(4, old_expires_at);
  }
  auto rotated = runChanging(db_, update);
  if (rotated && *rotated) {
    if (auto r = bump("caller_keys"); !r) {
      return r.takeError();
    }
  }
  return rotated;
}

Result<std::vector<CallerKeyIdentity>> TenantStore::activeCallerKeys(const InstanceScope&) {
  auto select = db_.prepare(
      "SELECT id, org_id, project_id, key_hash, scopes, expires_at FROM caller_keys "
      "WHERE revoked_at IS NULL");
  return store::collectRows<CallerKeyIdentity>(select, [](const store::Statement& row) {
    return CallerKeyIdentity{row.columnText(0),
                             row.columnText(1),
                             row.columnText(2),
                             row.columnBlob(3),
                             splitScopes(row.columnText(4)),
                             optionalInt(row, 5)};
  });
}

// --- Admin keys ----------------------------------------------------------------------------

Result<AdminKey> TenantStore::createAdminKey(const OrgScope& scope, std::string_view id,
                                             std::string_view hash, Role role,
                                             std::string_view name, std::int64_t now_ms) {
  auto insert = db_.prepare(
      "INSERT INTO admin_keys (id, org_id, role, name, key_hash, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!insert) {
    return insert.takeError();
  }
  insert->bind(1, id)
      .bind(2, scope.orgId())
      .bind(3, roleName(role))
      .bind(4, name)
      .bindBlob(5, hash)
      .bind(6, now_ms);
  if (auto r = insert->run(); !r) {
    return r.takeError();
  }
  return AdminKey{std::string(id),   scope.orgId(), std::string(roleName(role)),
                  std::string(name), now_ms,        std::nullopt};
}

Result<AdminKey> TenantStore::createSuperAdminKey(const InstanceScope&, std::string_view id,
                                                  std::string_view hash, std::string_view name,
                                                  std::int64_t now_ms) {
  auto insert = db_.prepare(
      "INSERT INTO admin_keys (id, org_id, role, name, key_hash, created_at) "
      "VALUES (?1, NULL, 'superadmin', ?2, ?3, ?4)");
  if (!insert) {
    return insert.takeError();
  }
  insert->bind(1, id).bind(2, name).bindBlob(3, hash).bind(4, now_ms);
  if (auto r = insert->run(); !r) {
    return r.takeError();
  }
  return AdminKey{std::string(id), "", "superadmin", std::string(name), now_ms, std::nullopt};
}

Result<std::vector<AdminKey>> TenantStore::listAdminKeys(const OrgScope& scope) {
  auto select = db_.prepare(
      "SELECT id, org_id, role, name, created_at, revoked_at FROM admin_keys WHERE org_id = ?1 "
      "ORDER BY created_at, id");
  if (select) {
    select->bind(1, scope.orgId());
  }
  return store::collectRows<AdminKey>(select, readAdminKey);
}

Result<bool> TenantStore::revokeAdminKey(const OrgScope& scope, std::string_view key_id,
                                         std::int64_t now_ms) {
  auto update = db_.prepare(
      "UPDATE admin_keys SET revoked_at = ?3 WHERE org_id = ?1 AND id = ?2 AND revoked_at IS "
      "NULL");
  if (update) {
    update->bind(1, scope.orgId()).bind(2, key_id).bind(3, now_ms);
  }
  return runChanging(db_, update);
}

Result<std::size_t> TenantStore::countAdminKeys(const InstanceScope&) {
  auto select = db_.prepare("SELECT COUNT(*) FROM admin_keys");
  if (!select) {
    return select.takeError();
  }
  auto row = select->step();
  if (!row) {
    return row.takeError();
  }
  return static_cast<std::size_t>(select->columnInt(0));
}

Result<std::optional<AdminKeyIdentity>> TenantStore::adminKeyForAuthentication(
    const InstanceScope&, std::string_view key_id) {
  auto select = db_.prepare(
      "SELECT id, COALESCE(org_id, ''), role, key_hash FROM admin_keys "
      "WHERE id = ?1 AND revoked_at IS NULL");
  if (select) {
    select->bind(1, key_id);
  }
  return store::firstRow<AdminKeyIdentity>(select, [](const store::Statement& row) {
    return AdminKeyIdentity{row.columnText(0), row.columnText(1), row.columnText(2),
                            row.columnBlob(3)};
  });
}

// --- Provider keys -------------------------------------------------------------------------

std::string TenantStore::newProviderKeyId() {
  return newObjectId("pk_", random_);
}

Result<ProviderKey> TenantStore::addProviderKey(const OrgScope& scope, std::string_view id,
                                                std::string_view project_id,
                                                std::string_view provider, std::string_view name,
                                                std::string_view ciphertext,
                                                std::string_view last_four, std::int64_t now_ms) {
  auto insert = db_.prepare(
      "INSERT INTO provider_keys (id, org_id, project_id, provider, name, ciphertext, last_four, "
      "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!insert) {
    return insert.takeError();
  }
  insert->bind(1, id).bind(2, scope.orgId());
  project_id.empty() ? insert->bindNull(3) : insert->bind(3, project_id);
  insert->bind(4, provider)
      .bind(5, name)
      .bindBlob(6, ciphertext)
      .bind(7, last_four)
      .bind(8, now_ms);
  if (auto r = insert->run(); !r) {
    return notFound("project not found");
  }
  if (auto r = bump("tenancy"); !r) {
    return r.takeError();
  }
  return ProviderKey{std::string(id),
                     scope.orgId(),
                     std::string(project_id),
                     std::string(provider),
                     std::string(name),
                     std::string(last_four),
                     now_ms};
}

Result<std::vector<ProviderKey>> TenantStore::listProviderKeys(const OrgScope& scope) {
  auto select = db_.prepare("SELECT " + std::string(kProviderKeyColumns) +
                            " FROM provider_keys WHERE org_id = ?1 ORDER BY created_at, id");
  if (select) {
    select->bind(1, scope.orgId());
  }
  return store::collectRows<ProviderKey>(select, readProviderKey);
}

Result<std::optional<ProviderKey>> TenantStore::providerKey(const OrgScope& scope,
                                                            std::string_view id) {
  auto select = db_.prepare("SELECT " + std::string(kProviderKeyColumns) +
                            " FROM provider_keys WHERE org_id = ?1 AND id = ?2");
  if (select) {
    select->bind(1, scope.orgId()).bind(2, id);
  }
  return store::firstRow<ProviderKey>(select, readProviderKey);
}

Result<bool> TenantStore::deleteProviderKey(const OrgScope& scope, std::string_view id) {
  return changeOne("DELETE FROM provider_keys WHERE org_id = ?1 AND id = ?2", scope, id,
                   {"tenancy"});
}

Result<std::vector<SealedProviderKey>> TenantStore::sealedProviderKeys(const OrgScope& scope) {
  auto select = db_.prepare(
      "SELECT id, org_id, COALESCE(project_id, ''), provider, ciphertext FROM provider_keys "
      "WHERE org_id = ?1");
  if (select) {
    select->bind(1, scope.orgId());
  }
  return store::collectRows<SealedProviderKey>(select, readSealed);
}

Result<std::vector<SealedProviderKey>> TenantStore::allSealedProviderKeys(const InstanceScope&) {
  auto select = db_.prepare(
      "SELECT id, org_id, COALESCE(project_id, ''), provider, ciphertext FROM provider_keys");
  return store::collectRows<SealedProviderKey>(select, readSealed);
}

// --- Providers and models ------------------------------------------------------------------

Result<OrgProvider> TenantStore::addProvider(const OrgScope& scope, std::string_view name,
                                             std::string_view type, std::string_view base_url,
                                             std::int64_t now_ms) {
  OrgProvider provider{
      newObjectId("prv_", random_), scope.orgId(), std::string(name), std::string(type),
      std::string(base_url),        now_ms};
  auto insert = db_.prepare(
      "INSERT INTO org_providers (id, org_id, name, type, base_url, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!insert) {
    return insert.takeError();
  }
  insert->bind(1, provider.id)
      .bind(2, scope.orgId())
      .bind(3, name)
      .bind(4, type)
      .bind(5, base_url)
      .bind(6, now_ms);
  if (auto r = insert->run(); !r) {
    return makeError(ErrorCode::kConflict, "a provider with that name already exists");
  }
  if (auto r = bump("tenancy"); !r) {
    return r.takeError();
  }
  return provider;
}

Result<std::vector<OrgProvider>> TenantStore::listProviders(const OrgScope& scope) {
  auto select = db_.prepare(
      "SELECT id, org_id, name, type, base_url, created_at FROM org_providers WHERE org_id = ?1 "
      "ORDER BY created_at, id");
  if (select) {
    select->bind(1, scope.orgId());
  }
  return store::collectRows<OrgProvider>(select, readProvider);
}

Result<bool> TenantStore::deleteProvider(const OrgScope& scope, std::string_view id) {
  return changeOne("DELETE FROM org_providers WHERE org_id = ?1 AND id = ?2", scope, id,
                   {"tenancy"});
}

Result<OrgModel> TenantStore::putModel(const OrgScope& scope, std::string_view name,
                                       std::string_view deployments_json, std::int64_t now_ms) {
  auto upsert = db_.prepare(
      "INSERT INTO org_models (id, org_id, name, deployments, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT (org_id, name) DO UPDATE SET deployments = excluded.deployments");
  if (!upsert) {
    return upsert.takeError();
  }
  upsert->bind(1, newObjectId("mdl_", random_))
      .bind(2, scope.orgId())
      .bind(3, name)
      .bind(4, deployments_json)
      .bind(5, now_ms);
  if (auto r = upsert->run(); !r) {
    return r.takeError();
  }
  if (auto r = bump("tenancy"); !r) {
    return r.takeError();
  }
  auto select = db_.prepare(
      "SELECT id, org_id, name, deployments, created_at FROM org_models "
      "WHERE org_id = ?1 AND name = ?2");
  if (select) {
    select->bind(1, scope.orgId()).bind(2, name);
  }
  auto model = store::firstRow<OrgModel>(select, readModel);
  if (!model) {
    return model.takeError();
  }
  if (!*model) {
    return makeError(ErrorCode::kInternal, "model vanished after insert");
  }
  return std::move(**model);
}

Result<std::vector<OrgModel>> TenantStore::listModels(const OrgScope& scope) {
  auto select = db_.prepare(
      "SELECT id, org_id, name, deployments, created_at FROM org_models WHERE org_id = ?1 "
      "ORDER BY name");
  if (select) {
    select->bind(1, scope.orgId());
  }
  return store::collectRows<OrgModel>(select, readModel);
}

Result<bool> TenantStore::deleteModel(const OrgScope& scope, std::string_view id) {
  return changeOne("DELETE FROM org_models WHERE org_id = ?1 AND id = ?2", scope, id, {"tenancy"});
}

// --- Content history -----------------------------------------------------------------------

Result<std::vector<SealedHistoryEntry>> TenantStore::contentHistory(const OrgScope& scope,
                                                                    std::size_t limit) {
  auto select = db_.prepare(
      "SELECT request_id, project_id, created_at, sealed FROM content_history WHERE org_id = ?1 "
      "ORDER BY id DESC LIMIT ?2");
  if (select) {
    select->bind(1, scope.orgId()).bind(2, static_cast<std::int64_t>(limit));
  }
  return store::collectRows<SealedHistoryEntry>(select, [](const store::Statement& row) {
    return SealedHistoryEntry{row.columnText(0), row.columnText(1), row.columnInt(2),
                              row.columnBlob(3)};
  });
}

}  // namespace gatehouse::tenancy
