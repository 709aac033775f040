#include "guardrails/phone.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace gatehouse::guardrails::detail {
namespace {

// The fast validator must agree with libphonenumber's PhoneNumberUtil on the same national
// significant numbers: random numbers of plausible lengths, biased towards valid prefixes by
// sampling many of them.
TEST(Phone, AgreesWithLibphonenumberOnRandomNumbers) {
  const char* regions[] = {"US", "CA", "GB", "FR", "DE", "AU", "JP", "IN", "BR", "IT",
                           "ES", "NL", "SE", "CH", "MX", "ZA", "NZ", "IE", "BE", "AT"};
  std::mt19937 rng(1234);
  int compared = 0;
  int valid = 0;
  for (const char* region : regions) {
    for (int i = 0; i < 300; ++i) {
      const int length = 7 + static_cast<int>(rng() % 5);  // 7-11 digits
      std::string nsn;
      nsn += static_cast<char>('1' + rng() % 9);
      for (int k = 1; k < length; ++k) {
        nsn += static_cast<char>('0' + rng() % 10);
      }
      const bool ours = phoneNsnValidForRegion(nsn, region);
      const bool theirs = phoneNsnValidByLibphonenumber(nsn, region);
      ASSERT_EQ(ours, theirs) << region << " " << nsn;
      ++compared;
      valid += ours;
    }
  }
  EXPECT_EQ(compared, 6000);
  EXPECT_GT(valid, 300);  // the sample is not all-invalid
}

TEST(Phone, FormatsMatchLibphonenumberParse) {
  struct Case {
    const char* text;
    PhoneStyle style;
    const char* region;  // libphonenumber's default region for Parse
  };
  const Case cases[] = {
      {"+44 20 7946 0785", PhoneStyle::kInternational, "ZZ"},
      {"+49 (0)30 8579728", PhoneStyle::kInternational, "ZZ"},
      {"+91-97696-38732", PhoneStyle::kInternational, "ZZ"},
      {"+1 (713) 555-0145", PhoneStyle::kInternational, "ZZ"},
      {"+33 1 99 00 85 78", PhoneStyle::kInternational, "ZZ"},
      {"+81 6-6288-6239", PhoneStyle::kInternational, "ZZ"},
      {"+55 21 99396-4799", PhoneStyle::kInternational, "ZZ"},
      {"(702) 555-0115", PhoneStyle::kNanp, "US"},
      {"1-425-555-0160", PhoneStyle::kNanp, "US"},
      {"020 7946 0450", PhoneStyle::kTrunkZero, "GB"},
      {"(02) 5550 5895", PhoneStyle::kTrunkZero, "AU"},
      {"01 99 00 17 89", PhoneStyle::kTrunkZero, "FR"},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(phoneValidByLibphonenumber(c.text, c.region)) << c.text;
    EXPECT_TRUE(phoneValid(c.text, c.style)) << c.text;
  }
  // Invalid in every plan (libphonenumber agrees).
  EXPECT_FALSE(phoneValidByLibphonenumber("+44 20 9999 9999", "ZZ"));
  EXPECT_FALSE(phoneValid("+44 20 9999 9999", PhoneStyle::kInternational));
  EXPECT_FALSE(phoneValid("(555) 123-4567", PhoneStyle::kNanp));
  EXPECT_FALSE(phoneValid("+999 123 456 789", PhoneStyle::kInternational));
}

}  // namespace
}  // namespace gatehouse::guardrails::detail
