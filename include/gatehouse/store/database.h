#pragma once

#include <gatehouse/common/result.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace gatehouse::store {

class Database;

/// A prepared statement. Bind parameters are 1-based, as in SQLite. Not thread-safe: a
/// statement belongs to the connection (and thread) that prepared it.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();

  Statement& bind(int index, std::string_view text);
  /// Binds `text` without copying it: it must stay alive and unchanged for as long as the
  /// statement runs with this binding (reset() and run() keep bindings; rebind before the
  /// next run). For batch writers binding fields of records they hold.
  Statement& bindUnowned(int index, std::string_view text);
  Statement& bindBlob(int index, std::string_view bytes);
  Statement& bind(int index, std::int64_t value);
  Statement& bindNull(int index);

  /// Advances to the next row: true if there is one, false when done; errors are values.
  Result<bool> step();
  /// Runs a statement that returns no rows.
  Result<void> run();
  /// Clears bindings and rewinds, so the statement can be executed again.
  void reset();

  std::int64_t columnInt(int column) const;
  std::string columnText(int column) const;
  std::string columnBlob(int column) const;
  bool columnIsNull(int column) const;

 private:
  friend class Database;
  Statement(sqlite3* db, sqlite3_stmt* statement) : db_(db), statement_(statement) {}
  sqlite3* db_;
  sqlite3_stmt* statement_;
};

/// One SQLite connection in WAL mode with foreign keys on. Each thread that touches the
/// database owns its own connection; SQLite serialises writers across them.
class Database {
 public:
  /// Opens (creating if needed) the database file and applies pending migrations.
  /// Throws std::runtime_error: only called at start-up.
  static std::unique_ptr<Database> open(const std::string& path);
  /// The same for a database with its own schema (the keyring): `migrations` in order, as
  /// store::migrations() are for the main database.
  static std::unique_ptr<Database> open(const std::string& path,
                                        std::span<const std::string_view> migrations);

  /// Rows changed by the last INSERT, UPDATE or DELETE on this connection.
  std::int64_t changes() const;

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  Result<Statement> prepare(std::string_view sql);
  Result<void> exec(std::string_view sql);

  /// Runs `sql` statements inside BEGIN IMMEDIATE ... COMMIT.
  Result<void> begin();
  Result<void> commit();
  Result<void> rollback();

  /// The schema version applied (PRAGMA user_version).
  int schemaVersion();

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  void migrate(std::span<const std::string_view> migrations);
  sqlite3* db_;
};

/// Steps a prepared statement (or passes on its preparation error) to the end, turning each
/// row into a T with `read(const Statement&)`.
template <class T, class Read>
Result<std::vector<T>> collectRows(Result<Statement>& statement, Read read) {
  if (!statement) {
    return statement.takeError();
  }
  std::vector<T> rows;
  for (;;) {
    auto row = statement->step();
    if (!row) {
      return row.takeError();
    }
    if (!*row) {
      return rows;
    }
    rows.push_back(read(*statement));
  }
}

/// The first row as a T, or nullopt when there is none.
template <class T, class Read>
Result<std::optional<T>> firstRow(Result<Statement>& statement, Read read) {
  if (!statement) {
    return statement.takeError();
  }
  auto row = statement->step();
  if (!row) {
    return row.takeError();
  }
  if (!*row) {
    return std::optional<T>();
  }
  return std::optional<T>(read(*statement));
}

/// A transaction that rolls back unless committed, so every early return inside one undoes
/// it. Not thread-safe, like the connection.
class Transaction {
 public:
  explicit Transaction(Database& db) : db_(db) {}
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  /// BEGIN IMMEDIATE: takes the write lock now, so a read-then-write cannot be raced.
  Result<void> begin();
  /// BEGIN DEFERRED: a read snapshot that takes no write lock.
  Result<void> beginRead();
  Result<void> commit();

 private:
  Database& db_;
  bool active_ = false;
};

/// The database file inside a data directory.
std::string databasePath(const std::string& data_dir);

}  // namespace gatehouse::store
