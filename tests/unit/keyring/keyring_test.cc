#include <gatehouse/keyring/keyring.h>

#include <gatehouse/store/database.h>

#include "mocks/fixed_random.h"
#include "mocks/manual_clock.h"
#include "mocks/temp_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace gatehouse::keyring {
namespace {

using ::testing::HasSubstr;

using testing::ManualClock;

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

MasterKey keyFrom(const std::string& material) {
  return MasterKey::fromMaterial(SecretString(material));
}

const std::string kOldMaterial = "the-old-master-key-material-0123456789";
const std::string kNewMaterial = "the-new-master-key-material-9876543210";

class KeyringTest : public ::testing::Test {
 protected:
  std::unique_ptr<Keyring> makeKeyring(const std::string& current,
                                       std::optional<std::string> previous = std::nullopt) {
    std::optional<MasterKey> previous_key;
    if (previous) {
      previous_key = keyFrom(*previous);
    }
    return std::make_unique<Keyring>(openKeyringDatabase(dir_.path()), keyFrom(current),
                                     std::move(previous_key), random_, clock_);
  }

  // A second connection to the keyring file, as another process (or an attacker with the file)
  // would have.
  std::unique_ptr<store::Database> rawDatabase() {
    return store::Database::open(keyringPath(dir_.path()), keyringMigrations());
  }

  std::string wrappedKeyOf(const std::string& org_id) {
    auto db = rawDatabase();
    auto statement = db->prepare("SELECT wrapped FROM data_keys WHERE org_id = ?");
    EXPECT_TRUE(statement.ok());
    statement->bind(1, org_id);
    auto row = statement->step();
    EXPECT_TRUE(row.ok() && *row) << org_id;
    return statement->columnBlob(0);
  }

  static std::string sealOk(Keyring& keyring, std::string_view org, std::string_view plaintext,
                            std::string_view aad) {
    auto sealed = keyring.seal(org, plaintext, aad);
    EXPECT_TRUE(sealed.ok()) << (sealed.ok() ? "" : sealed.error().message);
    return sealed.ok() ? *sealed : std::string();
  }

  static std::string openOk(Keyring& keyring, std::string_view org, std::string_view sealed,
                            std::string_view aad) {
    auto opened = keyring.open(org, sealed, aad);
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error().message);
    return opened.ok() ? std::string(opened->reveal()) : std::string();
  }

  testing::TempDir dir_;
  testing::FixedRandom random_{11};
  ManualClock clock_;
};

TEST_F(KeyringTest, SealsAndOpensPerOrganisation) {
  auto keyring = makeKeyring(kOldMaterial);
  ASSERT_TRUE(keyring->createDataKey("org_a").ok());
  ASSERT_TRUE(keyring->createDataKey("org_b").ok());
  const std::string a = sealOk(*keyring, "org_a", "sk-openai-aaaa", "provider_key:1");
  const std::string b = sealOk(*keyring, "org_b", "sk-openai-bbbb", "provider_key:2");
  EXPECT_EQ(a.find("sk-openai"), std::string::npos);
  EXPECT_EQ(openOk(*keyring, "org_a", a, "provider_key:1"), "sk-openai-aaaa");
  EXPECT_EQ(openOk(*keyring, "org_b", b, "provider_key:2"), "sk-openai-bbbb");
  // Fresh nonces: the same plaintext seals differently each time.
  EXPECT_NE(sealOk(*keyring, "org_a", "same", ""), sealOk(*keyring, "org_a", "same", ""));
}

TEST_F(KeyringTest, TheInstanceKeySurvivesAMasterKeyRotationUnchanged) {
  auto keyring = makeKeyring(kOldMaterial);
  auto before = keyring->instanceKey("audit-chain");
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->size(), 32u);
  auto other_purpose = keyring->instanceKey("something-else");
  ASSERT_TRUE(other_purpose.ok());
  EXPECT_FALSE(before->equals(other_purpose->reveal()));
  ASSERT_TRUE(keyring->rewrapAll(keyFrom(kNewMaterial)).ok());
  keyring.reset();
  auto rotated = makeKeyring(kNewMaterial);
  auto after = rotated->instanceKey("audit-chain");
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(before->equals(after->reveal()));
}

