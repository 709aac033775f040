// Secret detectors: provider and cloud keys by prefix, PEM private keys, JWTs, credentials in
// URLs and high-entropy values assigned to password / secret / token keys.

#include "guardrails/char_class.h"
#include "guardrails/detectors.h"
#include "guardrails/validators.h"

#include <array>
#include <string>

namespace gatehouse::guardrails::detail {
namespace {

constexpr ByteSet kAlnumSet = ByteSet::of([](unsigned char c) { return isAlnum(c); });
constexpr ByteSet kWordSet = ByteSet::of([](unsigned char c) { return isWord(c); });
constexpr ByteSet kWordDashSet = ByteSet::of([](unsigned char c) { return isWord(c) || c == '-'; });
constexpr ByteSet kWordDashDotSet =
    ByteSet::of([](unsigned char c) { return isWord(c) || c == '-' || c == '.'; });
constexpr ByteSet kHexLowerSet =
    ByteSet::of([](unsigned char c) { return isDigit(c) || (c >= 'a' && c <= 'f'); });
constexpr ByteSet kHexSet = ByteSet::of([](unsigned char c) { return isHex(c); });
constexpr ByteSet kBase32Set =
    ByteSet::of([](unsigned char c) { return isUpper(c) || (c >= '2' && c <= '7'); });
constexpr ByteSet kSlackSet = ByteSet::of([](unsigned char c) { return isAlnum(c) || c == '-'; });
constexpr ByteSet kBase64Set =
    ByteSet::of([](unsigned char c) { return isAlnum(c) || c == '+' || c == '/' || c == '='; });
constexpr ByteSet kPlanetScaleSet =
    ByteSet::of([](unsigned char c) { return isWord(c) || c == '=' || c == '.' || c == '-'; });
constexpr ByteSet kSendgridSet =
    ByteSet::of([](unsigned char c) { return isWord(c) || c == '=' || c == '.' || c == '-'; });
constexpr ByteSet kDatabricksSet =
    ByteSet::of([](unsigned char c) { return isDigit(c) || (c >= 'a' && c <= 'h'); });
constexpr ByteSet kAtlassianSet =
    ByteSet::of([](unsigned char c) { return isWord(c) || c == '-' || c == '='; });
constexpr ByteSet kBech32UpperSet = ByteSet::of([](unsigned char c) {
  return std::string_view("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L").find(static_cast<char>(c)) !=
         std::string_view::npos;
});
constexpr ByteSet kAzureSet = ByteSet::of(
    [](unsigned char c) { return isAlnum(c) || c == '_' || c == '~' || c == '.' || c == '-'; });
constexpr ByteSet kAzureHeadSet =
    ByteSet::of([](unsigned char c) { return isAlnum(c) || c == '_' || c == '~' || c == '.'; });

enum class Check : std::uint8_t {
  kNone,
  kOpenAi,     // the body carries OpenAI's "T3BlbkFJ" marker (base64 of "OpenAI")
  kAnthropic,  // ends in "AA" like every sk-ant- key
  kSlack,      // numeric workspace / user segments
  kNotion,     // 11 digits, then alphanumerics
  kSendgrid,   // SG.<22>.<43>
  kAws,        // not AWS's documentation example
  kGatehouse,  // CRC-32 checksum
  kMixed,      // hex-only formats that also match words: needs letters and digits
};

struct SecretRule {
  std::string_view name;
  std::string_view prefix;
  const ByteSet* body;
  std::uint16_t min_body;
  std::uint16_t max_body;
  EntityType type;
  Check check;
};

// More specific prefixes first: rules that fire at the same offset are tried in this order and
// the first that validates wins.
const std::array kSecretRules = {
    SecretRule{"gatehouse-caller-key", "gtk_", &kAlnumSet, 65, 65, EntityType::kApiKey,
               Check::kGatehouse},
    SecretRule{"anthropic-api-key", "sk-ant-api03-", &kWordDashSet, 80, 120, EntityType::kApiKey,
               Check::kAnthropic},
    SecretRule{"anthropic-admin-api-key", "sk-ant-admin01-", &kWordDashSet, 80, 120,
               EntityType::kApiKey, Check::kAnthropic},
    SecretRule{"openrouter-api-key", "sk-or-v1-", &kHexLowerSet, 64, 64, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"openai-api-key", "sk-", &kWordDashSet, 40, 220, EntityType::kApiKey,
               Check::kOpenAi},
    SecretRule{"github-fine-grained-pat", "github_pat_", &kWordSet, 82, 82, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"github-pat", "ghp_", &kAlnumSet, 36, 36, EntityType::kApiKey, Check::kNone},
    SecretRule{"github-oauth", "gho_", &kAlnumSet, 36, 36, EntityType::kApiKey, Check::kNone},
    SecretRule{"github-app-token", "ghu_", &kAlnumSet, 36, 36, EntityType::kApiKey, Check::kNone},
    SecretRule{"github-app-token", "ghs_", &kAlnumSet, 36, 36, EntityType::kApiKey, Check::kNone},
    SecretRule{"github-refresh-token", "ghr_", &kAlnumSet, 36, 36, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"gitlab-pat", "glpat-", &kWordDashDotSet, 20, 80, EntityType::kApiKey, Check::kNone},
    SecretRule{"gitlab-ptt", "glptt-", &kHexLowerSet, 40, 40, EntityType::kApiKey, Check::kNone},
    SecretRule{"gitlab-runner-token", "glrt-", &kWordDashDotSet, 20, 80, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"gitlab-deploy-token", "gldt-", &kWordDashDotSet, 20, 80, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"slack-bot-token", "xoxb-", &kSlackSet, 20, 200, EntityType::kApiKey, Check::kSlack},
    SecretRule{"slack-user-token", "xoxp-", &kSlackSet, 20, 200, EntityType::kApiKey,
               Check::kSlack},
    SecretRule{"slack-user-token", "xoxe-", &kSlackSet, 20, 200, EntityType::kApiKey,
               Check::kSlack},
    SecretRule{"slack-legacy-token", "xoxa-", &kSlackSet, 20, 200, EntityType::kApiKey,
               Check::kSlack},
    SecretRule{"slack-legacy-token", "xoxr-", &kSlackSet, 20, 200, EntityType::kApiKey,
               Check::kSlack},
    SecretRule{"slack-legacy-token", "xoxs-", &kSlackSet, 20, 200, EntityType::kApiKey,
               Check::kSlack},
    SecretRule{"slack-app-token", "xapp-", &kSlackSet, 20, 200, EntityType::kApiKey, Check::kNone},
    SecretRule{"stripe-access-token", "sk_live_", &kAlnumSet, 10, 99, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"stripe-access-token", "sk_test_", &kAlnumSet, 10, 99, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"stripe-access-token", "sk_prod_", &kAlnumSet, 10, 99, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"stripe-access-token", "rk_live_", &kAlnumSet, 10, 99, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"stripe-access-token", "rk_test_", &kAlnumSet, 10, 99, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"stripe-access-token", "rk_prod_", &kAlnumSet, 10, 99, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"stripe-webhook-secret", "whsec_", &kAlnumSet, 32, 64, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"gcp-api-key", "AIza", &kWordDashSet, 35, 35, EntityType::kApiKey, Check::kNone},
    SecretRule{"gcp-oauth-client-secret", "GOCSPX-", &kWordDashSet, 28, 28, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"sendgrid-api-token", "SG.", &kSendgridSet, 66, 66, EntityType::kApiKey,
               Check::kSendgrid},
    SecretRule{"twilio-api-key", "SK", &kHexSet, 32, 32, EntityType::kApiKey, Check::kMixed},
    SecretRule{"npm-access-token", "npm_", &kAlnumSet, 36, 36, EntityType::kApiKey, Check::kNone},
    SecretRule{"pypi-upload-token", "pypi-AgEIcHlwaS5vcmc", &kWordDashSet, 50, 1000,
               EntityType::kApiKey, Check::kNone},
    SecretRule{"huggingface-access-token", "hf_", &kAlnumSet, 34, 34, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"huggingface-organization-api-token", "api_org_", &kAlnumSet, 34, 34,
               EntityType::kApiKey, Check::kNone},
    SecretRule{"digitalocean-pat", "dop_v1_", &kHexLowerSet, 64, 64, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"digitalocean-access-token", "doo_v1_", &kHexLowerSet, 64, 64, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"digitalocean-refresh-token", "dor_v1_", &kHexLowerSet, 64, 64, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"shopify-access-token", "shpat_", &kHexSet, 32, 32, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"shopify-shared-secret", "shpss_", &kHexSet, 32, 32, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"shopify-custom-access-token", "shpca_", &kHexSet, 32, 32, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"shopify-private-app-access-token", "shppa_", &kHexSet, 32, 32, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"databricks-api-token", "dapi", &kDatabricksSet, 32, 32, EntityType::kApiKey,
               Check::kMixed},
    SecretRule{"sentry-user-token", "sntryu_", &kHexLowerSet, 64, 64, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"sentry-org-token", "sntrys_", &kBase64Set, 60, 400, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"heroku-api-key-v2", "HRKU-AA", &kWordDashSet, 58, 58, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"linear-api-key", "lin_api_", &kAlnumSet, 40, 40, EntityType::kApiKey, Check::kNone},
    SecretRule{"doppler-api-token", "dp.pt.", &kAlnumSet, 43, 43, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"doppler-api-token", "dp.st.", &kWordDashDotSet, 43, 80, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"doppler-api-token", "dp.ct.", &kAlnumSet, 43, 43, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"doppler-api-token", "dp.sa.", &kAlnumSet, 43, 43, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"vault-service-token", "hvs.", &kWordDashSet, 90, 120, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"vault-batch-token", "hvb.", &kWordDashSet, 138, 300, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"grafana-cloud-api-token", "glc_", &kBase64Set, 32, 400, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"grafana-service-account-token", "glsa_", &kWordSet, 41, 41, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"planetscale-api-token", "pscale_tkn_", &kPlanetScaleSet, 32, 64,
               EntityType::kApiKey, Check::kNone},
    SecretRule{"planetscale-password", "pscale_pw_", &kPlanetScaleSet, 32, 64, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"planetscale-oauth-token", "pscale_oauth_", &kPlanetScaleSet, 32, 64,
               EntityType::kApiKey, Check::kNone},
    SecretRule{"pulumi-api-token", "pul-", &kHexLowerSet, 40, 40, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"notion-api-token", "ntn_", &kAlnumSet, 46, 46, EntityType::kApiKey, Check::kNotion},
    SecretRule{"prefect-api-token", "pnu_", &kAlnumSet, 36, 36, EntityType::kApiKey, Check::kNone},
    SecretRule{"square-access-token", "sq0atp-", &kWordDashSet, 22, 60, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"square-secret", "sq0csp-", &kWordDashSet, 40, 50, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"age-secret-key", "AGE-SECRET-KEY-1", &kBech32UpperSet, 58, 58, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"infracost-api-token", "ico-", &kAlnumSet, 32, 32, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"groq-api-key", "gsk_", &kAlnumSet, 52, 52, EntityType::kApiKey, Check::kNone},
    SecretRule{"xai-api-key", "xai-", &kAlnumSet, 80, 80, EntityType::kApiKey, Check::kNone},
    SecretRule{"replicate-api-token", "r8_", &kAlnumSet, 37, 37, EntityType::kApiKey, Check::kNone},
    SecretRule{"perplexity-api-key", "pplx-", &kAlnumSet, 48, 48, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"atlassian-api-token", "ATATT3", &kAtlassianSet, 150, 260, EntityType::kApiKey,
               Check::kNone},
    SecretRule{"aws-access-token", "AKIA", &kBase32Set, 16, 16, EntityType::kAwsAccessKey,
               Check::kAws},
    SecretRule{"aws-access-token", "ASIA", &kBase32Set, 16, 16, EntityType::kAwsAccessKey,
               Check::kAws},
    SecretRule{"aws-access-token", "ABIA", &kBase32Set, 16, 16, EntityType::kAwsAccessKey,
               Check::kAws},
    SecretRule{"aws-access-token", "ACCA", &kBase32Set, 16, 16, EntityType::kAwsAccessKey,
               Check::kAws},
};

std::string escapeLiteral(std::string_view literal) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : literal) {
    if (isAlnum(static_cast<unsigned char>(c)) || c == '_') {
      out += c;
    } else {
      out += "\\x";
      out += kHex[(static_cast<unsigned char>(c) >> 4) & 0xF];
      out += kHex[static_cast<unsigned char>(c) & 0xF];
    }
  }
  return out;
}

