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

TEST(ChunkScan, ErrorsAndGroqUsageNeedInspection) {
  for (const char* chunk : {
           R"({"error":{"message":"overloaded","type":"server_error"}})", R"({"error":null})",
           R"({"choices":[],"x_groq":{"usage":{"prompt_tokens":1}}})",
           R"({"choices":[],"x_gr\u006fq":{"usage":{"prompt_tokens":1}}})",  // Read in parts.
       }) {
    const ChunkScan scan = scanOpenAIChunk(chunk);
    EXPECT_TRUE(scan.is_object) << chunk;
    EXPECT_TRUE(scan.needs_inspection) << chunk;
  }
}

TEST(ChunkScan, ReadsTheUsageChunkWithoutTheDom) {
  const ChunkScan usage = scanOpenAIChunk(
      R"({"choices":[] , "usage" :  {"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}})");
  EXPECT_FALSE(usage.needs_inspection);
  EXPECT_TRUE(usage.has_usage);
  EXPECT_TRUE(usage.choices_empty);
  EXPECT_EQ(usage.prompt_tokens, 3);
  EXPECT_EQ(usage.completion_tokens, 5);
  const ChunkScan escaped = scanOpenAIChunk(R"({"choices":[{}],"us\u0061ge":{"prompt_tokens":3}})");
  EXPECT_TRUE(escaped.has_usage);
  EXPECT_FALSE(escaped.choices_empty);
  EXPECT_EQ(escaped.prompt_tokens, 3);
  // The last of duplicate keys decides, as in the DOM.
  const ChunkScan replaced =
      scanOpenAIChunk(R"({"usage":{"prompt_tokens":3},"choices":[],"usage":null,"choices":[1]})");
  EXPECT_FALSE(replaced.has_usage);
  EXPECT_FALSE(replaced.choices_empty);
  EXPECT_EQ(replaced.prompt_tokens, 0);
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

// Property: the scan accepts exactly what the DOM parser accepts as an object, asks for
// inspection whenever the DOM has a top-level error or x_groq, and otherwise reads what the
// DOM holds: whether usage is an object, its counts (by usageFromResponse()'s rules, which
// the stream's metering shares), and whether choices is an empty array.
TEST(ChunkScan, AgreesWithTheDomParserOnMutatedChunks) {
  const std::vector<std::string> seeds = {
      R"({"id":"c","choices":[{"index":0,"delta":{"content":"hi"}}],"usage":null})",
      R"({"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}})",
      R"({"error":{"message":"m","code":429}})",
      R"({"choices":[],"usage":{"prompt_tokens":3,"usage":1,"completion_tokens":2.0},"usage":{}})",
  };
  const std::string alphabet = R"({}[]:,"\ 0123456789abcdefusageror-.etruflsnchoipmkx_)";
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
      const bool wants = object.contains("error") || object.contains("x_groq");
      ASSERT_EQ(scan.needs_inspection, wants) << text;
      ASSERT_EQ(scan.has_usage, usage != nullptr && usage->is_object()) << text;
      const TokenUsage counts = usageFromResponse(Dialect::kOpenAI, object);
      ASSERT_EQ(scan.prompt_tokens, counts.input_tokens) << text;
      ASSERT_EQ(scan.completion_tokens, counts.output_tokens) << text;
      const auto* choices = object.if_contains("choices");
      ASSERT_EQ(scan.choices_empty,
                choices != nullptr && choices->is_array() && choices->as_array().empty())
          << text;
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

// --- Requests relayed to their own dialect ----------------------------------------------------

// What the DOM way sends upstream for `body`: the model replaced and, when `add_include_usage`,
// stream_options.include_usage set. The splice must mean exactly this.
boost::json::value domEdit(const std::string& body, std::string_view upstream_model,
                           bool add_include_usage) {
  boost::json::value dom = boost::json::parse(body);
  dom.as_object()["model"] = upstream_model;
  if (add_include_usage) {
    dom.as_object()["stream_options"] = boost::json::object{{"include_usage", true}};
  }
  return dom;
}

