#include "guardrails/validators.h"

#include "guardrails/char_class.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>

namespace gatehouse::guardrails::detail {

bool luhnValid(std::string_view digits) {
  int sum = 0;
  bool twice = false;
  for (std::size_t i = digits.size(); i-- > 0;) {
    int d = digits[i] - '0';
    if (d < 0 || d > 9) {
      return false;
    }
    if (twice) {
      d *= 2;
      if (d > 9) {
        d -= 9;
      }
    }
    sum += d;
    twice = !twice;
  }
  return !digits.empty() && sum % 10 == 0;
}

namespace {

int prefixNumber(std::string_view digits, std::size_t n) {
  int value = 0;
  for (std::size_t i = 0; i < n && i < digits.size(); ++i) {
    value = value * 10 + (digits[i] - '0');
  }
  return value;
}

}  // namespace

std::optional<std::string_view> cardBrand(std::string_view digits) {
  const std::size_t len = digits.size();
  if (len < 13 || len > 19) {
    return std::nullopt;
  }
  const int p1 = prefixNumber(digits, 1);
  const int p2 = prefixNumber(digits, 2);
  const int p3 = prefixNumber(digits, 3);
  const int p4 = prefixNumber(digits, 4);
  const int p6 = prefixNumber(digits, 6);
  if (p1 == 4 && (len == 13 || len == 16 || len == 19)) {
    return "visa";
  }
  if (((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) && len == 16) {
    return "mastercard";
  }
  if ((p2 == 34 || p2 == 37) && len == 15) {
    return "amex";
  }
  if ((p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649) || (p6 >= 622126 && p6 <= 622925)) &&
      len >= 16) {
    return "discover";
  }
  if (p4 >= 3528 && p4 <= 3589 && len >= 16) {
    return "jcb";
  }
  if ((p2 == 36 || p2 == 38 || p2 == 39 || (p3 >= 300 && p3 <= 305) || p3 == 309) &&
      (len == 14 || len == 16)) {
    return "diners";
  }
  if (p2 == 62 && len >= 16) {
    return "unionpay";
  }
  if ((p2 == 50 || (p2 >= 56 && p2 <= 69)) && len >= 16) {
    return "maestro";
  }
  return std::nullopt;
}

int ibanLength(std::string_view country) {
  struct Entry {
    char code[3];
    int length;
  };
  // SWIFT IBAN registry.
  static constexpr std::array<Entry, 89> kLengths{{
      {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16},
      {"BG", 22}, {"BH", 22}, {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22},
      {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28}, {"EE", 20},
      {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22},
      {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HN", 28}, {"HR", 21},
      {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30},
      {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20},
      {"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MN", 20},
      {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23},
      {"PK", 24}, {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22},
      {"RU", 33}, {"SA", 24}, {"SC", 31}, {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24},
      {"SM", 27}, {"SO", 23}, {"ST", 25}, {"SV", 28}, {"TL", 23}, {"TN", 24}, {"TR", 26},
      {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30},
  }};
  if (country.size() != 2) {
    return 0;
  }
  for (const auto& entry : kLengths) {
    if (entry.code[0] == country[0] && entry.code[1] == country[1]) {
      return entry.length;
    }
  }
  return 0;
}

bool ibanChecksumValid(std::string_view compact) {
  if (compact.size() < 5) {
    return false;
  }
  // Move the first four characters to the end, letters become 10..35, then mod 97 == 1.
  int remainder = 0;
  auto feed = [&remainder](char c) {
    if (isDigit(static_cast<unsigned char>(c))) {
      remainder = (remainder * 10 + (c - '0')) % 97;
      return true;
    }
    if (isUpper(static_cast<unsigned char>(c))) {
      remainder = (remainder * 100 + (c - 'A' + 10)) % 97;
      return true;
    }
    return false;
  };
  for (std::size_t i = 4; i < compact.size(); ++i) {
    if (!feed(compact[i])) {
      return false;
    }
  }
  for (std::size_t i = 0; i < 4; ++i) {
    if (!feed(compact[i])) {
      return false;
    }
  }
  return remainder == 1;
}

bool ssnValid(int area, int group, int serial) {
  if (area <= 0 || area == 666 || area >= 900 || group <= 0 || group > 99 || serial <= 0 ||
      serial > 9999) {
    return false;
  }
  // Published and voided: Woolworth's wallet card (078-05-1120) and the SSA's 1962 ad
  // (219-09-9999).
  if ((area == 78 && group == 5 && serial == 1120) ||
      (area == 219 && group == 9 && serial == 9999)) {
    return false;
  }
  return true;
}

bool ipv4Valid(std::string_view text) {
  int octets = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t begin = i;
    int value = 0;
    while (i < text.size() && isDigit(static_cast<unsigned char>(text[i])) && i - begin < 4) {
      value = value * 10 + (text[i] - '0');
      ++i;
    }
    const std::size_t len = i - begin;
    if (len == 0 || len > 3 || value > 255 || (len > 1 && text[begin] == '0')) {
      return false;
    }
    ++octets;
    if (i == text.size()) {
      break;
    }
    if (text[i] != '.' || octets == 4) {
      return false;
    }
    ++i;
  }
  return octets == 4 && !text.empty() && text.back() != '.';
}

bool ipv6Valid(std::string_view text) {
  if (text.size() < 2 || text.size() > 45) {
    return false;
  }
  char buffer[64];
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  unsigned char address[16];
  return inet_pton(AF_INET6, buffer, address) == 1;
}

double shannonEntropy(std::string_view text) {
  if (text.empty()) {
    return 0.0;
  }
  // H = log2(n) - (1/n) * sum(c * log2(c)) over the byte counts c: one log2 per call instead of
  // one per distinct byte, with c * log2(c) from a table for the short values detectors check.
  constexpr std::size_t kTabled = 257;
  static const std::array<double, kTabled> kCLog2C = [] {
    std::array<double, kTabled> table{};
    for (std::size_t c = 1; c < kTabled; ++c) {
      table[c] = static_cast<double>(c) * std::log2(static_cast<double>(c));
    }
    return table;
  }();
  std::array<std::uint32_t, 256> counts{};
  std::array<unsigned char, 256> symbols;  // distinct bytes, in order of first appearance
  std::size_t distinct = 0;
  for (char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (counts[b]++ == 0) {
      symbols[distinct++] = b;
    }
  }
  double sum = 0.0;
  for (std::size_t i = 0; i < distinct; ++i) {
    const std::uint32_t c = counts[symbols[i]];
    sum += c < kTabled ? kCLog2C[c] : static_cast<double>(c) * std::log2(static_cast<double>(c));
  }
  const double n = static_cast<double>(text.size());
  return std::max(0.0, std::log2(n) - sum / n);
}

bool base64Decode(std::string_view in, std::string& out) {
  out.clear();
  while (!in.empty() && in.back() == '=') {
    in.remove_suffix(1);
  }
  if (in.size() % 4 == 1) {
    return false;
  }
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '-' || c == '+') {
      v = 62;
    } else if (c == '_' || c == '/') {
      v = 63;
    } else {
      return false;
    }
    buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return true;
}

