package phone

import "testing"

func TestRegionFromInput(t *testing.T) {
	tests := []struct {
		input    string
		fallback string
		want     string
	}{
		{"+31", "DE", "NL"},
		{"+31 6 1234", "DE", "NL"},
		{"0031", "DE", "NL"},
		{"+44", "NL", "GB"},
		{"0044", "NL", "GB"},
		{"+44 7400 123456", "NL", "GB"},
		{"+44 7624", "NL", "IM"},
		{"+44 (0)7624 12", "NL", "IM"},
		{"+44 7797 712345", "NL", "JE"},
		{"+44 1481", "NL", "GG"},
		{"+1", "NL", "US"},
		{"+1 2", "NL", "US"},
		{"+1 204", "NL", "CA"},
		{"+1 (204) 234", "NL", "CA"},
		{"+1 876", "NL", "JM"},
		{"+1 201 555 0123", "NL", "US"},
		{"+7", "NL", "RU"},
		{"+7 912", "NL", "RU"},
		{"+7 771", "NL", "KZ"},
		// Every number under +358 that starts with 18 is Åland's.
		{"+358 1", "NL", "FI"},
		{"+358 18", "NL", "AX"},
		{"+358 181", "NL", "AX"},
		{"+7 7", "NL", "KZ"},
		{"＋３１", "DE", "NL"},
		// No complete country code, or one of no country.
		{"", "NL", "NL"},
		{"+", "NL", "NL"},
		{"+3", "NL", "NL"},
		{"00", "NL", "NL"},
		{"06 12345678", "NL", "NL"},
		{"31 6 12345678", "NL", "NL"},
		{"+999", "NL", "NL"},
		{"+800 1234", "NL", "NL"},
		{"+881", "", ""},
		{"abc", "BE", "BE"},
	}
	for _, tt := range tests {
		if got := RegionFromInput(tt.input, tt.fallback); got != tt.want {
			t.Errorf("RegionFromInput(%q, %q) = %q, want %q", tt.input, tt.fallback, got, tt.want)
		}
	}
}
