#include <gatehouse/common/clock.h>
#include <gatehouse/common/json_escape.h>
#include <gatehouse/common/secret.h>

#include <gtest/gtest.h>

namespace gatehouse {
namespace {

TEST(SecretString, ComparesInConstantTimeAndWipesOnMove) {
  SecretString secret(std::string("correct horse battery staple"));
  EXPECT_TRUE(secret.equals("correct horse battery staple"));
  EXPECT_FALSE(secret.equals("correct horse battery stapla"));
  EXPECT_FALSE(secret.equals("short"));
  SecretString moved(std::move(secret));
  EXPECT_TRUE(secret.empty());  // NOLINT: checking the moved-from state is the point.
  EXPECT_TRUE(moved.equals("correct horse battery staple"));
}

TEST(SecretString, CannotBeStreamedOrCopied) {
  static_assert(!std::is_copy_constructible_v<SecretString>);
  static_assert(!std::is_convertible_v<SecretString, std::string_view>);
}

TEST(JsonEscape, EscapesControlCharactersAndRepairsInvalidUtf8) {
  std::string out;
  appendJsonEscaped(out, "a\"b\\c\n\t\x01 \xc3\xa9 \xff \xed\xa0\x80");
  EXPECT_EQ(out,
            "a\\\"b\\\\c\\n\\t\\u0001 \xc3\xa9 \xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(Clock, FormatsRfc3339Utc) {
  EXPECT_EQ(formatTimestamp(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(formatTimestamp(1763856000123), "2025-11-23T00:00:00.123Z");
}

}  // namespace
}  // namespace gatehouse
