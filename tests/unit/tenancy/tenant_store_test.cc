#include <gatehouse/tenancy/tenant_store.h>

#include <gatehouse/store/database.h>

#include "mocks/fixed_random.h"
#include "mocks/temp_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace gatehouse::tenancy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::int64_t kNow = 1'700'000'000'000;

// Unwraps a Result, failing the test (by exception, which GoogleTest reports) when it is an
// error, so a setup step that fails cannot be mistaken for a passing check later on.
template <class T>
T ok(Result<T> result) {
  if (!result.ok()) {
    throw std::runtime_error("unexpected error: " + result.error().message);
  }
  return std::move(result).value();
}

void okVoid(const Result<void>& result) {
  if (!result.ok()) {
    throw std::runtime_error("unexpected error: " + result.error().message);
  }
}

std::string hashOf(char c) {
  return std::string(32, c);
}

// Everything one organisation owns, by id, so the cross-tenant checks can aim at it.
struct OrgFixture {
  std::string org_id;
  std::string project_id;
  std::string other_project_id;
  std::string only_user_id;  ///< A user who is a member of this organisation only.
  std::string only_email;
  std::string shared_user_id;  ///< A user who is a member of both organisations.
  std::string caller_key_id;
  std::string admin_key_id;
  std::string provider_key_id;
  std::string project_provider_key_id;
  std::string provider_id;
  std::string provider_name;
  std::string model_id;
  std::string model_name;
  std::string history_request_id;
};

class TenantStoreTest : public ::testing::Test {
 protected:
  TenantStoreTest()
      : db_(store::Database::open(store::databasePath(dir_.path()))), store_(*db_, random_) {}

  OrgScope createOrg(const std::string& name) {
    const auto org = ok(store_.createOrganization(instance_, name, kNow));
    auto scope = ok(store_.enter(instance_, org.id));
    if (!scope) {
      throw std::runtime_error("created organisation cannot be entered");
    }
    return *scope;
  }

  NewCallerKey newKey(std::string id, std::string project_id, char hash = 'h') {
    NewCallerKey key;
    key.id = std::move(id);
    key.hash = hashOf(hash);
    key.project_id = std::move(project_id);
    key.name = "ci";
    return key;
  }

  // Populates one organisation with one of everything. `tag` keeps ids and names apart.
  OrgFixture populate(const OrgScope& scope, const std::string& tag) {
    OrgFixture f;
    f.org_id = scope.orgId();
    f.project_id = ok(store_.createProject(scope, "main", kNow)).id;
    f.other_project_id = ok(store_.createProject(scope, "second", kNow + 1)).id;
    f.only_email = "only-" + tag + "@example.com";
    f.only_user_id =
        ok(store_.addMember(scope, f.only_email, "Only " + tag, Role::kAdmin, kNow)).user_id;
    f.shared_user_id =
        ok(store_.addMember(scope, "shared@example.com", "Shared", Role::kMember, kNow)).user_id;
    f.caller_key_id = "ck" + tag;
    ok(store_.createCallerKey(scope, newKey(f.caller_key_id, f.project_id), kNow));
    f.admin_key_id = "ak" + tag;
    ok(store_.createAdminKey(scope, f.admin_key_id, hashOf('a'), Role::kAdmin, "ops", kNow));
    f.provider_name = "own-" + tag;
    f.provider_id =
        ok(store_.addProvider(scope, f.provider_name, "openai", "https://8.8.8.8/v1", kNow)).id;
    f.provider_key_id = store_.newProviderKeyId();
    ok(store_.addProviderKey(scope, f.provider_key_id, "", f.provider_name, "org-wide",
                             "sealed-" + tag, "abcd", kNow));
    f.project_provider_key_id = store_.newProviderKeyId();
    ok(store_.addProviderKey(scope, f.project_provider_key_id, f.project_id, f.provider_name,
                             "project", "sealed-project-" + tag, "wxyz", kNow));
    f.model_name = "model-" + tag;
    f.model_id = ok(store_.putModel(scope, f.model_name, R"([{"provider":"own"}])", kNow)).id;
    // Content history is written by the data plane, not through this store.
    f.history_request_id = "req-" + tag;
    auto history = db_->prepare(
        "INSERT INTO content_history (org_id, project_id, request_id, created_at, sealed) "
        "VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!history) {
      throw std::runtime_error(history.error().message);
    }
    history->bind(1, f.org_id)
        .bind(2, f.project_id)
        .bind(3, f.history_request_id)
        .bind(4, kNow)
        .bindBlob(5, "history-sealed-" + tag);
    okVoid(history->run());
    return f;
  }

  std::int64_t count(const std::string& sql) {
    auto select = db_->prepare(sql);
    if (!select) {
      throw std::runtime_error(select.error().message);
    }
    auto row = ok(select->step());
    return row ? select->columnInt(0) : -1;
  }

  std::int64_t countForOrg(const std::string& table, const std::string& org_id) {
    return count("SELECT COUNT(*) FROM " + table + " WHERE org_id = '" + org_id + "'");
  }

  std::int64_t counter(std::string_view name) { return ok(store_.changeCounter(name)); }

  // Everything one organisation can read about itself, serialised: a cross-tenant call must
  // leave this unchanged for the other organisation.
  std::string snapshot(const OrgScope& scope) {
    std::ostringstream out;
    const auto org = ok(store_.organization(scope));
    out << "org " << org.id << ' ' << org.name << ' ' << org.audit_retention_days << ' '
        << org.usage_retention_days << ' ' << org.content_history << '\n';
    for (const auto& p : ok(store_.listProjects(scope))) {
      out << "project " << p.id << ' ' << p.name << '\n';
    }
    for (const auto& m : ok(store_.listMembers(scope))) {
      out << "member " << m.user_id << ' ' << m.email << ' ' << roleName(m.role) << '\n';
    }
    for (const auto& k : ok(store_.listCallerKeys(scope))) {
      out << "caller_key " << k.id << ' ' << k.project_id << ' ' << k.expires_at.value_or(-1) << ' '
          << k.revoked_at.value_or(-1) << ' ' << k.rotated_to.value_or("-") << '\n';
    }
    for (const auto& k : ok(store_.listAdminKeys(scope))) {
      out << "admin_key " << k.id << ' ' << k.role << ' ' << k.revoked_at.value_or(-1) << '\n';
    }
    for (const auto& k : ok(store_.listProviderKeys(scope))) {
      out << "provider_key " << k.id << ' ' << k.project_id << ' ' << k.provider << '\n';
    }
    for (const auto& k : ok(store_.sealedProviderKeys(scope))) {
      out << "sealed " << k.id << ' ' << k.ciphertext << '\n';
    }
    for (const auto& p : ok(store_.listProviders(scope))) {
      out << "provider " << p.id << ' ' << p.name << ' ' << p.base_url << '\n';
    }
    for (const auto& m : ok(store_.listModels(scope))) {
      out << "model " << m.id << ' ' << m.name << ' ' << m.deployments << '\n';
    }
    for (const auto& h : ok(store_.contentHistory(scope, 1000))) {
      out << "history " << h.request_id << ' ' << h.project_id << ' ' << h.sealed << '\n';
    }
    return out.str();
  }