TEST(RequestScan, ReadsTheModelStreamAndUsageOption) {
  const std::string body =
      R"({"model": "gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":true,)"
      R"("stream_options":{"include_usage":true}})";
  const auto scan = scanRequest(Dialect::kOpenAI, body);
  ASSERT_TRUE(scan);
  EXPECT_EQ(scan->model, "gpt-4o");
  EXPECT_EQ(body.substr(scan->model_begin, scan->model_end - scan->model_begin), "\"gpt-4o\"");
  EXPECT_TRUE(scan->stream);
  EXPECT_TRUE(scan->has_stream_options);
  EXPECT_TRUE(scan->include_usage);

  const auto plain = scanRequest(Dialect::kOpenAI, R"({"messages":[1],"model":"m","stream":null})");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->stream);
  EXPECT_FALSE(plain->has_stream_options);
  EXPECT_FALSE(plain->include_usage);
}

TEST(RequestScan, SplicesTheModelAndLeavesEveryOtherByteAsItWas) {
  const std::string before = R"({"messages":[{"role":"user","content":"1.0e2 \u00e9"}],"model":)";
  const std::string after = R"(,"temperature":1.50,"n":1})";
  const std::string body = before + R"("caller-name")" + after;
  const auto scan = scanRequest(Dialect::kOpenAI, body);
  ASSERT_TRUE(scan);
  EXPECT_FALSE(scan->add_include_usage);  // Not a stream.
  const std::string spliced = spliceRequest(body, *scan, "up/model-1");
  EXPECT_EQ(spliced, before + R"("up/model-1")" + after);
  // An upstream model that needs escaping is escaped.
  const std::string odd = spliceRequest(body, *scan, "a\"b\\c\n");
  EXPECT_EQ(boost::json::parse(odd), domEdit(body, "a\"b\\c\n", false));
}

TEST(RequestScan, AddsIncludeUsageWhenTheBodyHasNoStreamOptions) {
  const std::string body = "{\"model\":\"m\",\"messages\":[{}],\"stream\":true}\n ";
  const auto scan = scanRequest(Dialect::kOpenAI, body);
  ASSERT_TRUE(scan);
  EXPECT_TRUE(scan->add_include_usage);
  const std::string spliced = spliceRequest(body, *scan, "up");
  EXPECT_EQ(boost::json::parse(spliced), domEdit(body, "up", true));
}

TEST(RequestScan, KeysInsideValuesAreNotTheRequestsOwn) {
  const std::string body =
      R"({"metadata":{"model":"x","stream":"no"},"messages":[{"model":1,"stream_options":2}],)"
      R"("model":"real"})";
  const auto scan = scanRequest(Dialect::kOpenAI, body);
  ASSERT_TRUE(scan);
  EXPECT_EQ(scan->model, "real");
  EXPECT_FALSE(scan->stream);
  EXPECT_FALSE(scan->has_stream_options);
}

