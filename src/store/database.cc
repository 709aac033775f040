#include <gatehouse/store/database.h>

#include "migrations.h"

#include <sqlite3.h>

#include <stdexcept>
#include <string>

namespace gatehouse::store {
namespace {

Error sqliteError(sqlite3* db, std::string_view what) {
  return makeError(ErrorCode::kInternal, std::string(what) + ": " + sqlite3_errmsg(db));
}

}  // namespace

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), statement_(std::exchange(other.statement_, nullptr)) {}

Statement::~Statement() {
  sqlite3_finalize(statement_);
}

Statement& Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()),
                    SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bindUnowned(int index, std::string_view text) {
  sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  return *this;
}

Statement& Statement::bindBlob(int index, std::string_view bytes) {
  sqlite3_bind_blob(statement_, index, bytes.data(), static_cast<int>(bytes.size()),
                    SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(statement_, index, value);
  return *this;
}

Statement& Statement::bindNull(int index) {
  sqlite3_bind_null(statement_, index);
  return *this;
}

Result<bool> Statement::step() {
  const int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  return sqliteError(db_, "sqlite step");
}

Result<void> Statement::run() {
  auto stepped = step();
  reset();
  if (!stepped) {
    return stepped.takeError();
  }
  return {};
}

void Statement::reset() {
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

std::int64_t Statement::columnInt(int column) const {
  return sqlite3_column_int64(statement_, column);
}

std::string Statement::columnText(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement_, column));
  return text ? std::string(text, sqlite3_column_bytes(statement_, column)) : std::string();
}

std::string Statement::columnBlob(int column) const {
  const auto* blob = static_cast<const char*>(sqlite3_column_blob(statement_, column));
  return blob ? std::string(blob, sqlite3_column_bytes(statement_, column)) : std::string();
}

bool Statement::columnIsNull(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

std::unique_ptr<Database> Database::open(const std::string& path) {
  return open(path, migrations());
}

std::unique_ptr<Database> Database::open(const std::string& path,
                                         std::span<const std::string_view> migrations) {
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &raw, flags, nullptr) != SQLITE_OK) {
    std::string message = raw ? sqlite3_errmsg(raw) : "out of memory";
    sqlite3_close(raw);
    throw std::runtime_error("cannot open database " + path + ": " + message);
  }
  std::unique_ptr<Database> db(new Database(raw));
  // Writers from other processes (the CLI) wait instead of failing.
  sqlite3_busy_timeout(raw, 5000);
  // secure_delete: a deleted row (a provider key, a shredded organisation) is overwritten in
  // the file, not left in a free page for a dump to find.
  for (std::string_view pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
                                  "PRAGMA foreign_keys=ON", "PRAGMA secure_delete=ON"}) {
    if (auto r = db->exec(pragma); !r) {
      throw std::runtime_error(r.error().message);
    }
  }
  db->migrate(migrations);
  return db;
}

Database::~Database() {
  sqlite3_close_v2(db_);
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &statement, nullptr) !=
      SQLITE_OK) {
    return sqliteError(db_, "sqlite prepare");
  }
  return Statement(db_, statement);
}

Result<void> Database::exec(std::string_view sql) {
  const std::string text(sql);
  char* message = nullptr;
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string what = message ? message : "unknown error";
    sqlite3_free(message);
    return makeError(ErrorCode::kInternal, "sqlite exec: " + what);
  }
  return {};
}

Result<void> Database::begin() {
  return exec("BEGIN IMMEDIATE");
}
Result<void> Database::commit() {
  return exec("COMMIT");
}
Result<void> Database::rollback() {
  return exec("ROLLBACK");
}

int Database::schemaVersion() {
  auto statement = prepare("PRAGMA user_version");
  if (!statement || !statement->step().ok()) {
    return -1;
  }
  return static_cast<int>(statement->columnInt(0));
}

std::int64_t Database::changes() const {
  return sqlite3_changes64(db_);
}

void Database::migrate(std::span<const std::string_view> all) {
  for (;;) {
    // Each migration runs in its own immediate transaction, re-reading the version inside it,
    // so two processes starting together cannot apply the same migration twice.
    if (auto r = begin(); !r) {
      throw std::runtime_error(r.error().message);
    }
    const int version = schemaVersion();
    if (version < 0 || static_cast<std::size_t>(version) > all.size()) {
      (void)rollback();
      throw std::runtime_error("database schema version " + std::to_string(version) +
                               " is newer than this build understands");
    }
    if (static_cast<std::size_t>(version) == all.size()) {
      (void)rollback();
      return;
    }
    auto applied = exec(all[version]);
    if (applied) {
      applied = exec("PRAGMA user_version = " + std::to_string(version + 1));
    }
    if (!applied) {
      (void)rollback();
      throw std::runtime_error("migration " + std::to_string(version + 1) +
                               " failed: " + applied.error().message);
    }
    if (auto r = commit(); !r) {
      throw std::runtime_error(r.error().message);
    }
  }
}

Transaction::~Transaction() {
  if (active_) {
    (void)db_.rollback();
  }
}

Result<void> Transaction::begin() {
  auto r = db_.begin();
  active_ = r.ok();
  return r;
}

Result<void> Transaction::beginRead() {
  auto r = db_.exec("BEGIN DEFERRED");
  active_ = r.ok();
  return r;
}

Result<void> Transaction::commit() {
  auto r = db_.commit();
  active_ = !r.ok();
  return r;
}

std::string databasePath(const std::string& data_dir) {
  return data_dir + "/gatehouse.db";
}

}  // namespace gatehouse::store
