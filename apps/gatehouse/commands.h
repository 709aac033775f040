#pragma once

#include <string>

namespace gatehouse::app {

struct CommonOptions {
  std::string config_file;  ///< Empty: built-in defaults.
  std::string data_dir;     ///< Empty: the config's data_dir.
};

/// One call on the admin service from the CLI, acting as the operator.
struct AdminCall {
  AdminCall(std::string method_, std::string path_, std::string query_ = {}, std::string body_ = {})
      : method(std::move(method_)),
        path(std::move(path_)),
        query(std::move(query_)),
        body(std::move(body_)) {}

  std::string method;
  std::string path;  ///< Under /admin/v1, e.g. "/orgs".
  std::string query;
  std::string body;   ///< JSON.
  bool json = false;  ///< Print the reply as JSON instead of a table.
  /// When set, print only this field of the reply on stdout (a key shown once), with a note
  /// on stderr.
  std::string reveal_field;
};

int runServe(const CommonOptions& options);
/// Runs `call` through the admin service (the REST API's code path) and prints the reply.
int runAdminCall(const CommonOptions& options, const AdminCall& call);
/// Writes a reply body (usage or audit export) to `output`, or stdout when empty.
int runExport(const CommonOptions& options, const AdminCall& call, const std::string& output);
int runAuditVerify(const CommonOptions& options, bool json);
int runRetention(const CommonOptions& options);
int runMasterKeyRotate(const CommonOptions& options, const std::string& new_key_file);

}  // namespace gatehouse::app
