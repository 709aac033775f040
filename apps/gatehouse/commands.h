#pragma once

#include <string>

namespace gatehouse::app {

struct CommonOptions {
  std::string config_file;  ///< Empty: built-in defaults.
  std::string data_dir;     ///< Empty: the config's data_dir.
};

int runServe(const CommonOptions& options);
int runKeysCreate(const CommonOptions& options, const std::string& name, bool json);
int runKeysList(const CommonOptions& options, bool json);
int runKeysRevoke(const CommonOptions& options, const std::string& id);
int runUsageExport(const CommonOptions& options, const std::string& format,
                   const std::string& output);

}  // namespace gatehouse::app
