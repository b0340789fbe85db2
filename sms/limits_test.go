package sms

import (
	"errors"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

func TestLimitsWithDefaults(t *testing.T) {
	got := LimitsConfig{PerNumber: Rate{PerHour: 3}, Installation: Rate{PerDay: 90000}}.WithDefaults()
	d := DefaultLimits()
	if got.PerNumber.PerHour != 3 || got.PerNumber.PerDay != d.PerNumber.PerDay {
		t.Errorf("per_number = %+v, want per_hour 3 and the default per_day %d", got.PerNumber, d.PerNumber.PerDay)
	}
	if got.Installation.PerDay != 90000 || got.Installation.PerHour != d.Installation.PerHour {
		t.Errorf("installation = %+v, want per_day 90000 and the default per_hour", got.Installation)
	}
	if got.PerUser != d.PerUser || got.PerClientIP != d.PerClientIP || got.PerOffice != d.PerOffice {
		t.Errorf("unset limits = %+v, want the defaults %+v", got, d)
	}
}

func TestDefaultLimitsAreConsistent(t *testing.T) {
	for _, r := range DefaultLimits().rates() {
		if r.rate.PerHour < 1 || r.rate.PerHour > r.rate.PerDay {
			t.Errorf("default %s = %+v: per_hour must be positive and at most per_day", r.name, r.rate)
		}
	}
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("a config without sms.limits: %v", err)
	}
}

func TestLimitsFromYAML(t *testing.T) {
	var cfg Config
	err := yaml.Unmarshal([]byte(`
limits:
  per_number: {per_hour: 4, per_day: 8}
  installation: {per_day: 20000}
allowed_countries: [BE, de]
`), &cfg)
	if err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if cfg.Limits.PerNumber != (Rate{PerHour: 4, PerDay: 8}) || cfg.Limits.Installation.PerDay != 20000 {
		t.Errorf("limits = %+v", cfg.Limits)
	}
	if strings.Join(cfg.AllowedCountries, ",") != "BE,de" {
		t.Errorf("allowed_countries = %q", cfg.AllowedCountries)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestValidateLimits(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"negative", Config{Limits: LimitsConfig{PerUser: Rate{PerHour: -1}}},
			[]string{"sms.limits.per_user.per_hour must be between 1 and 10000000 messages (0 selects the default), got -1"}},
		{"huge", Config{Limits: LimitsConfig{Installation: Rate{PerDay: 10_000_001}}},
			[]string{"sms.limits.installation.per_day must be between 1 and 10000000"}},
		{"hour above day", Config{Limits: LimitsConfig{PerOffice: Rate{PerHour: 50, PerDay: 40}}},
			[]string{"sms.limits.per_office.per_hour (50) must not exceed sms.limits.per_office.per_day (40)"}},
		{"hour above default day", Config{Limits: LimitsConfig{PerNumber: Rate{PerHour: 31}}},
			[]string{"sms.limits.per_number.per_hour (31) must not exceed sms.limits.per_number.per_day (30, the default)"}},
		{"unknown country", Config{AllowedCountries: []string{"BE", "XX", "Belgium"}},
			[]string{`sms.allowed_countries[1] "XX" is not an ISO 3166-1 alpha-2 country code`,
				`sms.allowed_countries[2] "Belgium" is not`}},
		{"every problem at once", Config{
			Limits:           LimitsConfig{PerClientIP: Rate{PerHour: -5}, PerUser: Rate{PerDay: -1}},
			AllowedCountries: []string{"ZZ"},
		}, []string{"sms.limits.per_client_ip.per_hour", "sms.limits.per_user.per_day", `sms.allowed_countries[0] "ZZ"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			var cerr *ConfigError
			if !errors.As(err, &cerr) {
				t.Fatalf("Validate = %v, want a *ConfigError", err)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if len(cerr.Problems) != len(tc.want) {
				t.Errorf("%d problems, want %d: %q", len(cerr.Problems), len(tc.want), cerr.Problems)
			}
		})
	}
}
