#include <gatehouse/keyring/keyring.h>

#include <gatehouse/crypto/aead.h>
#include <gatehouse/crypto/encoding.h>
#include <gatehouse/crypto/hkdf.h>
#include <gatehouse/store/database.h>

#include <array>
#include <set>
#include <stdexcept>
#include <vector>

namespace gatehouse::keyring {
namespace {

constexpr std::size_t kDataKeyBytes = 32;
// The instance's own data key (for keys such as the audit chain's). Not an id the tenancy
// layer can produce, so no organisation can be given it or delete it.
constexpr std::string_view kInstanceKeyId = "@instance";

// "<purpose>|<first>|<second>". Organisation and key ids are generated and hold no '|'.
std::string contextAad(std::string_view purpose, std::string_view first, std::string_view second) {
  std::string aad(purpose);
  aad += '|';
  aad += first;
  aad += '|';
  aad += second;
  return aad;
}

// The wrap is bound to the organisation and the master key: a wrapped key copied to another
// organisation's row, or relabelled with another kek_id, does not unwrap.
std::string wrapAad(std::string_view org_id, std::string_view kek_id) {
  return contextAad("gatehouse/dek/v1", org_id, kek_id);
}

// Data sealed under a DEK is also bound to the organisation id, with a version prefix so a
// future format can be told apart. Within one organisation the prefix is fixed, so the caller's
// aad is still bound exactly.
std::string dataAad(std::string_view org_id, std::string_view aad) {
  return contextAad("gatehouse/data/v1", org_id, aad);
}

// The previous KEK handed over to the next one by a rotation.
std::string handoverAad(std::string_view from_id, std::string_view to_id) {
  return contextAad("gatehouse/kek-handover/v1", from_id, to_id);
}

std::string quoted(std::string_view org_id) {
  return "'" + std::string(org_id) + "'";
}

Error internal(std::string message) {
  return makeError(ErrorCode::kInternal, std::move(message));
}

struct WrappedRow {
  std::string org_id;
  std::string wrapped;
  std::string kek_id;
};

Result<std::vector<WrappedRow>> allRows(store::Database& db) {
  auto statement = db.prepare("SELECT org_id, wrapped, kek_id FROM data_keys ORDER BY org_id");
  return store::collectRows<WrappedRow>(statement, [](const store::Statement& row) {
    return WrappedRow{row.columnText(0), row.columnBlob(1), row.columnText(2)};
  });
}

void enableSecureDelete(store::Database& db) {
  // Deleted and overwritten rows are zeroed on disk, so a destroyed data key is not left in a
  // free page.
  if (auto r = db.exec("PRAGMA secure_delete=ON"); !r) {
    throw std::runtime_error("keyring: cannot enable secure_delete: " + r.error().message);
  }
}

}  // namespace

std::string keyringPath(const std::string& data_dir) {
  return data_dir + "/keyring.db";
}

std::unique_ptr<store::Database> openKeyringDatabase(const std::string& data_dir) {
  auto db = store::Database::open(keyringPath(data_dir), keyringMigrations());
  enableSecureDelete(*db);
  return db;
}

Keyring::Keyring(std::unique_ptr<store::Database> db, MasterKey current,
                 std::optional<MasterKey> previous, crypto::RandomSource& random,
                 const Clock& clock)
    : db_(std::move(db)),
      current_(std::move(current)),
      previous_(std::move(previous)),
      random_(random),
      clock_(clock) {
  // Set here as well as in openKeyringDatabase: the guarantee must not depend on how the
  // connection was opened.
  enableSecureDelete(*db_);
  loadHandover();
}

void Keyring::loadHandover() {
  // A rotation to this master key left the previous KEK sealed under it, so data keys that
  // servers still running with the previous key wrapped during the rotation window stay
  // readable here (and rewrapToCurrent() moves them under this key).
  auto select = db_->prepare(
      "SELECT (SELECT value FROM keyring_meta WHERE name = 'handover_to'), "
      "(SELECT value FROM keyring_meta WHERE name = 'handover_from'), "
      "(SELECT value FROM keyring_meta WHERE name = 'handover_kek')");
  if (!select) {
    throw std::runtime_error("keyring: " + select.error().message);
  }
  auto row = select->step();
  if (!row || !*row || select->columnIsNull(0) || select->columnText(0) != current_.id()) {
    return;
  }
  const std::string from = select->columnText(1);
  const auto sealed = crypto::fromHex(select->columnText(2));
  auto kek =
      crypto::aes256GcmOpen(current_.kek(), sealed.value_or(""), handoverAad(from, current_.id()));
  if (!kek) {
    throw std::runtime_error("keyring: the rotation hand-over record does not open");
  }
  handed_over_.emplace(HandedOver{from, crypto::LockedSecret(kek->reveal())});
}

Keyring::~Keyring() = default;

std::optional<std::string_view> Keyring::heldKek(std::string_view kek_id) const {
  if (current_.id() == kek_id) {
    return current_.kek();
  }
  if (previous_ && previous_->id() == kek_id) {
    return previous_->kek();
  }
  if (handed_over_ && handed_over_->id == kek_id) {
    return handed_over_->kek.view();
  }
  return std::nullopt;
}

Result<SecretString> Keyring::unwrap(std::string_view org_id, std::string_view wrapped,
                                     std::string_view kek_id) const {
  const auto kek = heldKek(kek_id);
  if (!kek) {
    return internal("data key for organisation " + quoted(org_id) +
                    " is wrapped by an unknown master key");
  }
  auto dek = crypto::aes256GcmOpen(*kek, wrapped, wrapAad(org_id, kek_id));
  if (!dek || dek->size() != kDataKeyBytes) {
    return internal("data key for organisation " + quoted(org_id) +
                    " does not unwrap: the keyring entry is corrupt or was altered");
  }
  return dek;
}

Result<Keyring::CachedKey> Keyring::dataKey(std::string_view org_id) {
  std::lock_guard lock(mutex_);
  if (auto it = cache_.find(org_id); it != cache_.end()) {
    return it->second;
  }
  return loadIntoCache(org_id);
}

Result<void> Keyring::createDataKey(std::string_view org_id) {
  if (org_id.empty()) {
    return makeError(ErrorCode::kInvalidRequest, "organisation id must not be empty");
  }
  std::lock_guard lock(mutex_);
  {
    // Scoped so the read statement is finished before the insert below.
    auto existing = db_->prepare("SELECT 1 FROM data_keys WHERE org_id = ?");
    if (!existing) {
      return existing.takeError();
    }
    existing->bind(1, org_id);
    auto found = existing->step();
    if (!found) {
      return found.takeError();
    }
    if (*found) {
      return {};
    }
  }
  std::array<std::uint8_t, kDataKeyBytes> dek{};
  random_.fill(dek);
  const std::string kek_id = current_.id();
  auto wrapped =
      crypto::aes256GcmSeal(current_.kek(), {reinterpret_cast<const char*>(dek.data()), dek.size()},
                            wrapAad(org_id, kek_id), random_);
  secureWipe(dek.data(), dek.size());
  if (!wrapped) {
    return wrapped.takeError();
  }
  // DO NOTHING: if another process created the key since the check above, theirs stands. The
  // new key is not cached; the first seal or open reads back whichever key won.
  auto insert = db_->prepare(
      "INSERT INTO data_keys (org_id, wrapped, kek_id, created_at) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (org_id) DO NOTHING");
  if (!insert) {
    return insert.takeError();
  }
  insert->bind(1, org_id).bindBlob(2, *wrapped).bind(3, kek_id).bind(4, clock_.nowMillis());
  if (auto r = insert->run(); !r) {
    return r;
  }
  if (auto r = bumpGeneration(); !r) {
    return r;
  }
  // Cached at once, so a rotation by another process right after this cannot leave this
  // process without it. Read back: if another process won the race, its key is the one.
  auto cached = loadIntoCache(org_id);
  if (!cached) {
    return cached.takeError();
  }
  return {};
}

Result<Keyring::CachedKey> Keyring::loadIntoCache(std::string_view org_id) {
  auto statement = db_->prepare("SELECT wrapped, kek_id FROM data_keys WHERE org_id = ?");
  if (!statement) {
    return statement.takeError();
  }
  statement->bind(1, org_id);
  auto found = statement->step();
  if (!found) {
    return found.takeError();
  }
  if (!*found) {
    return internal("organisation " + quoted(org_id) +
                    " has no data key (never created, or destroyed)");
  }
  auto dek = unwrap(org_id, statement->columnBlob(0), statement->columnText(1));
  if (!dek) {
    return dek.takeError();
  }
  auto cached = std::make_shared<const crypto::LockedSecret>(dek->reveal());
  cache_.insert_or_assign(std::string(org_id), cached);
  return cached;
}

Result<void> Keyring::bumpGeneration() {
  return db_->exec(
      "INSERT INTO keyring_meta (name, value) VALUES ('generation', '1') "
      "ON CONFLICT (name) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)");
}

Result<std::string> Keyring::generation() {
  auto select = db_->prepare("SELECT value FROM keyring_meta WHERE name = 'generation'");
  if (!select) {
    return select.takeError();
  }
  auto row = select->step();
  if (!row) {
    return row.takeError();
  }
  return *row ? select->columnText(0) : std::string("0");
}

Result<bool> Keyring::destroyDataKey(std::string_view org_id) {
  std::lock_guard lock(mutex_);
  auto remove = db_->prepare("DELETE FROM data_keys WHERE org_id = ?");
  if (!remove) {
    return remove.takeError();
  }
  remove->bind(1, org_id);
  if (auto r = remove->run(); !r) {
    return r.takeError();
  }
  const bool existed = db_->changes() > 0;
  if (existed) {
    if (auto r = bumpGeneration(); !r) {
      return r.takeError();
    }
  }
  // Dropping the shared pointer frees the locked copy once no seal or open still uses it.
  if (auto it = cache_.find(org_id); it != cache_.end()) {
    cache_.erase(it);
  }
  // secure_delete zeroed the row in the page the delete wrote, but the write-ahead log still
  // holds the earlier page images: copy the log back and truncate it to nothing.
  auto checkpoint = db_->prepare("PRAGMA wal_checkpoint(TRUNCATE)");
  if (!checkpoint) {
    return checkpoint.takeError();
  }
  auto row = checkpoint->step();
  if (!row) {
    return row.takeError();
  }
  if (*row && checkpoint->columnInt(0) != 0) {
    return internal("data key for organisation " + quoted(org_id) +
                    " was deleted, but the keyring log could not be truncated while another "
                    "connection reads it; retry to purge it");
  }
  return existed;
}

Result<std::string> Keyring::seal(std::string_view org_id, std::string_view plaintext,
                                  std::string_view aad) {
  auto key = dataKey(org_id);
  if (!key) {
    return key.takeError();
  }
  return crypto::aes256GcmSeal((*key)->view(), plaintext, dataAad(org_id, aad), random_);
}

Result<SecretString> Keyring::open(std::string_view org_id, std::string_view sealed,
                                   std::string_view aad) {
  auto key = dataKey(org_id);
  if (!key) {
    return key.takeError();
  }
  return crypto::aes256GcmOpen((*key)->view(), sealed, dataAad(org_id, aad));
}

Result<Keyring::RewrapReport> Keyring::rewrapToCurrent() {
  return rewrapAll(current_);
}

Result<Keyring::RewrapReport> Keyring::rewrapAll(const MasterKey& target) {
  std::lock_guard lock(mutex_);
  // BEGIN IMMEDIATE: no other process can add or rewrap a key between the read and the writes.
  if (auto r = db_->begin(); !r) {
    return r.takeError();
  }
  auto fail = [this](Error error) -> Result<RewrapReport> {
    (void)db_->rollback();
    return error;
  };
  auto rows = allRows(*db_);
  if (!rows) {
    return fail(rows.takeError());
  }
  auto update =
      db_->prepare("UPDATE data_keys SET wrapped = ?, kek_id = ?, rotated_at = ? WHERE org_id = ?");
  if (!update) {
    return fail(update.takeError());
  }
  const std::string target_id = target.id();
  const std::int64_t now = clock_.nowMillis();
  RewrapReport report;
  for (const WrappedRow& row : *rows) {
    if (row.kek_id == target_id) {
      ++report.already_current;
      continue;
    }
    auto dek = unwrap(row.org_id, row.wrapped, row.kek_id);
    if (!dek) {
      return fail(dek.takeError());
    }
    auto wrapped =
        crypto::aes256GcmSeal(target.kek(), dek->reveal(), wrapAad(row.org_id, target_id), random_);
    if (!wrapped) {
      return fail(wrapped.takeError());
    }
    update->bindBlob(1, *wrapped).bind(2, target_id).bind(3, now).bind(4, row.org_id);
    if (auto r = update->run(); !r) {
      return fail(r.takeError());
    }
    ++report.rewrapped;
  }
  if (report.rewrapped == 0 && target_id == current_.id()) {
    // Nothing moved (start-up with no stragglers): no write, no lock held longer.
    (void)db_->rollback();
    return report;
  }
  if (auto r = bumpGeneration(); !r) {
    return fail(r.takeError());
  }
  // Which master key the keyring was last rotated to (a non-secret id, for operators), and
  // the hand-over: this key's KEK sealed under the target's, for data keys that servers still
  // running with this key wrap before they restart with the target.
  std::vector<std::pair<std::string, std::string>> meta_rows = {{"kek_id", target_id}};
  if (target_id != current_.id()) {
    auto handover = crypto::aes256GcmSeal(target.kek(), current_.kek(),
                                          handoverAad(current_.id(), target_id), random_);
    if (!handover) {
      return fail(handover.takeError());
    }
    meta_rows.emplace_back("handover_to", target_id);
    meta_rows.emplace_back("handover_from", current_.id());
    meta_rows.emplace_back("handover_kek", crypto::toHex(*handover));
  }
  auto meta = db_->prepare(
      "INSERT INTO keyring_meta (name, value) VALUES (?1, ?2) "
      "ON CONFLICT (name) DO UPDATE SET value = excluded.value");
  if (!meta) {
    return fail(meta.takeError());
  }
  for (const auto& [name, value] : meta_rows) {
    meta->bind(1, name).bind(2, value);
    if (auto r = meta->run(); !r) {
      return fail(r.takeError());
    }
  }
  if (auto r = db_->commit(); !r) {
    return fail(r.takeError());
  }
  return report;
}

Result<std::size_t> Keyring::verifyAll() {
  std::lock_guard lock(mutex_);
  auto rows = allRows(*db_);
  if (!rows) {
    return rows.takeError();
  }
  for (const WrappedRow& row : *rows) {
    auto dek = unwrap(row.org_id, row.wrapped, row.kek_id);
    if (!dek) {
      return dek.takeError();
    }
    // Warm the cache: a server that has every data key unwrapped keeps serving while another
    // process re-wraps them under a master key this server does not hold yet.
    if (!cache_.contains(row.org_id)) {
      cache_.emplace(row.org_id, std::make_shared<const crypto::LockedSecret>(dek->reveal()));
    }
  }
  return rows->size();
}

Result<Keyring::SyncReport> Keyring::sync() {
  std::lock_guard lock(mutex_);
  // Every create, destroy and re-wrap moves the generation: an unchanged one means nothing
  // to do, so the poll is one row read however many organisations there are.
  auto current = generation();
  if (!current) {
    return current.takeError();
  }
  if (*current == seen_generation_) {
    return SyncReport{};
  }
  auto rows = allRows(*db_);
  if (!rows) {
    return rows.takeError();
  }
  SyncReport report;
  std::set<std::string, std::less<>> present;
  for (const WrappedRow& row : *rows) {
    present.insert(row.org_id);
    if (cache_.contains(row.org_id)) {
      continue;
    }
    // Created by another process: cache it now, while this process can still unwrap it.
    if (auto dek = unwrap(row.org_id, row.wrapped, row.kek_id); dek) {
      cache_.emplace(row.org_id, std::make_shared<const crypto::LockedSecret>(dek->reveal()));
      ++report.cached;
    }
  }
  for (auto it = cache_.begin(); it != cache_.end();) {
    if (present.contains(it->first)) {
      ++it;
    } else {
      it = cache_.erase(it);
      ++report.forgotten;
    }
  }
  seen_generation_ = std::move(*current);
  return report;
}

Result<SecretString> Keyring::instanceKey(std::string_view purpose) {
  if (auto r = createDataKey(kInstanceKeyId); !r) {
    return r.takeError();
  }
  auto key = dataKey(kInstanceKeyId);
  if (!key) {
    return key.takeError();
  }
  return crypto::hkdfSha256((*key)->view(), "gatehouse/instance-key/v1", purpose, 32);
}

}  // namespace gatehouse::keyring
