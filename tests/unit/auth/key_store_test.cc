#include <gatehouse/auth/key_store.h>
#include <gatehouse/store/database.h>
#include <gatehouse/tenancy/tenant_store.h>

#include "mocks/fixed_random.h"
#include "mocks/manual_clock.h"
#include "mocks/temp_dir.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <fstream>
#include <sstream>

namespace gatehouse::auth {
namespace {

using tenancy::ScopeGrant;

class KeyStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<store::Database> open() {
    return store::Database::open(store::databasePath(dir_.path()));
  }

  // Stores a new key for `project` of `org` (the defaults exist after migration).
  GeneratedKey store(store::Database& db, std::vector<std::string> scopes = {},
                     std::optional<std::int64_t> expires_at = std::nullopt,
                     std::string org = "org_default", std::string project = "prj_default") {
    GeneratedKey generated = generateCallerKey(random_, pepper_);
    tenancy::TenantStore tenants(db, random_);
    tenancy::NewCallerKey key;
    key.id = generated.id;
    key.hash.assign(reinterpret_cast<const char*>(generated.hash.data()), generated.hash.size());
    key.project_id = project;
    key.name = "ci";
    key.scopes = std::move(scopes);
    key.expires_at = expires_at;
    EXPECT_TRUE(tenants.createCallerKey(ScopeGrant::authenticatedOrg(org), key, 1000).ok());
    return generated;
  }

  KeyVerifier verifier(std::string_view pepper = "pepper-for-tests") {
    return KeyVerifier(open(), SecretString(std::string(pepper)), clock_);
  }

  testing::TempDir dir_;
  testing::FixedRandom random_;
  testing::ManualClock clock_{2000};
  SecretString pepper_{"pepper-for-tests"};
};

TEST_F(KeyStoreTest, AValidKeyVerifiesToItsIdentity) {
  auto db = open();
  const GeneratedKey generated = store(*db, {"gpt-4o-mini"});
  KeyVerifier keys = verifier();
  ASSERT_TRUE(keys.refresh().ok());
  const auto verdict = keys.verify(generated.key.reveal());
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const CallerIdentity>>(verdict));
  const auto& identity = *std::get<std::shared_ptr<const CallerIdentity>>(verdict);
  EXPECT_EQ(identity.key_id, generated.id);
  EXPECT_EQ(identity.org_id, "org_default");
  EXPECT_EQ(identity.project_id, "prj_default");
  EXPECT_TRUE(identity.allowsModel("gpt-4o-mini"));
  EXPECT_FALSE(identity.allowsModel("claude-haiku-4-5"));
}

TEST_F(KeyStoreTest, WrongSecretUnknownIdAndGarbageAreRefusedForDifferentLoggedReasons) {
  auto db = open();
  const GeneratedKey stored = store(*db);
  KeyVerifier keys = verifier();
  ASSERT_TRUE(keys.refresh().ok());

  const GeneratedKey unknown = generateCallerKey(random_, pepper_);
  EXPECT_EQ(std::get<KeyRejection>(keys.verify(unknown.key.reveal())),
            KeyRejection::kUnknownOrRevoked);
  KeyVerifier other_pepper = verifier("a-different-pepper");
  ASSERT_TRUE(other_pepper.refresh().ok());
  EXPECT_EQ(std::get<KeyRejection>(other_pepper.verify(stored.key.reveal())),
            KeyRejection::kWrongSecret);
  EXPECT_EQ(std::get<KeyRejection>(keys.verify("")), KeyRejection::kMissing);
  EXPECT_EQ(std::get<KeyRejection>(keys.verify("sk-not-ours")), KeyRejection::kMalformed);
}