  testing::TempDir dir_;
  testing::FixedRandom random_{42};
  std::unique_ptr<store::Database> db_;
  TenantStore store_;
  InstanceScope instance_ = ScopeGrant::instance();
};

// --- Roles, ids, AAD -------------------------------------------------------------------------

TEST(RoleNameTest, NamesRoundTripAndOrderWeakestFirst) {
  for (Role role : {Role::kViewer, Role::kMember, Role::kAdmin, Role::kOwner}) {
    EXPECT_EQ(parseRole(roleName(role)), role);
  }
  EXPECT_EQ(roleName(Role::kOwner), "owner");
  EXPECT_FALSE(parseRole("superadmin"));
  EXPECT_FALSE(parseRole("Owner"));
  EXPECT_FALSE(parseRole(""));
  EXPECT_LT(Role::kViewer, Role::kMember);
  EXPECT_LT(Role::kMember, Role::kAdmin);
  EXPECT_LT(Role::kAdmin, Role::kOwner);
}

TEST(ObjectIdTest, PrefixPlusSixteenBase62Characters) {
  testing::FixedRandom random(7);
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string id = newObjectId("prj_", random);
    ASSERT_EQ(id.size(), 4u + 16u);
    EXPECT_TRUE(id.starts_with("prj_"));
    for (char c : id.substr(4)) {
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << id;
    }
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(AadTest, ProviderKeyAadChangesWithEveryField) {
  const std::string base = providerKeyAad("org_a", "pk_1", "openai");
  EXPECT_EQ(base, providerKeyAad("org_a", "pk_1", "openai"));  // Deterministic.
  EXPECT_NE(base, providerKeyAad("org_b", "pk_1", "openai"));
  EXPECT_NE(base, providerKeyAad("org_a", "pk_2", "openai"));
  EXPECT_NE(base, providerKeyAad("org_a", "pk_1", "anthropic"));
  // Fields swapped between positions.
  EXPECT_NE(providerKeyAad("x", "y", "z"), providerKeyAad("y", "x", "z"));
  EXPECT_NE(providerKeyAad("x", "y", "z"), providerKeyAad("x", "z", "y"));
}

TEST(AadTest, ProviderKeyAadIsUnambiguous) {
  EXPECT_NE(providerKeyAad("ab", "c", "p"), providerKeyAad("a", "bc", "p"));
  EXPECT_NE(providerKeyAad("a", "bc", "p"), providerKeyAad("a", "b", "cp"));
  EXPECT_NE(providerKeyAad("", "ab", "p"), providerKeyAad("a", "b", "p"));
  EXPECT_NE(providerKeyAad("", "", "abc"), providerKeyAad("abc", "", ""));
  // A value crafted to look like a separator and the next field's length prefix.
  EXPECT_NE(providerKeyAad("a|1:b", "c", "p"), providerKeyAad("a", "b|1:c", "p"));
  EXPECT_NE(providerKeyAad("a|1:b", "c", "p"), providerKeyAad("a", "b", "c|1:p"));
}

TEST(AadTest, ContentHistoryAadChangesWithEveryFieldAndIsUnambiguous) {
  const std::string base = contentHistoryAad("org_a", "req_1");
  EXPECT_EQ(base, contentHistoryAad("org_a", "req_1"));
  EXPECT_NE(base, contentHistoryAad("org_b", "req_1"));
  EXPECT_NE(base, contentHistoryAad("org_a", "req_2"));
  EXPECT_NE(contentHistoryAad("ab", "c"), contentHistoryAad("a", "bc"));
  EXPECT_NE(contentHistoryAad("", "ab"), contentHistoryAad("ab", ""));
  EXPECT_NE(contentHistoryAad("a|1:b", "c"), contentHistoryAad("a", "b|1:c"));
}

TEST(AadTest, PurposesNeverCollide) {
  // A provider key's ciphertext must not open as content history, and the reverse.
  EXPECT_NE(providerKeyAad("org_a", "pk_1", ""), contentHistoryAad("org_a", "pk_1"));
  EXPECT_THAT(providerKeyAad("o", "i", "p"), Not(HasSubstr("content-history")));
  EXPECT_THAT(contentHistoryAad("o", "r"), Not(HasSubstr("provider-key")));
}

// --- Organisations ---------------------------------------------------------------------------

TEST_F(TenantStoreTest, MigrationCreatesTheDefaultOrganization) {
  const auto orgs = ok(store_.listOrganizations(instance_));
  ASSERT_EQ(orgs.size(), 1u);
  EXPECT_EQ(orgs[0].id, "org_default");
  auto scope = ok(store_.enter(instance_, "org_default"));
  ASSERT_TRUE(scope);
  EXPECT_THAT(ok(store_.listProjects(*scope)), ::testing::SizeIs(1));
}

TEST_F(TenantStoreTest, CreateListAndEnterOrganizations) {
  const auto a = ok(store_.createOrganization(instance_, "Acme", kNow));
  const auto b = ok(store_.createOrganization(instance_, "Beta", kNow + 1));
  EXPECT_TRUE(a.id.starts_with("org_"));
  EXPECT_NE(a.id, b.id);
  EXPECT_EQ(a.name, "Acme");
  EXPECT_EQ(a.created_at, kNow);
  EXPECT_EQ(a.audit_retention_days, 365);
  EXPECT_FALSE(a.content_history);

  const auto orgs = ok(store_.listOrganizations(instance_));
  std::vector<std::string> ids;
  for (const auto& org : orgs) {
    ids.push_back(org.id);
  }
  EXPECT_THAT(ids, ElementsAre("org_default", a.id, b.id));

  auto entered = ok(store_.enter(instance_, a.id));
  ASSERT_TRUE(entered);
  EXPECT_EQ(entered->orgId(), a.id);
  EXPECT_EQ(ok(store_.organization(*entered)).name, "Acme");

  EXPECT_FALSE(ok(store_.enter(instance_, "org_missing")));
  EXPECT_FALSE(ok(store_.enter(instance_, "")));
  // Ids are exact: no case folding, no prefix match, no SQL pattern.
  std::string upper = a.id;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  EXPECT_FALSE(ok(store_.enter(instance_, upper)));
  EXPECT_FALSE(ok(store_.enter(instance_, a.id.substr(0, a.id.size() - 1))));
  EXPECT_FALSE(ok(store_.enter(instance_, "org_%")));
}

TEST_F(TenantStoreTest, UpdateOrganizationChangesOnlyTheGivenFields) {
  const OrgScope a = createOrg("Acme");
  OrganizationSettings settings;
  settings.audit_retention_days = 30;
  settings.content_history = true;
  const auto updated = ok(store_.updateOrganization(a, settings));
  EXPECT_EQ(updated.name, "Acme");
  EXPECT_EQ(updated.audit_retention_days, 30);
  EXPECT_EQ(updated.usage_retention_days, 365);
  EXPECT_TRUE(updated.content_history);

  OrganizationSettings rename;
  rename.name = "Acme Corp";
  const auto renamed = ok(store_.updateOrganization(a, rename));
  EXPECT_EQ(renamed.name, "Acme Corp");
  EXPECT_EQ(renamed.audit_retention_days, 30);
  EXPECT_TRUE(renamed.content_history);
}

TEST_F(TenantStoreTest, OrganizationOfADeletedOrgIsNotFound) {
  const OrgScope a = createOrg("Acme");
  EXPECT_TRUE(ok(store_.deleteOrganization(a)));
  auto org = store_.organization(a);
  ASSERT_FALSE(org.ok());
  EXPECT_EQ(org.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(ok(store_.deleteOrganization(a)));
  EXPECT_FALSE(ok(store_.enter(instance_, a.orgId())));
}

// --- Projects --------------------------------------------------------------------------------

TEST_F(TenantStoreTest, Projects) {
  const OrgScope a = createOrg("Acme");
  const OrgScope b = createOrg("Beta");
  const auto main = ok(store_.createProject(a, "main", kNow));
  EXPECT_TRUE(main.id.starts_with("prj_"));
  EXPECT_EQ(main.org_id, a.orgId());
  const auto second = ok(store_.createProject(a, "second", kNow + 1));

  auto duplicate = store_.createProject(a, "main", kNow);
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().code, ErrorCode::kConflict);
  // The same name in another organisation is a different project.
  const auto other = ok(store_.createProject(b, "main", kNow));
  EXPECT_NE(other.id, main.id);

  const auto list = ok(store_.listProjects(a));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, main.id);
  EXPECT_EQ(list[1].id, second.id);

  auto fetched = ok(store_.project(a, second.id));
  ASSERT_TRUE(fetched);
  EXPECT_EQ(fetched->name, "second");
  EXPECT_FALSE(ok(store_.project(a, "prj_missing")));

  EXPECT_TRUE(ok(store_.deleteProject(a, second.id)));
  EXPECT_FALSE(ok(store_.deleteProject(a, second.id)));
  EXPECT_FALSE(ok(store_.project(a, second.id)));
  EXPECT_THAT(ok(store_.listProjects(a)), ::testing::SizeIs(1));
}

