package phone

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// CallingCode returns the country calling code of a region, such as 31 for
// "NL", or 0 for a region that phonenumbers does not support.
func CallingCode(region string) int {
	region = strings.ToUpper(region)
	if !isSupportedRegion(region) {
		return 0
	}
	return phonenumbers.GetCountryCodeForRegion(region)
}

// RegionFromInput returns the region implied by the country code at the
// start of input, typed with a plus sign or 00, for switching the flag of a
// country picker while a person types. Where several regions share the code
// (+1, +44, +7), it returns the region of the complete number, else the
// region that one of its RegionPrefixes names, else the code's main region
// (US, GB, RU). It returns fallback when input has no complete country code,
// or one that belongs to no country, such as +800.
func RegionFromInput(input, fallback string) string {
	digits, ok := typedInternationalDigits(input)
	if !ok {
		return fallback
	}
	callingCode, national, ok := splitCallingCode(digits)
	if !ok {
		return fallback
	}

	regions := phonenumbers.GetRegionCodesForCountryCode(callingCode)
	main := regions[0]
	if !isSupportedRegion(main) {
		return fallback
	}
	if len(regions) == 1 {
		return main
	}

	// A trunk prefix written after the code, as in +44 (0)7624, is not part
	// of the number.
	if phonenumbers.GetNddPrefixForRegion(main, true) == "0" {
		national = strings.TrimPrefix(national, "0")
	}
	if number, err := phonenumbers.Parse("+"+strconv.Itoa(callingCode)+national, ""); err == nil &&
		phonenumbers.IsValidNumber(number) {
		return phonenumbers.GetRegionCodeForNumber(number)
	}
	if region := regionOfPrefix(callingCode, national); region != "" {
		return region
	}
	return main
}

// typedInternationalDigits returns the ASCII digits after a leading plus
// sign or 00 in input, up to the first character that cannot be part of a
// number. It reports false when input does not start with either.
func typedInternationalDigits(input string) (string, bool) {
	if len(input) > MaxInputLength*utf8.UTFMax {
		input = input[:MaxInputLength*utf8.UTFMax]
	}
	var b strings.Builder
	plus := false
	for _, r := range strings.TrimSpace(input) {
		if isIgnorable(r) || isSeparator(r) {
			continue
		}
		if d, ok := asciiDigit(r); ok {
			b.WriteByte(d)
			continue
		}
		if (r == '+' || r == '＋') && !plus && b.Len() == 0 {
			plus = true
			continue
		}
		break
	}

	digits := b.String()
	if plus {
		return digits, true
	}
	if rest, ok := strings.CutPrefix(digits, "00"); ok {
		return rest, true
	}
	return "", false
}

// splitCallingCode splits digits into a supported country calling code and
// the rest. Calling codes are a prefix code (no code is the start of
// another), so the first match is the only one.
func splitCallingCode(digits string) (int, string, bool) {
	for length := 1; length <= 3 && length <= len(digits); length++ {
		code, err := strconv.Atoi(digits[:length])
		if err != nil {
			return 0, "", false
		}
		if len(phonenumbers.GetRegionCodesForCountryCode(code)) > 0 {
			return code, digits[length:], true
		}
	}
	return 0, "", false
}

// lengthRange is the shortest and longest national significant number of a
// kind of number in a region.
type lengthRange struct{ min, max int }

// metadataIndex is the data this package reads from the numbering metadata,
// computed once.
type metadataIndex struct {
	// supported contains every region that phonenumbers supports.
	supported map[string]bool
	// mobile contains the lengths of mobile numbers per region.
	mobile map[string]lengthRange
	// lengths contains, per shared calling code, every possible length of
	// a national number in any of its regions, in increasing order.
	lengths map[int][]int
}

var metadata = sync.OnceValue(func() *metadataIndex {
	index := &metadataIndex{
		supported: phonenumbers.GetSupportedRegions(),
		mobile:    map[string]lengthRange{},
		lengths:   map[int][]int{},
	}
	collection, err := phonenumbers.MetadataCollection()
	if err != nil {
		// phonenumbers v1.8.1 decodes its embedded metadata in init and
		// panics there on failure, and this call returns that cached result.
		panic("phone: reading numbering metadata: " + err.Error())
	}

	for _, region := range collection.GetMetadata() {
		general := region.GetGeneralDesc().GetPossibleLength()
		mobile := region.GetMobile().GetPossibleLength()
		if len(mobile) == 0 {
			mobile = general
		}
		if r, ok := rangeOf(mobile); ok {
			index.mobile[region.GetId()] = r
		}

		code := int(region.GetCountryCode())
		if len(phonenumbers.GetRegionCodesForCountryCode(code)) < 2 {
			continue
		}
		for _, length := range general {
			index.lengths[code] = append(index.lengths[code], int(length))
		}
	}
	for code, lengths := range index.lengths {
		slices.Sort(lengths)
		index.lengths[code] = slices.Compact(lengths)
	}
	return index
})

func rangeOf(lengths []int32) (lengthRange, bool) {
	if len(lengths) == 0 {
		return lengthRange{}, false
	}
	r := lengthRange{min: int(lengths[0]), max: int(lengths[0])}
	for _, length := range lengths[1:] {
		r.min = min(r.min, int(length))
		r.max = max(r.max, int(length))
	}
	return r, true
}

func isSupportedRegion(region string) bool {
	return metadata().supported[region]
}

func mobileLengths() map[string]lengthRange {
	return metadata().mobile
}

func callingCodeLengths() map[int][]int {
	return metadata().lengths
}
