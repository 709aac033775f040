#include <gatehouse/crypto/locked_buffer.h>

#include <gtest/gtest.h>

#include <string>
#include <type_traits>
#include <utility>

namespace gatehouse::crypto {
namespace {

static_assert(!std::is_copy_constructible_v<LockedSecret>);
static_assert(!std::is_copy_assignable_v<LockedSecret>);
static_assert(std::is_nothrow_move_constructible_v<LockedSecret>);
static_assert(std::is_nothrow_move_assignable_v<LockedSecret>);

TEST(LockedSecret, HoldsACopyOfTheBytes) {
  std::string source("a key with \0 inside", 19);
  LockedSecret secret(source);
  source.assign(source.size(), 'x');
  EXPECT_EQ(secret.view(), std::string_view("a key with \0 inside", 19));
  EXPECT_EQ(secret.size(), 19u);
  EXPECT_NE(static_cast<const void*>(secret.view().data()),
            static_cast<const void*>(source.data()));
}

TEST(LockedSecret, MovingTransfersOwnershipAndEmptiesTheSource) {
  LockedSecret first("first key");
  const char* where = first.view().data();
  LockedSecret second(std::move(first));
  EXPECT_EQ(second.view(), "first key");
  EXPECT_EQ(second.view().data(), where);
  EXPECT_TRUE(first.view().empty());  // NOLINT(bugprone-use-after-move): documented state

  LockedSecret third("third key");
  third = std::move(second);
  EXPECT_EQ(third.view(), "first key");
  EXPECT_TRUE(second.view().empty());  // NOLINT(bugprone-use-after-move): documented state
}

TEST(LockedSecret, AnEmptySecretIsAllowed) {
  LockedSecret empty("");
  EXPECT_TRUE(empty.view().empty());
  EXPECT_EQ(empty.size(), 0u);
}

// The pages are read-only after construction: a write through the view must fault. Run in a
// death test so the fault ends a child process, not the suite.
TEST(LockedSecretDeathTest, IsReadOnlyAfterConstruction) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  LockedSecret secret("read-only key");
  EXPECT_DEATH(
      {
        auto* bytes = const_cast<char*>(secret.view().data());
        *static_cast<volatile char*>(bytes) = 'X';
      },
      "");
}

}  // namespace
}  // namespace gatehouse::crypto
