// Per-detector tests through the public engine: true positives in realistic formats and the hard
// negatives each detector must leave alone.

#include <gatehouse/guardrails/engine.h>

#include "guardrails/validators.h"
#include "unit/guardrails/test_util.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gatehouse::guardrails {
namespace {

using ::testing::ElementsAre;
using testing::found;
using ::testing::IsEmpty;
using testing::nothingFound;
using testing::randomChars;

TEST(Email, FindsAddressesInHeadersListsAndLogs) {
  EXPECT_THAT(found("Reach samir.quiroga@relecloud.com before Friday.", EntityType::kEmail),
              ElementsAre("samir.quiroga@relecloud.com"));
  EXPECT_THAT(found("From: \"Payroll\" <a.varga@mail.adatum.com>", EntityType::kEmail),
              ElementsAre("a.varga@mail.adatum.com"));
  EXPECT_THAT(found("user=JANE_DOE+llm@EU.EXAMPLE.ORG login ok", EntityType::kEmail),
              ElementsAre("JANE_DOE+llm@EU.EXAMPLE.ORG"));
  EXPECT_THAT(found("to: k.mensah@adatum.com, cc: j.lee@example.net.", EntityType::kEmail),
              ElementsAre("k.mensah@adatum.com", "j.lee@example.net"));
}

TEST(Email, IgnoresHandlesDecoratorsAndAssets) {
  EXPECT_TRUE(nothingFound("Replace hero@2x.jpg and favicon@3x.png with SVGs."));
  EXPECT_TRUE(nothingFound("Why is @functools.lru_cache applied before @staticmethod?"));
  EXPECT_TRUE(nothingFound("Thank @quinn.design on social media."));
  EXPECT_TRUE(nothingFound("ssh-ed25519 AAAAC3Nza ci@runner"));
}

TEST(Phone, ValidatesNumbersAcrossCountriesAndLayouts) {
  const std::vector<std::string> phones = {
      "+1 (415) 555-0132",  "(702) 555-0115",    "1-425-555-0160",  "314.555.0131",
      "+19715550117",       "+44 20 7946 0785",  "020 7946 0450",   "0113 496 0778",
      "+33 1 99 00 85 78",  "01 99 00 17 89",    "+61 3 7010 4284", "(02) 5550 5895",
      "0491 570 156",       "+49 (0)30 8579728", "+91-97696-38732", "+81 90-4827-9717",
      "+55 (11) 96442-1941"};
  for (const std::string& phone : phones) {
    EXPECT_THAT(found("Call me at " + phone + " tomorrow.", EntityType::kPhone), ElementsAre(phone))
        << phone;
  }
  EXPECT_THAT(found("TEL;TYPE=cell:+44 28 9649 6637\n", EntityType::kPhone),
              ElementsAre("+44 28 9649 6637"));
}

TEST(Phone, RejectsLookAlikes) {
  EXPECT_TRUE(nothingFound("She disputes invoice INV-2025-656881 today."));
  EXPECT_TRUE(nothingFound("Policy PPO-9383-675600 and order SO-924869."));
  EXPECT_TRUE(nothingFound("Build failed at 1780896129931."));        // a timestamp
  EXPECT_TRUE(nothingFound("Cite 978-1-4493-7332-0 in APA style."));  // an ISBN
  EXPECT_TRUE(nothingFound("Parcel to ZIP 58081-6060 is late."));
  EXPECT_TRUE(nothingFound("Due 2026-01-06, paid $21,146.00 on 6/20/2026."));
  EXPECT_TRUE(nothingFound("Call (555) 123-4567 for the demo."));  // 555 is not an area code
}

TEST(Ssn, DashedAlwaysSpacedOrPlainOnlyWithContext) {
  EXPECT_THAT(found("Patient SSN: 534-50-5814", EntityType::kSsn), ElementsAre("534-50-5814"));
  EXPECT_THAT(found("Applicant social security number: 533072626.", EntityType::kSsn),
              ElementsAre("533072626"));
  EXPECT_THAT(found("A contractor wrote SSN 433 11 4797 on the W-9", EntityType::kSsn),
              ElementsAre("433 11 4797"));
  EXPECT_THAT(found("Ticket 433 11 4797 was reopened", EntityType::kSsn), IsEmpty());
  EXPECT_THAT(found("Reference 533072626 attached", EntityType::kSsn), IsEmpty());
}

TEST(Ssn, RejectsSsaInvalidAndMaskedNumbers) {
  for (const char* bad : {"000-74-2811", "666-12-3456", "977-99-8392", "726-80-0000", "123-00-4567",
                          "219-09-9999", "***-**-8582", "xxx-xx-5588"}) {
    EXPECT_THAT(found(std::string("SSN ") + bad + ".", EntityType::kSsn), IsEmpty()) << bad;
  }
}

TEST(CreditCard, LuhnValidCardsInEveryLayout) {
  for (const char* card :
       {"4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111", "3782 822463 10005",
        "5500 0000 0000 0004", "4904 960 876 711", "3608 780828 8703", "4045 1608 8198 0062 434"}) {
    const auto cards =
        found(std::string("Card ") + card + ", expiry 2/29.", EntityType::kCreditCard);
    if (detail::luhnValid([&] {
          std::string digits;
          for (const char* p = card; *p; ++p) {
            if (*p >= '0' && *p <= '9') {
              digits += *p;
            }
          }
          return digits;
        }())) {
      EXPECT_THAT(cards, ElementsAre(card)) << card;
    } else {
      EXPECT_THAT(cards, IsEmpty()) << card;
    }
  }
}

TEST(CreditCard, RejectsLuhnFailuresGiftCardsImeisAndMasks) {
  EXPECT_TRUE(nothingFound("Which one is mistyped, 6011 6543 3088 7836?"));
  EXPECT_TRUE(nothingFound("The gift card 9919528880957628 is rejected."));
  EXPECT_TRUE(nothingFound("Register device IMEI 358946241882929 now."));
  EXPECT_TRUE(nothingFound("The scanner read 5085383372819 twice."));
  EXPECT_TRUE(nothingFound("VISA xxxx xxxx xxxx 1185 and 557146******1616"));
}

TEST(IpAddress, FindsV4AndV6WithoutPrefixOrZone) {
  EXPECT_THAT(found("-A INPUT -s 10.57.74.159/24 -p tcp", EntityType::kIpAddress),
              ElementsAre("10.57.74.159"));
  EXPECT_THAT(found("X-Forwarded-For: 198.51.100.3, 10.35.244.236.", EntityType::kIpAddress),
              ElementsAre("198.51.100.3", "10.35.244.236"));
  EXPECT_THAT(found("ping -6 fe80::e8d5:514f:b18d:b40e%en0 answers", EntityType::kIpAddress),
              ElementsAre("fe80::e8d5:514f:b18d:b40e"));
  EXPECT_THAT(found("peer ::ffff:198.51.100.8; compress 2001:0DB8::1.", EntityType::kIpAddress),
              ElementsAre("::ffff:198.51.100.8", "2001:0DB8::1"));
  EXPECT_THAT(found("BROKER_URL=redis://:pw@192.168.186.189:6379/0", EntityType::kIpAddress),
              ElementsAre("192.168.186.189"));
}

TEST(IpAddress, RejectsVersionsOidsClausesAndInvalidQuads) {
  EXPECT_TRUE(nothingFound("Pull registry.example.com/gateway:17.7.32.7 or :0.45.22"));
  EXPECT_TRUE(nothingFound("CMake says VERSION 2.6.7.51 but the DLL properties show 3.12.37.54"));
  EXPECT_TRUE(nothingFound("Upgrade to v1.2.3.4 and release-3.4.5.6 today"));
  EXPECT_TRUE(nothingFound("Compare clause 6.8.1.3 with clause 8.6.4.1"));
  EXPECT_TRUE(nothingFound("What does 2.5.29.17 return in snmpwalk?"));
  EXPECT_TRUE(nothingFound("OID 1.3.6.1.2.1.1.3.0 and 10.227.214 and 192.168.1.790"));
  EXPECT_TRUE(nothingFound("Times 12:51:08Z and MAC 5f:e3:91:6a:e7:16, std::vector<int>"));
}

TEST(Iban, PrintAndCompactFormsWithChecksum) {
  EXPECT_THAT(found("new IBAN GB82 WEST 1234 5698 7654 32, effective", EntityType::kIban),
              ElementsAre("GB82 WEST 1234 5698 7654 32"));
  EXPECT_THAT(found("from DE89370400440532013000 to NO9386011117947.", EntityType::kIban),
              ElementsAre("DE89370400440532013000", "NO9386011117947"));
}

TEST(Iban, RejectsBadChecksumsCreditorReferencesIsinsVatAndBics) {
  EXPECT_TRUE(nothingFound("Our form says BE40 5665 7943 7528 fails validation."));
  EXPECT_TRUE(nothingFound("Quote RF63PV3NS91XHJ or RF31 1DMJ MDN6 M6."));
  EXPECT_TRUE(nothingFound("Sell FRO3K5A7W9X9 and FR2ROLBX0J46; VAT NL419471688B01."));
  EXPECT_TRUE(nothingFound("Which bank uses BIC UBSWCHZH80A?"));
}

// --- Secrets ----------------------------------------------------------------------------------

struct SecretCase {
  std::string token;
  EntityType type;
  std::string_view rule;
};

std::vector<SecretCase> secretCases() {
  using testing::kBase62;
  using testing::kHexLower;
  const std::string alnum36 = randomChars(kBase62, 36, 11);
  return {
      {"ghp_" + alnum36, EntityType::kApiKey, "github-pat"},
      {"gho_" + randomChars(kBase62, 36, 12), EntityType::kApiKey, "github-oauth"},
      {"github_pat_" + randomChars(kBase62, 22, 13) + "_" + randomChars(kBase62, 59, 14),
       EntityType::kApiKey, "github-fine-grained-pat"},
      {"glpat-" + randomChars(kBase62, 20, 15), EntityType::kApiKey, "gitlab-pat"},
      {"xoxb-" + randomChars("0123456789", 12, 16) + "-" + randomChars("0123456789", 13, 17) + "-" +
           randomChars(kBase62, 24, 18),
       EntityType::kApiKey, "slack-bot-token"},
      {"sk_"
       "live_" +
           randomChars(kBase62, 24, 19),
       EntityType::kApiKey, "stripe-access-token"},
      {"sk-proj-" + randomChars(kBase62, 58, 20) + "T3BlbkFJ" + randomChars(kBase62, 58, 21),
       EntityType::kApiKey, "openai-api-key"},
      {"sk-ant-api03-" + randomChars(kBase62, 93, 22) + "AA", EntityType::kApiKey,
       "anthropic-api-key"},
      {"AIza" + randomChars(kBase62, 35, 23), EntityType::kApiKey, "gcp-api-key"},
      {"hf_" + randomChars(kBase62, 34, 24), EntityType::kApiKey, "huggingface-access-token"},
      {"npm_" + randomChars(kBase62, 36, 25), EntityType::kApiKey, "npm-access-token"},
      {"dop_v1_" + randomChars(kHexLower, 64, 26), EntityType::kApiKey, "digitalocean-pat"},
      {"glptt-" + randomChars(kHexLower, 40, 27), EntityType::kApiKey, "gitlab-ptt"},
      {"AKIA" + randomChars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, 28), EntityType::kAwsAccessKey,
       "aws-access-token"},
  };
}

