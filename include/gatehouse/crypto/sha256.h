#pragma once

#include <gatehouse/crypto/hmac.h>

#include <string_view>

namespace gatehouse::crypto {

/// SHA-256 (FIPS 180-4) of `data`. Thread-safe.
Sha256Digest sha256(std::string_view data);

}  // namespace gatehouse::crypto
