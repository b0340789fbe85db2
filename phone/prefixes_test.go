package phone

import (
	"slices"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

func TestMainRegion(t *testing.T) {
	tests := []struct {
		callingCode int
		want        string
	}{
		{1, "US"},
		{44, "GB"},
		{7, "RU"},
		{31, "NL"},
		{800, ""},
		{999, ""},
	}
	for _, tt := range tests {
		if got := MainRegion(tt.callingCode); got != tt.want {
			t.Errorf("MainRegion(%d) = %q, want %q", tt.callingCode, got, tt.want)
		}
	}
}

func TestSkipsTrunkZero(t *testing.T) {
	tests := []struct {
		callingCode int
		want        bool
	}{
		{44, true},
		{358, true},
		{1, false},  // the trunk prefix of +1 is 1
		{39, false}, // Italian numbers keep their 0
		{31, false}, // not shared
		{800, false},
	}
	for _, tt := range tests {
		if got := SkipsTrunkZero(tt.callingCode); got != tt.want {
			t.Errorf("SkipsTrunkZero(%d) = %v, want %v", tt.callingCode, got, tt.want)
		}
	}
}

func TestRegionPrefixes(t *testing.T) {
	tests := []struct {
		region string
		want   []string // a subset of the result
	}{
		{"CA", []string{"204", "226", "416", "604"}},
		{"ca", []string{"204"}},
		{"JM", []string{"876"}},
		{"JE", []string{"1534", "7797"}},
		{"GG", []string{"1481"}},
		{"IM", []string{"1624", "7624"}},
		{"KZ", []string{"7"}},
		{"AX", []string{"18"}},
	}
	for _, tt := range tests {
		got := RegionPrefixes(tt.region)
		for _, prefix := range tt.want {
			if !slices.Contains(got, prefix) {
				t.Errorf("RegionPrefixes(%q) = %v, want it to contain %q", tt.region, got, prefix)
			}
		}
	}
	for _, region := range []string{"US", "GB", "RU", "FI", "NL", "DE", "XX", ""} {
		if got := RegionPrefixes(region); got != nil {
			t.Errorf("RegionPrefixes(%q) = %v, want nil", region, got)
		}
	}
}

func TestRegionPrefixesReturnsCopy(t *testing.T) {
	RegionPrefixes("CA")[0] = "999"
	if got := RegionPrefixes("CA")[0]; got == "999" {
		t.Errorf("changing the result of RegionPrefixes changed the table")
	}
}

// TestRegionPrefixesPrefixFree checks that at most one prefix of a calling
// code matches any number, so the order of lookup does not matter.
func TestRegionPrefixesPrefixFree(t *testing.T) {
	for callingCode, prefixes := range prefixTable().byCode {
		for _, a := range prefixes {
			for _, b := range prefixes {
				if a != b && strings.HasPrefix(b.digits, a.digits) {
					t.Errorf("+%d: prefix %s of %s starts prefix %s of %s",
						callingCode, a.digits, a.region, b.digits, b.region)
				}
			}
		}
	}
}

// TestRegionPrefixesAgreeWithMetadata checks every example number of every
// region under a shared calling code: a prefix that matches it must name
// the region that phonenumbers gives the number.
func TestRegionPrefixesAgreeWithMetadata(t *testing.T) {
	types := []phonenumbers.PhoneNumberType{
		phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE,
		phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST, phonenumbers.VOIP,
		phonenumbers.PERSONAL_NUMBER, phonenumbers.PAGER, phonenumbers.UAN,
		phonenumbers.VOICEMAIL,
	}
	checked := 0
	for callingCode := range prefixTable().byCode {
		for _, region := range phonenumbers.GetRegionCodesForCountryCode(callingCode) {
			for _, typ := range types {
				example := phonenumbers.GetExampleNumberForType(region, typ)
				if example == nil {
					continue
				}
				national := phonenumbers.GetNationalSignificantNumber(example)
				want := phonenumbers.GetRegionCodeForNumber(example)
				if got := regionOfPrefix(callingCode, national); got != "" && got != want {
					t.Errorf("+%d %s (type %d example of %s): prefix names %s, phonenumbers %s",
						callingCode, national, typ, region, got, want)
				}
				checked++
			}
		}
	}
	if checked < 100 {
		t.Errorf("checked %d example numbers, want at least 100", checked)
	}
}
