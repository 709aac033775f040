#include <gatehouse/config/config.h>

#include "mocks/temp_dir.h"

#include <gtest/gtest.h>

#include <fstream>

namespace gatehouse::config {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  std::string write(const std::string& text) {
    const std::string path = dir_.path() + "/gatehouse.toml";
    std::ofstream(path) << text;
    return path;
  }
  testing::TempDir dir_;
};

TEST_F(ConfigTest, ParsesModeEgressKeysAndAudit) {
  const Config config = loadConfig(write(R"(
mode = "production"
[egress]
allow_cidrs = ["10.20.0.0/16", "fd00::/8"]
allow_http_hosts = ["vllm.lan"]
[keys]
rotation_overlap_seconds = 600
[audit]
retention_interval_seconds = 60
)"));
  EXPECT_EQ(config.mode, "production");
  EXPECT_EQ(config.egress.allow_cidrs, (std::vector<std::string>{"10.20.0.0/16", "fd00::/8"}));
  EXPECT_EQ(config.egress.allow_http_hosts, std::vector<std::string>{"vllm.lan"});
  EXPECT_EQ(config.rotation_overlap, std::chrono::seconds(600));
  EXPECT_EQ(config.retention_interval, std::chrono::seconds(60));
  EXPECT_THROW(loadConfig(write("mode = \"prod\"\n")), ConfigError);
  EXPECT_THROW(loadConfig(write("[egress]\nallow_cidrs = \"10.0.0.0/8\"\n")), ConfigError);
  EXPECT_THROW(loadConfig(write("[egress]\nallow_cidrs = [1]\n")), ConfigError);
  EXPECT_THROW(loadConfig(write("[egress]\nallowlist = []\n")), ConfigError);
}

TEST_F(ConfigTest, ParsesServerProvidersAndModels) {
  const Config config = loadConfig(write(R"(
data_dir = "/var/lib/gatehouse"
[server]
listen = "0.0.0.0:9000"
max_body_bytes = 1024
header_timeout_ms = 500
[server.tls]
cert_file = "/c.pem"
key_file = "/k.pem"
[routing]
max_attempts = 3
[[providers]]
name = "oa"
type = "openai"
api_key_env = "OA"
[[providers]]
name = "local"
type = "openai-compatible"
base_url = "http://127.0.0.1:11434/v1/"
[[models]]
name = "fast"
  [[models.deployments]]
  provider = "oa"
  model = "gpt-4o-mini"
  weight = 3
  timeout_ms = 1500
  [[models.deployments]]
  provider = "local"
  model = "llama3"
)"));
  EXPECT_EQ(config.data_dir, "/var/lib/gatehouse");
  EXPECT_EQ(config.server.host, "0.0.0.0");
  EXPECT_EQ(config.server.port, 9000);
  EXPECT_EQ(config.server.max_body_bytes, 1024u);
  EXPECT_EQ(config.server.header_timeout.count(), 500);
  EXPECT_TRUE(config.server.tls.enabled());
  EXPECT_EQ(config.routing.max_attempts, 3u);
  ASSERT_EQ(config.providers.size(), 2u);
  EXPECT_EQ(config.providers[0].base_url, "https://api.openai.com/v1");
  EXPECT_EQ(config.providers[1].base_url, "http://127.0.0.1:11434/v1");
  ASSERT_EQ(config.models.size(), 1u);
  ASSERT_EQ(config.models[0].deployments.size(), 2u);
  EXPECT_EQ(config.models[0].deployments[0].weight, 3u);
  EXPECT_EQ(config.models[0].deployments[0].timeout.count(), 1500);
  EXPECT_EQ(config.models[0].deployments[1].timeout.count(), 60000);
}

TEST_F(ConfigTest, DefaultsMatchTheDocumentedValues) {
  const Config config = loadConfig(write(""));
  EXPECT_EQ(config.server.host, "127.0.0.1");
  EXPECT_EQ(config.server.port, 8080);
  EXPECT_EQ(config.server.max_body_bytes, 4u * 1024 * 1024);
  EXPECT_EQ(config.data_dir, "./data");
}

TEST_F(ConfigTest, RejectsTyposUnknownProvidersAndBadValues) {
  EXPECT_THROW(loadConfig(write("[server]\nmax_body_byte = 1\n")), ConfigError);
  EXPECT_THROW(loadConfig(write("[server]\nlisten = \"nohost\"\n")), ConfigError);
  EXPECT_THROW(loadConfig(write("[server]\nlisten = \"127.0.0.1:70000\"\n")), ConfigError);
  EXPECT_THROW(loadConfig(write("[server]\nmax_body_bytes = -5\n")), ConfigError);
  EXPECT_THROW(loadConfig(write(R"(
[[models]]
name = "m"
  [[models.deployments]]
  provider = "missing"
)")),
               ConfigError);
  EXPECT_THROW(loadConfig(write("[[providers]]\nname = \"x\"\ntype = \"bard\"\n")), ConfigError);
  EXPECT_THROW(loadConfig(write("[[providers]]\nname = \"x\"\ntype = \"openai-compatible\"\n")),
               ConfigError);
  EXPECT_THROW(loadConfig(write("this is not toml")), ConfigError);
  EXPECT_THROW(loadConfig(dir_.path() + "/missing.toml"), ConfigError);
}

TEST_F(ConfigTest, ListenAcceptsBracketedIpv6) {
  ServerConfig server;
  parseListen("[::1]:0", server);
  EXPECT_EQ(server.host, "::1");
  EXPECT_EQ(server.port, 0);
}

}  // namespace
}  // namespace gatehouse::config
