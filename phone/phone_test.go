package phone

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

var update = flag.Bool("update", false, "rewrite testdata/types.golden from the current numbering metadata")

// parseCase is one input to Parse and either the number it returns or the
// reason, region and type of the error.
type parseCase struct {
	name   string
	input  string
	region string

	want Number

	wantReason Reason
	wantRegion string // region of the error
	wantType   Type   // type of the error
}

var parseCases = []parseCase{
	// Dutch numbers.
	{name: "NL national with 06", input: "06 12345678", region: "NL",
		want: Number{E164: "+31612345678", Region: "NL", Type: TypeMobile}},
	{name: "NL with +31", input: "+31 6 12345678",
		want: Number{E164: "+31612345678", Region: "NL", Type: TypeMobile}},
	{name: "NL with 0031", input: "0031 6 12345678",
		want: Number{E164: "+31612345678", Region: "NL", Type: TypeMobile}},
	{name: "NL with 0031 under US flag", input: "0031612345678", region: "US",
		want: Number{E164: "+31612345678", Region: "NL", Type: TypeMobile}},
	{name: "NL +31 wins over DE flag", input: "+31612345678", region: "DE",
		want: Number{E164: "+31612345678", Region: "NL", Type: TypeMobile}},
	{name: "NL trunk prefix after code", input: "+31 (0)6 12345678",
		want: Number{E164: "+31612345678", Region: "NL", Type: TypeMobile}},
	{name: "NL dashes", input: "06-12345678", region: "NL",
		want: Number{E164: "+31612345678", Region: "NL", Type: TypeMobile}},
	{name: "NL dots", input: "06.12.34.56.78", region: "NL",
		want: Number{E164: "+31612345678", Region: "NL", Type: TypeMobile}},
	{name: "NL parentheses", input: "(06) 1234 5678", region: "NL",
		want: Number{E164: "+31612345678", Region: "NL", Type: TypeMobile}},
	{name: "NL without trunk prefix", input: "6 12345678", region: "NL",
		want: Number{E164: "+31612345678", Region: "NL", Type: TypeMobile}},
	{name: "NL lower-case region", input: "06 12345678", region: "nl",
		want: Number{E164: "+31612345678", Region: "NL", Type: TypeMobile}},
	{name: "NL surrounding spaces", input: "  06 12345678\n", region: "NL",
		want: Number{E164: "+31612345678", Region: "NL", Type: TypeMobile}},
	{name: "NL bidirectional marks", input: "\u200e+31 6 12345678\u200f",
		want: Number{E164: "+31612345678", Region: "NL", Type: TypeMobile}},

	// Numbers of the United Kingdom and the Crown Dependencies under +44.
	{name: "GB trunk prefix after code", input: "+44 (0)7400 123456",
		want: Number{E164: "+447400123456", Region: "GB", Type: TypeMobile}},
	{name: "GB national", input: "07400 123456", region: "GB",
		want: Number{E164: "+447400123456", Region: "GB", Type: TypeMobile}},
	{name: "GB with 0044 under NL flag", input: "0044 7400 123456", region: "NL",
		want: Number{E164: "+447400123456", Region: "GB", Type: TypeMobile}},
	{name: "Isle of Man", input: "+44 7624 123456",
		want: Number{E164: "+447624123456", Region: "IM", Type: TypeMobile}},
	{name: "Isle of Man under GB flag", input: "07624 123456", region: "GB",
		want: Number{E164: "+447624123456", Region: "IM", Type: TypeMobile}},
	{name: "Jersey", input: "+44 7797 712345",
		want: Number{E164: "+447797712345", Region: "JE", Type: TypeMobile}},
	{name: "Guernsey", input: "+44 7781 123456",
		want: Number{E164: "+447781123456", Region: "GG", Type: TypeMobile}},

	// The North American Numbering Plan under +1.
	{name: "US fixed line or mobile", input: "(201) 555-0123", region: "US",
		want: Number{E164: "+12015550123", Region: "US", Type: TypeFixedLineOrMobile}},
	{name: "CA under US flag", input: "204-234-5678", region: "US",
		want: Number{E164: "+12042345678", Region: "CA", Type: TypeFixedLineOrMobile}},
	{name: "CA with +1", input: "+1 204 234 5678", region: "US",
		want: Number{E164: "+12042345678", Region: "CA", Type: TypeFixedLineOrMobile}},
	{name: "Jamaica", input: "1 876 210 1234", region: "US",
		want: Number{E164: "+18762101234", Region: "JM", Type: TypeMobile}},
	{name: "US international prefix 011", input: "011 44 7400 123456", region: "US",
		want: Number{E164: "+447400123456", Region: "GB", Type: TypeMobile}},

	// Russia and Kazakhstan under +7.
	{name: "KZ under RU flag", input: "8 771 000 9998", region: "RU",
		want: Number{E164: "+77710009998", Region: "KZ", Type: TypeMobile}},
	{name: "RU", input: "+7 912 345-67-89",
		want: Number{E164: "+79123456789", Region: "RU", Type: TypeMobile}},

	// Digits in other scripts.
	{name: "full-width digits", input: "＋３１ ６ １２３４ ５６７８",
		want: Number{E164: "+31612345678", Region: "NL", Type: TypeMobile}},
	{name: "Arabic-Indic digits", input: "٠٦١٢٣٤٥٦٧٨", region: "NL",
		want: Number{E164: "+31612345678", Region: "NL", Type: TypeMobile}},
	{name: "Extended Arabic-Indic digits", input: "۰۶ ۱۲۳۴ ۵۶۷۸", region: "NL",
		want: Number{E164: "+31612345678", Region: "NL", Type: TypeMobile}},

	// Numbers that cannot receive an SMS.
	{name: "fixed line", input: "+31 20 123 4567",
		wantReason: ReasonNotMobile, wantRegion: "NL", wantType: TypeFixedLine},
	{name: "fixed line national", input: "020 123 4567", region: "NL",
		wantReason: ReasonNotMobile, wantRegion: "NL", wantType: TypeFixedLine},
	{name: "Jersey fixed line", input: "+44 1534 456789",
		wantReason: ReasonNotMobile, wantRegion: "JE", wantType: TypeFixedLine},
	{name: "premium rate", input: "+31 900 1234567",
		wantReason: ReasonNotMobile, wantRegion: "NL", wantType: TypePremiumRate},
	{name: "toll free", input: "0800 1234", region: "NL",
		wantReason: ReasonNotMobile, wantRegion: "NL", wantType: TypeTollFree},
	{name: "US toll free", input: "+1 800 234 5678",
		wantReason: ReasonNotMobile, wantRegion: "US", wantType: TypeTollFree},
	{name: "shared cost", input: "+32 78 79 12 34",
		wantReason: ReasonNotMobile, wantRegion: "BE", wantType: TypeSharedCost},
	{name: "VoIP", input: "+44 56 1234 5678",
		wantReason: ReasonNotMobile, wantRegion: "GB", wantType: TypeVoIP},
	{name: "personal number", input: "+44 70 1234 5678",
		wantReason: ReasonNotMobile, wantRegion: "GB", wantType: TypePersonal},
	{name: "pager", input: "+44 76 4012 3456",
		wantReason: ReasonNotMobile, wantRegion: "GB", wantType: TypePager},
	{name: "UAN", input: "+31 88 123 4567",
		wantReason: ReasonNotMobile, wantRegion: "NL", wantType: TypeUAN},
	{name: "voicemail", input: "+49 177 99 1234567",
		wantReason: ReasonNotMobile, wantRegion: "DE", wantType: TypeVoicemail},
	{name: "non-geographic toll free", input: "+800 1234 5678",
		wantReason: ReasonNotMobile, wantType: TypeTollFree},
	{name: "satellite mobile", input: "+881 6 12345678",
		wantReason: ReasonNonGeographic, wantType: TypeMobile},

	// Invalid numbers.
	{name: "too short", input: "+31 6 1234",
		wantReason: ReasonTooShort, wantRegion: "NL"},
	{name: "too long", input: "+31 6 1234 5678 9012",
		wantReason: ReasonTooLong, wantRegion: "NL"},
	{name: "invalid in selected region", input: "06 12345678", region: "JE",
		wantReason: ReasonInvalid, wantRegion: "JE"},
	{name: "invalid country code", input: "+999 1234 5678",
		wantReason: ReasonInvalidCountryCode},
	{name: "no country code or region", input: "0612345678",
		wantReason: ReasonMissingCountryCode},
	{name: "unsupported region", input: "06 12345678", region: "XX",
		wantReason: ReasonMissingCountryCode},

	// Input that is not a number.
	{name: "letters", input: "1-800-FLOWERS", region: "US",
		wantReason: ReasonLetters},
	{name: "letter among digits", input: "06 1234 567a", region: "NL",
		wantReason: ReasonLetters},
	{name: "URI scheme", input: "tel:+31612345678",
		wantReason: ReasonLetters},
	{name: "extension ext.", input: "+31 6 1234 5678 ext. 12",
		wantReason: ReasonExtension},
	{name: "extension x", input: "+31 6 12345678 x12",
		wantReason: ReasonExtension},
	{name: "extension hash", input: "+31612345678#12",
		wantReason: ReasonExtension},
	{name: "extension RFC 3966", input: "+31612345678;ext=12",
		wantReason: ReasonExtension},
	{name: "empty", input: "",
		wantReason: ReasonEmpty},
	{name: "whitespace only", input: " \t\u00a0\u3000 ", region: "NL",
		wantReason: ReasonEmpty},
	{name: "10000 characters", input: strings.Repeat("6", 10000), region: "NL",
		wantReason: ReasonInputTooLong},
	{name: "one character over limit", input: strings.Repeat("٦", MaxInputLength+1), region: "NL",
		wantReason: ReasonInputTooLong},
	{name: "lone plus", input: "+",
		wantReason: ReasonTooShort},
	{name: "00 then nothing", input: "00", region: "NL",
		wantReason: ReasonTooShort},
	{name: "NUL character", input: "06\x0012345678", region: "NL",
		wantReason: ReasonInvalidCharacter},
	{name: "escape character", input: "06 \x1b[31m12345678", region: "NL",
		wantReason: ReasonInvalidCharacter},
	{name: "tab inside", input: "06\t12345678", region: "NL",
		wantReason: ReasonInvalidCharacter},
	{name: "emoji", input: "06 1234 5678 📱", region: "NL",
		wantReason: ReasonInvalidCharacter},
	{name: "right-to-left override", input: "+31\u202e612345678",
		wantReason: ReasonInvalidCharacter},
	{name: "invalid UTF-8", input: "06\xff12345678", region: "NL",
		wantReason: ReasonInvalidCharacter},
	{name: "plus after digits", input: "+31 6 12+345678",
		wantReason: ReasonInvalidCharacter},
	{name: "two plus signs", input: "++31612345678",
		wantReason: ReasonInvalidCharacter},
	{name: "asterisk", input: "*31#", region: "NL",
		wantReason: ReasonInvalidCharacter},
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.input, tc.region)
			if tc.wantReason == 0 {
				if err != nil {
					t.Fatalf("Parse(%q, %q) error = %v, want %s", tc.input, tc.region, err, tc.want.E164)
				}
				if got != tc.want {
					t.Errorf("Parse(%q, %q) = %+v, want %+v", tc.input, tc.region, got, tc.want)
				}
				return
			}

			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("Parse(%q, %q) = %+v, %v; want *Error with reason %s",
					tc.input, tc.region, got, err, tc.wantReason)
			}
			if got != (Number{}) {
				t.Errorf("Parse(%q, %q) number = %+v, want zero Number with an error", tc.input, tc.region, got)
			}
			if perr.Reason != tc.wantReason {
				t.Errorf("Parse(%q, %q) reason = %s, want %s", tc.input, tc.region, perr.Reason, tc.wantReason)
			}
			if perr.Region != tc.wantRegion {
				t.Errorf("Parse(%q, %q) error region = %q, want %q", tc.input, tc.region, perr.Region, tc.wantRegion)
			}
			if perr.Type != tc.wantType {
				t.Errorf("Parse(%q, %q) error type = %s, want %s", tc.input, tc.region, perr.Type, tc.wantType)
			}
		})
	}
}