TEST(Secrets, ProviderKeysByPrefixAndShape) {
  for (const SecretCase& c : secretCases()) {
    const std::string text = "We leaked " + c.token + " in a screenshot.";
    const ScanResult result = testing::flagAllEngine().scanAll(text);
    ASSERT_EQ(result.findings.size(), 1u) << c.rule;
    EXPECT_EQ(result.findings[0].type, c.type) << c.rule;
    EXPECT_EQ(result.findings[0].rule, c.rule);
    EXPECT_EQ(text.substr(result.findings[0].start, result.findings[0].size()), c.token);
  }
}

TEST(Secrets, PlaceholdersAndTruncatedKeysAreNotSecrets) {
  EXPECT_TRUE(nothingFound("What happens if I leave it as sk-proj-XXXXXXXXXXXXXXXX?"));
  EXPECT_TRUE(nothingFound("export {{ secrets.OPENAI_API_KEY }} or <OPENAI_API_KEY>"));
  EXPECT_TRUE(nothingFound("Use ghp_<token> or xoxb-your-bot-token or sk-ant-api03-..."));
  // AWS's documentation example key.
  EXPECT_TRUE(nothingFound(std::string("The docs show AKIA") + "IOSFODNN7" + "EXAMPLE there."));
  // Too short for the format.
  EXPECT_TRUE(nothingFound("ghp_" + randomChars(testing::kBase62, 20, 3) + " is cut off"));
}

