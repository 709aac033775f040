#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gatehouse::providers {

/// The two wire formats Gatehouse speaks, on either side: callers use one (the endpoint they
/// call decides), upstreams use one (the provider type decides).
enum class Dialect {
  kOpenAI,     ///< Chat Completions / Embeddings (OpenAI, Cerebras, Groq, vLLM, Ollama, ...).
  kAnthropic,  ///< Messages API.
};

std::string_view dialectName(Dialect dialect);

/// Token counts as the upstream reported them.
struct TokenUsage {
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  bool reported = false;  ///< False when the upstream sent no usage at all.
};

/// An error body in the caller's dialect.
/// OpenAI: {"error":{"message":..,"type":..,"param":null,"code":..}}
/// Anthropic: {"type":"error","error":{"type":..,"message":..}}
/// `status` picks the type names each dialect uses for that HTTP status.
std::string errorBody(Dialect dialect, int status, std::string_view message);

/// The error body for a failure that reached the caller after an SSE stream began.
/// OpenAI: "data: {\"error\":{...}}\n\n"; Anthropic: "event: error\ndata: {...}\n\n".
std::string streamErrorEvent(Dialect dialect, int status, std::string_view message);

/// Pulls a human-readable message out of an upstream error body of either dialect; falls back
/// to a generic text for the status when the body is not a recognised error object. The result
/// is safe to relay: it is the provider's own message, truncated to a bounded length.
std::string upstreamErrorMessage(std::string_view body, int status);

}  // namespace gatehouse::providers