func TestParseAcceptedReparse(t *testing.T) {
	for _, tc := range parseCases {
		if tc.wantReason != 0 {
			continue
		}
		again, err := Parse(tc.want.E164, "")
		if err != nil {
			t.Errorf("Parse(%q, \"\") error = %v, want %s", tc.want.E164, err, tc.want.E164)
			continue
		}
		if again != tc.want {
			t.Errorf("Parse(%q, \"\") = %+v, want %+v", tc.want.E164, again, tc.want)
		}
	}
}

func TestParseMaxInputLength(t *testing.T) {
	// Exactly MaxInputLength characters is accepted: a valid number padded
	// with spaces between the digits.
	input := "+31 6 12345678"
	input += strings.Repeat(" ", MaxInputLength-len(input)-1) + "\u3000"
	if n := len([]rune(input)); n != MaxInputLength {
		t.Fatalf("test input has %d characters, want %d", n, MaxInputLength)
	}
	if _, err := Parse(input, ""); err != nil {
		t.Errorf("Parse(input of MaxInputLength characters) error = %v, want nil", err)
	}
}

func TestErrorMessageNotMobile(t *testing.T) {
	_, err := Parse("+31 20 123 4567", "")
	var perr *Error
	if !errors.As(err, &perr) {
		t.Fatalf("Parse error = %v, want *Error", err)
	}

	tests := []struct {
		lang string
		want string
	}{
		{"en", "+31 20 123 4567 is a fixed-line number in the Netherlands; enter a mobile number."},
		{"nl", "+31 20 123 4567 is een vast nummer in Nederland; vul een mobiel nummer in."},
		{"nl-BE", "+31 20 123 4567 is een vast nummer in Nederland; vul een mobiel nummer in."},
		{"de", "+31 20 123 4567 is a fixed-line number in the Netherlands; enter a mobile number."},
		{"", "+31 20 123 4567 is a fixed-line number in the Netherlands; enter a mobile number."},
	}
	for _, tt := range tests {
		if got := perr.Message(tt.lang); got != tt.want {
			t.Errorf("Message(%q) = %q, want %q", tt.lang, got, tt.want)
		}
	}

	wantError := "phone: +31 20 ••• ••67 is a fixed-line number in the Netherlands; enter a mobile number."
	if got := perr.Error(); got != wantError {
		t.Errorf("Error() = %q, want %q", got, wantError)
	}
}

