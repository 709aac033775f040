#pragma once

// Checksums and structural validators: the step after a pattern matched that turns a candidate
// into a finding. Each is a pure function of the candidate text.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::guardrails::detail {

/// Luhn (mod 10) over a string of decimal digits only.
bool luhnValid(std::string_view digits);

/// The card network for a digit string whose length fits that network ("visa", "mastercard",
/// "amex", "discover", "jcb", "diners", "unionpay"), or nothing. Length and IIN only; the caller
/// checks Luhn.
std::optional<std::string_view> cardBrand(std::string_view digits);

/// The IBAN length for a two-letter country code, or 0 when the country has no IBAN.
int ibanLength(std::string_view country);

/// ISO 13616 mod-97 check of a compact, upper-case IBAN (length checked by the caller).
bool ibanChecksumValid(std::string_view compact);

/// SSA rules for a US social security number: area 001-899 except 666, group 01-99,
/// serial 0001-9999, and not one of the numbers voided after being published.
bool ssnValid(int area, int group, int serial);

/// Strict dotted-quad IPv4: four decimal octets 0-255, no leading zeros, nothing else.
bool ipv4Valid(std::string_view text);

/// IPv6 as inet_pton(AF_INET6) accepts it (embedded IPv4 allowed, no zone, no brackets).
bool ipv6Valid(std::string_view text);

/// Shannon entropy in bits per byte.
double shannonEntropy(std::string_view text);

/// Decodes base64url (or standard base64), padding optional. False on a bad character or a
/// length no encoder produces.
bool base64Decode(std::string_view in, std::string& out);

/// True for values that stand in for a secret instead of being one: `changeme`, `<redacted>`,
/// `${VAR}`, `{{ secrets.X }}`, `your-key-here`, `XXXXXXXX`, `****`, `example`...
bool looksLikePlaceholder(std::string_view value);

/// CRC-32 with the zlib / ISO-HDLC polynomial.
std::uint32_t crc32(std::string_view bytes);

/// `value` as `width` base62 digits (0-9A-Za-z), most significant first.
std::string base62Fixed(std::uint64_t value, std::size_t width);

/// A Gatehouse caller key: `gtk_` + 16 + 43 base62 chars + 6 base62 chars of CRC-32 over
/// everything before them.
bool gatehouseKeyValid(std::string_view key);

/// GitHub's token checksum: the last 6 characters are CRC-32 of the 30 random characters,
/// base62-encoded (0-9a-zA-Z order). `token` is the 36-character body after the prefix.
bool githubChecksumValid(std::string_view body);

}  // namespace gatehouse::guardrails::detail
