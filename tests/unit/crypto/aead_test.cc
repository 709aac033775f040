#include <gatehouse/crypto/aead.h>

#include "mocks/fixed_random.h"

#include "wycheproof.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <fstream>
#include <sstream>

namespace gatehouse::crypto {
namespace {

constexpr std::string_view kOpenFailed = "decryption failed: ciphertext, key or context mismatch";

// Project Wycheproof's AES-GCM vectors (128/192/256-bit keys, nonces of 0 to 257 bytes). A
// "valid" vector must encrypt to exactly its ciphertext and tag and decrypt back to its message;
// an "invalid" one (a modified tag, an empty nonce) must be rejected on decryption, and must not
// encrypt to the given ciphertext. "acceptable" vectors may go either way, but decryption that
// succeeds must still be correct.
TEST(AesGcm, MatchesEveryWycheproofVector) {
  const auto root = testing::wycheproofFile("aes_gcm_test.json");
  int valid = 0;
  int invalid = 0;
  int acceptable = 0;
  for (const auto& group : root.at("testGroups").as_array()) {
    const auto tag_bytes = static_cast<std::size_t>(group.at("tagSize").as_int64() / 8);
    for (const auto& test : group.at("tests").as_array()) {
      const auto& t = test.as_object();
      const auto id = t.at("tcId").as_int64();
      const std::string key = testing::hexField(t, "key");
      const std::string nonce = testing::hexField(t, "iv");
      const std::string aad = testing::hexField(t, "aad");
      const std::string message = testing::hexField(t, "msg");
      const std::string sealed = testing::hexField(t, "ct") + testing::hexField(t, "tag");
      const std::string_view result = t.at("result").as_string();
      auto encrypted = aesGcmEncrypt(key, nonce, message, aad, tag_bytes);
      auto decrypted = aesGcmDecrypt(key, nonce, sealed, aad, tag_bytes);
      if (result == "valid") {
        ++valid;
        ASSERT_TRUE(encrypted.ok()) << "tcId " << id << ": " << encrypted.error().message;
        EXPECT_EQ(*encrypted, sealed) << "tcId " << id;
        ASSERT_TRUE(decrypted.ok()) << "tcId " << id << ": " << decrypted.error().message;
        EXPECT_EQ(decrypted->reveal(), message) << "tcId " << id;
      } else if (result == "invalid") {
        ++invalid;
        EXPECT_FALSE(decrypted.ok()) << "tcId " << id;
        EXPECT_FALSE(encrypted.ok() && *encrypted == sealed) << "tcId " << id;
      } else {
        ++acceptable;
        EXPECT_EQ(result, "acceptable") << "tcId " << id;
        if (decrypted.ok()) {
          EXPECT_EQ(decrypted->reveal(), message) << "tcId " << id;
        }
      }
    }
  }
  EXPECT_EQ(valid + invalid + acceptable, root.at("numberOfTests").as_int64());
  EXPECT_GT(valid, 0);
  EXPECT_GT(invalid, 0);
}

TEST(AesGcm, RejectsBadParameters) {
  const std::string key(32, 'k');
  EXPECT_FALSE(aesGcmEncrypt(std::string(20, 'k'), "nonce", "m", "", 16).ok());
  EXPECT_FALSE(aesGcmEncrypt(key, "", "m", "", 16).ok());
  EXPECT_FALSE(aesGcmEncrypt(key, "nonce", "m", "", 11).ok());
  EXPECT_FALSE(aesGcmEncrypt(key, "nonce", "m", "", 17).ok());
  auto short_tag = aesGcmEncrypt(key, "nonce", "message", "aad", 12);
  ASSERT_TRUE(short_tag.ok());
  EXPECT_EQ(short_tag->size(), 7u + 12u);
  auto opened = aesGcmDecrypt(key, "nonce", *short_tag, "aad", 12);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->reveal(), "message");
  EXPECT_FALSE(aesGcmDecrypt(key, "nonce", *short_tag, "aad", 16).ok());
}

// Nonces over 128 bytes take a second code path (OpenSSL's EVP refuses them); it must
// authenticate just as strictly. Wycheproof has valid long-nonce vectors but no tampered ones.
TEST(AesGcm, LongNoncesAreAuthenticatedToo) {
  const std::string key(16, 'k');
  const std::string nonce(200, 'n');
  for (std::size_t tag_bytes : {12u, 16u}) {
    auto sealed = aesGcmEncrypt(key, nonce, "long nonce message", "aad", tag_bytes);
    ASSERT_TRUE(sealed.ok());
    auto opened = aesGcmDecrypt(key, nonce, *sealed, "aad", tag_bytes);
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(opened->reveal(), "long nonce message");
    for (std::size_t i = 0; i < sealed->size(); ++i) {
      std::string tampered = *sealed;
      tampered[i] = static_cast<char>(tampered[i] ^ 0x01);
      EXPECT_FALSE(aesGcmDecrypt(key, nonce, tampered, "aad", tag_bytes).ok()) << i;
    }
    std::string other_nonce = nonce;
    other_nonce[150] = 'm';
    EXPECT_FALSE(aesGcmDecrypt(key, other_nonce, *sealed, "aad", tag_bytes).ok());
    EXPECT_FALSE(aesGcmDecrypt(key, nonce, *sealed, "aae", tag_bytes).ok());
    EXPECT_FALSE(aesGcmDecrypt(key, nonce.substr(0, 128), *sealed, "aad", tag_bytes).ok());
  }
}

class Aes256GcmSealed : public ::testing::Test {
 protected:
  void expectOpenFails(std::string_view sealed, std::string_view aad, const std::string& what) {
    auto opened = aes256GcmOpen(key_, sealed, aad);
    ASSERT_FALSE(opened.ok()) << what << " was accepted";
    EXPECT_EQ(opened.error().code, ErrorCode::kInternal) << what;
    EXPECT_EQ(opened.error().message, kOpenFailed) << what;
  }

