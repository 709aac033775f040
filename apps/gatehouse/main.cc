// gatehouse: the gateway server and its operator commands.

#include "commands.h"

#include <gatehouse/guardrails/scan_command.h>

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
  using namespace gatehouse::app;
  CLI::App app{"Gatehouse: a self-hosted, security-first LLM gateway"};
  app.require_subcommand(1);
  CommonOptions common;
  const auto addCommon = [&common](CLI::App* command) {
    command->add_option("--config", common.config_file, "TOML configuration file");
    command->add_option("--data-dir", common.data_dir, "Data directory (default ./data)");
  };

  auto* serve = app.add_subcommand("serve", "Run the gateway");
  addCommon(serve);

  auto* keys = app.add_subcommand("keys", "Manage caller API keys");
  keys->require_subcommand(1);
  std::string key_name;
  std::string key_id;
  bool json = false;
  auto* create = keys->add_subcommand("create", "Create a key and print it (shown only once)");
  create->add_option("--name", key_name, "A label for the key")->required();
  create->add_flag("--json", json, "Print {id, name, key} as JSON");
  addCommon(create);
  auto* list = keys->add_subcommand("list", "List keys (never their secrets)");
  list->add_flag("--json", json, "Print a JSON array");
  addCommon(list);
  auto* revoke = keys->add_subcommand("revoke", "Revoke a key by id");
  revoke->add_option("id", key_id, "The key id (see keys list)")->required();
  addCommon(revoke);

  auto* usage = app.add_subcommand("usage", "Read usage records");
  usage->require_subcommand(1);
  std::string format = "jsonl";
  std::string output;
  auto* usage_export = usage->add_subcommand("export", "Export usage records");
  usage_export->add_option("--format", format, "csv or jsonl")
      ->check(CLI::IsMember({"csv", "jsonl"}));
  usage_export->add_option("--output", output, "Write to this file instead of stdout");
  addCommon(usage_export);

  auto* scan =
      app.add_subcommand("scan", "Show what the guardrails find in a text (policy tuning)");
  gatehouse::guardrails::ScanCommandOptions scan_options;
  scan->add_option("input", scan_options.input, "File to scan, or - for standard input")
      ->required();
  scan->add_option("--policy", scan_options.policy_path,
                   "Guardrail policy file (default: flag all)");
  scan->add_flag("--jsonl", scan_options.jsonl,
                 "Input is JSON Lines with a \"text\" field; output one result line each");
  scan->add_flag("--reveal", scan_options.reveal, "Print matched values in full");

  CLI11_PARSE(app, argc, argv);

  try {
    if (*serve)
      return runServe(common);
    if (*create)
      return runKeysCreate(common, key_name, json);
    if (*list)
      return runKeysList(common, json);
    if (*revoke)
      return runKeysRevoke(common, key_id);
    if (*usage_export)
      return runUsageExport(common, format, output);
    if (*scan)
      return gatehouse::guardrails::runScanCommand(scan_options);
  } catch (const std::exception& e) {
    // Start-up and configuration errors end here, with a message and no stack of secrets.
    std::cerr << "gatehouse: " << e.what() << "\n";
    return 1;
  }
  return 2;
}
