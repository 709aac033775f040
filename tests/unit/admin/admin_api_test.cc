#include <gatehouse/admin/admin_api.h>

#include <gatehouse/audit/audit.h>
#include <gatehouse/auth/api_key.h>
#include <gatehouse/crypto/encoding.h>
#include <gatehouse/http/egress.h>
#include <gatehouse/keyring/keyring.h>
#include <gatehouse/store/database.h>

#include "mocks/fixed_random.h"
#include "mocks/manual_clock.h"
#include "mocks/temp_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace gatehouse::admin {
namespace {

namespace json = boost::json;
using tenancy::Role;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kAuditKey = "0123456789abcdef0123456789abcdef";
constexpr std::string_view kSourceIp = "203.0.113.9";
constexpr std::int64_t kHour = 3600 * 1000;

json::value parse(const ApiReply& reply) {
  boost::system::error_code ec;
  json::value value = json::parse(reply.body, ec);
  if (ec) {
    throw std::runtime_error("reply is not JSON: " + reply.body);
  }
  return value;
}

std::string field(const ApiReply& reply, std::string_view name) {
  const json::value value = parse(reply);
  const auto* found = value.as_object().if_contains(name);
  if (!found || !found->is_string()) {
    throw std::runtime_error("no string '" + std::string(name) + "' in " + reply.body);
  }
  return std::string(found->as_string());
}

std::string errorType(const ApiReply& reply) {
  const json::value value = parse(reply);
  const auto* error = value.as_object().if_contains("error");
  if (!error || !error->is_object() || !error->as_object().contains("type")) {
    return "(no error object)";
  }
  return std::string(error->as_object().at("type").as_string());
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct OrgKey {
  Principal principal;
  std::string key;
  std::string id;
};

class AdminApiTest : public ::testing::Test {
 protected:
  AdminApiTest()
      : db_(store::Database::open(store::databasePath(dir_.path()))),
        keyring_(keyring::openKeyringDatabase(dir_.path()),
                 keyring::MasterKey::fromMaterial(SecretString(std::string(40, 'k'))), std::nullopt,
                 random_, clock_),
        audit_(kAuditKey, clock_),
        pepper_(std::string(32, 'p')),
        egress_(http::EgressPolicy{}),
        api_(AdminDependencies{*db_, keyring_, audit_, pepper_, egress_, {"oa"}, clock_, random_}) {
  }

  void SetUp() override {
    auto bootstrapped = api_.bootstrap();
    ASSERT_TRUE(bootstrapped.ok());
    ASSERT_TRUE(bootstrapped->has_value());
    super_key_ = std::string((*bootstrapped)->reveal());
    auto principal = api_.authenticate(super_key_, request("GET", "/admin/v1/me"));
    ASSERT_TRUE(std::holds_alternative<Principal>(principal));
    super_ = std::get<Principal>(principal);
  }

  ApiRequest request(std::string method, std::string path, std::string body = "",
                     std::string query = "", std::string_view ip = kSourceIp) {
    return ApiRequest{std::move(method), std::move(path), std::move(query),
                      std::move(body),   std::string(ip), "req_" + std::to_string(++requests_)};
  }

  // `path` is relative to /admin/v1.
  ApiReply call(const Principal& principal, std::string method, const std::string& path,
                std::string body = "", std::string query = "") {
    return api_.handle(principal, request(std::move(method), "/admin/v1" + path, std::move(body),
                                          std::move(query)));
  }

  std::string createOrg(const std::string& name) {
    const auto reply = call(super_, "POST", "/orgs", json::serialize(json::object{{"name", name}}));
    if (reply.status != 201) {
      throw std::runtime_error("org create failed: " + reply.body);
    }
    return field(reply, "id");
  }

  OrgKey orgKey(const std::string& org, Role role, const Principal* as = nullptr) {
    const auto reply =
        call(as ? *as : super_, "POST", "/orgs/" + org + "/admin-keys",
             json::serialize(json::object{{"name", "key-" + std::string(tenancy::roleName(role))},
                                          {"role", tenancy::roleName(role)}}));
    if (reply.status != 201) {
      throw std::runtime_error("admin key create failed: " + reply.body);
    }
    OrgKey key;
    key.key = field(reply, "key");
    key.id = field(reply, "id");
    auto principal = api_.authenticate(key.key, request("GET", "/admin/v1/me"));
    if (!std::holds_alternative<Principal>(principal)) {
      throw std::runtime_error("new admin key does not authenticate");
    }
    key.principal = std::get<Principal>(principal);
    return key;
  }

  // Creates something with the super-admin key and returns the field `id_field` of the reply.
  std::string make(const std::string& method, const std::string& path, const json::object& body,
                   const std::string& id_field = "id") {
    const auto reply = call(super_, method, path, json::serialize(body));
    if (reply.status != 200 && reply.status != 201) {
      throw std::runtime_error(method + " " + path + " failed: " + reply.body);
    }
    return field(reply, id_field);
  }

  std::vector<audit::AuditEntry> entries(const std::string& chain) {
    auto list = audit::listEntries(*db_, chain, 1000, 0);
    if (!list) {
      throw std::runtime_error(list.error().message);
    }
    return *list;  // Newest first.
  }

  std::int64_t newestId(const std::string& chain) {
    const auto list = entries(chain);
    return list.empty() ? 0 : list.front().id;
  }

  // Entries of `chain` after row id `after`, oldest first.
  std::vector<audit::AuditEntry> entriesSince(const std::string& chain, std::int64_t after) {
    std::vector<audit::AuditEntry> out;
    for (const auto& entry : entries(chain)) {
      if (entry.id > after) {
        out.insert(out.begin(), entry);
      }
    }
    return out;
  }

  void expectAuditVerifies() {
    auto report = audit::verify(*db_, kAuditKey);
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->ok) << report->problem;
  }

  std::int64_t count(const std::string& sql) {
    auto select = db_->prepare(sql);
    if (!select) {
      throw std::runtime_error(select.error().message);
    }
    auto row = select->step();
    return row && *row ? select->columnInt(0) : -1;
  }

  testing::TempDir dir_;
  testing::ManualClock clock_;
  testing::FixedRandom random_{99};
  std::unique_ptr<store::Database> db_;
  keyring::Keyring keyring_;
  audit::AuditLog audit_;
  SecretString pepper_;
  http::EgressGuard egress_;
  AdminApi api_;
  std::string super_key_;
  Principal super_;
  int requests_ = 0;
};

// --- Bootstrap and authentication ------------------------------------------------------------

TEST_F(AdminApiTest, BootstrapReturnsASuperAdminKeyOnce) {
  EXPECT_TRUE(super_key_.starts_with("gha_"));
  EXPECT_EQ(super_key_.size(), auth::kCallerKeyLength);
  auto again = api_.bootstrap();
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());

  EXPECT_EQ(super_.kind, Principal::Kind::kSuperAdmin);
  EXPECT_EQ(super_.key_id, *auth::parseAdminKey(super_key_));
  EXPECT_TRUE(super_.org_id.empty());
  const auto me = call(super_, "GET", "/me");
  EXPECT_EQ(me.status, 200);
  EXPECT_EQ(field(me, "role"), "superadmin");

  const auto instance_chain = entries("");
  ASSERT_FALSE(instance_chain.empty());
  EXPECT_EQ(instance_chain.back().event.action, "admin_key.bootstrap");
  EXPECT_EQ(instance_chain.back().event.target, super_.key_id);
  // The key itself is never recorded.
  for (const auto& entry : instance_chain) {
    EXPECT_THAT(entry.event.detail, Not(HasSubstr(super_key_)));
  }
  expectAuditVerifies();
}

