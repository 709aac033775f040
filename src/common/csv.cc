#include <gatehouse/common/csv.h>

namespace gatehouse {

void appendCsvField(std::string& out, std::string_view value) {
  const bool escape =
      !value.empty() && std::string_view("=+-@'\t\r").find(value[0]) != std::string_view::npos;
  const bool quote = escape || value.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!quote) {
    out += value;
    return;
  }
  out += '"';
  if (escape) {
    out += '\'';
  }
  for (char c : value) {
    if (c == '"') {
      out += '"';
    }
    out += c;
  }
  out += '"';
}

}  // namespace gatehouse
