#pragma once

#include <string_view>

namespace gatehouse::providers {

/// What relaying an OpenAI stream chunk unchanged needs to know, found by validating the
/// chunk with Boost.JSON's SAX parser instead of building a DOM (a DOM per chunk was most of
/// a streamed request's cost).
struct ChunkScan {
  bool is_object = false;  ///< Valid JSON whose top level is an object.
  /// A top-level "error", "x_groq", or "usage" holding an object: the chunk reports usage or
  /// an error, so the caller inspects its DOM. Chunks without these are relayed as they are.
  bool needs_inspection = false;
};

ChunkScan scanOpenAIChunk(std::string_view text);

}  // namespace gatehouse::providers