bool hasDigitAndLetter(std::string_view s) {
  bool digit = false;
  bool letter = false;
  for (char c : s) {
    digit |= isDigit(static_cast<unsigned char>(c));
    letter |= isAlpha(static_cast<unsigned char>(c));
  }
  return digit && letter;
}

bool runCheck(Check check, std::string_view prefix, std::string_view body) {
  switch (check) {
    case Check::kNone:
      return true;
    case Check::kOpenAi:
      return body.find("T3BlbkFJ") != std::string_view::npos;
    case Check::kAnthropic:
      return body.size() >= 2 && body.substr(body.size() - 2) == "AA";
    case Check::kSlack: {
      // xoxb-<10-13 digits>-<10-13 digits>-..., xoxp-<digits>-<digits>-<digits>-<hex>
      std::size_t digits = 0;
      while (digits < body.size() && isDigit(static_cast<unsigned char>(body[digits]))) {
        ++digits;
      }
      return digits >= 8 && digits <= 14 && digits < body.size() && body[digits] == '-';
    }
    case Check::kNotion:
      for (std::size_t i = 0; i < 11; ++i) {
        if (!isDigit(static_cast<unsigned char>(body[i]))) {
          return false;
        }
      }
      return true;
    case Check::kSendgrid:
      return body.size() == 66 && body[22] == '.';
    case Check::kAws:
      return body.find("EXAMPLE") == std::string_view::npos;
    case Check::kGatehouse: {
      std::string key(prefix);
      key.append(body);
      return gatehouseKeyValid(key);
    }
    case Check::kMixed:
      return hasDigitAndLetter(body);
  }
  return false;
}

