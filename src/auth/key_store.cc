#include <gatehouse/auth/key_store.h>
#include <gatehouse/crypto/hmac.h>

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

std::string digestBytes(const crypto::Sha256Digest& digest) {
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

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

Result<void> KeyRepository::bumpChangeCounter() {
  return db_.exec("UPDATE change_counters SET value = value + 1 WHERE name = 'api_keys'");
}

Result<KeyRecord> KeyRepository::create(std::string_view name, const GeneratedKey& generated,
                                        std::int64_t now_ms) {
  if (auto r = db_.begin(); !r) {
    return r.takeError();
  }
  auto insert =
      db_.prepare("INSERT INTO api_keys (id, name, key_hash, created_at) VALUES (?1, ?2, ?3, ?4)");
  if (!insert) {
    (void)db_.rollback();
    return insert.takeError();
  }
  insert->bind(1, generated.id)
      .bind(2, name)
      .bindBlob(3, digestBytes(generated.hash))
      .bind(4, now_ms);
  auto inserted = insert->run();
  if (inserted) {
    inserted = bumpChangeCounter();
  }
  if (!inserted) {
    (void)db_.rollback();
    return inserted.takeError();
  }
  if (auto r = db_.commit(); !r) {
    return r.takeError();
  }
  return KeyRecord{generated.id, std::string(name), now_ms, std::nullopt};
}

Result<std::vector<KeyRecord>> KeyRepository::list() {
  auto select =
      db_.prepare("SELECT id, name, created_at, revoked_at FROM api_keys ORDER BY created_at, id");
  if (!select) {
    return select.takeError();
  }
  std::vector<KeyRecord> records;
  for (;;) {
    auto row = select->step();
    if (!row) {
      return row.takeError();
    }
    if (!*row) {
      break;
    }
    KeyRecord record{select->columnText(0), select->columnText(1), select->columnInt(2),
                     std::nullopt};
    if (!select->columnIsNull(3)) {
      record.revoked_at = select->columnInt(3);
    }
    records.push_back(std::move(record));
  }
  return records;
}

Result<bool> KeyRepository::revoke(std::string_view id, std::int64_t now_ms) {
  if (auto r = db_.begin(); !r) {
    return r.takeError();
  }
  auto update =
      db_.prepare("UPDATE api_keys SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL");
  if (!update) {
    (void)db_.rollback();
    return update.takeError();
  }
  update->bind(1, now_ms).bind(2, id);
  auto updated = update->run();
  if (!updated) {
    (void)db_.rollback();
    return updated.takeError();
  }
  auto changes = db_.prepare("SELECT changes()");
  const bool revoked = changes && changes->step().ok() && changes->columnInt(0) > 0;
  if (revoked) {
    if (auto r = bumpChangeCounter(); !r) {
      (void)db_.rollback();
      return r.takeError();
    }
  }
  if (auto r = db_.commit(); !r) {
    return r.takeError();
  }
  return revoked;
}

Result<std::int64_t> KeyRepository::changeCounter() {
  auto select = db_.prepare("SELECT value FROM change_counters WHERE name = 'api_keys'");
  if (!select) {
    return select.takeError();
  }
  auto row = select->step();
  if (!row) {
    return row.takeError();
  }
  return *row ? select->columnInt(0) : 0;
}

Result<std::vector<KeyRepository::HashedKey>> KeyRepository::activeKeys() {
  auto select = db_.prepare("SELECT id, key_hash FROM api_keys WHERE revoked_at IS NULL");
  if (!select) {
    return select.takeError();
  }
  std::vector<HashedKey> keys;
  for (;;) {
    auto row = select->step();
    if (!row) {
      return row.takeError();
    }
    if (!*row) {
      break;
    }
    HashedKey key;
    key.id = select->columnText(0);
    const std::string hash = select->columnBlob(1);
    if (hash.size() != key.hash.size()) {
      continue;  // A corrupt row can never match; skipping it fails closed.
    }
    std::copy(hash.begin(), hash.end(), key.hash.begin());
    keys.push_back(std::move(key));
  }
  return keys;
}

KeyVerifier::KeyVerifier(std::unique_ptr<store::Database> db, SecretString pepper)
    : db_(std::move(db)),
      repository_(*db_),
      pepper_(std::move(pepper)),
      keys_(std::make_shared<const KeyMap>()) {}

std::variant<std::string, KeyRejection> KeyVerifier::verify(std::string_view presented) const {
  if (presented.empty()) {
    return KeyRejection::kMissing;
  }
  const auto id = parseCallerKey(presented);
  if (!id) {
    return KeyRejection::kMalformed;
  }
  const std::shared_ptr<const KeyMap> keys = keys_.load(std::memory_order_acquire);
  const auto it = keys->find(std::string(*id));
  // Compute the HMAC even for an unknown id so the response time does not reveal whether
  // the id exists.
  static const crypto::Sha256Digest kNoSuchKey{};
  const crypto::Sha256Digest& expected = it == keys->end() ? kNoSuchKey : it->second;
  const crypto::Sha256Digest actual = hashCallerKey(pepper_, presented);
  const bool match = constantTimeEquals(
      std::string_view(reinterpret_cast<const char*>(expected.data()), expected.size()),
      std::string_view(reinterpret_cast<const char*>(actual.data()), actual.size()));
  if (it == keys->end()) {
    return KeyRejection::kUnknownOrRevoked;
  }
  if (!match) {
    return KeyRejection::kWrongSecret;
  }
  return std::string(*id);
}

Result<void> KeyVerifier::refresh() {
  auto counter = repository_.changeCounter();
  if (!counter) {
    return counter.takeError();
  }
  if (*counter == seen_counter_) {
    return {};
  }
  auto active = repository_.activeKeys();
  if (!active) {
    return active.takeError();
  }
  auto keys = std::make_shared<KeyMap>();
  for (auto& key : *active) {
    keys->emplace(std::move(key.id), key.hash);
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
