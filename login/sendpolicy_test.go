package login

import (
	"strings"
	"testing"
	"time"
)

func TestWaitText(t *testing.T) {
	tests := []struct {
		wait time.Duration
		want string
	}{
		{0, "1 second"},
		{1500 * time.Millisecond, "2 seconds"},
		{119 * time.Second, "119 seconds"},
		{2 * time.Minute, "2 minutes"},
		{59*time.Minute + time.Second, "60 minutes"},
		{2 * time.Hour, "2 hours"},
		{22*time.Hour + time.Minute, "23 hours"},
	}
	for _, tc := range tests {
		if got := waitText(tc.wait); got != tc.want {
			t.Errorf("waitText(%v) = %q, want %q", tc.wait, got, tc.want)
		}
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for wait, want := range map[time.Duration]int{0: 1, time.Millisecond: 1, time.Second: 1, 1001 * time.Millisecond: 2} {
		if got := retryAfterSeconds(wait); got != want {
			t.Errorf("retryAfterSeconds(%v) = %d, want %d", wait, got, want)
		}
	}
}

func TestLimitMessage(t *testing.T) {
	tests := []struct {
		err  LimitError
		want string
	}{
		{LimitError{Scope: ScopeUser, Window: 30 * time.Second, RetryAfter: 12 * time.Second}, "another window"},
		{LimitError{Scope: ScopeNumber, Window: time.Hour, RetryAfter: 40 * time.Minute}, "this number"},
		{LimitError{Scope: ScopeUser, Window: 24 * time.Hour, RetryAfter: 3 * time.Hour}, "this number"},
		{LimitError{Scope: ScopeInstallation, Window: time.Hour, RetryAfter: 5 * time.Minute}, "at the moment"},
	}
	for _, tc := range tests {
		msg := limitMessage(&tc.err)
		if !strings.Contains(msg, tc.want) || !strings.Contains(msg, waitText(tc.err.RetryAfter)) {
			t.Errorf("limitMessage(%+v) = %q, want it to contain %q and the wait", tc.err, msg, tc.want)
		}
	}
}

func TestDestinationMessage(t *testing.T) {
	msg := (&DestinationError{Country: "BE", Allowed: []string{"NL", "DE"}}).Message()
	if want := "numbers in Belgium. Your office allows mobile numbers from Netherlands, Germany."; !strings.Contains(msg, want) {
		t.Errorf("Message = %q, want it to contain %q", msg, want)
	}
	if msg := (&DestinationError{Allowed: []string{"NL"}}).Message(); !strings.Contains(msg, "unknown") {
		t.Errorf("Message without a country = %q, want it to say the country is unknown", msg)
	}
}
