#pragma once

// Egress policy for upstream base URLs that tenants supply (through the admin API): which
// addresses Gatehouse may connect to, checked once and then pinned so the connection goes to
// exactly the address that was checked (no DNS-rebinding window between check and connect).

#include <gatehouse/common/result.h>
#include <gatehouse/http/client.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::http {

/// The operator's exceptions to "public https only". Comes from the operator's config, never
/// from a tenant.
struct EgressPolicy {
  /// CIDRs ("10.0.0.0/8", "127.0.0.1/32", "fd00::/8") the operator allows despite being
  /// non-public. A bare address means a single host (/32 or /128). Cloud-metadata addresses
  /// are allowed only by an entry for exactly that address (a /32 or /128), never by a wider
  /// range that happens to contain one.
  std::vector<std::string> allow_cidrs;
  /// Hosts (exact, case-insensitive) that may use plain http (e.g. "127.0.0.1", "vllm.internal").
  std::vector<std::string> allow_http_hosts;
};

/// What kind of destination an address is. Everything but kPublic is refused unless the
/// policy allows it.
enum class AddressClass {
  kPublic,       ///< Globally routable unicast.
  kLoopback,     ///< 127.0.0.0/8, ::1.
  kPrivate,      ///< RFC 1918, CGNAT 100.64.0.0/10, fc00::/7, fec0::/10, 64:ff9b:1::/48.
  kLinkLocal,    ///< 169.254.0.0/16, fe80::/10.
  kMetadata,     ///< Cloud instance-metadata services (169.254.169.254, fd00:ec2::254, ...).
  kUnspecified,  ///< 0.0.0.0/8, :: (Linux connects 0.0.0.0 to the local host).
  kMulticast,    ///< 224.0.0.0/4, ff00::/8.
  kReserved,     ///< Documentation, benchmarking, future use, broadcast, and unparseable input.
};

/// A short lower-case name for messages and logs ("private", "loopback", ...).
std::string_view addressClassName(AddressClass address_class);

/// Classifies a canonical numeric address ("10.1.2.3", "::ffff:127.0.0.1"). IPv4-mapped,
/// NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses are classified by the IPv4 address
/// they embed. Anything inet_pton does not accept (names, "127.1", "0x7f.0.0.1", zone ids) is
/// kReserved.
AddressClass classifyAddress(std::string_view numeric_address);

/// Checks tenant-supplied endpoints against an EgressPolicy. Immutable after construction, so
/// one instance may be shared by every thread.
class EgressGuard {
 public:
  /// Parses and validates the policy's CIDRs once. Throws std::invalid_argument naming the
  /// first bad entry (start-up / configuration error).
  explicit EgressGuard(EgressPolicy policy);

  /// Resolves endpoint.host (getaddrinfo, both families) and refuses the endpoint if its
  /// scheme is http and the host is not in allow_http_hosts, if the host is a numeric address
  /// in a non-canonical form ("127.1", "2130706433"), if it is a known metadata host name, or
  /// if ANY resolved address is non-public and not inside an allowed CIDR. On success returns
  /// the endpoint with `pinned_addresses` set to the checked numeric addresses; connect with
  /// that endpoint so the name is not resolved again.
  ///
  /// Blocks for the DNS lookup: call it on the admin path or a blocking thread, not on a
  /// request worker. Pins go stale when the upstream's addresses change; re-check to refresh.
  /// Errors: kInvalidRequest with a message safe to show the tenant.
  Result<Endpoint> check(const Endpoint& endpoint) const;

 private:
  struct Cidr {
    bool v6 = false;
    std::array<std::uint8_t, 16> bytes{};  ///< Network address; the first 4 bytes for IPv4.
    int prefix = 0;
  };

  bool allowed(bool v6, const std::array<std::uint8_t, 16>& bytes,
               AddressClass address_class) const;

  EgressPolicy policy_;
  std::vector<Cidr> allow_;
};

}  // namespace gatehouse::http