func TestErrorMessageArticles(t *testing.T) {
	tests := []struct {
		region string
		lang   string
		want   string
	}{
		{"US", "en", "The number is too short for a mobile number in the United States."},
		{"US", "nl", "Het nummer is te kort voor een mobiel nummer in de Verenigde Staten."},
		{"GB", "nl", "Het nummer is te kort voor een mobiel nummer in het Verenigd Koninkrijk."},
		{"IM", "en", "The number is too short for a mobile number in the Isle of Man."},
		{"DE", "en", "The number is too short for a mobile number in Germany."},
		{"DE", "nl", "Het nummer is te kort voor een mobiel nummer in Duitsland."},
		{"", "en", "The number is too short for a mobile number."},
	}
	for _, tt := range tests {
		e := &Error{Reason: ReasonTooShort, Region: tt.region}
		if got := e.Message(tt.lang); got != tt.want {
			t.Errorf("Message(%q) for region %q = %q, want %q", tt.lang, tt.region, got, tt.want)
		}
	}
}

func TestErrorMessagesEveryReason(t *testing.T) {
	for reason := ReasonEmpty; reason <= ReasonNonGeographic; reason++ {
		e := &Error{Reason: reason, Region: "NL", Type: TypeFixedLine, Number: "+31201234567", Char: '\a'}
		english, dutch := e.Message("en"), e.Message("nl")
		if english == "" || dutch == "" {
			t.Errorf("%s: Message(en) = %q, Message(nl) = %q, want both non-empty", reason, english, dutch)
		}
		if english == dutch {
			t.Errorf("%s: Message(nl) = %q, want a Dutch text that differs from English", reason, dutch)
		}
		if strings.Contains(e.Error(), "201234567") {
			t.Errorf("%s: Error() = %q, want the number masked", reason, e.Error())
		}
		if !strings.HasPrefix(e.Error(), "phone: ") {
			t.Errorf("%s: Error() = %q, want prefix %q", reason, e.Error(), "phone: ")
		}
	}
}

