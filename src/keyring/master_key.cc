#include <gatehouse/crypto/encoding.h>
#include <gatehouse/keyring/keyring.h>

#include <gatehouse/crypto/hkdf.h>
#include <gatehouse/crypto/hmac.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace gatehouse::keyring {
namespace {

constexpr std::string_view kSalt = "gatehouse/master-key/v1";
constexpr std::size_t kDerivedKeyBytes = 32;
constexpr std::size_t kDevKeyBytes = 32;
// A key file is a line of text; anything much larger is the wrong file.
constexpr std::size_t kMaxKeyFileBytes = 4096;

// Wipes a buffer that held key material when it goes out of scope, whether it was moved into a
// SecretString (then it is empty) or an exception is on its way.
class WipeOnExit {
 public:
  explicit WipeOnExit(std::string& buffer) : buffer_(buffer) {}
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;
  ~WipeOnExit() { secureWipe(buffer_.data(), buffer_.capacity()); }

 private:
  std::string& buffer_;
};

std::string systemError(int error) {
  return std::strerror(error);
}

crypto::LockedSecret derive(const SecretString& ikm, std::string_view info) {
  auto derived = crypto::hkdfSha256(ikm.reveal(), kSalt, info, kDerivedKeyBytes);
  if (!derived) {
    throw std::runtime_error("master key derivation failed: " + derived.error().message);
  }
  return crypto::LockedSecret(derived->reveal());
}

// Reads a key file's contents without leaving copies in stream buffers. `what` names the source
// in messages (the variable or the purpose), which carry the path but never the contents.
SecretString readKeyFile(const std::string& path, std::string_view what) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw std::runtime_error(std::string(what) + ": cannot read " + path + ": " +
                             systemError(errno));
  }
  std::string buffer;
  WipeOnExit wipe(buffer);
  buffer.resize(kMaxKeyFileBytes + 1);
  std::size_t size = 0;
  while (size < buffer.size()) {
    const ssize_t n = ::read(fd, buffer.data() + size, buffer.size() - size);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      throw std::runtime_error(std::string(what) + ": cannot read " + path + ": " +
                               systemError(error));
    }
    if (n == 0) {
      break;
    }
    size += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (size > kMaxKeyFileBytes) {
    throw std::runtime_error(std::string(what) + ": " + path + " is larger than " +
                             std::to_string(kMaxKeyFileBytes) + " bytes; is it the right file?");
  }
  while (size > 0 && (buffer[size - 1] == '\n' || buffer[size - 1] == '\r')) {
    --size;
  }
  if (size < kMinMasterKeyChars) {
    throw std::runtime_error(std::string(what) + ": " + path + " holds fewer than " +
                             std::to_string(kMinMasterKeyChars) + " characters of key material");
  }
  // Shrinking keeps the heap allocation, so the move below hands it over without a copy.
  buffer.resize(size);
  return SecretString(std::move(buffer));
}

// Material from `value_var` (the key itself) or `file_var` (a file holding it); nullopt when
// neither is set.
std::optional<SecretString> materialFromEnvironment(const char* value_var, const char* file_var) {
  const char* value = std::getenv(value_var);
  const char* file = std::getenv(file_var);
  const bool has_value = value != nullptr && *value != '\0';
  const bool has_file = file != nullptr && *file != '\0';
  if (has_value && has_file) {
    throw std::runtime_error(std::string(value_var) + " and " + file_var +
                             " are both set; set only one");
  }
  if (has_file) {
    return readKeyFile(file, file_var);
  }
  if (!has_value) {
    return std::nullopt;
  }
  if (std::strlen(value) < kMinMasterKeyChars) {
    throw std::runtime_error(std::string(value_var) + " is too short: at least " +
                             std::to_string(kMinMasterKeyChars) +
                             " characters are required (the value is not shown)");
  }
  return SecretString(std::string(value));
}

void writeAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      throw std::runtime_error(systemError(n < 0 ? errno : EIO));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

struct DevKey {
  SecretString material;
  bool generated = false;
};