  testing::FixedRandom random_{7};
  const std::string key_ = std::string("0123456789abcdef0123456789abcdef");
  const std::string plaintext_ = "sk-provider-key-that-must-stay-secret";
  const std::string aad_ = "org_1|provider_key|openai";
};

TEST_F(Aes256GcmSealed, RoundTripsAndHasTheDocumentedLayout) {
  auto sealed = aes256GcmSeal(key_, plaintext_, aad_, random_);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->size(), kGcmNonceBytes + plaintext_.size() + kGcmTagBytes);
  EXPECT_EQ(sealed->find(plaintext_), std::string::npos);
  auto opened = aes256GcmOpen(key_, *sealed, aad_);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(opened->reveal(), plaintext_);
  // The general form with the same nonce yields the same bytes.
  auto general = aesGcmEncrypt(key_, sealed->substr(0, kGcmNonceBytes), plaintext_, aad_, 16);
  ASSERT_TRUE(general.ok());
  EXPECT_EQ(*general, sealed->substr(kGcmNonceBytes));
}

TEST_F(Aes256GcmSealed, EmptyPlaintextAndAadRoundTrip) {
  auto sealed = aes256GcmSeal(key_, "", "", random_);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->size(), kGcmNonceBytes + kGcmTagBytes);
  auto opened = aes256GcmOpen(key_, *sealed, "");
  ASSERT_TRUE(opened.ok());
  EXPECT_TRUE(opened->empty());
  expectOpenFails(*sealed, "x", "aad added to an empty-aad seal");
}

// Every single-byte change anywhere in the sealed bytes (nonce, ciphertext, tag) and in the AAD
// must make opening fail, with the one fixed message and no plaintext.
TEST_F(Aes256GcmSealed, EveryTamperedByteFailsClosed) {
  auto sealed = aes256GcmSeal(key_, plaintext_, aad_, random_);
  ASSERT_TRUE(sealed.ok());
  for (std::size_t i = 0; i < sealed->size(); ++i) {
    std::string tampered = *sealed;
    tampered[i] = static_cast<char>(tampered[i] ^ 0x01);
    const char* part = i < kGcmNonceBytes                       ? "nonce"
                       : i < kGcmNonceBytes + plaintext_.size() ? "ciphertext"
                                                                : "tag";
    expectOpenFails(tampered, aad_, std::string(part) + " byte " + std::to_string(i));
  }
  for (std::size_t i = 0; i < aad_.size(); ++i) {
    std::string aad = aad_;
    aad[i] = static_cast<char>(aad[i] ^ 0x01);
    expectOpenFails(*sealed, aad, "aad byte " + std::to_string(i));
  }
  expectOpenFails(*sealed, "", "empty aad");
  expectOpenFails(*sealed, aad_ + "x", "extended aad");
  expectOpenFails(sealed->substr(0, sealed->size() - 1), aad_, "input truncated by one byte");
  expectOpenFails(sealed->substr(0, kGcmNonceBytes + kGcmTagBytes - 1), aad_,
                  "input shorter than nonce and tag");
  expectOpenFails(sealed->substr(0, kGcmNonceBytes + kGcmTagBytes), aad_,
                  "nonce and tag without ciphertext");
  expectOpenFails(*sealed + "x", aad_, "input with a byte appended");
  expectOpenFails("", aad_, "empty input");

  std::string wrong_key = key_;
  wrong_key[0] = static_cast<char>(wrong_key[0] ^ 0x01);
  auto opened = aes256GcmOpen(wrong_key, *sealed, aad_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().message, kOpenFailed);
}

TEST_F(Aes256GcmSealed, KeyMustBe32Bytes) {
  for (std::size_t size : {0u, 16u, 24u, 31u, 33u}) {
    const std::string key(size, 'k');
    auto sealed = aes256GcmSeal(key, plaintext_, aad_, random_);
    ASSERT_FALSE(sealed.ok()) << size;
    EXPECT_EQ(sealed.error().code, ErrorCode::kInternal);
    EXPECT_FALSE(aes256GcmOpen(key, std::string(64, 'x'), aad_).ok()) << size;
  }
}

TEST(Aes256GcmSeal, TwoSealsOfTheSamePlaintextUseDifferentNonces) {
  SystemRandom random;
  const std::string key(32, 'k');
  auto first = aes256GcmSeal(key, "same plaintext", "aad", random);
  auto second = aes256GcmSeal(key, "same plaintext", "aad", random);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  EXPECT_NE(first->substr(0, kGcmNonceBytes), second->substr(0, kGcmNonceBytes));
  EXPECT_NE(*first, *second);
}

TEST(Aes256GcmSeal, FixedRandomGivesDeterministicOutput) {
  const std::string key(32, 'k');
  testing::FixedRandom a(42);
  testing::FixedRandom b(42);
  auto first = aes256GcmSeal(key, "plaintext", "aad", a);
  auto second = aes256GcmSeal(key, "plaintext", "aad", b);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);
  // The next nonce from the same source differs.
  auto third = aes256GcmSeal(key, "plaintext", "aad", a);
  ASSERT_TRUE(third.ok());
  EXPECT_NE(*first, *third);
}

}  // namespace
}  // namespace gatehouse::crypto
