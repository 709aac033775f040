#include <gatehouse/guardrails/pseudonymizer.h>

#include "guardrails/char_class.h"

#include <cstring>

namespace gatehouse::guardrails {
namespace {

std::uint64_t hashValue(std::string_view label, std::string_view value) {
  // FNV-1a over label, a separator and the value: only used to recognise a repeated value.
  std::uint64_t hash = 1469598103934665603ull;
  auto mix = [&hash](std::string_view bytes) {
    for (char c : bytes) {
      hash ^= static_cast<unsigned char>(c);
      hash *= 1099511628211ull;
    }
  };
  mix(label);
  mix(std::string_view("\0", 1));
  mix(value);
  return hash;
}

void wipe(std::string& s) {
  if (!s.empty()) {
    volatile char* p = s.data();
    for (std::size_t i = 0; i < s.size(); ++i) {
      p[i] = 0;
    }
  }
  s.clear();
}

bool isPlaceholderChar(char c) {
  return detail::isUpper(static_cast<unsigned char>(c)) ||
         detail::isDigit(static_cast<unsigned char>(c)) || c == '_';
}

}  // namespace

Pseudonymizer::Pseudonymizer() = default;

Pseudonymizer::~Pseudonymizer() {
  for (Entry& entry : entries_) {
    wipe(entry.value);
  }
}

Pseudonymizer::Pseudonymizer(Pseudonymizer&&) noexcept = default;
Pseudonymizer& Pseudonymizer::operator=(Pseudonymizer&& other) noexcept {
  if (this != &other) {
    for (Entry& entry : entries_) {
      wipe(entry.value);
    }
    entries_ = std::move(other.entries_);
    by_value_ = std::move(other.by_value_);
    by_placeholder_ = std::move(other.by_placeholder_);
    counters_ = std::move(other.counters_);
    longest_placeholder_ = other.longest_placeholder_;
  }
  return *this;
}

std::string Pseudonymizer::placeholderFor(std::string_view label, std::string_view value,
                                          bool restorable) {
  const std::uint64_t hash = hashValue(label, value);
  if (auto it = by_value_.find(hash); it != by_value_.end()) {
    Entry& entry = entries_[it->second];
    if (restorable && !entry.restorable) {
      entry.value.assign(value);
      entry.restorable = true;
    }
    if (!entry.restorable || entry.value == value) {
      return entry.placeholder;
    }
  }
  const std::uint32_t number = ++counters_[std::string(label)];
  Entry entry;
  entry.placeholder = "[" + std::string(label) + "_" + std::to_string(number) + "]";
  entry.restorable = restorable;
  if (restorable) {
    entry.value.assign(value);
  }
  longest_placeholder_ = std::max(longest_placeholder_, entry.placeholder.size());
  by_value_[hash] = entries_.size();
  by_placeholder_[entry.placeholder] = entries_.size();
  entries_.push_back(std::move(entry));
  return entries_.back().placeholder;
}

const std::string* Pseudonymizer::originalFor(std::string_view placeholder) const {
  const auto it = by_placeholder_.find(std::string(placeholder));
  if (it == by_placeholder_.end() || !entries_[it->second].restorable) {
    return nullptr;
  }
  return &entries_[it->second].value;
}

std::string Pseudonymizer::restore(std::string_view text) const {
  Restorer restorer(*this);
  std::string out = restorer.feed(text);
  out += restorer.finish();
  return out;
}

std::string Restorer::feed(std::string_view chunk) {
  pending_.append(chunk);
  std::string out;
  const std::size_t limit = pseudonymizer_.longestPlaceholder();
  std::size_t i = 0;
  std::size_t emitted = 0;
  while (i < pending_.size()) {
    const std::size_t bracket = pending_.find('[', i);
    if (bracket == std::string::npos) {
      break;
    }
    std::size_t j = bracket + 1;
    while (j < pending_.size() && isPlaceholderChar(pending_[j])) {
      ++j;
    }
    if (j == pending_.size()) {
      // Possibly a placeholder cut by the chunk boundary: hold it, if it can still be one.
      if (pending_.size() - bracket < limit) {
        out.append(pending_, emitted, bracket - emitted);
        pending_.erase(0, bracket);
        return out;
      }
      i = bracket + 1;
      continue;
    }
    if (pending_[j] == ']') {
      const std::string_view candidate(pending_.data() + bracket, j + 1 - bracket);
      if (const std::string* original = pseudonymizer_.originalFor(candidate)) {
        out.append(pending_, emitted, bracket - emitted);
        out.append(*original);
        emitted = j + 1;
      }
      i = j + 1;
      continue;
    }
    i = bracket + 1;
  }
  out.append(pending_, emitted, std::string::npos);
  pending_.clear();
  return out;
}

std::string Restorer::finish() {
  std::string out = std::move(pending_);
  pending_.clear();
  return out;
}

}  // namespace gatehouse::guardrails
