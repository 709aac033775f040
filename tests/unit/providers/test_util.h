#pragma once

// Helpers for the provider tests: JSON literals, and SSE bytes decoded into comparable events.
#include <gatehouse/providers/sse.h>
#include <gatehouse/providers/translate.h>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::providers::testing {

/// Parses a JSON literal written in a test; a typo fails the test instead of throwing.
inline boost::json::value J(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec) {
    ADD_FAILURE() << "test JSON does not parse: " << text;
  }
  return v;
}

inline boost::json::object O(std::string_view text) {
  boost::json::value v = J(text);
  if (!v.is_object()) {
    ADD_FAILURE() << "test JSON is not an object: " << text;
    return {};
  }
  return v.get_object();
}

/// One SSE event with its data parsed as JSON (or kept as a string when it is not JSON, as
/// with "[DONE]"), so tests compare meaning rather than key order or spacing.
struct Event {
  std::string event;
  boost::json::value data;

  bool operator==(const Event& other) const { return event == other.event && data == other.data; }
};

inline void PrintTo(const Event& e, std::ostream* os) {
  *os << "{event: \"" << e.event << "\", data: " << boost::json::serialize(e.data) << "}";
}

inline Event E(std::string_view event, std::string_view json) {
  return {std::string(event), J(json)};
}

/// A data-only event, as OpenAI sends them.
inline Event D(std::string_view json) {
  return E("", json);
}

inline Event Done() {
  return {"", boost::json::string("[DONE]")};
}

/// Decodes SSE bytes (which must end on an event boundary) into events.
inline std::vector<Event> decode(std::string_view bytes) {
  SseParser parser(1 << 20);
  std::vector<OwnedSseEvent> raw;
  EXPECT_TRUE(parser.feed(bytes, raw));
  std::vector<Event> events;
  for (OwnedSseEvent& e : raw) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(e.data, ec);
    if (ec) {
      v = boost::json::string(e.data);
    }
    events.push_back({e.event, std::move(v)});
  }
  return events;
}

/// Upstream SSE bytes through a translator, event by event; stops at the first error.
struct Run {
  std::string bytes;    ///< What the caller receives.
  bool failed = false;  ///< An onEvent returned an Error.
  Error error;          ///< That Error.
};

inline Run runStream(StreamTranslator& translator, std::string_view upstream, bool finish = true) {
  SseParser parser(1 << 20);
  Run run;
  // As the relay does: events lent by feedEach(), with their wire bytes.
  EXPECT_TRUE(parser.feedEach(upstream, [&](const SseEvent& event) {
    if (run.failed) {
      return;
    }
    Result<void> ok = translator.onEvent(event, run.bytes);
    if (!ok) {
      run.failed = true;
      run.error = ok.error();
    }
  }));
  if (run.failed) {
    return run;
  }
  if (finish) {
    translator.finish(run.bytes);
  }
  return run;
}

}  // namespace gatehouse::providers::testing
