package sms

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// CodeMessage returns the text of a sign-in code SMS in English, or in Dutch
// when lang is "nl" (or a Dutch tag such as "nl-BE"). The text names product
// (the office or product name) and gives the code and how long it stays
// valid. Its last line is the origin-bound one-time code "@host #code" of the
// WICG draft "Origin-bound one-time codes delivered via SMS"
// (https://wicg.github.io/sms-one-time-codes/), so that browsers offer the
// code only on host. For example:
//
//	123456 is your Example Office sign-in code. It is valid for 10 minutes. Never share it.
//
//	@login.example.com #123456
//
// host may be a bare host name or a URL. Its scheme, port and path are
// dropped because the format carries a host only. With an empty host the
// last line is left out. Line breaks and control characters in product
// become spaces, so that product cannot add a line after the code line.
func CodeMessage(lang, product, code string, validity time.Duration, host string) string {
	product = strings.Join(strings.FieldsFunc(product, func(r rune) bool {
		return unicode.IsControl(r) || unicode.IsSpace(r)
	}), " ")
	code = strings.Join(strings.Fields(code), "")
	dutch := isDutch(lang)

	var text string
	switch {
	case dutch && product != "":
		text = fmt.Sprintf("%s is uw inlogcode voor %s. Deze code is %s geldig. Deel hem met niemand.",
			code, product, formatValidity(validity, true))
	case dutch:
		text = fmt.Sprintf("%s is uw inlogcode. Deze code is %s geldig. Deel hem met niemand.",
			code, formatValidity(validity, true))
	case product != "":
		text = fmt.Sprintf("%s is your %s sign-in code. It is valid for %s. Never share it.",
			code, product, formatValidity(validity, false))
	default:
		text = fmt.Sprintf("%s is your sign-in code. It is valid for %s. Never share it.",
			code, formatValidity(validity, false))
	}
	if h := originHost(host); h != "" {
		text += "\n\n@" + h + " #" + code
	}
	return text
}

func isDutch(lang string) bool {
	lang = strings.ToLower(strings.TrimSpace(lang))
	return lang == "nl" || strings.HasPrefix(lang, "nl-") || strings.HasPrefix(lang, "nl_")
}

// formatValidity writes d in whole hours, minutes or seconds, rounding down
// so that the text never promises more time than the code has.
func formatValidity(d time.Duration, dutch bool) string {
	type unit struct {
		size                           time.Duration
		one, many, dutchOne, dutchMany string
	}
	units := []unit{
		{time.Hour, "hour", "hours", "uur", "uur"},
		{time.Minute, "minute", "minutes", "minuut", "minuten"},
		{time.Second, "second", "seconds", "seconde", "seconden"},
	}
	for _, u := range units {
		if d >= u.size && (d%u.size == 0 || u.size != time.Hour) {
			n := int64(d / u.size)
			word := u.many
			switch {
			case dutch && n == 1:
				word = u.dutchOne
			case dutch:
				word = u.dutchMany
			case n == 1:
				word = u.one
			}
			return fmt.Sprintf("%d %s", n, word)
		}
	}
	if dutch {
		return "korte tijd"
	}
	return "a short time"
}

// originHost returns the lower-case host name of host, which may be a bare
// name, "name:port" or a URL, or "" when none can be found.
func originHost(host string) string {
	host = strings.TrimSpace(host)
	if strings.Contains(host, "://") {
		u, err := url.Parse(host)
		if err != nil {
			return ""
		}
		host = u.Host
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "" || strings.ContainsFunc(host, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == '/' || r == '#' || r == '@'
	}) {
		return ""
	}
	return host
}

// ParseOneTimeCode extracts the host and code from the last line of an
// origin-bound one-time code message, following the parsing steps of the
// WICG draft. The last line must start with "@host", one space and "#code",
// and anything after the code is ignored. ok is false for a message without
// such a line.
func ParseOneTimeCode(message string) (host, code string, ok bool) {
	message = strings.ReplaceAll(message, "\r\n", "\n")
	message = strings.ReplaceAll(message, "\r", "\n")
	line := message[strings.LastIndexByte(message, '\n')+1:]

	host, rest, ok := markedToken(line, '@')
	if !ok || !strings.HasPrefix(rest, " ") {
		return "", "", false
	}
	code, _, ok = markedToken(rest[1:], '#')
	if !ok {
		return "", "", false
	}
	return host, code, true
}

// markedToken reads marker and the following run of non-white-space
// characters from the start of s, as the draft's "extract a marked token".
func markedToken(s string, marker byte) (token, rest string, ok bool) {
	if len(s) < 2 || s[0] != marker {
		return "", "", false
	}
	end := 1
	for end < len(s) && !isASCIIWhitespace(s[end]) {
		end++
	}
	if end == 1 {
		return "", "", false
	}
	return s[1:end], s[end:], true
}

// isASCIIWhitespace matches the Infra standard's ASCII whitespace.
func isASCIIWhitespace(b byte) bool {
	return b == '\t' || b == '\n' || b == '\f' || b == '\r' || b == ' '
}
