// The operator commands: keys and usage. They work on the database directly, so they run
// with or without a server; a running server picks key changes up within a second.

#include "commands.h"
#include "environment.h"

#include <gatehouse/auth/key_store.h>
#include <gatehouse/common/clock.h>
#include <gatehouse/common/json_escape.h>
#include <gatehouse/crypto/random.h>
#include <gatehouse/usage/usage.h>

#include <sys/stat.h>

#include <cerrno>
#include <fstream>
#include <iostream>
#include <stdexcept>

namespace gatehouse::app {

config::Config loadConfiguration(const CommonOptions& options) {
  config::Config config = options.config_file.empty() ? config::defaultConfig()
                                                      : config::loadConfig(options.config_file);
  if (!options.data_dir.empty()) {
    config.data_dir = options.data_dir;
  }
  return config;
}

std::unique_ptr<store::Database> openDatabase(const config::Config& config) {
  if (::mkdir(config.data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw std::runtime_error("cannot create data directory " + config.data_dir);
  }
  return store::Database::open(store::databasePath(config.data_dir));
}

namespace {

std::string quoted(std::string_view text) {
  std::string out = "\"";
  appendJsonEscaped(out, text);
  return out + "\"";
}

}  // namespace

int runKeysCreate(const CommonOptions& options, const std::string& name, bool json) {
  const config::Config config = loadConfiguration(options);
  auto db = openDatabase(config);
  crypto::SystemRandom random;
  const SecretString pepper = auth::loadPepper(config.data_dir, random);
  const auth::GeneratedKey generated = auth::generateCallerKey(random, pepper);
  auth::KeyRepository repository(*db);
  auto record = repository.create(name, generated, SystemClock().nowMillis());
  if (!record) {
    std::cerr << "gatehouse: " << record.error().message << "\n";
    return 1;
  }
  // The one place a caller key is ever shown.
  if (json) {
    std::cout << "{\"id\":" << quoted(record->id) << ",\"name\":" << quoted(record->name)
              << ",\"key\":" << quoted(generated.key.reveal()) << "}\n";
  } else {
    std::cout << generated.key.reveal() << "\n";
    std::cerr << "Created key " << record->id
              << ". Store it now: Gatehouse keeps only a hash and cannot show it again.\n";
  }
  return 0;
}

int runKeysList(const CommonOptions& options, bool json) {
  const config::Config config = loadConfiguration(options);
  auto db = openDatabase(config);
  auth::KeyRepository repository(*db);
  auto records = repository.list();
  if (!records) {
    std::cerr << "gatehouse: " << records.error().message << "\n";
    return 1;
  }
  if (json) {
    std::cout << "[";
    for (std::size_t i = 0; i < records->size(); ++i) {
      const auto& r = (*records)[i];
      std::cout << (i ? "," : "") << "{\"id\":" << quoted(r.id) << ",\"name\":" << quoted(r.name)
                << ",\"created_at\":" << quoted(formatTimestamp(r.created_at))
                << ",\"revoked\":" << (r.revoked_at ? "true" : "false") << "}";
    }
    std::cout << "]\n";
    return 0;
  }
  std::cout << "ID                NAME                      CREATED                   STATUS\n";
  for (const auto& r : *records) {
    std::string name = r.name.substr(0, 24);
    name.resize(25, ' ');
    std::cout << r.id << "  " << name << " " << formatTimestamp(r.created_at) << "  "
              << (r.revoked_at ? "revoked" : "active") << "\n";
  }
  return 0;
}

int runKeysRevoke(const CommonOptions& options, const std::string& id) {
  const config::Config config = loadConfiguration(options);
  auto db = openDatabase(config);
  auth::KeyRepository repository(*db);
  auto revoked = repository.revoke(id, SystemClock().nowMillis());
  if (!revoked) {
    std::cerr << "gatehouse: " << revoked.error().message << "\n";
    return 1;
  }
  if (!*revoked) {
    std::cerr << "gatehouse: no active key with id " << id << "\n";
    return 1;
  }
  std::cerr << "Revoked key " << id << ".\n";
  return 0;
}

int runUsageExport(const CommonOptions& options, const std::string& format,
                   const std::string& output) {
  const config::Config config = loadConfiguration(options);
  auto db = openDatabase(config);
  const auto kind = format == "csv" ? usage::ExportFormat::kCsv : usage::ExportFormat::kJsonLines;
  std::ofstream file;
  if (!output.empty()) {
    file.open(output, std::ios::binary | std::ios::trunc);
    if (!file) {
      std::cerr << "gatehouse: cannot write " << output << "\n";
      return 1;
    }
  }
  auto written = usage::exportUsage(*db, kind, output.empty() ? std::cout : file);
  if (!written) {
    std::cerr << "gatehouse: " << written.error().message << "\n";
    return 1;
  }
  return 0;
}

}  // namespace gatehouse::app
