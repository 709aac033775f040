// Egress checks for tenant-supplied upstream URLs: resolve once, classify every address, and
// hand back the checked addresses so the client connects to them and nothing else.

#include <gatehouse/http/egress.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>

namespace gatehouse::http {
namespace {

using Bytes = std::array<std::uint8_t, 16>;

/// A canonical numeric address: IPv4 in the first 4 bytes, or IPv6 in all 16.
struct NumericAddress {
  bool v6 = false;
  Bytes bytes{};
};

/// Only the canonical forms inet_pton accepts: a dotted quad without leading zeros, or an
/// IPv6 address without a zone id. "127.1", "0x7f.0.0.1" and "2130706433" are not addresses
/// here, which is what lets check() refuse them instead of guessing how a resolver reads them.
std::optional<NumericAddress> parseNumeric(std::string_view text) {
  const std::string copy(text);
  NumericAddress address;
  if (inet_pton(AF_INET, copy.c_str(), address.bytes.data()) == 1) {
    return address;
  }
  if (inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) == 1) {
    address.v6 = true;
    return address;
  }
  return std::nullopt;
}

std::string formatNumeric(const NumericAddress& address) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(address.v6 ? AF_INET6 : AF_INET, address.bytes.data(), text, sizeof text);
  return text;
}

/// True when the first `prefix` bits of `bytes` equal those of `network`.
bool prefixMatches(const std::uint8_t* bytes, const std::uint8_t* network, int prefix) {
  const int whole = prefix / 8;
  if (std::memcmp(bytes, network, static_cast<std::size_t>(whole)) != 0) {
    return false;
  }
  const int rest = prefix % 8;
  if (rest == 0) {
    return true;
  }
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (bytes[whole] & mask) == (network[whole] & mask);
}

AddressClass classifyV4(const std::uint8_t* b) {
  const std::uint32_t a = (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
                          (std::uint32_t{b[2]} << 8) | std::uint32_t{b[3]};
  const auto in = [a](std::uint32_t network, int prefix) {
    const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
    return (a & mask) == network;
  };
  // Instance-metadata services first: some sit inside ranges that are otherwise merely
  // private or even public, and they are the prize of most SSRF attacks.
  constexpr std::uint32_t kMetadataV4[] = {
      0xa9fea9fe,  // 169.254.169.254: AWS, GCP, Azure, OCI, DigitalOcean, OpenStack
      0xa9feaa02,  // 169.254.170.2: AWS ECS task metadata and credentials
      0xa9feaa17,  // 169.254.170.23: AWS EKS Pod Identity agent
      0x646464c8,  // 100.100.100.200: Alibaba Cloud
      0xa83f8110,  // 168.63.129.16: Azure WireServer
  };
  if (std::find(std::begin(kMetadataV4), std::end(kMetadataV4), a) != std::end(kMetadataV4)) {
    return AddressClass::kMetadata;
  }
  if (in(0x00000000, 8)) {
    return AddressClass::kUnspecified;  // 0.0.0.0/8 "this network"
  }
  if (in(0x0a000000, 8) || in(0x64400000, 10) || in(0xac100000, 12) || in(0xc0a80000, 16)) {
    return AddressClass::kPrivate;  // 10/8, 100.64/10 (CGNAT), 172.16/12, 192.168/16
  }
  if (in(0x7f000000, 8)) {
    return AddressClass::kLoopback;
  }
  if (in(0xa9fe0000, 16)) {
    return AddressClass::kLinkLocal;
  }
  if (in(0xe0000000, 4)) {
    return AddressClass::kMulticast;
  }
  if (in(0xc0000000, 24) ||  // 192.0.0.0/24 IETF protocol assignments
      in(0xc0000200, 24) ||  // 192.0.2.0/24 TEST-NET-1
      in(0xc0586300, 24) ||  // 192.88.99.0/24 6to4 relay anycast (deprecated)
      in(0xc6120000, 15) ||  // 198.18.0.0/15 benchmarking
      in(0xc6336400, 24) ||  // 198.51.100.0/24 TEST-NET-2
      in(0xcb007100, 24) ||  // 203.0.113.0/24 TEST-NET-3
      in(0xf0000000, 4)) {   // 240.0.0.0/4 future use, including 255.255.255.255
    return AddressClass::kReserved;
  }
  return AddressClass::kPublic;
}

AddressClass classifyV6(const Bytes& b) {
  const auto in = [&b](std::initializer_list<std::uint8_t> network, int prefix) {
    Bytes full{};
    std::copy(network.begin(), network.end(), full.begin());
    return prefixMatches(b.data(), full.data(), prefix);
  };
  const auto zeroUpTo = [&b](std::size_t end) {
    return std::all_of(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(end),
                       [](std::uint8_t byte) { return byte == 0; });
  };
  if (zeroUpTo(16)) {
    return AddressClass::kUnspecified;
  }
  if (zeroUpTo(15) && b[15] == 1) {
    return AddressClass::kLoopback;
  }
  // Addresses that carry an IPv4 address are as dangerous as that address: the kernel
  // (IPv4-mapped), a NAT64 gateway or a 6to4 relay delivers them to it.
  if (zeroUpTo(10) && b[10] == 0xff && b[11] == 0xff) {
    return classifyV4(b.data() + 12);  // ::ffff:0:0/96 IPv4-mapped
  }
  if (in({0x00, 0x64, 0xff, 0x9b}, 96)) {
    return classifyV4(b.data() + 12);  // 64:ff9b::/96 NAT64 well-known prefix
  }
  if (in({0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48)) {
    return AddressClass::kPrivate;  // 64:ff9b:1::/48 local-use NAT64
  }
  if (in({0x20, 0x02}, 16)) {
    return classifyV4(b.data() + 2);  // 2002::/16 6to4
  }
  // fd00:ec2::254 AWS IMDS, fd00:ec2::23 AWS EKS Pod Identity agent.
  constexpr Bytes kImds = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54};
  constexpr Bytes kPodIdentity = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x23};
  if (b == kImds || b == kPodIdentity) {
    return AddressClass::kMetadata;
  }
  if (in({0xfc}, 7) || in({0xfe, 0xc0}, 10)) {
    return AddressClass::kPrivate;  // fc00::/7 unique local, fec0::/10 site-local (deprecated)
  }
  if (in({0xfe, 0x80}, 10)) {
    return AddressClass::kLinkLocal;
  }
  if (in({0xff}, 8)) {
    return AddressClass::kMulticast;
  }
  if (in({0x00}, 8) ||                           // ::/8, IPv4-compatible
      in({0x01, 0x00, 0, 0, 0, 0, 0, 0}, 64) ||  // 100::/64 discard-only
      in({0x20, 0x01, 0x00, 0x00}, 23) ||        // 2001::/23 IETF (Teredo...)
      in({0x20, 0x01, 0x0d, 0xb8}, 32) ||        // 2001:db8::/32 documentation
      in({0x3f, 0xff}, 20) || !in({0x20}, 3)) {  // 3fff::/20 docs; not 2000::/3
    return AddressClass::kReserved;
  }
  return AddressClass::kPublic;
}

