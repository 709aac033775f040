#pragma once

#include "commands.h"

#include <gatehouse/config/config.h>
#include <gatehouse/store/database.h>

#include <memory>

namespace gatehouse::app {

/// The configuration the options select, with --data-dir applied.
config::Config loadConfiguration(const CommonOptions& options);

/// Creates the data directory (0700) when missing and opens its database. Throws.
std::unique_ptr<store::Database> openDatabase(const config::Config& config);

}  // namespace gatehouse::app
