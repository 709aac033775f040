#include <gatehouse/auth/key_store.h>
#include <gatehouse/crypto/hmac.h>
#include <gatehouse/store/database.h>
#include <gatehouse/tenancy/tenant_store.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace gatehouse::auth {
namespace {

// Trailing whitespace from a secrets file (a final newline) is not part of the secret.
std::string trimRight(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

std::string readFileOrThrow(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + path);
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return trimRight(buffer.str());
}

}  // namespace

bool CallerIdentity::allowsModel(std::string_view model) const {
  if (scopes.empty()) {
    return true;
  }
  for (const auto& scope : scopes) {
    if (scope == model) {
      return true;
    }
  }
  return false;
}

KeyVerifier::KeyVerifier(std::unique_ptr<store::Database> db, SecretString pepper,
                         const Clock& clock)
    : db_(std::move(db)),
      pepper_(pepper.reveal()),
      clock_(clock),
      keys_(std::make_shared<const KeyMap>()) {}

KeyVerifier::~KeyVerifier() = default;

KeyVerifier::Verdict KeyVerifier::verify(std::string_view presented) const {
  if (presented.empty()) {
    return KeyRejection::kMissing;
  }
  const auto id = parseCallerKey(presented);
  if (!id) {
    return KeyRejection::kMalformed;
  }
  const std::shared_ptr<const KeyMap> keys = keys_.load(std::memory_order_acquire);
  const auto it = keys->find(*id);
  // Compute the HMAC even for an unknown id so the response time does not reveal whether
  // the id exists.
  static const crypto::Sha256Digest kNoSuchKey{};
  const crypto::Sha256Digest& expected = it == keys->end() ? kNoSuchKey : it->second.hash;
  const crypto::Sha256Digest actual = pepper_.mac(presented);
  const bool match = constantTimeEquals(
      std::string_view(reinterpret_cast<const char*>(expected.data()), expected.size()),
      std::string_view(reinterpret_cast<const char*>(actual.data()), actual.size()));
  if (it == keys->end()) {
    return KeyRejection::kUnknownOrRevoked;
  }
  if (!match) {
    return KeyRejection::kWrongSecret;
  }
  const auto& identity = it->second.identity;
  if (identity->expires_at && clock_.nowMillis() >= *identity->expires_at) {
    return KeyRejection::kExpired;
  }
  return identity;
}

Result<void> KeyVerifier::refresh() {
  tenancy::TenantStore store(*db_);
  auto counter = store.changeCounter("caller_keys");
  if (!counter) {
    return counter.takeError();
  }
  if (*counter == seen_counter_) {
    return {};
  }
  // The verifier authenticates before any tenant is known, so it reads every organisation's
  // keys; what it hands out is scoped by the key's own organisation.
  auto active = store.activeCallerKeys(tenancy::ScopeGrant::instance());
  if (!active) {
    return active.takeError();
  }
  auto keys = std::make_shared<KeyMap>();
  for (auto& key : *active) {
    Entry entry;
    if (key.hash.size() != entry.hash.size()) {
      continue;  // A corrupt row can never match; skipping it fails closed.
    }
    std::copy(key.hash.begin(), key.hash.end(), entry.hash.begin());
    auto identity = std::make_shared<CallerIdentity>();
    identity->key_id = key.id;
    identity->org_id = std::move(key.org_id);
    identity->project_id = std::move(key.project_id);
    identity->scopes = std::move(key.scopes);
    identity->expires_at = key.expires_at;
    entry.identity = std::move(identity);
    keys->emplace(std::move(key.id), std::move(entry));
  }
  keys_.store(std::move(keys), std::memory_order_release);
  seen_counter_ = *counter;
  return {};
}

SecretString loadPepper(const std::string& data_dir, crypto::RandomSource& random) {
  if (const char* value = std::getenv("GATEHOUSE_PEPPER"); value && *value) {
    return SecretString(value);
  }
  if (const char* file = std::getenv("GATEHOUSE_PEPPER_FILE"); file && *file) {
    return SecretString(readFileOrThrow(file));
  }
  const std::string path = data_dir + "/pepper";
  if (::access(path.c_str(), F_OK) == 0) {
    return SecretString(readFileOrThrow(path));
  }
  std::array<std::uint8_t, 32> bytes{};
  random.fill(bytes);
  std::array<char, 64> hex{};
  crypto::Sha256Digest as_digest{};
  std::copy(bytes.begin(), bytes.end(), as_digest.begin());
  SecretString pepper(std::string(crypto::toHex(as_digest, hex)));
  secureWipe(bytes.data(), bytes.size());
  secureWipe(as_digest.data(), as_digest.size());
  secureWipe(hex.data(), hex.size());
  // O_EXCL: two processes racing to create it cannot both win with different peppers.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return SecretString(readFileOrThrow(path));
    }
    throw std::runtime_error("cannot create " + path);
  }
  const std::string_view text = pepper.reveal();
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!written || !synced) {
    throw std::runtime_error("cannot write " + path);
  }
  return pepper;
}

}  // namespace gatehouse::auth
