#include <gatehouse/auth/key_store.h>

#include "mocks/fixed_random.h"
#include "mocks/temp_dir.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <fstream>
#include <sstream>

namespace gatehouse::auth {
namespace {

class KeyStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<store::Database> open() {
    return store::Database::open(store::databasePath(dir_.path()));
  }

  testing::TempDir dir_;
  testing::FixedRandom random_;
  SecretString pepper_{"pepper-for-tests"};
};

TEST_F(KeyStoreTest, AValidKeyVerifiesToItsId) {
  auto db = open();
  KeyRepository repository(*db);
  const GeneratedKey generated = generateCallerKey(random_, pepper_);
  ASSERT_TRUE(repository.create("ci", generated, 1000).ok());

  KeyVerifier verifier(open(), SecretString("pepper-for-tests"));
  ASSERT_TRUE(verifier.refresh().ok());
  const auto verdict = verifier.verify(generated.key.reveal());
  ASSERT_TRUE(std::holds_alternative<std::string>(verdict));
  EXPECT_EQ(std::get<std::string>(verdict), generated.id);
}

TEST_F(KeyStoreTest, WrongSecretUnknownIdAndGarbageAreRefusedForDifferentLoggedReasons) {
  auto db = open();
  KeyRepository repository(*db);
  const GeneratedKey stored = generateCallerKey(random_, pepper_);
  ASSERT_TRUE(repository.create("ci", stored, 1000).ok());
  KeyVerifier verifier(open(), SecretString("pepper-for-tests"));
  ASSERT_TRUE(verifier.refresh().ok());

  // A well-formed key that was never stored.
  const GeneratedKey unknown = generateCallerKey(random_, pepper_);
  EXPECT_EQ(std::get<KeyRejection>(verifier.verify(unknown.key.reveal())),
            KeyRejection::kUnknownOrRevoked);
  // The stored id with a different secret: same id, valid checksum, wrong hash. Built from the
  // unknown key's secret so its checksum is recomputed correctly.
  KeyVerifier other_pepper(open(), SecretString("a-different-pepper"));
  ASSERT_TRUE(other_pepper.refresh().ok());
  EXPECT_EQ(std::get<KeyRejection>(other_pepper.verify(stored.key.reveal())),
            KeyRejection::kWrongSecret);
  EXPECT_EQ(std::get<KeyRejection>(verifier.verify("")), KeyRejection::kMissing);
  EXPECT_EQ(std::get<KeyRejection>(verifier.verify("sk-not-ours")), KeyRejection::kMalformed);
}

TEST_F(KeyStoreTest, RevocationByAnotherConnectionAppliesOnTheNextRefresh) {
  auto cli = open();
  KeyRepository repository(*cli);
  const GeneratedKey generated = generateCallerKey(random_, pepper_);
  ASSERT_TRUE(repository.create("to-revoke", generated, 1000).ok());
  KeyVerifier verifier(open(), SecretString("pepper-for-tests"));
  ASSERT_TRUE(verifier.refresh().ok());
  ASSERT_TRUE(std::holds_alternative<std::string>(verifier.verify(generated.key.reveal())));

  auto revoked = repository.revoke(generated.id, 2000);
  ASSERT_TRUE(revoked.ok());
  EXPECT_TRUE(*revoked);
  ASSERT_TRUE(verifier.refresh().ok());
  EXPECT_EQ(std::get<KeyRejection>(verifier.verify(generated.key.reveal())),
            KeyRejection::kUnknownOrRevoked);
  // Revoking twice reports that nothing was revoked.
  EXPECT_FALSE(*repository.revoke(generated.id, 3000));
  auto records = repository.list();
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ(records->front().revoked_at, 2000);
}

TEST_F(KeyStoreTest, TheDatabaseHoldsNoPlaintextKey) {
  auto db = open();
  KeyRepository repository(*db);
  const GeneratedKey generated = generateCallerKey(random_, pepper_);
  ASSERT_TRUE(repository.create("ci", generated, 1000).ok());
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
