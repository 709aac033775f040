#include <gatehouse/providers/sse.h>

#include <cstring>
#include <utility>

namespace gatehouse::providers {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
// A chat stream's chunk: a few hundred bytes of JSON.
constexpr std::size_t kTypicalEventBytes = 1024;

// The first CR or LF at or after `from`: memchr for the LF, then memchr for a CR before it.
// Both are vectorised; a byte loop (or find_first_of, which calls memchr over the two-character
// set once per input byte) cost several instructions per streamed byte.
std::size_t findLineEnd(std::string_view text, std::size_t from) {
  if (from >= text.size()) {
    return std::string_view::npos;
  }
  const char* const begin = text.data() + from;
  const std::size_t size = text.size() - from;
  const auto* lf = static_cast<const char*>(std::memchr(begin, '\n', size));
  const std::size_t before_lf = lf == nullptr ? size : static_cast<std::size_t>(lf - begin);
  if (const auto* cr = static_cast<const char*>(std::memchr(begin, '\r', before_lf))) {
    return from + static_cast<std::size_t>(cr - begin);
  }
  return lf == nullptr ? std::string_view::npos : from + before_lf;
}

}  // namespace

bool SseParser::feed(std::string_view bytes, std::vector<OwnedSseEvent>& out) {
  return feedEach(bytes,
                  [&out](const SseEvent& event) { out.push_back(OwnedSseEvent::copyOf(event)); });
}

std::size_t SseParser::heldBytes() const {
  return held_ == Held::kInBytes ? viewed_event_.size() + viewed_data_.size()
                                 : event_.size() + data_.size();
}

void SseParser::copyHeldFields() {
  if (held_ != Held::kInBytes) {
    return;
  }
  event_.assign(viewed_event_);
  if (data_.capacity() < kTypicalEventBytes) {
    data_.reserve(kTypicalEventBytes);  // Once per parser, not once per doubling.
  }
  data_.assign(viewed_data_);
  held_ = Held::kCopied;
}

bool SseParser::feedTo(std::string_view bytes, EventSink sink) {
  if (failed_) {
    return false;
  }
  const auto over_limit = [this](std::size_t line_bytes) {
    return line_bytes + heldBytes() > max_event_bytes_;
  };
  std::size_t i = 0;
  while (i < bytes.size()) {
    if (last_was_cr_) {
      // A CR ended the previous line; an LF right after it belongs to the same line end.
      last_was_cr_ = false;
      if (bytes[i] == '\n') {
        ++i;
        continue;
      }
    }
    const std::size_t end = findLineEnd(bytes, i);
    if (end == std::string_view::npos) {
      if (over_limit(line_.size() + (bytes.size() - i))) {
        failed_ = true;
        return false;
      }
      line_.append(bytes.substr(i));
      break;
    }
    std::string_view line = bytes.substr(i, end - i);
    if (over_limit(line_.size() + line.size())) {
      failed_ = true;
      return false;
    }
    bool in_bytes = bytes[end] == '\n';
    if (!line_.empty()) {
      line_.append(line);
      line = line_;
      in_bytes = false;
    }
    if (!started_) {
      started_ = true;
      if (line.substr(0, kBom.size()) == kBom) {
        line.remove_prefix(kBom.size());
        in_bytes = false;
      }
    }
    processLine(line, in_bytes, sink);
    line_.clear();
    if (over_limit(0)) {
      failed_ = true;
      return false;
    }
    last_was_cr_ = bytes[end] == '\r';
    i = end + 1;
  }
  copyHeldFields();  // The bytes are the caller's only until this returns.
  return true;
}

void SseParser::processLine(std::string_view line, bool in_bytes, EventSink sink) {
  if (line.empty()) {
    // Dispatch. Without a data line there is no event, and the event name is forgotten.
    if (has_data_) {
      SseEvent event;
      if (held_ == Held::kInBytes) {
        event.event = viewed_event_;
        event.data = viewed_data_;
        if (in_bytes) {
          event.wire = std::string_view(wire_begin_, line.data() + 1 - wire_begin_);
        }
      } else {
        event.event = event_;
        event.data = data_;
      }
      sink.deliver(sink.context, event);
    }
    event_.clear();  // Their room is kept for the next event.
    data_.clear();
    viewed_event_ = {};
    viewed_data_ = {};
    held_ = Held::kNothing;
    has_data_ = false;
    return;
  }
  if (line.front() == ':') {
    copyHeldFields();  // The event's lines are no longer as appendSseEvent() writes them.
    return;            // comment
  }
  std::string_view field = line;
  std::string_view value;
  bool spaced = false;  // "field: value", the form appendSseEvent() writes.
  if (const std::size_t colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') {
      value.remove_prefix(1);
      spaced = true;
    }
  }
  const bool is_event = field == "event";
  const bool is_data = field == "data";
  // Still the form appendSseEvent() writes: "event: " only first, then one "data: " line.
  const bool as_written = in_bytes && spaced && (held_ != Held::kCopied) &&
                          ((is_event && held_ == Held::kNothing) || (is_data && !has_data_));
  if (as_written) {
    if (held_ == Held::kNothing) {
      wire_begin_ = line.data();
      held_ = Held::kInBytes;
    }
    (is_event ? viewed_event_ : viewed_data_) = value;
    has_data_ = has_data_ || is_data;
    return;
  }
  copyHeldFields();
  if (is_event) {
    event_.assign(value);
    held_ = Held::kCopied;
  } else if (is_data) {
    if (has_data_) {
      data_ += '\n';
    } else if (data_.capacity() < kTypicalEventBytes) {
      data_.reserve(kTypicalEventBytes);  // Once per parser, not once per doubling.
    }
    data_.append(value);
    has_data_ = true;
    held_ = Held::kCopied;
  }
  // "id" and "retry" steer browser reconnection, which a proxy does not do; others are unknown.
}

void appendSseEvent(std::string& out, std::string_view event, std::string_view data) {
  if (!event.empty()) {
    out += "event: ";
    out.append(event.substr(0, findLineEnd(event, 0)));
    out += '\n';
  }
  // Every line of the data gets its own data: field so a newline inside cannot end the event.
  std::size_t start = 0;
  while (true) {
    const std::size_t end = findLineEnd(data, start);
    out += "data: ";
    out.append(data.substr(start, end == std::string_view::npos ? end : end - start));
    out += '\n';
    if (end == std::string_view::npos) {
      break;
    }
    start = end + 1;
    if (data[end] == '\r' && start < data.size() && data[start] == '\n') {
      ++start;
    }
  }
  out += '\n';
}

void relaySseEvent(std::string& out, const SseEvent& event) {
  if (!event.wire.empty()) {
    out.append(event.wire);
  } else {
    appendSseEvent(out, event.event, event.data);
  }
}

}  // namespace gatehouse::providers