AddressClass classifyParsed(const NumericAddress& address) {
  return address.v6 ? classifyV6(address.bytes) : classifyV4(address.bytes.data());
}

std::string toLower(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return lower;
}

/// Lower case, without IPv6 brackets or the root's trailing dot, so "Metadata.Google.Internal."
/// and "[::1]" compare as what they name.
std::string normalizeHost(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.size() > 1 && host.back() == '.') {
    host.remove_suffix(1);
  }
  return toLower(host);
}

struct AddrinfoDeleter {
  void operator()(addrinfo* info) const { freeaddrinfo(info); }
};
using AddrinfoPtr = std::unique_ptr<addrinfo, AddrinfoDeleter>;

AddrinfoPtr lookup(const std::string& host, int flags) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = flags;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0) {
    return nullptr;
  }
  return AddrinfoPtr(found);
}

Error refused(std::string message) {
  return makeError(ErrorCode::kInvalidRequest, std::move(message));
}

}  // namespace

std::string_view addressClassName(AddressClass address_class) {
  switch (address_class) {
    case AddressClass::kPublic:
      return "public";
    case AddressClass::kLoopback:
      return "loopback";
    case AddressClass::kPrivate:
      return "private";
    case AddressClass::kLinkLocal:
      return "link-local";
    case AddressClass::kMetadata:
      return "cloud-metadata";
    case AddressClass::kUnspecified:
      return "unspecified";
    case AddressClass::kMulticast:
      return "multicast";
    case AddressClass::kReserved:
      return "reserved";
  }
  return "reserved";
}

AddressClass classifyAddress(std::string_view numeric_address) {
  const auto parsed = parseNumeric(numeric_address);
  return parsed ? classifyParsed(*parsed) : AddressClass::kReserved;
}

