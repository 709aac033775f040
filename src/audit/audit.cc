#include <gatehouse/audit/audit.h>
#include <gatehouse/crypto/encoding.h>

#include <gatehouse/common/clock.h>
#include <gatehouse/common/csv.h>
#include <gatehouse/common/json_escape.h>
#include <gatehouse/crypto/hmac.h>
#include <gatehouse/crypto/sha256.h>
#include <gatehouse/store/database.h>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <array>
#include <limits>
#include <ostream>

namespace gatehouse::audit {
namespace {

// Domain-separation tags: each hash or MAC input starts with one, so no input of one kind can
// be replayed as another, and a change of encoding gets a new version.
constexpr std::string_view kEntryTag = "gatehouse/audit/entry/v1";
constexpr std::string_view kHeadTag = "gatehouse/audit/head/v1";
constexpr std::string_view kCheckpointTag = "gatehouse/audit/checkpoint/v1";
constexpr std::string_view kGenesisPrefix = "gatehouse/audit/genesis|";
constexpr std::string_view kRetentionAction = "audit.retention";
constexpr std::int64_t kDefaultRetentionDays = 365;
constexpr std::int64_t kMillisPerDay = 24LL * 60 * 60 * 1000;
constexpr std::size_t kHashSize = 32;

// ---- Canonical encoding -------------------------------------------------------------------
// Every field is a big-endian 64-bit length followed by its bytes and every integer is 8
// big-endian bytes, so no two different tuples encode to the same string.

void appendU64(std::string& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xFF));
  }
}

void appendField(std::string& out, std::string_view bytes) {
  appendU64(out, bytes.size());
  out += bytes;
}

void appendInt(std::string& out, std::int64_t value) {
  appendU64(out, static_cast<std::uint64_t>(value));
}