TEST_F(KeyringTest, AServerForgetsADataKeyAnotherProcessDestroyed) {
  auto server = makeKeyring(kOldMaterial);
  ASSERT_TRUE(server->createDataKey("org_a").ok());
  ASSERT_TRUE(server->createDataKey("org_b").ok());
  const std::string a = sealOk(*server, "org_a", "sk-a-secret", "aad");
  const std::string b = sealOk(*server, "org_b", "sk-b-secret", "aad");
  auto cli = makeKeyring(kOldMaterial);
  ASSERT_TRUE(cli->destroyDataKey("org_a").ok());
  // Still cached in the server until it checks.
  EXPECT_TRUE(server->open("org_a", a, "aad").ok());
  auto synced = server->sync();
  ASSERT_TRUE(synced.ok());
  EXPECT_EQ(synced->forgotten, 1u);
  EXPECT_FALSE(server->open("org_a", a, "aad").ok());
  EXPECT_EQ(openOk(*server, "org_b", b, "aad"), "sk-b-secret");
}

TEST_F(KeyringTest, AServerCachesDataKeysOtherProcessesCreateBeforeARotationHidesThem) {
  auto server = makeKeyring(kOldMaterial);
  auto cli = makeKeyring(kOldMaterial);
  ASSERT_TRUE(cli->createDataKey("org_late").ok());
  auto synced = server->sync();
  ASSERT_TRUE(synced.ok());
  EXPECT_EQ(synced->cached, 1u);
  ASSERT_TRUE(cli->rewrapAll(keyFrom(kNewMaterial)).ok());
  // The server holds only the old key, yet still seals for the organisation.
  const std::string sealed = sealOk(*server, "org_late", "sk-late", "aad");
  EXPECT_EQ(openOk(*server, "org_late", sealed, "aad"), "sk-late");
}

TEST_F(KeyringTest, DataKeysWrappedDuringARotationWindowSurviveTheSwitchToTheNewKey) {
  auto old_server = makeKeyring(kOldMaterial);
  ASSERT_TRUE(old_server->createDataKey("org_before").ok());
  const std::string before = sealOk(*old_server, "org_before", "sk-before", "aad");
  ASSERT_TRUE(makeKeyring(kOldMaterial)->rewrapAll(keyFrom(kNewMaterial)).ok());
  // Still running with the old key, the server creates an organisation: wrapped by the old key.
  ASSERT_TRUE(old_server->createDataKey("org_during").ok());
  const std::string during = sealOk(*old_server, "org_during", "sk-during", "aad");
  old_server.reset();

  // Restarted with only the new key: the hand-over record opens the straggler, and
  // rewrapToCurrent moves it under the new key.
  auto new_server = makeKeyring(kNewMaterial);
  EXPECT_EQ(openOk(*new_server, "org_during", during, "aad"), "sk-during");
  auto moved = new_server->rewrapToCurrent();
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->rewrapped, 1u);
  auto fresh = makeKeyring(kNewMaterial);
  EXPECT_EQ(openOk(*fresh, "org_before", before, "aad"), "sk-before");
  EXPECT_EQ(openOk(*fresh, "org_during", during, "aad"), "sk-during");
  // The old key alone opens nothing any more.
  auto old_only = makeKeyring(kOldMaterial);
  EXPECT_FALSE(old_only->open("org_during", during, "aad").ok());
}