EgressGuard::EgressGuard(EgressPolicy policy) : policy_(std::move(policy)) {
  for (const std::string& entry : policy_.allow_cidrs) {
    const auto bad = [&entry](std::string_view why) {
      return std::invalid_argument("egress allow_cidrs entry '" + entry + "' " + std::string(why));
    };
    const std::string_view text(entry);
    const auto slash = text.find('/');
    const auto parsed = parseNumeric(text.substr(0, slash));
    if (!parsed) {
      throw bad("is not a canonical IPv4 or IPv6 address with an optional /prefix");
    }
    Cidr cidr;
    cidr.v6 = parsed->v6;
    cidr.bytes = parsed->bytes;
    const int max_prefix = cidr.v6 ? 128 : 32;
    cidr.prefix = max_prefix;
    if (slash != std::string_view::npos) {
      const std::string_view digits = text.substr(slash + 1);
      const auto [end, ec] =
          std::from_chars(digits.data(), digits.data() + digits.size(), cidr.prefix);
      if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
          cidr.prefix < 0 || cidr.prefix > max_prefix) {
        throw bad("has an invalid prefix length");
      }
    }
    // "10.1.2.3/8" is almost always a typo for a host or for "10.0.0.0/8": say so instead of
    // silently allowing a whole range.
    Bytes network{};
    for (int bit = 0; bit < cidr.prefix; ++bit) {
      network[bit / 8] |= cidr.bytes[bit / 8] & (0x80 >> (bit % 8));
    }
    if (network != cidr.bytes) {
      throw bad("has bits set beyond its prefix length");
    }
    allow_.push_back(cidr);
  }
  for (std::string& host : policy_.allow_http_hosts) {
    host = normalizeHost(host);
  }
}

bool EgressGuard::allowed(bool v6, const Bytes& bytes, AddressClass address_class) const {
  if (address_class == AddressClass::kPublic) {
    return true;
  }
  // An IPv4-mapped address reaches the IPv4 address it carries, so IPv4 entries apply to it.
  const bool mapped =
      v6 &&
      std::all_of(bytes.begin(), bytes.begin() + 10, [](std::uint8_t byte) { return byte == 0; }) &&
      bytes[10] == 0xff && bytes[11] == 0xff;
  for (const Cidr& cidr : allow_) {
    const bool host_route = cidr.prefix == (cidr.v6 ? 128 : 32);
    if (address_class == AddressClass::kMetadata && !host_route) {
      continue;  // Metadata services only by name, never as part of a wider range.
    }
    if (cidr.v6 == v6 && prefixMatches(bytes.data(), cidr.bytes.data(), cidr.prefix)) {
      return true;
    }
    if (mapped && !cidr.v6 && prefixMatches(bytes.data() + 12, cidr.bytes.data(), cidr.prefix)) {
      return true;
    }
  }
  return false;
}

Result<Endpoint> EgressGuard::check(const Endpoint& endpoint) const {
  const std::string host = normalizeHost(endpoint.host);
  if (host.empty()) {
    return refused("base URL has no host");
  }
  if (host == "metadata.google.internal" || host == "metadata.goog") {
    return refused("base URL names a cloud-metadata service, which this gateway does not allow");
  }
  if (!endpoint.tls && std::find(policy_.allow_http_hosts.begin(), policy_.allow_http_hosts.end(),
                                 host) == policy_.allow_http_hosts.end()) {
    return refused("only https base URLs are allowed");
  }

  std::vector<NumericAddress> addresses;
  if (auto numeric = parseNumeric(host)) {
    addresses.push_back(*numeric);
  } else if (lookup(host, AI_NUMERICHOST)) {
    // inet_aton-style spellings ("127.1", "0x7f.0.0.1", "2130706433") and zone ids: the
    // resolver reads them as addresses, and each resolver reads them its own way.
    return refused(
        "base URL host is a numeric address in a non-canonical form; write it as a "
        "dotted quad or a bracketed IPv6 address");
  } else {
    const AddrinfoPtr found = lookup(host, 0);
    if (!found) {
      return refused("cannot resolve the base URL host");
    }
    for (const addrinfo* info = found.get(); info != nullptr; info = info->ai_next) {
      NumericAddress address;
      if (info->ai_family == AF_INET) {
        const auto* in4 = reinterpret_cast<const sockaddr_in*>(info->ai_addr);
        std::memcpy(address.bytes.data(), &in4->sin_addr, 4);
      } else if (info->ai_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(info->ai_addr);
        address.v6 = true;
        std::memcpy(address.bytes.data(), &in6->sin6_addr, 16);
      } else {
        continue;
      }
      const bool seen = std::any_of(addresses.begin(), addresses.end(), [&](const auto& other) {
        return other.v6 == address.v6 && other.bytes == address.bytes;
      });
      if (!seen) {
        addresses.push_back(address);
      }
    }
  }
  if (addresses.empty()) {
    return refused("the base URL host has no usable address");
  }

  Endpoint checked = endpoint;
  checked.pinned_addresses.clear();
  // Every address must pass: the client may connect to any of them, and a name that mixes a
  // public and a private address is the classic rebinding setup.
  for (const NumericAddress& address : addresses) {
    const AddressClass address_class = classifyParsed(address);
    if (!allowed(address.v6, address.bytes, address_class)) {
      const std::string_view name = addressClassName(address_class);
      const char* article = address_class == AddressClass::kUnspecified ? "an " : "a ";
      return refused(std::string("base URL resolves to ") + article + std::string(name) +
                     " address (" + formatNumeric(address) +
                     "), which this gateway does not allow");
    }
    checked.pinned_addresses.push_back(formatNumeric(address));
  }
  return checked;
}

}  // namespace gatehouse::http
