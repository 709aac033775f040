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

// Tenancy (organisations -> projects -> keys, users and roles), encrypted provider keys,
// per-organisation providers and models, admin keys, the audit trail, and usage per tenant.
// Keys created before tenancy move to a "default" organisation and project.
constexpr std::string_view kV3 = R"sql(
CREATE TABLE organizations (
  id                    TEXT PRIMARY KEY,
  name                  TEXT NOT NULL,
  created_at            INTEGER NOT NULL,
  audit_retention_days  INTEGER NOT NULL DEFAULT 365 CHECK (audit_retention_days > 0),
  usage_retention_days  INTEGER NOT NULL DEFAULT 365 CHECK (usage_retention_days > 0),
  content_history       INTEGER NOT NULL DEFAULT 0 CHECK (content_history IN (0, 1))
) STRICT;
INSERT INTO organizations (id, name, created_at) VALUES ('org_default', 'default', 0);

CREATE TABLE projects (
  id          TEXT PRIMARY KEY,
  org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  UNIQUE (org_id, name),
  UNIQUE (id, org_id)                    -- target of the (project, org) foreign keys below
) STRICT;
INSERT INTO projects (id, org_id, name, created_at) VALUES ('prj_default', 'org_default', 'default', 0);

-- Users are instance-wide (one person, several organisations); what an organisation says
-- about a user (display name, role) lives on its membership, so no tenant reads another's.
CREATE TABLE users (
  id          TEXT PRIMARY KEY,
  email       TEXT NOT NULL UNIQUE COLLATE NOCASE,
  created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE memberships (
  org_id        TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  display_name  TEXT NOT NULL DEFAULT '',
  role          TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (org_id, user_id)
) STRICT;

-- Caller keys now belong to a project (and so to its organisation), carry scopes and expiry,
-- and can be rotated: the old key's expires_at becomes the end of the overlap.
CREATE TABLE caller_keys (
  id          TEXT PRIMARY KEY,
  org_id      TEXT NOT NULL,
  project_id  TEXT NOT NULL,
  name        TEXT NOT NULL,
  key_hash    BLOB NOT NULL,             -- HMAC-SHA-256(pepper, full key)
  scopes      TEXT NOT NULL DEFAULT '',  -- comma-separated allowed model names; '' allows all
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER,
  revoked_at  INTEGER,
  rotated_to  TEXT,                      -- the successor's id
  FOREIGN KEY (project_id, org_id) REFERENCES projects (id, org_id) ON DELETE CASCADE
) STRICT;
INSERT INTO caller_keys (id, org_id, project_id, name, key_hash, created_at, revoked_at)
  SELECT id, 'org_default', 'prj_default', name, key_hash, created_at, revoked_at FROM api_keys;
DROP TABLE api_keys;
CREATE INDEX caller_keys_org ON caller_keys (org_id, project_id);

-- Admin API keys: bound to an organisation and a role, or instance-wide (org_id NULL,
-- role 'superadmin').
CREATE TABLE admin_keys (
  id          TEXT PRIMARY KEY,
  org_id      TEXT REFERENCES organizations (id) ON DELETE CASCADE,
  role        TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer', 'superadmin')),
  name        TEXT NOT NULL,
  key_hash    BLOB NOT NULL,
  created_at  INTEGER NOT NULL,
  revoked_at  INTEGER,
  CHECK ((org_id IS NULL) = (role = 'superadmin'))
) STRICT;

-- Providers an organisation adds itself (base URLs are tenant input: checked by the egress
-- policy before they are stored).
CREATE TABLE org_providers (
  id          TEXT PRIMARY KEY,
  org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  type        TEXT NOT NULL,
  base_url    TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  UNIQUE (org_id, name)
) STRICT;

-- BYOK provider keys: AES-256-GCM under the organisation's data key, AAD binding the
-- ciphertext to its organisation, row id and purpose. Only the last four characters are
-- kept in clear, for display.
CREATE TABLE provider_keys (
  id          TEXT PRIMARY KEY,
  org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  project_id  TEXT,                      -- NULL: every project of the organisation
  provider    TEXT NOT NULL,             -- a provider name (the instance's or the org's own)
  name        TEXT NOT NULL,
  ciphertext  BLOB NOT NULL,             -- nonce || ciphertext || tag
  last_four   TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  FOREIGN KEY (project_id, org_id) REFERENCES projects (id, org_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX provider_keys_org ON provider_keys (org_id, provider);

-- Model names an organisation routes itself: deployments as a JSON array of
-- {"provider","model","weight","timeout_ms"}.
CREATE TABLE org_models (
  id           TEXT PRIMARY KEY,
  org_id       TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  deployments  TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  UNIQUE (org_id, name)
) STRICT;

INSERT INTO change_counters (name, value) VALUES ('tenancy', 0);
UPDATE change_counters SET name = 'caller_keys' WHERE name = 'api_keys';

ALTER TABLE usage_records ADD COLUMN org_id TEXT NOT NULL DEFAULT '';
ALTER TABLE usage_records ADD COLUMN project_id TEXT NOT NULL DEFAULT '';
UPDATE usage_records SET org_id = 'org_default', project_id = 'prj_default';
-- Usage is read per organisation (exports, retention); one index per insert is the cost, so
-- this one replaces the global time index.
DROP INDEX usage_records_created_at;
CREATE INDEX usage_records_org ON usage_records (org_id, created_at);

-- Opt-in content history, sealed with the organisation's data key.
CREATE TABLE content_history (
  id          INTEGER PRIMARY KEY,
  org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  project_id  TEXT NOT NULL,
  request_id  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  sealed      BLOB NOT NULL
) STRICT;
CREATE INDEX content_history_org ON content_history (org_id, created_at);

-- The audit trail: one hash chain per organisation ('' for instance-wide events). Each entry
-- holds its predecessor's hash and its own (over the canonical entry); audit_heads holds each
-- chain's last entry under a MAC keyed from the master key, so a recomputed chain or a dropped
-- tail shows. Master-key rotation re-MACs heads and checkpoints only, so entries never change.
-- Entries outlive their organisation (its deletion is itself audited).
CREATE TABLE audit_log (
  id          INTEGER PRIMARY KEY,
  chain       TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  target      TEXT NOT NULL,
  outcome     TEXT NOT NULL,
  source_ip   TEXT NOT NULL,
  request_id  TEXT NOT NULL,
  detail      TEXT NOT NULL,             -- a JSON object; never secrets or prompt content
  prev_hash   BLOB NOT NULL,
  hash        BLOB NOT NULL,
  UNIQUE (chain, seq)
) STRICT;
CREATE INDEX audit_log_time ON audit_log (chain, created_at);

CREATE TABLE audit_heads (
  chain  TEXT PRIMARY KEY,
  seq    INTEGER NOT NULL,
  hash   BLOB NOT NULL,
  mac    BLOB NOT NULL
) STRICT;

-- Retention purges a chain's oldest entries after recording, under a MAC, where the chain
-- now starts; verification begins there.
CREATE TABLE audit_checkpoints (
  chain         TEXT PRIMARY KEY,
  through_seq   INTEGER NOT NULL,
  through_hash  BLOB NOT NULL,
  created_at    INTEGER NOT NULL,
  mac           BLOB NOT NULL
) STRICT;

-- Append-only in the engine too: no update ever, and deletes only of entries a checkpoint
-- already covers (retention). Someone with raw file access can drop these; verification
-- is what catches that.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN NOT EXISTS (SELECT 1 FROM audit_checkpoints c
                 WHERE c.chain = OLD.chain AND OLD.seq <= c.through_seq)
BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only');
END;
)sql";

constexpr std::array<std::string_view, 3> kMigrations = {kV1, kV2, kV3};

}  // namespace

std::span<const std::string_view> migrations() {
  return kMigrations;
}

}  // namespace gatehouse::store
