#include "gateway/router.h"

#include "mocks/fixed_random.h"

#include <gtest/gtest.h>

#include <map>

namespace gatehouse::gateway {
namespace {

config::Config twoTierConfig() {
  config::Config config;
  for (const char* name : {"a", "b", "c"}) {
    config::ProviderConfig provider;
    provider.name = name;
    provider.type = config::ProviderType::kOpenAICompatible;
    provider.base_url = std::string("http://127.0.0.1:1/") + name;
    config.providers.push_back(provider);
  }
  config::ModelConfig model;
  model.name = "m";
  for (auto [provider, weight] : {std::pair{"a", 1u}, {"b", 5u}, {"c", 5u}}) {
    config::DeploymentConfig deployment;
    deployment.provider = provider;
    deployment.model = std::string("up-") + provider;
    deployment.weight = weight;
    model.deployments.push_back(deployment);
  }
  config.models.push_back(model);
  return config;
}

TEST(Router, UnknownModelHasNoPlan) {
  const Router router(twoTierConfig());
  testing::FixedRandom random;
  EXPECT_TRUE(router.plan("nope", random).empty());
  EXPECT_FALSE(router.knows("nope"));
  EXPECT_TRUE(router.knows("m"));
}

TEST(Router, HigherWeightsComeFirstAndEqualWeightsShareTheLoad) {
  const Router router(twoTierConfig());
  testing::FixedRandom random(42);
  std::map<std::string, int> first;
  for (int i = 0; i < 400; ++i) {
    const auto plan = router.plan("m", random);
    ASSERT_EQ(plan.size(), 3u);
    EXPECT_EQ(plan[2]->label, "a/up-a");  // The lowest weight is always the last resort.
    ++first[plan[0]->label];
  }
  EXPECT_EQ(first.count("a/up-a"), 0u);
  EXPECT_GT(first["b/up-b"], 120);
  EXPECT_GT(first["c/up-c"], 120);
}

TEST(Router, ProviderPathsFollowTheirDialect) {
  config::Config config = twoTierConfig();
  config::ProviderConfig anthropic;
  anthropic.name = "an";
  anthropic.type = config::ProviderType::kAnthropic;
  anthropic.base_url = "https://api.anthropic.com";
  const Provider provider = makeProvider(anthropic);
  EXPECT_EQ(provider.chat_target, "/v1/messages");
  EXPECT_TRUE(provider.embeddings_target.empty());
  EXPECT_TRUE(provider.endpoint.tls);
  EXPECT_EQ(provider.endpoint.port, "443");
  const Provider local = makeProvider(config.providers[0]);
  EXPECT_EQ(local.chat_target, "/a/chat/completions");
  EXPECT_EQ(local.embeddings_target, "/a/embeddings");
  EXPECT_FALSE(local.endpoint.tls);

  const auto headers = provider.requestHeaders("sk-ant-test");
  bool has_key = false;
  bool has_version = false;
  for (const auto& header : headers) {
    has_key |= header.name == "x-api-key" && header.value == "sk-ant-test";
    has_version |= header.name == "anthropic-version";
  }
  EXPECT_TRUE(has_key);
  EXPECT_TRUE(has_version);
}

TEST(Router, RateLimitHeadersAreRecognised) {
  EXPECT_TRUE(isRateLimitHeader("Retry-After"));
  EXPECT_TRUE(isRateLimitHeader("x-ratelimit-remaining-requests"));
  EXPECT_TRUE(isRateLimitHeader("anthropic-ratelimit-tokens-reset"));
  EXPECT_FALSE(isRateLimitHeader("set-cookie"));
  EXPECT_FALSE(isRateLimitHeader("x-rate"));
}

}  // namespace
}  // namespace gatehouse::gateway
