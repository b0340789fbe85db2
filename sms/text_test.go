package sms

import (
	"strings"
	"testing"
	"time"
)

func TestCodeMessage(t *testing.T) {
	cases := []struct {
		name     string
		lang     string
		product  string
		validity time.Duration
		host     string
		want     string
	}{
		{"english", "en", "Acme Office", 10 * time.Minute, "login.example.com",
			"123456 is your Acme Office sign-in code. It is valid for 10 minutes. Never share it.\n\n@login.example.com #123456"},
		{"dutch", "nl", "Kantoor Jansen", 10 * time.Minute, "login.example.com",
			"123456 is uw inlogcode voor Kantoor Jansen. Deze code is 10 minuten geldig. Deel hem met niemand.\n\n@login.example.com #123456"},
		{"dutch region tag", "nl-BE", "", time.Minute, "login.example.com",
			"123456 is uw inlogcode. Deze code is 1 minuut geldig. Deel hem met niemand.\n\n@login.example.com #123456"},
		{"other language is english", "de", "", time.Hour, "login.example.com",
			"123456 is your sign-in code. It is valid for 1 hour. Never share it.\n\n@login.example.com #123456"},
		{"host from URL", "en", "Acme", 90 * time.Second, "https://Login.Example.com:8443/oidc",
			"123456 is your Acme sign-in code. It is valid for 1 minute. Never share it.\n\n@login.example.com #123456"},
		{"no host", "en", "Acme", 30 * time.Second, "",
			"123456 is your Acme sign-in code. It is valid for 30 seconds. Never share it."},
		{"product with line break", "en", "Acme\n@evil.example #000000", 2 * time.Hour, "login.example.com",
			"123456 is your Acme @evil.example #000000 sign-in code. It is valid for 2 hours. Never share it.\n\n@login.example.com #123456"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := CodeMessage(tc.lang, tc.product, testCode, tc.validity, tc.host)
			if got != tc.want {
				t.Errorf("CodeMessage =\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestCodeMessageEndsWithOriginBoundCode(t *testing.T) {
	for _, lang := range []string{"en", "nl"} {
		msg := CodeMessage(lang, "Kantoor De Vries & Zonen", testCode, 5*time.Minute, "login.example.com")
		host, code, ok := ParseOneTimeCode(msg)
		if !ok || host != "login.example.com" || code != testCode {
			t.Errorf("%s: ParseOneTimeCode = %q, %q, %v; want login.example.com, %s", lang, host, code, ok, testCode)
		}
		if n := len([]rune(msg)); n > 160 {
			t.Errorf("%s: message has %d characters, want one SMS segment of at most 160", lang, n)
		}
		if !isGSM7(msg) {
			t.Errorf("%s: message needs UCS-2: %q", lang, msg)
		}
	}
}

func TestFormatValidityRoundsDown(t *testing.T) {
	cases := map[time.Duration]string{
		59 * time.Second:        "59 seconds",
		119 * time.Second:       "1 minute",
		90 * time.Minute:        "90 minutes",
		3 * time.Hour:           "3 hours",
		500 * time.Millisecond:  "a short time",
		time.Hour + time.Second: "60 minutes",
	}
	for d, want := range cases {
		if got := formatValidity(d, false); got != want {
			t.Errorf("formatValidity(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestParseOneTimeCode(t *testing.T) {
	cases := []struct {
		message    string
		host, code string
		ok         bool
	}{
		{"747723 is your ExampleCo authentication code.\n\n@example.com #747723", "example.com", "747723", true},
		{"@example.com #747723 %ecommerce.example", "example.com", "747723", true},
		{"@example.com #747723 $future", "example.com", "747723", true},
		{"text\r\n@example.com #747723", "example.com", "747723", true},
		{"something @example.com #747723", "", "", false},
		{"#747723 %ecommerce.example @example.com", "", "", false},
		{"@example.com code #747723", "", "", false},
		{"@example.com  #747723", "", "", false},
		{"@example.com #", "", "", false},
		{"@ #747723", "", "", false},
		{"@example.com #747723\n", "", "", false},
	}
	for _, tc := range cases {
		host, code, ok := ParseOneTimeCode(tc.message)
		if host != tc.host || code != tc.code || ok != tc.ok {
			t.Errorf("ParseOneTimeCode(%q) = %q, %q, %v; want %q, %q, %v",
				tc.message, host, code, ok, tc.host, tc.code, tc.ok)
		}
	}
}

func TestIsGSM7(t *testing.T) {
	for s, want := range map[string]bool{
		"Uw code: 123456 (geldig) €5 [a] {b} ~":  true,
		"Café Ñoño Öl ß Ü":                       true,
		"Zoë":                                    false,
		"Kantoor 😀":                              false,
		strings.Repeat("x", 10) + "\x1b" + "[2J": false,
	} {
		if got := isGSM7(s); got != want {
			t.Errorf("isGSM7(%q) = %v, want %v", s, got, want)
		}
	}
}