TEST_F(AdminApiTest, BadKeysGetOneUniform401) {
  const std::string org = createOrg("A");
  const OrgKey revoked = orgKey(org, Role::kAdmin);
  ASSERT_EQ(call(super_, "DELETE", "/orgs/" + org + "/admin-keys/" + revoked.id).status, 200);

  // A well-formed key with the bootstrap key's id but another secret (valid checksum).
  std::string wrong_secret =
      super_key_.substr(0, 4 + auth::kKeyIdLength) + std::string(auth::kKeySecretLength, 'Z');
  wrong_secret += crypto::base62Fixed(crypto::crc32(wrong_secret), auth::kKeyChecksumLength);
  ASSERT_TRUE(auth::parseAdminKey(wrong_secret));

  testing::FixedRandom other(12345);
  const auto unknown = auth::generateAdminKey(other, pepper_);
  const auto caller = auth::generateCallerKey(other, pepper_);
  SecretString other_pepper(std::string(32, 'q'));
  const auto other_pepper_key = auth::generateAdminKey(other, other_pepper);

  std::string tampered = super_key_;
  tampered[10] = tampered[10] == 'a' ? 'b' : 'a';  // Breaks the checksum.

  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty", ""},
      {"garbage", "garbage"},
      {"bearer prefix", "Bearer " + super_key_},
      {"tampered", tampered},
      {"truncated", super_key_.substr(0, super_key_.size() - 1)},
      {"unknown id", std::string(unknown.key.reveal())},
      {"wrong secret", wrong_secret},
      {"caller key", std::string(caller.key.reveal())},
      {"other pepper", std::string(other_pepper_key.key.reveal())},
      {"revoked", revoked.key},
  };
  std::string first_body;
  for (const auto& [name, presented] : cases) {
    SCOPED_TRACE(name);
    auto result = api_.authenticate(presented, request("GET", "/admin/v1/me", "", "", "192.0.2.1"));
    ASSERT_TRUE(std::holds_alternative<ApiReply>(result));
    const auto& reply = std::get<ApiReply>(result);
    EXPECT_EQ(reply.status, 401);
    EXPECT_EQ(errorType(reply), "authentication_error");
    if (first_body.empty()) {
      first_body = reply.body;
    }
    EXPECT_EQ(reply.body, first_body);
  }
}

TEST_F(AdminApiTest, TenFailuresFromOneAddressAreAuditedOnce) {
  const auto fail = [&](std::string_view ip) {
    auto result = api_.authenticate("gha_nope", request("GET", "/admin/v1/me", "", "", ip));
    ASSERT_TRUE(std::holds_alternative<ApiReply>(result));
  };
  const auto bursts = [&] {
    std::vector<audit::AuditEntry> found;
    for (const auto& entry : entries("")) {
      if (entry.event.action == "auth.failed_burst") {
        found.push_back(entry);
      }
    }
    return found;
  };
  for (int i = 0; i < 9; ++i) {
    fail("198.51.100.7");
  }
  EXPECT_TRUE(bursts().empty());
  fail("198.51.100.7");
  auto found = bursts();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].event.source_ip, "198.51.100.7");
  EXPECT_EQ(found[0].event.outcome, "denied");
  EXPECT_EQ(found[0].event.actor, "anonymous");
  EXPECT_EQ(found[0].event.org_id, "");

  // More failures in the same window, and fewer than ten from elsewhere: no new entry.
  for (int i = 0; i < 15; ++i) {
    fail("198.51.100.7");
  }
  for (int i = 0; i < 9; ++i) {
    fail("198.51.100.8");
  }
  EXPECT_EQ(bursts().size(), 1u);

  // A new window starts a new count.
  clock_.advance(std::chrono::minutes(2));
  for (int i = 0; i < 10; ++i) {
    fail("198.51.100.7");
  }
  EXPECT_EQ(bursts().size(), 2u);
  expectAuditVerifies();
}

// --- Organisations ---------------------------------------------------------------------------

TEST_F(AdminApiTest, SuperAdminCreatesOrganizationsAndOrgKeysSeeOnlyTheirOwn) {
  const auto before = newestId("");
  const std::string a = createOrg("A");
  const std::string b = createOrg("B");
  EXPECT_TRUE(a.starts_with("org_"));
  EXPECT_NE(a, b);
  // Recorded in the organisation's own chain and in the instance chain.
  ASSERT_EQ(entries(a).size(), 1u);
  EXPECT_EQ(entries(a)[0].event.action, "org.create");
  EXPECT_EQ(entries(a)[0].event.actor, "admin_key:" + super_.key_id);
  EXPECT_EQ(entriesSince("", before).size(), 2u);
  // The organisation has a data key from the start.
  EXPECT_TRUE(keyring_.seal(a, "x", "aad").ok());

  const auto all = parse(call(super_, "GET", "/orgs"));
  std::vector<std::string> ids;
  for (const auto& org : all.at("data").as_array()) {
    ids.emplace_back(org.at("id").as_string());
  }
  EXPECT_THAT(ids, ::testing::IsSupersetOf({a, b}));

  const OrgKey viewer = orgKey(a, Role::kViewer);
  EXPECT_EQ(viewer.principal.kind, Principal::Kind::kOrgKey);
  EXPECT_EQ(viewer.principal.org_id, a);
  EXPECT_EQ(viewer.principal.role, Role::kViewer);
  const auto own = call(viewer.principal, "GET", "/orgs");
  EXPECT_EQ(own.status, 200);
  const auto own_list = parse(own).at("data").as_array();
  ASSERT_EQ(own_list.size(), 1u);
  EXPECT_EQ(own_list[0].at("id").as_string(), a);
  EXPECT_THAT(own.body, Not(HasSubstr(b)));

  const OrgKey owner = orgKey(a, Role::kOwner);
  const auto denied = call(owner.principal, "POST", "/orgs", R"({"name":"C"})");
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(errorType(denied), "permission_error");
  expectAuditVerifies();
}

// --- THE KEY PROPERTY: another organisation's ids are 404 for an org-bound key --------------

struct Route {
  std::string method;
  std::string path;  // With {org} and the object placeholders below.
  std::string body;
};

class CrossTenantAdminTest : public AdminApiTest {
 protected:
  void SetUp() override {
    AdminApiTest::SetUp();
    a_ = createOrg("Org A");
    b_ = createOrg("Org B");
    const std::string bo = "/orgs/" + b_;
    b_project_ = make("POST", bo + "/projects", {{"name", "b-project"}});
    b_user_ =
        make("POST", bo + "/members",
             {{"email", "b-only@example.com"}, {"name", "B Only"}, {"role", "viewer"}}, "user_id");
    b_key_ = make("POST", bo + "/keys", {{"project_id", b_project_}, {"name", "b-key"}});
    b_admin_key_ = make("POST", bo + "/admin-keys", {{"name", "b-admin"}, {"role", "admin"}});
    b_provider_ =
        make("POST", bo + "/providers",
             {{"name", "b-provider"}, {"type", "openai"}, {"base_url", "https://8.8.8.8/v1"}});
    b_provider_key_ = make("POST", bo + "/provider-keys",
                           {{"provider", "oa"}, {"name", "b-pk"}, {"key", "sk-b-secret-0001"}});
    b_project_provider_key_ = make("POST", bo + "/provider-keys",
                                   {{"provider", "b-provider"},
                                    {"name", "b-pk2"},
                                    {"key", "sk-b-secret-0002"},
                                    {"project_id", b_project_}});
    b_model_ =
        make("PUT", bo + "/models",
             {{"name", "b-model"}, {"deployments", json::parse(R"([{"provider":"b-provider"}])")}});
    a_project_ = make("POST", "/orgs/" + a_ + "/projects", {{"name", "a-project"}});
  }

