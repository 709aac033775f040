#pragma once

#include <gatehouse/common/result.h>
#include <gatehouse/common/secret.h>

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse {
class Clock;
}  // namespace gatehouse

namespace gatehouse::store {
class Database;
}  // namespace gatehouse::store

namespace gatehouse::audit {

/// The largest `detail` accepted, and the largest of every other text field.
inline constexpr std::size_t kMaxDetailBytes = 16 * 1024;
inline constexpr std::size_t kMaxFieldBytes = 1024;

/// One sensitive action, as the caller describes it.
struct AuditEvent {
  std::string org_id;               ///< '' for instance-wide events.
  std::string actor;                ///< "admin_key:<id>", "cli", "system", "caller_key:<id>".
  std::string action;               ///< e.g. "caller_key.create", "provider_key.delete".
  std::string target;               ///< The object's id, or ''.
  std::string outcome = "success";  ///< "success", "denied", "failure".
  std::string source_ip;
  std::string request_id;
  std::string detail = "{}";  ///< A JSON object; never secrets or content.
};

/// A stored entry: the event plus where it sits in its organisation's hash chain.
struct AuditEntry {
  std::int64_t id = 0;  ///< Row id; increases with seq within a chain.
  std::int64_t seq = 0;
  std::int64_t created_at = 0;  ///< ms since the epoch.
  AuditEvent event;             ///< event.org_id is the chain.
  std::string prev_hash_hex;
  std::string hash_hex;
};

struct VerifyReport {
  bool ok = true;
  std::size_t chains = 0;    ///< Chains examined (with entries, a head or a checkpoint).
  std::size_t entries = 0;   ///< Entries checked.
  std::string bad_chain;     ///< The chain of the first problem.
  std::int64_t bad_seq = 0;  ///< The first bad entry's seq (0 when the problem is the head or
                             ///< checkpoint).
  std::int64_t bad_id = 0;   ///< Its row id (0 when it is missing).
  std::string problem;       ///< Human-readable, e.g. "entry 7 was modified".
};

struct RetentionReport {
  std::size_t purged = 0;  ///< Entries deleted.
  std::size_t chains = 0;  ///< Chains that had entries deleted.
};

/// Appends entries to the per-organisation hash chains. Holds no mutable state: const methods
/// may be called from several threads, each with its own store::Database connection.
class AuditLog {
 public:
  /// `chain_key` is copied into a SecretString; `clock` is borrowed and must outlive this.
  AuditLog(std::string_view chain_key, const Clock& clock);

  /// Appends inside a transaction the caller already holds on `db` (BEGIN IMMEDIATE), so an
  /// action and its audit entry commit or roll back together. Returns the entry's row id.
  /// Refuses (leaving the caller's transaction as it was) when the event is malformed
  /// (kInvalidRequest: empty actor or action, unknown outcome, `detail` not a JSON object,
  /// fields over the limits above) or the chain's head does not carry a valid MAC under this
  /// log's key (kInternal), so a tampered chain is never extended and re-anchored.
  Result<std::int64_t> appendInTransaction(store::Database& db, const AuditEvent& event) const;

  /// The same in a transaction of its own.
  Result<std::int64_t> append(store::Database& db, const AuditEvent& event) const;

  /// verify() under this log's key.
  Result<VerifyReport> verify(store::Database& db) const;

  /// Deletes entries older than each chain's retention (organizations.audit_retention_days for
  /// that org; 365 days for the instance chain and for organisations that no longer exist),
  /// after writing or advancing the chain's checkpoint under a MAC (the delete trigger only
  /// allows deleting entries a checkpoint covers). Purges only a prefix of each chain and always
  /// keeps its newest entry other than earlier "audit.retention" markers, so the head stays
  /// anchored and a second run purges nothing new. Appends one "audit.retention" entry (detail
  /// {"purged":N,"through_seq":S}) through this log to each chain it purged. One transaction per
  /// chain. A chain that fails verification is left untouched (purging it would erase the
  /// evidence); the other chains are still processed and the call then returns an error naming
  /// the first such chain.
  Result<RetentionReport> enforceRetention(store::Database& db, std::int64_t now_ms) const;

 private:
  SecretString chain_key_;
  const Clock& clock_;
};

/// Walks every chain (in chain order) from its checkpoint, or from genesis, and checks seq
/// continuity, row order, each prev_hash, each hash, the head (seq, hash, MAC) and the
/// checkpoint's MAC; also reports a chain with entries but no head and a head without entries
/// (an organisation whose entries were all removed, as long as its head survives). Stops at
/// the first problem of each chain and reports the first chain with one. Reads one snapshot,
/// so call it outside a transaction (as enforceRetention, which opens its own).
/// Errors are database failures; a broken chain is an ok Result with report.ok false.
Result<VerifyReport> verify(store::Database& db, std::string_view chain_key);

enum class ExportFormat { kCsv, kJsonLines };

struct ExportFilter {
  std::optional<std::string> org_id;  ///< One chain ('' for the instance chain), or all.
  std::int64_t since_ms = 0;          ///< created_at >= since_ms
  std::int64_t until_ms = INT64_MAX;  ///< created_at < until_ms
};

/// Writes entries in chain then seq order, with hashes, so an export can be checked offline.
/// Columns: id, chain, seq, created_at (ms, as hashed), time (RFC 3339), actor, action, target,
/// outcome, source_ip, request_id, detail, prev_hash, hash (lower-case hex). In JSON Lines,
/// `detail` is a JSON string holding the stored text byte for byte. In CSV, a field starting
/// with = + - @ ' or a tab or CR gets one ' prepended (spreadsheet formula injection); strip a
/// leading ' to get the stored value back. Returns the number of entries written.
Result<std::size_t> exportAudit(store::Database& db, const ExportFilter& filter,
                                ExportFormat format, std::ostream& out);

/// Entries of one chain for the admin API: newest first, at most `limit`, and only those with
/// a row id below `before_id` when it is > 0 (pagination).
Result<std::vector<AuditEntry>> listEntries(store::Database& db, std::string_view org_id,
                                            std::size_t limit, std::int64_t before_id);

}  // namespace gatehouse::audit