void addCandidate(std::vector<Candidate>& out, EntityType type, std::size_t start, std::size_t end,
                  std::string_view rule, Priority priority, Severity severity) {
  out.push_back(Candidate{type, static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(end),
                          rule, priority, severity});
}

}  // namespace

std::vector<PatternSpec> builtinTriggerPatterns() {
  std::vector<PatternSpec> specs;
  auto add = [&specs](std::string expression, TriggerKind kind, unsigned index,
                      unsigned flags = 0) {
    specs.push_back(PatternSpec{std::move(expression), makePatternId(kind, index), flags});
  };
  // Digits, IBAN starts and IPv6 colons have no literal to anchor on; as pattern-database
  // triggers they cut its throughput by 3-4x, so findStructuralTriggers() finds them instead.
  add("[A-Za-z0-9._%+'\\-]@[A-Za-z0-9]", TriggerKind::kEmailAt, 0);
  for (std::size_t i = 0; i < kSecretRules.size(); ++i) {
    add("\\b" + escapeLiteral(kSecretRules[i].prefix), TriggerKind::kSecretPrefix,
        static_cast<unsigned>(i));
  }
  add("[0-9]Q~", TriggerKind::kAzureSecret, 0);
  add("-----BEGIN ", TriggerKind::kPemBegin, 0);
  add("\\beyJ", TriggerKind::kJwt, 0);
  add("://", TriggerKind::kUrlCredentials, 0);
  add("passw(?:or)?d|passwd|\\bpwd|secret|token|api[_\\-]?key|access[_\\-]?key|credential",
      TriggerKind::kAssignment, 0, kCaseless);
  return specs;
}

