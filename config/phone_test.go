package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestPhoneDefaultCountriesDefault(t *testing.T) {
	cfg, err := Load("", func(string) string { return "" })
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := []string{"NL", "BE", "DE", "GB", "FR", "US"}
	if !reflect.DeepEqual(cfg.Phone.DefaultCountries, want) {
		t.Errorf("default phone.default_countries = %v, want %v", cfg.Phone.DefaultCountries, want)
	}
	if err := cfg.Phone.Validate(); err != nil {
		t.Errorf("default phone.default_countries: Validate: %v", err)
	}
}

func TestPhoneDefaultCountriesFromYAML(t *testing.T) {
	path := filepath.Join(t.TempDir(), "twofold.yaml")
	yaml := "phone:\n  default_countries: [de, ' at ', CH]\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, func(string) string { return "" })
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := []string{"DE", "AT", "CH"}
	if !reflect.DeepEqual(cfg.Phone.DefaultCountries, want) {
		t.Errorf("phone.default_countries = %v, want %v", cfg.Phone.DefaultCountries, want)
	}
}

func TestPhoneDefaultCountriesFromEnvironment(t *testing.T) {
	getenv := func(name string) string {
		if name == "TWOFOLD_PHONE_DEFAULT_COUNTRIES" {
			return "be,NL"
		}
		return ""
	}
	cfg, err := Load("", getenv)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := []string{"BE", "NL"}
	if !reflect.DeepEqual(cfg.Phone.DefaultCountries, want) {
		t.Errorf("phone.default_countries = %v, want %v", cfg.Phone.DefaultCountries, want)
	}
}

func TestPhoneValidate(t *testing.T) {
	tests := []struct {
		name      string
		countries []string
		wantErrs  []string // each must appear in the error; none for a valid list
	}{
		{"default", defaultPhone().DefaultCountries, nil},
		{"empty", nil, nil},
		{"lower case", []string{"nl", "be"}, nil},
		{"unknown code", []string{"NL", "XX"}, []string{`phone.default_countries[1] "XX" is not an ISO 3166-1 alpha-2 country code`}},
		{"name instead of code", []string{"Netherlands"}, []string{`phone.default_countries[0] "Netherlands"`}},
		{"three letters", []string{"NLD"}, []string{`phone.default_countries[0] "NLD"`}},
		{"empty entry", []string{"NL", ""}, []string{`phone.default_countries[1] ""`}},
		{"repeated", []string{"NL", "BE", "nl"}, []string{`phone.default_countries[2] "nl" is listed twice`}},
		{"every problem", []string{"XX", "DE", "DE", "YY"}, []string{
			`phone.default_countries[0] "XX"`,
			`phone.default_countries[2] "DE" is listed twice`,
			`phone.default_countries[3] "YY"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Phone{DefaultCountries: tt.countries}.Validate()
			if len(tt.wantErrs) == 0 {
				if err != nil {
					t.Errorf("Validate(%q): %v, want no error", tt.countries, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate(%q): no error, want %q", tt.countries, tt.wantErrs)
			}
			for _, want := range tt.wantErrs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Validate(%q) = %q, want it to contain %q", tt.countries, err, want)
				}
			}
		})
	}
}

func TestConfigValidateChecksPhone(t *testing.T) {
	cfg := Default()
	cfg.Phone.DefaultCountries = []string{"NL", "XX"}
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), `phone.default_countries[1] "XX"`) {
		t.Errorf("Validate with an unknown default country = %v, want an error naming it", err)
	}
}
