package storage

import "context"

// RegionCounts counts users with a confirmed mobile number per region, the
// ISO 3166-1 alpha-2 code of the number's country in upper case, such as
// {"NL": 12, "BE": 3}. Regions without such users are absent.
type RegionCounts map[string]int

// PhoneStats counts confirmed mobile numbers by country, so that country
// pickers can list the most used countries first.
type PhoneStats interface {
	// MobileRegionCounts returns the counts of the office's users and of
	// all users of every office. A number's region is the country it
	// belongs to, whatever country was selected when it was typed. Numbers
	// that belong to no country are not counted. The counts follow every
	// change of a number, however it is written.
	MobileRegionCounts(ctx context.Context, officeID string) (office, installation RegionCounts, err error)
}
