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

std::string_view findHeader(const std::vector<Header>& headers, std::string_view name) {
  for (const Header& header : headers) {
    if (equalsIgnoreCase(header.name, name)) {
      return header.value;
    }
  }
  return {};
}

bool isValidFieldValue(std::string_view value) {
  bool valid = true;
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    valid &= (byte >= 0x20 && byte != 0x7F) || byte == '\t';
  }
  return valid;
}

void RequestImpl::wipe() {
  wipeHeaderValues(headers);
  secureWipe(body.data(), body.size());
}

void RequestImpl::reset() {
  // Kept for the next request: the vector's room, short fields' strings, and the body's room
  // unless it grew large.
  constexpr std::size_t kKeptBodyCapacity = 64 * 1024;
  constexpr std::size_t kKeptFields = 64;
  constexpr std::size_t kKeptFieldBytes = 256;  // Of a kept field's name and value together.
  wipe();
  for (auto& header : headers) {
    if (spare_headers_.size() < kKeptFields &&
        header.name.capacity() + header.value.capacity() <= kKeptFieldBytes) {
      spare_headers_.push_back(std::move(header));
    }
  }
  headers.clear();
  if (body.capacity() > kKeptBodyCapacity) {
    std::string().swap(body);
  } else {
    body.clear();
  }
  method.clear();
  target.clear();
  version = 11;
  request_id.clear();
}

std::string_view Request::method() const {
  return impl_.method;
}

std::string_view Request::target() const {
  return impl_.target;
}

std::string_view Request::path() const {
  const std::string_view target = impl_.target;
  return target.substr(0, target.find('?'));
}

std::string_view Request::header(std::string_view name) const {
  return impl_.header(name);
}

std::string_view Request::body() const {
  return impl_.body;
}

std::string_view Request::remoteAddress() const {
  return impl_.remote_address;
}

std::string_view Request::requestId() const {
  return impl_.request_id;
}

}  // namespace gatehouse::http
