// Phone-number validation with libphonenumber's metadata.
//
// libphonenumber's own entry points cost 3-40 us a call (Parse runs dozens of ICU regexes and
// allocates a matcher for each), far too slow for a scanner that must stay under 20 us per KiB.
// So we read libphonenumber's compiled-in metadata (metadata_get(), the same
// PhoneMetadataCollection PhoneNumberUtil loads) once, compile each region's patterns with RE2, and
// apply the rule PhoneNumberUtil::IsValidNumberForRegion applies: the national significant number
// must match the region's general description (possible lengths + pattern) and at least one number
// type (fixed line, mobile, toll free, ...). Parsing (country code, national prefix) follows
// PhoneNumberUtil::Parse for the formats the scanner hands over. phone_test.cc checks the result
// against PhoneNumberUtil itself on many random numbers per region.

#include "guardrails/phone.h"

#include "guardrails/char_class.h"

#include <phonenumbers/phonemetadata.pb.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace i18n::phonenumbers {
// Exported by libphonenumber (metadata.cc); not in the installed headers.
int metadata_size();
const void* metadata_get();
}  // namespace i18n::phonenumbers

namespace gatehouse::guardrails::detail {
namespace {

using i18n::phonenumbers::PhoneMetadata;
using i18n::phonenumbers::PhoneMetadataCollection;
using i18n::phonenumbers::PhoneNumberDesc;

struct DescMatcher {
  std::vector<int> lengths;  // empty: any length
  std::unique_ptr<RE2> pattern;

  bool matches(std::string_view nsn) const {
    if (!pattern) {
      return false;
    }
    if (!lengths.empty() &&
        std::find(lengths.begin(), lengths.end(), static_cast<int>(nsn.size())) == lengths.end()) {
      return false;
    }
    return RE2::FullMatch(re2::StringPiece(nsn.data(), nsn.size()), *pattern);
  }
};

struct RegionPlan {
  std::string id;
  int country_code = 0;
  std::string national_prefix;
  DescMatcher general;
  std::vector<DescMatcher> types;

  bool valid(std::string_view nsn) const {
    if (!general.matches(nsn)) {
      return false;
    }
    return std::any_of(types.begin(), types.end(),
                       [nsn](const DescMatcher& type) { return type.matches(nsn); });
  }
};

DescMatcher compileDesc(const PhoneNumberDesc& desc) {
  DescMatcher matcher;
  for (int i = 0; i < desc.possible_length_size(); ++i) {
    matcher.lengths.push_back(desc.possible_length(i));
  }
  // possible_length == [-1]: the type does not exist in this region.
  if (matcher.lengths.size() == 1 && matcher.lengths.front() == -1) {
    return matcher;
  }
  if (desc.has_national_number_pattern() && !desc.national_number_pattern().empty()) {
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_unique<RE2>(desc.national_number_pattern(), options);
    if (re->ok()) {
      matcher.pattern = std::move(re);
    }
  }
  return matcher;
}

// Regions whose national format starts with a trunk 0 (and Italy, whose numbers keep it).
constexpr std::array<const char*, 15> kTrunkZeroRegions = {
    "GB", "FR", "AU", "DE", "NL", "BE", "CH", "AT", "JP", "IN", "NZ", "IE", "SE", "ZA", "IT"};
constexpr std::array<const char*, 2> kOtherRegions = {"BR", "MX"};

class PhonePlans {
 public:
  PhonePlans() {
    PhoneMetadataCollection collection;
    if (!collection.ParseFromArray(i18n::phonenumbers::metadata_get(),
                                   i18n::phonenumbers::metadata_size())) {
      return;
    }
    plans_.reserve(static_cast<std::size_t>(collection.metadata_size()));
    for (const PhoneMetadata& metadata : collection.metadata()) {
      auto plan = std::make_unique<RegionPlan>();
      plan->id = metadata.id();
      plan->country_code = metadata.country_code();
      plan->national_prefix = metadata.national_prefix();
      plan->general = compileDesc(metadata.general_desc());
      for (const PhoneNumberDesc* desc :
           {&metadata.premium_rate(), &metadata.toll_free(), &metadata.shared_cost(),
            &metadata.voip(), &metadata.personal_number(), &metadata.pager(), &metadata.uan(),
            &metadata.voicemail(), &metadata.fixed_line(), &metadata.mobile()}) {
        plan->types.push_back(compileDesc(*desc));
      }
      RegionPlan* raw = plan.get();
      by_region_[plan->id] = raw;
      auto& same_code = by_country_code_[plan->country_code];
      // The main country for a code is tried first (US before the other NANP regions).
      if (metadata.main_country_for_code()) {
        same_code.insert(same_code.begin(), raw);
      } else {
        same_code.push_back(raw);
      }
      plans_.push_back(std::move(plan));
    }
    for (const char* id : kTrunkZeroRegions) {
      if (const RegionPlan* plan = region(id)) {
        trunk_zero_.push_back(plan);
      }
    }
    for (const char* id : kOtherRegions) {
      if (const RegionPlan* plan = region(id)) {
        other_.push_back(plan);
      }
    }
  }