TEST(RequestScan, WhatTheScanCannotVouchForTakesTheDomWay) {
  for (const char* body : {
           "",
           "[]",
           R"({"model":"m","messages":[1]} {})",
           R"({"messages":[1]})",
           R"({"model":7,"messages":[1]})",
           R"({"model":"","messages":[1]})",
           R"({"model":null,"messages":[1]})",
           R"({"model":["m"],"messages":[1]})",
           R"({"model":"gpt\u002d4","messages":[1]})",  // Escaped: not a slice of the body.
           R"({"model":"a","messages":[1],"model":"b"})",
           R"({"model":"a","messages":[1],"mod\u0065l":"b"})",  // The same key, escaped.
           R"({"model":"a","messages":[1],"stream":true,"stream":false})",
           R"({"model":"a","messages":[1],"stream":"yes"})",
           R"({"model":"a","messages":[1],"stream":1})",
           R"({"model":"a","messages":[1],"stream_options":null})",
           R"({"model":"a","messages":[1],"stream_options":{"include_usage":"true"}})",
           R"({"model":"a","messages":[1],"stream_options":{"include_usage":true,)"
           R"("include_usage":false}})",
           R"({"model":"a","messages":[1],"stream_options":{},"stream_options":{}})",
           R"({"model":"a","messages":[]})",
           R"({"model":"a"})",
           R"({"model":"a","messages":{}})",
           R"({"model":"a","messages":[1],"messages":[2]})",
           "{\"model\":\"\xff\",\"messages\":[1]}",
       }) {
    EXPECT_FALSE(scanRequest(Dialect::kOpenAI, body)) << body;
  }
  // An OpenAI stream whose own stream_options lack include_usage: it must be set inside them.
  EXPECT_FALSE(scanRequest(Dialect::kOpenAI,
                           R"({"model":"a","messages":[1],"stream":true,"stream_options":{}})"));
  const auto anthropic =
      scanRequest(Dialect::kAnthropic, R"({"model":"c","stream":true,"stream_options":{}})");
  ASSERT_TRUE(anthropic);
  EXPECT_FALSE(anthropic->add_include_usage);  // Anthropic streams report usage unasked.
  // The DOM way checks messages for OpenAI callers only; so does the scan.
  EXPECT_TRUE(scanRequest(Dialect::kAnthropic, R"({"model":"claude","max_tokens":5})"));
}

// Property: on mutated requests, whatever the scan accepts the DOM parser accepts too, with the
// same model, stream and include_usage, and the spliced body means what the DOM way's edit of
// it would. Whatever the DOM parser rejects, the scan rejects.
TEST(RequestScan, AgreesWithTheDomOnMutatedRequests) {
  const std::vector<std::string> seeds = {
      R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":true,)"
      R"("stream_options":{"include_usage":true},"temperature":0.7})",
      R"({"model":"m","messages":[{"role":"system","content":"x"}],"stream":false,"n":2})",
      R"({"messages":[1],"stream":null,"model":"ab","metadata":{"model":"z"}})",
  };
  const std::string alphabet = R"({}[]:,"\ 0123456789.e-tuflnmodesramgicp_)";
  std::mt19937 random(20261201);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string text = mutated(seeds[random() % seeds.size()], alphabet, random);
    boost::system::error_code ec;
    const boost::json::value dom = boost::json::parse(text, ec);
    const auto scan = scanRequest(Dialect::kOpenAI, text);
    if (ec || !dom.is_object()) {
      ASSERT_FALSE(scan) << text;
      continue;
    }
    if (!scan) {
      continue;
    }
    ++accepted;
    const auto& object = dom.as_object();
    ASSERT_TRUE(object.contains("model") && object.at("model").is_string()) << text;
    ASSERT_EQ(scan->model, std::string_view(object.at("model").as_string())) << text;
    const auto* stream = object.if_contains("stream");
    ASSERT_EQ(scan->stream, stream && stream->is_bool() && stream->as_bool()) << text;
    const auto* options = object.if_contains("stream_options");
    ASSERT_EQ(scan->has_stream_options, options != nullptr) << text;
    const auto* include = options && options->is_object()
                              ? options->as_object().if_contains("include_usage")
                              : nullptr;
    ASSERT_EQ(scan->include_usage, include && include->is_bool() && include->as_bool()) << text;
    const bool add = scan->stream && !scan->has_stream_options;
    ASSERT_EQ(scan->add_include_usage, add) << text;
    ASSERT_EQ(boost::json::parse(spliceRequest(text, *scan, "up\"model")),
              domEdit(text, "up\"model", add))
        << text;
  }
  EXPECT_GT(accepted, 2000);  // The property was tried on many accepted bodies.
}

}  // namespace
}  // namespace gatehouse::providers
