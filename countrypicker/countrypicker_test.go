package countrypicker

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"twofold/phone"
	"twofold/storage"
)

// fakeStats returns fixed counts, or err.
type fakeStats struct {
	office       map[string]storage.RegionCounts
	installation storage.RegionCounts
	err          error
	calls        []string // the office ids asked for
}

func (s *fakeStats) MobileRegionCounts(_ context.Context, officeID string) (office, installation storage.RegionCounts, err error) {
	s.calls = append(s.calls, officeID)
	if s.err != nil {
		return nil, nil, s.err
	}
	return s.office[officeID], s.installation, nil
}

var defaults = []string{"NL", "BE", "DE", "GB", "FR", "US"}

func regions(options []Option) []string {
	var out []string
	for _, o := range options {
		out = append(out, o.Region)
	}
	return out
}

func TestBuildTop(t *testing.T) {
	stats := &fakeStats{
		office: map[string]storage.RegionCounts{
			"office-1": {"DE": 5, "PL": 2, "BE": 2},
			"office-2": {"NL": 1},
		},
		installation: storage.RegionCounts{"DE": 9, "ES": 7, "IT": 3, "PL": 2, "BE": 2, "NL": 1},
	}
	tests := []struct {
		name     string
		officeID string
		stats    storage.PhoneStats
		want     []string
	}{
		// Office counts first (ties by code), then installation counts,
		// and nothing of the defaults is needed.
		{"office then installation", "office-1", stats, []string{"DE", "BE", "PL", "ES", "IT", "NL"}},
		// One office number, then the installation fills in.
		{"installation fills in", "office-2", stats, []string{"NL", "DE", "ES", "IT", "BE", "PL"}},
		// The installation and then the defaults fill in.
		{"office without numbers", "office-3", &fakeStats{
			installation: storage.RegionCounts{"GB": 1},
		}, []string{"GB", "NL", "BE", "DE", "FR", "US"}},
		{"installation without numbers", "office-3", &fakeStats{}, defaults},
		{"no statistics", "office-1", nil, defaults},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Builder{Stats: tt.stats, Defaults: defaults}
			p, err := b.Build(t.Context(), "en", tt.officeID, "NL")
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if got := regions(p.Top); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Top = %v, want %v", got, tt.want)
			}
		})
	}
	if !slices.Contains(stats.calls, "office-1") || !slices.Contains(stats.calls, "office-2") {
		t.Errorf("MobileRegionCounts was asked for offices %v, want office-1 and office-2", stats.calls)
	}
}

func TestBuildStatsError(t *testing.T) {
	failure := errors.New("database down")
	b := Builder{Stats: &fakeStats{err: failure}, Defaults: defaults}
	p, err := b.Build(t.Context(), "en", "office-1", "BE")
	if !errors.Is(err, failure) {
		t.Errorf("Build error = %v, want it to wrap %v", err, failure)
	}
	if got := regions(p.Top); !reflect.DeepEqual(got, defaults) {
		t.Errorf("Top after an error = %v, want the defaults %v", got, defaults)
	}
	if p.Selected != "BE" {
		t.Errorf("Selected after an error = %q, want BE", p.Selected)
	}
}

func TestBuildFewDefaults(t *testing.T) {
	b := Builder{Defaults: []string{"NL", "BE"}}
	p, err := b.Build(t.Context(), "en", "office-1", "NL")
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if got := regions(p.Top); !reflect.DeepEqual(got, []string{"NL", "BE"}) {
		t.Errorf("Top = %v, want [NL BE]", got)
	}

	p, err = Builder{}.Build(t.Context(), "en", "office-1", "NL")
	if err != nil {
		t.Fatalf("Build with the zero Builder: %v", err)
	}
	if len(p.Top) != 0 {
		t.Errorf("Top of the zero Builder = %v, want none", regions(p.Top))
	}
	if len(p.Others) != len(phone.Countries("en")) {
		t.Errorf("Others of the zero Builder has %d countries, want all %d", len(p.Others), len(phone.Countries("en")))
	}
}

