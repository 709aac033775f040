#pragma once

#include <string>
#include <string_view>

namespace gatehouse {

/// Appends `text` to `out` as the body of a JSON string (no surrounding quotes). Invalid UTF-8
/// bytes are replaced with U+FFFD so the output is always valid JSON.
void appendJsonEscaped(std::string& out, std::string_view text);

}  // namespace gatehouse