TEST_F(KeyringTest, RecordsTheWrappingKeyAndCreationTime) {
  auto keyring = makeKeyring(kOldMaterial);
  ASSERT_TRUE(keyring->createDataKey("org_a").ok());
  auto db = rawDatabase();
  auto statement = db->prepare("SELECT kek_id, created_at, rotated_at FROM data_keys");
  ASSERT_TRUE(statement.ok());
  auto row = statement->step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(statement->columnText(0), keyFrom(kOldMaterial).id());
  EXPECT_EQ(statement->columnInt(1), clock_.nowMillis());
  EXPECT_TRUE(statement->columnIsNull(2));
}

TEST_F(KeyringTest, CreateIsIdempotent) {
  auto keyring = makeKeyring(kOldMaterial);
  ASSERT_TRUE(keyring->createDataKey("org_a").ok());
  const std::string wrapped = wrappedKeyOf("org_a");
  const std::string sealed = sealOk(*keyring, "org_a", "secret", "aad");
  ASSERT_TRUE(keyring->createDataKey("org_a").ok());
  EXPECT_EQ(wrappedKeyOf("org_a"), wrapped);
  // Also from another Keyring (another process) that has nothing cached.
  auto other = makeKeyring(kOldMaterial);
  ASSERT_TRUE(other->createDataKey("org_a").ok());
  EXPECT_EQ(wrappedKeyOf("org_a"), wrapped);
  EXPECT_EQ(openOk(*other, "org_a", sealed, "aad"), "secret");
  auto verified = other->verifyAll();
  ASSERT_TRUE(verified.ok());
  EXPECT_EQ(*verified, 1u);
}

TEST_F(KeyringTest, RefusesAnEmptyOrganisationId) {
  auto keyring = makeKeyring(kOldMaterial);
  auto created = keyring->createDataKey("");
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, ErrorCode::kInvalidRequest);
}

TEST_F(KeyringTest, AnOrganisationWithoutAKeyCannotSealOrOpen) {
  auto keyring = makeKeyring(kOldMaterial);
  auto sealed = keyring->seal("org_none", "secret", "aad");
  ASSERT_FALSE(sealed.ok());
  EXPECT_THAT(sealed.error().message, HasSubstr("org_none"));
  EXPECT_THAT(sealed.error().message, HasSubstr("no data key"));
  EXPECT_FALSE(keyring->open("org_none", std::string(64, 'x'), "aad").ok());
}

TEST_F(KeyringTest, CiphertextIsBoundToItsOrganisation) {
  auto keyring = makeKeyring(kOldMaterial);
  ASSERT_TRUE(keyring->createDataKey("org_a").ok());
  ASSERT_TRUE(keyring->createDataKey("org_b").ok());
  const std::string sealed = sealOk(*keyring, "org_a", "org a's secret", "provider_key:1");
  auto opened = keyring->open("org_b", sealed, "provider_key:1");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::kInternal);
}

TEST_F(KeyringTest, CiphertextIsBoundToItsAad) {
  auto keyring = makeKeyring(kOldMaterial);
  ASSERT_TRUE(keyring->createDataKey("org_a").ok());
  const std::string first = sealOk(*keyring, "org_a", "first secret", "provider_key:1");
  const std::string second = sealOk(*keyring, "org_a", "second secret", "provider_key:2");
  // Moving a ciphertext to another row (swapping the AAD) must fail.
  EXPECT_FALSE(keyring->open("org_a", first, "provider_key:2").ok());
  EXPECT_FALSE(keyring->open("org_a", second, "provider_key:1").ok());
  EXPECT_FALSE(keyring->open("org_a", first, "").ok());
  EXPECT_EQ(openOk(*keyring, "org_a", first, "provider_key:1"), "first secret");
}

