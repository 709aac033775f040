#include <gatehouse/http/types.h>

#include <gatehouse/common/secret.h>

#include "request_impl.h"

namespace gatehouse::http {

void wipeHeaderValues(std::vector<Header>& headers) {
  for (auto& header : headers) {
    secureWipe(header.value.data(), header.value.size());
  }
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z')
      x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z')
      y = static_cast<char>(y - 'A' + 'a');
    if (x != y) {
      return false;
    }
  }
  return true;
}

std::string_view Request::method() const {
  return impl_.message.method_string();
}

std::string_view Request::target() const {
  return impl_.message.target();
}

std::string_view Request::path() const {
  const std::string_view target = impl_.message.target();
  return target.substr(0, target.find('?'));
}

std::string_view Request::header(std::string_view name) const {
  const auto it = impl_.message.find(name);
  if (it == impl_.message.end()) {
    return {};
  }
  return std::string_view(it->value());
}

std::string_view Request::body() const {
  return impl_.message.body();
}

std::string_view Request::remoteAddress() const {
  return impl_.remote_address;
}

std::string_view Request::requestId() const {
  return impl_.request_id;
}

}  // namespace gatehouse::http