  std::string substitute(std::string path, const std::string& org) const {
    const std::vector<std::pair<std::string, std::string>> names = {
        {"{org}", org},
        {"{project}", b_project_},
        {"{user}", b_user_},
        {"{key}", b_key_},
        {"{admin_key}", b_admin_key_},
        {"{provider}", b_provider_},
        {"{provider_key}", b_provider_key_},
        {"{model}", b_model_},
    };
    for (const auto& [from, to] : names) {
      for (auto at = path.find(from); at != std::string::npos; at = path.find(from)) {
        path.replace(at, from.size(), to);
      }
    }
    return path;
  }

  // Every id of B and every value only B knows.
  std::vector<std::string> bSecrets() const {
    return {b_,           b_project_,  b_user_,         b_key_,
            b_admin_key_, b_provider_, b_provider_key_, b_project_provider_key_,
            b_model_,     "b-project", "B Only",        "b-only@example.com",
            "b-provider", "b-model",   "b-pk",          "8.8.8.8",
            "sk-b-secret"};
  }

  // What B looks like to its own administrator.
  std::string bState() {
    std::string state;
    for (const char* collection : {"", "/projects", "/members", "/keys", "/admin-keys",
                                   "/provider-keys", "/providers", "/models"}) {
      state += call(super_, "GET", "/orgs/" + b_ + collection).body + "\n";
    }
    return state;
  }

  std::string a_;
  std::string b_;
  std::string a_project_;
  std::string b_project_;
  std::string b_user_;
  std::string b_key_;
  std::string b_admin_key_;
  std::string b_provider_;
  std::string b_provider_key_;
  std::string b_project_provider_key_;
  std::string b_model_;
};

