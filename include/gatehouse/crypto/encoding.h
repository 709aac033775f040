#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::crypto {

/// The base62 alphabet used in Gatehouse keys: 0-9, A-Z, a-z.
inline constexpr std::string_view kBase62Alphabet =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

bool isBase62(std::string_view text);

/// `value` as exactly `width` base62 digits, most significant first (zero-padded).
std::string base62Fixed(std::uint64_t value, std::size_t width);

/// Appends the lower-case hex of `bytes` to `out` (appending lets a secret's hex go into a
/// buffer the caller wipes).
void appendHex(std::string& out, std::string_view bytes);
std::string toHex(std::string_view bytes);
/// The bytes of lower- or upper-case hex; nullopt on an odd length or a non-hex character.
std::optional<std::string> fromHex(std::string_view hex);

/// CRC-32 (the zlib/ISO-HDLC polynomial), as secret scanners compute token checksums.
std::uint32_t crc32(std::string_view bytes);

}  // namespace gatehouse::crypto
