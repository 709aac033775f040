// PII detectors: e-mail addresses, IPv6, IBANs, and the number runs that hold phone numbers,
// card numbers, SSNs and IPv4 addresses.

#include "guardrails/char_class.h"
#include "guardrails/detectors.h"
#include "guardrails/phone.h"
#include "guardrails/validators.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gatehouse::guardrails::detail {
namespace {

void addCandidate(std::vector<Candidate>& out, EntityType type, std::size_t start, std::size_t end,
                  std::string_view rule, Priority priority, Severity severity = Severity::kMedium) {
  out.push_back(Candidate{type, static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(end),
                          rule, priority, severity});
}

/// The text of the `window` bytes before `pos` on the same line (for context words).
std::string_view lineBefore(std::string_view text, std::size_t pos, std::size_t window) {
  const std::size_t from = pos > window ? pos - window : 0;
  std::string_view before = text.substr(from, pos - from);
  const std::size_t newline = before.rfind('\n');
  if (newline != std::string_view::npos) {
    before.remove_prefix(newline + 1);
  }
  return before;
}

bool containsAnyCi(std::string_view haystack, std::initializer_list<std::string_view> needles) {
  for (std::string_view needle : needles) {
    if (containsCi(haystack, needle)) {
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// E-mail

constexpr ByteSet kLocalSet = ByteSet::of([](unsigned char c) {
  return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c == '\'';
});
constexpr ByteSet kLabelSet = ByteSet::of([](unsigned char c) { return isAlnum(c) || c == '-'; });

bool isFileExtension(std::string_view tld) {
  static constexpr std::string_view kExtensions[] = {
      "png",  "jpg",  "jpeg", "gif", "svg", "webp", "avif", "bmp",  "ico",  "tif",
      "tiff", "heic", "pdf",  "js",  "ts",  "css",  "map",  "json", "woff", "woff2"};
  for (std::string_view ext : kExtensions) {
    if (equalsCi(tld, ext)) {
      return true;
    }
  }
  return false;
}

}  // namespace

void detectEmail(std::string_view text, std::size_t at, std::vector<Candidate>& out) {
  // Local part, leftwards from the '@'.
  std::size_t start = at;
  while (start > 0 && at - start < 64 && kLocalSet.contains(text[start - 1])) {
    --start;
  }
  while (start < at && (text[start] == '.' || text[start] == '\'' || text[start] == '-')) {
    ++start;
  }
  if (start == at || text[at - 1] == '.') {
    return;
  }
  // Credentials in a URL (scheme://user:secret@host) are not an address.
  std::size_t token_start = start;
  while (token_start > 0 && at - token_start < 256 &&
         !isSpace(static_cast<unsigned char>(text[token_start - 1]))) {
    --token_start;
  }
  if (text.substr(token_start, at - token_start).find("://") != std::string_view::npos) {
    return;
  }
  // Domain: labels separated by single dots; the last one is the TLD.
  std::size_t pos = at + 1;
  std::size_t labels = 0;
  std::size_t last_label_start = pos;
  std::size_t end = pos;
  while (pos < text.size()) {
    const std::size_t len = spanOf(text, pos, kLabelSet, 64);
    if (len == 0 || len > 63 || text[pos] == '-' || text[pos + len - 1] == '-') {
      break;
    }
    ++labels;
    last_label_start = pos;
    end = pos + len;
    if (end + 1 < text.size() && text[end] == '.' && kLabelSet.contains(text[end + 1])) {
      pos = end + 1;
    } else {
      break;
    }
  }
  if (labels < 2) {
    return;
  }
  const std::string_view tld = text.substr(last_label_start, end - last_label_start);
  bool alpha_tld = tld.size() >= 2 && tld.size() <= 24;
  for (char c : tld) {
    alpha_tld &= isAlpha(static_cast<unsigned char>(c));
  }
  if (!alpha_tld && !(tld.size() > 4 && equalsCi(tld.substr(0, 4), "xn--"))) {
    return;
  }
  // Retina assets (hero@2x.png) and other file names.
  const std::string_view first_label = text.substr(at + 1, spanOf(text, at + 1, kLabelSet, 64));
  if (isFileExtension(tld) ||
      (labels == 2 && first_label.size() >= 2 && first_label.back() == 'x' &&
       isDigit(static_cast<unsigned char>(first_label.front())))) {
    return;
  }
  if (end < text.size() && (text[end] == '@' || isWord(static_cast<unsigned char>(text[end])))) {
    return;
  }
  addCandidate(out, EntityType::kEmail, start, end, "email", Priority::kChecksummed);
}

// ---------------------------------------------------------------------------------------------
// IPv6

namespace {
constexpr ByteSet kIpv6Set = ByteSet::of([](unsigned char c) { return isHex(c) || c == ':'; });
constexpr ByteSet kIpv6TailSet =
    ByteSet::of([](unsigned char c) { return isHex(c) || c == ':' || c == '.'; });
}  // namespace

void detectIpv6(std::string_view text, std::size_t hint, std::size_t& covered,
                std::vector<Candidate>& out) {
  if (hint < covered) {
    return;
  }
  std::size_t start = hint;
  while (start > 0 && hint - start < 48 && kIpv6Set.contains(text[start - 1])) {
    --start;
  }
  std::size_t end = hint + spanOf(text, hint, kIpv6TailSet, 64);
  covered = end;
  if (start > 0 &&
      (isWord(static_cast<unsigned char>(text[start - 1])) || text[start - 1] == '.')) {
    return;
  }
  // Trailing punctuation: "...::1." ends a sentence; a lone ':' after an address is a label.
  while (end > start && text[end - 1] == '.') {
    --end;
  }
  if (end - start >= 2 && text[end - 1] == ':' && text[end - 2] != ':') {
    --end;
  }
  if (end < text.size() && (isWord(static_cast<unsigned char>(text[end])) ||
                            (text[end] == '.' && end + 1 < text.size() &&
                             isAlnum(static_cast<unsigned char>(text[end + 1]))))) {
    return;
  }
  const std::string_view candidate = text.substr(start, end - start);
  std::size_t colons = 0;
  bool decimal = false;
  for (char c : candidate) {
    colons += c == ':';
    decimal |= isDigit(static_cast<unsigned char>(c));
  }
  // "dead::beef" and "Foo::Bar"-like identifiers have no decimal digit; times have < 2 colons
  // or fail the parser.
  if (colons < 2 || !decimal || !ipv6Valid(candidate)) {
    return;
  }
  addCandidate(out, EntityType::kIpAddress, start, end, "ipv6", Priority::kChecksummed);
}

// ---------------------------------------------------------------------------------------------
// IBAN

void detectIban(std::string_view text, std::size_t start, std::vector<Candidate>& out) {
  const int length = ibanLength(text.substr(start, 2));
  if (length == 0) {
    return;  // RF creditor references, ISINs with other prefixes, ...
  }
  std::string compact;
  compact.reserve(static_cast<std::size_t>(length));
  std::size_t pos = start;
  std::size_t end = start;
  bool print_form = false;
  while (pos < text.size() && compact.size() < static_cast<std::size_t>(length)) {
    const auto c = static_cast<unsigned char>(text[pos]);
    if (isUpper(c) || isDigit(c)) {
      compact.push_back(static_cast<char>(c));
      end = ++pos;
    } else if (c == ' ' && compact.size() % 4 == 0 && (compact.size() == 4 || print_form) &&
               pos + 1 < text.size() && isAlnum(static_cast<unsigned char>(text[pos + 1]))) {
      print_form = true;
      ++pos;
    } else {
      break;
    }
  }
  if (compact.size() != static_cast<std::size_t>(length)) {
    return;
  }
  if (end < text.size() && isWord(static_cast<unsigned char>(text[end]))) {
    return;  // longer than the country's IBAN: a different identifier
  }
  if (!ibanChecksumValid(compact)) {
    // A mistyped IBAN is still not a phone number.
    addCandidate(out, EntityType::kIban, start, end, "iban-bad-checksum", Priority::kChecksummed);
    out.back().suppressor = true;
    return;
  }
  addCandidate(out, EntityType::kIban, start, end, "iban-mod97", Priority::kChecksummed);
}

// ---------------------------------------------------------------------------------------------
// Number runs: phones, cards, SSNs, IPv4

namespace {

constexpr std::size_t kMaxGroups = 24;
constexpr std::size_t kMaxGroupDigits = 24;

struct Group {
  std::uint32_t start;   // first byte, including '(' or a leading '+'
  std::uint32_t dstart;  // first digit
  std::uint32_t dend;    // one past the last digit
  std::uint32_t end;     // one past the last byte, including ')'
  std::uint8_t digits;
  char sep;  // separator before this group: 0 first, ' ', '-', '.', ')' (none after a paren)
  bool open_paren;
  bool close_paren;
  bool plus;
};

std::size_t parseGroups(std::string_view text, const NumberRun& run,
                        std::array<Group, kMaxGroups>& groups) {
  std::size_t count = 0;
  std::size_t pos = run.start;
  char sep = 0;
  while (pos < run.end && count < kMaxGroups) {
    Group g{};
    g.start = static_cast<std::uint32_t>(pos);
    g.sep = sep;
    if (text[pos] == '+') {
      g.plus = true;
      ++pos;
    }
    if (pos < run.end && text[pos] == '(') {
      g.open_paren = true;
      ++pos;
    }
    g.dstart = static_cast<std::uint32_t>(pos);
    while (pos < run.end && isDigit(static_cast<unsigned char>(text[pos]))) {
      ++pos;
    }
    g.dend = static_cast<std::uint32_t>(pos);
    g.digits = static_cast<std::uint8_t>(std::min<std::size_t>(g.dend - g.dstart, 255));
    if (pos < run.end && text[pos] == ')') {
      g.close_paren = true;
      ++pos;
    }
    g.end = static_cast<std::uint32_t>(pos);
    if (g.digits == 0) {
      break;
    }
    groups[count++] = g;
    // Separator: up to three of ' ', '-', '.' (") " and " - " included).
    sep = g.close_paren ? ')' : 0;
    std::size_t sep_len = 0;
    bool has_dash = false;
    bool has_dot = false;
    while (pos + sep_len < run.end && sep_len < 3) {
      const char c = text[pos + sep_len];
      if (c == ' ' || c == '-' || c == '.') {
        has_dash |= c == '-';
        has_dot |= c == '.';
        ++sep_len;
      } else {
        break;
      }
    }
    if (sep_len > 0) {
      sep = has_dash ? '-' : (has_dot ? '.' : ' ');
    }
    pos += sep_len;
  }
  return count;
}

// The digits of groups first..last without their separators, in a buffer on the stack (this
// runs for every card and SSN shape). Cards have at most 19 digits; a longer run comes back
// empty, which no validator accepts.
class GroupDigits {
 public:
  GroupDigits(std::string_view text, const Group* first, const Group* last) {
    for (const Group* g = first; g <= last; ++g) {
      const std::size_t n = g->dend - g->dstart;
      if (size_ + n > buffer_.size()) {
        size_ = 0;
        return;
      }
      std::memcpy(buffer_.data() + size_, text.data() + g->dstart, n);
      size_ += n;
    }
  }
  std::string_view view() const { return {buffer_.data(), size_}; }

 private:
  std::array<char, 32> buffer_;
  std::size_t size_ = 0;
};

// Letters or "word-" right before a number make it part of an identifier (INV-2025-656881,
// E509558, v1.2.3.4); '#', '$', '@', '/' and friends make it an order number, a price, a date.
bool attachedLeft(std::string_view text, std::size_t start) {
  if (start == 0) {
    return false;
  }
  const auto c = static_cast<unsigned char>(text[start - 1]);
  if (isWord(c) || c == '#' || c == '$' || c == '@' || c == '/' || c == '\\' || c == '%' ||
      c == '&' || c == '*' || c == '=' || c == '~' || c == '^' || c >= 0x80) {
    return c != '=';  // "key=value" is an assignment, not an identifier
  }
  if ((c == '-' || c == '.' || c == ':' || c == '_') && start >= 2) {
    const auto before = static_cast<unsigned char>(text[start - 2]);
    return isWord(before);
  }
  return false;
}

bool attachedRight(std::string_view text, std::size_t end) {
  if (end >= text.size()) {
    return false;
  }
  const auto c = static_cast<unsigned char>(text[end]);
  if (isWord(c) || c == '@' || c == '*' || c >= 0x80) {
    return true;
  }
  // "-r11", ".5", "/2026": the number goes on.
  if ((c == '-' || c == '.' || c == '/' || c == ':') && end + 1 < text.size()) {
    return isAlnum(static_cast<unsigned char>(text[end + 1]));
  }
  return false;
}

// Whole-word, case-insensitive search for any of `words` (lower-case letters only) in
// `haystack`: a word matches a maximal run of letters that equals it, so one pass over the runs
// with a length check replaces a substring search per word.
bool containsWordCi(std::string_view haystack, std::initializer_list<std::string_view> words) {
  std::size_t i = 0;
  while (i < haystack.size()) {
    if (!isAlpha(static_cast<unsigned char>(haystack[i]))) {
      ++i;
      continue;
    }
    std::size_t end = i + 1;
    while (end < haystack.size() && isAlpha(static_cast<unsigned char>(haystack[end]))) {
      ++end;
    }
    const std::string_view run = haystack.substr(i, end - i);
    for (std::string_view word : words) {
      if (word.size() == run.size() && std::equal(run.begin(), run.end(), word.begin(),
                                                  [](char a, char b) { return toLower(a) == b; })) {
        return true;
      }
    }
    i = end;
  }
  return false;
}

// Words that make a dotted quad a version, a clause or an OID rather than an address.
bool versionContext(std::string_view text, std::size_t start, std::size_t end) {
  if (start > 0) {
    const char c = text[start - 1];
    if (c == 'v' || c == 'V') {
      return true;
    }
    if (c == ':' && start >= 2 && isWord(static_cast<unsigned char>(text[start - 2]))) {
      // image:tag, unless the label is an address label (ip:, host:, addr:)
      std::size_t word_start = start - 1;
      while (word_start > 0 && !isSpace(static_cast<unsigned char>(text[word_start - 1]))) {
        --word_start;
      }
      const std::string_view word = text.substr(word_start, start - 1 - word_start);
      const bool address_label = containsAnyCi(word, {"ip", "host", "addr", "server", "peer"}) &&
                                 word.find('/') == std::string_view::npos;
      return !address_label;
    }
  }
  // Right before the number: "build 1.2.3.4", "release 10.0.0.1", "tag 2.0.1.7".
  const std::string_view near = lineBefore(text, start, 16);
  if (containsWordCi(near, {"build", "release", "tag", "rev", "revision", "patch", "kernel", "ver",
                            "version", "v"})) {
    return true;
  }
  const std::string_view before = lineBefore(text, start, 48);
  if (containsWordCi(before, {"version", "versions", "clause", "section", "article", "chapter",
                              "paragraph", "dll", "exe", "firmware", "semver", "oid", "sdk",
                              "package", "assembly", "fileversion", "productversion"}) ||
      before.find("\xc2\xa7") != std::string_view::npos) {
    return true;
  }
  // OIDs start with arc 0, 1 or 2 and come with SNMP words.
  if (text[start] <= '2' && (start + 1 < text.size() && text[start + 1] == '.')) {
    const std::size_t to = std::min(text.size(), end + 60);
    const std::string_view around =
        text.substr(start > 60 ? start - 60 : 0, to - (start > 60 ? start - 60 : 0));
    if (containsWordCi(around, {"snmp", "snmpget", "snmpwalk", "walk", "mib", "oid", "oids"})) {
      return true;
    }
  }
  return false;
}

bool ssnContext(std::string_view text, std::size_t start, std::size_t window) {
  const std::size_t from = start > window ? start - window : 0;
  const std::string_view before = text.substr(from, start - from);
  return containsAnyCi(before, {"ssn", "social security", "soc. sec", "ss#", "ss #"});
}

bool phoneContext(std::string_view text, std::size_t start) {
  const std::string_view before = lineBefore(text, start, 40);
  return containsAnyCi(before, {"phone", "tel", "mobile", "cell", "call", "fax", "whatsapp", "sms",
                                "contact", "dial", "reach"});
}

}  // namespace

namespace {
constexpr ByteSet kStructuralSet =
    ByteSet::of([](unsigned char c) { return isDigit(c) || c == ':'; });
}  // namespace

namespace {

// Index of the first digit or ':' at or after `from`, or text.size(). Digits and colons are
// rare in prose, so whole 16-byte blocks are skipped with SSE2 compares.
std::size_t nextStructural(std::string_view text, std::size_t from) {
  const std::size_t n = text.size();
  std::size_t i = from;
#if defined(__SSE2__)
  const __m128i below_zero = _mm_set1_epi8('0' - 1);
  const __m128i above_colon = _mm_set1_epi8(':' + 1);
  while (i + 16 <= n) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
    // '0'..'9' and ':' are contiguous (0x30..0x3A); signed compares are fine below 0x80.
    const __m128i in_range =
        _mm_and_si128(_mm_cmpgt_epi8(block, below_zero), _mm_cmplt_epi8(block, above_colon));
    const int mask = _mm_movemask_epi8(in_range);
    if (mask != 0) {
      return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    }
    i += 16;
  }
#endif
  while (i < n && !kStructuralSet.contains(text[i])) {
    ++i;
  }
  return i;
}

}  // namespace

void findStructuralTriggers(std::string_view text, std::vector<NumberRun>& runs,
                            std::vector<Candidate>& out) {
  const std::size_t n = text.size();
  std::size_t ipv6_covered = 0;
  for (std::size_t i = nextStructural(text, 0); i < n; i = nextStructural(text, i + 1)) {
    if (text[i] == ':') {
      const bool hex_before = i > 0 && isHex(static_cast<unsigned char>(text[i - 1]));
      const bool next_hex = i + 1 < n && isHex(static_cast<unsigned char>(text[i + 1]));
      if (hex_before && (next_hex || (i + 1 < n && text[i + 1] == ':'))) {
        detectIpv6(text, i - 1, ipv6_covered, out);
      } else if (i + 2 < n && text[i + 1] == ':' &&
                 isHex(static_cast<unsigned char>(text[i + 2]))) {
        detectIpv6(text, i, ipv6_covered, out);
      }
      continue;
    }
    // A digit that starts a group: IBANs begin with two capitals right before it.
    if (i >= 2 && i + 1 < n && isUpper(static_cast<unsigned char>(text[i - 1])) &&
        isUpper(static_cast<unsigned char>(text[i - 2])) &&
        isDigit(static_cast<unsigned char>(text[i + 1])) &&
        (i == 2 || !isWord(static_cast<unsigned char>(text[i - 3])))) {
      detectIban(text, i - 2, out);
    }
    NumberRun run{};
    if (extendNumberRun(text, i, run)) {
      runs.push_back(run);
      // Continue after the run; a ':' right after it (2001:db8::) is looked at next.
      i = std::max<std::size_t>(i + 1, run.end) - 1;
    }
  }
}

bool extendNumberRun(std::string_view text, std::size_t digit, NumberRun& run) {
  if (digit >= text.size() || !isDigit(static_cast<unsigned char>(text[digit]))) {
    return false;
  }
  std::size_t start = digit;
  if (start > 0 && text[start - 1] == '(') {
    --start;
  }
  if (start > 0 && text[start - 1] == '+') {
    --start;
  }
  // Walk groups forward: digits, optional ')', separators of up to three of " -.", then a digit
  // or '(' to continue.
  std::size_t pos = digit;
  std::size_t end = digit;
  std::size_t groups = 0;
  while (pos < text.size() && groups < kMaxGroups) {
    std::size_t digits = 0;
    while (pos < text.size() && isDigit(static_cast<unsigned char>(text[pos]))) {
      ++pos;
      ++digits;
    }
    if (digits > kMaxGroupDigits) {
      end = pos;
      break;
    }
    ++groups;
    if (pos < text.size() && text[pos] == ')') {
      ++pos;
    }
    end = pos;
    std::size_t sep = 0;
    while (pos + sep < text.size() && sep < 3 &&
           (text[pos + sep] == ' ' || text[pos + sep] == '-' || text[pos + sep] == '.')) {
      ++sep;
    }
    std::size_t next = pos + sep;
    if (next < text.size() && text[next] == '(' && next + 1 < text.size() &&
        isDigit(static_cast<unsigned char>(text[next + 1]))) {
      ++next;
    }
    if (next < text.size() && isDigit(static_cast<unsigned char>(text[next])) &&
        (sep > 0 || text[pos - 1] == ')' || next > pos)) {
      pos = next;
    } else {
      break;
    }
  }
  run.start = static_cast<std::uint32_t>(start);
  run.end = static_cast<std::uint32_t>(end);
  return true;
}

namespace {

// Tries a dotted quad that starts at group i. Returns the number of groups consumed (the whole
// dot-joined chain when it is not an address, so nothing else reads it as a phone), or 0.
std::size_t tryIpv4(std::string_view text, const std::array<Group, kMaxGroups>& g,
                    std::size_t count, std::size_t i, std::vector<Candidate>& out) {
  if (g[i].plus || g[i].close_paren || (i > 0 && g[i].sep == '.')) {
    return 0;
  }
  std::size_t chain = 1;
  bool short_groups = g[i].digits <= 3;
  while (i + chain < count && g[i + chain].sep == '.' &&
         g[i + chain - 1].dend + 1 == g[i + chain].dstart) {
    const Group& next = g[i + chain];
    short_groups &= next.digits <= 3 && !next.open_paren;
    ++chain;
    if (next.close_paren) {
      break;
    }
  }
  for (std::size_t k = i + 1; k + 1 < i + chain; ++k) {
    short_groups &= !g[k].close_paren;
  }
  if (chain < 3 || !short_groups) {
    return 0;
  }
  if (chain != 4) {
    return chain;  // 10.227.214, OIDs, clause 6.8.1.3.2
  }
  const std::size_t start = g[i].dstart;
  const std::size_t end = g[i + 3].dend;
  if (!ipv4Valid(text.substr(start, end - start))) {
    return chain;
  }
  if (start > 0) {
    const auto c = static_cast<unsigned char>(text[start - 1]);
    if (isWord(c) || c == '.' || c >= 0x80 ||
        (c == '-' && start >= 2 && isWord(static_cast<unsigned char>(text[start - 2])))) {
      return chain;  // v1.2.3.4, release-3.4.5.6, x1.2.3.4
    }
  }
  if (end < text.size() && (isWord(static_cast<unsigned char>(text[end])) ||
                            static_cast<unsigned char>(text[end]) >= 0x80)) {
    return chain;
  }
  if (versionContext(text, start, end)) {
    return chain;
  }
  addCandidate(out, EntityType::kIpAddress, start, end, "ipv4", Priority::kChecksummed);
  return chain;
}

std::size_t tryCard(std::string_view text, const std::array<Group, kMaxGroups>& g,
                    std::size_t count, std::size_t i, std::vector<Candidate>& out) {
  if (g[i].plus || g[i].open_paren || g[i].close_paren) {
    return 0;
  }
  if (i > 0 && g[i].sep != ' ') {
    return 0;  // the middle of a dashed or dotted number
  }
  auto accept = [&](std::size_t j) {
    const GroupDigits digits(text, &g[i], &g[j]);
    const std::string_view number = digits.view();
    const auto brand = cardBrand(number);
    if (!brand || !luhnValid(number) || attachedLeft(text, g[i].dstart) ||
        attachedRight(text, g[j].dend)) {
      return false;
    }
    addCandidate(out, EntityType::kCreditCard, g[i].dstart, g[j].dend, *brand,
                 Priority::kChecksummed, Severity::kHigh);
    return true;
  };
  if (g[i].digits >= 13 && g[i].digits <= 19) {
    // Compact: the whole group, and nothing joined to it by '-' or '.'.
    if (i + 1 < count && g[i + 1].sep != ' ') {
      return 0;
    }
    return accept(i) ? 1 : 0;
  }
  if (g[i].digits != 4 || i + 1 >= count) {
    return 0;
  }
  // Grouped: one separator throughout, groups of 3-6 digits, 13-19 digits in all.
  const char sep = g[i + 1].sep;
  if (sep != ' ' && sep != '-') {
    return 0;
  }
  std::size_t max_j = i;
  std::size_t digits = g[i].digits;
  while (max_j + 1 < count && g[max_j + 1].sep == sep && !g[max_j + 1].open_paren &&
         !g[max_j + 1].close_paren && g[max_j + 1].digits >= 3 && g[max_j + 1].digits <= 6 &&
         g[max_j].dend + 1 == g[max_j + 1].dstart && digits + g[max_j + 1].digits <= 19) {
    ++max_j;
    digits += g[max_j].digits;
  }
  if (max_j + 1 < count && g[max_j + 1].sep == sep && sep == '-') {
    return 0;  // a dashed number that goes on past 19 digits or with odd groups
  }
  // Longest first: a 19-digit Visa also has a Luhn-checkable 16-digit prefix.
  for (std::size_t j = max_j; j > i; --j) {
    if (digits < 13) {
      break;
    }
    if (accept(j)) {
      return j - i + 1;
    }
    if (sep == '-') {
      break;  // dashed cards end where the dashes end
    }
    digits -= g[j].digits;
  }
  return 0;
}

int parseInt(std::string_view digits) {
  int value = 0;
  for (char c : digits) {
    value = value * 10 + (c - '0');
  }
  return value;
}

std::size_t trySsn(std::string_view text, const std::array<Group, kMaxGroups>& g, std::size_t count,
                   std::size_t i, std::vector<Candidate>& out) {
  if (g[i].plus || g[i].open_paren || g[i].close_paren) {
    return 0;
  }
  std::size_t used = 0;
  if (i + 2 < count && g[i].digits == 3 && g[i + 1].digits == 2 && g[i + 2].digits == 4 &&
      g[i + 1].sep == g[i + 2].sep && (g[i + 1].sep == '-' || g[i + 1].sep == ' ') &&
      !g[i + 1].open_paren && !g[i + 2].open_paren && !g[i + 1].close_paren &&
      !g[i + 2].close_paren) {
    // Exactly one character between groups.
    if (g[i + 1].dstart != g[i].dend + 1 || g[i + 2].dstart != g[i + 1].dend + 1) {
      return 0;
    }
    if (i + 3 < count && g[i + 3].sep == g[i + 1].sep) {
      return 0;  // longer hyphenated / spaced number
    }
    if (i > 0 && g[i].sep == g[i + 1].sep) {
      return 0;
    }
    // Dashed SSNs are distinctive; spaced ones need the word nearby.
    if (g[i + 1].sep == ' ' && !ssnContext(text, g[i].dstart, 80)) {
      return 0;
    }
    used = 3;
  } else if (g[i].digits == 9 && (i + 1 >= count || g[i + 1].sep == ' ') &&
             ssnContext(text, g[i].dstart, 48)) {
    used = 1;
  } else {
    return 0;
  }
  const std::size_t start = g[i].dstart;
  const std::size_t end = g[i + used - 1].dend;
  if (attachedLeft(text, start) || attachedRight(text, end)) {
    return used;
  }
  const GroupDigits buffer(text, &g[i], &g[i + used - 1]);
  const std::string_view digits = buffer.view();
  if (!ssnValid(parseInt(digits.substr(0, 3)), parseInt(digits.substr(3, 2)),
                parseInt(digits.substr(5, 4)))) {
    return used;  // an SSA-invalid SSN is nothing else either
  }
  addCandidate(out, EntityType::kSsn, start, end, "ssn", Priority::kChecksummed, Severity::kHigh);
  return used;
}

std::size_t tryPhone(std::string_view text, const std::array<Group, kMaxGroups>& g,
                     std::size_t count, std::size_t i, std::vector<Candidate>& out) {
  // The middle of a hyphenated or dotted number is not a phone.
  if (i > 0 && (g[i].sep == '-' || g[i].sep == '.')) {
    return 0;
  }
  if (g[i].plus && i != 0) {
    return 0;
  }
  const bool plus = g[i].plus;
  // After "+CC " the rest of the run is that number's national part, not a phone of its own.
  if (i > 0 && g[0].plus) {
    return 0;
  }
  // "tel:+1 ...", "TEL;TYPE=cell:(702) ...": a label colon does not attach.
  const std::size_t lead = g[i].start;
  if (attachedLeft(text, lead) &&
      !(lead >= 1 && text[lead - 1] == ':' && (lead < 2 || text[lead - 2] != ':'))) {
    return 0;
  }
  const char first = text[g[i].dstart];
  std::size_t max_j = i;
  std::size_t digits = g[i].digits;
  while (max_j + 1 < count && max_j - i < 6 && digits + g[max_j + 1].digits <= 15) {
    ++max_j;
    digits += g[max_j].digits;
  }
  for (std::size_t j = max_j + 1; j-- > i;) {
    std::size_t total = 0;
    std::size_t longest = 0;
    for (std::size_t k = i; k <= j; ++k) {
      total += g[k].digits;
      longest = std::max<std::size_t>(longest, g[k].digits);
    }
    // A phone ends where the number does, or at a space before an unrelated number.
    if (j + 1 < count && g[j + 1].sep != ' ') {
      continue;
    }
    if (attachedRight(text, g[j].end)) {
      continue;
    }
    const bool compact = i == j;
    PhoneStyle style;
    if (plus) {
      if (total < 8 || total > 15 || (!compact && longest > 8)) {
        continue;
      }
      style = PhoneStyle::kInternational;
    } else {
      if (total < 9 || total > 12 || longest > 8) {
        continue;
      }
      if (compact && !phoneContext(text, g[i].start)) {
        continue;
      }
      if (first == '0') {
        style = PhoneStyle::kTrunkZero;
      } else if (total == 10 || (total == 11 && first == '1')) {
        style = PhoneStyle::kNanp;
      } else if (g[i].open_paren && g[i].digits == 2) {
        style = PhoneStyle::kOther;
      } else {
        continue;
      }
    }
    const std::size_t start = g[i].start;
    const std::size_t end = g[j].dend;
    if (!phoneValid(text.substr(start, end - start), style)) {
      continue;
    }
    addCandidate(out, EntityType::kPhone, start, end, "phone", Priority::kStructured);
    return j - i + 1;
  }
  return 0;
}

}  // namespace

void detectNumbers(std::string_view text, const NumberRun& run, std::vector<Candidate>& out) {
  // Nothing below is shorter than a dotted quad ("1.2.3.4"): phones have 8+ digits, SSNs 9,
  // cards 13+. Most runs in prose are years, times, counts and versions.
  constexpr std::size_t kShortestNumberEntity = 7;
  if (run.end - run.start < kShortestNumberEntity) {
    return;
  }
  std::array<Group, kMaxGroups> groups;
  const std::size_t count = parseGroups(text, run, groups);
  std::size_t i = 0;
  while (i < count) {
    std::size_t used = tryIpv4(text, groups, count, i, out);
    if (used == 0) {
      used = trySsn(text, groups, count, i, out);
    }
    if (used == 0) {
      used = tryCard(text, groups, count, i, out);
    }
    if (used == 0) {
      used = tryPhone(text, groups, count, i, out);
    }
    i += used == 0 ? 1 : used;
  }
}

}  // namespace gatehouse::guardrails::detail