void detectSecretPrefix(std::string_view text, unsigned rule_index, std::size_t end,
                        std::vector<Candidate>& out) {
  if (rule_index >= kSecretRules.size()) {
    return;
  }
  const SecretRule& rule = kSecretRules[rule_index];
  const std::size_t start = end - rule.prefix.size();
  std::size_t body_len = spanOf(text, end, *rule.body, static_cast<std::size_t>(rule.max_body) + 2);
  // A sentence-ending period is not part of a key whose alphabet includes '.'.
  while (body_len > 0 && text[end + body_len - 1] == '.') {
    --body_len;
  }
  if (body_len < rule.min_body || body_len > rule.max_body) {
    return;
  }
  const std::size_t stop = end + body_len;
  if (stop < text.size() && isAlnum(static_cast<unsigned char>(text[stop]))) {
    return;
  }
  const std::string_view body = text.substr(end, body_len);
  if (!runCheck(rule.check, rule.prefix, body)) {
    return;
  }
  // Placeholders (sk-proj-XXXXXXXX..., ghp_your_token_here) have the shape but not the entropy.
  if (body.size() >= 16 && shannonEntropy(body) < 2.5) {
    return;
  }
  if (rule.check != Check::kGatehouse && looksLikePlaceholder(body)) {
    return;
  }
  const Severity severity = rule.check == Check::kGatehouse ? Severity::kCritical : Severity::kHigh;
  addCandidate(out, rule.type, start, stop, rule.name, Priority::kSpecificSecret, severity);
}

