package phone

import (
	"fmt"
	"unicode"

	"golang.org/x/text/language"
)

// Reason is the cause of a rejection by Parse.
type Reason int

const (
	// ReasonEmpty is an input with no characters other than spaces and
	// separators.
	ReasonEmpty Reason = iota + 1
	// ReasonInputTooLong is an input of more than MaxInputLength characters.
	ReasonInputTooLong
	// ReasonInvalidCharacter is an input with a character that is not part
	// of a phone number, such as a control character, an emoji or a plus
	// sign after the first digit. Error.Char is the character.
	ReasonInvalidCharacter
	// ReasonLetters is an input with letters, including vanity numbers such
	// as 1-800-FLOWERS.
	ReasonLetters
	// ReasonExtension is a number followed by an extension ("ext. 12",
	// "x12", "#12", ";ext=12").
	ReasonExtension
	// ReasonMissingCountryCode is a national number with no region selected.
	ReasonMissingCountryCode
	// ReasonInvalidCountryCode is a number that starts with a plus sign or
	// 00 and then with no assigned country calling code.
	ReasonInvalidCountryCode
	// ReasonTooShort is a number with fewer digits than a mobile number of
	// its country.
	ReasonTooShort
	// ReasonTooLong is a number with more digits than a mobile number of its
	// country.
	ReasonTooLong
	// ReasonInvalid is a number of a possible length that is not valid in
	// its country.
	ReasonInvalid
	// ReasonNotMobile is a valid number that cannot receive an SMS, such as
	// a fixed-line or toll-free number. Error.Type is its type.
	ReasonNotMobile
	// ReasonNonGeographic is a mobile number under a calling code that
	// belongs to no country, such as the satellite phones under +881.
	ReasonNonGeographic
)

var reasonNames = [...]string{
	ReasonEmpty:              "empty",
	ReasonInputTooLong:       "input-too-long",
	ReasonInvalidCharacter:   "invalid-character",
	ReasonLetters:            "letters",
	ReasonExtension:          "extension",
	ReasonMissingCountryCode: "missing-country-code",
	ReasonInvalidCountryCode: "invalid-country-code",
	ReasonTooShort:           "too-short",
	ReasonTooLong:            "too-long",
	ReasonInvalid:            "invalid",
	ReasonNotMobile:          "not-mobile",
	ReasonNonGeographic:      "non-geographic",
}

// String returns a lower-case identifier for r, such as "not-mobile".
func (r Reason) String() string {
	if r <= 0 || int(r) >= len(reasonNames) {
		return fmt.Sprintf("Reason(%d)", int(r))
	}
	return reasonNames[r]
}

// Error is the error Parse returns for an input it rejects.
type Error struct {
	Reason Reason
	// Region is the ISO 3166-1 alpha-2 code of the country the number was
	// detected in: from its country code, or else the selected region. It
	// is empty when no country is known: for input that Parse rejected
	// before reading the digits, and for calling codes of no country.
	Region string
	// Type is the number's type, set for ReasonNotMobile and
	// ReasonNonGeographic.
	Type Type
	// Number is the number in E.164 format, set for ReasonNotMobile and
	// ReasonNonGeographic.
	Number string
	// Char is the rejected character, set for ReasonInvalidCharacter. It is
	// utf8.RuneError for input that is not valid UTF-8.
	Char rune
}

// Error returns the English message with the number masked, so that an
// error written to a log never contains the whole number.
func (e *Error) Error() string {
	number := ""
	if e.Number != "" {
		number = Mask(e.Number)
	}
	return "phone: " + e.message(language.English, number)
}

// Message returns the message to show the person who typed the number, in
// English for lang "en" and in Dutch for lang "nl" (a BCP 47 tag, so "nl-BE"
// is Dutch too). Any other lang gives English. The message contains the
// whole number, formatted for reading.
func (e *Error) Message(lang string) string {
	number := ""
	if e.Number != "" {
		number = FormatInternational(e.Number)
	}
	return e.message(messageLanguage(lang), number)
}

func messageLanguage(lang string) language.Tag {
	tag, err := language.Parse(lang)
	if err != nil {
		return language.English
	}
	if base, _ := tag.Base(); base.String() == "nl" {
		return language.Dutch
	}
	return language.English
}

func (e *Error) message(lang language.Tag, number string) string {
	if lang == language.Dutch {
		return e.messageDutch(number)
	}
	return e.messageEnglish(number)
}

func (e *Error) messageEnglish(number string) string {
	in := ""
	if e.Region != "" {
		in = " in " + withArticle(language.English, e.Region)
	}

	switch e.Reason {
	case ReasonEmpty:
		return "Enter a mobile number."
	case ReasonInputTooLong:
		return fmt.Sprintf("The number is too long. Enter at most %d characters.", MaxInputLength)
	case ReasonInvalidCharacter:
		if e.Char == '+' {
			return "A plus sign (+) can only stand at the start of the number."
		}
		return fmt.Sprintf("The number contains %s, which is not part of a phone number. "+
			"Use only digits, spaces, dashes, dots and parentheses.", describeChar(e.Char, "the character"))
	case ReasonLetters:
		return "A phone number cannot contain letters. Enter the number as digits."
	case ReasonExtension:
		return "Enter the mobile number without an extension."
	case ReasonMissingCountryCode:
		return "Select a country, or start the number with its country code, such as +31."
	case ReasonInvalidCountryCode:
		return "The number does not start with a valid country code."
	case ReasonTooShort:
		return "The number is too short for a mobile number" + in + "."
	case ReasonTooLong:
		return "The number is too long for a mobile number" + in + "."
	case ReasonInvalid:
		return "The number is not a valid phone number" + in + ". Check the digits and the selected country."
	case ReasonNotMobile:
		return fmt.Sprintf("%s is %s%s; enter a mobile number.", number, typePhraseEnglish(e.Type), in)
	case ReasonNonGeographic:
		return fmt.Sprintf("%s is a satellite or other non-geographic number; "+
			"enter a mobile number of a country.", number)
	}
	return "The number is not valid."
}

