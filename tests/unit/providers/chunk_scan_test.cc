#include "providers/chunk_scan.h"

#include <gatehouse/providers/translate.h>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <random>
#include <string>
#include <utility>
#include <vector>

namespace gatehouse::providers {
namespace {

// `text` after one to three random edits (delete, insert or replace one character), the
// inserted characters drawn from `alphabet`.
std::string mutated(std::string text, const std::string& alphabet, std::mt19937& random) {
  const int edits = 1 + static_cast<int>(random() % 3);
  for (int e = 0; e < edits && !text.empty(); ++e) {
    const std::size_t at = random() % text.size();
    switch (random() % 3) {
      case 0:
        text.erase(at, 1);
        break;
      case 1:
        text.insert(at, 1, alphabet[random() % alphabet.size()]);
        break;
      default:
        text[at] = alphabet[random() % alphabet.size()];
    }
  }
  return text;
}

TEST(ChunkScan, ContentChunksNeedNoInspection) {
  const ChunkScan scan = scanOpenAIChunk(
      R"({"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":)"
      R"({"content":"the \"usage\": {\"error\": 1}"},"finish_reason":null}],"usage":null})");
  EXPECT_TRUE(scan.is_object);
  EXPECT_FALSE(scan.needs_inspection);
}

TEST(ChunkScan, UsageErrorsAndGroqUsageNeedInspection) {
  for (const char* chunk : {
           R"({"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":5}})",
           R"({"choices":[] , "usage" :  {"prompt_tokens":3}})",
           R"({"error":{"message":"overloaded","type":"server_error"}})", R"({"error":null})",
           R"({"choices":[],"x_groq":{"usage":{"prompt_tokens":1}}})",
           R"({"choices":[],"us\u0061ge":{"prompt_tokens":3}})",  // A key read in parts.
       }) {
    const ChunkScan scan = scanOpenAIChunk(chunk);
    EXPECT_TRUE(scan.is_object) << chunk;
    EXPECT_TRUE(scan.needs_inspection) << chunk;
  }
}

TEST(ChunkScan, OnlyTopLevelKeysCount) {
  const ChunkScan scan = scanOpenAIChunk(
      R"({"choices":[{"delta":{"usage":{"a":1},"error":{"b":2},"x_groq":{}}}],"usage":null})");
  EXPECT_TRUE(scan.is_object);
  EXPECT_FALSE(scan.needs_inspection);
}

TEST(ChunkScan, InvalidJsonAndNonObjectsAreNotObjects) {
  for (const char* chunk : {"", "{", R"({"a":1}x)", R"({"a":1}{"b":2})", "[1,2]", "\"text\"",
                            "null", R"({"a":01})", "{\"a\":\"\xff\"}", R"({'a':1})"}) {
    EXPECT_FALSE(scanOpenAIChunk(chunk).is_object) << chunk;
  }
}

// Property: the scan accepts exactly what the DOM parser accepts as an object, and asks for
// inspection whenever the DOM has a top-level error, x_groq or object-valued usage.
TEST(ChunkScan, AgreesWithTheDomParserOnMutatedChunks) {
  const std::vector<std::string> seeds = {
      R"({"id":"c","choices":[{"index":0,"delta":{"content":"hi"}}],"usage":null})",
      R"({"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}})",
      R"({"error":{"message":"m","code":429}})",
  };
  const std::string alphabet = R"({}[]:,"\ 0123456789abcdefusageror-.etruflsn)";
  std::mt19937 random(20261201);
  for (int i = 0; i < 20000; ++i) {
    const std::string text = mutated(seeds[random() % seeds.size()], alphabet, random);
    boost::system::error_code ec;
    const boost::json::value dom = boost::json::parse(text, ec);
    const bool dom_object = !ec && dom.is_object();
    const ChunkScan scan = scanOpenAIChunk(text);
    ASSERT_EQ(scan.is_object, dom_object) << text;
    if (dom_object) {
      const auto& object = dom.as_object();
      const auto* usage = object.if_contains("usage");
      const bool wants = object.contains("error") || object.contains("x_groq") ||
                         (usage != nullptr && usage->is_object());
      if (wants) {
        ASSERT_TRUE(scan.needs_inspection) << text;
      }
    }
  }
}