const std::vector<Route>& everyOrgRoute() {
  static const std::vector<Route> routes = {
      {"GET", "/orgs/{org}", ""},
      {"PATCH", "/orgs/{org}", R"({"name":"pwned"})"},
      {"DELETE", "/orgs/{org}", ""},
      {"GET", "/orgs/{org}/projects", ""},
      {"POST", "/orgs/{org}/projects", R"({"name":"pwned"})"},
      {"GET", "/orgs/{org}/projects/{project}", ""},
      {"DELETE", "/orgs/{org}/projects/{project}", ""},
      {"GET", "/orgs/{org}/members", ""},
      {"POST", "/orgs/{org}/members", R"({"email":"evil@example.com","role":"owner"})"},
      {"GET", "/orgs/{org}/members/{user}", ""},
      {"PATCH", "/orgs/{org}/members/{user}", R"({"role":"owner"})"},
      {"DELETE", "/orgs/{org}/members/{user}", ""},
      {"GET", "/orgs/{org}/keys", ""},
      {"POST", "/orgs/{org}/keys", R"({"project_id":"{project}","name":"pwned"})"},
      {"GET", "/orgs/{org}/keys/{key}", ""},
      {"DELETE", "/orgs/{org}/keys/{key}", ""},
      {"POST", "/orgs/{org}/keys/{key}/rotate", "{}"},
      {"GET", "/orgs/{org}/admin-keys", ""},
      {"POST", "/orgs/{org}/admin-keys", R"({"name":"pwned","role":"owner"})"},
      {"DELETE", "/orgs/{org}/admin-keys/{admin_key}", ""},
      {"GET", "/orgs/{org}/provider-keys", ""},
      {"POST", "/orgs/{org}/provider-keys", R"({"provider":"oa","name":"x","key":"sk-evil-123"})"},
      {"GET", "/orgs/{org}/provider-keys/{provider_key}", ""},
      {"DELETE", "/orgs/{org}/provider-keys/{provider_key}", ""},
      {"GET", "/orgs/{org}/providers", ""},
      {"POST", "/orgs/{org}/providers",
       R"({"name":"evil","type":"openai","base_url":"https://8.8.4.4/v1"})"},
      {"DELETE", "/orgs/{org}/providers/{provider}", ""},
      {"GET", "/orgs/{org}/models", ""},
      {"PUT", "/orgs/{org}/models", R"({"name":"evil","deployments":[{"provider":"oa"}]})"},
      {"POST", "/orgs/{org}/models", R"({"name":"evil","deployments":[{"provider":"oa"}]})"},
      {"DELETE", "/orgs/{org}/models/{model}", ""},
      {"GET", "/orgs/{org}/usage", ""},
      {"GET", "/orgs/{org}/history", ""},
      {"GET", "/orgs/{org}/audit", ""},
      {"GET", "/orgs/{org}/audit/export", ""},
      {"GET", "/orgs/{org}/audit/verify", ""},
      {"POST", "/orgs/{org}/nonexistent", "{}"},
      {"GET", "/orgs/{org}/projects", "not json"},
      {"POST", "/orgs/{org}/projects", "{not json"},
  };
  return routes;
}

TEST_F(CrossTenantAdminTest, EveryRouteUnderAnotherOrganizationIsNotFound) {
  const std::string b_state = bState();
  const auto b_audit = newestId(b_);
  for (const Role role : {Role::kViewer, Role::kOwner}) {
    const OrgKey key = orgKey(a_, role);
    for (const auto& route : everyOrgRoute()) {
      SCOPED_TRACE(route.method + " " + route.path + " as " + std::string(tenancy::roleName(role)));
      const auto reply =
          call(key.principal, route.method, substitute(route.path, b_), substitute(route.body, b_));
      EXPECT_EQ(reply.status, 404) << reply.body;
      EXPECT_EQ(errorType(reply), "not_found_error");
      // Exactly what a made-up organisation id gets: B's existence shows nowhere.
      const auto ghost =
          call(key.principal, route.method, substitute(route.path, "org_0000000000000000"),
               substitute(route.body, "org_0000000000000000"));
      EXPECT_EQ(reply.body, ghost.body);
      for (const auto& secret : bSecrets()) {
        EXPECT_THAT(reply.body, Not(HasSubstr(secret)));
      }
    }
  }
  EXPECT_EQ(bState(), b_state);
  EXPECT_EQ(newestId(b_), b_audit) << "B's audit chain grew";
  expectAuditVerifies();
}

TEST_F(CrossTenantAdminTest, ObjectIdsOfAnotherOrganizationAreNotFoundUnderOurOwn) {
  const std::vector<Route> routes = {
      {"GET", "/orgs/{org}/projects/{project}", ""},
      {"DELETE", "/orgs/{org}/projects/{project}", ""},
      {"GET", "/orgs/{org}/members/{user}", ""},
      {"PATCH", "/orgs/{org}/members/{user}", R"({"role":"viewer"})"},
      {"DELETE", "/orgs/{org}/members/{user}", ""},
      {"GET", "/orgs/{org}/keys/{key}", ""},
      {"DELETE", "/orgs/{org}/keys/{key}", ""},
      {"POST", "/orgs/{org}/keys/{key}/rotate", "{}"},
      {"POST", "/orgs/{org}/keys", R"({"project_id":"{project}","name":"x"})"},
      {"DELETE", "/orgs/{org}/admin-keys/{admin_key}", ""},
      {"GET", "/orgs/{org}/provider-keys/{provider_key}", ""},
      {"DELETE", "/orgs/{org}/provider-keys/{provider_key}", ""},
      {"POST", "/orgs/{org}/provider-keys",
       R"({"provider":"oa","name":"x","key":"sk-a-key-0000","project_id":"{project}"})"},
      {"POST", "/orgs/{org}/provider-keys",
       R"({"provider":"b-provider","name":"x","key":"sk-a-key-0000"})"},
      {"DELETE", "/orgs/{org}/providers/{provider}", ""},
      {"DELETE", "/orgs/{org}/models/{model}", ""},
  };
  const std::string b_state = bState();
  const auto b_audit = newestId(b_);
  const OrgKey owner = orgKey(a_, Role::kOwner);
  const auto a_keys_before = call(super_, "GET", "/orgs/" + a_ + "/keys").body;
  for (const auto& route : routes) {
    SCOPED_TRACE(route.method + " " + route.path);
    const auto reply =
        call(owner.principal, route.method, substitute(route.path, a_), substitute(route.body, a_));
    EXPECT_EQ(reply.status, 404) << reply.body;
    EXPECT_EQ(errorType(reply), "not_found_error");
    for (const auto& secret : bSecrets()) {
      EXPECT_THAT(reply.body, Not(HasSubstr(secret)));
    }
  }
  // A model of A cannot route to B's own provider either.
  const auto model = call(owner.principal, "PUT", "/orgs/" + a_ + "/models",
                          R"({"name":"m","deployments":[{"provider":"b-provider"}]})");
  EXPECT_EQ(model.status, 400);
  EXPECT_EQ(bState(), b_state);
  EXPECT_EQ(newestId(b_), b_audit);
  EXPECT_EQ(call(super_, "GET", "/orgs/" + a_ + "/keys").body, a_keys_before);
  expectAuditVerifies();
}

TEST_F(CrossTenantAdminTest, OwnListsAndAuditTrailHoldNothingOfAnotherOrganization) {
  const OrgKey owner = orgKey(a_, Role::kOwner);
  const std::string ao = "/orgs/" + a_;
  for (const std::string& path :
       {ao, ao + "/projects", ao + "/members", ao + "/keys", ao + "/admin-keys",
        ao + "/provider-keys", ao + "/providers", ao + "/models", ao + "/usage", ao + "/audit",
        ao + "/audit/export", std::string("/me"), std::string("/orgs")}) {
    SCOPED_TRACE(path);
    const auto reply = call(owner.principal, "GET", path);
    EXPECT_EQ(reply.status, 200) << reply.body;
    for (const auto& secret : bSecrets()) {
      EXPECT_THAT(reply.body, Not(HasSubstr(secret)));
    }
  }
  const auto csv = call(owner.principal, "GET", ao + "/audit/export", "", "format=csv");
  EXPECT_EQ(csv.status, 200);
  EXPECT_THAT(csv.body, Not(HasSubstr(b_)));
  // The instance chain is for super-admins only.
  EXPECT_EQ(call(owner.principal, "GET", "/audit").status, 404);
  EXPECT_EQ(call(owner.principal, "GET", "/audit/verify").status, 404);
  EXPECT_EQ(call(owner.principal, "GET", "/audit/export").status, 404);
}

TEST_F(CrossTenantAdminTest, ContentHistoryStaysWithItsOrganization) {
  const auto insert = [&](const std::string& org, const std::string& project,
                          const std::string& request_id, const std::string& sealed) {
    auto statement = db_->prepare(
        "INSERT INTO content_history (org_id, project_id, request_id, created_at, sealed) "
        "VALUES (?1, ?2, ?3, ?4, ?5)");
    ASSERT_TRUE(statement.ok());
    statement->bind(1, org).bind(2, project).bind(3, request_id).bind(4, clock_.nowMillis());
    statement->bindBlob(5, sealed);
    ASSERT_TRUE(statement->run().ok());
  };
  const std::string content =
      R"({"request":{"prompt":"b-history-secret"},"response":{"text":"b-history-answer"}})";
  auto sealed = keyring_.seal(b_, content, tenancy::contentHistoryAad(b_, "req-b-1"));
  ASSERT_TRUE(sealed.ok());
  insert(b_, b_project_, "req-b-1", *sealed);

  const auto b_read = call(super_, "GET", "/orgs/" + b_ + "/history");
  ASSERT_EQ(b_read.status, 200) << b_read.body;
  EXPECT_THAT(b_read.body, HasSubstr("b-history-secret"));

  const OrgKey owner = orgKey(a_, Role::kOwner);
  EXPECT_EQ(call(owner.principal, "GET", "/orgs/" + b_ + "/history").status, 404);
  const auto empty = call(owner.principal, "GET", "/orgs/" + a_ + "/history");
  ASSERT_EQ(empty.status, 200) << empty.body;
  EXPECT_TRUE(parse(empty).at("data").as_array().empty());

  // B's ciphertext copied into A's rows (same request id) does not open under A.
  insert(a_, a_project_, "req-b-1", *sealed);
  const auto copied = call(owner.principal, "GET", "/orgs/" + a_ + "/history");
  ASSERT_EQ(copied.status, 200) << copied.body;
  EXPECT_THAT(copied.body, Not(HasSubstr("b-history")));
  ASSERT_EQ(parse(copied).at("data").as_array().size(), 1u);
  EXPECT_TRUE(parse(copied).at("data").as_array()[0].as_object().contains("error"));
  // Reading history is itself audited.
  EXPECT_EQ(entries(a_).front().event.action, "content_history.read");
}

TEST_F(CrossTenantAdminTest, AddingAMemberRevealsNothingAnotherOrganizationStored) {
  // Users are instance-wide; B named this one. A adding the same address must not learn
  // what B wrote about them.
  const OrgKey admin = orgKey(a_, Role::kAdmin);
  const auto reply = call(admin.principal, "POST", "/orgs/" + a_ + "/members",
                          R"({"email":"b-only@example.com","role":"viewer"})");
  ASSERT_EQ(reply.status, 201) << reply.body;
  EXPECT_THAT(reply.body, Not(HasSubstr("B Only")));
  EXPECT_THAT(call(admin.principal, "GET", "/orgs/" + a_ + "/members").body,
              Not(HasSubstr("B Only")));
}

// --- Roles -----------------------------------------------------------------------------------

struct RoleCase {
  std::string name;
  Role minimum;
  std::string success_action;  ///< The audit action on success; "" when none is expected.
  std::string denied_action;   ///< The audit action of a refusal (non-GET only).
  int success_status;
  // Prepares what the call needs (with the super-admin key) and returns the call.
  std::function<Route(const std::string& tag)> prepare;
};

class RoleTest : public AdminApiTest {
 protected:
  void SetUp() override {
    AdminApiTest::SetUp();
    org_ = createOrg("Roles");
    project_ = make("POST", "/orgs/" + org_ + "/projects", {{"name", "main"}});
  }

  std::string base() const { return "/orgs/" + org_; }

  std::string member(const std::string& tag, const char* role) {
    return make("POST", base() + "/members", {{"email", tag + "@example.com"}, {"role", role}},
                "user_id");
  }

  std::vector<RoleCase> cases() {
    const std::string o = base();
    const auto fixed = [](std::string method, std::string path, std::string body = "") {
      return [=](const std::string&) { return Route{method, path, body}; };
    };
    return {
        {"get org", Role::kViewer, "", "", 200, fixed("GET", o)},
        {"list projects", Role::kViewer, "", "", 200, fixed("GET", o + "/projects")},
        {"list members", Role::kViewer, "", "", 200, fixed("GET", o + "/members")},
        {"list keys", Role::kViewer, "", "", 200, fixed("GET", o + "/keys")},
        {"list provider keys", Role::kViewer, "", "", 200, fixed("GET", o + "/provider-keys")},
        {"list providers", Role::kViewer, "", "", 200, fixed("GET", o + "/providers")},
        {"list models", Role::kViewer, "", "", 200, fixed("GET", o + "/models")},
        {"usage", Role::kViewer, "usage.export", "", 200, fixed("GET", o + "/usage")},
        {"list admin keys", Role::kAdmin, "", "", 200, fixed("GET", o + "/admin-keys")},
        {"read audit", Role::kAdmin, "", "audit.read", 200, fixed("GET", o + "/audit")},
        {"read content history", Role::kAdmin, "content_history.read", "content_history.read", 200,
         fixed("GET", o + "/history")},
        {"export audit", Role::kAdmin, "audit.export", "audit.read", 200,
         fixed("GET", o + "/audit/export")},
        {"update org", Role::kAdmin, "settings.update", "org.update", 200,
         fixed("PATCH", o, R"({"audit_retention_days":30})")},
        {"create project", Role::kAdmin, "project.create", "project.create", 201,
         [=](const std::string& tag) {
           return Route{"POST", o + "/projects", R"({"name":"p-)" + tag + R"("})"};
         }},
        {"delete project", Role::kAdmin, "project.delete", "project.delete", 200,
         [=, this](const std::string& tag) {
           const auto id = make("POST", o + "/projects", {{"name", "d-" + tag}});
           return Route{"DELETE", o + "/projects/" + id, ""};
         }},
        {"add member", Role::kAdmin, "member.add", "member.add", 201,
         [=](const std::string& tag) {
           return Route{"POST", o + "/members",
                        R"({"email":")" + tag + R"(@example.com","role":"admin"})"};
         }},
        {"add owner", Role::kOwner, "member.add", "member.add", 201,
         [=](const std::string& tag) {
           return Route{"POST", o + "/members",
                        R"({"email":")" + tag + R"(@example.com","role":"owner"})"};
         }},
        {"change role", Role::kAdmin, "member.role_change", "member.role_change", 200,
         [=, this](const std::string& tag) {
           return Route{"PATCH", o + "/members/" + member(tag, "viewer"), R"({"role":"admin"})"};
         }},
        {"promote to owner", Role::kOwner, "member.role_change", "member.role_change", 200,
         [=, this](const std::string& tag) {
           return Route{"PATCH", o + "/members/" + member(tag, "viewer"), R"({"role":"owner"})"};
         }},
        {"demote an owner", Role::kOwner, "member.role_change", "member.role_change", 200,
         [=, this](const std::string& tag) {
           return Route{"PATCH", o + "/members/" + member(tag, "owner"), R"({"role":"viewer"})"};
         }},
        {"remove member", Role::kAdmin, "member.remove", "member.remove", 200,
         [=, this](const std::string& tag) {
           return Route{"DELETE", o + "/members/" + member(tag, "member"), ""};
         }},
        {"remove an owner", Role::kOwner, "member.remove", "member.remove", 200,
         [=, this](const std::string& tag) {
           return Route{"DELETE", o + "/members/" + member(tag, "owner"), ""};
         }},
        {"create caller key", Role::kMember, "caller_key.create", "caller_key.create", 201,
         fixed("POST", o + "/keys", R"({"project_id":")" + project_ + R"(","name":"k"})")},
        {"rotate caller key", Role::kMember, "caller_key.rotate", "caller_key.rotate", 201,
         [=, this](const std::string&) {
           const auto id = make("POST", o + "/keys", {{"project_id", project_}, {"name", "r"}});
           return Route{"POST", o + "/keys/" + id + "/rotate", "{}"};
         }},
        {"revoke caller key", Role::kAdmin, "caller_key.revoke", "caller_key.revoke", 200,
         [=, this](const std::string&) {
           const auto id = make("POST", o + "/keys", {{"project_id", project_}, {"name", "v"}});
           return Route{"DELETE", o + "/keys/" + id, ""};
         }},
        {"create admin key", Role::kAdmin, "admin_key.create", "admin_key.manage", 201,
         fixed("POST", o + "/admin-keys", R"({"name":"n","role":"viewer"})")},
        {"revoke admin key", Role::kAdmin, "admin_key.revoke", "admin_key.manage", 200,
         [=, this](const std::string&) {
           const auto id = make("POST", o + "/admin-keys", {{"name", "x"}, {"role", "viewer"}});
           return Route{"DELETE", o + "/admin-keys/" + id, ""};
         }},
        {"add provider key", Role::kAdmin, "provider_key.add", "provider_key.add", 201,
         fixed("POST", o + "/provider-keys",
               R"({"provider":"oa","name":"n","key":"sk-12345678"})")},
        {"delete provider key", Role::kAdmin, "provider_key.delete", "provider_key.delete", 200,
         [=, this](const std::string&) {
           const auto id = make("POST", o + "/provider-keys",
                                {{"provider", "oa"}, {"name", "d"}, {"key", "sk-abcdefgh"}});
           return Route{"DELETE", o + "/provider-keys/" + id, ""};
         }},
        {"add provider", Role::kAdmin, "provider.add", "provider.add", 201,
         [=](const std::string& tag) {
           return Route{
               "POST", o + "/providers",
               R"({"name":"p)" + tag + R"(","type":"openai","base_url":"https://8.8.8.8/v1"})"};
         }},
        {"delete provider", Role::kAdmin, "provider.delete", "provider.delete", 200,
         [=, this](const std::string& tag) {
           const auto id = make(
               "POST", o + "/providers",
               {{"name", "d" + tag}, {"type", "anthropic"}, {"base_url", "https://8.8.8.8/v1"}});
           return Route{"DELETE", o + "/providers/" + id, ""};
         }},
        {"put model", Role::kAdmin, "model.put", "model.put", 200,
         fixed("PUT", o + "/models", R"({"name":"m","deployments":[{"provider":"oa"}]})")},
        {"delete model", Role::kAdmin, "model.delete", "model.delete", 200,
         [=, this](const std::string& tag) {
           const auto id =
               make("PUT", o + "/models",
                    {{"name", "d" + tag}, {"deployments", json::parse(R"([{"provider":"oa"}])")}});
           return Route{"DELETE", o + "/models/" + id, ""};
         }},
    };
  }

  std::string org_;
  std::string project_;
};

TEST_F(RoleTest, EachRouteNeedsItsRoleAndEveryOutcomeIsAudited) {
  std::vector<std::pair<std::string, Principal>> principals;
  for (Role role : {Role::kViewer, Role::kMember, Role::kAdmin, Role::kOwner}) {
    principals.emplace_back(tenancy::roleName(role), orgKey(org_, role).principal);
  }
  principals.emplace_back("superadmin", super_);
  int tag = 0;
  for (const auto& [principal_name, principal] : principals) {
    for (const auto& c : cases()) {
      SCOPED_TRACE(c.name + " as " + principal_name);
      const Route route = c.prepare("t" + std::to_string(++tag));
      const auto before = newestId(org_);
      const auto reply = call(principal, route.method, route.path, route.body);
      const auto added = entriesSince(org_, before);
      const bool allowed = principal.instanceWide() || principal.role >= c.minimum;
      if (allowed) {
        EXPECT_EQ(reply.status, c.success_status) << reply.body;
        if (c.success_action.empty()) {
          EXPECT_TRUE(added.empty());
        } else {
          ASSERT_EQ(added.size(), 1u);
          EXPECT_EQ(added[0].event.action, c.success_action);
          EXPECT_EQ(added[0].event.outcome, "success");
          EXPECT_EQ(added[0].event.actor, principal.actor());
          EXPECT_EQ(added[0].event.source_ip, kSourceIp);
          EXPECT_EQ(added[0].event.request_id, "req_" + std::to_string(requests_));
        }
      } else {
        EXPECT_EQ(reply.status, 403) << reply.body;
        EXPECT_EQ(errorType(reply), "permission_error");
        // Refused reads are audited only where reading is itself sensitive (the audit trail).
        if (c.denied_action.empty()) {
          EXPECT_TRUE(added.empty());
        } else {
          ASSERT_EQ(added.size(), 1u);
          EXPECT_EQ(added[0].event.action, c.denied_action);
          EXPECT_EQ(added[0].event.outcome, "denied");
          EXPECT_EQ(added[0].event.actor, principal.actor());
        }
      }
    }
  }
  expectAuditVerifies();
}

TEST_F(RoleTest, AdminKeysCannotGrantMoreThanTheirOwnRole) {
  const OrgKey admin = orgKey(org_, Role::kAdmin);
  const OrgKey owner = orgKey(org_, Role::kOwner);
  const std::string path = base() + "/admin-keys";
  EXPECT_EQ(call(admin.principal, "POST", path, R"({"name":"x","role":"owner"})").status, 403);
  EXPECT_EQ(call(admin.principal, "POST", path, R"({"name":"x","role":"admin"})").status, 201);
  EXPECT_EQ(call(admin.principal, "POST", path, R"({"name":"x","role":"viewer"})").status, 201);
  EXPECT_EQ(call(owner.principal, "POST", path, R"({"name":"x","role":"owner"})").status, 201);
  // An admin key made by an admin really holds no more than admin.
  const auto made = call(admin.principal, "POST", path, R"({"name":"y","role":"admin"})");
  auto principal = api_.authenticate(field(made, "key"), request("GET", "/admin/v1/me"));
  ASSERT_TRUE(std::holds_alternative<Principal>(principal));
  EXPECT_EQ(std::get<Principal>(principal).role, Role::kAdmin);
  EXPECT_EQ(std::get<Principal>(principal).org_id, org_);
}

TEST_F(RoleTest, RefusedAdminKeyEscalationIsAudited) {
  const OrgKey admin = orgKey(org_, Role::kAdmin);
  const auto before = newestId(org_);
  const auto reply =
      call(admin.principal, "POST", base() + "/admin-keys", R"({"name":"x","role":"owner"})");
  ASSERT_EQ(reply.status, 403);
  const auto added = entriesSince(org_, before);
  ASSERT_EQ(added.size(), 1u) << "a refused escalation leaves no trace in the audit trail";
  EXPECT_EQ(added[0].event.outcome, "denied");
}

TEST_F(RoleTest, RefusedOrganizationCreationIsAudited) {
  const OrgKey owner = orgKey(org_, Role::kOwner);
  const auto before_org = newestId(org_);
  const auto before_instance = newestId("");
  ASSERT_EQ(call(owner.principal, "POST", "/orgs", R"({"name":"mine"})").status, 403);
  const auto added =
      entriesSince(org_, before_org).size() + entriesSince("", before_instance).size();
  EXPECT_EQ(added, 1u) << "a refused organisation creation leaves no trace";
}

TEST_F(RoleTest, DeletingAnOrganizationNeedsTheOwnerRole) {
  for (Role role : {Role::kViewer, Role::kMember, Role::kAdmin}) {
    SCOPED_TRACE(std::string(tenancy::roleName(role)));
    const OrgKey key = orgKey(org_, role);
    const auto before = newestId(org_);
    const auto reply = call(key.principal, "DELETE", base());
    EXPECT_EQ(reply.status, 403);
    const auto added = entriesSince(org_, before);
    ASSERT_EQ(added.size(), 1u);
    EXPECT_EQ(added[0].event.action, "org.delete");
    EXPECT_EQ(added[0].event.outcome, "denied");
    // The data key is untouched by the refusal.
    EXPECT_TRUE(keyring_.seal(org_, "x", "aad").ok());
  }
  const OrgKey owner = orgKey(org_, Role::kOwner);
  EXPECT_EQ(call(owner.principal, "DELETE", base()).status, 200);
}

// --- Organisation deletion -------------------------------------------------------------------

TEST_F(AdminApiTest, DeletingAnOrganizationShredsItsDataKey) {
  const std::string c = createOrg("C");
  const std::string other = createOrg("Other");
  const OrgKey owner = orgKey(c, Role::kOwner);
  const auto added = call(owner.principal, "POST", "/orgs/" + c + "/provider-keys",
                          R"({"provider":"oa","name":"prod","key":"sk-shred-me-0042"})");
  ASSERT_EQ(added.status, 201);
  const std::string pk = field(added, "id");
  auto select = db_->prepare("SELECT ciphertext FROM provider_keys WHERE id = ?1");
  ASSERT_TRUE(select.ok());
  select->bind(1, pk);
  ASSERT_TRUE(*select->step());
  const std::string sealed = select->columnBlob(0);
  const std::string aad = tenancy::providerKeyAad(c, pk, "oa");
  ASSERT_TRUE(keyring_.open(c, sealed, aad).ok());
  const std::string other_sealed = *keyring_.seal(other, "other-secret", "aad");

  const auto instance_before = newestId("");
  const auto reply = call(owner.principal, "DELETE", "/orgs/" + c);
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_TRUE(parse(reply).at("deleted").as_bool());

  EXPECT_FALSE(keyring_.open(c, sealed, aad).ok());
  EXPECT_FALSE(keyring_.seal(c, "x", "aad").ok());
  EXPECT_TRUE(keyring_.open(other, other_sealed, "aad").ok());  // Only C's key went.
  EXPECT_EQ(count("SELECT COUNT(*) FROM provider_keys WHERE org_id = '" + c + "'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM admin_keys WHERE org_id = '" + c + "'"), 0);
  EXPECT_EQ(call(super_, "GET", "/orgs/" + c).status, 404);
  // The owner's key went with the organisation.
  auto again = api_.authenticate(owner.key, request("GET", "/admin/v1/me"));
  ASSERT_TRUE(std::holds_alternative<ApiReply>(again));
  EXPECT_EQ(std::get<ApiReply>(again).status, 401);
  // Audited in the organisation's chain (which outlives it) and the instance chain.
  EXPECT_EQ(entries(c).front().event.action, "org.delete");
  const auto instance = entriesSince("", instance_before);
  ASSERT_EQ(instance.size(), 1u);
  EXPECT_EQ(instance[0].event.action, "org.delete");
  EXPECT_EQ(instance[0].event.target, c);
  expectAuditVerifies();
}

// --- Provider keys ---------------------------------------------------------------------------

TEST_F(AdminApiTest, ProviderKeysAreSealedAndNeverReturned) {
  const std::string a = createOrg("A");
  const std::string b = createOrg("B");
  const OrgKey admin = orgKey(a, Role::kAdmin);
  const std::string secret = "sk-live-TOPSECRETVALUE-9876";
  const std::string base = "/orgs/" + a + "/provider-keys";
  const auto before = newestId(a);
  const auto reply =
      call(admin.principal, "POST", base,
           json::serialize(json::object{{"provider", "oa"}, {"name", "prod"}, {"key", secret}}));
  ASSERT_EQ(reply.status, 201) << reply.body;
  const auto body = parse(reply).as_object();
  EXPECT_EQ(body.at("last_four").as_string(), "9876");
  EXPECT_FALSE(body.contains("key"));
  EXPECT_THAT(reply.body, Not(HasSubstr("TOPSECRET")));
  const std::string id(body.at("id").as_string());

  for (const auto& read :
       {call(admin.principal, "GET", base), call(admin.principal, "GET", base + "/" + id),
        call(super_, "GET", base)}) {
    EXPECT_EQ(read.status, 200);
    EXPECT_THAT(read.body, HasSubstr(id));
    EXPECT_THAT(read.body, Not(HasSubstr("TOPSECRET")));
  }

  // Nothing stored in the row, or anywhere in the main database file, holds the key.
  auto select = db_->prepare(
      "SELECT id, org_id, COALESCE(project_id, ''), provider, name, ciphertext, last_four "
      "FROM provider_keys WHERE id = ?1");
  ASSERT_TRUE(select.ok());
  select->bind(1, id);
  ASSERT_TRUE(*select->step());
  for (int column = 0; column < 7; ++column) {
    EXPECT_THAT(select->columnBlob(column), Not(HasSubstr("TOPSECRET"))) << column;
  }
  const std::string sealed = select->columnBlob(5);
  EXPECT_EQ(select->columnText(6), "9876");
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    EXPECT_THAT(readFile(entry.path().string()), Not(HasSubstr("TOPSECRET"))) << entry.path();
  }

  // It opens under A's data key, bound to its row, and nowhere else.
  auto opened = keyring_.open(a, sealed, tenancy::providerKeyAad(a, id, "oa"));
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->reveal(), secret);
  EXPECT_FALSE(keyring_.open(b, sealed, tenancy::providerKeyAad(b, id, "oa")).ok());
  EXPECT_FALSE(keyring_.open(a, sealed, tenancy::providerKeyAad(a, "pk_other", "oa")).ok());

  const auto added = entriesSince(a, before);
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0].event.action, "provider_key.add");
  EXPECT_THAT(added[0].event.detail, Not(HasSubstr("TOPSECRET")));
  expectAuditVerifies();
}