std::string digestBytes(const crypto::Sha256Digest& digest) {
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

std::string sha256Bytes(std::string_view data) {
  return digestBytes(crypto::sha256(data));
}

std::string genesisHash(std::string_view chain) {
  std::string input(kGenesisPrefix);
  input += chain;
  return sha256Bytes(input);
}

// What an entry's hash covers: everything stored except its row id and its own hash.
struct EntryFields {
  std::string_view chain;
  std::int64_t seq = 0;
  std::int64_t created_at = 0;
  std::string_view actor;
  std::string_view action;
  std::string_view target;
  std::string_view outcome;
  std::string_view source_ip;
  std::string_view request_id;
  std::string_view detail;
  std::string_view prev_hash;
};

std::string entryHash(const EntryFields& e) {
  std::string input;
  input.reserve(256 + e.detail.size());
  appendField(input, kEntryTag);
  appendField(input, e.chain);
  appendInt(input, e.seq);
  appendInt(input, e.created_at);
  appendField(input, e.actor);
  appendField(input, e.action);
  appendField(input, e.target);
  appendField(input, e.outcome);
  appendField(input, e.source_ip);
  appendField(input, e.request_id);
  appendField(input, e.detail);
  appendField(input, e.prev_hash);
  return sha256Bytes(input);
}

std::string headMac(std::string_view key, std::string_view chain, std::int64_t seq,
                    std::string_view hash) {
  std::string input;
  appendField(input, kHeadTag);
  appendField(input, chain);
  appendInt(input, seq);
  appendField(input, hash);
  return digestBytes(crypto::hmacSha256(key, input));
}

std::string checkpointMac(std::string_view key, std::string_view chain, std::int64_t through_seq,
                          std::string_view through_hash, std::int64_t created_at) {
  std::string input;
  appendField(input, kCheckpointTag);
  appendField(input, chain);
  appendInt(input, through_seq);
  appendField(input, through_hash);
  appendInt(input, created_at);
  return digestBytes(crypto::hmacSha256(key, input));
}

// ---- Small database helpers ---------------------------------------------------------------

// A savepoint inside the caller's transaction, rolled back unless released.
class Savepoint {
 public:
  explicit Savepoint(store::Database& db) : db_(db) {}
  Savepoint(const Savepoint&) = delete;
  Savepoint& operator=(const Savepoint&) = delete;
  ~Savepoint() {
    if (active_) {
      (void)db_.exec("ROLLBACK TO audit_append");
      (void)db_.exec("RELEASE audit_append");
    }
  }
  Result<void> begin() {
    auto r = db_.exec("SAVEPOINT audit_append");
    active_ = r.ok();
    return r;
  }
  Result<void> release() {
    auto r = db_.exec("RELEASE audit_append");
    active_ = !r.ok();
    return r;
  }

 private:
  store::Database& db_;
  bool active_ = false;
};

struct Head {
  std::int64_t seq = 0;
  std::string hash;
  std::string mac;
};

struct Checkpoint {
  std::int64_t through_seq = 0;
  std::string through_hash;
  std::int64_t created_at = 0;
  std::string mac;
};

Result<std::optional<Head>> readHead(store::Database& db, std::string_view chain) {
  auto select = db.prepare("SELECT seq, hash, mac FROM audit_heads WHERE chain = ?1");
  if (select) {
    select->bind(1, chain);
  }
  return store::firstRow<Head>(select, [](const store::Statement& row) {
    return Head{row.columnInt(0), row.columnBlob(1), row.columnBlob(2)};
  });
}

Result<std::optional<Checkpoint>> readCheckpoint(store::Database& db, std::string_view chain) {
  auto select = db.prepare(
      "SELECT through_seq, through_hash, created_at, mac FROM audit_checkpoints WHERE chain = ?1");
  if (select) {
    select->bind(1, chain);
  }
  return store::firstRow<Checkpoint>(select, [](const store::Statement& row) {
    return Checkpoint{row.columnInt(0), row.columnBlob(1), row.columnInt(2), row.columnBlob(3)};
  });
}

// Every chain that has entries, a head or a checkpoint, in a fixed (binary) order.
Result<std::vector<std::string>> allChains(store::Database& db) {
  auto select = db.prepare(
      "SELECT chain FROM audit_log UNION SELECT chain FROM audit_heads "
      "UNION SELECT chain FROM audit_checkpoints ORDER BY 1");
  if (!select) {
    return select.takeError();
  }
  std::vector<std::string> chains;
  for (;;) {
    auto row = select->step();
    if (!row) {
      return row.takeError();
    }
    if (!*row) {
      return chains;
    }
    chains.push_back(select->columnText(0));
  }
}

Result<std::int64_t> upsertHead(store::Database& db, std::string_view key, std::string_view chain,
                                std::int64_t seq, std::string_view hash) {
  auto upsert = db.prepare(
      "INSERT INTO audit_heads (chain, seq, hash, mac) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, "
      "mac = excluded.mac");
  if (!upsert) {
    return upsert.takeError();
  }
  upsert->bind(1, chain).bind(2, seq).bindBlob(3, hash).bindBlob(4, headMac(key, chain, seq, hash));
  if (auto r = upsert->run(); !r) {
    return r.takeError();
  }
  return seq;
}

// ---- Verification of one chain ------------------------------------------------------------

struct ChainResult {
  bool ok = true;
  std::size_t entries = 0;
  std::int64_t bad_seq = 0;
  std::int64_t bad_id = 0;
  std::string problem;
  // Valid when ok: the verified head (and so the chain's last entry).
  std::int64_t head_seq = 0;
  // The chain's verified start: the checkpoint's through_seq, or 0.
  std::int64_t start_seq = 0;
};

ChainResult failed(std::size_t entries, std::int64_t seq, std::int64_t id, std::string problem) {
  ChainResult result;
  result.ok = false;
  result.entries = entries;
  result.bad_seq = seq;
  result.bad_id = id;
  result.problem = std::move(problem);
  return result;
}

constexpr std::string_view kSelectEntry =
    "SELECT id, chain, seq, created_at, actor, action, target, outcome, source_ip, request_id, "
    "detail, prev_hash, hash FROM audit_log";

// An entry as read, with its hashes as stored (raw bytes).
struct StoredEntry {
  AuditEntry entry;
  std::string prev_hash;
  std::string hash;
};

StoredEntry readEntry(const store::Statement& row) {
  StoredEntry stored;
  AuditEntry& entry = stored.entry;
  entry.id = row.columnInt(0);
  entry.event.org_id = row.columnText(1);
  entry.seq = row.columnInt(2);
  entry.created_at = row.columnInt(3);
  entry.event.actor = row.columnText(4);
  entry.event.action = row.columnText(5);
  entry.event.target = row.columnText(6);
  entry.event.outcome = row.columnText(7);
  entry.event.source_ip = row.columnText(8);
  entry.event.request_id = row.columnText(9);
  entry.event.detail = row.columnText(10);
  stored.prev_hash = row.columnBlob(11);
  stored.hash = row.columnBlob(12);
  entry.prev_hash_hex = crypto::toHex(stored.prev_hash);
  entry.hash_hex = crypto::toHex(stored.hash);
  return stored;
}

std::string computeHash(const AuditEntry& entry, std::string_view prev_hash) {
  return entryHash(EntryFields{entry.event.org_id, entry.seq, entry.created_at, entry.event.actor,
                               entry.event.action, entry.event.target, entry.event.outcome,
                               entry.event.source_ip, entry.event.request_id, entry.event.detail,
                               prev_hash});
}

// Walks the chain in row-id order (the order entries were appended in), so a swapped seq shows
// as an order problem rather than as a modification. Must run inside a transaction.
Result<ChainResult> verifyChain(store::Database& db, std::string_view key, std::string_view chain) {
  auto checkpoint = readCheckpoint(db, chain);
  if (!checkpoint) {
    return checkpoint.takeError();
  }
  auto head = readHead(db, chain);
  if (!head) {
    return head.takeError();
  }
  std::int64_t start_seq = 0;
  std::string prev_hash = genesisHash(chain);
  if (*checkpoint) {
    const Checkpoint& c = **checkpoint;
    if (!constantTimeEquals(
            c.mac, checkpointMac(key, chain, c.through_seq, c.through_hash, c.created_at))) {
      return failed(0, 0, 0, "checkpoint MAC invalid");
    }
    start_seq = c.through_seq;
    prev_hash = c.through_hash;
  }

  auto select = db.prepare(std::string(kSelectEntry) + " WHERE chain = ?1 ORDER BY id");
  if (!select) {
    return select.takeError();
  }
  select->bind(1, chain);
  auto exists = db.prepare("SELECT 1 FROM audit_log WHERE chain = ?1 AND seq = ?2");
  if (!exists) {
    return exists.takeError();
  }
  std::int64_t expected = start_seq + 1;
  std::size_t entries = 0;
  for (;;) {
    auto row = select->step();
    if (!row) {
      return row.takeError();
    }
    if (!*row) {
      break;
    }
    const StoredEntry stored = readEntry(*select);
    const AuditEntry& entry = stored.entry;
    const std::string seq_text = std::to_string(entry.seq);
    if (entry.seq > expected) {
      exists->bind(1, chain).bind(2, expected);
      auto later = exists->step();
      exists->reset();
      if (!later) {
        return later.takeError();
      }
      if (*later) {
        return failed(entries, entry.seq, entry.id, "entries out of order at " + seq_text);
      }
      return failed(entries, expected, 0, "entry " + std::to_string(expected) + " is missing");
    }
    if (entry.seq < expected) {
      return failed(entries, entry.seq, entry.id, "entries out of order at " + seq_text);
    }
    if (!constantTimeEquals(stored.hash, computeHash(entry, stored.prev_hash))) {
      return failed(entries, entry.seq, entry.id, "entry " + seq_text + " was modified");
    }
    if (!constantTimeEquals(stored.prev_hash, prev_hash)) {
      std::string problem = "entry " + seq_text + " does not link to ";
      problem += entry.seq == start_seq + 1
                     ? std::string(*checkpoint ? "the checkpoint" : "the genesis hash")
                     : "entry " + std::to_string(entry.seq - 1) + " (one of them was modified)";
      return failed(entries, entry.seq, entry.id, std::move(problem));
    }
    prev_hash = stored.hash;
    ++entries;
    ++expected;
  }
  const std::int64_t last_seq = expected - 1;

  if (!*head) {
    if (entries > 0) {
      return failed(entries, 0, 0, "chain has entries but no head");
    }
    return failed(entries, 0, 0, "chain has a checkpoint but no head");
  }
  const Head& h = **head;
  if (!constantTimeEquals(h.mac, headMac(key, chain, h.seq, h.hash))) {
    return failed(entries, 0, 0, "chain head MAC invalid");
  }
  if (entries == 0) {
    return failed(entries, 0, 0, "chain has a head but no entries (entries removed)");
  }
  if (h.seq > last_seq) {
    return failed(entries, 0, 0,
                  "chain head does not match (entries removed or recomputed after seq " +
                      std::to_string(last_seq) + ")");
  }
  if (h.seq < last_seq) {
    return failed(
        entries, 0, 0,
        "chain head does not match (entries added after seq " + std::to_string(h.seq) + ")");
  }
  if (!constantTimeEquals(h.hash, prev_hash)) {
    return failed(entries, 0, 0,
                  "chain head does not match (entries recomputed; the hash at seq " +
                      std::to_string(last_seq) + " differs)");
  }
  ChainResult result;
  result.entries = entries;
  result.head_seq = h.seq;
  result.start_seq = start_seq;
  return result;
}

// Verifies every chain; must run inside a transaction.
Result<VerifyReport> verifyAll(store::Database& db, std::string_view key) {
  auto chains = allChains(db);
  if (!chains) {
    return chains.takeError();
  }
  VerifyReport report;
  for (const std::string& chain : *chains) {
    auto result = verifyChain(db, key, chain);
    if (!result) {
      return result.takeError();
    }
    ++report.chains;
    report.entries += result->entries;
    if (!result->ok && report.ok) {
      report.ok = false;
      report.bad_chain = chain;
      report.bad_seq = result->bad_seq;
      report.bad_id = result->bad_id;
      report.problem = std::move(result->problem);
    }
  }
  return report;
}

// Well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF), so every
// field survives a JSON export byte for byte and the export stays checkable.
bool isValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code = 0;
    std::uint32_t min = 0;
    if ((byte & 0xE0) == 0xC0) {
      length = 2;
      code = byte & 0x1F;
      min = 0x80;
    } else if ((byte & 0xF0) == 0xE0) {
      length = 3;
      code = byte & 0x0F;
      min = 0x800;
    } else if ((byte & 0xF8) == 0xF0) {
      length = 4;
      code = byte & 0x07;
      min = 0x10000;
    } else {
      return false;
    }
    if (text.size() - i < length) {
      return false;
    }
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) {
        return false;
      }
      code = (code << 6) | (next & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

Error invalid(std::string message) {
  return makeError(ErrorCode::kInvalidRequest, std::move(message));
}

Result<void> validate(const AuditEvent& event) {
  if (event.actor.empty() || event.action.empty()) {
    return invalid("audit event needs an actor and an action");
  }
  if (event.outcome != "success" && event.outcome != "denied" && event.outcome != "failure") {
    return invalid("audit outcome must be success, denied or failure");
  }
  for (std::string_view field :
       {std::string_view(event.org_id), std::string_view(event.actor),
        std::string_view(event.action), std::string_view(event.target),
        std::string_view(event.source_ip), std::string_view(event.request_id)}) {
    if (field.size() > kMaxFieldBytes) {
      return invalid("audit event field too long");
    }
    if (!isValidUtf8(field)) {
      return invalid("audit event field is not valid UTF-8");
    }
  }
  if (event.detail.size() > kMaxDetailBytes) {
    return invalid("audit detail too long");
  }
  boost::system::error_code ec;
  const boost::json::value detail = boost::json::parse(event.detail, ec);
  if (ec || !detail.is_object()) {
    return invalid("audit detail must be a JSON object");
  }
  return {};
}

// ---- Export -------------------------------------------------------------------------------

constexpr std::array<std::string_view, 14> kExportColumns = {
    "id",     "chain",   "seq",       "created_at", "time",   "actor",     "action",
    "target", "outcome", "source_ip", "request_id", "detail", "prev_hash", "hash"};

void appendJsonString(std::string& out, std::string_view value) {
  out += '"';
  appendJsonEscaped(out, value);
  out += '"';
}

void appendExportLine(std::string& line, const AuditEntry& e, ExportFormat format) {
  const std::array<std::string, kExportColumns.size()> values = {std::to_string(e.id),
                                                                 e.event.org_id,
                                                                 std::to_string(e.seq),
                                                                 std::to_string(e.created_at),
                                                                 formatTimestamp(e.created_at),
                                                                 e.event.actor,
                                                                 e.event.action,
                                                                 e.event.target,
                                                                 e.event.outcome,
                                                                 e.event.source_ip,
                                                                 e.event.request_id,
                                                                 e.event.detail,
                                                                 e.prev_hash_hex,
                                                                 e.hash_hex};
  // id, seq and created_at are numbers in JSON.
  constexpr std::array<bool, kExportColumns.size()> kIsInteger = {true,  false, true,  true,  false,
                                                                  false, false, false, false, false,
                                                                  false, false, false, false};
  if (format == ExportFormat::kJsonLines) {
    line += '{';
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (format == ExportFormat::kCsv) {
      line += i ? "," : "";
      appendCsvField(line, values[i]);
      continue;
    }
    line += i ? ",\"" : "\"";
    line += kExportColumns[i];
    line += "\":";
    if (kIsInteger[i]) {
      line += values[i];
    } else {
      appendJsonString(line, values[i]);
    }
  }
  if (format == ExportFormat::kJsonLines) {
    line += '}';
  }
  line += '\n';
}

}  // namespace

