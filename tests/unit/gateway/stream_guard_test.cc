#include "gateway/guard.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace gatehouse::gateway {
namespace {

std::unique_ptr<guardrails::Engine> redactingEngine() {
  guardrails::PolicyConfig policy;
  policy.setPii({guardrails::Action::kAllow, guardrails::Action::kRedact});
  auto engine = guardrails::Engine::create(std::move(policy));
  return engine ? std::move(engine).value() : nullptr;
}

std::string contentChunk(std::string_view text) {
  return R"(data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":")" +
         std::string(text) + R"("},"finish_reason":null}]})" + "\n\n";
}

constexpr std::string_view kFinishChunk =
    "data: "
    R"({"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},)"
    R"("finish_reason":"stop"}]})"
    "\n\n";

// An OpenAI caller's output guard that redacts PII and holds back 64 bytes.
class StreamGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(engine_, nullptr);
    guard.emplace(providers::Dialect::kOpenAI, *engine_, pseudonymizer_, 64);
  }

  std::unique_ptr<guardrails::Engine> engine_ = redactingEngine();
  guardrails::Pseudonymizer pseudonymizer_;
  std::optional<StreamGuard> guard;
  std::string out;
};

// Events are checked as the parser hands them over, in its own storage: each piece's events
// come out guarded, in order, piece after piece.
TEST_F(StreamGuardTest, GuardsEveryEventOfEveryPieceInOrder) {
  EXPECT_FALSE(guard->process(contentChunk("write to ") + contentChunk("alice@example.com"), out));
  EXPECT_FALSE(guard->process(contentChunk(" today") + std::string(kFinishChunk), out));
  EXPECT_EQ(out.find("alice@example.com"), std::string::npos);
  const std::size_t first = out.find("write to ");
  const std::size_t last = out.find(" today");
  ASSERT_NE(first, std::string::npos);
  ASSERT_NE(last, std::string::npos);
  EXPECT_LT(first, last);
}

// A piece whose framing breaks (here an event past the guard's 8 MiB limit) ends the stream
// with the guard's error, and none of that piece is relayed: not even the events before the
// break, which would otherwise go out unannounced ahead of the error.
TEST_F(StreamGuardTest, APieceThatCannotBeParsedRelaysNothingButTheError) {
  const auto block = guard->process(
      contentChunk("before the break, longer than the window held back: " + std::string(200, 'b')) +
          "data: " + std::string(9 * 1024 * 1024, 'x'),
      out);
  ASSERT_TRUE(block);
  EXPECT_EQ(block->detector, "STREAM");
  EXPECT_EQ(out.find("before the break"), std::string::npos);
  EXPECT_NE(out.find("could not be checked by the guardrails"), std::string::npos);
  EXPECT_TRUE(guard->process(contentChunk("after"), out));  // Blocked for good.
  EXPECT_EQ(out.find("after"), std::string::npos);
}

}  // namespace
}  // namespace gatehouse::gateway
