package phone

import "testing"

func TestNumberRegion(t *testing.T) {
	tests := []struct {
		e164 string
		want string
	}{
		{"+31612345678", "NL"},
		{"+447400123456", "GB"},
		{"+447624123456", "IM"},
		{"+12042345678", "CA"},
		{"+12015550123", "US"},
		{"+31201234567", "NL"}, // fixed line: still a number of the Netherlands
		{"+80012345678", ""},   // international freephone
		{"+3161234567", ""},    // too short
		{"0612345678", ""},     // not E.164
		{"+31 6 12345678", ""}, // not E.164
		{"", ""},
	}
	for _, tt := range tests {
		if got := NumberRegion(tt.e164); got != tt.want {
			t.Errorf("NumberRegion(%q) = %q, want %q", tt.e164, got, tt.want)
		}
	}
}