// ---- AuditLog -----------------------------------------------------------------------------

AuditLog::AuditLog(std::string_view chain_key, const Clock& clock)
    : chain_key_(std::string(chain_key)), clock_(clock) {}

Result<std::int64_t> AuditLog::appendInTransaction(store::Database& db,
                                                   const AuditEvent& event) const {
  if (auto r = validate(event); !r) {
    return r.takeError();
  }
  if (chain_key_.empty()) {
    return makeError(ErrorCode::kInternal, "audit log has no chain key");
  }
  const std::string_view key = chain_key_.reveal();
  const std::string_view chain = event.org_id;

  // A savepoint, so a failure here leaves the caller's transaction without half an append.
  Savepoint savepoint(db);
  if (auto r = savepoint.begin(); !r) {
    return r.takeError();
  }
  auto head = readHead(db, chain);
  if (!head) {
    return head.takeError();
  }
  std::int64_t seq = 1;
  std::string prev_hash;
  if (*head) {
    const Head& h = **head;
    // Never extend a head we cannot authenticate: re-MACing it would launder a recomputed
    // chain.
    if (!constantTimeEquals(h.mac, headMac(key, chain, h.seq, h.hash))) {
      return makeError(ErrorCode::kInternal,
                       "audit chain head MAC invalid; refusing to append (run audit verify)");
    }
    if (h.seq == std::numeric_limits<std::int64_t>::max()) {
      return makeError(ErrorCode::kInternal, "audit chain is full");
    }
    seq = h.seq + 1;
    prev_hash = h.hash;
  } else {
    prev_hash = genesisHash(chain);
  }
  const std::int64_t created_at = clock_.nowMillis();
  const std::string hash = entryHash(EntryFields{chain, seq, created_at, event.actor, event.action,
                                                 event.target, event.outcome, event.source_ip,
                                                 event.request_id, event.detail, prev_hash});
  if (hash.size() != kHashSize) {
    return makeError(ErrorCode::kInternal, "audit hash failed");
  }

  std::int64_t id = 0;
  {
    auto insert = db.prepare(
        "INSERT INTO audit_log (chain, seq, created_at, actor, action, target, outcome, "
        "source_ip, request_id, detail, prev_hash, hash) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) RETURNING id");
    if (!insert) {
      return insert.takeError();
    }
    insert->bind(1, chain)
        .bind(2, seq)
        .bind(3, created_at)
        .bind(4, event.actor)
        .bind(5, event.action)
        .bind(6, event.target)
        .bind(7, event.outcome)
        .bind(8, event.source_ip)
        .bind(9, event.request_id)
        .bind(10, event.detail)
        .bindBlob(11, prev_hash)
        .bindBlob(12, hash);
    auto row = insert->step();
    if (!row) {
      return row.takeError();
    }
    if (!*row) {
      return makeError(ErrorCode::kInternal, "audit insert returned no id");
    }
    id = insert->columnInt(0);
    if (auto done = insert->step(); !done) {
      return done.takeError();
    }
  }
  if (auto r = upsertHead(db, key, chain, seq, hash); !r) {
    return r.takeError();
  }
  if (auto r = savepoint.release(); !r) {
    return r.takeError();
  }
  return id;
}