// The development key: `path` if it exists, else a new one written there. O_EXCL makes creation
// safe against a second process starting at the same moment; the loser reads the winner's key.
DevKey loadOrCreateDevKey(const std::string& path, crypto::RandomSource& random) {
  constexpr std::string_view kWhat = "development master key";
  if (::access(path.c_str(), F_OK) == 0) {
    return {readKeyFile(path, kWhat), false};
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST) {
    // Another process created it between our check and open: give it a moment to finish writing.
    for (int attempt = 0; attempt < 100; ++attempt) {
      struct stat info {};
      if (::stat(path.c_str(), &info) == 0 &&
          static_cast<std::size_t>(info.st_size) >= 2 * kDevKeyBytes) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return {readKeyFile(path, kWhat), false};
  }
  if (fd < 0) {
    throw std::runtime_error("cannot create development master key " + path + ": " +
                             systemError(errno));
  }
  std::array<std::uint8_t, kDevKeyBytes> bytes{};
  random.fill(bytes);
  std::string hex;
  WipeOnExit wipe_hex(hex);
  hex.reserve(2 * kDevKeyBytes + 1);
  crypto::appendHex(hex, {reinterpret_cast<const char*>(bytes.data()), bytes.size()});
  secureWipe(bytes.data(), bytes.size());
  try {
    // The umask may only narrow the mode; make it exactly owner read/write.
    if (::fchmod(fd, 0600) != 0) {
      throw std::runtime_error(systemError(errno));
    }
    // The newline goes into the reserved capacity: no second copy of the key is made.
    hex += '\n';
    writeAll(fd, hex);
    hex.pop_back();
    if (::fsync(fd) != 0) {
      throw std::runtime_error(systemError(errno));
    }
  } catch (const std::runtime_error& e) {
    ::close(fd);
    // A half-written key file would be read as a short key on the next start.
    ::unlink(path.c_str());
    throw std::runtime_error("cannot write development master key " + path + ": " + e.what());
  }
  ::close(fd);
  return {SecretString(std::move(hex)), true};
}

}  // namespace

MasterKey::MasterKey(crypto::LockedSecret kek, std::string id)
    : kek_(std::move(kek)), id_(std::move(id)) {}

MasterKey MasterKey::fromMaterial(SecretString ikm) {
  if (ikm.size() < kMinMasterKeyChars) {
    throw std::invalid_argument("master key material must be at least " +
                                std::to_string(kMinMasterKeyChars) + " characters");
  }
  crypto::LockedSecret kek = derive(ikm, "kek");
  const crypto::Sha256Digest fingerprint = crypto::hmacSha256(kek.view(), "gatehouse/kek-id");
  std::array<char, 64> hex{};
  std::string id(crypto::toHex(fingerprint, hex).substr(0, 16));
  return MasterKey(std::move(kek), std::move(id));
}

MasterKeySource loadMasterKeys(const std::string& data_dir, bool production,
                               crypto::RandomSource& random) {
  std::optional<SecretString> current =
      materialFromEnvironment("GATEHOUSE_MASTER_KEY", "GATEHOUSE_MASTER_KEY_FILE");
  std::optional<SecretString> previous = materialFromEnvironment(
      "GATEHOUSE_MASTER_KEY_PREVIOUS", "GATEHOUSE_MASTER_KEY_PREVIOUS_FILE");
  std::optional<MasterKey> previous_key;
  if (previous) {
    previous_key = MasterKey::fromMaterial(std::move(*previous));
  }
  if (current) {
    return MasterKeySource{
        MasterKey::fromMaterial(std::move(*current)), std::move(previous_key), false, false, {}};
  }
  if (production) {
    throw std::runtime_error(
        "production mode: GATEHOUSE_MASTER_KEY or GATEHOUSE_MASTER_KEY_FILE is required");
  }
  std::string path = data_dir + "/master.key";
  DevKey dev = loadOrCreateDevKey(path, random);
  return MasterKeySource{MasterKey::fromMaterial(std::move(dev.material)), std::move(previous_key),
                         true, dev.generated, std::move(path)};
}

MasterKey loadMasterKeyFile(const std::string& path) {
  return MasterKey::fromMaterial(readKeyFile(path, "master key file"));
}

}  // namespace gatehouse::keyring
