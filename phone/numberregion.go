package phone

import "github.com/nyaruka/phonenumbers"

// NumberRegion returns the region of a number in E.164 format, as Parse
// stores it, such as "NL" for "+31612345678". It returns "" for text that is
// not a valid number in E.164 format and for numbers that belong to no
// country, such as +800 numbers.
func NumberRegion(e164 string) string {
	num, ok := parseE164(e164)
	if !ok || !phonenumbers.IsValidNumber(num) {
		return ""
	}
	region := phonenumbers.GetRegionCodeForNumber(num)
	if !isSupportedRegion(region) {
		return ""
	}
	return region
}