TEST(Secrets, GatehouseCallerKeysNeedAValidChecksum) {
  const std::string body = "gtk_" + randomChars(testing::kBase62, 59, 42);
  const std::string key = body + detail::base62Fixed(detail::crc32(body), 6);
  const auto keys = found("curl -H 'Authorization: Bearer " + key + "'", EntityType::kApiKey);
  EXPECT_THAT(keys, ElementsAre(key));
  std::string bad = key;
  bad.back() = bad.back() == 'a' ? 'b' : 'a';
  EXPECT_THAT(found("Bearer " + bad, EntityType::kApiKey), IsEmpty());
}

TEST(Secrets, AwsSecretKeyUnderItsName) {
  const std::string secret = randomChars(testing::kBase62, 38, 7) + "+/";
  EXPECT_THAT(found("  secret_key = \"" + secret + "\"\n", EntityType::kAwsSecretKey),
              ElementsAre(secret));
  EXPECT_THAT(found("export AWS_SECRET_ACCESS_KEY=" + secret + "\n", EntityType::kAwsSecretKey),
              ElementsAre(secret));
}

TEST(Secrets, GenericAssignmentsAndUrlCredentials) {
  const std::string pw = "Zq8vR2" + randomChars(testing::kBase62, 14, 8);
  EXPECT_THAT(found("      - DB_PASSWORD=" + pw + "\n", EntityType::kGenericSecret),
              ElementsAre(pw));
  EXPECT_THAT(
      found("{\"client_secret\": \"" + pw + "\", \"tenant\": \"x\"}", EntityType::kGenericSecret),
      ElementsAre(pw));
  EXPECT_THAT(found("mysql://reporting:" + pw + "@db.internal.example:3306/app",
                    EntityType::kGenericSecret),
              ElementsAre(pw));
  EXPECT_THAT(found("password: \"Tr0ub4dor&3xyzzy\"", EntityType::kGenericSecret),
              ElementsAre("Tr0ub4dor&3xyzzy"));
  // Placeholders, short or low-entropy values.
  EXPECT_TRUE(nothingFound("DB_PASSWORD=changeme and password=${DB_PASSWORD} and token: true"));
}

