package sms

import (
	"log/slog"
	"strings"
)

// twoDigitCallingCodes lists the ITU-T E.164 country calling codes of two
// digits. Calling codes are prefix-free: 1 and 7 are the only one-digit codes,
// and every code that starts with neither and is not listed here has three
// digits.
var twoDigitCallingCodes = map[string]bool{
	"20": true, "27": true, "30": true, "31": true, "32": true, "33": true,
	"34": true, "36": true, "39": true, "40": true, "41": true, "43": true,
	"44": true, "45": true, "46": true, "47": true, "48": true, "49": true,
	"51": true, "52": true, "53": true, "54": true, "55": true, "56": true,
	"57": true, "58": true, "60": true, "61": true, "62": true, "63": true,
	"64": true, "65": true, "66": true, "81": true, "82": true, "84": true,
	"86": true, "90": true, "91": true, "92": true, "93": true, "94": true,
	"95": true, "98": true,
}

// callingCodeLength returns how many leading digits of an E.164 number,
// without its "+", form the country calling code.
func callingCodeLength(digits string) int {
	switch {
	case digits[0] == '1' || digits[0] == '7':
		return 1
	case twoDigitCallingCodes[digits[:2]]:
		return 2
	default:
		return 3
	}
}

// MaskNumber returns an E.164 number with every digit replaced by "*" except
// the country calling code and the last two digits: "+31612345678" becomes
// "+31*******78". A value that is not an E.164 number is returned as
// "[not E.164]", because it cannot be masked reliably.
func MaskNumber(number string) string {
	if !e164Pattern.MatchString(number) {
		return "[not E.164]"
	}
	digits := number[1:]
	keep := callingCodeLength(digits)
	hidden := len(digits) - keep - 2
	return "+" + digits[:keep] + strings.Repeat("*", hidden) + digits[len(digits)-2:]
}

// LogAttrs returns the attributes under which a message may be logged: the
// masked destination only. The body is left out because it contains the code.
func LogAttrs(m Message) []slog.Attr {
	return []slog.Attr{slog.String("to", MaskNumber(m.To))}
}

// LogValue makes a Message that is passed to slog log only what LogAttrs
// returns.
func (m Message) LogValue() slog.Value {
	return slog.GroupValue(LogAttrs(m)...)
}
