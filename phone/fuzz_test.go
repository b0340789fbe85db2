package phone

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse checks that Parse does not panic, that every error is an
// *Error with messages, and that every accepted number parses back to the
// same E.164 number and region. It also runs the display functions on the
// same input, since they take stored or typed text as well.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		if len(tc.input) <= MaxInputLength*4 {
			f.Add(tc.input, tc.region)
		}
	}
	f.Add("+44 (0)7400 123456 ext. 12", "GB")
	f.Add("+1 (204) 234-5678", "")
	f.Add("00 00 00", "NL")
	f.Add("8 10 44 7400 123456", "RU")
	f.Add("+39 (0)6 1234 5678", "")

	f.Fuzz(func(t *testing.T, input, region string) {
		n, err := Parse(input, region)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("Parse(%q, %q) error = %#v, want *Error", input, region, err)
			}
			if perr.Message("en") == "" || perr.Message("nl") == "" {
				t.Fatalf("Parse(%q, %q) error %#v has an empty message", input, region, perr)
			}
		} else {
			again, err := Parse(n.E164, "")
			if err != nil {
				t.Fatalf("Parse(%q, %q) = %+v, but Parse(%q, \"\") error = %v", input, region, n, n.E164, err)
			}
			if again != n {
				t.Fatalf("Parse(%q, %q) = %+v, but Parse(%q, \"\") = %+v", input, region, n, n.E164, again)
			}
			if !n.Type.ReceivesSMS() {
				t.Fatalf("Parse(%q, %q) accepted type %s", input, region, n.Type)
			}
			if masked := Mask(n.E164); strings.Contains(digitsOf(masked), n.E164[1:]) {
				t.Fatalf("Mask(%q) = %q contains the whole number", n.E164, masked)
			}
		}

		RegionFromInput(input, region)
		FormatInternational(input)
		if masked := Mask(input); masked != fullyMasked && !strings.HasPrefix(masked, "+") {
			t.Fatalf("Mask(%q) = %q, want %q or a masked number", input, masked, fullyMasked)
		}
	})
}
