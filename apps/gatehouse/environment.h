#pragma once

#include "commands.h"

#include <gatehouse/admin/admin_api.h>
#include <gatehouse/audit/audit.h>
#include <gatehouse/common/clock.h>
#include <gatehouse/config/config.h>
#include <gatehouse/crypto/random.h>
#include <gatehouse/http/egress.h>
#include <gatehouse/keyring/keyring.h>
#include <gatehouse/store/database.h>

#include <memory>

namespace gatehouse::app {

/// The configuration the options select, with --data-dir applied.
config::Config loadConfiguration(const CommonOptions& options);

/// Creates the data directory (0700) when missing and opens its database. Throws.
std::unique_ptr<store::Database> openDatabase(const config::Config& config);

/// True in production mode: GATEHOUSE_ENV=production, or `mode = "production"`.
bool productionMode(const config::Config& config);

/// What both the server and the CLI need to act on tenant data: the master key and the
/// keyring it unlocks, the audit trail's key, and the admin service over one connection.
/// Built in this order; throws at start-up (no master key in production, unreadable files).
struct Runtime {
  Runtime(const config::Config& config, const Clock& clock, crypto::RandomSource& random);

  const config::Config& config;
  bool using_dev_key = false;
  std::string dev_key_path;
  std::unique_ptr<keyring::Keyring> keyring;
  std::unique_ptr<audit::AuditLog> audit_log;
  std::unique_ptr<store::Database> db;
  SecretString pepper;
  std::unique_ptr<http::EgressGuard> egress;
  std::unique_ptr<admin::AdminApi> admin;
};

}  // namespace gatehouse::app
