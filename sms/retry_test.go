package sms

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// scriptedSender returns the scripted results in order, repeating the last
// one, and records each call's context deadline.
type scriptedSender struct {
	name    string
	results []error
	onSend  func(ctx context.Context) // optional, runs before the result is returned

	mu        sync.Mutex
	calls     int
	deadlines []time.Duration // time left on each call's context
}

func (s *scriptedSender) Name() string { return s.name }

func (s *scriptedSender) Send(ctx context.Context, m Message) (Receipt, error) {
	s.mu.Lock()
	i := min(s.calls, len(s.results)-1)
	s.calls++
	if d, ok := ctx.Deadline(); ok {
		s.deadlines = append(s.deadlines, time.Until(d))
	}
	s.mu.Unlock()
	if s.onSend != nil {
		s.onSend(ctx)
	}
	if err := s.results[i]; err != nil {
		return Receipt{}, err
	}
	return Receipt{Gateway: s.name, MessageID: "id-" + s.name}, nil
}

func (s *scriptedSender) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

func temporaryError(gateway string) error {
	return &GatewayError{Gateway: gateway, StatusCode: 503, Temporary: true}
}

func testPolicy(clock *fakeClock) RetryPolicy {
	return RetryPolicy{Sleep: clock.Sleep, Now: clock.Now, Jitter: func() float64 { return 0.5 }}
}

func TestRetryStopsAfterMaxAttempts(t *testing.T) {
	clock := newFakeClock()
	s := &scriptedSender{name: "twilio", results: []error{temporaryError("twilio")}}

	_, err := WithRetry(s, testPolicy(clock)).Send(context.Background(), testMessage())
	if !IsRetryable(err) {
		t.Fatalf("Send = %v, want the last temporary error", err)
	}
	if got := s.Calls(); got != DefaultMaxAttempts {
		t.Errorf("attempts = %d, want %d", got, DefaultMaxAttempts)
	}
	// With jitter 0.5 the waits are 3/4 of 250ms and of 500ms.
	want := []time.Duration{187500 * time.Microsecond, 375 * time.Millisecond}
	if got := clock.Sleeps(); !equalDurations(got, want) {
		t.Errorf("sleeps = %v, want %v", got, want)
	}
}

func TestRetryBackoffJitterBounds(t *testing.T) {
	for _, jitter := range []float64{0, 0.999} {
		clock := newFakeClock()
		policy := testPolicy(clock)
		policy.MaxAttempts = 6
		policy.Budget = time.Minute
		policy.Jitter = func() float64 { return jitter }
		s := &scriptedSender{name: "vonage", results: []error{temporaryError("vonage")}}

		_, _ = WithRetry(s, policy).Send(context.Background(), testMessage())
		nominal := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 2 * time.Second}
		sleeps := clock.Sleeps()
		if len(sleeps) != len(nominal) {
			t.Fatalf("jitter %v: sleeps = %v, want %d", jitter, sleeps, len(nominal))
		}
		for i, d := range sleeps {
			if d < nominal[i]/2 || d > nominal[i] {
				t.Errorf("jitter %v: sleep %d = %v, want between %v and %v", jitter, i, d, nominal[i]/2, nominal[i])
			}
		}
	}
}

func TestRetryNotOnClientError(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 422} {
		clock := newFakeClock()
		s := &scriptedSender{name: "twilio", results: []error{&GatewayError{Gateway: "twilio", StatusCode: status}}}

		_, err := WithRetry(s, testPolicy(clock)).Send(context.Background(), testMessage())
		if err == nil {
			t.Fatalf("HTTP %d: Send succeeded, want the error", status)
		}
		if got := s.Calls(); got != 1 {
			t.Errorf("HTTP %d: attempts = %d, want 1", status, got)
		}
		if got := clock.Sleeps(); len(got) != 0 {
			t.Errorf("HTTP %d: sleeps = %v, want none", status, got)
		}
	}
}

func TestRetryNotOnInvalidMessage(t *testing.T) {
	clock := newFakeClock()
	invalid := fmt.Errorf("%w: the body is empty", ErrInvalidMessage)
	s := &scriptedSender{name: "twilio", results: []error{invalid}}

	_, err := WithRetry(s, testPolicy(clock)).Send(context.Background(), testMessage())
	if !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("Send = %v, want ErrInvalidMessage", err)
	}
	if got := s.Calls(); got != 1 {
		t.Errorf("attempts = %d, want 1", got)
	}
	if got := clock.Sleeps(); len(got) != 0 {
		t.Errorf("sleeps = %v, want none", got)
	}
}

func TestRetryNotAfterSuccess(t *testing.T) {
	clock := newFakeClock()
	s := &scriptedSender{name: "twilio", results: []error{nil, temporaryError("twilio")}}

	receipt, err := WithRetry(s, testPolicy(clock)).Send(context.Background(), testMessage())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if receipt.MessageID != "id-twilio" {
		t.Errorf("receipt = %+v, want the first attempt's", receipt)
	}
	if got := s.Calls(); got != 1 {
		t.Errorf("attempts = %d, want 1", got)
	}
}

func TestRetrySucceedsOnSecondAttempt(t *testing.T) {
	clock := newFakeClock()
	s := &scriptedSender{name: "twilio", results: []error{temporaryError("twilio"), nil}}

	receipt, err := WithRetry(s, testPolicy(clock)).Send(context.Background(), testMessage())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if receipt.Gateway != "twilio" {
		t.Errorf("receipt = %+v, want twilio's", receipt)
	}
	if got := s.Calls(); got != 2 {
		t.Errorf("attempts = %d, want 2", got)
	}
}

