package phone

import (
	"errors"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// MaxInputLength is the maximum length, in characters, of the input that
// Parse accepts. An E.164 number has at most 15 digits, and even lavish
// formatting such as "+44 (0) 7400 - 123 - 456" stays under 30 characters,
// so 64 leaves room for generous spacing while bounding the work spent on a
// form field that anyone can submit. A non-ASCII digit counts as one
// character.
const MaxInputLength = 64

// Number is a mobile number accepted by Parse.
type Number struct {
	// E164 is the number in E.164 format, such as "+31612345678".
	E164 string
	// Region is the ISO 3166-1 alpha-2 code of the country the number
	// belongs to, such as "NL", which can differ from the selected region.
	Region string
	// Type is TypeMobile or TypeFixedLineOrMobile.
	Type Type
}

// Type is the kind of line a number belongs to, as the numbering metadata of
// github.com/nyaruka/phonenumbers classifies it.
type Type int

const (
	// TypeUnknown is a number that matches no pattern of its country.
	TypeUnknown Type = iota
	TypeMobile
	// TypeFixedLineOrMobile is a number in a plan where fixed-line and mobile
	// numbers share the same ranges, such as the United States and Canada.
	TypeFixedLineOrMobile
	TypeFixedLine
	TypeTollFree
	TypePremiumRate
	TypeSharedCost
	TypeVoIP
	// TypePersonal is a personal number that forwards to another line.
	TypePersonal
	TypePager
	// TypeUAN is a universal access number: one number for a company that
	// routes to its offices.
	TypeUAN
	// TypeVoicemail is a number that reaches a voicemail box.
	TypeVoicemail
)

var typeNames = [...]string{
	TypeUnknown:           "unknown",
	TypeMobile:            "mobile",
	TypeFixedLineOrMobile: "fixed-line-or-mobile",
	TypeFixedLine:         "fixed-line",
	TypeTollFree:          "toll-free",
	TypePremiumRate:       "premium-rate",
	TypeSharedCost:        "shared-cost",
	TypeVoIP:              "voip",
	TypePersonal:          "personal",
	TypePager:             "pager",
	TypeUAN:               "uan",
	TypeVoicemail:         "voicemail",
}

// String returns a lower-case identifier for t, such as "fixed-line", meant
// for logs and test output rather than for people.
func (t Type) String() string {
	if t < 0 || int(t) >= len(typeNames) {
		return "unknown"
	}
	return typeNames[t]
}

// ReceivesSMS reports whether numbers of type t are accepted by Parse.
func (t Type) ReceivesSMS() bool {
	return t == TypeMobile || t == TypeFixedLineOrMobile
}

func typeOf(t phonenumbers.PhoneNumberType) Type {
	switch t {
	case phonenumbers.MOBILE:
		return TypeMobile
	case phonenumbers.FIXED_LINE_OR_MOBILE:
		return TypeFixedLineOrMobile
	case phonenumbers.FIXED_LINE:
		return TypeFixedLine
	case phonenumbers.TOLL_FREE:
		return TypeTollFree
	case phonenumbers.PREMIUM_RATE:
		return TypePremiumRate
	case phonenumbers.SHARED_COST:
		return TypeSharedCost
	case phonenumbers.VOIP:
		return TypeVoIP
	case phonenumbers.PERSONAL_NUMBER:
		return TypePersonal
	case phonenumbers.PAGER:
		return TypePager
	case phonenumbers.UAN:
		return TypeUAN
	case phonenumbers.VOICEMAIL:
		return TypeVoicemail
	}
	return TypeUnknown
}

// nonGeographicRegion is the region code that phonenumbers uses for calling
// codes that belong to no country, such as +800 and +881.
const nonGeographicRegion = "001"

// Parse parses a mobile number as a person typed it. The region is the
// ISO 3166-1 alpha-2 code of the selected country, in either case, and
// applies only when the input has no country code. An empty or unsupported
// region means the input must start with one.
//
// Parse accepts only numbers that can receive an SMS (see [Type.ReceivesSMS])
// and that belong to a country. For every other input it returns an [*Error]
// whose Reason gives the cause. Parse does not panic on any input.
func Parse(input, region string) (Number, error) {
	digits, international, perr := scan(input)
	if perr != nil {
		return Number{}, perr
	}

	region = strings.ToUpper(region)
	if !isSupportedRegion(region) {
		region = ""
	}
	defaultRegion := region
	candidate := digits
	if international {
		// A typed country code wins, so the selected region plays no part.
		defaultRegion = ""
		candidate = "+" + digits
	} else if region == "" {
		return Number{}, &Error{Reason: ReasonMissingCountryCode}
	}

	num, err := phonenumbers.Parse(candidate, defaultRegion)
	if err != nil {
		return Number{}, libraryError(err, international, defaultRegion)
	}
	if num.GetExtension() != "" {
		return Number{}, &Error{Reason: ReasonExtension, Region: defaultRegion}
	}
	return check(num, region)
}

// check applies the SMS rules to a parsed number. The region is the
// selected one, used to name the country of a number that has none.
func check(num *phonenumbers.PhoneNumber, region string) (Number, error) {
	callingCode := int(num.GetCountryCode())
	numberRegion := phonenumbers.GetRegionCodeForNumber(num)
	if !phonenumbers.IsValidNumber(num) {
		if numberRegion == "" || numberRegion == nonGeographicRegion {
			numberRegion = regionForInvalid(callingCode, region)
		}
		return Number{}, &Error{Reason: invalidReason(num, numberRegion), Region: numberRegion}
	}

	e164 := phonenumbers.Format(num, phonenumbers.E164)
	typ := typeOf(phonenumbers.GetNumberType(num))
	errorRegion := numberRegion
	if numberRegion == nonGeographicRegion {
		errorRegion = ""
	}
	switch {
	case typ == TypeUnknown:
		return Number{}, &Error{Reason: ReasonInvalid, Region: errorRegion}
	case !typ.ReceivesSMS():
		return Number{}, &Error{Reason: ReasonNotMobile, Region: errorRegion, Type: typ, Number: e164}
	case numberRegion == nonGeographicRegion:
		return Number{}, &Error{Reason: ReasonNonGeographic, Type: typ, Number: e164}
	}

	// A number whose E.164 form reads back as another number could not be
	// formatted or compared once stored, so it is rejected.
	// NOTE: no input is known to reach this. It guards against the
	// library stripping a national prefix from the E.164 digits, which
	// 400,000 random valid numbers and the fuzz target did not produce.
	again, err := phonenumbers.Parse(e164, "")
	if err != nil || phonenumbers.Format(again, phonenumbers.E164) != e164 ||
		phonenumbers.GetRegionCodeForNumber(again) != numberRegion {
		return Number{}, &Error{Reason: ReasonInvalid, Region: numberRegion}
	}
	return Number{E164: e164, Region: numberRegion, Type: typ}, nil
}

// regionForInvalid returns the region to name for a number that is not
// valid: the selected region when it shares the number's calling code, so a
// national number typed under the Jersey flag is named as Jersey, else the
// calling code's main region. It returns "" for non-geographic codes.
func regionForInvalid(callingCode int, selected string) string {
	if selected != "" && phonenumbers.GetCountryCodeForRegion(selected) == callingCode {
		return selected
	}
	main := phonenumbers.GetRegionCodeForCountryCode(callingCode)
	if !isSupportedRegion(main) {
		return ""
	}
	return main
}

// invalidReason chooses between too short, too long and invalid for a
// number that is not valid, comparing its length with the lengths of mobile
// numbers in the region, since a mobile number is what the person must enter.
func invalidReason(num *phonenumbers.PhoneNumber, region string) Reason {
	length := len(phonenumbers.GetNationalSignificantNumber(num))
	if lengths, ok := mobileLengths()[region]; ok {
		switch {
		case length < lengths.min:
			return ReasonTooShort
		case length > lengths.max:
			return ReasonTooLong
		}
		return ReasonInvalid
	}

	switch phonenumbers.IsPossibleNumberWithReason(num) {
	case phonenumbers.TOO_SHORT:
		return ReasonTooShort
	case phonenumbers.TOO_LONG:
		return ReasonTooLong
	case phonenumbers.INVALID_COUNTRY_CODE:
		return ReasonInvalidCountryCode
	}
	return ReasonInvalid
}

// libraryError converts an error from phonenumbers.Parse. Scan has already
// rejected every character the library would have ignored, so only the
// number's digits can be at fault here. The region is the one the digits
// were parsed in, or "" for input with a country code.
func libraryError(err error, international bool, region string) *Error {
	switch {
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		if international {
			return &Error{Reason: ReasonInvalidCountryCode}
		}
		return &Error{Reason: ReasonMissingCountryCode}
	case errors.Is(err, phonenumbers.ErrNumTooLong):
		return &Error{Reason: ReasonTooLong, Region: region}
	case errors.Is(err, phonenumbers.ErrTooShortNSN),
		errors.Is(err, phonenumbers.ErrTooShortAfterIDD),
		errors.Is(err, phonenumbers.ErrNotANumber):
		return &Error{Reason: ReasonTooShort, Region: region}
	}
	return &Error{Reason: ReasonInvalid, Region: region}
}

// scan checks every character of input and returns its digits in ASCII, and
// whether it starts with a country code (a plus sign or 00). It returns an
// *Error for any character that is not part of how people write a number.
func scan(input string) (digits string, international bool, err *Error) {
	// Any character is at most utf8.UTFMax bytes, so this bounds the work
	// before the input is decoded at all.
	if len(input) > MaxInputLength*utf8.UTFMax {
		return "", false, &Error{Reason: ReasonInputTooLong}
	}
	if !utf8.ValidString(input) {
		return "", false, &Error{Reason: ReasonInvalidCharacter, Char: utf8.RuneError}
	}
	if utf8.RuneCountInString(input) > MaxInputLength {
		return "", false, &Error{Reason: ReasonInputTooLong}
	}

	var b strings.Builder
	plus, blank := false, true
	input = strings.TrimSpace(input)
	for i, r := range input {
		if isIgnorable(r) || isSeparator(r) {
			continue
		}
		blank = false
		if d, ok := asciiDigit(r); ok {
			b.WriteByte(d)
			continue
		}
		if r == '+' || r == '＋' {
			// One plus sign, before any digit: "(+31) 6" is how some
			// people write it.
			if plus || b.Len() > 0 {
				return "", false, &Error{Reason: ReasonInvalidCharacter, Char: '+'}
			}
			plus = true
			continue
		}
		return "", false, rejectRest(r, input[i:], b.Len() > 0)
	}

	if blank {
		return "", false, &Error{Reason: ReasonEmpty}
	}
	digits = b.String()
	if !plus && strings.HasPrefix(digits, "00") {
		// 00 is the international prefix in most countries, so it is read
		// as one whatever region is selected, even the United States,
		// which dials 011 (the library handles 011 under the US flag).
		plus, digits = true, digits[2:]
	}
	if digits == "" {
		return "", plus, &Error{Reason: ReasonTooShort}
	}
	return digits, plus, nil
}

// extensionPattern matches the rest of an input, lower-cased and with ASCII
// digits, that starts with an extension marker followed by the extension:
// "ext. 12", "x12", "#12", ";ext=12", ",,12" (dialing pauses) and the Dutch
// "toestel 12".
var extensionPattern = regexp.MustCompile(
	`^(?:;ext=|;|,+|#|ext\.?|extn\.?|extension|x|toestel|tst\.?)[\s.:=]*[0-9]+#?$`)

// rejectRest returns the error for the first character r that scan does
// not accept, where rest is the input from r on.
func rejectRest(r rune, rest string, afterDigits bool) *Error {
	if afterDigits && extensionPattern.MatchString(normalizeRest(rest)) {
		return &Error{Reason: ReasonExtension}
	}
	if unicode.IsLetter(r) {
		return &Error{Reason: ReasonLetters}
	}
	return &Error{Reason: ReasonInvalidCharacter, Char: r}
}

// normalizeRest lower-cases s and writes its digits in ASCII and its spaces
// as ' ', so extensionPattern matches the same text in every script.
func normalizeRest(s string) string {
	return strings.Map(func(r rune) rune {
		if d, ok := asciiDigit(r); ok {
			return rune(d)
		}
		if unicode.IsSpace(r) {
			return ' '
		}
		return unicode.ToLower(r)
	}, s)
}

// asciiDigit returns the ASCII digit for r when r is a digit in ASCII,
// full-width (as Japanese and Chinese input methods write them), Arabic-Indic
// or Extended Arabic-Indic (Persian and Urdu) form.
func asciiDigit(r rune) (byte, bool) {
	for _, zero := range [...]rune{'0', '０', '٠', '۰'} {
		if r >= zero && r <= zero+9 {
			return byte('0' + r - zero), true
		}
	}
	return 0, false
}

// isSeparator reports whether r is one of the characters people put between
// the digits of a number: spaces, dashes, dots, slashes and parentheses, in
// their ASCII and common Unicode forms.
func isSeparator(r rune) bool {
	switch r {
	case '-', '.', '/', '(', ')',
		'‐', '‑', '‒', '–', '—', '―', '−', // hyphen to horizontal bar, minus sign
		'－', '．', '／', '（', '）': // full-width forms
		return true
	}
	return unicode.Is(unicode.Zs, r)
}

// isIgnorable reports whether r is an invisible bidirectional mark or
// isolate. Text copied from right-to-left pages can carry these around a
// number, and they carry no digits, so they are skipped rather than
// rejected. Overrides and embeddings (U+202A to U+202E), which change how
// the digits display, are still rejected.
func isIgnorable(r rune) bool {
	switch {
	case r == '\u200e', r == '\u200f', r == '\u061c': // LRM, RLM, ALM
		return true
	case r >= '\u2066' && r <= '\u2069': // isolates
		return true
	}
	return false
}
