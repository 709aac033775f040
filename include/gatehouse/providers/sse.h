#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace gatehouse::providers {

/// One server-sent event (https://html.spec.whatwg.org/multipage/server-sent-events.html).
struct SseEvent {
  std::string event;  ///< The `event:` field; empty when the stream did not name one.
  std::string data;   ///< `data:` lines joined with '\n'.
};

/// Incremental SSE parser: bytes go in as they arrive (any split, CRLF/LF/CR line ends), whole
/// events come out. Comments (":" lines) and unknown fields are ignored, as the spec says.
/// An event (its pending line, `event:` and `data:` bytes together) larger than
/// `max_event_bytes` makes feed() fail so a hostile upstream cannot grow memory without bound.
/// A stream that ends mid-event drops that event, as the spec says. Not thread-safe.
class SseParser {
 public:
  explicit SseParser(std::size_t max_event_bytes) : max_event_bytes_(max_event_bytes) {}

  /// Appends each completed event to `out`. Returns false when an event exceeds the limit;
  /// the parser must not be used after that.
  bool feed(std::string_view bytes, std::vector<SseEvent>& out);

  /// Calls `on_event(const SseEvent&)` with each event as it completes. The event is the
  /// parser's own, overwritten by the next one, so a stream's events cost no allocation each.
  /// Returns what feed() returns.
  template <class OnEvent>
  bool feedEach(std::string_view bytes, OnEvent&& on_event) {
    return feedTo(bytes,
                  EventSink{&on_event, [](void* context, const SseEvent& event) {
                              (*static_cast<std::remove_reference_t<OnEvent>*>(context))(event);
                            }});
  }

 private:
  struct EventSink {
    void* context;
    void (*deliver)(void* context, const SseEvent& event);
  };

  bool feedTo(std::string_view bytes, EventSink sink);
  void processLine(std::string_view line, EventSink sink);

  std::size_t max_event_bytes_;
  std::string line_;
  SseEvent pending_;
  bool has_data_ = false;
  bool last_was_cr_ = false;
  bool started_ = false;  ///< A first line was seen (a leading U+FEFF BOM is dropped).
  bool failed_ = false;   ///< The limit was exceeded; every later feed() fails.
};

/// Serialises one event in the wire format: optional "event: X\n", then "data: Y\n", "\n".
void appendSseEvent(std::string& out, std::string_view event, std::string_view data);

}  // namespace gatehouse::providers
