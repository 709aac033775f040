#pragma once

#include <string>
#include <string_view>

namespace gatehouse {

/// Appends one CSV field (RFC 4180 quoting when needed). A field a spreadsheet would evaluate
/// as a formula (leading = + - @, tab or CR) gets one ' prepended inside quotes, and so does a
/// field already starting with ', so stripping one leading ' always gives the value back.
void appendCsvField(std::string& out, std::string_view value);

}  // namespace gatehouse