TEST(ResponseUsageScan, ReadsTheCountsOfBothDialects) {
  const auto openai = scanResponseUsage(
      Dialect::kOpenAI,
      R"({"id":"c","choices":[{"message":{"content":"\"usage\":{\"prompt_tokens\":9}"}}],)"
      R"("usage":{"prompt_tokens":31,"completion_tokens":45,"total_tokens":76,)"
      R"("prompt_tokens_details":{"cached_tokens":3}}})");
  ASSERT_TRUE(openai);
  EXPECT_TRUE(openai->reported);
  EXPECT_EQ(openai->input_tokens, 31);
  EXPECT_EQ(openai->output_tokens, 45);

  // Anthropic's prompt size is its input plus both cache counts.
  const auto anthropic = scanResponseUsage(
      Dialect::kAnthropic,
      R"({"type":"message","usage":{"input_tokens":10,"cache_creation_input_tokens":20,)"
      R"("cache_read_input_tokens":30,"output_tokens":7}})");
  ASSERT_TRUE(anthropic);
  EXPECT_TRUE(anthropic->reported);
  EXPECT_EQ(anthropic->input_tokens, 60);
  EXPECT_EQ(anthropic->output_tokens, 7);
}

TEST(ResponseUsageScan, FollowsTheDomOnOddUsage) {
  struct Case {
    const char* body;
    std::int64_t input, output;
    bool reported;
  };
  for (const Case& c : {
           Case{R"({"choices":[]})", 0, 0, false},
           Case{R"({"usage":null})", 0, 0, false},
           Case{R"({"usage":{"total_tokens":5}})", 0, 0, false},
           Case{R"({"usage":{"prompt_tokens":"31","completion_tokens":-4}})", 0, 0, true},
           Case{R"({"usage":{"prompt_tokens":2.0,"completion_tokens":2.5}})", 2, 0, true},
           Case{R"({"usage":{"prompt_tokens":1e30,"completion_tokens":18446744073709551615}})", 0,
                0, true},
           Case{R"({"usage":{"prompt_tokens":[7],"completion_tokens":{"n":8}}})", 0, 0, true},
           Case{R"({"usage":{"prompt_tokens":1,"prompt_tokens":2}})", 2, 0, true},
           Case{R"({"usage":{"prompt_tokens":1},"usage":{"completion_tokens":3}})", 0, 3, true},
           Case{R"({"usage":{"prompt_tokens":1},"usage":7})", 0, 0, false},
           Case{R"({"x":{"usage":{"prompt_tokens":1}}})", 0, 0, false},
           Case{R"({"\u0075sage":{"prompt\u005ftokens":4,"completion_tokens":5}})", 4, 5, true},
       }) {
    const auto usage = scanResponseUsage(Dialect::kOpenAI, c.body);
    ASSERT_TRUE(usage) << c.body;
    EXPECT_EQ(usage->input_tokens, c.input) << c.body;
    EXPECT_EQ(usage->output_tokens, c.output) << c.body;
    EXPECT_EQ(usage->reported, c.reported) << c.body;
  }
  for (const char* invalid : {"", "[]", "null", R"({"usage":{"prompt_tokens":1})",
                              R"({"usage":{}} {})", "{\"a\":\"\xff\"}"}) {
    EXPECT_FALSE(scanResponseUsage(Dialect::kOpenAI, invalid)) << invalid;
  }
}

// Property: on mutated responses of both dialects the scan accepts exactly what the DOM parser
// accepts as an object, and reads the same usage as usageFromResponse() on that DOM.
TEST(ResponseUsageScan, AgreesWithTheDomOnMutatedResponses) {
  const std::vector<std::pair<Dialect, std::string>> seeds = {
      {Dialect::kOpenAI,
       R"({"id":"c","choices":[{"message":{"content":"hi"}}],"usage":{"prompt_tokens":31,)"
       R"("completion_tokens":45,"total_tokens":76,"prompt_tokens_details":{"cached_tokens":0}}})"},
      {Dialect::kOpenAI, R"({"usage":{"prompt_tokens":1,"completion_tokens":2},"usage":null})"},
      {Dialect::kAnthropic,
       R"({"type":"message","content":[{"type":"text","text":"hi"}],"usage":{"input_tokens":5,)"
       R"("cache_creation_input_tokens":1,"cache_read_input_tokens":2,"output_tokens":9}})"},
  };
  const std::string alphabet = R"({}[]:,"\ 0123456789.e-+inputokesmlcaury_)";
  std::mt19937 random(20261202);
  for (int i = 0; i < 20000; ++i) {
    const auto& [dialect, seed] = seeds[random() % seeds.size()];
    const std::string text = mutated(seed, alphabet, random);
    boost::system::error_code ec;
    const boost::json::value dom = boost::json::parse(text, ec);
    const auto scanned = scanResponseUsage(dialect, text);
    ASSERT_EQ(scanned.has_value(), !ec && dom.is_object()) << text;
    if (scanned) {
      const TokenUsage expected = usageFromResponse(dialect, dom.as_object());
      ASSERT_EQ(scanned->input_tokens, expected.input_tokens) << text;
      ASSERT_EQ(scanned->output_tokens, expected.output_tokens) << text;
      ASSERT_EQ(scanned->reported, expected.reported) << text;
    }
  }
}

}  // namespace
}  // namespace gatehouse::providers
