#include <gatehouse/auth/api_key.h>

#include "mocks/fixed_random.h"

#include <gtest/gtest.h>

#include <set>

namespace gatehouse::auth {
namespace {

const SecretString& pepper() {
  static const SecretString kPepper("test-pepper-0123456789abcdef");
  return kPepper;
}

TEST(CallerKey, HasThePrefixLengthAndAValidChecksum) {
  testing::FixedRandom random;
  const GeneratedKey generated = generateCallerKey(random, pepper());
  const std::string_view key = generated.key.reveal();
  EXPECT_EQ(key.size(), kCallerKeyLength);
  EXPECT_TRUE(key.starts_with("gtk_"));
  const auto id = parseCallerKey(key);
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(*id, generated.id);
  EXPECT_EQ(generated.id, key.substr(4, kKeyIdLength));
}

TEST(CallerKey, EveryKeyIsDifferent) {
  testing::FixedRandom random(7);
  std::set<std::string> keys;
  for (int i = 0; i < 200; ++i) {
    keys.insert(std::string(generateCallerKey(random, pepper()).key.reveal()));
  }
  EXPECT_EQ(keys.size(), 200u);
}

TEST(CallerKey, AnySingleCharacterChangeIsRejectedOffline) {
  testing::FixedRandom random(3);
  const GeneratedKey generated = generateCallerKey(random, pepper());
  const std::string key(generated.key.reveal());
  // Every position after the prefix, changed to another base62 character, breaks the CRC.
  for (std::size_t i = 4; i < key.size(); ++i) {
    std::string altered = key;
    altered[i] = altered[i] == 'a' ? 'b' : 'a';
    EXPECT_FALSE(parseCallerKey(altered).has_value()) << "position " << i;
  }
}

TEST(CallerKey, MalformedInputsAreRejected) {
  testing::FixedRandom random(5);
  const std::string key(generateCallerKey(random, pepper()).key.reveal());
  EXPECT_FALSE(parseCallerKey("").has_value());
  EXPECT_FALSE(parseCallerKey(key.substr(1)).has_value());
  EXPECT_FALSE(parseCallerKey(key + "a").has_value());
  EXPECT_FALSE(parseCallerKey("sk-" + key.substr(3)).has_value());
  std::string with_symbol = key;
  with_symbol[10] = '-';
  EXPECT_FALSE(parseCallerKey(with_symbol).has_value());
}

TEST(CallerKey, HashDependsOnThePepperAndTheWholeKey) {
  testing::FixedRandom random(9);
  const GeneratedKey generated = generateCallerKey(random, pepper());
  EXPECT_EQ(hashCallerKey(pepper(), generated.key.reveal()), generated.hash);
  EXPECT_NE(hashCallerKey(SecretString("another-pepper"), generated.key.reveal()), generated.hash);
  std::string other(generated.key.reveal());
  other[20] = other[20] == 'x' ? 'y' : 'x';
  EXPECT_NE(hashCallerKey(pepper(), other), generated.hash);
}

}  // namespace
}  // namespace gatehouse::auth
