// gatehouse: the gateway server and its operator commands.

#include "commands.h"

#include <gatehouse/common/secret.h>
#include <gatehouse/guardrails/scan_command.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <vector>

namespace {

namespace json = boost::json;
using gatehouse::app::AdminCall;

// Reads a secret from a file or standard input, without a trailing newline.
std::string readSecret(const std::string& path) {
  std::string text;
  if (path.empty() || path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      throw std::runtime_error("cannot read " + path);
    }
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace gatehouse::app;
  CLI::App app{"Gatehouse: a self-hosted, security-first LLM gateway"};
  app.require_subcommand(1);
  CommonOptions common;
  const auto addCommon = [&common](CLI::App* command) {
    command->add_option("--config", common.config_file, "TOML configuration file");
    command->add_option("--data-dir", common.data_dir, "Data directory (default ./data)");
    return command;
  };
  // Every admin command: what it sends to the admin service, built once its options parsed.
  std::vector<std::pair<CLI::App*, std::function<AdminCall()>>> admin_commands;
  bool json_output = false;
  const auto adminCommand = [&](CLI::App* parent, const std::string& name, const std::string& help,
                                std::function<AdminCall()> build) {
    CLI::App* command = addCommon(parent->add_subcommand(name, help));
    command->add_flag("--json", json_output, "Print the service's JSON reply");
    admin_commands.emplace_back(command, std::move(build));
    return command;
  };
  std::string org = "org_default";
  std::string id, name, role, email, project, type, base_url, format = "jsonl", output;
  std::string key_file, new_key_file, content_history, key_project = "prj_default";
  std::vector<std::string> scopes, deployments;
  std::int64_t expires_in = 0, overlap = -1, audit_days = 0, usage_days = 0;
  const auto orgPath = [&org](const std::string& rest) { return "/orgs/" + org + rest; };
  const auto addOrg = [&org](CLI::App* command) {
    command->add_option("--org", org, "Organization id (default org_default)");
    return command;
  };
  const auto serialize = [](const json::object& body) { return json::serialize(body); };

  auto* serve = addCommon(app.add_subcommand("serve", "Run the gateway"));

  // Organisations.
  auto* orgs = app.add_subcommand("orgs", "Manage organizations");
  orgs->require_subcommand(1);
  adminCommand(orgs, "create", "Create an organization (and its data key)",
               [&] {
                 return AdminCall{"POST", "/orgs", "", serialize({{"name", name}})};
               })
      ->add_option("--name", name)
      ->required();
  adminCommand(orgs, "list", "List organizations", [&] { return AdminCall{"GET", "/orgs"}; });
  adminCommand(orgs, "get", "Show an organization",
               [&] {
                 return AdminCall{"GET", "/orgs/" + id};
               })
      ->add_option("id", id)
      ->required();
  adminCommand(orgs, "delete", "Delete an organization; its data key is destroyed",
               [&] {
                 return AdminCall{"DELETE", "/orgs/" + id};
               })
      ->add_option("id", id)
      ->required();
  auto* org_set = adminCommand(orgs, "set", "Change an organization's settings", [&] {
    json::object body;
    if (!name.empty())
      body["name"] = name;
    if (audit_days)
      body["audit_retention_days"] = audit_days;
    if (usage_days)
      body["usage_retention_days"] = usage_days;
    if (!content_history.empty())
      body["content_history"] = content_history == "on";
    return AdminCall{"PATCH", "/orgs/" + id, "", serialize(body)};
  });
  org_set->add_option("id", id)->required();
  org_set->add_option("--name", name);
  org_set->add_option("--audit-retention-days", audit_days);
  org_set->add_option("--usage-retention-days", usage_days);
  org_set->add_option("--content-history", content_history)->check(CLI::IsMember({"on", "off"}));

  // Projects.
  auto* projects = app.add_subcommand("projects", "Manage projects");
  projects->require_subcommand(1);
  addOrg(adminCommand(
             projects, "create", "Create a project",
             [&] {
               return AdminCall{"POST", orgPath("/projects"), "", serialize({{"name", name}})};
             }))
      ->add_option("--name", name)
      ->required();
  addOrg(adminCommand(projects, "list", "List projects", [&] {
    return AdminCall{"GET", orgPath("/projects")};
  }));
  addOrg(adminCommand(projects, "delete", "Delete a project and its keys",
                      [&] {
                        return AdminCall{"DELETE", orgPath("/projects/" + id)};
                      }))
      ->add_option("id", id)
      ->required();

  // Members.
  auto* members = app.add_subcommand("members", "Manage members and roles");
  members->require_subcommand(1);
  auto* member_add = addOrg(adminCommand(members, "add", "Add a member", [&] {
    return AdminCall{"POST", orgPath("/members"), "",
                     serialize({{"email", email}, {"name", name}, {"role", role}})};
  }));
  member_add->add_option("--email", email)->required();
  member_add->add_option("--role", role)->required();
  member_add->add_option("--name", name);
  addOrg(adminCommand(members, "list", "List members", [&] {
    return AdminCall{"GET", orgPath("/members")};
  }));
  auto* member_role = addOrg(adminCommand(members, "set-role", "Change a member's role", [&] {
    return AdminCall{"PATCH", orgPath("/members/" + id), "", serialize({{"role", role}})};
  }));
  member_role->add_option("user", id)->required();
  member_role->add_option("--role", role)->required();
  addOrg(adminCommand(members, "remove", "Remove a member",
                      [&] {
                        return AdminCall{"DELETE", orgPath("/members/" + id)};
                      }))
      ->add_option("user", id)
      ->required();

  // Caller keys.
  auto* keys = app.add_subcommand("keys", "Manage caller API keys");
  keys->require_subcommand(1);
  auto* key_create = addOrg(adminCommand(keys, "create", "Create a key (shown only once)", [&] {
    json::object body{{"name", name}, {"project_id", key_project}};
    if (!scopes.empty()) {
      json::array list;
      for (const auto& model : scopes)
        list.emplace_back(model);
      body["scopes"] = std::move(list);
    }
    if (expires_in > 0)
      body["expires_in_seconds"] = expires_in;
    AdminCall call{"POST", orgPath("/keys"), "", serialize(body)};
    call.reveal_field = "key";
    return call;
  }));
  key_create->add_option("--name", name)->required();
  key_create->add_option("--project", key_project, "Project id (default prj_default)");
  key_create->add_option("--scope", scopes, "A model the key may use (repeatable; none: all)");
  key_create->add_option("--expires-in", expires_in, "Seconds until the key expires");
  addOrg(adminCommand(keys, "list", "List keys (never their secrets)", [&] {
    return AdminCall{"GET", orgPath("/keys")};
  }));
  addOrg(adminCommand(keys, "revoke", "Revoke a key",
                      [&] {
                        return AdminCall{"DELETE", orgPath("/keys/" + id)};
                      }))
      ->add_option("id", id)
      ->required();
  auto* key_rotate = addOrg(adminCommand(keys, "rotate", "Issue a successor key", [&] {
    json::object body;
    if (overlap >= 0)
      body["overlap_seconds"] = overlap;
    AdminCall call{"POST", orgPath("/keys/" + id + "/rotate"), "", serialize(body)};
    call.reveal_field = "key";
    return call;
  }));
  key_rotate->add_option("id", id)->required();
  key_rotate->add_option("--overlap", overlap, "Seconds the old key keeps working");

  // Admin keys.
  auto* admin_keys = app.add_subcommand("admin-keys", "Manage admin API keys");
  admin_keys->require_subcommand(1);
  auto* admin_create = addOrg(adminCommand(admin_keys, "create", "Create an admin key", [&] {
    AdminCall call{"POST", orgPath("/admin-keys"), "", serialize({{"name", name}, {"role", role}})};
    call.reveal_field = "key";
    return call;
  }));
  admin_create->add_option("--name", name)->required();
  admin_create->add_option("--role", role)->required();
  addOrg(adminCommand(admin_keys, "list", "List admin keys", [&] {
    return AdminCall{"GET", orgPath("/admin-keys")};
  }));
  addOrg(adminCommand(admin_keys, "revoke", "Revoke an admin key",
                      [&] {
                        return AdminCall{"DELETE", orgPath("/admin-keys/" + id)};
                      }))
      ->add_option("id", id)
      ->required();

  // Providers and provider keys.
  auto* providers = app.add_subcommand("providers", "Manage providers and provider keys");
  providers->require_subcommand(1);
  auto* provider_add =
      addOrg(adminCommand(providers, "add", "Add a provider (egress-checked)", [&] {
        return AdminCall{"POST", orgPath("/providers"), "",
                         serialize({{"name", name}, {"type", type}, {"base_url", base_url}})};
      }));
  provider_add->add_option("--name", name)->required();
  provider_add->add_option("--type", type)->required();
  provider_add->add_option("--base-url", base_url)->required();
  addOrg(adminCommand(providers, "list", "List the organization's providers", [&] {
    return AdminCall{"GET", orgPath("/providers")};
  }));
  addOrg(adminCommand(providers, "delete", "Delete a provider",
                      [&] {
                        return AdminCall{"DELETE", orgPath("/providers/" + id)};
                      }))
      ->add_option("id", id)
      ->required();
  auto* key_add = addOrg(adminCommand(
      providers, "add-key", "Add a provider key (read from --key-file or standard input)", [&] {
        json::object body{{"provider", type}, {"name", name}};
        if (!project.empty())
          body["project_id"] = project;
        gatehouse::SecretString secret(readSecret(key_file));
        body["key"] = secret.reveal();
        std::string text = json::serialize(body);
        gatehouse::secureWipe(body["key"].as_string().data(), body["key"].as_string().size());
        return AdminCall{"POST", orgPath("/provider-keys"), "", std::move(text)};
      }));
  key_add->add_option("--provider", type)->required();
  key_add->add_option("--name", name)->required();
  key_add->add_option("--project", project, "Only for this project");
  key_add->add_option("--key-file", key_file, "File holding the key (default: standard input)");
  addOrg(adminCommand(providers, "keys", "List provider keys (last four characters only)", [&] {
    return AdminCall{"GET", orgPath("/provider-keys")};
  }));
  addOrg(adminCommand(providers, "delete-key", "Delete a provider key",
                      [&] {
                        return AdminCall{"DELETE", orgPath("/provider-keys/" + id)};
                      }))
      ->add_option("id", id)
      ->required();

  // Models.
  auto* models = app.add_subcommand("models", "Manage an organization's model routes");
  models->require_subcommand(1);
  auto* model_put = addOrg(adminCommand(models, "put", "Create or replace a model route", [&] {
    json::array list;
    for (const auto& spec : deployments) {
      // provider[:model[:weight]]
      const auto first = spec.find(':');
      json::object deployment{{"provider", spec.substr(0, first)}};
      if (first != std::string::npos) {
        const auto second = spec.find(':', first + 1);
        deployment["model"] = spec.substr(first + 1, second - first - 1);
        if (second != std::string::npos)
          deployment["weight"] = std::stoll(spec.substr(second + 1));
      }
      list.emplace_back(std::move(deployment));
    }
    return AdminCall{"PUT", orgPath("/models"), "",
                     serialize({{"name", name}, {"deployments", std::move(list)}})};
  }));
  model_put->add_option("--name", name)->required();
  model_put->add_option("--deployment", deployments, "provider[:model[:weight]] (repeatable)")
      ->required();
  addOrg(adminCommand(models, "list", "List model routes", [&] {
    return AdminCall{"GET", orgPath("/models")};
  }));
  addOrg(adminCommand(models, "delete", "Delete a model route",
                      [&] {
                        return AdminCall{"DELETE", orgPath("/models/" + id)};
                      }))
      ->add_option("id", id)
      ->required();

  // Usage and audit exports.
  std::vector<std::pair<CLI::App*, std::function<AdminCall()>>> exports;
  const auto addExport = [&](CLI::App* command, std::function<AdminCall()> build) {
    addCommon(command);
    command->add_option("--format", format, "csv or jsonl")->check(CLI::IsMember({"csv", "jsonl"}));
    command->add_option("--output", output, "Write to this file instead of stdout");
    exports.emplace_back(command, std::move(build));
    return command;
  };
  auto* usage = app.add_subcommand("usage", "Read usage records");
  usage->require_subcommand(1);
  addOrg(addExport(usage->add_subcommand("export", "Export an organization's usage records"), [&] {
    return AdminCall{"GET", orgPath("/usage"), "format=" + format};
  }));
  auto* audit = app.add_subcommand("audit", "The tamper-evident audit trail");
  audit->require_subcommand(1);
  auto* audit_export = addExport(
      audit->add_subcommand("export", "Export a chain with its hashes (--org, or the instance)"),
      [&] {
        return AdminCall{"GET", (org.empty() ? std::string() : "/orgs/" + org) + "/audit/export",
                         "format=" + format};
      });
  audit_export->add_option("--org", org, "Organization id; empty for the instance chain");
  addOrg(adminCommand(audit, "list", "Recent entries of an organization", [&] {
    return AdminCall{"GET", orgPath("/audit")};
  }));
  auto* history = app.add_subcommand("history", "Content history (organizations that opted in)");
  history->require_subcommand(1);
  addOrg(adminCommand(history, "list", "Recent entries, decrypted", [&] {
    return AdminCall{"GET", orgPath("/history")};
  }));
  auto* audit_verify =
      addCommon(audit->add_subcommand("verify", "Check every chain; names the first bad entry"));
  audit_verify->add_flag("--json", json_output, "Print the report as JSON");
  auto* retention =
      addCommon(audit->add_subcommand("retention", "Apply retention now (the server does hourly)"));

  auto* master_key = app.add_subcommand("master-key", "Master key operations");
  master_key->require_subcommand(1);
  auto* rotate = addCommon(master_key->add_subcommand(
      "rotate", "Re-wrap every data key under a new master key, online"));
  rotate->add_option("--new-key-file", new_key_file, "File holding the new master key")->required();

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
    for (auto& [command, build] : admin_commands) {
      if (*command) {
        AdminCall call = build();
        call.json = json_output;
        const int status = runAdminCall(common, call);
        gatehouse::secureWipe(call.body.data(), call.body.size());  // May hold a provider key.
        return status;
      }
    }
    for (auto& [command, build] : exports) {
      if (*command)
        return runExport(common, build(), output);
    }
    if (*audit_verify)
      return runAuditVerify(common, json_output);
    if (*retention)
      return runRetention(common);
    if (*rotate)
      return runMasterKeyRotate(common, new_key_file);
    if (*scan)
      return gatehouse::guardrails::runScanCommand(scan_options);
  } catch (const std::exception& e) {
    // Start-up and configuration errors end here, with a message and no stack of secrets.
    std::cerr << "gatehouse: " << e.what() << "\n";
    return 1;
  }
  return 2;
}
