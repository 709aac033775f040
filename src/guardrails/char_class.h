#pragma once

// Byte classification for the detectors. The engine works on bytes (UTF-8 or not), so every
// class here is ASCII-only: a byte >= 0x80 is never a digit, letter or separator.

#include <array>
#include <cstdint>
#include <string_view>

namespace gatehouse::guardrails::detail {

inline constexpr bool isDigit(unsigned char c) {
  return c >= '0' && c <= '9';
}
inline constexpr bool isUpper(unsigned char c) {
  return c >= 'A' && c <= 'Z';
}
inline constexpr bool isLower(unsigned char c) {
  return c >= 'a' && c <= 'z';
}
inline constexpr bool isAlpha(unsigned char c) {
  return isUpper(c) || isLower(c);
}
inline constexpr bool isAlnum(unsigned char c) {
  return isDigit(c) || isAlpha(c);
}
inline constexpr bool isWord(unsigned char c) {
  return isAlnum(c) || c == '_';
}
inline constexpr bool isHex(unsigned char c) {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
inline constexpr bool isSpace(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
inline constexpr char toLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
inline constexpr char toUpper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

/// A set of bytes, built at compile time from a predicate.
class ByteSet {
 public:
  template <class Pred>
  static constexpr ByteSet of(Pred pred) {
    ByteSet set;
    for (int c = 0; c < 256; ++c) {
      set.bits_[static_cast<std::size_t>(c)] = pred(static_cast<unsigned char>(c));
    }
    return set;
  }
  constexpr bool contains(char c) const { return bits_[static_cast<unsigned char>(c)]; }

 private:
  std::array<bool, 256> bits_{};
};

/// Counts bytes of `text` from `pos` that are in `set`, at most `limit`.
inline std::size_t spanOf(std::string_view text, std::size_t pos, const ByteSet& set,
                          std::size_t limit) {
  std::size_t n = 0;
  while (pos + n < text.size() && n < limit && set.contains(text[pos + n])) {
    ++n;
  }
  return n;
}

/// Case-insensitive ASCII equality.
inline bool equalsCi(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (toLower(a[i]) != toLower(b[i])) {
      return false;
    }
  }
  return true;
}

/// Case-insensitive ASCII substring search; `needle` must be lower case.
inline bool containsCi(std::string_view haystack, std::string_view needle) {
  if (needle.empty() || haystack.size() < needle.size()) {
    return needle.empty();
  }
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    std::size_t k = 0;
    while (k < needle.size() && toLower(haystack[i + k]) == needle[k]) {
      ++k;
    }
    if (k == needle.size()) {
      return true;
    }
  }
  return false;
}

}  // namespace gatehouse::guardrails::detail
