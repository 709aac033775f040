#include <gatehouse/gateway/provider_keys.h>

#include <gatehouse/config/config.h>

#include "mocks/temp_dir.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

namespace gatehouse::gateway {
namespace {

config::ProviderConfig fromFile(const std::string& path) {
  config::ProviderConfig provider;
  provider.name = "oa";
  provider.api_key_file = path;
  return provider;
}

std::string writeKey(const testing::TempDir& dir, const std::string& text) {
  const std::string path = dir.path() + "/key";
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(ConfigProviderKeys, AKeyFileLosesOnlyItsTrailingLineBreaks) {
  testing::TempDir dir;
  const ConfigProviderKeys keys({fromFile(writeKey(dir, "sk-file-key-1\r\n\n"))});
  auto key = keys.keyFor("oa");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->reveal(), "sk-file-key-1");
}

// A line break inside a key would end the upstream request's header early, and what follows
// would be read as more headers, or a second request on a pooled connection.
TEST(ConfigProviderKeys, AKeyAHeaderCannotCarryIsRefusedAtStartUp) {
  testing::TempDir dir;
  EXPECT_THROW(ConfigProviderKeys({fromFile(writeKey(dir, "sk-abc\r\nX-Injected: 1"))}),
               std::runtime_error);
  EXPECT_THROW(ConfigProviderKeys({fromFile(writeKey(dir, std::string("sk-a\0b", 6)))}),
               std::runtime_error);
  config::ProviderConfig from_env;
  from_env.name = "env";
  from_env.api_key_env = "GATEHOUSE_TEST_BAD_KEY";
  ::setenv("GATEHOUSE_TEST_BAD_KEY", "sk-abc\nHost: elsewhere", 1);
  EXPECT_THROW(ConfigProviderKeys({from_env}), std::runtime_error);
  ::unsetenv("GATEHOUSE_TEST_BAD_KEY");
}

}  // namespace
}  // namespace gatehouse::gateway