TEST_F(KeyStoreTest, RevocationByAnotherConnectionAppliesOnTheNextRefresh) {
  auto cli = open();
  const GeneratedKey generated = store(*cli);
  KeyVerifier keys = verifier();
  ASSERT_TRUE(keys.refresh().ok());
  ASSERT_FALSE(std::holds_alternative<KeyRejection>(keys.verify(generated.key.reveal())));

  tenancy::TenantStore tenants(*cli, random_);
  const auto scope = ScopeGrant::authenticatedOrg("org_default");
  auto revoked = tenants.revokeCallerKey(scope, generated.id, 2000);
  ASSERT_TRUE(revoked.ok());
  EXPECT_TRUE(*revoked);
  ASSERT_TRUE(keys.refresh().ok());
  EXPECT_EQ(std::get<KeyRejection>(keys.verify(generated.key.reveal())),
            KeyRejection::kUnknownOrRevoked);
  EXPECT_FALSE(*tenants.revokeCallerKey(scope, generated.id, 3000));
}

TEST_F(KeyStoreTest, AKeyStopsWorkingAtItsExpiry) {
  auto db = open();
  const GeneratedKey generated = store(*db, {}, 5000);
  KeyVerifier keys = verifier();
  ASSERT_TRUE(keys.refresh().ok());
  clock_.set(4999);
  EXPECT_FALSE(std::holds_alternative<KeyRejection>(keys.verify(generated.key.reveal())));
  clock_.set(5000);
  EXPECT_EQ(std::get<KeyRejection>(keys.verify(generated.key.reveal())), KeyRejection::kExpired);
}

TEST_F(KeyStoreTest, ARotatedKeyWorksUntilTheEndOfItsOverlap) {
  auto db = open();
  const GeneratedKey old_key = store(*db);
  const GeneratedKey successor = store(*db);
  tenancy::TenantStore tenants(*db, random_);
  ASSERT_TRUE(tenants
                  .markRotated(ScopeGrant::authenticatedOrg("org_default"), old_key.id,
                               successor.id, 10'000)
                  .ok());
  KeyVerifier keys = verifier();
  ASSERT_TRUE(keys.refresh().ok());
  clock_.set(9'999);
  EXPECT_FALSE(std::holds_alternative<KeyRejection>(keys.verify(old_key.key.reveal())));
  clock_.set(10'000);
  EXPECT_EQ(std::get<KeyRejection>(keys.verify(old_key.key.reveal())), KeyRejection::kExpired);
  EXPECT_FALSE(std::holds_alternative<KeyRejection>(keys.verify(successor.key.reveal())));
}

TEST_F(KeyStoreTest, TheDatabaseHoldsNoPlaintextKey) {
  auto db = open();
  const GeneratedKey generated = store(*db);
  db.reset();
  std::ifstream file(store::databasePath(dir_.path()), std::ios::binary);
  std::stringstream bytes;
  bytes << file.rdbuf();
  std::ifstream wal(store::databasePath(dir_.path()) + "-wal", std::ios::binary);
  bytes << wal.rdbuf();
  const std::string secret(generated.key.reveal().substr(4 + kKeyIdLength, kKeySecretLength));
  EXPECT_EQ(bytes.str().find(secret), std::string::npos);
  EXPECT_NE(bytes.str().find(generated.id), std::string::npos);  // The id is stored, in clear.
}

TEST_F(KeyStoreTest, AdminKeysAndCallerKeysCannotBeMistakenForEachOther) {
  const GeneratedKey admin = generateAdminKey(random_, pepper_);
  EXPECT_TRUE(admin.key.reveal().starts_with(kAdminKeyPrefix));
  EXPECT_TRUE(parseAdminKey(admin.key.reveal()).has_value());
  EXPECT_FALSE(parseCallerKey(admin.key.reveal()).has_value());
  const GeneratedKey caller = generateCallerKey(random_, pepper_);
  EXPECT_FALSE(parseAdminKey(caller.key.reveal()).has_value());
}

TEST_F(KeyStoreTest, PepperFileIsCreatedOnceWithOwnerOnlyPermissions) {
  const SecretString first = loadPepper(dir_.path(), random_);
  const SecretString second = loadPepper(dir_.path(), random_);
  EXPECT_EQ(first.size(), 64u);
  EXPECT_TRUE(first.equals(second.reveal()));
  struct stat info {};
  ASSERT_EQ(::stat((dir_.path() + "/pepper").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
}

}  // namespace
}  // namespace gatehouse::auth
