#pragma once

// Helpers for the guardrails tests. Secret-shaped test values are assembled at run time from a
// prefix and generated characters, so no credential-looking literal sits in the repository for
// secret scanners to flag.

#include <gatehouse/guardrails/engine.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::guardrails::testing {

inline constexpr std::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
inline constexpr std::string_view kHexLower = "0123456789abcdef";

/// `n` characters drawn from `alphabet` with a fixed seed (deterministic tests).
inline std::string randomChars(std::string_view alphabet, std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    out += alphabet[rng() % alphabet.size()];
  }
  return out;
}

/// The engine with every detector flagged on both sides.
inline const Engine& flagAllEngine() {
  static const std::unique_ptr<Engine> engine = [] {
    auto created = Engine::create(flagEverythingPolicy());
    return created ? std::move(created).value() : nullptr;
  }();
  return *engine;
}

struct Span {
  std::string type;
  std::string text;
  friend bool operator==(const Span&, const Span&) = default;
};

/// What scanAll finds, as (type, matched text) pairs in order.
inline std::vector<Span> spans(std::string_view text) {
  std::vector<Span> out;
  for (const Finding& f : flagAllEngine().scanAll(text).findings) {
    out.push_back(Span{std::string(detectorName(f)), std::string(text.substr(f.start, f.size()))});
  }
  return out;
}

/// The matched texts of findings of one type.
inline std::vector<std::string> found(std::string_view text, EntityType type) {
  std::vector<std::string> out;
  for (const Finding& f : flagAllEngine().scanAll(text).findings) {
    if (f.type == type) {
      out.emplace_back(text.substr(f.start, f.size()));
    }
  }
  return out;
}

inline bool nothingFound(std::string_view text) {
  return flagAllEngine().scanAll(text).findings.empty();
}

}  // namespace gatehouse::guardrails::testing
