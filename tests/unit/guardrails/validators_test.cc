#include "guardrails/validators.h"

#include "unit/guardrails/test_util.h"

#include <gtest/gtest.h>

namespace gatehouse::guardrails::detail {
namespace {

TEST(Luhn, AcceptsValidAndRejectsMistypedNumbers) {
  EXPECT_TRUE(luhnValid("4111111111111111"));
  EXPECT_TRUE(luhnValid("378282246310005"));
  EXPECT_TRUE(luhnValid("5500000000000004"));
  EXPECT_FALSE(luhnValid("4111111111111112"));
  EXPECT_FALSE(luhnValid("6011654330887836"));  // the dataset's mistyped Discover
  EXPECT_FALSE(luhnValid(""));
  EXPECT_FALSE(luhnValid("4111-1111"));
}

TEST(CardBrand, NeedsTheNetworkLength) {
  EXPECT_EQ(cardBrand("4111111111111111"), "visa");
  EXPECT_EQ(cardBrand("4222222222222"), "visa");  // 13-digit Visa
  EXPECT_EQ(cardBrand("378282246310005"), "amex");
  EXPECT_EQ(cardBrand("5500000000000004"), "mastercard");
  EXPECT_EQ(cardBrand("2221000000000009"), "mastercard");
  EXPECT_EQ(cardBrand("6011000990139424"), "discover");
  EXPECT_EQ(cardBrand("3530111333300000"), "jcb");
  EXPECT_EQ(cardBrand("36227206271667"), "diners");
  EXPECT_EQ(cardBrand("6200000000000005"), "unionpay");
  // IMEIs and EAN-13 codes are Luhn-valid but not cards: wrong length or prefix.
  EXPECT_FALSE(cardBrand("358946241882929").has_value());  // 15 digits in the JCB range
  EXPECT_FALSE(cardBrand("5085383372819").has_value());
  EXPECT_FALSE(cardBrand("9919528880957628").has_value());  // gift card
}

TEST(Iban, ChecksCountryLengthAndMod97) {
  EXPECT_EQ(ibanLength("DE"), 22);
  EXPECT_EQ(ibanLength("NO"), 15);
  EXPECT_EQ(ibanLength("RF"), 0);  // ISO 11649 creditor references are not IBANs
  EXPECT_TRUE(ibanChecksumValid("DE89370400440532013000"));
  EXPECT_TRUE(ibanChecksumValid("GB82WEST12345698765432"));
  EXPECT_FALSE(ibanChecksumValid("DE89370400440532013001"));
  EXPECT_FALSE(ibanChecksumValid("DE89 3704"));
}

TEST(Ssn, FollowsSsaRules) {
  EXPECT_TRUE(ssnValid(123, 45, 6789));
  EXPECT_TRUE(ssnValid(78, 24, 5316));
  EXPECT_FALSE(ssnValid(0, 12, 3456));
  EXPECT_FALSE(ssnValid(666, 12, 3456));
  EXPECT_FALSE(ssnValid(900, 12, 3456));
  EXPECT_FALSE(ssnValid(123, 0, 3456));
  EXPECT_FALSE(ssnValid(123, 45, 0));
  EXPECT_FALSE(ssnValid(219, 9, 9999));  // voided after publication
  EXPECT_FALSE(ssnValid(78, 5, 1120));   // Woolworth's wallet card
}

TEST(Ip, ParsesLikeInetPton) {
  EXPECT_TRUE(ipv4Valid("192.0.2.1"));
  EXPECT_TRUE(ipv4Valid("0.0.0.0"));
  EXPECT_FALSE(ipv4Valid("192.168.1.790"));
  EXPECT_FALSE(ipv4Valid("10.227.214"));
  EXPECT_FALSE(ipv4Valid("01.2.3.4"));  // leading zero
  EXPECT_FALSE(ipv4Valid("1.2.3.4."));
  EXPECT_FALSE(ipv4Valid("1.2.3.4.5"));
  EXPECT_TRUE(ipv6Valid("2001:db8::1"));
  EXPECT_TRUE(ipv6Valid("::ffff:198.51.100.8"));
  EXPECT_TRUE(ipv6Valid("2001:0db8:fe3e:7569:874e:b1d3:b24e:6587"));
  EXPECT_FALSE(ipv6Valid("12:51:08"));
  EXPECT_FALSE(ipv6Valid("5f:e3:91:6a:e7:16"));
  EXPECT_FALSE(ipv6Valid("2001:db8:::1"));
}

TEST(Base64, DecodesUrlAndStandardAlphabets) {
  std::string out;
  ASSERT_TRUE(base64Decode("eyJhbGciOiJIUzI1NiJ9", out));
  EXPECT_EQ(out, "{\"alg\":\"HS256\"}");
  ASSERT_TRUE(base64Decode("-_8", out));
  EXPECT_EQ(out, "\xfb\xff");
  EXPECT_FALSE(base64Decode("abc$", out));
  EXPECT_FALSE(base64Decode("a", out));
}

TEST(Entropy, SeparatesRandomFromRepetitive) {
  EXPECT_DOUBLE_EQ(shannonEntropy(""), 0.0);
  EXPECT_DOUBLE_EQ(shannonEntropy("aaaa"), 0.0);
  EXPECT_NEAR(shannonEntropy("abcd"), 2.0, 1e-9);
  EXPECT_GT(shannonEntropy(testing::randomChars(testing::kBase62, 40, 1)), 4.0);
}

TEST(Placeholder, RecognisesStandIns) {
  EXPECT_TRUE(looksLikePlaceholder("changeme"));
  EXPECT_TRUE(looksLikePlaceholder("${DB_PASSWORD}"));
  EXPECT_TRUE(looksLikePlaceholder("{{ secrets.OPENAI_API_KEY }}"));
  EXPECT_TRUE(looksLikePlaceholder("<redacted>"));
  EXPECT_TRUE(looksLikePlaceholder("XXXXXXXXXXXXXXXX"));
  EXPECT_TRUE(looksLikePlaceholder("your-key-here"));
  EXPECT_FALSE(looksLikePlaceholder("Zq8vR2mK9pLw4x7T"));
}

TEST(Checksums, Crc32MatchesZlibAndGatehouseKeysVerify) {
  EXPECT_EQ(crc32("123456789"), 0xCBF43926u);  // the CRC-32 check value
  EXPECT_EQ(base62Fixed(61, 2), "0z");
  const std::string body = "gtk_" + std::string(16, 'A') + std::string(43, 'b');
  const std::string key = body + base62Fixed(crc32(body), 6);
  EXPECT_TRUE(gatehouseKeyValid(key));
  std::string tampered = key;
  tampered[10] = 'B';
  EXPECT_FALSE(gatehouseKeyValid(tampered));
  EXPECT_FALSE(gatehouseKeyValid(key.substr(0, key.size() - 1)));
}

TEST(Checksums, GithubTokenChecksum) {
  const std::string random30 = "abcdefghijABCDEFGHIJ0123456789";
  std::uint64_t value = crc32(random30);
  static constexpr std::string_view kAlphabet =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::string checksum(6, '0');
  for (std::size_t i = 6; i-- > 0;) {
    checksum[i] = kAlphabet[value % 62];
    value /= 62;
  }
  EXPECT_TRUE(githubChecksumValid(random30 + checksum));
  EXPECT_FALSE(githubChecksumValid(random30 + "000000"));
}

}  // namespace
}  // namespace gatehouse::guardrails::detail
