package phone

import (
	"slices"
	"testing"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

func TestCountriesEverySupportedRegion(t *testing.T) {
	countries := Countries("en")
	supported := phonenumbers.GetSupportedRegions()
	if len(countries) != len(supported) {
		t.Errorf("len(Countries(en)) = %d, want %d", len(countries), len(supported))
	}

	seen := map[string]bool{}
	for _, c := range countries {
		if !supported[c.Region] {
			t.Errorf("Countries(en) contains unsupported region %q", c.Region)
		}
		if seen[c.Region] {
			t.Errorf("Countries(en) contains %q twice", c.Region)
		}
		seen[c.Region] = true
		if c.Name == "" || c.Name == c.Region {
			t.Errorf("Countries(en) name of %s = %q, want a name", c.Region, c.Name)
		}
		if want := phonenumbers.GetCountryCodeForRegion(c.Region); c.CallingCode != want {
			t.Errorf("Countries(en) calling code of %s = %d, want %d", c.Region, c.CallingCode, want)
		}
	}
}

func TestCountriesFields(t *testing.T) {
	tests := []struct {
		lang string
		want Country
	}{
		{"en", Country{Region: "DE", Name: "Germany", CallingCode: 49, Flag: "🇩🇪"}},
		{"nl", Country{Region: "DE", Name: "Duitsland", CallingCode: 49, Flag: "🇩🇪"}},
		{"nl-BE", Country{Region: "DE", Name: "Duitsland", CallingCode: 49, Flag: "🇩🇪"}},
		{"en", Country{Region: "NL", Name: "Netherlands", CallingCode: 31, Flag: "🇳🇱"}},
		{"nl", Country{Region: "NL", Name: "Nederland", CallingCode: 31, Flag: "🇳🇱"}},
		{"en", Country{Region: "IM", Name: "Isle of Man", CallingCode: 44, Flag: "🇮🇲"}},
		// A language that is not a valid tag falls back to English.
		{"not a language!", Country{Region: "DE", Name: "Germany", CallingCode: 49, Flag: "🇩🇪"}},
		{"", Country{Region: "DE", Name: "Germany", CallingCode: 49, Flag: "🇩🇪"}},
	}
	for _, tt := range tests {
		got, ok := findCountry(Countries(tt.lang), tt.want.Region)
		if !ok {
			t.Errorf("Countries(%q) has no %s", tt.lang, tt.want.Region)
			continue
		}
		if got != tt.want {
			t.Errorf("Countries(%q) entry = %+v, want %+v", tt.lang, got, tt.want)
		}
	}
}

func TestCountriesSortedByCollation(t *testing.T) {
	for _, lang := range []string{"en", "nl", "de", "sv"} {
		countries := Countries(lang)
		collator := collate.New(language.Make(lang))
		for i := 1; i < len(countries); i++ {
			if collator.CompareString(countries[i-1].Name, countries[i].Name) > 0 {
				t.Errorf("Countries(%q): %q before %q, want collation order",
					lang, countries[i-1].Name, countries[i].Name)
			}
		}
	}
}

func TestCountriesAlandSortsWithA(t *testing.T) {
	countries := Countries("en")
	position := func(region string) int {
		return slices.IndexFunc(countries, func(c Country) bool { return c.Region == region })
	}
	afghanistan, aland, albania := position("AF"), position("AX"), position("AL")
	if afghanistan >= aland || aland >= albania {
		t.Errorf("Countries(en) positions: Afghanistan %d, Åland %d, Albania %d; want Åland between the two",
			afghanistan, aland, albania)
	}
}

func TestCountriesReturnsCopy(t *testing.T) {
	first := Countries("en")
	first[0].Name = "changed"
	if second := Countries("en"); second[0].Name == "changed" {
		t.Errorf("Countries(en)[0].Name = %q after a caller changed an earlier result", second[0].Name)
	}
}

func TestOrdered(t *testing.T) {
	all := Countries("nl")
	got := Ordered("nl", []string{"nl", "BE", "NL", "XX", "", "GB"})

	if len(got) != len(all) {
		t.Fatalf("len(Ordered) = %d, want %d", len(got), len(all))
	}
	wantTop := []string{"NL", "BE", "GB"}
	for i, region := range wantTop {
		if got[i].Region != region {
			t.Errorf("Ordered[%d].Region = %q, want %q", i, got[i].Region, region)
		}
	}
	if got[0].Name != "Nederland" {
		t.Errorf("Ordered[0].Name = %q, want %q", got[0].Name, "Nederland")
	}

	var rest []Country
	for _, c := range all {
		if !slices.Contains(wantTop, c.Region) {
			rest = append(rest, c)
		}
	}
	if !slices.Equal(got[len(wantTop):], rest) {
		t.Errorf("Ordered after the top regions differs from Countries without them")
	}
}

func TestOrderedNoTop(t *testing.T) {
	if got, want := Ordered("en", nil), Countries("en"); !slices.Equal(got, want) {
		t.Errorf("Ordered(en, nil) differs from Countries(en)")
	}
}

func TestTopRegions(t *testing.T) {
	tests := []struct {
		name         string
		office       map[string]int
		installation map[string]int
		defaults     []string
		n            int
		want         []string
	}{
		{
			name:   "office counts",
			office: map[string]int{"NL": 10, "BE": 3, "DE": 5},
			n:      3,
			want:   []string{"NL", "DE", "BE"},
		},
		{
			name:   "office ties by code",
			office: map[string]int{"GB": 2, "BE": 2, "DE": 2, "NL": 9},
			n:      4,
			want:   []string{"NL", "BE", "DE", "GB"},
		},
		{
			name:         "installation fills in",
			office:       map[string]int{"NL": 4},
			installation: map[string]int{"NL": 100, "DE": 50, "FR": 20, "BE": 20},
			n:            3,
			want:         []string{"NL", "DE", "BE"},
		},
		{
			name:         "defaults fill in",
			office:       map[string]int{"NL": 1},
			installation: map[string]int{"DE": 1},
			defaults:     []string{"NL", "BE", "GB", "FR"},
			n:            4,
			want:         []string{"NL", "DE", "BE", "GB"},
		},
		{
			name:     "only defaults",
			defaults: []string{"nl", "be", "de"},
			n:        2,
			want:     []string{"NL", "BE"},
		},
		{
			name:         "unknown regions skipped",
			office:       map[string]int{"XX": 50, "NL": 1, "001": 9},
			installation: map[string]int{"ZZ": 40},
			defaults:     []string{"QQ", "BE"},
			n:            3,
			want:         []string{"NL", "BE"},
		},
		{
			name:   "counts below one skipped",
			office: map[string]int{"NL": 0, "BE": -3, "DE": 1},
			n:      3,
			want:   []string{"DE"},
		},
		{
			name:   "codes differing in case add up",
			office: map[string]int{"nl": 2, "NL": 2, "BE": 3},
			n:      2,
			want:   []string{"NL", "BE"},
		},
		{
			name:   "n of zero",
			office: map[string]int{"NL": 1},
			n:      0,
			want:   nil,
		},
		{
			name: "nothing known",
			n:    5,
			want: []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := TopRegions(tt.office, tt.installation, tt.defaults, tt.n)
			if !slices.Equal(got, tt.want) {
				t.Errorf("TopRegions(%v, %v, %v, %d) = %q, want %q",
					tt.office, tt.installation, tt.defaults, tt.n, got, tt.want)
			}
		})
	}
}

func findCountry(countries []Country, region string) (Country, bool) {
	for _, c := range countries {
		if c.Region == region {
			return c, true
		}
	}
	return Country{}, false
}
