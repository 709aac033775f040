#include <gatehouse/http/egress.h>

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace gatehouse::http {
namespace {

struct Case {
  const char* address;
  AddressClass expected;
};

TEST(ClassifyAddress, Table) {
  const std::vector<Case> cases = {
      // IPv4 public, including the edges of the ranges around them.
      {"8.8.8.8", AddressClass::kPublic},
      {"1.1.1.1", AddressClass::kPublic},
      {"1.0.0.0", AddressClass::kPublic},
      {"9.255.255.255", AddressClass::kPublic},
      {"11.0.0.0", AddressClass::kPublic},
      {"100.63.255.255", AddressClass::kPublic},
      {"100.128.0.0", AddressClass::kPublic},
      {"126.255.255.255", AddressClass::kPublic},
      {"128.0.0.0", AddressClass::kPublic},
      {"169.253.255.255", AddressClass::kPublic},
      {"169.255.0.0", AddressClass::kPublic},
      {"172.15.255.255", AddressClass::kPublic},
      {"172.32.0.0", AddressClass::kPublic},
      {"192.0.1.0", AddressClass::kPublic},
      {"192.0.3.0", AddressClass::kPublic},
      {"192.167.255.255", AddressClass::kPublic},
      {"192.169.0.0", AddressClass::kPublic},
      {"198.17.255.255", AddressClass::kPublic},
      {"198.20.0.0", AddressClass::kPublic},
      {"203.0.112.255", AddressClass::kPublic},
      {"223.255.255.255", AddressClass::kPublic},
      // IPv4 non-public.
      {"0.0.0.0", AddressClass::kUnspecified},
      {"0.1.2.3", AddressClass::kUnspecified},
      {"0.255.255.255", AddressClass::kUnspecified},
      {"10.0.0.0", AddressClass::kPrivate},
      {"10.1.2.3", AddressClass::kPrivate},
      {"10.255.255.255", AddressClass::kPrivate},
      {"100.64.0.0", AddressClass::kPrivate},
      {"100.127.255.255", AddressClass::kPrivate},
      {"127.0.0.1", AddressClass::kLoopback},
      {"127.0.0.0", AddressClass::kLoopback},
      {"127.255.255.255", AddressClass::kLoopback},
      {"169.254.0.0", AddressClass::kLinkLocal},
      {"169.254.169.253", AddressClass::kLinkLocal},
      {"169.254.255.255", AddressClass::kLinkLocal},
      {"169.254.169.254", AddressClass::kMetadata},
      {"169.254.170.2", AddressClass::kMetadata},
      {"100.100.100.200", AddressClass::kMetadata},
      {"168.63.129.16", AddressClass::kMetadata},
      {"172.16.0.0", AddressClass::kPrivate},
      {"172.31.255.255", AddressClass::kPrivate},
      {"192.0.0.0", AddressClass::kReserved},
      {"192.0.0.255", AddressClass::kReserved},
      {"192.0.2.1", AddressClass::kReserved},
      {"192.88.99.1", AddressClass::kReserved},
      {"192.168.0.0", AddressClass::kPrivate},
      {"192.168.255.255", AddressClass::kPrivate},
      {"198.18.0.0", AddressClass::kReserved},
      {"198.19.255.255", AddressClass::kReserved},
      {"198.51.100.7", AddressClass::kReserved},
      {"203.0.113.9", AddressClass::kReserved},
      {"224.0.0.1", AddressClass::kMulticast},
      {"239.255.255.255", AddressClass::kMulticast},
      {"240.0.0.0", AddressClass::kReserved},
      {"255.255.255.254", AddressClass::kReserved},
      {"255.255.255.255", AddressClass::kReserved},
      // IPv6.
      {"2001:4860:4860::8888", AddressClass::kPublic},
      {"2606:4700:4700::1111", AddressClass::kPublic},
      {"2a00:1450:4001:82a::200e", AddressClass::kPublic},
      {"::", AddressClass::kUnspecified},
      {"::1", AddressClass::kLoopback},
      {"::2", AddressClass::kReserved},
      {"::127.0.0.1", AddressClass::kReserved},  // IPv4-compatible (deprecated)
      {"fc00::1", AddressClass::kPrivate},
      {"fd12:3456:789a::1", AddressClass::kPrivate},
      {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AddressClass::kPrivate},
      {"fd00:ec2::254", AddressClass::kMetadata},
      {"fd00:ec2::23", AddressClass::kMetadata},
      {"fd00:ec2::253", AddressClass::kPrivate},
      {"fe80::1", AddressClass::kLinkLocal},
      {"febf:ffff::1", AddressClass::kLinkLocal},
      {"fec0::1", AddressClass::kPrivate},
      {"ff02::1", AddressClass::kMulticast},
      {"ff0e::1", AddressClass::kMulticast},
      {"2001:db8::1", AddressClass::kReserved},
      {"2001:db8:ffff::1", AddressClass::kReserved},
      {"2001:db9::1", AddressClass::kPublic},
      {"2001::1", AddressClass::kReserved},  // Teredo
      {"100::1", AddressClass::kReserved},
      {"100::ffff:ffff:ffff:ffff", AddressClass::kReserved},
      {"100:0:0:1::", AddressClass::kReserved},  // outside 2000::/3
      {"3fff::1", AddressClass::kReserved},
      {"4000::1", AddressClass::kReserved},
      // IPv6 forms that carry an IPv4 address are classified by it.
      {"::ffff:127.0.0.1", AddressClass::kLoopback},
      {"::ffff:7f00:1", AddressClass::kLoopback},
      {"::ffff:10.0.0.1", AddressClass::kPrivate},
      {"::ffff:169.254.169.254", AddressClass::kMetadata},
      {"::ffff:0.0.0.0", AddressClass::kUnspecified},
      {"::ffff:8.8.8.8", AddressClass::kPublic},
      {"64:ff9b::8.8.8.8", AddressClass::kPublic},
      {"64:ff9b::127.0.0.1", AddressClass::kLoopback},
      {"64:ff9b::a9fe:a9fe", AddressClass::kMetadata},
      {"64:ff9b:1::1", AddressClass::kPrivate},
      {"2002:0808:0808::1", AddressClass::kPublic},
      {"2002:7f00:0001::1", AddressClass::kLoopback},
      {"2002:c0a8:0101::1", AddressClass::kPrivate},
      {"2002:a9fe:a9fe::", AddressClass::kMetadata},
      // Not canonical numeric addresses: never public.
      {"", AddressClass::kReserved},
      {"localhost", AddressClass::kReserved},
      {"127.1", AddressClass::kReserved},
      {"0x7f.0.0.1", AddressClass::kReserved},
      {"2130706433", AddressClass::kReserved},
      {"127.0.0.01", AddressClass::kReserved},
      {"8.8.8.8 ", AddressClass::kReserved},
      {"[::1]", AddressClass::kReserved},
      {"fe80::1%lo", AddressClass::kReserved},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(classifyAddress(c.address), c.expected)
        << "'" << c.address << "' classified as " << addressClassName(classifyAddress(c.address))
        << ", expected " << addressClassName(c.expected);
  }
}

Endpoint endpointFor(std::string_view url) {
  auto endpoint = parseBaseUrl(url);
  EXPECT_TRUE(endpoint.ok()) << url;
  return endpoint.ok() ? *endpoint : Endpoint{};
}

std::string refusal(const EgressGuard& guard, std::string_view url) {
  auto checked = guard.check(endpointFor(url));
  if (checked.ok()) {
    return "";
  }
  EXPECT_EQ(checked.error().code, ErrorCode::kInvalidRequest);
  return checked.error().message;
}

TEST(EgressGuard, PlainHttpRefusedUnlessAllowlisted) {
  const EgressGuard strict(EgressPolicy{});
  EXPECT_EQ(refusal(strict, "http://127.0.0.1:1/v1"), "only https base URLs are allowed");
  EXPECT_EQ(refusal(strict, "http://8.8.8.8/v1"), "only https base URLs are allowed");

  const EgressGuard http_only(EgressPolicy{{}, {"127.0.0.1"}});
  EXPECT_EQ(refusal(http_only, "http://127.0.0.1:1/v1"),
            "base URL resolves to a loopback address (127.0.0.1), which this gateway does not "
            "allow");

  const EgressGuard local(EgressPolicy{{"127.0.0.0/8"}, {"127.0.0.1"}});
  auto checked = local.check(endpointFor("http://127.0.0.1:1/v1"));
  ASSERT_TRUE(checked.ok()) << checked.error().message;
  EXPECT_EQ(checked->pinned_addresses, std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(checked->host, "127.0.0.1");
  EXPECT_EQ(checked->port, "1");
  EXPECT_EQ(checked->base_path, "/v1");
  EXPECT_FALSE(checked->tls);
  // The CIDR does not extend plain http to other hosts.
  EXPECT_EQ(refusal(local, "http://127.0.0.2:1/v1"), "only https base URLs are allowed");
}

TEST(EgressGuard, HttpHostsMatchCaseInsensitively) {
  const EgressGuard guard(EgressPolicy{{"127.0.0.0/8", "::1/128"}, {"LocalHost"}});
  auto checked = guard.check(endpointFor("http://LOCALHOST:8000"));
  ASSERT_TRUE(checked.ok()) << checked.error().message;
  EXPECT_FALSE(checked->pinned_addresses.empty());
  for (const auto& address : checked->pinned_addresses) {
    EXPECT_EQ(classifyAddress(address), AddressClass::kLoopback) << address;
  }
}

TEST(EgressGuard, LocalhostResolvesToLoopbackAndIsRefused) {
  const EgressGuard guard(EgressPolicy{});
  const std::string message = refusal(guard, "https://localhost/");
  EXPECT_NE(message.find("loopback address"), std::string::npos) << message;
}

TEST(EgressGuard, Ipv6LoopbackRefused) {
  const EgressGuard guard(EgressPolicy{});
  EXPECT_EQ(refusal(guard, "https://[::1]/"),
            "base URL resolves to a loopback address (::1), which this gateway does not allow");
  EXPECT_EQ(refusal(guard, "https://[::]/"),
            "base URL resolves to an unspecified address (::), which this gateway does not allow");
}

TEST(EgressGuard, Ipv4MappedLoopbackRefused) {
  const EgressGuard guard(EgressPolicy{});
  const std::string message = refusal(guard, "https://[::ffff:127.0.0.1]/v1");
  EXPECT_NE(message.find("loopback address (::ffff:127.0.0.1)"), std::string::npos) << message;
  EXPECT_NE(refusal(guard, "https://[::ffff:7f00:1]/"), "");
  EXPECT_NE(refusal(guard, "https://[64:ff9b::7f00:1]/"), "");
  EXPECT_NE(refusal(guard, "https://[2002:7f00:1::1]/"), "");

  // An IPv4 allowance covers the mapped form, which reaches the same address.
  const EgressGuard local(EgressPolicy{{"127.0.0.0/8"}, {}});
  auto checked = local.check(endpointFor("https://[::ffff:127.0.0.1]/v1"));
  ASSERT_TRUE(checked.ok()) << checked.error().message;
  EXPECT_EQ(checked->pinned_addresses, std::vector<std::string>{"::ffff:127.0.0.1"});
}

TEST(EgressGuard, PrivateAndMetadataAddressesRefused) {
  const EgressGuard guard(EgressPolicy{});
  EXPECT_EQ(refusal(guard, "https://10.1.2.3/v1"),
            "base URL resolves to a private address (10.1.2.3), which this gateway does not allow");
  EXPECT_NE(refusal(guard, "https://192.168.1.1/"), "");
  EXPECT_NE(refusal(guard, "https://172.16.0.1/"), "");
  EXPECT_NE(refusal(guard, "https://100.64.0.1/"), "");
  EXPECT_NE(refusal(guard, "https://[fd00::1]/"), "");
  EXPECT_NE(refusal(guard, "https://[fe80::1]/"), "");
  EXPECT_NE(refusal(guard, "https://0.0.0.0/"), "");
  EXPECT_NE(refusal(guard, "https://224.0.0.1/"), "");
  EXPECT_NE(refusal(guard, "https://255.255.255.255/"), "");
  EXPECT_NE(refusal(guard, "https://192.0.2.1/"), "");
  EXPECT_NE(refusal(guard, "https://[2001:db8::1]/"), "");
  EXPECT_EQ(refusal(guard, "https://169.254.169.254/latest/meta-data"),
            "base URL resolves to a cloud-metadata address (169.254.169.254), which this gateway "
            "does not allow");
  EXPECT_NE(refusal(guard, "https://[fd00:ec2::254]/"), "");
}

TEST(EgressGuard, MetadataHostNamesRefusedOutright) {
  // Even an operator who allows everything does not open the metadata service by name.
  const EgressGuard guard(EgressPolicy{{"0.0.0.0/0", "::/0"}, {"metadata.google.internal"}});
  const std::string expected =
      "base URL names a cloud-metadata service, which this gateway does not allow";
  EXPECT_EQ(refusal(guard, "http://metadata.google.internal/computeMetadata/v1"), expected);
  EXPECT_EQ(refusal(guard, "https://Metadata.Google.Internal./"), expected);
  EXPECT_EQ(refusal(guard, "https://metadata.goog/"), expected);
}

TEST(EgressGuard, MetadataAddressNeedsAnExactAllowance) {
  const EgressGuard wide(EgressPolicy{{"169.254.0.0/16", "0.0.0.0/0"}, {}});
  EXPECT_NE(refusal(wide, "https://169.254.169.254/"), "");
  EXPECT_EQ(refusal(wide, "https://169.254.1.1/"), "");

  const EgressGuard exact(EgressPolicy{{"169.254.169.254/32"}, {}});
  EXPECT_EQ(refusal(exact, "https://169.254.169.254/"), "");
  EXPECT_NE(refusal(exact, "https://169.254.1.1/"), "");
}

TEST(EgressGuard, NonCanonicalNumericHostsRefused) {
  const EgressGuard guard(EgressPolicy{{"127.0.0.0/8"}, {}});
  for (const char* url :
       {"https://127.1/", "https://0x7f.0.0.1/", "https://0x7f.1/", "https://2130706433/",
        "https://017700000001/", "https://127.0.0.01/", "https://0177.0.0.1/"}) {
    const std::string message = refusal(guard, url);
    EXPECT_NE(message.find("non-canonical"), std::string::npos) << url << ": " << message;
  }
}

TEST(EgressGuard, AllowedCidrsOpenPrivateRanges) {
  const EgressGuard guard(EgressPolicy{{"10.0.0.0/8", "fd00::/8", "192.168.1.7"}, {}});
  EXPECT_EQ(refusal(guard, "https://10.200.0.1/"), "");
  EXPECT_EQ(refusal(guard, "https://[fd12::1]/"), "");
  EXPECT_EQ(refusal(guard, "https://192.168.1.7/"), "");
  EXPECT_NE(refusal(guard, "https://192.168.1.8/"), "");
  EXPECT_NE(refusal(guard, "https://[fc00::1]/"), "");
  EXPECT_NE(refusal(guard, "https://127.0.0.1/"), "");
}

TEST(EgressGuard, PublicAddressPinnedAndOldPinsReplaced) {
  const EgressGuard guard(EgressPolicy{});
  Endpoint endpoint = endpointFor("https://8.8.8.8/v1");
  endpoint.pinned_addresses = {"10.0.0.1"};
  auto checked = guard.check(endpoint);
  ASSERT_TRUE(checked.ok()) << checked.error().message;
  EXPECT_EQ(checked->pinned_addresses, std::vector<std::string>{"8.8.8.8"});
  EXPECT_TRUE(checked->tls);
  EXPECT_EQ(checked->port, "443");

  auto v6 = guard.check(endpointFor("https://[2001:4860:4860:0:0:0:0:8888]/"));
  ASSERT_TRUE(v6.ok()) << v6.error().message;
  EXPECT_EQ(v6->pinned_addresses, std::vector<std::string>{"2001:4860:4860::8888"});
}

TEST(EgressGuard, EmptyHostRefused) {
  const EgressGuard guard(EgressPolicy{});
  Endpoint endpoint;
  auto checked = guard.check(endpoint);
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().code, ErrorCode::kInvalidRequest);
}

TEST(EgressGuard, BadCidrThrowsNamingTheEntry) {
  for (const char* bad :
       {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8x", "banana", "", "127.1/8",
        "10.1.2.3/8", "fd00::1/8", " 10.0.0.0/8", "10.0.0.0/08x", "[::1]/128"}) {
    try {
      EgressGuard guard(EgressPolicy{{"127.0.0.0/8", bad}, {}});
      ADD_FAILURE() << "'" << bad << "' was accepted";
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find("'" + std::string(bad) + "'"), std::string::npos)
          << error.what();
    }
  }
  EXPECT_NO_THROW(EgressGuard(EgressPolicy{
      {"0.0.0.0/0", "::/0", "10.0.0.0/8", "127.0.0.1", "fd00::/8", "127.0.0.1/32", "::1/128"},
      {}}));
}

}  // namespace
}  // namespace gatehouse::http
