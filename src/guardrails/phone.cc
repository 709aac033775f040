#include "guardrails/phone.h"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <array>
#include <string>

namespace gatehouse::guardrails::detail {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

// Regions whose national format starts with a trunk 0. A national number is accepted when it
// is valid in any of them: without a country code the region is unknown, and libphonenumber
// rejects most random digit strings for all of them.
constexpr std::array<const char*, 14> kTrunkZeroRegions = {
    "GB", "FR", "AU", "DE", "NL", "BE", "CH", "AT", "JP", "IN", "NZ", "IE", "SE", "ZA"};
constexpr std::array<const char*, 2> kOtherRegions = {"BR", "MX"};

bool validIn(const PhoneNumberUtil& util, const std::string& text, const char* region) {
  PhoneNumber number;
  if (util.Parse(text, region, &number) != PhoneNumberUtil::NO_PARSING_ERROR) {
    return false;
  }
  return util.IsValidNumber(number);
}

}  // namespace

bool phoneValid(std::string_view text, PhoneStyle style) {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  const std::string input(text);
  switch (style) {
    case PhoneStyle::kInternational:
      return validIn(util, input, "ZZ");
    case PhoneStyle::kNanp:
      return validIn(util, input, "US") || validIn(util, input, "CA");
    case PhoneStyle::kTrunkZero: {
      // Parse once (the trunk 0 is stripped the same way for all these regions), then ask each
      // region whether the national number belongs to its plan.
      PhoneNumber number;
      if (util.Parse(input, "GB", &number) != PhoneNumberUtil::NO_PARSING_ERROR) {
        return false;
      }
      for (const char* region : kTrunkZeroRegions) {
        number.set_country_code(util.GetCountryCodeForRegion(region));
        if (util.IsValidNumberForRegion(number, region)) {
          return true;
        }
      }
      return false;
    }
    case PhoneStyle::kOther:
      for (const char* region : kOtherRegions) {
        if (validIn(util, input, region)) {
          return true;
        }
      }
      return false;
  }
  return false;
}

}  // namespace gatehouse::guardrails::detail
