#include <gatehouse/guardrails/pseudonymizer.h>

#include <gtest/gtest.h>

namespace gatehouse::guardrails {
namespace {

TEST(Pseudonymizer, NumbersPerLabelAndDistinctValue) {
  Pseudonymizer p;
  EXPECT_EQ(p.placeholderFor("EMAIL", "a@example.com", true), "[EMAIL_1]");
  EXPECT_EQ(p.placeholderFor("EMAIL", "b@example.com", true), "[EMAIL_2]");
  EXPECT_EQ(p.placeholderFor("EMAIL", "a@example.com", true), "[EMAIL_1]");
  EXPECT_EQ(p.placeholderFor("PHONE", "a@example.com", true), "[PHONE_1]");
  EXPECT_EQ(p.placeholderFor("SSN", "123-45-6789", false), "[SSN_1]");
  EXPECT_EQ(p.placeholderFor("SSN", "123-45-6789", false), "[SSN_1]");
  EXPECT_EQ(p.size(), 4u);
}

TEST(Pseudonymizer, RestoresOnlyRestorableValues) {
  Pseudonymizer p;
  const std::string email = p.placeholderFor("EMAIL", "a@example.com", true);
  const std::string ssn = p.placeholderFor("SSN", "123-45-6789", false);
  EXPECT_EQ(p.restore("Mail " + email + " about " + ssn + " and [EMAIL_9]."),
            "Mail a@example.com about [SSN_1] and [EMAIL_9].");
  ASSERT_NE(p.originalFor("[EMAIL_1]"), nullptr);
  EXPECT_EQ(*p.originalFor("[EMAIL_1]"), "a@example.com");
  EXPECT_EQ(p.originalFor("[SSN_1]"), nullptr);
}

TEST(Restorer, PlaceholderSplitAtEveryBoundary) {
  Pseudonymizer p;
  p.placeholderFor("EMAIL", "a@example.com", true);
  p.placeholderFor("CREDIT_CARD", "4111 1111 1111 1111", true);
  const std::string answer =
      "Sure [EMAIL_1], your card [CREDIT_CARD_1] is saved [x] [EMAIL_] [EMAIL_1]";
  const std::string expected =
      "Sure a@example.com, your card 4111 1111 1111 1111 is saved [x] [EMAIL_] a@example.com";
  for (std::size_t a = 0; a <= answer.size(); ++a) {
    for (std::size_t b = a; b <= answer.size(); b += 3) {
      Restorer restorer(p);
      std::string out = restorer.feed(answer.substr(0, a));
      out += restorer.feed(answer.substr(a, b - a));
      out += restorer.feed(answer.substr(b));
      out += restorer.finish();
      ASSERT_EQ(out, expected) << a << "," << b;
    }
  }
}

TEST(Restorer, HoldsBackOnlyAPossiblePlaceholderPrefix) {
  Pseudonymizer p;
  p.placeholderFor("EMAIL", "a@example.com", true);
  Restorer restorer(p);
  EXPECT_EQ(restorer.feed("Hello [EMA"), "Hello ");
  EXPECT_EQ(restorer.feed("IL_1] and ["), "a@example.com and ");
  EXPECT_EQ(restorer.feed("not a placeholder at all"), "[not a placeholder at all");
  EXPECT_EQ(restorer.finish(), "");
  Restorer unfinished(p);
  EXPECT_EQ(unfinished.feed("tail [EMAIL"), "tail ");
  EXPECT_EQ(unfinished.finish(), "[EMAIL");
}

TEST(Pseudonymizer, MovesKeepTheMapping) {
  Pseudonymizer p;
  p.placeholderFor("EMAIL", "a@example.com", true);
  Pseudonymizer moved(std::move(p));
  EXPECT_EQ(moved.restore("[EMAIL_1]"), "a@example.com");
  Pseudonymizer assigned;
  assigned = std::move(moved);
  EXPECT_EQ(assigned.restore("[EMAIL_1]"), "a@example.com");
  EXPECT_EQ(assigned.longestPlaceholder(), std::string("[EMAIL_1]").size());
}

}  // namespace
}  // namespace gatehouse::guardrails