TEST_F(AdminApiTest, ProviderKeyValidation) {
  const std::string a = createOrg("A");
  const std::string base = "/orgs/" + a + "/provider-keys";
  EXPECT_EQ(call(super_, "POST", base, R"({"provider":"oa","name":"n"})").status, 400);
  EXPECT_EQ(call(super_, "POST", base, R"({"provider":"oa","name":"n","key":"short"})").status,
            400);
  EXPECT_EQ(call(super_, "POST", base, R"({"provider":"oa","name":"n","key":12345678})").status,
            400);
  EXPECT_EQ(
      call(super_, "POST", base, R"({"provider":"nope","name":"n","key":"sk-12345678"})").status,
      404);
  EXPECT_EQ(call(super_, "POST", base,
                 json::serialize(json::object{
                     {"provider", "oa"}, {"name", "n"}, {"key", std::string(4097, 'x')}}))
                .status,
            400);
  // A key that would end the upstream request's header early.
  for (const char* bad : {"sk-1234\r\nX-Injected: 1", "sk-1234\nHost: x", "sk-1234\u0000x"}) {
    EXPECT_EQ(call(super_, "POST", base,
                   json::serialize(json::object{{"provider", "oa"}, {"name", "n"}, {"key", bad}}))
                  .status,
              400)
        << bad;
  }
  EXPECT_TRUE(parse(call(super_, "GET", base)).at("data").as_array().empty());
}

