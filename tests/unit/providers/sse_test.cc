#include <gatehouse/providers/sse.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gatehouse::providers {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

MATCHER_P2(IsEvent, name, data, "") {
  return arg.event == name && arg.data == data;
}

std::vector<OwnedSseEvent> parseWhole(std::string_view bytes, std::size_t limit = 1 << 20) {
  SseParser parser(limit);
  std::vector<OwnedSseEvent> out;
  EXPECT_TRUE(parser.feed(bytes, out));
  return out;
}

// What feedEach() lends, fed `pieces` in turn: the events, and each relayed as it came.
struct Relayed {
  std::vector<OwnedSseEvent> events;
  std::vector<std::string> wires;
  std::string out;  // relaySseEvent() of each event
};
Relayed relayPieces(const std::vector<std::string_view>& pieces) {
  SseParser parser(1 << 20);
  Relayed relayed;
  for (std::string_view piece : pieces) {
    EXPECT_TRUE(parser.feedEach(piece, [&](const SseEvent& event) {
      relayed.events.push_back(OwnedSseEvent::copyOf(event));
      relayed.wires.emplace_back(event.wire);
      relaySseEvent(relayed.out, event);
    }));
  }
  return relayed;
}

std::string written(const std::vector<OwnedSseEvent>& events) {
  std::string out;
  for (const OwnedSseEvent& event : events) {
    appendSseEvent(out, event.event, event.data);
  }
  return out;
}

// Every way of cutting `bytes` in two gives the events of one whole feed, and relaying them as
// they came reads exactly as writing them afresh.
void expectSplitInvariant(std::string_view bytes) {
  const std::vector<OwnedSseEvent> whole = parseWhole(bytes);
  const std::string expected = written(whole);
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    EXPECT_EQ(relayPieces({bytes.substr(0, cut), bytes.substr(cut)}).out, expected)
        << "cut at " << cut;
  }
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    SseParser parser(1 << 20);
    std::vector<OwnedSseEvent> out;
    ASSERT_TRUE(parser.feed(bytes.substr(0, cut), out));
    ASSERT_TRUE(parser.feed(bytes.substr(cut), out));
    ASSERT_EQ(out.size(), whole.size()) << "cut at " << cut;
    for (std::size_t i = 0; i < out.size(); ++i) {
      EXPECT_EQ(out[i].event, whole[i].event) << "cut at " << cut;
      EXPECT_EQ(out[i].data, whole[i].data) << "cut at " << cut;
    }
  }
  // And one byte at a time.
  SseParser parser(1 << 20);
  std::vector<OwnedSseEvent> out;
  for (char c : bytes) {
    ASSERT_TRUE(parser.feed(std::string_view(&c, 1), out));
  }
  ASSERT_EQ(out.size(), whole.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].event, whole[i].event);
    EXPECT_EQ(out[i].data, whole[i].data);
  }
}

TEST(SseParserTest, DataOnlyEventsAsOpenAISendsThem) {
  EXPECT_THAT(parseWhole("data: {\"a\":1}\n\ndata: [DONE]\n\n"),
              ElementsAre(IsEvent("", "{\"a\":1}"), IsEvent("", "[DONE]")));
}

TEST(SseParserTest, NamedEventsAsAnthropicSendsThem) {
  EXPECT_THAT(parseWhole("event: message_stop\ndata: {\"type\": \"message_stop\"}\n\n"),
              ElementsAre(IsEvent("message_stop", "{\"type\": \"message_stop\"}")));
}

TEST(SseParserTest, SpecExampleJoinsDataLinesWithNewlines) {
  // https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
  EXPECT_THAT(parseWhole("data: YHOO\ndata: +2\ndata: 10\n\n"),
              ElementsAre(IsEvent("", "YHOO\n+2\n10")));
}

TEST(SseParserTest, SpecExampleEmptyDataAndUnterminatedEvent) {
  // "data" alone dispatches an empty string; two bare "data" lines give "\n"; the last event
  // has no blank line after it and is never dispatched.
  EXPECT_THAT(parseWhole("data\n\ndata\ndata\n\ndata:"),
              ElementsAre(IsEvent("", ""), IsEvent("", "\n")));
}

TEST(SseParserTest, SpecExampleOneLeadingSpaceIsStripped) {
  EXPECT_THAT(parseWhole("data:test\n\ndata: test\n\ndata:  two\n\n"),
              ElementsAre(IsEvent("", "test"), IsEvent("", "test"), IsEvent("", " two")));
}

TEST(SseParserTest, CommentsAndUnknownFieldsAreIgnored) {
  EXPECT_THAT(parseWhole(": keep-alive\n\nid: 7\nretry: 1000\nfoo: bar\ndata: x\n: mid\n\n"),
              ElementsAre(IsEvent("", "x")));
}

TEST(SseParserTest, BlankLinesWithoutDataDispatchNothingAndForgetTheEventName) {
  EXPECT_THAT(parseWhole("\n\n\nevent: ping\n\ndata: after\n\n"),
              ElementsAre(IsEvent("", "after")));
}

