#include <gatehouse/providers/dialect.h>

#include "test_util.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace gatehouse::providers {
namespace {

using testing::J;

TEST(DialectTest, Names) {
  EXPECT_EQ(dialectName(Dialect::kOpenAI), "openai");
  EXPECT_EQ(dialectName(Dialect::kAnthropic), "anthropic");
}

TEST(ErrorBodyTest, OpenAIExactWireFormat) {
  EXPECT_EQ(
      errorBody(Dialect::kOpenAI, 400, "Invalid 'messages': empty array."),
      R"({"error":{"message":"Invalid 'messages': empty array.","type":"invalid_request_error","param":null,"code":null}})");
}

TEST(ErrorBodyTest, AnthropicExactWireFormat) {
  EXPECT_EQ(errorBody(Dialect::kAnthropic, 529, "Overloaded"),
            R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
}

struct OpenAIKind {
  int status;
  const char* type;
  const char* code;  // nullptr: JSON null
};

TEST(ErrorBodyTest, OpenAITypesAndCodesByStatus) {
  const OpenAIKind kinds[] = {
      {400, "invalid_request_error", nullptr},
      // What api.openai.com sends for a bad key: "Incorrect API key provided".
      {401, "invalid_request_error", "invalid_api_key"},
      {403, "permission_error", nullptr},
      {404, "invalid_request_error", "model_not_found"},
      {413, "invalid_request_error", nullptr},
      {422, "invalid_request_error", nullptr},
      {429, "rate_limit_error", "rate_limit_exceeded"},
      {500, "server_error", nullptr},
      {502, "server_error", nullptr},
      {503, "server_error", nullptr},
      {504, "server_error", nullptr},
  };
  for (const OpenAIKind& kind : kinds) {
    const boost::json::value body = J(errorBody(Dialect::kOpenAI, kind.status, "m"));
    boost::json::object error;
    error["message"] = "m";
    error["type"] = kind.type;
    error["param"] = nullptr;
    if (kind.code == nullptr) {
      error["code"] = nullptr;
    } else {
      error["code"] = kind.code;
    }
    boost::json::object expected;
    expected["error"] = error;
    EXPECT_EQ(body, boost::json::value(expected)) << "status " << kind.status;
  }
}

TEST(ErrorBodyTest, AnthropicDocumentedTypesByStatus) {
  const std::pair<int, const char*> kinds[] = {
      {400, "invalid_request_error"},
      {401, "authentication_error"},
      {402, "billing_error"},
      {403, "permission_error"},
      {404, "not_found_error"},
      {413, "request_too_large"},
      {422, "invalid_request_error"},
      {429, "rate_limit_error"},
      {500, "api_error"},
      {502, "api_error"},
      {503, "overloaded_error"},
      {504, "timeout_error"},
      {529, "overloaded_error"},
  };
  for (const auto& [status, type] : kinds) {
    const boost::json::value body = J(errorBody(Dialect::kAnthropic, status, "m"));
    EXPECT_EQ(body.at("type"), "error") << status;
    EXPECT_EQ(body.at("error").at("type"), type) << status;
    EXPECT_EQ(body.at("error").at("message"), "m") << status;
  }
}

TEST(ErrorBodyTest, MessageIsEscapedAndInvalidUtf8Replaced) {
  const std::string body =
      errorBody(Dialect::kOpenAI, 400, "quote \" backslash \\ newline \n bad \xff end");
  const boost::json::value parsed = J(body);  // fails the test if it is not valid JSON
  EXPECT_EQ(parsed.at("error").at("message"),
            "quote \" backslash \\ newline \n bad \xEF\xBF\xBD end");
}

TEST(StreamErrorEventTest, OpenAIIsADataOnlyEvent) {
  EXPECT_EQ(streamErrorEvent(Dialect::kOpenAI, 502, "upstream closed"),
            "data: {\"error\":{\"message\":\"upstream closed\",\"type\":\"server_error\","
            "\"param\":null,\"code\":null}}\n\n");
}

TEST(StreamErrorEventTest, AnthropicIsAnErrorEvent) {
  EXPECT_EQ(streamErrorEvent(Dialect::kAnthropic, 529, "Overloaded"),
            "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
            "\"message\":\"Overloaded\"}}\n\n");
}

TEST(UpstreamErrorMessageTest, OpenAIBody) {
  EXPECT_EQ(
      upstreamErrorMessage(
          R"({"error":{"message":"Rate limit reached for requests","type":"requests","param":null,"code":"rate_limit_exceeded"}})",
          429),
      "Rate limit reached for requests");
}

TEST(UpstreamErrorMessageTest, AnthropicBody) {
  EXPECT_EQ(
      upstreamErrorMessage(
          R"({"type":"error","error":{"type":"not_found_error","message":"The requested resource could not be found."},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"})",
          404),
      "The requested resource could not be found.");
}

TEST(UpstreamErrorMessageTest, CompatibleServerShapes) {
  EXPECT_EQ(upstreamErrorMessage(R"({"error":"model 'llama3' not found"})", 404),
            "model 'llama3' not found");  // Ollama
  EXPECT_EQ(
      upstreamErrorMessage(
          R"({"object":"error","message":"max_tokens is too large","type":"BadRequestError","code":400})",
          400),
      "max_tokens is too large");  // vLLM
  EXPECT_EQ(upstreamErrorMessage(R"({"detail":"Not Found"})", 404), "Not Found");
}

TEST(UpstreamErrorMessageTest, UnrecognisedBodiesGetAGenericText) {
  EXPECT_EQ(upstreamErrorMessage("<html>502 Bad Gateway</html>", 502),
            "upstream returned HTTP 502 (Bad Gateway)");
  EXPECT_EQ(upstreamErrorMessage("", 503), "upstream returned HTTP 503 (Service Unavailable)");
  EXPECT_EQ(upstreamErrorMessage(R"({"error":{"code":5}})", 500),
            "upstream returned HTTP 500 (Internal Server Error)");
  EXPECT_EQ(upstreamErrorMessage(R"({"error":{"message":""}})", 418), "upstream returned HTTP 418");
  EXPECT_EQ(upstreamErrorMessage("[1,2]", 400), "upstream returned HTTP 400 (Bad Request)");
}

TEST(UpstreamErrorMessageTest, LongMessagesAreCutOnACharacterBoundary) {
  std::string message = std::string(499, 'a') + "\xC3\xA9" + std::string(100, 'b');  // é at 499
  boost::json::object error;
  error["message"] = message;
  boost::json::object body;
  body["error"] = error;
  const std::string relayed = upstreamErrorMessage(boost::json::serialize(body), 400);
  EXPECT_EQ(relayed, std::string(499, 'a') + "...");
  EXPECT_LE(relayed.size(), 503u);
}

TEST(UpstreamErrorMessageTest, MessageOfExactlyTheLimitIsKept) {
  const std::string message(500, 'x');
  EXPECT_EQ(upstreamErrorMessage("{\"error\":{\"message\":\"" + message + "\"}}", 400), message);
}

}  // namespace
}  // namespace gatehouse::providers