// --- Caller keys -----------------------------------------------------------------------------

class CallerKeyTest : public AdminApiTest {
 protected:
  void SetUp() override {
    AdminApiTest::SetUp();
    org_ = createOrg("Keys");
    project_ = make("POST", "/orgs/" + org_ + "/projects", {{"name", "main"}});
    member_ = orgKey(org_, Role::kMember);
  }
  std::string keys() const { return "/orgs/" + org_ + "/keys"; }

  std::string org_;
  std::string project_;
  OrgKey member_;
};

TEST_F(CallerKeyTest, TheKeyIsShownOnceOnCreation) {
  const auto before = newestId(org_);
  const auto created = call(member_.principal, "POST", keys(),
                            R"({"project_id":")" + project_ +
                                R"(","name":"ci","scopes":["gpt-4o"],"expires_in_seconds":60})");
  ASSERT_EQ(created.status, 201) << created.body;
  const auto body = parse(created).as_object();
  const std::string key(body.at("key").as_string());
  const std::string id(body.at("id").as_string());
  EXPECT_TRUE(key.starts_with("gtk_"));
  EXPECT_EQ(auth::parseCallerKey(key), id);
  EXPECT_EQ(body.at("project_id").as_string(), project_);
  EXPECT_EQ(body.at("expires_at").as_int64(), clock_.nowMillis() + 60'000);
  EXPECT_EQ(body.at("scopes").as_array().size(), 1u);

  for (const auto& read :
       {call(member_.principal, "GET", keys()), call(member_.principal, "GET", keys() + "/" + id),
        call(super_, "GET", keys())}) {
    EXPECT_EQ(read.status, 200);
    EXPECT_THAT(read.body, HasSubstr(id));
    EXPECT_THAT(read.body, Not(HasSubstr(key)));
    EXPECT_THAT(read.body, Not(HasSubstr(key.substr(4 + 16, 20))));  // Nor its secret part.
  }
  const auto one = parse(call(member_.principal, "GET", keys() + "/" + id)).as_object();
  EXPECT_FALSE(one.contains("key"));

  const auto added = entriesSince(org_, before);
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0].event.action, "caller_key.create");
  EXPECT_EQ(added[0].event.target, id);
  EXPECT_THAT(added[0].event.detail, Not(HasSubstr(key.substr(4 + 16, 20))));
  // Only the hash is stored.
  EXPECT_EQ(
      count("SELECT COUNT(*) FROM caller_keys WHERE id = '" + id + "' AND length(key_hash) = 32"),
      1);
}

