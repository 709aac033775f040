#include <gatehouse/guardrails/engine.h>
#include <gatehouse/guardrails/policy.h>
#include <gatehouse/guardrails/scan_command.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

namespace gatehouse::guardrails {
namespace {

void appendJsonString(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) {
          char buffer[8];
          std::snprintf(buffer, sizeof(buffer), "\\u%04x", static_cast<unsigned char>(c));
          out += buffer;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

std::string formatScore(double score) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.4f", score);
  return buffer;
}

// The JSONL result line for one text.
std::string resultLine(const ScanResult& result) {
  std::string line = "{\"findings\":[";
  bool first = true;
  for (const Finding& finding : result.findings) {
    if (!first) {
      line += ',';
    }
    first = false;
    line += "{\"type\":";
    appendJsonString(line, detectorName(finding));
    line += ",\"start\":" + std::to_string(finding.start) +
            ",\"end\":" + std::to_string(finding.end) + ",\"rule\":";
    appendJsonString(line, finding.rule);
    line += '}';
  }
  line += "],\"injection\":{\"score\":" + formatScore(result.injection.score) +
          ",\"flagged\":" + (result.injection.flagged ? "true" : "false") + "}}";
  return line;
}

// A value shown to a human tuning a policy: enough to recognise it, not enough to leak it.
std::string preview(std::string_view value, bool reveal) {
  if (reveal) {
    return std::string(value);
  }
  std::string flat;
  if (value.size() <= 6) {
    flat.assign(value.size(), '*');
  } else {
    flat.append(value.substr(0, 2));
    flat.append("…(");
    flat.append(std::to_string(value.size()));
    flat.append(" bytes)…");
    flat.append(value.substr(value.size() - 2));
  }
  for (char& c : flat) {
    if (c == '\n' || c == '\r' || c == '\t') {
      c = ' ';
    }
  }
  return flat;
}

int runJsonl(const Engine& engine, bool with_policy, std::istream& in, std::ostream& out) {
  int status = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    boost::system::error_code ec;
    const boost::json::value doc = boost::json::parse(line, ec);
    const boost::json::string* text = nullptr;
    if (!ec && doc.is_object()) {
      if (const auto* field = doc.as_object().if_contains("text"); field && field->is_string()) {
        text = &field->as_string();
      }
    }
    if (text == nullptr) {
      out << "{\"error\":\"expected a JSON object with a string field \\\"text\\\"\"}\n";
      status = 1;
      continue;
    }
    const std::string_view view(text->data(), text->size());
    const ScanResult result =
        with_policy ? engine.scan(view, Direction::kInput) : engine.scanAll(view);
    out << resultLine(result) << '\n';
  }
  return status;
}

int runHuman(const Engine& engine, const ScanCommandOptions& options, std::string_view text,
             std::ostream& out) {
  const PolicyConfig& policy = engine.policy();
  const ScanResult result = engine.scanAll(text);
  out << "policy: " << policy.name << "\n";
  out << "input: " << (options.input == "-" ? std::string("<stdin>") : options.input) << " ("
      << text.size() << " bytes)\n";
  // Line/column of each finding, computed in one forward walk.
  std::size_t line = 1;
  std::size_t line_start = 0;
  std::size_t walked = 0;
  bool blocked = false;
  std::map<std::string, int> totals;
  for (const Finding& f : result.findings) {
    for (; walked < f.start; ++walked) {
      if (text[walked] == '\n') {
        ++line;
        line_start = walked + 1;
      }
    }
    RuleAction actions{Action::kFlag, Action::kFlag};
    if (!options.policy_path.empty()) {
      if (f.type == EntityType::kCustom) {
        for (const CustomRule& rule : policy.custom_rules) {
          if (rule.name == f.rule) {
            actions = rule.action;
          }
        }
      } else {
        actions = policy.entity(f.type);
      }
    }
    blocked |= actions.input == Action::kBlock;
    ++totals[std::string(detectorName(f))];
    out << "  " << line << ":" << (f.start - line_start + 1) << "\t[" << f.start << "," << f.end
        << ")\t" << detectorName(f) << "\t" << f.rule << "\tinput=" << actionName(actions.input)
        << " output=" << actionName(actions.output) << "\t"
        << preview(text.substr(f.start, f.size()), options.reveal) << "\n";
  }
  out << "findings: " << result.findings.size();
  if (!totals.empty()) {
    out << " (";
    bool first = true;
    for (const auto& [name, n] : totals) {
      out << (first ? "" : ", ") << name << " " << n;
      first = false;
    }
    out << ")";
  }
  out << "\n";
  const bool injection_on = options.policy_path.empty() || policy.injection.input != Action::kAllow;
  out << "injection: score " << formatScore(result.injection.score)
      << (result.injection.flagged ? " FLAGGED" : " not flagged") << " (threshold "
      << policy.injection_threshold << ")";
  if (!result.injection.signals.empty()) {
    out << " signals:";
    for (std::string_view signal : result.injection.signals) {
      out << " " << signal;
    }
  }
  out << "\n";
  if (result.injection.flagged && injection_on && !options.policy_path.empty()) {
    out << "  input=" << actionName(policy.injection.input)
        << " output=" << actionName(policy.injection.output) << "\n";
    blocked |= policy.injection.input == Action::kBlock;
  }
  if (blocked) {
    out << "verdict: a request with this text would be BLOCKED on input\n";
  }
  return blocked ? 1 : 0;
}

}  // namespace

int runScanCommand(const ScanCommandOptions& options) {
  return runScanCommand(options, std::cin, std::cout, std::cerr);
}

int runScanCommand(const ScanCommandOptions& options, std::istream& in, std::ostream& out,
                   std::ostream& err) {
  PolicyConfig policy = flagEverythingPolicy();
  if (!options.policy_path.empty()) {
    auto loaded = loadPolicyFile(options.policy_path);
    if (!loaded) {
      err << "gatehouse scan: " << loaded.error().message << "\n";
      return 2;
    }
    policy = std::move(loaded).value();
  }
  auto engine = Engine::create(std::move(policy));
  if (!engine) {
    err << "gatehouse scan: " << engine.error().message << "\n";
    return 2;
  }
  std::ifstream file;
  std::istream* source = &in;
  if (options.input != "-") {
    file.open(options.input, std::ios::binary);
    if (!file) {
      err << "gatehouse scan: cannot read '" << options.input << "'\n";
      return 2;
    }
    source = &file;
  }
  if (options.jsonl) {
    return runJsonl(**engine, !options.policy_path.empty(), *source, out);
  }
  std::ostringstream content;
  content << source->rdbuf();
  return runHuman(**engine, options, content.str(), out);
}

}  // namespace gatehouse::guardrails