func TestErrorMessageInvalidCharacter(t *testing.T) {
	tests := []struct {
		char rune
		want string
	}{
		{'\a', "The number contains the character U+0007, which is not part of a phone number. " +
			"Use only digits, spaces, dashes, dots and parentheses."},
		{'📱', "The number contains “📱”, which is not part of a phone number. " +
			"Use only digits, spaces, dashes, dots and parentheses."},
		{'+', "A plus sign (+) can only stand at the start of the number."},
	}
	for _, tt := range tests {
		e := &Error{Reason: ReasonInvalidCharacter, Char: tt.char}
		if got := e.Message("en"); got != tt.want {
			t.Errorf("Message(en) for %U = %q, want %q", tt.char, got, tt.want)
		}
	}
}

func TestReasonAndTypeStrings(t *testing.T) {
	if got, want := ReasonNotMobile.String(), "not-mobile"; got != want {
		t.Errorf("ReasonNotMobile.String() = %q, want %q", got, want)
	}
	if got, want := Reason(0).String(), "Reason(0)"; got != want {
		t.Errorf("Reason(0).String() = %q, want %q", got, want)
	}
	if got, want := TypeFixedLineOrMobile.String(), "fixed-line-or-mobile"; got != want {
		t.Errorf("TypeFixedLineOrMobile.String() = %q, want %q", got, want)
	}
	if got, want := Type(99).String(), "unknown"; got != want {
		t.Errorf("Type(99).String() = %q, want %q", got, want)
	}
}