TEST_F(CallerKeyTest, RotationOverlapsThePreviousKey) {
  const auto created = call(member_.principal, "POST", keys(),
                            R"({"project_id":")" + project_ + R"(","name":"ci"})");
  ASSERT_EQ(created.status, 201);
  const std::string old_id = field(created, "id");
  clock_.advance(std::chrono::minutes(5));
  const std::int64_t now = clock_.nowMillis();

  const auto rotated = call(member_.principal, "POST", keys() + "/" + old_id + "/rotate",
                            R"({"overlap_seconds":3600})");
  ASSERT_EQ(rotated.status, 201) << rotated.body;
  const auto body = parse(rotated).as_object();
  const std::string new_id(body.at("id").as_string());
  EXPECT_NE(new_id, old_id);
  EXPECT_TRUE(std::string(body.at("key").as_string()).starts_with("gtk_"));
  EXPECT_EQ(body.at("previous").at("id").as_string(), old_id);
  EXPECT_EQ(body.at("previous").at("expires_at").as_int64(), now + kHour);
  EXPECT_EQ(body.at("name").as_string(), "ci");

  const auto old = parse(call(member_.principal, "GET", keys() + "/" + old_id)).as_object();
  EXPECT_EQ(old.at("expires_at").as_int64(), now + kHour);
  EXPECT_EQ(old.at("rotated_to").as_string(), new_id);
  EXPECT_TRUE(old.at("revoked_at").is_null());
  EXPECT_FALSE(old.contains("key"));

  // A key rotates once.
  EXPECT_EQ(call(member_.principal, "POST", keys() + "/" + old_id + "/rotate", "{}").status, 409);
  // The default overlap is a day.
  const auto second = call(member_.principal, "POST", keys() + "/" + new_id + "/rotate", "{}");
  ASSERT_EQ(second.status, 201);
  EXPECT_EQ(parse(second).at("previous").at("expires_at").as_int64(), now + 24 * kHour);
  // A revoked key does not rotate.
  const std::string third(parse(second).at("id").as_string());
  ASSERT_EQ(call(super_, "DELETE", keys() + "/" + third).status, 200);
  EXPECT_EQ(call(member_.principal, "POST", keys() + "/" + third + "/rotate", "{}").status, 409);
  EXPECT_EQ(call(super_, "DELETE", keys() + "/" + third).status, 409);
  const auto fresh =
      call(member_.principal, "POST", keys(), R"({"project_id":")" + project_ + R"(","name":"f"})");
  EXPECT_EQ(call(member_.principal, "POST", keys() + "/" + field(fresh, "id") + "/rotate",
                 R"({"overlap_seconds":-1})")
                .status,
            400);
  expectAuditVerifies();
}

