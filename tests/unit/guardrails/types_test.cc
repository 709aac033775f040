#include <gatehouse/guardrails/types.h>

#include <gatehouse/guardrails/fwd.h>

#include <gtest/gtest.h>

#include <type_traits>

namespace gatehouse::guardrails {
namespace {

TEST(Types, FindingsAreSmallValueTypes) {
  static_assert(std::is_trivially_copyable_v<Finding>);
  Finding a{EntityType::kEmail, 3, 10, "email", Severity::kMedium, Action::kFlag};
  Finding b = a;
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.size(), 7u);
  EXPECT_EQ(entityTypeName(EntityType::kAwsSecretKey), "AWS_SECRET_KEY");
  EXPECT_EQ(actionName(Action::kPseudonymize), "pseudonymize");
  EXPECT_EQ(severityName(Severity::kCritical), "critical");
}

}  // namespace
}  // namespace gatehouse::guardrails
