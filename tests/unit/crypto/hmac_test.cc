#include <gatehouse/crypto/hmac.h>

#include <gatehouse/crypto/encoding.h>

#include "wycheproof.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <atomic>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

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

// The pre-keyed form must give the one-shot result for every Wycheproof key and message, on
// a context that is re-initialised rather than rebuilt between messages.
TEST(HmacSha256Key, MatchesTheOneShotMacOnEveryVector) {
  const auto root = testing::wycheproofFile("hmac_sha256_test.json");
  int checked = 0;
  for (const auto& group : root.at("testGroups").as_array()) {
    for (const auto& test : group.at("tests").as_array()) {
      const auto& t = test.as_object();
      const std::string key = testing::hexField(t, "key");
      const std::string message = testing::hexField(t, "msg");
      const HmacSha256Key keyed(key);
      EXPECT_EQ(keyed.mac(message), hmacSha256(key, message)) << "tcId " << t.at("tcId").as_int64();
      EXPECT_EQ(keyed.mac(message + "x"), hmacSha256(key, message + "x"));
      EXPECT_EQ(keyed.mac(message), hmacSha256(key, message));
      ++checked;
    }
  }
  EXPECT_GT(checked, 100);
}

// A thread switching between keys, and a key created where a freed one lived, never reuse the
// other key's context.
TEST(HmacSha256Key, KeysInterleavedOnOneThreadStayApart) {
  const HmacSha256Key first("first key");
  const HmacSha256Key second("second key");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(first.mac("message"), hmacSha256("first key", "message"));
    EXPECT_EQ(second.mac("message"), hmacSha256("second key", "message"));
  }
  for (int i = 0; i < 3; ++i) {
    auto replaced = std::make_unique<HmacSha256Key>("key " + std::to_string(i));
    EXPECT_EQ(replaced->mac("m"), hmacSha256("key " + std::to_string(i), "m"));
  }
}

TEST(HmacSha256Key, EachThreadGetsTheSameDigests) {
  const HmacSha256Key keyed("shared pepper");
  const Sha256Digest expected = hmacSha256("shared pepper", "gtk_message");
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        wrong += keyed.mac("gtk_message") != expected;
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(wrong, 0);
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
  // Every byte, alone and after valid ones: accepted exactly when it is a digit or a letter.
  for (int byte = 0; byte < 256; ++byte) {
    const char c = static_cast<char>(byte);
    const bool expected =
        (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    EXPECT_EQ(isBase62(std::string(1, c)), expected) << byte;
    EXPECT_EQ(isBase62("abc" + std::string(1, c)), expected) << byte;
  }
}

}  // namespace
}  // namespace gatehouse::crypto