namespace {

constexpr std::string_view kPlaceholderWords[] = {
    "changeme",    "change_me", "change-me", "example", "placeholder", "redacted", "your_",
    "your-",       "yourpass",  "xxxx",      "****",    "....",        "<",        ">",
    "${",          "{{",        "%s",        "todo",    "dummy",       "sample",   "password",
    "secret",      "replace",   "insert",    "notreal", "fake",        "test1234", "12345678",
    "abcdefgh",    "qwerty",    "letmein",   "null",    "undefined",   "none",     "env(",
    "process.env", "os.environ"};
static_assert(std::size(kPlaceholderWords) <= 64);

// For each byte, the placeholder words that start with it (bit i: kPlaceholderWords[i]).
constexpr std::array<std::uint64_t, 256> kPlaceholderByFirstByte = [] {
  std::array<std::uint64_t, 256> table{};
  for (std::size_t i = 0; i < std::size(kPlaceholderWords); ++i) {
    table[static_cast<unsigned char>(kPlaceholderWords[i].front())] |= std::uint64_t{1} << i;
  }
  return table;
}();

}  // namespace

bool looksLikePlaceholder(std::string_view value) {
  // One lower-cased copy, then one pass that compares only the words starting at each byte.
  char buffer[256];
  const std::size_t n = std::min(value.size(), sizeof(buffer));
  std::array<bool, 256> seen{};
  int distinct = 0;
  for (std::size_t i = 0; i < n; ++i) {
    buffer[i] = toLower(value[i]);
    auto& slot = seen[static_cast<unsigned char>(value[i])];
    if (!slot) {
      slot = true;
      ++distinct;
    }
  }
  // One character repeated (aaaaaaaa, 00000000) or a tiny alphabet is a stand-in, not a secret.
  if (distinct <= 3) {
    return true;
  }
  const std::string_view lowered(buffer, n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::uint64_t words = kPlaceholderByFirstByte[static_cast<unsigned char>(buffer[i])];
         words != 0; words &= words - 1) {
      const std::string_view word = kPlaceholderWords[std::countr_zero(words)];
      // The second byte first: most candidates fail there without a call to memcmp.
      if (word.size() > 1 && (i + 1 >= n || buffer[i + 1] != word[1])) {
        continue;
      }
      if (lowered.substr(i, word.size()) == word) {
        return true;
      }
    }
  }
  return false;
}

std::uint32_t crc32(std::string_view bytes) {
  static const std::array<std::uint32_t, 256> kTable = [] {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) {
        c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      }
      table[i] = c;
    }
    return table;
  }();
  std::uint32_t crc = 0xFFFFFFFFu;
  for (char ch : bytes) {
    crc = kTable[(crc ^ static_cast<std::uint8_t>(ch)) & 0xFF] ^ (crc >> 8);
  }
  return crc ^ 0xFFFFFFFFu;
}

std::string base62Fixed(std::uint64_t value, std::size_t width) {
  static constexpr std::string_view kAlphabet =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string out(width, '0');
  for (std::size_t i = width; i-- > 0;) {
    out[i] = kAlphabet[value % 62];
    value /= 62;
  }
  return out;
}

bool gatehouseKeyValid(std::string_view key) {
  constexpr std::size_t kPrefix = 4;
  constexpr std::size_t kBody = 16 + 43;
  constexpr std::size_t kChecksum = 6;
  if (key.size() != kPrefix + kBody + kChecksum || key.substr(0, kPrefix) != "gtk_") {
    return false;
  }
  for (char c : key.substr(kPrefix)) {
    if (!isAlnum(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  const std::string_view checked = key.substr(0, kPrefix + kBody);
  return base62Fixed(crc32(checked), kChecksum) == key.substr(kPrefix + kBody);
}

bool githubChecksumValid(std::string_view body) {
  if (body.size() != 36) {
    return false;
  }
  static constexpr std::string_view kAlphabet =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::uint64_t value = crc32(body.substr(0, 30));
  std::string encoded(6, '0');
  for (std::size_t i = 6; i-- > 0;) {
    encoded[i] = kAlphabet[value % 62];
    value /= 62;
  }
  return encoded == body.substr(30);
}

}  // namespace gatehouse::guardrails::detail