TEST_F(KeyringTest, AWrappedKeyCopiedToAnotherOrganisationDoesNotUnwrap) {
  {
    auto keyring = makeKeyring(kOldMaterial);
    ASSERT_TRUE(keyring->createDataKey("org_a").ok());
    ASSERT_TRUE(keyring->createDataKey("org_b").ok());
  }
  const std::string wrapped_a = wrappedKeyOf("org_a");
  {
    auto db = rawDatabase();
    auto update = db->prepare("UPDATE data_keys SET wrapped = ? WHERE org_id = 'org_b'");
    ASSERT_TRUE(update.ok());
    update->bindBlob(1, wrapped_a);
    ASSERT_TRUE(update->run().ok());
  }
  auto keyring = makeKeyring(kOldMaterial);
  auto sealed = keyring->seal("org_b", "secret", "");
  ASSERT_FALSE(sealed.ok());
  EXPECT_THAT(sealed.error().message, HasSubstr("org_b"));
  auto verified = keyring->verifyAll();
  ASSERT_FALSE(verified.ok());
  EXPECT_THAT(verified.error().message, HasSubstr("'org_b'"));
}

TEST_F(KeyringTest, RewrapMovesEveryKeyToTheNewMasterKey) {
  std::vector<std::pair<std::string, std::string>> sealed;
  {
    auto keyring = makeKeyring(kOldMaterial);
    for (const char* org : {"org_a", "org_b", "org_c"}) {
      ASSERT_TRUE(keyring->createDataKey(org).ok());
      sealed.emplace_back(org, sealOk(*keyring, org, std::string("secret of ") + org, org));
    }
    clock_.advance(std::chrono::hours(24));
    auto report = keyring->rewrapAll(keyFrom(kNewMaterial));
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_EQ(report->rewrapped, 3u);
    EXPECT_EQ(report->already_current, 0u);
  }
  // A Keyring holding only the new key opens everything sealed before the rotation.
  auto rotated = makeKeyring(kNewMaterial);
  for (const auto& [org, ciphertext] : sealed) {
    EXPECT_EQ(openOk(*rotated, org, ciphertext, org), "secret of " + org);
  }
  auto verified = rotated->verifyAll();
  ASSERT_TRUE(verified.ok());
  EXPECT_EQ(*verified, 3u);

  auto db = rawDatabase();
  auto statement = db->prepare("SELECT kek_id, rotated_at FROM data_keys");
  ASSERT_TRUE(statement.ok());
  int rows = 0;
  while (true) {
    auto row = statement->step();
    ASSERT_TRUE(row.ok());
    if (!*row) {
      break;
    }
    ++rows;
    EXPECT_EQ(statement->columnText(0), keyFrom(kNewMaterial).id());
    EXPECT_EQ(statement->columnInt(1), clock_.nowMillis());
  }
  EXPECT_EQ(rows, 3);
}

TEST_F(KeyringTest, TheOldMasterKeyAloneCannotUnwrapAfterRewrap) {
  std::string sealed;
  {
    auto keyring = makeKeyring(kOldMaterial);
    ASSERT_TRUE(keyring->createDataKey("org_a").ok());
    sealed = sealOk(*keyring, "org_a", "secret", "aad");
    ASSERT_TRUE(keyring->rewrapAll(keyFrom(kNewMaterial)).ok());
  }
  auto old_only = makeKeyring(kOldMaterial);
  auto opened = old_only->open("org_a", sealed, "aad");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().message,
            "data key for organisation 'org_a' is wrapped by an unknown master key");
  auto verified = old_only->verifyAll();
  ASSERT_FALSE(verified.ok());
  EXPECT_THAT(verified.error().message, HasSubstr("'org_a'"));
}

TEST_F(KeyringTest, RewrapIsIdempotent) {
  auto keyring = makeKeyring(kOldMaterial);
  ASSERT_TRUE(keyring->createDataKey("org_a").ok());
  ASSERT_TRUE(keyring->createDataKey("org_b").ok());
  const MasterKey target = keyFrom(kNewMaterial);
  auto first = keyring->rewrapAll(target);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->rewrapped, 2u);
  const std::string wrapped = wrappedKeyOf("org_a");
  auto second = keyring->rewrapAll(target);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->rewrapped, 0u);
  EXPECT_EQ(second->already_current, 2u);
  EXPECT_EQ(wrappedKeyOf("org_a"), wrapped);
}

