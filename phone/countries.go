package phone

import (
	"cmp"
	"slices"
	"strings"
	"sync"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// Country is an entry of a country picker.
type Country struct {
	// Region is the ISO 3166-1 alpha-2 code, such as "NL".
	Region string
	// Name is the country's name in the requested language, from CLDR.
	Name string
	// CallingCode is the country calling code, such as 31.
	CallingCode int
	// Flag is the flag emoji: the two regional indicator symbols that spell
	// Region.
	Flag string
}

// Countries returns every region that phonenumbers supports, named in lang
// (a BCP 47 tag such as "nl" or "en-GB") and sorted by the collation rules
// of that language. A language without CLDR region names gives English.
// Countries returns a new slice on every call.
func Countries(lang string) []Country {
	return slices.Clone(countriesFor(displayLanguage(lang)).list)
}

// Ordered returns the same countries as Countries, with the regions in top
// first, in the order given, and then all others in alphabetical order.
// Region codes in top may be in either case. Unsupported and repeated codes
// in top are skipped.
func Ordered(lang string, top []string) []Country {
	countries := countriesFor(displayLanguage(lang))
	ordered := make([]Country, 0, len(countries.list))
	first := map[string]bool{}
	for _, region := range top {
		region = strings.ToUpper(region)
		i, ok := countries.index[region]
		if !ok || first[region] {
			continue
		}
		first[region] = true
		ordered = append(ordered, countries.list[i])
	}
	for _, country := range countries.list {
		if !first[country.Region] {
			ordered = append(ordered, country)
		}
	}
	return ordered
}

// TopRegions returns up to n region codes to show at the top of a country
// picker. It takes the regions most used in the office first, then the
// regions most used in the installation, then defaults in the order given.
// The maps count numbers per region code, in either case. Equal counts are
// ordered by region code, so the result is stable. Regions that phonenumbers
// does not support, counts below 1 and repeats are skipped.
func TopRegions(office, installation map[string]int, defaults []string, n int) []string {
	if n <= 0 {
		return nil
	}

	top := make([]string, 0, n)
	seen := map[string]bool{}
	add := func(region string) {
		region = strings.ToUpper(region)
		if len(top) < n && !seen[region] && isSupportedRegion(region) {
			seen[region] = true
			top = append(top, region)
		}
	}
	for _, region := range byCount(office) {
		add(region)
	}
	for _, region := range byCount(installation) {
		add(region)
	}
	for _, region := range defaults {
		add(region)
	}
	return top
}

// byCount returns the region codes in counts in upper case, most counted
// first, adding up the counts of codes that differ only in case.
func byCount(counts map[string]int) []string {
	totals := map[string]int{}
	for region, count := range counts {
		totals[strings.ToUpper(region)] += count
	}

	regions := make([]string, 0, len(totals))
	for region, count := range totals {
		if count > 0 {
			regions = append(regions, region)
		}
	}
	slices.SortFunc(regions, func(a, b string) int {
		if c := cmp.Compare(totals[b], totals[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return regions
}

// countryList is the sorted list of countries in one language, with the
// position of each region in it.
type countryList struct {
	list  []Country
	index map[string]int
}

var (
	countryCacheMu sync.Mutex
	// countryCache contains a countryList per display language. Its keys
	// come from displayLanguages, so it holds at most one entry per
	// language that CLDR has region names for.
	countryCache = map[language.Tag]*countryList{}
)

func countriesFor(lang language.Tag) *countryList {
	countryCacheMu.Lock()
	defer countryCacheMu.Unlock()
	if countries, ok := countryCache[lang]; ok {
		return countries
	}
	countries := buildCountries(lang)
	countryCache[lang] = countries
	return countries
}

func buildCountries(lang language.Tag) *countryList {
	supported := metadata().supported
	list := make([]Country, 0, len(supported))
	for region := range supported {
		list = append(list, Country{
			Region:      region,
			Name:        regionName(lang, region),
			CallingCode: CallingCode(region),
			Flag:        flagEmoji(region),
		})
	}

	// A Collator keeps buffers between comparisons, so each list gets its
	// own and none is shared between goroutines.
	collator := collate.New(lang)
	slices.SortFunc(list, func(a, b Country) int {
		if c := collator.CompareString(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Region, b.Region)
	})

	index := make(map[string]int, len(list))
	for i, country := range list {
		index[country.Region] = i
	}
	return &countryList{list: list, index: index}
}

// displayLanguages are the languages that CLDR in golang.org/x/text has
// region names for, English first so that it is the matcher's default.
var displayLanguages = sync.OnceValues(func() ([]language.Tag, language.Matcher) {
	tags := append([]language.Tag{language.English}, display.Supported.Tags()...)
	return tags, language.NewMatcher(tags)
})

// displayLanguage returns the supported display language closest to lang,
// or English when none is close.
func displayLanguage(lang string) language.Tag {
	tag, err := language.Parse(lang)
	if err != nil {
		return language.English
	}
	tags, matcher := displayLanguages()
	_, i, confidence := matcher.Match(tag)
	if confidence == language.No {
		return language.English
	}
	return tags[i]
}

// regionName returns the CLDR name of region in lang, falling back to
// English and then to the code itself.
func regionName(lang language.Tag, region string) string {
	code, err := language.ParseRegion(region)
	if err != nil {
		return region
	}
	if namer := display.Regions(lang); namer != nil {
		if name := namer.Name(code); name != "" {
			return name
		}
	}
	if name := display.Regions(language.English).Name(code); name != "" {
		return name
	}
	return region
}

// flagEmoji returns the emoji flag of a two-letter region code.
func flagEmoji(region string) string {
	const regionalIndicatorA = 0x1F1E6
	if len(region) != 2 {
		return ""
	}
	flag := make([]rune, 0, 2)
	for _, letter := range []byte(region) {
		if letter < 'A' || letter > 'Z' {
			return ""
		}
		flag = append(flag, regionalIndicatorA+rune(letter-'A'))
	}
	return string(flag)
}

func regionSet(codes string) map[string]bool {
	set := map[string]bool{}
	for _, code := range strings.Fields(codes) {
		set[code] = true
	}
	return set
}