TEST(SseParserTest, EventNameDoesNotLeakIntoTheNextEvent) {
  EXPECT_THAT(parseWhole("event: a\ndata: 1\n\ndata: 2\n\n"),
              ElementsAre(IsEvent("a", "1"), IsEvent("", "2")));
}

TEST(SseParserTest, LastEventFieldWins) {
  EXPECT_THAT(parseWhole("event: a\nevent: b\ndata: 1\n\n"), ElementsAre(IsEvent("b", "1")));
}

TEST(SseParserTest, ValueKeepsLaterColons) {
  EXPECT_THAT(parseWhole("data: {\"a\": \"b:c\"}\n\n"),
              ElementsAre(IsEvent("", "{\"a\": \"b:c\"}")));
}

TEST(SseParserTest, CrLfAndCrLineEnds) {
  EXPECT_THAT(parseWhole("event: a\r\ndata: 1\r\n\r\ndata: 2\r\rdata: 3\n\r\n"),
              ElementsAre(IsEvent("a", "1"), IsEvent("", "2"), IsEvent("", "3")));
}

TEST(SseParserTest, CrAtTheEndOfOneFeedAndLfAtTheStartOfTheNextAreOneLineEnd) {
  SseParser parser(1024);
  std::vector<OwnedSseEvent> out;
  ASSERT_TRUE(parser.feed("data: 1\r", out));
  ASSERT_TRUE(parser.feed("\ndata: 2\r", out));
  EXPECT_THAT(out, IsEmpty());  // a CR LF split is not a blank line
  ASSERT_TRUE(parser.feed("\n\r\n", out));
  EXPECT_THAT(out, ElementsAre(IsEvent("", "1\n2")));
}

TEST(SseParserTest, LeadingByteOrderMarkIsDroppedOnlyAtTheStart) {
  EXPECT_THAT(parseWhole("\xEF\xBB\xBF"
                         "data: 1\n\n"),
              ElementsAre(IsEvent("", "1")));
  SseParser parser(1024);
  std::vector<OwnedSseEvent> out;
  ASSERT_TRUE(parser.feed("\xEF\xBB", out));
  ASSERT_TRUE(
      parser.feed("\xBF"
                  "data: 1\n\n\xEF\xBB\xBF"
                  "data: 2\n\n",
                  out));
  // A second BOM is part of a field name ("\uFEFFdata"), which is unknown: ignored.
  EXPECT_THAT(out, ElementsAre(IsEvent("", "1")));
}

TEST(SseParserTest, IncompleteEventIsHeldUntilItsBlankLine) {
  SseParser parser(1024);
  std::vector<OwnedSseEvent> out;
  ASSERT_TRUE(parser.feed("data: par", out));
  ASSERT_TRUE(parser.feed("tial\n", out));
  EXPECT_THAT(out, IsEmpty());
  ASSERT_TRUE(parser.feed("\n", out));
  EXPECT_THAT(out, ElementsAre(IsEvent("", "partial")));
}

TEST(SseParserTest, EverySplitOfARealAnthropicStreamGivesTheSameEvents) {
  expectSplitInvariant(
      "event: message_start\r\n"
      "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"content\":[]}}\r\n\r\n"
      "event: ping\ndata: {\"type\": \"ping\"}\n\n"
      ": comment\r"
      "event: content_block_delta\r"
      "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
      "\"text\":\"Hi\"}}\r\r"
      "data: line1\ndata:line2\n\n"
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
}

TEST(SseParserTest, EverySplitOfARealOpenAIStreamGivesTheSameEvents) {
  expectSplitInvariant(
      "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,"
      "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
      "\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n"
      "data: "
      "{\"id\":\"chatcmpl-123\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"}}]}"
      "\n\n"
      "data: [DONE]\n\n");
}

TEST(SseParserTest, EventOverTheLimitFailsAndTheParserStaysFailed) {
  SseParser parser(16);
  std::vector<OwnedSseEvent> out;
  EXPECT_TRUE(parser.feed("data: 0123456789\n\n", out));  // 16 bytes of line: at the limit
  EXPECT_THAT(out, ElementsAre(IsEvent("", "0123456789")));
  EXPECT_FALSE(parser.feed("data: 0123456789A\n\n", out));  // 17
  EXPECT_FALSE(parser.feed("data: x\n\n", out));
  EXPECT_EQ(out.size(), 1u);
}

TEST(SseParserTest, UnterminatedLineOverTheLimitFailsBeforeItEnds) {
  SseParser parser(64);
  std::vector<OwnedSseEvent> out;
  const std::string chunk(40, 'a');
  EXPECT_TRUE(parser.feed("data: " + chunk, out));
  EXPECT_FALSE(parser.feed(chunk, out));  // no newline yet: still bounded
}

TEST(SseParserTest, ManyDataLinesCountTowardsTheLimit) {
  SseParser parser(32);
  std::vector<OwnedSseEvent> out;
  EXPECT_FALSE(parser.feed("data: 0123456789\ndata: 0123456789\ndata: 0123456789\n", out));
}

