#include <gatehouse/guardrails/pseudonymizer.h>
#include <gatehouse/guardrails/stream_guard.h>

#include "guardrails/char_class.h"

#include <algorithm>

namespace gatehouse::guardrails {
namespace {

constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::size_t kMinWindow = 64;
constexpr std::size_t kMaxLabel = 40;  // "-----END " + label + "-----" stays below kMinWindow

}  // namespace

OutputStreamGuard::OutputStreamGuard(const Engine& engine, Pseudonymizer& pseudonymizer,
                                     std::size_t window_bytes)
    : engine_(engine), pseudonymizer_(pseudonymizer), window_(std::max(window_bytes, kMinWindow)) {}

StreamStep OutputStreamGuard::feed(std::string_view chunk) {
  if (blocked_) {
    return StreamStep{{}, true, blocked_by_};
  }
  held_.append(chunk);
  return process(false);
}

StreamStep OutputStreamGuard::finish() {
  if (blocked_) {
    return StreamStep{{}, true, blocked_by_};
  }
  StreamStep step = process(true);
  held_.clear();
  return step;
}

void OutputStreamGuard::count(std::string_view detector, Action action) {
  for (Outcome& outcome : outcomes_) {
    if (outcome.detector == detector && outcome.action == action) {
      ++outcome.count;
      return;
    }
  }
  outcomes_.push_back(Outcome{std::string(detector), action, 1});
}

bool OutputStreamGuard::skipPrivateKey() {
  const std::size_t end = held_.find(end_marker_);
  if (end == std::string::npos) {
    // Drop the key body; keep only what could be the start of a split END line.
    const std::size_t keep = std::min(held_.size(), end_marker_.size() - 1);
    held_.erase(0, held_.size() - keep);
    return false;
  }
  held_.erase(0, end + end_marker_.size());
  in_private_key_ = false;
  end_marker_.clear();
  return true;
}

bool OutputStreamGuard::enterPrivateKey(std::string& out, bool final) {
  // Only when the private-key policy masks or blocks output and the block is still open.
  const Action action = engine_.policy().entity(EntityType::kPrivateKey).output;
  if (action == Action::kAllow || action == Action::kFlag) {
    return false;
  }
  std::size_t search = 0;
  for (std::size_t begin = held_.find(kBegin); begin != std::string::npos;
       begin = held_.find(kBegin, search)) {
    const std::size_t label_start = begin + kBegin.size();
    const std::size_t label_end = held_.find("-----", label_start);
    if (label_end == std::string::npos || label_end - label_start > 64) {
      return false;  // header still arriving (it is within the held window)
    }
    search = label_end + 5;
    const std::string label = held_.substr(label_start, label_end - label_start);
    // Same label rule as the engine's PEM detector ("RSA PRIVATE KEY", "PGP PRIVATE KEY
    // BLOCK"); it also bounds the END marker the private-key state holds back (< kMinWindow).
    const bool plausible_label =
        label.size() <= kMaxLabel && std::all_of(label.begin(), label.end(), [](char c) {
          return detail::isUpper(static_cast<unsigned char>(c)) ||
                 detail::isDigit(static_cast<unsigned char>(c)) || c == ' ';
        });
    if (!plausible_label || label.find("PRIVATE KEY") == std::string::npos) {
      continue;
    }
    const std::string end_marker = "-----END " + label + "-----";
    const std::size_t end = held_.find(end_marker, label_end);
    if (end != std::string::npos) {
      search = end + end_marker.size();  // complete: the engine's PEM detector handles it
      continue;
    }
    if (final) {
      return false;
    }
    // Send what precedes the key (scanned as usual), then the placeholder, then go quiet.
    std::string rest = held_.substr(begin);
    held_.resize(begin);
    emitScanned(out, held_.size(), true);
    if (blocked_) {
      return true;
    }
    Finding finding;
    finding.type = EntityType::kPrivateKey;
    count(entityTypeName(EntityType::kPrivateKey), action);
    if (action == Action::kBlock) {
      blocked_ = true;
      blocked_by_ = std::string(entityTypeName(EntityType::kPrivateKey));
      return true;
    }
    out += pseudonymizer_.placeholderFor(placeholderLabel(finding), rest.substr(0, 64), false);
    held_ = rest.substr(label_end + 5 - begin);
    in_private_key_ = true;
    end_marker_ = end_marker;
    context_.clear();
    return true;
  }
  return false;
}

void OutputStreamGuard::emitScanned(std::string& out, std::size_t cut, bool final) {
  const std::string buffer = context_ + held_;
  const std::size_t base = context_.size();
  const ScanResult scanned = engine_.scan(buffer, Direction::kOutput);
  std::size_t cut_abs = base + std::min(cut, held_.size());
  // Never cut through a finding: send it whole (masked) or hold it whole.
  for (const Finding& f : scanned.findings) {
    if (f.start < cut_abs && f.end > cut_abs) {
      cut_abs = f.end;
    }
  }
  // Nor through a UTF-8 sequence.
  while (!final && cut_abs < buffer.size() && cut_abs > base &&
         (static_cast<unsigned char>(buffer[cut_abs]) & 0xC0) == 0x80) {
    ++cut_abs;
  }
  std::size_t pos = base;
  for (const Finding& f : scanned.findings) {
    if (f.end <= base) {
      continue;  // already sent
    }
    if (f.start >= cut_abs) {
      break;
    }
    const std::size_t start = std::max<std::size_t>(f.start, base);
    out.append(buffer, pos, start - pos);
    count(detectorName(f), f.action);
    switch (f.action) {
      case Action::kBlock:
        blocked_ = true;
        blocked_by_ = std::string(detectorName(f));
        held_.clear();
        return;
      case Action::kRedact:
      case Action::kPseudonymize:
        out += pseudonymizer_.placeholderFor(
            placeholderLabel(f), std::string_view(buffer).substr(f.start, f.size()), false);
        break;
      default:
        out.append(buffer, start, f.end - start);
        break;
    }
    pos = f.end;
  }
  out.append(buffer, pos, cut_abs - pos);
  context_.append(buffer, base, cut_abs - base);
  if (context_.size() > window_) {
    context_.erase(0, context_.size() - window_);
  }
  held_.erase(0, cut_abs - base);
}

StreamStep OutputStreamGuard::process(bool final) {
  StreamStep step;
  // Each round consumes a private-key header or body, so the loop ends with the input.
  for (;;) {
    if (in_private_key_ && !skipPrivateKey()) {
      break;
    }
    if (enterPrivateKey(step.text, final)) {
      if (blocked_) {
        break;
      }
      continue;
    }
    const std::size_t cut =
        final ? held_.size() : (held_.size() > window_ ? held_.size() - window_ : 0);
    emitScanned(step.text, cut, final);
    break;
  }
  step.blocked = blocked_;
  step.blocked_by = blocked_by_;
  return step;
}

}  // namespace gatehouse::guardrails
