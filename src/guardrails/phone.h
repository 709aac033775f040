#pragma once

// Phone-number validation through libphonenumber, kept behind this header so no other file
// (and no public header) sees its types.

#include <string_view>

namespace gatehouse::guardrails::detail {

enum class PhoneStyle {
  kInternational,  ///< Starts with '+': the country code is in the number.
  kTrunkZero,      ///< National format with a leading trunk 0: (02) 5550 5895, 020 7946 0450.
  kNanp,           ///< North American: (702) 555-0115, 1-425-555-0160, 314.555.0131.
  kOther,          ///< National format without a trunk prefix: (11) 96442-1941.
};

/// True when libphonenumber finds `text` a valid number (IsValidNumber: the number plan's
/// ranges, not only its length) for the regions `style` implies. Thread-safe.
bool phoneValid(std::string_view text, PhoneStyle style);

}  // namespace gatehouse::guardrails::detail
