#pragma once

#include <span>
#include <string_view>

namespace gatehouse::store {

/// Schema migrations, in order: migration N (1-based) takes user_version from N-1 to N.
/// Append new ones; never edit one that has shipped.
std::span<const std::string_view> migrations();

}  // namespace gatehouse::store
