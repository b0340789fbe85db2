package config

import (
	"errors"
	"fmt"
	"strings"

	"twofold/phone"
)

// Phone configures where mobile numbers are typed.
type Phone struct {
	// DefaultCountries are ISO 3166-1 alpha-2 codes, in order, that fill
	// the top of every country picker after the countries of the confirmed
	// numbers of the office and of the installation.
	DefaultCountries []string `yaml:"default_countries"`
}

// defaultPhone is the Phone of Default. Six codes fill the whole top of a
// picker on an installation without any confirmed number.
func defaultPhone() Phone {
	return Phone{DefaultCountries: []string{"NL", "BE", "DE", "GB", "FR", "US"}}
}

// normalize writes the country codes in upper case without spaces, the
// form in which Validate checks them and pickers use them.
func (p *Phone) normalize() {
	for i, code := range p.DefaultCountries {
		p.DefaultCountries[i] = strings.ToUpper(strings.TrimSpace(code))
	}
}

// Validate reports every code that is not a supported country and every
// code listed twice.
func (p Phone) Validate() error {
	var errs []error
	seen := map[string]bool{}
	for i, code := range p.DefaultCountries {
		key := strings.ToUpper(strings.TrimSpace(code))
		switch {
		case phone.CallingCode(key) == 0:
			errs = append(errs, fmt.Errorf(
				"phone.default_countries[%d] %q is not an ISO 3166-1 alpha-2 country code such as NL or BE", i, code))
		case seen[key]:
			errs = append(errs, fmt.Errorf("phone.default_countries[%d] %q is listed twice", i, code))
		}
		seen[key] = true
	}
	return errors.Join(errs...)
}