TEST_F(CallerKeyTest, RotationReportsTheExpiryActuallyStored) {
  // A key that expires sooner than the overlap keeps its earlier expiry; the reply must say so.
  const auto created =
      call(member_.principal, "POST", keys(),
           R"({"project_id":")" + project_ + R"(","name":"ci","expires_in_seconds":60})");
  ASSERT_EQ(created.status, 201);
  const std::string id = field(created, "id");
  const auto rotated =
      call(member_.principal, "POST", keys() + "/" + id + "/rotate", R"({"overlap_seconds":3600})");
  ASSERT_EQ(rotated.status, 201);
  const auto stored = parse(call(member_.principal, "GET", keys() + "/" + id));
  EXPECT_EQ(stored.at("expires_at").as_int64(), clock_.nowMillis() + 60'000);
  EXPECT_EQ(parse(rotated).at("previous").at("expires_at").as_int64(),
            stored.at("expires_at").as_int64());
}

TEST_F(CallerKeyTest, HugeLifetimesAreRefusedNotOverflowed) {
  // expires_in_seconds * 1000 and now + overlap_seconds * 1000 are signed 64-bit arithmetic on
  // tenant input: values that overflow must be a 400, not undefined behaviour.
  const std::string huge = std::to_string(INT64_MAX);
  const auto created =
      call(member_.principal, "POST", keys(),
           R"({"project_id":")" + project_ + R"(","name":"ci","expires_in_seconds":)" + huge + "}");
  EXPECT_EQ(created.status, 400) << created.body;

  const auto ok = call(member_.principal, "POST", keys(),
                       R"({"project_id":")" + project_ + R"(","name":"ci"})");
  ASSERT_EQ(ok.status, 201);
  const auto rotated = call(member_.principal, "POST", keys() + "/" + field(ok, "id") + "/rotate",
                            R"({"overlap_seconds":)" + huge + "}");
  EXPECT_EQ(rotated.status, 400) << rotated.body;
}

TEST_F(CallerKeyTest, Validation) {
  EXPECT_EQ(call(member_.principal, "POST", keys(), R"({"name":"ci"})").status, 400);
  EXPECT_EQ(
      call(member_.principal, "POST", keys(), R"({"project_id":")" + project_ + R"("})").status,
      400);
  EXPECT_EQ(call(member_.principal, "POST", keys(),
                 R"({"project_id":")" + project_ + R"(","name":"ci","scopes":"all"})")
                .status,
            400);
  EXPECT_EQ(call(member_.principal, "POST", keys(),
                 R"({"project_id":")" + project_ + R"(","name":"ci","scopes":["a,b"]})")
                .status,
            400);
  EXPECT_EQ(call(member_.principal, "POST", keys(),
                 R"({"project_id":")" + project_ + R"(","name":"ci","expires_in_seconds":0})")
                .status,
            400);
  EXPECT_EQ(
      call(member_.principal, "POST", keys(), R"({"project_id":"prj_missing","name":"ci"})").status,
      404);
  EXPECT_TRUE(parse(call(member_.principal, "GET", keys())).at("data").as_array().empty());
}

// --- Requests that are wrong in themselves ---------------------------------------------------

TEST_F(AdminApiTest, MalformedJsonIs400) {
  const std::string a = createOrg("A");
  for (const std::string body : {"{", "{\"name\":", "[1,2]", "\"just a string\"", "42", "nul"}) {
    SCOPED_TRACE(body);
    for (const auto& [method, path] :
         std::vector<std::pair<std::string, std::string>>{{"POST", "/orgs"},
                                                          {"POST", "/orgs/" + a + "/projects"},
                                                          {"PATCH", "/orgs/" + a},
                                                          {"PUT", "/orgs/" + a + "/models"}}) {
      const auto reply = call(super_, method, path, body);
      EXPECT_EQ(reply.status, 400) << method << ' ' << path;
      EXPECT_EQ(errorType(reply), "invalid_request_error");
    }
  }
  EXPECT_EQ(
      call(super_, "POST", "/orgs/" + a + "/projects", std::string(70 * 1024, ' ') + "{}").status,
      413);
}

TEST_F(AdminApiTest, UnknownRoutesAre404) {
  const std::string a = createOrg("A");
  const OrgKey owner = orgKey(a, Role::kOwner);
  for (const auto& path :
       {std::string("/admin/v1"), std::string("/admin/v1/"), std::string("/admin/v1/nope"),
        std::string("/admin/v2/orgs"), std::string("/v1/chat/completions"),
        "/admin/v1/orgs/" + a + "/nope", "/admin/v1/orgs/" + a + "/projects/x/y",
        "/admin/v1/orgs/" + a + "/members/x/y", "/admin/v1/orgs/" + a + "/keys/x/y/z",
        "/admin/v1/orgs/" + a + "/audit/nope", "/admin/v1/orgs/" + a + "/providers/x/y"}) {
    SCOPED_TRACE(path);
    const auto reply = api_.handle(super_, request("GET", path));
    EXPECT_EQ(reply.status, 404) << reply.body;
    EXPECT_EQ(errorType(reply), "not_found_error");
  }
  EXPECT_EQ(call(owner.principal, "GET", "/audit").status, 404);
}

TEST_F(AdminApiTest, APathThatOnlyStartsLikeTheApiIsNotTheApi) {
  // "/admin/v1orgs" is not "/admin/v1/orgs".
  const auto reply = api_.handle(super_, request("GET", "/admin/v1orgs"));
  EXPECT_EQ(reply.status, 404) << reply.body;
}

TEST_F(AdminApiTest, WrongMethodsAre405) {
  const std::string a = createOrg("A");
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"PUT", "/orgs"},
           {"DELETE", "/orgs"},
           {"PUT", "/orgs/" + a},
           {"POST", "/orgs/" + a},
           {"DELETE", "/orgs/" + a + "/projects"},
           {"PUT", "/orgs/" + a + "/members"},
           {"DELETE", "/orgs/" + a + "/keys"},
           {"DELETE", "/orgs/" + a + "/admin-keys"},
           {"PATCH", "/orgs/" + a + "/provider-keys"},
           {"DELETE", "/orgs/" + a + "/providers"},
           {"DELETE", "/orgs/" + a + "/models"},
           {"DELETE", "/orgs/" + a + "/audit"},
           {"POST", "/audit"},
       }) {
    SCOPED_TRACE(method + " " + path);
    const auto reply = call(super_, method, path, "{}");
    EXPECT_EQ(reply.status, 405) << reply.body;
    EXPECT_EQ(errorType(reply), "method_not_allowed");
  }
}

// --- Egress policy on tenant-supplied base URLs ----------------------------------------------

TEST_F(AdminApiTest, ProviderBaseUrlsMustPassTheEgressPolicy) {
  const std::string a = createOrg("A");
  const OrgKey admin = orgKey(a, Role::kAdmin);
  const std::string path = "/orgs/" + a + "/providers";
  for (const std::string url :
       {"http://127.0.0.1:9/v1", "https://127.0.0.1/v1", "https://169.254.169.254/latest",
        "https://10.0.0.1/v1", "https://[::1]/v1", "https://0.0.0.0/v1", "http://8.8.8.8/v1"}) {
    SCOPED_TRACE(url);
    const auto before = newestId(a);
    const auto reply = call(
        admin.principal, "POST", path,
        json::serialize(json::object{{"name", "local"}, {"type", "openai"}, {"base_url", url}}));
    EXPECT_EQ(reply.status, 400) << reply.body;
    EXPECT_EQ(errorType(reply), "invalid_request_error");
    const auto added = entriesSince(a, before);
    ASSERT_EQ(added.size(), 1u);
    EXPECT_EQ(added[0].event.action, "provider.add");
    EXPECT_EQ(added[0].event.outcome, "denied");
    EXPECT_THAT(added[0].event.detail, HasSubstr("egress_policy"));
    EXPECT_EQ(added[0].event.actor, admin.principal.actor());
  }
  EXPECT_TRUE(parse(call(admin.principal, "GET", path)).at("data").as_array().empty());

  // A public https address is fine.
  const auto ok = call(admin.principal, "POST", path,
                       R"({"name":"public","type":"openai","base_url":"https://8.8.8.8/v1"})");
  EXPECT_EQ(ok.status, 201) << ok.body;
  // The gateway's own provider names are taken.
  EXPECT_EQ(call(admin.principal, "POST", path,
                 R"({"name":"oa","type":"openai","base_url":"https://8.8.8.8/v1"})")
                .status,
            409);
  expectAuditVerifies();
}

}  // namespace
}  // namespace gatehouse::admin