TEST_F(TenantStoreTest, DeletingAProjectRemovesItsKeysAndProjectProviderKeys) {
  const OrgScope a = createOrg("Acme");
  const auto f = populate(a, "A");
  EXPECT_TRUE(ok(store_.deleteProject(a, f.project_id)));
  EXPECT_FALSE(ok(store_.callerKey(a, f.caller_key_id)));
  EXPECT_FALSE(ok(store_.providerKey(a, f.project_provider_key_id)));
  // The organisation-wide provider key is not the project's.
  EXPECT_TRUE(ok(store_.providerKey(a, f.provider_key_id)));
}

// --- Members ---------------------------------------------------------------------------------

TEST_F(TenantStoreTest, MembersRolesAndDuplicates) {
  const OrgScope a = createOrg("Acme");
  const auto alice = ok(store_.addMember(a, "alice@example.com", "Alice", Role::kOwner, kNow));
  const auto bob = ok(store_.addMember(a, "bob@example.com", "Bob", Role::kViewer, kNow + 1));
  EXPECT_TRUE(alice.user_id.starts_with("usr_"));
  EXPECT_EQ(alice.email, "alice@example.com");
  EXPECT_EQ(alice.name, "Alice");
  EXPECT_EQ(alice.role, Role::kOwner);
  EXPECT_EQ(bob.role, Role::kViewer);

  auto duplicate = store_.addMember(a, "alice@example.com", "Alice", Role::kAdmin, kNow);
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().code, ErrorCode::kConflict);
  // Emails compare case-insensitively.
  auto shouting = store_.addMember(a, "ALICE@EXAMPLE.COM", "Alice", Role::kAdmin, kNow);
  ASSERT_FALSE(shouting.ok());
  EXPECT_EQ(shouting.error().code, ErrorCode::kConflict);
  // The failed add left Alice's role alone.
  EXPECT_EQ(ok(store_.member(a, alice.user_id))->role, Role::kOwner);

  const auto members = ok(store_.listMembers(a));
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].user_id, alice.user_id);
  EXPECT_EQ(members[1].user_id, bob.user_id);

  EXPECT_TRUE(ok(store_.setMemberRole(a, bob.user_id, Role::kMember)));
  EXPECT_EQ(ok(store_.member(a, bob.user_id))->role, Role::kMember);
  EXPECT_FALSE(ok(store_.setMemberRole(a, "usr_missing", Role::kMember)));

  EXPECT_TRUE(ok(store_.removeMember(a, bob.user_id)));
  EXPECT_FALSE(ok(store_.removeMember(a, bob.user_id)));
  EXPECT_FALSE(ok(store_.member(a, bob.user_id)));
  EXPECT_THAT(ok(store_.listMembers(a)), ::testing::SizeIs(1));
}

TEST_F(TenantStoreTest, UsersAreSharedAcrossOrganizationsWithSeparateRoles) {
  const OrgScope a = createOrg("Acme");
  const OrgScope b = createOrg("Beta");
  const auto in_a = ok(store_.addMember(a, "carol@example.com", "Carol", Role::kOwner, kNow));
  const auto in_b = ok(store_.addMember(b, "carol@example.com", "Carol", Role::kViewer, kNow));
  EXPECT_EQ(in_a.user_id, in_b.user_id);
  EXPECT_EQ(count("SELECT COUNT(*) FROM users WHERE email = 'carol@example.com'"), 1);

  EXPECT_TRUE(ok(store_.setMemberRole(b, in_b.user_id, Role::kAdmin)));
  EXPECT_EQ(ok(store_.member(a, in_a.user_id))->role, Role::kOwner);
  EXPECT_EQ(ok(store_.member(b, in_b.user_id))->role, Role::kAdmin);

  EXPECT_TRUE(ok(store_.removeMember(a, in_a.user_id)));
  EXPECT_FALSE(ok(store_.member(a, in_a.user_id)));
  EXPECT_TRUE(ok(store_.member(b, in_b.user_id)));
}

// --- Caller keys -----------------------------------------------------------------------------

