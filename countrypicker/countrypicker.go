// Package countrypicker builds the country picker that every mobile number
// field of twofold has next to it. The picker is a select of every country,
// with its name, calling code and flag. It lists the six most used
// countries first, and then the others in alphabetical order of their names
// in the page's language.
//
// A page uses it in three steps:
//
//  1. Its handler calls [Builder.Build] with the page's language, the office
//     and the country to select, and puts the [Picker] into the page's data.
//     To show a form again, select phone.RegionFromInput(typed, chosen), so
//     that a typed country code is followed without JavaScript too.
//  2. Its template renders {{template "country-picker" .Picker}} where the
//     select belongs, before or after the number input. The partial
//     (templates/_country_picker.html) writes the label, the select and a
//     status element that announces the switches that the script makes,
//     and loads /static/country-picker.js.
//  3. Its number input has the id in Picker.Input ("mobile" unless the
//     handler sets another). The script then switches the flag to the
//     country whose code is typed at the start of the number (+44 or 0044),
//     as phone.RegionFromInput does, and leaves a country that the person
//     chose alone until the typed country code changes.
//
// The handler parses the posted number with phone.Parse(number, country),
// where country is the select's value (form field Picker.Name).
package countrypicker

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"twofold/phone"
	"twofold/storage"
)

// TopSize is how many countries a picker lists before all the others.
const TopSize = 6

// Builder builds pickers. The zero value is ready to use and lists no
// countries at the top.
type Builder struct {
	// Stats counts confirmed numbers per country. When nil, only Defaults
	// fill the top.
	Stats storage.PhoneStats
	// Defaults are ISO 3166-1 alpha-2 codes that fill the top, in order,
	// after the countries that the counts give.
	Defaults []string
}

// Picker is the data of the "country-picker" template.
type Picker struct {
	// ID is the select's id. The status element's id is ID + "-status".
	ID string
	// Name is the form field of the select, whose value is a region code.
	Name string
	// Input is the id of the number input that the script follows.
	Input string
	// Selected is the region code of the selected country.
	Selected string
	// Top contains the most used countries, most used first.
	Top []Option
	// Others contains all other countries, in alphabetical order.
	Others []Option
}

// Option is one country of a picker.
type Option struct {
	phone.Country
	Selected bool
	// Main marks the country that a typed calling code gives while no
	// prefix decides between the countries that share it, such as the
	// United States for +1. Every country with a calling code of its own
	// is the main one for its code.
	Main bool
	// SkipsTrunkZero marks a main country whose numbers are written with a
	// 0 after the calling code, as in +44 (0)7624, which the script skips.
	SkipsTrunkZero bool
	// Prefixes are the national prefixes, separated by spaces, that switch
	// a shared calling code to this country, such as "204 226 ..." for
	// Canada (see phone.RegionPrefixes).
	Prefixes string
}

// Build returns a picker in lang (a BCP 47 tag such as "nl") for a page of
// the office, with selected as the selected country. The top lists the
// countries of the office's confirmed numbers, most used first, then those
// of the whole installation, then b.Defaults, up to TopSize in all. A
// selected region that phonenumbers does not support selects the first
// country.
//
// When the counts cannot be read, Build returns the error together with a
// picker whose top lists b.Defaults alone, so the caller can log the error
// and still show the page.
func (b Builder) Build(ctx context.Context, lang, officeID, selected string) (Picker, error) {
	var (
		office, installation storage.RegionCounts
		err                  error
	)
	if b.Stats != nil {
		office, installation, err = b.Stats.MobileRegionCounts(ctx, officeID)
		if err != nil {
			office, installation = nil, nil
			err = fmt.Errorf("countrypicker: count numbers of office %s: %w", officeID, err)
		}
	}
	top := phone.TopRegions(office, installation, b.Defaults, TopSize)
	return newPicker(lang, top, selected), err
}

// newPicker returns a picker with the regions in top first.
func newPicker(lang string, top []string, selected string) Picker {
	countries := phone.Ordered(lang, top)
	selected = strings.ToUpper(selected)
	if phone.CallingCode(selected) == 0 && len(countries) > 0 {
		selected = countries[0].Region
	}

	extras := optionExtras()
	options := make([]Option, len(countries))
	for i, c := range countries {
		options[i] = extras[c.Region]
		options[i].Country = c
		options[i].Selected = c.Region == selected
	}
	// phone.Ordered lists exactly the regions of top first, because
	// phone.TopRegions returns supported regions without repeats.
	return Picker{
		ID:       "country",
		Name:     "country",
		Input:    "mobile",
		Selected: selected,
		Top:      options[:len(top)],
		Others:   options[len(top):],
	}
}

// optionExtras contains, per region, the Option fields that the script
// needs to follow a typed calling code. They depend only on the numbering
// metadata, so they are computed once.
var optionExtras = sync.OnceValue(func() map[string]Option {
	extras := map[string]Option{}
	for _, c := range phone.Countries("en") {
		main := phone.MainRegion(c.CallingCode) == c.Region
		extras[c.Region] = Option{
			Main:           main,
			SkipsTrunkZero: main && phone.SkipsTrunkZero(c.CallingCode),
			Prefixes:       strings.Join(phone.RegionPrefixes(c.Region), " "),
		}
	}
	return extras
})
