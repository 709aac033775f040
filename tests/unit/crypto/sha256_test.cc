#include <gatehouse/crypto/sha256.h>

#include <gtest/gtest.h>

namespace gatehouse::crypto {
namespace {

std::string hexOf(const Sha256Digest& digest) {
  std::array<char, 64> buffer{};
  return std::string(toHex(digest, buffer));
}

// FIPS 180-4 examples (NIST CSRC "SHA256.pdf") and the empty string.
TEST(Sha256, MatchesTheFipsExamples) {
  EXPECT_EQ(hexOf(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hexOf(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hexOf(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

}  // namespace
}  // namespace gatehouse::crypto