TEST_F(TenantStoreTest, CallerKeysCreateListAndGet) {
  const OrgScope a = createOrg("Acme");
  const auto project = ok(store_.createProject(a, "main", kNow));
  auto spec = newKey("ck1", project.id);
  spec.scopes = {"gpt-4o", "claude"};
  spec.expires_at = kNow + 1000;
  const auto created = ok(store_.createCallerKey(a, spec, kNow));
  EXPECT_EQ(created.id, "ck1");
  EXPECT_EQ(created.org_id, a.orgId());
  EXPECT_EQ(created.project_id, project.id);
  EXPECT_EQ(created.scopes, spec.scopes);
  EXPECT_EQ(created.expires_at, kNow + 1000);
  EXPECT_FALSE(created.revoked_at);
  EXPECT_FALSE(created.rotated_to);

  auto fetched = ok(store_.callerKey(a, "ck1"));
  ASSERT_TRUE(fetched);
  EXPECT_EQ(fetched->scopes, spec.scopes);
  EXPECT_EQ(fetched->expires_at, kNow + 1000);
  EXPECT_EQ(fetched->created_at, kNow);
  EXPECT_FALSE(ok(store_.callerKey(a, "ck_missing")));

  ok(store_.createCallerKey(a, newKey("ck2", project.id), kNow + 1));
  const auto list = ok(store_.listCallerKeys(a));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, "ck1");
  EXPECT_EQ(list[1].id, "ck2");
  EXPECT_TRUE(list[1].scopes.empty());
  EXPECT_FALSE(list[1].expires_at);
}

TEST_F(TenantStoreTest, CallerKeyUnderAnotherOrganizationsProjectIsNotFound) {
  const OrgScope a = createOrg("Acme");
  const OrgScope b = createOrg("Beta");
  const auto b_project = ok(store_.createProject(b, "main", kNow));
  const auto before = counter("caller_keys");

  // The composite (project_id, org_id) foreign key refuses it.
  auto created = store_.createCallerKey(a, newKey("ck_cross", b_project.id), kNow);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(count("SELECT COUNT(*) FROM caller_keys WHERE id = 'ck_cross'"), 0);

  auto missing = store_.createCallerKey(a, newKey("ck_missing", "prj_missing"), kNow);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  EXPECT_EQ(counter("caller_keys"), before);
  EXPECT_TRUE(ok(store_.listCallerKeys(a)).empty());
  EXPECT_TRUE(ok(store_.listCallerKeys(b)).empty());
}

TEST_F(TenantStoreTest, RevokeCallerKey) {
  const OrgScope a = createOrg("Acme");
  const auto project = ok(store_.createProject(a, "main", kNow));
  ok(store_.createCallerKey(a, newKey("ck1", project.id), kNow));
  EXPECT_TRUE(ok(store_.revokeCallerKey(a, "ck1", kNow + 5)));
  EXPECT_EQ(ok(store_.callerKey(a, "ck1"))->revoked_at, kNow + 5);
  // A second revocation changes nothing (and keeps the first time).
  EXPECT_FALSE(ok(store_.revokeCallerKey(a, "ck1", kNow + 9)));
  EXPECT_EQ(ok(store_.callerKey(a, "ck1"))->revoked_at, kNow + 5);
  EXPECT_FALSE(ok(store_.revokeCallerKey(a, "ck_missing", kNow)));
}

TEST_F(TenantStoreTest, MarkRotatedSetsSuccessorAndExpiry) {
  const OrgScope a = createOrg("Acme");
  const auto project = ok(store_.createProject(a, "main", kNow));
  ok(store_.createCallerKey(a, newKey("old", project.id), kNow));
  ok(store_.createCallerKey(a, newKey("new", project.id), kNow));
  EXPECT_TRUE(ok(store_.markRotated(a, "old", "new", kNow + 3600)));
  const auto old = ok(store_.callerKey(a, "old"));
  ASSERT_TRUE(old);
  EXPECT_EQ(old->rotated_to, "new");
  EXPECT_EQ(old->expires_at, kNow + 3600);
  EXPECT_FALSE(old->revoked_at);
  EXPECT_FALSE(ok(store_.callerKey(a, "new"))->rotated_to);
}

TEST_F(TenantStoreTest, MarkRotatedKeepsAnEarlierExpiry) {
  const OrgScope a = createOrg("Acme");
  const auto project = ok(store_.createProject(a, "main", kNow));
  auto soon = newKey("soon", project.id);
  soon.expires_at = kNow + 10;
  ok(store_.createCallerKey(a, soon, kNow));
  EXPECT_TRUE(ok(store_.markRotated(a, "soon", "next", kNow + 3600)));
  EXPECT_EQ(ok(store_.callerKey(a, "soon"))->expires_at, kNow + 10);

  auto late = newKey("late", project.id);
  late.expires_at = kNow + 999'999;
  ok(store_.createCallerKey(a, late, kNow));
  EXPECT_TRUE(ok(store_.markRotated(a, "late", "next2", kNow + 3600)));
  EXPECT_EQ(ok(store_.callerKey(a, "late"))->expires_at, kNow + 3600);
}

TEST_F(TenantStoreTest, MarkRotatedRefusesARevokedKey) {
  const OrgScope a = createOrg("Acme");
  const auto project = ok(store_.createProject(a, "main", kNow));
  ok(store_.createCallerKey(a, newKey("gone", project.id), kNow));
  ASSERT_TRUE(ok(store_.revokeCallerKey(a, "gone", kNow)));
  EXPECT_FALSE(ok(store_.markRotated(a, "gone", "next", kNow + 3600)));
  EXPECT_FALSE(ok(store_.callerKey(a, "gone"))->rotated_to);
}

TEST_F(TenantStoreTest, ActiveCallerKeysSpanOrganizationsAndSkipRevoked) {
  const OrgScope a = createOrg("Acme");
  const OrgScope b = createOrg("Beta");
  const auto pa = ok(store_.createProject(a, "main", kNow));
  const auto pb = ok(store_.createProject(b, "main", kNow));
  auto scoped = newKey("ka", pa.id, 'x');
  scoped.scopes = {"m1"};
  scoped.expires_at = kNow + 7;
  ok(store_.createCallerKey(a, scoped, kNow));
  ok(store_.createCallerKey(b, newKey("kb", pb.id, 'y'), kNow));
  ok(store_.createCallerKey(b, newKey("kb_revoked", pb.id, 'z'), kNow));
  ASSERT_TRUE(ok(store_.revokeCallerKey(b, "kb_revoked", kNow)));

  auto active = ok(store_.activeCallerKeys(instance_));
  std::sort(active.begin(), active.end(), [](const auto& l, const auto& r) { return l.id < r.id; });
  ASSERT_EQ(active.size(), 2u);
  EXPECT_EQ(active[0].id, "ka");
  EXPECT_EQ(active[0].org_id, a.orgId());
  EXPECT_EQ(active[0].project_id, pa.id);
  EXPECT_EQ(active[0].hash, hashOf('x'));
  EXPECT_THAT(active[0].scopes, ElementsAre("m1"));
  EXPECT_EQ(active[0].expires_at, kNow + 7);
  EXPECT_EQ(active[1].id, "kb");
  EXPECT_EQ(active[1].org_id, b.orgId());
  EXPECT_EQ(active[1].hash, hashOf('y'));
}

// --- Admin keys ------------------------------------------------------------------------------