Result<std::int64_t> AuditLog::append(store::Database& db, const AuditEvent& event) const {
  store::Transaction transaction(db);
  if (auto r = transaction.begin(); !r) {
    return r.takeError();
  }
  auto id = appendInTransaction(db, event);
  if (!id) {
    return id;
  }
  if (auto r = transaction.commit(); !r) {
    return r.takeError();
  }
  return id;
}

// ---- Verification and retention ----------------------------------------------------

Result<VerifyReport> verify(store::Database& db, std::string_view chain_key) {
  if (chain_key.empty()) {
    return invalid("audit chain key is empty");
  }
  store::Transaction snapshot(db);
  if (auto r = snapshot.beginRead(); !r) {
    return r.takeError();
  }
  return verifyAll(db, chain_key);
}

namespace {

Result<std::int64_t> retentionDays(store::Database& db, std::string_view chain) {
  if (chain.empty()) {
    return kDefaultRetentionDays;
  }
  auto select = db.prepare("SELECT audit_retention_days FROM organizations WHERE id = ?1");
  if (!select) {
    return select.takeError();
  }
  select->bind(1, chain);
  auto row = select->step();
  if (!row) {
    return row.takeError();
  }
  return *row ? std::max<std::int64_t>(select->columnInt(0), 1) : kDefaultRetentionDays;
}

// The first column of the first row of a bound statement, if there is one and it is not NULL.
Result<std::optional<std::int64_t>> optionalInt(Result<store::Statement>& select) {
  if (!select) {
    return select.error();
  }
  auto row = select->step();
  if (!row) {
    return row.takeError();
  }
  if (!*row || select->columnIsNull(0)) {
    return std::optional<std::int64_t>();
  }
  return std::optional<std::int64_t>(select->columnInt(0));
}

struct ChainPurge {
  bool skipped = false;  // The chain failed verification.
  std::string problem;
  std::size_t purged = 0;
};

Result<ChainPurge> purgeChain(store::Database& db, std::string_view key, std::string_view chain,
                              std::int64_t now_ms, const AuditLog& log) {
  store::Transaction transaction(db);
  if (auto r = transaction.begin(); !r) {
    return r.takeError();
  }
  auto verified = verifyChain(db, key, chain);
  if (!verified) {
    return verified.takeError();
  }
  if (!verified->ok) {
    return ChainPurge{true, std::move(verified->problem), 0};
  }
  auto days = retentionDays(db, chain);
  if (!days) {
    return days.takeError();
  }
  const std::int64_t cutoff = now_ms - *days * kMillisPerDay;

  // Purge a prefix only: everything before the first entry young enough to keep...
  auto young = db.prepare("SELECT MIN(seq) FROM audit_log WHERE chain = ?1 AND created_at >= ?2");
  if (young) {
    young->bind(1, chain).bind(2, cutoff);
  }
  auto first_kept = optionalInt(young);
  if (!first_kept) {
    return first_kept.takeError();
  }
  // ...and never the newest entry, which anchors the head. Earlier retention markers do not
  // count as the newest, or each run would purge the entry the previous run kept.
  auto latest = db.prepare("SELECT MAX(seq) FROM audit_log WHERE chain = ?1 AND action <> ?2");
  if (latest) {
    latest->bind(1, chain).bind(2, kRetentionAction);
  }
  auto newest = optionalInt(latest);
  if (!newest) {
    return newest.takeError();
  }
  std::int64_t through = (*newest ? **newest : verified->head_seq) - 1;
  if (*first_kept) {
    through = std::min(through, **first_kept - 1);
  }
  through = std::min(through, verified->head_seq - 1);
  if (through <= verified->start_seq) {
    return ChainPurge{};
  }

  std::string through_hash;
  {
    auto select = db.prepare("SELECT hash FROM audit_log WHERE chain = ?1 AND seq = ?2");
    if (!select) {
      return select.takeError();
    }
    select->bind(1, chain).bind(2, through);
    auto row = select->step();
    if (!row) {
      return row.takeError();
    }
    if (!*row) {
      return makeError(ErrorCode::kInternal, "audit entry vanished during retention");
    }
    through_hash = select->columnBlob(0);
  }
  {
    auto upsert = db.prepare(
        "INSERT INTO audit_checkpoints (chain, through_seq, through_hash, created_at, mac) "
        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (chain) DO UPDATE SET "
        "through_seq = excluded.through_seq, through_hash = excluded.through_hash, "
        "created_at = excluded.created_at, mac = excluded.mac");
    if (!upsert) {
      return upsert.takeError();
    }
    upsert->bind(1, chain)
        .bind(2, through)
        .bindBlob(3, through_hash)
        .bind(4, now_ms)
        .bindBlob(5, checkpointMac(key, chain, through, through_hash, now_ms));
    if (auto r = upsert->run(); !r) {
      return r.takeError();
    }
  }
  std::size_t purged = 0;
  {
    auto remove = db.prepare("DELETE FROM audit_log WHERE chain = ?1 AND seq <= ?2");
    if (!remove) {
      return remove.takeError();
    }
    remove->bind(1, chain).bind(2, through);
    if (auto r = remove->run(); !r) {
      return r.takeError();
    }
    purged = static_cast<std::size_t>(db.changes());
  }
  AuditEvent marker;
  marker.org_id = std::string(chain);
  marker.actor = "system";
  marker.action = std::string(kRetentionAction);
  marker.detail =
      "{\"purged\":" + std::to_string(purged) + ",\"through_seq\":" + std::to_string(through) + "}";
  if (auto r = log.appendInTransaction(db, marker); !r) {
    return r.takeError();
  }
  if (auto r = transaction.commit(); !r) {
    return r.takeError();
  }
  return ChainPurge{false, {}, purged};
}

}  // namespace