TEST_F(KeyringTest, ThePreviousKeyUnwrapsDuringRotation) {
  std::string sealed;
  {
    auto keyring = makeKeyring(kOldMaterial);
    ASSERT_TRUE(keyring->createDataKey("org_old").ok());
    sealed = sealOk(*keyring, "org_old", "secret", "aad");
  }
  // Restarted with the new key and the old one as previous, before the rotate command ran.
  auto keyring = makeKeyring(kNewMaterial, kOldMaterial);
  EXPECT_EQ(openOk(*keyring, "org_old", sealed, "aad"), "secret");
  // New organisations are wrapped by the current key.
  ASSERT_TRUE(keyring->createDataKey("org_new").ok());
  auto report = keyring->rewrapAll(keyFrom(kNewMaterial));
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->rewrapped, 1u);
  EXPECT_EQ(report->already_current, 1u);
  auto new_only = makeKeyring(kNewMaterial);
  EXPECT_EQ(openOk(*new_only, "org_old", sealed, "aad"), "secret");
}

TEST_F(KeyringTest, RewrapFailsAsAWholeWhenAKeyCannotBeUnwrapped) {
  {
    auto keyring = makeKeyring(kOldMaterial);
    ASSERT_TRUE(keyring->createDataKey("org_a").ok());
  }
  {
    auto other = makeKeyring("yet-another-master-key-of-enough-length");
    ASSERT_TRUE(other->createDataKey("org_z").ok());
  }
  auto keyring = makeKeyring(kOldMaterial);
  auto report = keyring->rewrapAll(keyFrom(kNewMaterial));
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(report.error().message, HasSubstr("'org_z'"));
  // Rolled back: org_a is still under the old key.
  auto old_only = makeKeyring(kOldMaterial);
  EXPECT_TRUE(old_only->seal("org_a", "x", "").ok());
  auto new_only = makeKeyring(kNewMaterial);
  EXPECT_FALSE(new_only->seal("org_a", "x", "").ok());
}

TEST_F(KeyringTest, CachedKeysSurviveARewrapByAnotherProcess) {
  auto server = makeKeyring(kOldMaterial);
  ASSERT_TRUE(server->createDataKey("org_a").ok());
  const std::string sealed = sealOk(*server, "org_a", "secret", "aad");  // caches the key
  auto cli = makeKeyring(kOldMaterial);
  ASSERT_TRUE(cli->rewrapAll(keyFrom(kNewMaterial)).ok());
  EXPECT_EQ(openOk(*server, "org_a", sealed, "aad"), "secret");
  EXPECT_EQ(openOk(*server, "org_a", sealOk(*server, "org_a", "more", ""), ""), "more");
}

TEST_F(KeyringTest, DestroyCryptoShredsTheOrganisation) {
  auto keyring = makeKeyring(kOldMaterial);
  ASSERT_TRUE(keyring->createDataKey("org_a").ok());
  ASSERT_TRUE(keyring->createDataKey("org_b").ok());
  const std::string sealed_a = sealOk(*keyring, "org_a", "secret a", "aad");  // cached
  const std::string sealed_b = sealOk(*keyring, "org_b", "secret b", "aad");
  const std::string wrapped = wrappedKeyOf("org_a");
  ASSERT_EQ(wrapped.size(), 12u + 32u + 16u);
  const std::string db_path = keyringPath(dir_.path());
  // Not vacuous: the wrapped key is in the files before it is destroyed.
  ASSERT_NE((readFile(db_path) + readFile(db_path + "-wal")).find(wrapped), std::string::npos);

  auto destroyed = keyring->destroyDataKey("org_a");
  ASSERT_TRUE(destroyed.ok()) << destroyed.error().message;
  EXPECT_TRUE(*destroyed);

  auto opened = keyring->open("org_a", sealed_a, "aad");
  ASSERT_FALSE(opened.ok());
  EXPECT_THAT(opened.error().message, HasSubstr("no data key"));
  EXPECT_FALSE(keyring->seal("org_a", "new", "aad").ok());
  auto fresh = makeKeyring(kOldMaterial);
  EXPECT_FALSE(fresh->open("org_a", sealed_a, "aad").ok());
  // Other organisations are untouched.
  EXPECT_EQ(openOk(*fresh, "org_b", sealed_b, "aad"), "secret b");

  // No copy of the wrapped key is left in the database file or its log.
  EXPECT_EQ(readFile(db_path).find(wrapped), std::string::npos);
  EXPECT_EQ(readFile(db_path + "-wal").find(wrapped), std::string::npos);

  auto again = keyring->destroyDataKey("org_a");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  // A destroyed organisation can be given a new, different key; old data stays unreadable.
  ASSERT_TRUE(keyring->createDataKey("org_a").ok());
  EXPECT_FALSE(keyring->open("org_a", sealed_a, "aad").ok());
}

