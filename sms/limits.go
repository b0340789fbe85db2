package sms

import (
	"strings"

	"twofold/phone"
)

// LimitsConfig is the sms.limits section: how many codes may be sent within
// any hour and any day, counted per destination number, per user, per
// client IP address, per office, and for the whole installation. A send
// must stay within every one of them. Zero values select the defaults in
// DefaultLimits.
type LimitsConfig struct {
	PerNumber    Rate `yaml:"per_number"`
	PerUser      Rate `yaml:"per_user"`
	PerClientIP  Rate `yaml:"per_client_ip"`
	PerOffice    Rate `yaml:"per_office"`
	Installation Rate `yaml:"installation"`
}

// Rate is the most codes sent within any hour and within any day.
type Rate struct {
	PerHour int `yaml:"per_hour"`
	PerDay  int `yaml:"per_day"`
}

// DefaultLimits returns the limits that apply where sms.limits sets none.
//
// A sign-in sends at most five codes (one and four resends), and people
// rarely need more than one or two codes a day because a session lasts
// 12 hours across applications. The defaults are sized from that:
//
//   - Per number and per user, 10 an hour and 30 a day: two sign-ins that
//     use every resend fit in one hour, six in a day. A script that keeps
//     sending to one phone (code flooding) gets ten an hour at most.
//   - Per client IP, 200 an hour and 1000 a day: a whole office usually
//     shares one public address behind NAT, so this is as high as the office
//     limit allows. It stops a single host that signs in to many offices
//     with stolen passwords. IPv6 addresses are counted per /64.
//   - Per office, 300 an hour and 1500 a day: 150 people who all sign in
//     within the same hour and each ask for one resend stay below it. So do
//     ten codes a day for each of them. Larger offices need higher values.
//   - For the installation, 1000 an hour and 5000 a day: the circuit breaker
//     for the bill when many accounts are compromised at once (SMS pumping).
//     Size it to the installation: about five codes a day per active user.
//
// SMS pumping also needs numbers at expensive destinations, which the
// allowed countries stop before any limit is reached.
func DefaultLimits() LimitsConfig {
	return LimitsConfig{
		PerNumber:    Rate{PerHour: 10, PerDay: 30},
		PerUser:      Rate{PerHour: 10, PerDay: 30},
		PerClientIP:  Rate{PerHour: 200, PerDay: 1000},
		PerOffice:    Rate{PerHour: 300, PerDay: 1500},
		Installation: Rate{PerHour: 1000, PerDay: 5000},
	}
}

// maxRate bounds each configured limit. It is far above any real
// installation, so a typo such as two extra zeros is reported as an error.
const maxRate = 10_000_000

// WithDefaults returns c with every zero value replaced by its default.
func (c LimitsConfig) WithDefaults() LimitsConfig {
	d := DefaultLimits()
	fill := func(r *Rate, def Rate) {
		if r.PerHour == 0 {
			r.PerHour = def.PerHour
		}
		if r.PerDay == 0 {
			r.PerDay = def.PerDay
		}
	}
	fill(&c.PerNumber, d.PerNumber)
	fill(&c.PerUser, d.PerUser)
	fill(&c.PerClientIP, d.PerClientIP)
	fill(&c.PerOffice, d.PerOffice)
	fill(&c.Installation, d.Installation)
	return c
}

// rates returns each setting of c with its YAML name, in file order.
func (c LimitsConfig) rates() []struct {
	name string
	rate Rate
} {
	return []struct {
		name string
		rate Rate
	}{
		{"per_number", c.PerNumber},
		{"per_user", c.PerUser},
		{"per_client_ip", c.PerClientIP},
		{"per_office", c.PerOffice},
		{"installation", c.Installation},
	}
}

// limits reports negative or huge limits, and an hourly limit above the
// daily one, which could never be reached.
func (p *problems) limits(c LimitsConfig) {
	sec := p.section("limits")
	effective := c.WithDefaults().rates()
	for i, r := range c.rates() {
		sub := sec.section(r.name)
		for _, v := range []struct {
			key   string
			value int
		}{{"per_hour", r.rate.PerHour}, {"per_day", r.rate.PerDay}} {
			if v.value < 0 || v.value > maxRate {
				sub.addf("%s must be between 1 and %d messages (0 selects the default), got %d",
					sub.setting(v.key), maxRate, v.value)
			}
		}
		e := effective[i].rate
		if e.PerHour > e.PerDay && r.rate.PerHour >= 0 && r.rate.PerDay >= 0 {
			sub.addf("%s (%d) must not exceed %s (%d%s)", sub.setting("per_hour"), e.PerHour,
				sub.setting("per_day"), e.PerDay, defaultNote(r.rate.PerDay))
		}
	}
}

func defaultNote(configured int) string {
	if configured == 0 {
		return ", the default"
	}
	return ""
}

// allowedCountries reports entries of sms.allowed_countries that are not
// ISO 3166-1 alpha-2 codes of a country that numbers can belong to.
func (p *problems) allowedCountries(list []string) {
	for i, cc := range list {
		if phone.CallingCode(strings.TrimSpace(cc)) == 0 {
			p.addf("%s[%d] %q is not an ISO 3166-1 alpha-2 country code such as NL or BE",
				p.setting("allowed_countries"), i, cc)
		}
	}
}