Result<VerifyReport> AuditLog::verify(store::Database& db) const {
  return audit::verify(db, chain_key_.reveal());
}

Result<RetentionReport> AuditLog::enforceRetention(store::Database& db, std::int64_t now_ms) const {
  const std::string_view chain_key = chain_key_.reveal();
  const AuditLog& log = *this;
  if (chain_key.empty()) {
    return invalid("audit chain key is empty");
  }
  std::vector<std::string> chains;
  {
    store::Transaction snapshot(db);
    if (auto r = snapshot.beginRead(); !r) {
      return r.takeError();
    }
    auto all = allChains(db);
    if (!all) {
      return all.takeError();
    }
    chains = std::move(*all);
  }
  RetentionReport report;
  std::size_t skipped = 0;
  std::string first_skipped;
  for (const std::string& chain : chains) {
    auto purge = purgeChain(db, chain_key, chain, now_ms, log);
    if (!purge) {
      return purge.takeError();
    }
    if (purge->skipped) {
      if (skipped++ == 0) {
        first_skipped = "'" + chain + "': " + purge->problem;
      }
      continue;
    }
    if (purge->purged > 0) {
      report.purged += purge->purged;
      ++report.chains;
    }
  }
  if (skipped > 0) {
    return makeError(ErrorCode::kInternal, "audit retention skipped " + std::to_string(skipped) +
                                               " chain(s) that fail verification (first " +
                                               first_skipped + ")");
  }
  return report;
}

