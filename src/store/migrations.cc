#include "migrations.h"

#include <array>

namespace gatehouse::store {
namespace {

constexpr std::string_view kV1 = R"sql(
CREATE TABLE api_keys (
  id          TEXT PRIMARY KEY,          -- the non-secret key id embedded in the key
  name        TEXT NOT NULL,
  key_hash    BLOB NOT NULL,             -- HMAC-SHA-256(pepper, full key)
  created_at  INTEGER NOT NULL,          -- ms since epoch
  revoked_at  INTEGER
) STRICT;

-- Bumped by every change to api_keys so running servers reload their key cache.
CREATE TABLE change_counters (
  name   TEXT PRIMARY KEY,
  value  INTEGER NOT NULL
) STRICT;
INSERT INTO change_counters (name, value) VALUES ('api_keys', 0);

CREATE TABLE usage_records (
  id              INTEGER PRIMARY KEY,
  request_id      TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  key_id          TEXT NOT NULL,
  endpoint        TEXT NOT NULL,
  model           TEXT NOT NULL,
  provider        TEXT NOT NULL,
  deployment      TEXT NOT NULL,
  upstream_model  TEXT NOT NULL,
  stream          INTEGER NOT NULL,
  input_tokens    INTEGER NOT NULL,
  output_tokens   INTEGER NOT NULL,
  latency_ms      INTEGER NOT NULL,
  status          INTEGER NOT NULL,
  error_type      TEXT NOT NULL
) STRICT;
CREATE INDEX usage_records_created_at ON usage_records (created_at);
)sql";

// Guardrail outcomes per request: "DETECTOR:action:count,...", never matched text.
constexpr std::string_view kV2 = R"sql(
ALTER TABLE usage_records ADD COLUMN guardrails TEXT NOT NULL DEFAULT '';
)sql";

constexpr std::array<std::string_view, 2> kMigrations = {kV1, kV2};

}  // namespace

std::span<const std::string_view> migrations() {
  return kMigrations;
}

}  // namespace gatehouse::store