func (e *Error) messageDutch(number string) string {
	in := ""
	if e.Region != "" {
		in = " in " + withArticle(language.Dutch, e.Region)
	}

	switch e.Reason {
	case ReasonEmpty:
		return "Vul een mobiel nummer in."
	case ReasonInputTooLong:
		return fmt.Sprintf("Het nummer is te lang. Gebruik hoogstens %d tekens.", MaxInputLength)
	case ReasonInvalidCharacter:
		if e.Char == '+' {
			return "Een plusteken (+) kan alleen aan het begin van het nummer staan."
		}
		return fmt.Sprintf("Het nummer bevat %s, dat geen deel van een telefoonnummer is. "+
			"Gebruik alleen cijfers, spaties, streepjes, punten en haakjes.", describeChar(e.Char, "het teken"))
	case ReasonLetters:
		return "Een telefoonnummer kan geen letters bevatten. Vul het nummer in cijfers in."
	case ReasonExtension:
		return "Vul het mobiele nummer in zonder toestelnummer."
	case ReasonMissingCountryCode:
		return "Kies een land, of begin het nummer met het landnummer, zoals +31."
	case ReasonInvalidCountryCode:
		return "Het nummer begint niet met een geldig landnummer."
	case ReasonTooShort:
		return "Het nummer is te kort voor een mobiel nummer" + in + "."
	case ReasonTooLong:
		return "Het nummer is te lang voor een mobiel nummer" + in + "."
	case ReasonInvalid:
		return "Het nummer is geen geldig telefoonnummer" + in + ". Controleer de cijfers en het gekozen land."
	case ReasonNotMobile:
		return fmt.Sprintf("%s is %s%s; vul een mobiel nummer in.", number, typePhraseDutch(e.Type), in)
	case ReasonNonGeographic:
		return fmt.Sprintf("%s is een satelliet- of ander niet-geografisch nummer; "+
			"vul een mobiel nummer van een land in.", number)
	}
	return "Het nummer is niet geldig."
}

// describeChar writes r for a message: a printable character in quotes,
// others as noun and code point ("the character U+0007"), since a control
// character would not show.
func describeChar(r rune, noun string) string {
	if unicode.IsPrint(r) && r != unicode.ReplacementChar {
		return fmt.Sprintf("“%c”", r)
	}
	return fmt.Sprintf("%s U+%04X", noun, r)
}

func typePhraseEnglish(t Type) string {
	switch t {
	case TypeFixedLine:
		return "a fixed-line number"
	case TypeTollFree:
		return "a toll-free number"
	case TypePremiumRate:
		return "a premium-rate number"
	case TypeSharedCost:
		return "a shared-cost number"
	case TypeVoIP:
		return "a VoIP number"
	case TypePersonal:
		return "a personal (forwarding) number"
	case TypePager:
		return "a pager number"
	case TypeUAN:
		return "a company number (UAN)"
	case TypeVoicemail:
		return "a voicemail access number"
	}
	return "not a mobile number"
}

func typePhraseDutch(t Type) string {
	switch t {
	case TypeFixedLine:
		return "een vast nummer"
	case TypeTollFree:
		return "een gratis nummer"
	case TypePremiumRate:
		return "een betaald informatienummer"
	case TypeSharedCost:
		return "een nummer met gedeelde kosten"
	case TypeVoIP:
		return "een VoIP-nummer"
	case TypePersonal:
		return "een persoonlijk doorschakelnummer"
	case TypePager:
		return "een semafoonnummer"
	case TypeUAN:
		return "een bedrijfsnummer"
	case TypeVoicemail:
		return "een voicemailnummer"
	}
	return "geen mobiel nummer"
}

// Names that take an article after "in", keyed by region code, because the
// article depends on the name in each language and the names come from CLDR
// (golang.org/x/text/language/display).
var (
	englishThe = regionSet("AE AX BQ BS CC CF CK DO FK FO GB GM IM IO KM KY MH MP MV NL PH PS SB SC TC US VG VI")
	dutchDe    = regionSet("AE BS CC CF CK DO FK FO KM KY MH MP MV PH PS SB SC TC US VG VI")
	dutchHet   = regionSet("GB IO")
)

// withArticle returns the name of region in lang, with "the", "de" or "het"
// before it where the language puts one after "in": "the Netherlands",
// "de Verenigde Staten", "het Verenigd Koninkrijk".
func withArticle(lang language.Tag, region string) string {
	name := regionName(lang, region)
	switch {
	case lang == language.Dutch && dutchDe[region]:
		return "de " + name
	case lang == language.Dutch && dutchHet[region]:
		return "het " + name
	case lang == language.English && englishThe[region]:
		return "the " + name
	}
	return name
}