// ---- Reading ------------------------------------------------------------------------------

Result<std::size_t> exportAudit(store::Database& db, const ExportFilter& filter,
                                ExportFormat format, std::ostream& out) {
  std::string sql(kSelectEntry);
  sql += " WHERE created_at >= ?1 AND created_at < ?2";
  if (filter.org_id) {
    sql += " AND chain = ?3";
  }
  sql += " ORDER BY chain, seq";
  auto select = db.prepare(sql);
  if (!select) {
    return select.takeError();
  }
  select->bind(1, filter.since_ms).bind(2, filter.until_ms);
  if (filter.org_id) {
    select->bind(3, *filter.org_id);
  }
  std::string line;
  if (format == ExportFormat::kCsv) {
    for (std::size_t i = 0; i < kExportColumns.size(); ++i) {
      line += i ? "," : "";
      line += kExportColumns[i];
    }
    out << line << '\n';
  }
  std::size_t count = 0;
  for (;;) {
    auto row = select->step();
    if (!row) {
      return row.takeError();
    }
    if (!*row) {
      break;
    }
    line.clear();
    appendExportLine(line, readEntry(*select).entry, format);
    out << line;
    ++count;
  }
  out.flush();
  if (!out) {
    return makeError(ErrorCode::kInternal, "audit export: write failed");
  }
  return count;
}

Result<std::vector<AuditEntry>> listEntries(store::Database& db, std::string_view org_id,
                                            std::size_t limit, std::int64_t before_id) {
  std::vector<AuditEntry> entries;
  if (limit == 0) {
    return entries;
  }
  // Ids grow with seq within a chain, so the (chain, seq) index serves newest-first.
  auto select = db.prepare(std::string(kSelectEntry) +
                           " WHERE chain = ?1 AND (?2 <= 0 OR id < ?2) ORDER BY seq DESC LIMIT ?3");
  if (!select) {
    return select.takeError();
  }
  const auto capped =
      static_cast<std::int64_t>(std::min<std::size_t>(limit, static_cast<std::size_t>(INT64_MAX)));
  select->bind(1, org_id).bind(2, before_id).bind(3, capped);
  for (;;) {
    auto row = select->step();
    if (!row) {
      return row.takeError();
    }
    if (!*row) {
      return entries;
    }
    entries.push_back(std::move(readEntry(*select).entry));
  }
}

}  // namespace gatehouse::audit