TEST(SseParserTest, LongCommentLinesAreBoundedToo) {
  SseParser parser(32);
  std::vector<OwnedSseEvent> out;
  EXPECT_FALSE(parser.feed(":" + std::string(100, 'c'), out));
}

TEST(AppendSseEventTest, WireFormat) {
  std::string out;
  appendSseEvent(out, "message_stop", "{\"type\":\"message_stop\"}");
  appendSseEvent(out, "", "[DONE]");
  EXPECT_EQ(out,
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
            "data: [DONE]\n\n");
}

TEST(AppendSseEventTest, MultiLineDataBecomesSeveralDataLinesAndRoundTrips) {
  std::string out;
  appendSseEvent(out, "e", "a\nb\r\nc\rd");
  EXPECT_EQ(out, "event: e\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
  EXPECT_THAT(parseWhole(out), ElementsAre(IsEvent("e", "a\nb\nc\nd")));
}

TEST(AppendSseEventTest, EmptyDataStillMakesAnEvent) {
  std::string out;
  appendSseEvent(out, "", "");
  EXPECT_EQ(out, "data: \n\n");
  EXPECT_THAT(parseWhole(out), ElementsAre(IsEvent("", "")));
}

TEST(AppendSseEventTest, NewlineInAnEventNameCannotInjectFields) {
  std::string out;
  appendSseEvent(out, "a\ndata: injected", "x");
  EXPECT_THAT(parseWhole(out), ElementsAre(IsEvent("a", "x")));
}

TEST(SseParserTest, AnEventAsAppendSseEventWritesItComesWithItsBytes) {
  const std::string bytes =
      ": keep-alive\nid: 7\ndata: {\"a\":1}\n\nevent: e\ndata:  two spaces\n\ndata: \n\n";
  const Relayed relayed = relayPieces({bytes});
  EXPECT_THAT(relayed.wires,
              ElementsAre("data: {\"a\":1}\n\n", "event: e\ndata:  two spaces\n\n", "data: \n\n"));
  EXPECT_EQ(relayed.out, written(relayed.events));
}

TEST(SseParserTest, AnEventWrittenAnyOtherWayIsWrittenAfresh) {
  for (std::string_view bytes : {
           "data:x\n\n",                       // no space after the colon
           "data: x\r\n\r\n",                  // CRLF
           "data: x\r\r",                      // CR
           "data: a\ndata: b\n\n",             // two data lines
           "data: x\n: comment\n\n",           // a comment inside the event
           "data: x\nid: 1\n\n",               // a field we drop inside the event
           "data: x\nevent: e\n\n",            // the name after the data
           "event: a\nevent: b\ndata: x\n\n",  // two names
           "event:e\ndata: x\n\n",             // a name without the space
       }) {
    const Relayed relayed = relayPieces({bytes});
    ASSERT_EQ(relayed.events.size(), 1u) << bytes;
    EXPECT_THAT(relayed.wires, ElementsAre("")) << bytes;
    EXPECT_EQ(relayed.out, written(relayed.events)) << bytes;
  }
}

TEST(SseParserTest, AnEventCutAcrossFeedsIsCopiedAndWrittenAfresh) {
  const Relayed relayed = relayPieces({"event: e\ndata: fi", "rst\n", "\ndata: second\n\n"});
  EXPECT_THAT(relayed.events, ElementsAre(IsEvent("e", "first"), IsEvent("", "second")));
  EXPECT_THAT(relayed.wires, ElementsAre("", "data: second\n\n"));
  EXPECT_EQ(relayed.out, "event: e\ndata: first\n\ndata: second\n\n");
}

TEST(SseParserTest, FieldsSeenBeforeAFeedEndsOutliveItsBytes) {
  SseParser parser(1 << 20);
  std::vector<OwnedSseEvent> out;
  {
    std::string first = "event: named\ndata: held\n";
    ASSERT_TRUE(parser.feed(first, out));
    first.assign(first.size(), 'X');  // The caller's bytes are gone.
  }
  ASSERT_TRUE(parser.feed("\n", out));
  EXPECT_THAT(out, ElementsAre(IsEvent("named", "held")));
}

// feedEach() lends each event its own storage, reused by the next: nothing of a longer or
// named event may show through in a shorter, unnamed one after it.
TEST(SseParserTest, FeedEachReusesNothingVisibleFromTheEventBefore) {
  SseParser parser(1 << 20);
  std::vector<OwnedSseEvent> seen;
  ASSERT_TRUE(parser.feedEach(
      "event: first\ndata: a longer payload\ndata: on two lines\n\n"
      "data: x\n\n: comment\nevent: third\ndata: y\n\n",
      [&seen](const SseEvent& event) { seen.push_back(OwnedSseEvent::copyOf(event)); }));
  EXPECT_THAT(seen, ElementsAre(IsEvent("first", "a longer payload\non two lines"),
                                IsEvent("", "x"), IsEvent("third", "y")));
}

}  // namespace

}  // namespace gatehouse::providers