  /// The trunk-zero and "other" candidate regions, looked up once.
  const std::vector<const RegionPlan*>& trunkZero() const { return trunk_zero_; }
  const std::vector<const RegionPlan*>& other() const { return other_; }

  const RegionPlan* region(std::string_view id) const {
    const auto it = by_region_.find(std::string(id));
    return it == by_region_.end() ? nullptr : it->second;
  }
  const std::vector<RegionPlan*>* countryCode(int code) const {
    const auto it = by_country_code_.find(code);
    return it == by_country_code_.end() ? nullptr : &it->second;
  }

 private:
  std::vector<std::unique_ptr<RegionPlan>> plans_;
  std::unordered_map<std::string, RegionPlan*> by_region_;
  std::unordered_map<int, std::vector<RegionPlan*>> by_country_code_;
  std::vector<const RegionPlan*> trunk_zero_;
  std::vector<const RegionPlan*> other_;
};

const PhonePlans& plans() {
  static const PhonePlans instance;  // thread-safe lazy initialisation
  return instance;
}

// Valid as written, or with the region's national prefix stripped (as Parse does).
bool validInRegion(const RegionPlan& plan, std::string_view nsn) {
  if (plan.valid(nsn)) {
    return true;
  }
  const std::string& prefix = plan.national_prefix;
  return !prefix.empty() && nsn.size() > prefix.size() && nsn.substr(0, prefix.size()) == prefix &&
         plan.valid(nsn.substr(prefix.size()));
}

std::string digitsOf(std::string_view text, bool drop_trunk_paren) {
  std::string digits;
  digits.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    // "+49 (0)30 ...": the parenthesised trunk 0 is not dialled from abroad.
    if (drop_trunk_paren && text.substr(i, 3) == "(0)") {
      i += 2;
      continue;
    }
    if (isDigit(static_cast<unsigned char>(text[i]))) {
      digits.push_back(text[i]);
    }
  }
  return digits;
}

}  // namespace

bool phoneValid(std::string_view text, PhoneStyle style) {
  const PhonePlans& all = plans();
  switch (style) {
    case PhoneStyle::kInternational: {
      const std::string digits = digitsOf(text, true);
      // Country calling codes are prefix-free: at most one of the 1-3 digit prefixes exists.
      for (std::size_t cc_len = 1; cc_len <= 3 && cc_len < digits.size(); ++cc_len) {
        const int code = std::stoi(digits.substr(0, cc_len));
        const auto* regions = all.countryCode(code);
        if (regions == nullptr) {
          continue;
        }
        const std::string_view nsn = std::string_view(digits).substr(cc_len);
        return std::any_of(regions->begin(), regions->end(),
                           [nsn](const RegionPlan* plan) { return validInRegion(*plan, nsn); });
      }
      return false;
    }
    case PhoneStyle::kNanp: {
      std::string digits = digitsOf(text, false);
      if (digits.size() == 11 && digits.front() == '1') {
        digits.erase(0, 1);
      }
      const auto* regions = all.countryCode(1);
      return regions != nullptr &&
             std::any_of(regions->begin(), regions->end(),
                         [&digits](const RegionPlan* plan) { return plan->valid(digits); });
    }
    case PhoneStyle::kTrunkZero: {
      const std::string digits = digitsOf(text, false);
      for (const RegionPlan* plan : all.trunkZero()) {
        if (plan->valid(digits)) {
          return true;  // Italy: the 0 is part of the number
        }
        const std::string& prefix = plan->national_prefix;
        if (!prefix.empty() && digits.size() > prefix.size() &&
            digits.compare(0, prefix.size(), prefix) == 0 &&
            plan->valid(std::string_view(digits).substr(prefix.size()))) {
          return true;
        }
      }
      return false;
    }
    case PhoneStyle::kOther: {
      const std::string digits = digitsOf(text, false);
      return std::any_of(all.other().begin(), all.other().end(), [&digits](const RegionPlan* plan) {
        return validInRegion(*plan, digits);
      });
    }
  }
  return false;
}

bool phoneValidByLibphonenumber(std::string_view text, std::string_view region) {
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  if (util.Parse(std::string(text), std::string(region), &number) !=
      PhoneNumberUtil::NO_PARSING_ERROR) {
    return false;
  }
  return util.IsValidNumber(number);
}

bool phoneNsnValidForRegion(std::string_view nsn, std::string_view region) {
  const RegionPlan* plan = plans().region(region);
  return plan != nullptr && plan->valid(nsn);
}

bool phoneNsnValidByLibphonenumber(std::string_view nsn, std::string_view region) {
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  const std::string region_code(region);
  PhoneNumber number;
  number.set_country_code(util.GetCountryCodeForRegion(region_code));
  std::size_t zeros = 0;
  while (zeros < nsn.size() && nsn[zeros] == '0') {
    ++zeros;
  }
  if (zeros > 0 && zeros < nsn.size()) {
    number.set_italian_leading_zero(true);
    if (zeros > 1) {
      number.set_number_of_leading_zeros(static_cast<int>(zeros));
    }
  }
  number.set_national_number(std::stoull(std::string(nsn)));
  return util.IsValidNumberForRegion(number, region_code);
}

}  // namespace gatehouse::guardrails::detail