void detectAzureSecret(std::string_view text, std::size_t end, std::vector<Candidate>& out) {
  // Entra ID client secrets: 3 chars, a digit, "Q~", then 31-34 chars.
  if (end < 6) {
    return;
  }
  const std::size_t start = end - 6;
  for (std::size_t i = start; i < start + 3; ++i) {
    if (!kAzureHeadSet.contains(text[i])) {
      return;
    }
  }
  if (start > 0 && kAzureSet.contains(text[start - 1])) {
    return;
  }
  std::size_t body_len = spanOf(text, end, kAzureSet, 40);
  while (body_len > 0 && text[end + body_len - 1] == '.') {
    --body_len;
  }
  if (body_len < 31 || body_len > 34) {
    return;
  }
  const std::string_view body = text.substr(end, body_len);
  if (shannonEntropy(body) < 3.0 || !hasDigitAndLetter(body)) {
    return;
  }
  addCandidate(out, EntityType::kApiKey, start, end + body_len, "azure-ad-client-secret",
               Priority::kSpecificSecret, Severity::kHigh);
}

void detectPem(std::string_view text, std::size_t end, std::vector<Candidate>& out) {
  constexpr std::string_view kBegin = "-----BEGIN ";
  constexpr std::size_t kMaxBlock = 64 * 1024;
  const std::size_t start = end - kBegin.size();
  const std::size_t label_end = text.find("-----", end);
  if (label_end == std::string_view::npos || label_end - end > 64) {
    return;
  }
  const std::string_view label = text.substr(end, label_end - end);
  if (label.find("PRIVATE KEY") == std::string_view::npos) {
    return;  // certificates, CSRs and public keys are not secrets
  }
  for (char c : label) {
    if (!isUpper(static_cast<unsigned char>(c)) && !isDigit(static_cast<unsigned char>(c)) &&
        c != ' ') {
      return;
    }
  }
  std::string end_marker = "-----END ";
  end_marker.append(label);
  end_marker.append("-----");
  const std::size_t body_start = label_end + 5;
  const std::size_t search_limit = std::min(text.size(), start + kMaxBlock);
  const std::size_t end_pos = text.substr(0, search_limit).find(end_marker, body_start);
  if (end_pos == std::string_view::npos) {
    return;
  }
  // The body must be base64 lines (plus RFC 1421 / OpenPGP headers and the armor checksum);
  // wiki placeholders ("MIIE...", "<redacted>", "(key omitted)") are not keys.
  std::size_t base64_chars = 0;
  std::size_t pos = body_start;
  while (pos < end_pos) {
    std::size_t line_end = text.find('\n', pos);
    if (line_end == std::string_view::npos || line_end > end_pos) {
      line_end = end_pos;
    }
    std::string_view line = text.substr(pos, line_end - pos);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
      line.remove_suffix(1);
    }
    while (!line.empty() && line.front() == ' ') {
      line.remove_prefix(1);
    }
    if (!line.empty() && line.find(": ") == std::string_view::npos) {
      for (char c : line) {
        if (!kBase64Set.contains(c)) {
          return;
        }
      }
      if (line.front() != '=') {
        base64_chars += line.size();
      }
    }
    pos = line_end + 1;
  }
  if (base64_chars < 64) {
    return;
  }
  addCandidate(out, EntityType::kPrivateKey, start, end_pos + end_marker.size(), "private-key",
               Priority::kSpecificSecret, Severity::kCritical);
}

