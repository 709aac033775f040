#include <gatehouse/keyring/keyring.h>

#include <array>

namespace gatehouse::keyring {

std::span<const std::string_view> keyringMigrations() {
  // Append only: a released migration is never edited, as for the main database.
  static constexpr std::array<std::string_view, 1> kMigrations = {
      R"sql(
CREATE TABLE data_keys (
  org_id TEXT PRIMARY KEY,
  wrapped BLOB NOT NULL,
  kek_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  rotated_at INTEGER
) STRICT;
CREATE TABLE keyring_meta (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
)sql",
  };
  return kMigrations;
}

}  // namespace gatehouse::keyring
