package sms

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestMaskNumber(t *testing.T) {
	cases := map[string]string{
		"+31612345678":  "+31*******78",
		"+14155552671":  "+1********71",
		"+447700900123": "+44********23",
		"+353861234567": "+353*******67",
		"+79161234567":  "+7********67",
		"+32470123456":  "+32*******56",
		"0612345678":    "[not E.164]",
		"+31 6 1234":    "[not E.164]",
		"":              "[not E.164]",
	}
	for number, want := range cases {
		if got := MaskNumber(number); got != want {
			t.Errorf("MaskNumber(%q) = %q, want %q", number, got, want)
		}
	}
}

func TestLogAttrsMaskNumberOnly(t *testing.T) {
	m := testMessage()
	attrs := LogAttrs(m)
	if len(attrs) != 1 || attrs[0].Key != "to" || attrs[0].Value.String() != "+31*******78" {
		t.Errorf("LogAttrs = %v, want only the masked number", attrs)
	}

	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	logger.Info("sent", "message", m)
	logger.LogAttrs(t.Context(), slog.LevelInfo, "sent", LogAttrs(m)...)
	assertNoLeak(t, "log", logs.String())
	if !strings.Contains(logs.String(), "+31*******78") {
		t.Errorf("log lacks the masked number: %s", logs.String())
	}
}

func TestMessageFormattingHidesContent(t *testing.T) {
	m := testMessage()
	for _, out := range []string{fmt.Sprintf("%v", m), fmt.Sprintf("%+v", m), fmt.Sprintf("%#v", m), fmt.Sprint(m)} {
		assertNoLeak(t, "formatted message", out)
	}
}
