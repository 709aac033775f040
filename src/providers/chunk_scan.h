#pragma once

#include <cstdint>
#include <string_view>

namespace gatehouse::providers {

/// What relaying an OpenAI stream chunk unchanged needs to know, found by validating the
/// chunk with Boost.JSON's SAX parser instead of building a DOM (a DOM per chunk was most of
/// a streamed request's cost).
struct ChunkScan {
  bool is_object = false;  ///< Valid JSON whose top level is an object.
  /// A top-level "error" or "x_groq": the chunk reports an error, or usage where Groq puts it,
  /// so the caller inspects its DOM. Other chunks are relayed as they are.
  bool needs_inspection = false;
  /// The top-level "usage" holds an object, whose counts are read with the DOM's rules (the
  /// last of duplicate keys wins; a count that is not a non-negative integer is 0).
  bool has_usage = false;
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  /// The top-level "choices" is an empty array: with has_usage, the usage-only chunk.
  bool choices_empty = false;
};

ChunkScan scanOpenAIChunk(std::string_view text);

}  // namespace gatehouse::providers
