#include "providers/chunk_scan.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <random>
#include <string>
#include <vector>

namespace gatehouse::providers {
namespace {

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
           R"({"error":{"message":"overloaded","type":"server_error"}})",
           R"({"error":null})",
           R"({"choices":[],"x_groq":{"usage":{"prompt_tokens":1}}})",
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
    std::string text = seeds[random() % seeds.size()];
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

}  // namespace
}  // namespace gatehouse::providers
