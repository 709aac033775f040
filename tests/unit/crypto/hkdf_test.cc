#include <gatehouse/crypto/hkdf.h>

#include "wycheproof.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <fstream>
#include <sstream>

namespace gatehouse::crypto {
namespace {

// Project Wycheproof's HKDF-SHA-256 vectors: every "valid" vector must derive exactly its OKM;
// every "invalid" one (an output longer than 255 * 32 bytes) must be refused.
TEST(HkdfSha256, MatchesEveryWycheproofVector) {
  const auto root = testing::wycheproofFile("hkdf_sha256_test.json");
  int valid = 0;
  int invalid = 0;
  int acceptable = 0;
  for (const auto& group : root.at("testGroups").as_array()) {
    for (const auto& test : group.at("tests").as_array()) {
      const auto& t = test.as_object();
      const auto id = t.at("tcId").as_int64();
      const auto size = static_cast<std::size_t>(t.at("size").as_int64());
      auto okm = hkdfSha256(testing::hexField(t, "ikm"), testing::hexField(t, "salt"),
                            testing::hexField(t, "info"), size);
      const std::string expected = testing::hexField(t, "okm");
      const std::string_view result = t.at("result").as_string();
      if (result == "valid") {
        ++valid;
        ASSERT_TRUE(okm.ok()) << "tcId " << id << ": " << okm.error().message;
        EXPECT_EQ(okm->size(), size) << "tcId " << id;
        EXPECT_TRUE(okm->equals(expected)) << "tcId " << id;
      } else if (result == "invalid") {
        ++invalid;
        EXPECT_FALSE(okm.ok()) << "tcId " << id;
      } else {
        ++acceptable;
        EXPECT_EQ(result, "acceptable") << "tcId " << id;
        if (okm.ok()) {
          EXPECT_TRUE(okm->equals(expected)) << "tcId " << id;
        }
      }
    }
  }
  EXPECT_EQ(valid + invalid + acceptable, root.at("numberOfTests").as_int64());
  EXPECT_GT(valid, 0);
  EXPECT_GT(invalid, 0);
}

TEST(HkdfSha256, OutputLengthIsCappedAt255Blocks) {
  EXPECT_TRUE(hkdfSha256("ikm", "salt", "info", 255 * 32).ok());
  auto too_long = hkdfSha256("ikm", "salt", "info", 255 * 32 + 1);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code, ErrorCode::kInternal);
}

TEST(HkdfSha256, DistinctInfoGivesIndependentKeys) {
  auto kek = hkdfSha256("master key material", "gatehouse/master-key/v1", "kek", 32);
  auto audit = hkdfSha256("master key material", "gatehouse/master-key/v1", "audit-chain", 32);
  ASSERT_TRUE(kek.ok());
  ASSERT_TRUE(audit.ok());
  EXPECT_FALSE(kek->equals(audit->reveal()));
  // A shorter output is a prefix of a longer one (RFC 5869 expand).
  auto prefix = hkdfSha256("master key material", "gatehouse/master-key/v1", "kek", 16);
  ASSERT_TRUE(prefix.ok());
  EXPECT_TRUE(prefix->equals(kek->reveal().substr(0, 16)));
}

}  // namespace
}  // namespace gatehouse::crypto