TEST_F(TenantStoreTest, AdminKeys) {
  const OrgScope a = createOrg("Acme");
  const OrgScope b = createOrg("Beta");
  EXPECT_EQ(ok(store_.countAdminKeys(instance_)), 0u);

  const auto super =
      ok(store_.createSuperAdminKey(instance_, "ak_super", hashOf('s'), "root", kNow));
  EXPECT_EQ(super.org_id, "");
  EXPECT_EQ(super.role, "superadmin");
  EXPECT_EQ(count("SELECT COUNT(*) FROM admin_keys WHERE id = 'ak_super' AND org_id IS NULL"), 1);

  const auto owner = ok(store_.createAdminKey(a, "ak_a", hashOf('a'), Role::kOwner, "o", kNow));
  EXPECT_EQ(owner.org_id, a.orgId());
  EXPECT_EQ(owner.role, "owner");
  ok(store_.createAdminKey(b, "ak_b", hashOf('b'), Role::kViewer, "v", kNow));
  EXPECT_EQ(ok(store_.countAdminKeys(instance_)), 3u);

  const auto list = ok(store_.listAdminKeys(a));
  ASSERT_EQ(list.size(), 1u);  // Neither the super-admin key nor B's.
  EXPECT_EQ(list[0].id, "ak_a");

  auto identity = ok(store_.adminKeyForAuthentication(instance_, "ak_super"));
  ASSERT_TRUE(identity);
  EXPECT_EQ(identity->org_id, "");
  EXPECT_EQ(identity->role, "superadmin");
  EXPECT_EQ(identity->hash, hashOf('s'));
  identity = ok(store_.adminKeyForAuthentication(instance_, "ak_a"));
  ASSERT_TRUE(identity);
  EXPECT_EQ(identity->org_id, a.orgId());
  EXPECT_EQ(identity->role, "owner");
  EXPECT_FALSE(ok(store_.adminKeyForAuthentication(instance_, "ak_missing")));

  EXPECT_TRUE(ok(store_.revokeAdminKey(a, "ak_a", kNow + 1)));
  EXPECT_FALSE(ok(store_.revokeAdminKey(a, "ak_a", kNow + 2)));
  EXPECT_FALSE(ok(store_.adminKeyForAuthentication(instance_, "ak_a")));
  EXPECT_EQ(ok(store_.listAdminKeys(a))[0].revoked_at, kNow + 1);
  // Revoked keys still count: bootstrap must not run again after every key is revoked.
  EXPECT_EQ(ok(store_.countAdminKeys(instance_)), 3u);

  // An organisation's scope cannot revoke the super-admin key.
  EXPECT_FALSE(ok(store_.revokeAdminKey(a, "ak_super", kNow)));
  EXPECT_TRUE(ok(store_.adminKeyForAuthentication(instance_, "ak_super")));
}

// --- Provider keys, providers, models --------------------------------------------------------

TEST_F(TenantStoreTest, ProviderKeys) {
  const OrgScope a = createOrg("Acme");
  const OrgScope b = createOrg("Beta");
  const auto pa = ok(store_.createProject(a, "main", kNow));
  const auto pb = ok(store_.createProject(b, "main", kNow));

  const std::string id = store_.newProviderKeyId();
  EXPECT_TRUE(id.starts_with("pk_"));
  EXPECT_NE(id, store_.newProviderKeyId());
  const auto org_wide = ok(
      store_.addProviderKey(a, id, "", "openai", "prod", std::string("\0sealed", 7), "1234", kNow));
  EXPECT_EQ(org_wide.project_id, "");
  EXPECT_EQ(org_wide.last_four, "1234");
  const std::string project_key = store_.newProviderKeyId();
  ok(store_.addProviderKey(a, project_key, pa.id, "openai", "p", "sealed2", "5678", kNow + 1));

  auto cross = store_.addProviderKey(a, store_.newProviderKeyId(), pb.id, "openai", "x", "sealed3",
                                     "0000", kNow);
  ASSERT_FALSE(cross.ok());
  EXPECT_EQ(cross.error().code, ErrorCode::kNotFound);

  const auto list = ok(store_.listProviderKeys(a));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, id);
  EXPECT_EQ(list[1].project_id, pa.id);

  auto fetched = ok(store_.providerKey(a, project_key));
  ASSERT_TRUE(fetched);
  EXPECT_EQ(fetched->last_four, "5678");

  const auto sealed = ok(store_.sealedProviderKeys(a));
  ASSERT_EQ(sealed.size(), 2u);
  for (const auto& key : sealed) {
    EXPECT_EQ(key.org_id, a.orgId());
    if (key.id == id) {
      EXPECT_EQ(key.ciphertext, std::string("\0sealed", 7));  // Blobs survive NULs.
    }
  }
  ok(store_.addProviderKey(b, store_.newProviderKeyId(), "", "openai", "b", "sb", "9999", kNow));
  EXPECT_EQ(ok(store_.allSealedProviderKeys(instance_)).size(), 3u);
  EXPECT_EQ(ok(store_.sealedProviderKeys(b)).size(), 1u);

  EXPECT_TRUE(ok(store_.deleteProviderKey(a, id)));
  EXPECT_FALSE(ok(store_.deleteProviderKey(a, id)));
  EXPECT_FALSE(ok(store_.providerKey(a, id)));
  EXPECT_EQ(count("SELECT COUNT(*) FROM provider_keys WHERE id = '" + id + "'"), 0);
}

TEST_F(TenantStoreTest, Providers) {
  const OrgScope a = createOrg("Acme");
  const OrgScope b = createOrg("Beta");
  const auto added =
      ok(store_.addProvider(a, "vllm", "openai-compatible", "https://1.1.1.1/v1", kNow));
  EXPECT_TRUE(added.id.starts_with("prv_"));
  EXPECT_EQ(added.org_id, a.orgId());
  EXPECT_EQ(added.base_url, "https://1.1.1.1/v1");

  auto duplicate = store_.addProvider(a, "vllm", "openai", "https://1.1.1.2/v1", kNow);
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().code, ErrorCode::kConflict);
  ok(store_.addProvider(b, "vllm", "openai", "https://1.1.1.3/v1", kNow));  // Per organisation.

  const auto list = ok(store_.listProviders(a));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].type, "openai-compatible");

  EXPECT_TRUE(ok(store_.deleteProvider(a, added.id)));
  EXPECT_FALSE(ok(store_.deleteProvider(a, added.id)));
  EXPECT_TRUE(ok(store_.listProviders(a)).empty());
  EXPECT_EQ(ok(store_.listProviders(b)).size(), 1u);
}

