#pragma once

// Phone-number validation with libphonenumber's metadata, kept behind this header so no other
// file (and no public header) sees libphonenumber's types.

#include <string_view>

namespace gatehouse::guardrails::detail {

enum class PhoneStyle {
  kInternational,  ///< Starts with '+': the country code is in the number.
  kTrunkZero,      ///< National format with a leading trunk 0: (02) 5550 5895, 020 7946 0450.
  kNanp,           ///< North American: (702) 555-0115, 1-425-555-0160, 314.555.0131.
  kOther,          ///< National format without a trunk prefix: (11) 96442-1941.
};

/// True when `text` (digits with any separators) is a valid number for the regions `style`
/// implies, by libphonenumber's metadata: the IsValidNumberForRegion rule (general description
/// plus one number type), evaluated with RE2. Thread-safe; the metadata is compiled on first use.
bool phoneValid(std::string_view text, PhoneStyle style);

/// The same rule for a national significant number in one region ("GB", "US"...).
bool phoneNsnValidForRegion(std::string_view nsn, std::string_view region);

/// Oracles for tests: libphonenumber's own PhoneNumberUtil (slow: tens of microseconds a call).
bool phoneValidByLibphonenumber(std::string_view text, std::string_view region);
bool phoneNsnValidByLibphonenumber(std::string_view nsn, std::string_view region);

}  // namespace gatehouse::guardrails::detail
