#pragma once

#include <iosfwd>
#include <string>

namespace gatehouse::guardrails {

/// `gatehouse scan [--policy P] [--jsonl] [--reveal] FILE|-`
struct ScanCommandOptions {
  /// A file to scan, or "-" for standard input.
  std::string input = "-";
  /// A policy file (see parsePolicyToml). Empty: every detector on, everything flagged.
  std::string policy_path;
  /// One JSON object with a "text" field per input line; one result line per input line:
  /// {"findings":[{"type":"EMAIL","start":35,"end":70}],"injection":{"score":0.12,"flagged":false}}
  /// (byte offsets into the UTF-8 text). Lines that are not such objects get {"error":"..."}.
  bool jsonl = false;
  /// Human output only: print matched values in full (default: masked, e.g. "sa…om").
  bool reveal = false;
};

/// Runs the command on std::cin / std::cout / std::cerr. Returns the process exit code:
/// 0 ok, 1 when a finding was blocked by the policy (human mode) or a JSONL line was invalid,
/// 2 on a usage / policy / I/O error.
int runScanCommand(const ScanCommandOptions& options);

/// The same with explicit streams (tests).
int runScanCommand(const ScanCommandOptions& options, std::istream& in, std::ostream& out,
                   std::ostream& err);

}  // namespace gatehouse::guardrails