TEST_F(TenantStoreTest, ModelsUpsertByName) {
  const OrgScope a = createOrg("Acme");
  const auto first = ok(store_.putModel(a, "fast", R"([{"provider":"x"}])", kNow));
  EXPECT_TRUE(first.id.starts_with("mdl_"));
  const auto second = ok(store_.putModel(a, "fast", R"([{"provider":"y"}])", kNow + 5));
  EXPECT_EQ(second.id, first.id);  // Same row, new deployments.
  EXPECT_EQ(second.deployments, R"([{"provider":"y"}])");
  EXPECT_EQ(second.created_at, kNow);
  ok(store_.putModel(a, "alpha", "[]", kNow));

  const auto list = ok(store_.listModels(a));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "alpha");  // By name.
  EXPECT_EQ(list[1].name, "fast");

  EXPECT_TRUE(ok(store_.deleteModel(a, first.id)));
  EXPECT_FALSE(ok(store_.deleteModel(a, first.id)));
  EXPECT_EQ(ok(store_.listModels(a)).size(), 1u);
}

// --- Deleting an organisation ----------------------------------------------------------------

TEST_F(TenantStoreTest, DeleteOrganizationCascadesEveryOwnedRow) {
  const OrgScope a = createOrg("Acme");
  const OrgScope b = createOrg("Beta");
  const auto fa = populate(a, "A");
  const auto fb = populate(b, "B");

  const std::vector<std::string> tables = {"projects",   "memberships",    "caller_keys",
                                           "admin_keys", "provider_keys",  "org_providers",
                                           "org_models", "content_history"};
  std::map<std::string, std::int64_t> b_before;
  for (const auto& table : tables) {
    ASSERT_GT(countForOrg(table, fa.org_id), 0) << table;
    b_before[table] = countForOrg(table, fb.org_id);
  }
  const std::string b_snapshot = snapshot(b);
  const auto users_before = count("SELECT COUNT(*) FROM users");

  ASSERT_TRUE(ok(store_.deleteOrganization(a)));

  EXPECT_EQ(count("SELECT COUNT(*) FROM organizations WHERE id = '" + fa.org_id + "'"), 0);
  for (const auto& table : tables) {
    EXPECT_EQ(countForOrg(table, fa.org_id), 0) << table;
    EXPECT_EQ(countForOrg(table, fb.org_id), b_before[table]) << table;
  }
  EXPECT_EQ(snapshot(b), b_snapshot);
  // Users are instance-wide: the shared one is still B's member; none are deleted.
  EXPECT_EQ(count("SELECT COUNT(*) FROM users"), users_before);
  EXPECT_TRUE(ok(store_.member(b, fb.shared_user_id)));
  // Nothing of A is reachable for authentication or the data plane any more.
  EXPECT_FALSE(ok(store_.adminKeyForAuthentication(instance_, fa.admin_key_id)));
  for (const auto& key : ok(store_.activeCallerKeys(instance_))) {
    EXPECT_NE(key.org_id, fa.org_id);
  }
  for (const auto& key : ok(store_.allSealedProviderKeys(instance_))) {
    EXPECT_NE(key.org_id, fa.org_id);
  }
}

// --- Change counters -------------------------------------------------------------------------

TEST_F(TenantStoreTest, ChangeCountersMoveOnDataPlaneMutations) {
  const OrgScope a = createOrg("Acme");
  const OrgScope b = createOrg("Beta");
  const auto project = ok(store_.createProject(a, "main", kNow));
  const auto doomed = ok(store_.createProject(a, "doomed", kNow));
  EXPECT_EQ(counter("missing_counter"), 0);

  struct Step {
    std::string name;
    std::function<void()> run;
    int caller_keys;  // Expected increase of each counter.
    int tenancy;
  };
  std::string provider_id;
  std::string model_id;
  const std::string provider_key_id = store_.newProviderKeyId();
  const std::vector<Step> steps = {
      {"createCallerKey", [&] { ok(store_.createCallerKey(a, newKey("k1", project.id), kNow)); }, 1,
       0},
      {"createCallerKey (second)",
       [&] { ok(store_.createCallerKey(a, newKey("k2", project.id), kNow)); }, 1, 0},
      {"markRotated", [&] { EXPECT_TRUE(ok(store_.markRotated(a, "k1", "k2", kNow + 1))); }, 1, 0},
      {"revokeCallerKey", [&] { EXPECT_TRUE(ok(store_.revokeCallerKey(a, "k2", kNow))); }, 1, 0},
      {"revokeCallerKey (no-op)", [&] { EXPECT_FALSE(ok(store_.revokeCallerKey(a, "k2", kNow))); },
       0, 0},
      {"revokeCallerKey (other org)",
       [&] { EXPECT_FALSE(ok(store_.revokeCallerKey(b, "k1", kNow))); }, 0, 0},
      {"updateOrganization",
       [&] {
         OrganizationSettings s;
         s.name = "Acme 2";
         ok(store_.updateOrganization(a, s));
       },
       0, 1},
      {"addProvider",
       [&] { provider_id = ok(store_.addProvider(a, "p", "openai", "https://8.8.8.8", kNow)).id; },
       0, 1},
      {"addProviderKey",
       [&] { ok(store_.addProviderKey(a, provider_key_id, "", "p", "n", "c", "1234", kNow)); }, 0,
       1},
      {"putModel", [&] { model_id = ok(store_.putModel(a, "m", "[]", kNow)).id; }, 0, 1},
      {"putModel (update)", [&] { ok(store_.putModel(a, "m", "[{}]", kNow)); }, 0, 1},
      {"deleteModel (other org)", [&] { EXPECT_FALSE(ok(store_.deleteModel(b, model_id))); }, 0, 0},
      {"deleteModel", [&] { EXPECT_TRUE(ok(store_.deleteModel(a, model_id))); }, 0, 1},
      {"deleteProviderKey (other org)",
       [&] { EXPECT_FALSE(ok(store_.deleteProviderKey(b, provider_key_id))); }, 0, 0},
      {"deleteProviderKey", [&] { EXPECT_TRUE(ok(store_.deleteProviderKey(a, provider_key_id))); },
       0, 1},
      {"deleteProvider (other org)",
       [&] { EXPECT_FALSE(ok(store_.deleteProvider(b, provider_id))); }, 0, 0},
      {"deleteProvider", [&] { EXPECT_TRUE(ok(store_.deleteProvider(a, provider_id))); }, 0, 1},
      {"deleteProject (other org)", [&] { EXPECT_FALSE(ok(store_.deleteProject(b, doomed.id))); },
       0, 0},
      {"deleteProject", [&] { EXPECT_TRUE(ok(store_.deleteProject(a, doomed.id))); }, 1, 1},
      {"deleteOrganization", [&] { EXPECT_TRUE(ok(store_.deleteOrganization(a))); }, 1, 1},
      {"deleteOrganization (again)", [&] { EXPECT_FALSE(ok(store_.deleteOrganization(a))); }, 0, 0},
  };
  for (const auto& step : steps) {
    SCOPED_TRACE(step.name);
    const auto caller_keys = counter("caller_keys");
    const auto tenancy = counter("tenancy");
    step.run();
    EXPECT_EQ(counter("caller_keys") - caller_keys, step.caller_keys);
    EXPECT_EQ(counter("tenancy") - tenancy, step.tenancy);
  }
}

