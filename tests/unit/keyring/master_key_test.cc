#include <gatehouse/keyring/keyring.h>

#include <gatehouse/crypto/hkdf.h>

#include "mocks/fixed_random.h"
#include "mocks/temp_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <type_traits>

namespace gatehouse::keyring {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

static_assert(!std::is_copy_constructible_v<MasterKey>);
static_assert(!std::is_copy_assignable_v<MasterKey>);
static_assert(std::is_nothrow_move_constructible_v<MasterKey>);

constexpr std::array<const char*, 4> kVariables = {
    "GATEHOUSE_MASTER_KEY", "GATEHOUSE_MASTER_KEY_FILE", "GATEHOUSE_MASTER_KEY_PREVIOUS",
    "GATEHOUSE_MASTER_KEY_PREVIOUS_FILE"};

// Clears the master-key variables for one test and puts back whatever was there before.
class ScopedEnvironment {
 public:
  ScopedEnvironment() {
    for (std::size_t i = 0; i < kVariables.size(); ++i) {
      if (const char* value = std::getenv(kVariables[i])) {
        saved_[i] = value;
      }
      ::unsetenv(kVariables[i]);
    }
  }
  ~ScopedEnvironment() {
    for (std::size_t i = 0; i < kVariables.size(); ++i) {
      if (saved_[i]) {
        ::setenv(kVariables[i], saved_[i]->c_str(), 1);
      } else {
        ::unsetenv(kVariables[i]);
      }
    }
  }
  void set(const char* name, const std::string& value) { ::setenv(name, value.c_str(), 1); }

