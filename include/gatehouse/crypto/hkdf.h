#pragma once

#include <gatehouse/common/result.h>
#include <gatehouse/common/secret.h>

#include <cstddef>
#include <string_view>

namespace gatehouse::crypto {

/// HKDF-SHA-256 (RFC 5869): extract with `salt` (empty means 32 zero bytes), then expand with
/// `info` to `length` bytes. Error when length > 255*32. Thread-safe.
Result<SecretString> hkdfSha256(std::string_view ikm, std::string_view salt, std::string_view info,
                                std::size_t length);

}  // namespace gatehouse::crypto