func TestBuildOthersAlphabetical(t *testing.T) {
	for _, lang := range []string{"en", "nl"} {
		b := Builder{Defaults: defaults}
		p, err := b.Build(t.Context(), lang, "office-1", "NL")
		if err != nil {
			t.Fatalf("Build(%s): %v", lang, err)
		}
		if got, want := len(p.Top)+len(p.Others), len(phone.Countries(lang)); got != want {
			t.Errorf("Build(%s) lists %d countries, want %d", lang, got, want)
		}
		for _, o := range p.Others {
			if slices.Contains(defaults, o.Region) {
				t.Errorf("Build(%s): Others contains %s, which is at the top", lang, o.Region)
			}
		}
		collator := collate.New(language.MustParse(lang))
		for i := 1; i < len(p.Others); i++ {
			if collator.CompareString(p.Others[i-1].Name, p.Others[i].Name) > 0 {
				t.Errorf("Build(%s): %q is listed before %q", lang, p.Others[i-1].Name, p.Others[i].Name)
			}
		}
	}
}

func TestBuildNamesInLanguage(t *testing.T) {
	b := Builder{Defaults: []string{"DE"}}
	p, err := b.Build(t.Context(), "nl", "office-1", "DE")
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	want := phone.Country{Region: "DE", Name: "Duitsland", CallingCode: 49, Flag: "🇩🇪"}
	if p.Top[0].Country != want {
		t.Errorf("Top[0] = %+v, want %+v", p.Top[0].Country, want)
	}
}

func TestBuildSelected(t *testing.T) {
	tests := []struct {
		selected string
		want     string
	}{
		{"BE", "BE"},
		{"be", "BE"},
		{"AT", "AT"}, // not at the top
		{"XX", "NL"}, // unsupported: the first country
		{"", "NL"},
	}
	for _, tt := range tests {
		b := Builder{Defaults: defaults}
		p, err := b.Build(t.Context(), "en", "office-1", tt.selected)
		if err != nil {
			t.Fatalf("Build: %v", err)
		}
		if p.Selected != tt.want {
			t.Errorf("Build(selected %q).Selected = %q, want %q", tt.selected, p.Selected, tt.want)
		}
		var marked []string
		for _, o := range append(slices.Clone(p.Top), p.Others...) {
			if o.Selected {
				marked = append(marked, o.Region)
			}
		}
		if !reflect.DeepEqual(marked, []string{tt.want}) {
			t.Errorf("Build(selected %q): options marked selected = %v, want [%s]", tt.selected, marked, tt.want)
		}
	}
}

func TestBuildFieldNames(t *testing.T) {
	p, err := Builder{}.Build(t.Context(), "en", "office-1", "NL")
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if p.ID != "country" || p.Name != "country" || p.Input != "mobile" {
		t.Errorf("ID, Name, Input = %q, %q, %q, want country, country, mobile", p.ID, p.Name, p.Input)
	}
}

func TestOptionCallingCodeData(t *testing.T) {
	p, err := Builder{}.Build(t.Context(), "en", "office-1", "NL")
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	byRegion := map[string]Option{}
	for _, o := range p.Others {
		byRegion[o.Region] = o
	}
	tests := []struct {
		region         string
		main           bool
		skipsTrunkZero bool
		prefix         string // one of the prefixes, or "" for none
	}{
		{"NL", true, false, ""},
		{"US", true, false, ""},
		{"CA", false, false, "204"},
		{"GB", true, true, ""},
		{"IM", false, false, "7624"},
		{"RU", true, false, ""},
		{"KZ", false, false, "7"},
	}
	for _, tt := range tests {
		o, ok := byRegion[tt.region]
		if !ok {
			t.Errorf("no option for %s", tt.region)
			continue
		}
		if o.Main != tt.main {
			t.Errorf("%s: Main = %v, want %v", tt.region, o.Main, tt.main)
		}
		if o.SkipsTrunkZero != tt.skipsTrunkZero {
			t.Errorf("%s: SkipsTrunkZero = %v, want %v", tt.region, o.SkipsTrunkZero, tt.skipsTrunkZero)
		}
		prefixes := strings.Fields(o.Prefixes)
		switch {
		case tt.prefix == "" && len(prefixes) > 0:
			t.Errorf("%s: Prefixes = %q, want none", tt.region, o.Prefixes)
		case tt.prefix != "" && !slices.Contains(prefixes, tt.prefix):
			t.Errorf("%s: Prefixes = %q, want them to contain %s", tt.region, o.Prefixes, tt.prefix)
		}
	}
}
