package phone

import (
	"strconv"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

func TestFormatInternational(t *testing.T) {
	tests := []struct {
		e164 string
		want string
	}{
		{"+31612345678", "+31 6 12345678"},
		{"+447400123456", "+44 7400 123456"},
		{"+12015550123", "+1 201-555-0123"},
		{"+77710009998", "+7 771 000 9998"},
		{"+390612345678", "+39 06 1234 5678"},
		// Input that is not canonical E.164 comes back unchanged.
		{"", ""},
		{"0612345678", "0612345678"},
		{"+31 6 12345678", "+31 6 12345678"},
		{"+310612345678", "+310612345678"},
		{"+31612345678 ext. 12", "+31612345678 ext. 12"},
	}
	for _, tt := range tests {
		if got := FormatInternational(tt.e164); got != tt.want {
			t.Errorf("FormatInternational(%q) = %q, want %q", tt.e164, got, tt.want)
		}
	}
}

func TestMask(t *testing.T) {
	tests := []struct {
		e164 string
		want string
	}{
		{"+31612345678", "+31 6 •••• ••78"},
		{"+447400123456", "+44 7400 ••••56"},
		{"+12015550123", "+1 201-•••-••23"},
		{"+4915123456789", "+49 1512 •••••89"},
		{"+33612345678", "+33 6 •• •• •• 78"},
		{"+819012345678", "+81 90-••••-••78"},
		// The first group is cut short where keeping all of it would hide
		// fewer than minMaskedDigits digits.
		{"+918123456789", "+91 8123• •••89"},
		{"+3548123456", "+354 8•• ••56"},
		// Odd input is masked whole.
		{"", fullyMasked},
		{"+", fullyMasked},
		{"+31", fullyMasked},
		{"0612345678", fullyMasked},
		{"+31 6 12345678", fullyMasked},
		{"+310612345678", fullyMasked},
		{"+31612345678 ext. 12", fullyMasked},
		{"+31612345678\x00", fullyMasked},
		{"not a number", fullyMasked},
	}
	for _, tt := range tests {
		if got := Mask(tt.e164); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.e164, got, tt.want)
		}
	}
}

// TestMaskHidesSubscriber checks Mask on the example numbers of every
// supported region and on every number that TestParse accepts. The output
// must show no national digits beyond the first group and the last two, and
// must hide at least minMaskedDigits of them.
func TestMaskHidesSubscriber(t *testing.T) {
	var numbers []string
	for region := range phonenumbers.GetSupportedRegions() {
		for _, typ := range []phonenumbers.PhoneNumberType{phonenumbers.MOBILE, phonenumbers.FIXED_LINE} {
			if num := phonenumbers.GetExampleNumberForType(region, typ); num != nil {
				numbers = append(numbers, phonenumbers.Format(num, phonenumbers.E164))
			}
		}
	}
	for _, tc := range parseCases {
		if tc.want.E164 != "" {
			numbers = append(numbers, tc.want.E164)
		}
	}

	for _, e164 := range numbers {
		num, err := phonenumbers.Parse(e164, "")
		if err != nil {
			t.Fatalf("phonenumbers.Parse(%q) error = %v", e164, err)
		}
		callingCode := strconv.Itoa(int(num.GetCountryCode()))
		national := phonenumbers.GetNationalSignificantNumber(num)
		grouped := strings.TrimPrefix(phonenumbers.Format(num, phonenumbers.INTERNATIONAL), "+"+callingCode+" ")
		firstGroup := grouped
		if i := strings.IndexAny(grouped, " -"); i >= 0 {
			firstGroup = grouped[:i]
		}

		masked := Mask(e164)
		shown, ok := strings.CutPrefix(digitsOf(masked), callingCode)
		if !ok {
			t.Errorf("Mask(%q) = %q, want it to start with +%s", e164, masked, callingCode)
			continue
		}
		if hidden := strings.Count(masked, "•"); hidden < minMaskedDigits {
			t.Errorf("Mask(%q) = %q hides %d digits, want at least %d", e164, masked, hidden, minMaskedDigits)
		}
		if len(shown) > len(firstGroup)+2 {
			t.Errorf("Mask(%q) = %q shows %d national digits, want at most the first group (%s) and two",
				e164, masked, len(shown), firstGroup)
		}
		if strings.Contains(digitsOf(masked), national) {
			t.Errorf("Mask(%q) = %q contains the whole national number", e164, masked)
		}
		if len(national) >= minMaskedDigits+2 && !strings.HasSuffix(shown, national[len(national)-2:]) {
			t.Errorf("Mask(%q) = %q, want it to end with the last two digits %s",
				e164, masked, national[len(national)-2:])
		}
	}
}