TEST_F(KeyringTest, VerifyAllCountsEveryKey) {
  auto keyring = makeKeyring(kOldMaterial);
  auto empty = keyring->verifyAll();
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, 0u);
  for (const char* org : {"org_a", "org_b", "org_c", "org_d"}) {
    ASSERT_TRUE(keyring->createDataKey(org).ok());
  }
  auto verified = keyring->verifyAll();
  ASSERT_TRUE(verified.ok());
  EXPECT_EQ(*verified, 4u);
}

TEST_F(KeyringTest, VerifyAllNamesACorruptKey) {
  auto keyring = makeKeyring(kOldMaterial);
  ASSERT_TRUE(keyring->createDataKey("org_a").ok());
  ASSERT_TRUE(keyring->createDataKey("org_b").ok());
  std::string wrapped = wrappedKeyOf("org_b");
  wrapped[20] = static_cast<char>(wrapped[20] ^ 0x01);
  {
    auto db = rawDatabase();
    auto update = db->prepare("UPDATE data_keys SET wrapped = ? WHERE org_id = 'org_b'");
    ASSERT_TRUE(update.ok());
    update->bindBlob(1, wrapped);
    ASSERT_TRUE(update->run().ok());
  }
  auto verified = keyring->verifyAll();
  ASSERT_FALSE(verified.ok());
  EXPECT_THAT(verified.error().message, HasSubstr("'org_b'"));
}

TEST_F(KeyringTest, IsSafeToUseFromSeveralThreads) {
  crypto::SystemRandom random;
  Keyring keyring(openKeyringDatabase(dir_.path()), keyFrom(kOldMaterial), std::nullopt, random,
                  clock_);
  std::atomic<int> failures{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string org = "org_" + std::to_string((t + i) % 4);
        const std::string plaintext = "secret " + std::to_string(i);
        if (!keyring.createDataKey(org).ok()) {
          ++failures;
          continue;
        }
        auto sealed = keyring.seal(org, plaintext, org);
        if (!sealed.ok()) {
          ++failures;
          continue;
        }
        auto opened = keyring.open(org, *sealed, org);
        if (!opened.ok() || !opened->equals(plaintext)) {
          ++failures;
        }
      }
    });
  }
  // Meanwhile another organisation is created, used and destroyed over and over.
  std::thread shredder([&] {
    while (!done) {
      (void)keyring.createDataKey("org_shred");
      (void)keyring.seal("org_shred", "short-lived", "");
      (void)keyring.destroyDataKey("org_shred");
    }
  });
  for (auto& thread : threads) {
    thread.join();
  }
  done = true;
  shredder.join();
  EXPECT_EQ(failures.load(), 0);
  auto verified = keyring.verifyAll();
  ASSERT_TRUE(verified.ok());
  EXPECT_EQ(*verified, 4u);
}

}  // namespace
}  // namespace gatehouse::keyring