void detectJwt(std::string_view text, std::size_t end, std::vector<Candidate>& out) {
  constexpr std::size_t kMaxJwt = 16 * 1024;
  const std::size_t start = end - 3;
  std::array<std::string_view, 3> parts;
  std::size_t pos = start;
  for (int i = 0; i < 3; ++i) {
    const std::size_t len = spanOf(text, pos, kWordDashSet, kMaxJwt);
    parts[static_cast<std::size_t>(i)] = text.substr(pos, len);
    pos += len;
    if (i < 2) {
      if (pos >= text.size() || text[pos] != '.') {
        return;
      }
      ++pos;
    }
  }
  if (pos < text.size() && (text[pos] == '.' || isWord(static_cast<unsigned char>(text[pos])))) {
    return;  // a fourth segment (JWE) or a truncated "eyJ...eyJ..." log line
  }
  std::string header;
  std::string payload;
  if (!base64Decode(parts[0], header) || !base64Decode(parts[1], payload)) {
    return;
  }
  if (header.size() < 8 || header.front() != '{' || header.back() != '}' ||
      header.find("\"alg\"") == std::string::npos) {
    return;
  }
  if (payload.size() < 2 || payload.front() != '{' || payload.back() != '}') {
    return;
  }
  const bool unsigned_token = header.find("\"none\"") != std::string::npos;
  if (!unsigned_token && parts[2].size() < 16) {
    return;
  }
  addCandidate(out, EntityType::kJwt, start, pos, "jwt", Priority::kSpecificSecret,
               Severity::kHigh);
}

namespace {

// A password-like value: long enough, more than one character class and not a stand-in.
bool plausibleSecretValue(std::string_view value, std::size_t min_length) {
  if (value.size() < min_length || value.size() > 256) {
    return false;
  }
  int classes = 0;
  bool lower = false;
  bool upper = false;
  bool digit = false;
  bool other = false;
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    lower |= isLower(u);
    upper |= isUpper(u);
    digit |= isDigit(u);
    other |= !isAlnum(u);
  }
  classes = int{lower} + int{upper} + int{digit} + int{other};
  if (classes < 2 || looksLikePlaceholder(value)) {
    return false;
  }
  return shannonEntropy(value) >= (value.size() >= 16 ? 3.0 : 2.5);
}

constexpr ByteSet kSchemeSet =
    ByteSet::of([](unsigned char c) { return isAlnum(c) || c == '+' || c == '.' || c == '-'; });

}  // namespace

void detectUrlCredentials(std::string_view text, std::size_t end, std::vector<Candidate>& out) {
  // scheme://user:password@host -> the password.
  const std::size_t colon_slash = end - 3;
  std::size_t scheme_start = colon_slash;
  while (scheme_start > 0 && colon_slash - scheme_start < 32 &&
         kSchemeSet.contains(text[scheme_start - 1])) {
    --scheme_start;
  }
  if (colon_slash - scheme_start < 2) {
    return;
  }
  std::size_t pos = end;
  std::size_t colon = std::string_view::npos;
  while (pos < text.size() && pos - end < 256) {
    const char c = text[pos];
    if (c == '@') {
      break;
    }
    if (isSpace(static_cast<unsigned char>(c)) || c == '/' || c == '?' || c == '#' || c == '"' ||
        c == '\'' || c == '<' || c == '>') {
      return;
    }
    if (c == ':' && colon == std::string_view::npos) {
      colon = pos;
    }
    ++pos;
  }
  if (pos >= text.size() || text[pos] != '@' || colon == std::string_view::npos) {
    return;
  }
  const std::string_view password = text.substr(colon + 1, pos - colon - 1);
  if (!plausibleSecretValue(password, 6)) {
    return;
  }
  addCandidate(out, EntityType::kGenericSecret, colon + 1, pos, "url-credentials",
               Priority::kContextual, Severity::kHigh);
}