// --- Transactions ----------------------------------------------------------------------------

TEST_F(TenantStoreTest, TransactionRollsBackUnlessCommitted) {
  const OrgScope a = createOrg("Acme");
  {
    store::Transaction transaction(*db_);
    ASSERT_TRUE(transaction.begin().ok());
    ok(store_.createProject(a, "rolled-back", kNow));
  }
  EXPECT_TRUE(ok(store_.listProjects(a)).empty());
  {
    store::Transaction transaction(*db_);
    ASSERT_TRUE(transaction.begin().ok());
    ok(store_.createProject(a, "kept", kNow));
    okVoid(transaction.commit());
    EXPECT_FALSE(transaction.commit().ok());  // Nothing open any more.
  }
  EXPECT_EQ(ok(store_.listProjects(a)).size(), 1u);
}

// --- THE KEY PROPERTY: one organisation's scope never reaches another's rows ----------------

struct CrossTenantCase {
  std::string name;
  // Runs the call with A's scope aimed at B's ids; returns "" when it behaved (nothing found,
  // nothing changed, no B data returned) or a description of what went wrong.
  std::function<std::string(TenantStore&, const OrgScope& a, const OrgFixture& b)> run;
};

// Whether `text` mentions any id or private value of `b`.
std::string leaks(const std::string& text, const OrgFixture& b) {
  for (const std::string& id :
       {b.org_id, b.project_id, b.other_project_id, b.only_user_id, b.caller_key_id, b.admin_key_id,
        b.provider_key_id, b.project_provider_key_id, b.provider_id, b.model_id, b.provider_name,
        b.history_request_id, std::string("sealed-B"), std::string("only-B")}) {
    if (text.find(id) != std::string::npos) {
      return "leaked " + id + " in: " + text;
    }
  }
  return "";
}

template <class T>
std::string expectNullopt(const Result<std::optional<T>>& result) {
  if (!result.ok()) {
    return "error: " + result.error().message;
  }
  return result.value() ? "returned another organisation's row" : "";
}

std::string expectFalse(const Result<bool>& result) {
  if (!result.ok()) {
    return "error: " + result.error().message;
  }
  return result.value() ? "changed another organisation's row" : "";
}

template <class T>
std::string expectNotFound(const Result<T>& result) {
  if (result.ok()) {
    return "succeeded";
  }
  return result.error().code == ErrorCode::kNotFound ? ""
                                                     : "wrong error: " + result.error().message;
}

template <class T, class Describe>
std::string expectListClean(const Result<std::vector<T>>& result, const OrgFixture& b,
                            const std::string& a_org, Describe describe) {
  if (!result.ok()) {
    return "error: " + result.error().message;
  }
  std::string all;
  for (const auto& item : result.value()) {
    all += describe(item) + "\n";
  }
  if (auto leak = leaks(all, b); !leak.empty()) {
    return leak;
  }
  for (const auto& item : result.value()) {
    if (item.org_id != a_org) {
      return "row of organisation " + item.org_id;
    }
  }
  return "";
}

std::vector<CrossTenantCase> crossTenantCases() {
  using S = TenantStore;
  using O = OrgScope;
  using F = OrgFixture;
  return {
      {"organization",
       [](S& s, const O& a, const F& b) {
         auto org = s.organization(a);
         if (!org) {
           return org.error().message;
         }
         return org->id == a.orgId() ? leaks(org->id + org->name, b) : "wrong organisation";
       }},
      {"updateOrganization",
       [](S& s, const O& a, const F& b) {
         OrganizationSettings settings;
         settings.name = "renamed-by-A";
         auto org = s.updateOrganization(a, settings);
         if (!org) {
           return org.error().message;
         }
         return org->id == a.orgId() ? leaks(org->id, b) : "updated another organisation";
       }},
      {"listProjects",
       [](S& s, const O& a, const F& b) {
         return expectListClean(s.listProjects(a), b, a.orgId(),
                                [](const Project& p) { return p.id + p.name; });
       }},
      {"project",
       [](S& s, const O& a, const F& b) { return expectNullopt(s.project(a, b.project_id)); }},
      {"deleteProject",
       [](S& s, const O& a, const F& b) { return expectFalse(s.deleteProject(a, b.project_id)); }},
      {"listMembers",
       [](S& s, const O& a, const F& b) {
         auto members = s.listMembers(a);
         if (!members) {
           return members.error().message;
         }
         std::string all;
         for (const auto& m : *members) {
           all += m.user_id + m.email + m.name + "\n";
         }
         return leaks(all, b);
       }},
      {"member",
       [](S& s, const O& a, const F& b) { return expectNullopt(s.member(a, b.only_user_id)); }},
      {"setMemberRole",
       [](S& s, const O& a, const F& b) {
         return expectFalse(s.setMemberRole(a, b.only_user_id, Role::kOwner));
       }},
      {"setMemberRole (shared user changes A only)",
       [](S& s, const O& a, const F& b) {
         auto changed = s.setMemberRole(a, b.shared_user_id, Role::kOwner);
         return changed && *changed ? "" : std::string("A's own membership did not change");
       }},
      {"removeMember",
       [](S& s, const O& a, const F& b) { return expectFalse(s.removeMember(a, b.only_user_id)); }},
      {"addMember (B's user joins A, B's membership untouched)",
       [](S& s, const O& a, const F& b) {
         auto added = s.addMember(a, b.only_email, "", Role::kOwner, kNow);
         return added ? "" : added.error().message;
       }},
      {"listCallerKeys",
       [](S& s, const O& a, const F& b) {
         return expectListClean(s.listCallerKeys(a), b, a.orgId(), [](const CallerKey& k) {
           return k.id + k.project_id + k.rotated_to.value_or("");
         });
       }},
      {"callerKey",
       [](S& s, const O& a, const F& b) { return expectNullopt(s.callerKey(a, b.caller_key_id)); }},
      {"revokeCallerKey",
       [](S& s, const O& a, const F& b) {
         return expectFalse(s.revokeCallerKey(a, b.caller_key_id, kNow));
       }},
      {"markRotated",
       [](S& s, const O& a, const F& b) {
         return expectFalse(s.markRotated(a, b.caller_key_id, "ck_evil", kNow));
       }},
      {"createCallerKey (B's project)",
       [](S& s, const O& a, const F& b) {
         NewCallerKey key;
         key.id = "ck_evil";
         key.hash = hashOf('e');
         key.project_id = b.project_id;
         key.name = "evil";
         return expectNotFound(s.createCallerKey(a, key, kNow));
       }},
      {"listAdminKeys",
       [](S& s, const O& a, const F& b) {
         return expectListClean(s.listAdminKeys(a), b, a.orgId(),
                                [](const AdminKey& k) { return k.id + k.name; });
       }},
      {"revokeAdminKey",
       [](S& s, const O& a, const F& b) {
         return expectFalse(s.revokeAdminKey(a, b.admin_key_id, kNow));
       }},
      {"listProviderKeys",
       [](S& s, const O& a, const F& b) {
         return expectListClean(s.listProviderKeys(a), b, a.orgId(), [](const ProviderKey& k) {
           return k.id + k.project_id + k.provider + k.name;
         });
       }},
      {"providerKey",
       [](S& s, const O& a, const F& b) {
         return expectNullopt(s.providerKey(a, b.provider_key_id));
       }},
      {"providerKey (project-bound)",
       [](S& s, const O& a, const F& b) {
         return expectNullopt(s.providerKey(a, b.project_provider_key_id));
       }},
      {"deleteProviderKey",
       [](S& s, const O& a, const F& b) {
         return expectFalse(s.deleteProviderKey(a, b.provider_key_id));
       }},
      {"deleteProviderKey (project-bound)",
       [](S& s, const O& a, const F& b) {
         return expectFalse(s.deleteProviderKey(a, b.project_provider_key_id));
       }},
      {"addProviderKey (B's project)",
       [](S& s, const O& a, const F& b) {
         return expectNotFound(s.addProviderKey(a, "pk_evil", b.project_id, "openai", "evil",
                                                "cipher", "evil", kNow));
       }},
      {"sealedProviderKeys",
       [](S& s, const O& a, const F& b) {
         return expectListClean(s.sealedProviderKeys(a), b, a.orgId(),
                                [](const SealedProviderKey& k) {
                                  return k.id + k.project_id + k.provider + k.ciphertext;
                                });
       }},
      {"listProviders",
       [](S& s, const O& a, const F& b) {
         return expectListClean(s.listProviders(a), b, a.orgId(),
                                [](const OrgProvider& p) { return p.id + p.name + p.base_url; });
       }},
      {"deleteProvider",
       [](S& s, const O& a, const F& b) {
         return expectFalse(s.deleteProvider(a, b.provider_id));
       }},
      {"addProvider (B's provider name)",
       [](S& s, const O& a, const F& b) {
         auto added = s.addProvider(a, b.provider_name, "openai", "https://9.9.9.9", kNow);
         if (!added) {
           return added.error().message;
         }
         return added->org_id == a.orgId() ? "" : std::string("added to another organisation");
       }},
      {"listModels",
       [](S& s, const O& a, const F& b) {
         return expectListClean(s.listModels(a), b, a.orgId(),
                                [](const OrgModel& m) { return m.id + m.name + m.deployments; });
       }},
      {"deleteModel",
       [](S& s, const O& a, const F& b) { return expectFalse(s.deleteModel(a, b.model_id)); }},
      {"contentHistory",
       [](S& s, const O& a, const F& b) {
         auto history = s.contentHistory(a, 1000);
         if (!history) {
           return history.error().message;
         }
         std::string all;
         for (const auto& h : *history) {
           all += h.request_id + h.project_id + h.sealed + "\n";
         }
         return leaks(all, b);
       }},
      {"putModel (B's model name creates A's own)",
       [](S& s, const O& a, const F& b) {
         auto model = s.putModel(a, b.model_name, R"([{"provider":"evil"}])", kNow);
         if (!model) {
           return model.error().message;
         }
         if (model->id == b.model_id || model->org_id != a.orgId()) {
           return std::string("overwrote another organisation's model");
         }
         return std::string();
       }},
  };
}