const goldenPath = "testdata/types.golden"

// TestTypesGolden fails when an upgrade of the numbering metadata changes
// the region or type of a number in testdata/types.golden, or whether Parse
// accepts it.
func TestTypesGolden(t *testing.T) {
	golden, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}

	var got bytes.Buffer
	lines := bufio.NewScanner(bytes.NewReader(golden))
	for lines.Scan() {
		line := lines.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			got.WriteString(line + "\n")
			continue
		}
		fields := strings.Fields(line)
		got.WriteString(goldenLine(t, fields[0]) + "\n")
	}
	if err := lines.Err(); err != nil {
		t.Fatal(err)
	}

	if *update {
		if err := os.WriteFile(goldenPath, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if bytes.Equal(got.Bytes(), golden) {
		return
	}
	gotLines := strings.Split(got.String(), "\n")
	wantLines := strings.Split(string(golden), "\n")
	for i := range max(len(gotLines), len(wantLines)) {
		var g, w string
		if i < len(gotLines) {
			g = gotLines[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if g != w {
			t.Errorf("%s line %d:\n got: %q\nwant: %q", goldenPath, i+1, g, w)
		}
	}
	t.Log("The numbering metadata changed these verdicts. Review them, then rerun with -update.")
}

// goldenLine returns the line of testdata/types.golden for a number in
// E.164 format.
func goldenLine(t *testing.T, e164 string) string {
	t.Helper()
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		t.Fatalf("phonenumbers.Parse(%q) error = %v", e164, err)
	}
	region := phonenumbers.GetRegionCodeForNumber(num)
	typ := typeOf(phonenumbers.GetNumberType(num))

	verdict := "accepted"
	if _, err := Parse(e164, ""); err != nil {
		var perr *Error
		if !errors.As(err, &perr) {
			t.Fatalf("Parse(%q) error = %v, want *Error", e164, err)
		}
		verdict = perr.Reason.String()
	}
	return strings.TrimRight(fmt.Sprintf("%-19s%-8s%-22s%s", e164, region, typ, verdict), " ")
}

func TestCallingCode(t *testing.T) {
	tests := []struct {
		region string
		want   int
	}{
		{"NL", 31}, {"nl", 31}, {"GB", 44}, {"IM", 44}, {"US", 1}, {"CA", 1}, {"KZ", 7},
		{"", 0}, {"XX", 0}, {"001", 0}, {"NLD", 0},
	}
	for _, tt := range tests {
		if got := CallingCode(tt.region); got != tt.want {
			t.Errorf("CallingCode(%q) = %d, want %d", tt.region, got, tt.want)
		}
	}
}
