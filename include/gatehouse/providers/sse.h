#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace gatehouse::providers {

/// One server-sent event (https://html.spec.whatwg.org/multipage/server-sent-events.html), as
/// SseParser::feedEach() lends it: the views last until the callback returns.
struct SseEvent {
  std::string_view event;  ///< The `event:` field; empty when the stream did not name one.
  std::string_view data;   ///< `data:` lines joined with '\n'.
  /// The event's bytes as they arrived, when they are exactly what appendSseEvent() writes for
  /// it (an optional "event: E\n", one "data: D\n", then "\n") and came in one feed; empty
  /// otherwise. Relaying such an event unchanged is then one copy (relaySseEvent()).
  std::string_view wire = {};
};

/// An event that owns its bytes, for SseParser::feed().
struct OwnedSseEvent {
  std::string event;
  std::string data;

  /// A copy of a lent event's fields, which outlives the bytes it was lent from.
  static OwnedSseEvent copyOf(const SseEvent& lent) {
    return {std::string(lent.event), std::string(lent.data)};
  }
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
  bool feed(std::string_view bytes, std::vector<OwnedSseEvent>& out);

  /// Calls `on_event(const SseEvent&)` with each event as it completes. The event views the
  /// fed bytes where it lies whole in them in the usual form ("data: D" lines ended by LF), and
  /// the parser's own buffers, overwritten by the next event, otherwise: a stream's events cost
  /// no copy or allocation each. Returns what feed() returns.
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

  /// Where the fields of the event being read are.
  enum class Held {
    kNothing,  ///< No field yet.
    kInBytes,  ///< Viewed in the bytes being fed, from `wire_begin_` on, as appendSseEvent()
               ///< would write them so far: an "event: " line and/or one "data: " line.
    kCopied,   ///< In `event_` and `data_`.
  };

  bool feedTo(std::string_view bytes, EventSink sink);
  /// `in_bytes`: the line is a view of the fed bytes, ended there by a lone LF.
  void processLine(std::string_view line, bool in_bytes, EventSink sink);
  void copyHeldFields();
  std::size_t heldBytes() const;

  std::size_t max_event_bytes_;
  std::string line_;
  std::string event_;
  std::string data_;
  Held held_ = Held::kNothing;
  std::string_view viewed_event_;
  std::string_view viewed_data_;
  const char* wire_begin_ = nullptr;
  bool has_data_ = false;
  bool last_was_cr_ = false;
  bool started_ = false;  ///< A first line was seen (a leading U+FEFF BOM is dropped).
  bool failed_ = false;   ///< The limit was exceeded; every later feed() fails.
};

/// Serialises one event in the wire format: optional "event: X\n", then "data: Y\n", "\n".
void appendSseEvent(std::string& out, std::string_view event, std::string_view data);

/// Appends `event` as appendSseEvent(out, event.event, event.data) would: by copying its wire
/// bytes when it has them.
void relaySseEvent(std::string& out, const SseEvent& event);

}  // namespace gatehouse::providers
