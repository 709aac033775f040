#include <gatehouse/store/database.h>

#include "mocks/temp_dir.h"

#include <gtest/gtest.h>

namespace gatehouse::store {
namespace {

TEST(Database, OpensInWalModeWithForeignKeysAndTheLatestSchema) {
  testing::TempDir dir;
  auto db = Database::open(databasePath(dir.path()));
  auto mode = db->prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok());
  ASSERT_TRUE(*mode->step());
  EXPECT_EQ(mode->columnText(0), "wal");
  auto foreign_keys = db->prepare("PRAGMA foreign_keys");
  ASSERT_TRUE(*foreign_keys->step());
  EXPECT_EQ(foreign_keys->columnInt(0), 1);
  EXPECT_GE(db->schemaVersion(), 1);
}

TEST(Database, ReopeningDoesNotReapplyMigrations) {
  testing::TempDir dir;
  int version = 0;
  {
    auto db = Database::open(databasePath(dir.path()));
    version = db->schemaVersion();
    ASSERT_TRUE(db->exec("INSERT INTO change_counters (name, value) VALUES ('probe', 7)").ok());
  }
  auto db = Database::open(databasePath(dir.path()));
  EXPECT_EQ(db->schemaVersion(), version);
  auto probe = db->prepare("SELECT value FROM change_counters WHERE name = 'probe'");
  ASSERT_TRUE(*probe->step());
  EXPECT_EQ(probe->columnInt(0), 7);
}

TEST(Database, ErrorsAreValuesWithTheReason) {
  testing::TempDir dir;
  auto db = Database::open(databasePath(dir.path()));
  auto bad = db->prepare("SELECT * FROM no_such_table");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("no_such_table"), std::string::npos);
  auto insert = db->prepare("INSERT INTO organizations (id, name, created_at) VALUES (?1, ?2, ?3)");
  ASSERT_TRUE(insert.ok());
  insert->bind(1, "a").bind(2, "n").bind(3, std::int64_t{1});
  ASSERT_TRUE(insert->run().ok());
  insert->bind(1, "a").bind(2, "n").bind(3, std::int64_t{1});
  EXPECT_FALSE(insert->run().ok());  // Duplicate primary key.
}

TEST(Database, RefusesASchemaNewerThanItUnderstands) {
  testing::TempDir dir;
  {
    auto db = Database::open(databasePath(dir.path()));
    ASSERT_TRUE(db->exec("PRAGMA user_version = 999").ok());
  }
  EXPECT_THROW(Database::open(databasePath(dir.path())), std::runtime_error);
}

}  // namespace
}  // namespace gatehouse::store