namespace {

constexpr ByteSet kKeyNameSet =
    ByteSet::of([](unsigned char c) { return isWord(c) || c == '-' || c == '.'; });
constexpr ByteSet kValueStopSet = ByteSet::of([](unsigned char c) {
  return isSpace(c) || c == '"' || c == '\'' || c == '`' || c == ',' || c == ';' || c == '<' ||
         c == '>' || c == ')' || c == '}' || c == ']' || c == '&' || c == 0;
});

}  // namespace

void detectAssignment(std::string_view text, std::size_t end, std::vector<Candidate>& out) {
  // <...password|secret|token|api_key...> (quotes) (= | : | := | =>) (quote) VALUE
  std::size_t key_start = end;
  while (key_start > 0 && end - key_start < 64 && kKeyNameSet.contains(text[key_start - 1])) {
    --key_start;
  }
  std::size_t pos = end + spanOf(text, end, kKeyNameSet, 64);
  const std::string_view key = text.substr(key_start, pos - key_start);
  if (pos < text.size() && (text[pos] == '"' || text[pos] == '\'')) {
    ++pos;
  }
  while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) {
    ++pos;
  }
  if (pos >= text.size()) {
    return;
  }
  if (text[pos] == '=' || text[pos] == ':') {
    ++pos;
    if (pos < text.size() && (text[pos] == '=' || text[pos] == '>')) {
      ++pos;
    }
  } else {
    return;
  }
  while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) {
    ++pos;
  }
  char quote = 0;
  if (pos < text.size() && (text[pos] == '"' || text[pos] == '\'')) {
    quote = text[pos];
    ++pos;
  }
  std::size_t value_end = pos;
  if (quote != 0) {
    // A quoted value runs to its closing quote on the same line.
    while (value_end < text.size() && value_end - pos <= 256 && text[value_end] != quote &&
           text[value_end] != '\n') {
      ++value_end;
    }
    if (value_end >= text.size() || text[value_end] != quote) {
      value_end = pos;
    }
  }
  if (value_end == pos) {
    while (value_end < text.size() && value_end - pos <= 256 &&
           !kValueStopSet.contains(text[value_end])) {
      ++value_end;
    }
    // A trailing period ends the sentence, not the value.
    while (value_end > pos && text[value_end - 1] == '.') {
      --value_end;
    }
  }
  const std::string_view value = text.substr(pos, value_end - pos);
  // AWS secret access keys: 40 base64 characters under an AWS-ish secret key name.
  const bool aws_key = containsCi(key, "secret_access_key") || containsCi(key, "secretaccesskey") ||
                       containsCi(key, "secret_key") || containsCi(key, "aws_secret");
  if (aws_key && value.size() == 40) {
    bool base64 = true;
    for (char c : value) {
      base64 &= isAlnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
    }
    if (base64 && value.find("EXAMPLE") == std::string_view::npos && shannonEntropy(value) >= 3.5 &&
        hasDigitAndLetter(value)) {
      addCandidate(out, EntityType::kAwsSecretKey, pos, value_end, "aws-secret-access-key",
                   Priority::kChecksummed, Severity::kHigh);
      return;
    }
  }
  if (!plausibleSecretValue(value, 8)) {
    return;
  }
  addCandidate(out, EntityType::kGenericSecret, pos, value_end, "generic-secret-assignment",
               Priority::kContextual, Severity::kHigh);
}

}  // namespace gatehouse::guardrails::detail