 private:
  std::array<std::optional<std::string>, kVariables.size()> saved_;
};

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void writeFile(const std::string& path, const std::string& contents) {
  std::ofstream(path, std::ios::binary) << contents;
}

std::string idOf(const std::string& material) {
  return MasterKey::fromMaterial(SecretString(material)).id();
}

// Runs `load`, which must throw std::runtime_error, and returns the message.
std::string failureOf(const std::function<void()>& load) {
  try {
    load();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no exception";
  return {};
}

class MasterKeyLoading : public ::testing::Test {
 protected:
  MasterKeySource load(bool production = false) {
    return loadMasterKeys(dir_.path(), production, random_);
  }
  std::string devKeyPath() const { return dir_.path() + "/master.key"; }

  ScopedEnvironment env_;
  testing::TempDir dir_;
  testing::FixedRandom random_{3};
  const std::string material_ = "correct-horse-battery-staple-0123456789";
};

TEST(MasterKey, DerivesTheKekAndAStableFingerprint) {
  const std::string material = "an example master key of enough length";
  const MasterKey key = MasterKey::fromMaterial(SecretString(material));
  EXPECT_EQ(key.kek().size(), 32u);
  auto expected_kek = crypto::hkdfSha256(material, "gatehouse/master-key/v1", "kek", 32);
  ASSERT_TRUE(expected_kek.ok());
  EXPECT_TRUE(expected_kek->equals(key.kek()));

  EXPECT_EQ(key.id().size(), 16u);
  EXPECT_EQ(key.id().find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(key.id(), idOf(material));
  EXPECT_NE(key.id(), idOf(material + "x"));
  // The fingerprint reveals neither derived key.
  EXPECT_EQ(key.kek().find(key.id()), std::string::npos);
}

TEST(MasterKey, RefusesShortMaterial) {
  EXPECT_THROW(MasterKey::fromMaterial(SecretString(std::string(31, 'k'))), std::invalid_argument);
  EXPECT_NO_THROW(MasterKey::fromMaterial(SecretString(std::string(32, 'k'))));
}

TEST_F(MasterKeyLoading, ReadsTheKeyFromTheEnvironment) {
  env_.set("GATEHOUSE_MASTER_KEY", material_);
  const MasterKeySource source = load(true);
  EXPECT_EQ(source.current.id(), idOf(material_));
  EXPECT_FALSE(source.previous.has_value());
  EXPECT_FALSE(source.using_dev_key);
  EXPECT_FALSE(source.generated_dev_key);
  struct stat info {};
  EXPECT_NE(::stat(devKeyPath().c_str(), &info), 0) << "no development key when one is set";
}

TEST_F(MasterKeyLoading, ReadsTheKeyFromAFileWithoutItsTrailingNewline) {
  for (const std::string ending : {"", "\n", "\r\n"}) {
    const std::string path = dir_.path() + "/key";
    writeFile(path, material_ + ending);
    env_.set("GATEHOUSE_MASTER_KEY_FILE", path);
    EXPECT_EQ(load(true).current.id(), idOf(material_)) << "ending of " << ending.size();
  }
}

TEST_F(MasterKeyLoading, ReadsThePreviousKeyForRotation) {
  env_.set("GATEHOUSE_MASTER_KEY", material_);
  const std::string previous = "the-previous-master-key-before-rotation";
  const std::string path = dir_.path() + "/previous";
  writeFile(path, previous + "\n");
  env_.set("GATEHOUSE_MASTER_KEY_PREVIOUS_FILE", path);
  MasterKeySource source = load(true);
  ASSERT_TRUE(source.previous.has_value());
  EXPECT_EQ(source.previous->id(), idOf(previous));
  EXPECT_EQ(source.current.id(), idOf(material_));

  ::unsetenv("GATEHOUSE_MASTER_KEY_PREVIOUS_FILE");
  env_.set("GATEHOUSE_MASTER_KEY_PREVIOUS", previous);
  source = load(true);
  ASSERT_TRUE(source.previous.has_value());
  EXPECT_EQ(source.previous->id(), idOf(previous));
}

TEST_F(MasterKeyLoading, ProductionRefusesToStartWithoutAKey) {
  EXPECT_EQ(failureOf([&] { load(true); }),
            "production mode: GATEHOUSE_MASTER_KEY or GATEHOUSE_MASTER_KEY_FILE is required");
  // An empty variable counts as unset, so it does not slip past the check.
  env_.set("GATEHOUSE_MASTER_KEY", "");
  EXPECT_THAT(failureOf([&] { load(true); }), HasSubstr("production mode"));
  struct stat info {};
  EXPECT_NE(::stat(devKeyPath().c_str(), &info), 0);
}

TEST_F(MasterKeyLoading, DevelopmentGeneratesAPrivateKeyFileAndReusesIt) {
  const MasterKeySource first = load();
  EXPECT_TRUE(first.using_dev_key);
  EXPECT_TRUE(first.generated_dev_key);
  EXPECT_EQ(first.dev_key_path, devKeyPath());

  struct stat info {};
  ASSERT_EQ(::stat(devKeyPath().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  const std::string contents = readFile(devKeyPath());
  ASSERT_EQ(contents.size(), 65u);
  EXPECT_EQ(contents.back(), '\n');
  const std::string hex = contents.substr(0, 64);
  EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(first.current.id(), idOf(hex));

  testing::FixedRandom other_random(99);
  const MasterKeySource second = loadMasterKeys(dir_.path(), false, other_random);
  EXPECT_TRUE(second.using_dev_key);
  EXPECT_FALSE(second.generated_dev_key);
  EXPECT_EQ(second.current.id(), first.current.id());
  EXPECT_EQ(readFile(devKeyPath()), contents);
}

TEST_F(MasterKeyLoading, DevelopmentKeysDifferPerDataDirectory) {
  testing::TempDir other;
  testing::FixedRandom other_random(4);
  EXPECT_NE(load().current.id(), loadMasterKeys(other.path(), false, other_random).current.id());
}

TEST_F(MasterKeyLoading, RefusesShortOrAmbiguousKeysWithoutEchoingThem) {
  const std::string short_value = "tooShortSecretValue-xyz";  // 23 characters
  const std::string short_file = dir_.path() + "/short";
  writeFile(short_file, short_value + "\n");
  const std::string good_file = dir_.path() + "/good";
  writeFile(good_file, material_);

  struct Case {
    const char* what;
    std::vector<std::pair<const char*, std::string>> variables;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"short value", {{"GATEHOUSE_MASTER_KEY", short_value}}, "GATEHOUSE_MASTER_KEY is too short"},
      {"short file", {{"GATEHOUSE_MASTER_KEY_FILE", short_file}}, "fewer than 32 characters"},
      {"short previous",
       {{"GATEHOUSE_MASTER_KEY", material_}, {"GATEHOUSE_MASTER_KEY_PREVIOUS", short_value}},
       "GATEHOUSE_MASTER_KEY_PREVIOUS is too short"},
      {"both set",
       {{"GATEHOUSE_MASTER_KEY", material_}, {"GATEHOUSE_MASTER_KEY_FILE", good_file}},
       "set only one"},
      {"missing file", {{"GATEHOUSE_MASTER_KEY_FILE", dir_.path() + "/absent"}}, "cannot read"},
  };
  for (const Case& c : cases) {
    for (const char* name : kVariables) {
      ::unsetenv(name);
    }
    for (const auto& [name, value] : c.variables) {
      env_.set(name, value);
    }
    for (bool production : {false, true}) {
      const std::string message = failureOf([&] { load(production); });
      EXPECT_THAT(message, HasSubstr(c.expected)) << c.what;
      EXPECT_THAT(message, Not(HasSubstr(short_value))) << c.what;
      EXPECT_THAT(message, Not(HasSubstr(material_))) << c.what;
      EXPECT_THAT(message, Not(HasSubstr(material_.substr(0, 8)))) << c.what;
    }
  }
}

TEST_F(MasterKeyLoading, ATooShortDevelopmentKeyFileIsRefused) {
  writeFile(devKeyPath(), "abc\n");
  const std::string message = failureOf([&] { load(); });
  EXPECT_THAT(message, HasSubstr("fewer than 32 characters"));
  EXPECT_THAT(message, Not(HasSubstr("abc\n")));
}

TEST_F(MasterKeyLoading, LoadsANewKeyFileForTheRotateCommand) {
  const std::string path = dir_.path() + "/new.key";
  writeFile(path, material_ + "\n");
  EXPECT_EQ(loadMasterKeyFile(path).id(), idOf(material_));
  writeFile(path, "short\n");
  const std::string message = failureOf([&] { loadMasterKeyFile(path); });
  EXPECT_THAT(message, HasSubstr("fewer than 32 characters"));
  EXPECT_THAT(message, Not(HasSubstr("short\n")));
  EXPECT_THROW(loadMasterKeyFile(dir_.path() + "/absent"), std::runtime_error);
}

}  // namespace
}  // namespace gatehouse::keyring
