package phone

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// fullyMasked is the output of Mask for input that is not a number in E.164
// format. Its length is fixed, so it does not reveal the input's length.
const fullyMasked = "••••••••"

// maskedDigit is the character written in place of a hidden digit.
const maskedDigit = '•'

// minMaskedDigits is the fewest digits of the national number that Mask
// hides. For short national numbers it shows less than the first group and
// the last two digits, so that at least this many stay hidden.
const minMaskedDigits = 4

// maxGroupLength is the longest group after the first that Mask keeps as
// the international format writes it. A longer row of dots is hard to
// count, so Mask writes it in groups of four.
const maxGroupLength = 7

// e164Pattern matches a number in E.164 format: a plus sign, a calling code
// that does not start with 0 and at most 15 digits in all.
var e164Pattern = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// parseE164 parses a number that must already be in canonical E.164 format,
// as Parse returns it. Anything else, including E.164 text that the library
// reads as a different number, returns false.
func parseE164(e164 string) (*phonenumbers.PhoneNumber, bool) {
	if !e164Pattern.MatchString(e164) {
		return nil, false
	}
	num, err := phonenumbers.Parse(e164, "")
	if err != nil || phonenumbers.Format(num, phonenumbers.E164) != e164 {
		return nil, false
	}
	return num, true
}

// FormatInternational writes a number in E.164 format in the international
// format of its country, such as "+31 6 12345678" for "+31612345678". It
// returns e164 unchanged when it is not a number in E.164 format.
func FormatInternational(e164 string) string {
	num, ok := parseE164(e164)
	if !ok {
		return e164
	}
	return phonenumbers.Format(num, phonenumbers.INTERNATIONAL)
}

// Mask writes a number in E.164 format for screens that must not show it
// whole. It keeps the calling code, the first group of the national number
// and the last two digits, and replaces the other digits with "•" while
// keeping the grouping of the international format: "+31612345678" becomes
// "+31 6 •••• ••78". It hides more for national numbers too short to keep
// minMaskedDigits hidden. For input that is not a number in E.164 format it
// returns "••••••••".
func Mask(e164 string) string {
	num, ok := parseE164(e164)
	if !ok {
		return fullyMasked
	}

	prefix := "+" + strconv.Itoa(int(num.GetCountryCode()))
	national := phonenumbers.GetNationalSignificantNumber(num)
	formatted := phonenumbers.Format(num, phonenumbers.INTERNATIONAL)
	grouped, ok := strings.CutPrefix(formatted, prefix+" ")
	if !ok || digitsOf(grouped) != national {
		// The format does not spell out the national number, so the
		// grouping cannot be kept.
		grouped = national
	}
	return prefix + " " + maskGroups(grouped, len(national))
}

// maskGroups masks the digits of grouped, the national number of length n
// with its separators.
func maskGroups(grouped string, n int) string {
	firstGroup := strings.IndexFunc(grouped, func(r rune) bool { return r < '0' || r > '9' })
	if firstGroup < 0 {
		firstGroup = len(grouped)
	}
	tail := min(2, max(0, n-minMaskedDigits))
	lead := min(firstGroup, max(0, n-tail-minMaskedDigits))

	var b strings.Builder
	position := 0 // index of the next digit in the national number
	for _, group := range splitGroups(grouped) {
		if position >= firstGroup && len(group) > maxGroupLength && isDigit(group[0]) {
			group = splitFours(group)
		}
		for _, r := range group {
			if r < '0' || r > '9' {
				b.WriteRune(r)
				continue
			}
			if position < lead || position >= n-tail {
				b.WriteRune(r)
			} else {
				b.WriteRune(maskedDigit)
			}
			position++
		}
	}
	return b.String()
}

// splitGroups splits s into runs of digits and runs of separators.
func splitGroups(s string) []string {
	var groups []string
	start := 0
	for i := 1; i <= len(s); i++ {
		if i == len(s) || isDigit(s[i]) != isDigit(s[start]) {
			groups = append(groups, s[start:i])
			start = i
		}
	}
	return groups
}

// splitFours writes a run of digits in groups of four separated by spaces.
func splitFours(digits string) string {
	var b strings.Builder
	for i := 0; i < len(digits); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(digits[i:min(i+4, len(digits))])
	}
	return b.String()
}

func digitsOf(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