TEST(Secrets, JwtNeedsJsonHeaderAndPayload) {
  // {"alg":"HS256","typ":"JWT"} . {"sub":"1234567890","iat":1516239022} . signature
  const std::string jwt =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwiaWF0IjoxNTE2MjM5MDIyfQ." +
      randomChars(testing::kBase62, 43, 9);
  EXPECT_THAT(found("Authorization: Bearer " + jwt + "\n", EntityType::kJwt), ElementsAre(jwt));
  EXPECT_TRUE(nothingFound("The log kept only eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJpc3..."));
}

TEST(Secrets, PemPrivateKeyBlocksButNotPublicKeysOrElidedBodies) {
  std::string body;
  for (int line = 0; line < 6; ++line) {
    body += randomChars(testing::kBase62, 64, static_cast<std::uint32_t>(100 + line)) + "\n";
  }
  const std::string key =
      "-----BEGIN RSA PRIVATE KEY-----\n" + body + "-----END RSA PRIVATE KEY-----";
  EXPECT_THAT(found("The deploy key is\n" + key + "\nrotate it", EntityType::kPrivateKey),
              ElementsAre(key));
  EXPECT_TRUE(
      nothingFound("-----BEGIN PRIVATE KEY-----\n(key omitted)\n-----END PRIVATE KEY-----"));
  EXPECT_TRUE(nothingFound("-----BEGIN PUBLIC KEY-----\n" + body + "-----END PUBLIC KEY-----"));
  EXPECT_TRUE(nothingFound("-----BEGIN CERTIFICATE REQUEST-----\n" + body +
                           "-----END CERTIFICATE REQUEST-----"));
}

TEST(HardNegatives, IdentifiersThatLookLikeData) {
  EXPECT_TRUE(nothingFound("Request id 6c8d52a3-d936-40bb-9cff-86a2a8fc024c failed."));
  EXPECT_TRUE(nothingFound("Cherry-pick 8748f50526 and ce238e8dd4a0aecf6dbf4b2cf64192b29c297a5e"));
  EXPECT_TRUE(nothingFound(
      "image sha256:7ad635d10f958a703548e85e941de0c76699defc2dadf544c62b984c0670341d"));
  EXPECT_TRUE(nothingFound("Pod llm-proxy-543a23748-k9hh2 restarts every 5 minutes."));
  EXPECT_TRUE(nothingFound("Build 2024.4.18-r11 passed; order #3839115-74; employee E509558."));
  EXPECT_TRUE(nothingFound("Explain bech32 using tb1q8vt4vdj5u7f3fpw4a4xvhz6xaf9eqecf3dyt5s."));
}

TEST(Engine, HandlesEmptyBinaryAndHugeInputs) {
  EXPECT_TRUE(nothingFound(""));
  const std::string binary("\x00\xff\xfe\x80@\x00:\x01", 8);
  EXPECT_NO_FATAL_FAILURE(testing::flagAllEngine().scanAll(binary));
  std::string digits(100000, '7');
  EXPECT_TRUE(nothingFound(digits));
  std::string runs;
  for (int i = 0; i < 20000; ++i) {
    runs += "1 ";
  }
  EXPECT_TRUE(nothingFound(runs));
}

TEST(Engine, TruncatesBeyondTheLimit) {
  EngineLimits limits;
  limits.max_text_bytes = 32;
  auto engine = Engine::create(flagEverythingPolicy(), limits);
  ASSERT_TRUE(engine);
  const ScanResult result =
      (*engine)->scanAll("padding padding padding padding padding jo@example.com");
  EXPECT_TRUE(result.truncated);
  EXPECT_TRUE(result.findings.empty());
}

}  // namespace
}  // namespace gatehouse::guardrails