func TestRetryHonorsRetryAfterWithinBudget(t *testing.T) {
	clock := newFakeClock()
	limited := &GatewayError{Gateway: "twilio", StatusCode: 429, Temporary: true, RetryAfter: 2 * time.Second}
	s := &scriptedSender{name: "twilio", results: []error{limited, nil}}

	if _, err := WithRetry(s, testPolicy(clock)).Send(context.Background(), testMessage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got, want := clock.Sleeps(), []time.Duration{2 * time.Second}; !equalDurations(got, want) {
		t.Errorf("sleeps = %v, want %v", got, want)
	}
}

func TestRetryGivesUpWhenRetryAfterExceedsBudget(t *testing.T) {
	clock := newFakeClock()
	limited := &GatewayError{Gateway: "twilio", StatusCode: 429, Temporary: true, RetryAfter: 30 * time.Second}
	s := &scriptedSender{name: "twilio", results: []error{limited, nil}}

	_, err := WithRetry(s, testPolicy(clock)).Send(context.Background(), testMessage())
	if !errors.Is(err, limited) {
		t.Fatalf("Send = %v, want the 429 error", err)
	}
	if got := s.Calls(); got != 1 {
		t.Errorf("attempts = %d, want 1", got)
	}
	if got := clock.Sleeps(); len(got) != 0 {
		t.Errorf("sleeps = %v, want none", got)
	}
}

func TestRetryBudgetBoundsSlowAttempts(t *testing.T) {
	clock := newFakeClock()
	policy := testPolicy(clock)
	policy.MaxAttempts = 10
	// Each attempt takes 3s of fake time and fails.
	s := &scriptedSender{name: "messagebird", results: []error{temporaryError("messagebird")},
		onSend: func(context.Context) { clock.Advance(3 * time.Second) }}
	start := clock.Now()

	_, err := WithRetry(s, policy).Send(context.Background(), testMessage())
	if err == nil {
		t.Fatal("Send succeeded, want the last error")
	}
	// t=0 attempt 1 (to 3s), wait 0.1875s, attempt 2 (to 6.1875s), wait
	// 0.375s, attempt 3 starts at 6.5625s with 1.4375s left.
	if got := s.Calls(); got != 3 {
		t.Errorf("attempts = %d, want 3", got)
	}
	lastAttemptStart := clock.Now().Add(-3 * time.Second)
	if elapsed := lastAttemptStart.Sub(start); elapsed >= DefaultRetryBudget {
		t.Errorf("last attempt started %v after the first, want within the %v budget", elapsed, DefaultRetryBudget)
	}
	s.mu.Lock()
	deadlines := append([]time.Duration(nil), s.deadlines...)
	s.mu.Unlock()
	if len(deadlines) != 3 {
		t.Fatalf("deadlines = %v, want one per attempt", deadlines)
	}
	if deadlines[0] > DefaultAttemptTimeout {
		t.Errorf("attempt 1 timeout = %v, want at most %v", deadlines[0], DefaultAttemptTimeout)
	}
	if want := 1437500 * time.Microsecond; deadlines[2] > want {
		t.Errorf("attempt 3 timeout = %v, want at most the %v left in the budget", deadlines[2], want)
	}
}

func TestRetryAttemptTimeout(t *testing.T) {
	clock := newFakeClock()
	policy := testPolicy(clock)
	policy.MaxAttempts = 2
	policy.AttemptTimeout = 20 * time.Millisecond
	// The sender stalls until its attempt context ends.
	s := &scriptedSender{name: "webhook", results: []error{transportError("webhook", context.DeadlineExceeded)},
		onSend: func(ctx context.Context) { <-ctx.Done() }}

	started := time.Now()
	_, err := WithRetry(s, policy).Send(context.Background(), testMessage())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send = %v, want a timeout", err)
	}
	if got := s.Calls(); got != 2 {
		t.Errorf("attempts = %d, want 2 because a timeout is temporary", got)
	}
	if elapsed := time.Since(started); elapsed > 2*time.Second {
		t.Errorf("Send took %v, want about two attempt timeouts", elapsed)
	}
}

func TestRetryStopsWhenContextCanceled(t *testing.T) {
	clock := newFakeClock()
	ctx, cancel := context.WithCancel(context.Background())
	s := &scriptedSender{name: "twilio", results: []error{temporaryError("twilio")},
		onSend: func(context.Context) { cancel() }}

	_, err := WithRetry(s, testPolicy(clock)).Send(ctx, testMessage())
	if err == nil {
		t.Fatal("Send succeeded, want the error")
	}
	if got := s.Calls(); got != 1 {
		t.Errorf("attempts = %d, want 1 after the caller canceled", got)
	}
}

func TestRetryLogsWithoutSecrets(t *testing.T) {
	clock := newFakeClock()
	var logs bytes.Buffer
	policy := testPolicy(clock)
	policy.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	m := testMessage()
	failure := &GatewayError{Gateway: "twilio", StatusCode: 503, Temporary: true,
		Message: cleanVendorText("queue full for "+m.To+": "+m.Body, m, testAuthToken)}
	s := &scriptedSender{name: "twilio", results: []error{failure}}

	_, _ = WithRetry(s, policy).Send(context.Background(), m)
	text := logs.String()
	if !bytes.Contains(logs.Bytes(), []byte(`"msg":"sms send failed, retrying"`)) {
		t.Errorf("log has no retry record: %s", text)
	}
	if !bytes.Contains(logs.Bytes(), []byte(`"to":"+31*******78"`)) {
		t.Errorf("log lacks the masked number: %s", text)
	}
	assertNoLeak(t, "log", text, testAuthToken)
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