class CrossTenantTest : public TenantStoreTest,
                        public ::testing::WithParamInterface<std::size_t> {};

TEST_P(CrossTenantTest, ScopeOfAReachesNothingOfB) {
  const auto cases = crossTenantCases();
  const auto& c = cases.at(GetParam());
  SCOPED_TRACE(c.name);
  const OrgScope a = createOrg("Acme");
  const OrgScope b = createOrg("Beta");
  populate(a, "A");
  const OrgFixture fb = populate(b, "B");
  const std::string before = snapshot(b);
  const auto b_rows_before =
      count("SELECT COUNT(*) FROM caller_keys WHERE org_id = '" + fb.org_id + "'") +
      count("SELECT COUNT(*) FROM provider_keys WHERE org_id = '" + fb.org_id + "'");

  EXPECT_EQ(c.run(store_, a, fb), "");

  EXPECT_EQ(snapshot(b), before) << "B's data changed";
  EXPECT_EQ(count("SELECT COUNT(*) FROM caller_keys WHERE org_id = '" + fb.org_id + "'") +
                count("SELECT COUNT(*) FROM provider_keys WHERE org_id = '" + fb.org_id + "'"),
            b_rows_before);
  // Nothing was written under B's organisation id through A's scope.
  EXPECT_EQ(count("SELECT COUNT(*) FROM caller_keys WHERE id = 'ck_evil'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM provider_keys WHERE id = 'pk_evil'"), 0);
}

INSTANTIATE_TEST_SUITE_P(EveryScopedMethod, CrossTenantTest,
                         ::testing::Range<std::size_t>(0, crossTenantCases().size()),
                         [](const ::testing::TestParamInfo<std::size_t>& info) {
                           const auto cases = crossTenantCases();
                           std::string name;
                           for (char c : cases[info.param].name) {
                             if (std::isalnum(static_cast<unsigned char>(c))) {
                               name += c;
                             }
                           }
                           return name + "_" + std::to_string(info.param);
                         });

// The checks above are not vacuous: aimed at B's ids with B's own scope, every case but the
// one that is about A's own membership reports what it found.
TEST_F(TenantStoreTest, CrossTenantChecksDetectRowsOfTheOrganizationInScope) {
  int round = 0;
  for (const auto& c : crossTenantCases()) {
    if (c.name.find("shared user") != std::string::npos) {
      continue;
    }
    // A fresh organisation each time: the cases change what they find.
    const OrgScope b = createOrg("Beta");
    const OrgFixture fb = populate(b, "B" + std::to_string(++round));
    EXPECT_NE(c.run(store_, b, fb), "") << c.name;
  }
}

TEST_F(TenantStoreTest, AScopeForAnOrganizationThatDoesNotExistSeesNothing) {
  const OrgScope b = createOrg("Beta");
  const OrgFixture fb = populate(b, "B");
  // What an authenticator would hand out for a key whose organisation is gone.
  const OrgScope ghost = ScopeGrant::authenticatedOrg("org_ghost");
  EXPECT_TRUE(ok(store_.listProjects(ghost)).empty());
  EXPECT_TRUE(ok(store_.listCallerKeys(ghost)).empty());
  EXPECT_TRUE(ok(store_.listProviderKeys(ghost)).empty());
  EXPECT_FALSE(ok(store_.project(ghost, fb.project_id)));
  EXPECT_FALSE(store_.organization(ghost).ok());
  EXPECT_FALSE(store_.createProject(ghost, "x", kNow).ok());
  EXPECT_EQ(count("SELECT COUNT(*) FROM projects WHERE org_id = 'org_ghost'"), 0);
}

}  // namespace
}  // namespace gatehouse::tenancy
