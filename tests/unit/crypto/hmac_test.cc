#include <gatehouse/crypto/hmac.h>

#include <gatehouse/crypto/encoding.h>

#include "wycheproof.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <fstream>
#include <sstream>

namespace gatehouse::crypto {
namespace {

// Project Wycheproof's HMAC-SHA-256 vectors: every "valid" vector must reproduce its tag
// (truncated to the group's tag size); every "invalid" one (a modified tag) must not.
TEST(HmacSha256, MatchesWycheproofVectors) {
  const auto root = testing::wycheproofFile("hmac_sha256_test.json");
  int checked = 0;
  for (const auto& group : root.at("testGroups").as_array()) {
    const auto tag_bytes = static_cast<std::size_t>(group.at("tagSize").as_int64() / 8);
    for (const auto& test : group.at("tests").as_array()) {
      const auto& t = test.as_object();
      const std::string key = testing::hexField(t, "key");
      const std::string message = testing::hexField(t, "msg");
      const std::string expected = testing::hexField(t, "tag");
      const Sha256Digest digest = hmacSha256(key, message);
      const std::string actual(reinterpret_cast<const char*>(digest.data()), tag_bytes);
      const bool valid = t.at("result").as_string() == "valid";
      EXPECT_EQ(actual == expected, valid) << "tcId " << t.at("tcId").as_int64();
      ++checked;
    }
  }
  EXPECT_GT(checked, 100);
}

TEST(Encoding, Crc32MatchesTheStandardCheckValue) {
  // The CRC-32/ISO-HDLC check value from the CRC catalogue.
  EXPECT_EQ(crc32("123456789"), 0xCBF43926u);
}

TEST(Encoding, Base62FixedIsZeroPaddedMostSignificantFirst) {
  EXPECT_EQ(base62Fixed(0, 6), "000000");
  EXPECT_EQ(base62Fixed(61, 3), "00z");
  EXPECT_EQ(base62Fixed(62, 3), "010");
  EXPECT_EQ(base62Fixed(0xFFFFFFFFu, 6), "4gfFC3");
}

TEST(Encoding, IsBase62RejectsEverythingOutsideTheAlphabet) {
  EXPECT_TRUE(isBase62("azAZ09"));
  EXPECT_FALSE(isBase62("ab_c"));
  EXPECT_FALSE(isBase62("ab-c"));
  EXPECT_FALSE(isBase62("ab\xc3\xa9"));
}

}  // namespace
}  // namespace gatehouse::crypto
