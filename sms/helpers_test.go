package sms

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testNumber = "+31612345678"
	testCode   = "123456"
)

// testMessage returns the message that every test sends: a real code message
// whose body, code and number must never appear in errors or logs.
func testMessage() Message {
	return Message{
		To:   testNumber,
		Body: CodeMessage("en", "Acme Office", testCode, 10*time.Minute, "login.example.com"),
	}
}

// assertNoLeak fails when text contains the test message's body, code or
// number (with or without "+"), or any of the given secrets.
func assertNoLeak(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	forbidden := map[string]string{
		"body":                testMessage().Body,
		"code":                testCode,
		"number":              testNumber,
		"number without plus": strings.TrimPrefix(testNumber, "+"),
	}
	for i, s := range secrets {
		forbidden["secret "+string(rune('0'+i))] = s
	}
	for name, value := range forbidden {
		if value != "" && strings.Contains(text, value) {
			t.Errorf("%s contains the %s %q: %s", what, name, value, text)
		}
	}
}

// refusedURL returns an http URL on 127.0.0.1 where nothing listens.
func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatalf("close listener: %v", err)
	}
	return "http://" + addr
}

// fakeClock is a clock whose Sleep advances the time at once and records the
// wait, so that retry tests need no real waiting.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.sleeps = append(c.sleeps, d)
	c.mu.Unlock()
	return ctx.Err()
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// vendorCase is one scripted gateway response and the checks on the result.
type vendorCase struct {
	name   string
	status int
	header map[string]string
	body   string
	stall  bool // the server responds only after the client gave up
	check  func(t *testing.T, receipt Receipt, err error)
}

// runVendorCases sends testMessage through a gateway built by newGateway
// against an httptest server per case. checkRequest validates every request
// as the vendor documents it. A stalling case runs through WithRetry with a
// single short attempt. Every error text is checked for leaks of secrets.
func runVendorCases(t *testing.T, newGateway func(t *testing.T, baseURL string) Sender,
	checkRequest func(t *testing.T, r *http.Request), cases []vendorCase, secrets ...string) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			released := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				checkRequest(t, r)
				if tc.stall {
					select {
					case <-r.Context().Done():
					case <-released:
					}
					return
				}
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			defer close(released)

			sender := newGateway(t, srv.URL)
			if tc.stall {
				sender = WithRetry(sender, RetryPolicy{MaxAttempts: 1, AttemptTimeout: 100 * time.Millisecond})
			}
			receipt, err := sender.Send(context.Background(), testMessage())
			tc.check(t, receipt, err)
			if err != nil {
				assertNoLeak(t, "error text", err.Error(), secrets...)
			}
		})
	}
}

// runRefusedCase checks that a gateway reports a refused connection as a
// temporary error without a status.
func runRefusedCase(t *testing.T, newGateway func(t *testing.T, baseURL string) Sender, secrets ...string) {
	t.Helper()
	t.Run("connection refused", func(t *testing.T) {
		_, err := newGateway(t, refusedURL(t)).Send(context.Background(), testMessage())
		ge := wantGatewayError(t, err)
		if ge.StatusCode != 0 {
			t.Errorf("StatusCode = %d, want 0", ge.StatusCode)
		}
		if !ge.Temporary {
			t.Errorf("Temporary = false, want true for a refused connection")
		}
		if !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("error %q does not mention the refused connection", err)
		}
		assertNoLeak(t, "error text", err.Error(), secrets...)
	})
}

func wantGatewayError(t *testing.T, err error) *GatewayError {
	t.Helper()
	if err == nil {
		t.Fatal("Send returned no error, want a *GatewayError")
	}
	ge, ok := errors.AsType[*GatewayError](err)
	if !ok {
		t.Fatalf("error %v (%T) is not a *GatewayError", err, err)
	}
	return ge
}

// wantFailure returns a check for a failed send with the given fields.
func wantFailure(status int, code, messagePart string, temporary bool, retryAfter time.Duration) func(*testing.T, Receipt, error) {
	return func(t *testing.T, receipt Receipt, err error) {
		t.Helper()
		ge := wantGatewayError(t, err)
		if receipt != (Receipt{}) {
			t.Errorf("receipt = %+v, want none", receipt)
		}
		if ge.StatusCode != status {
			t.Errorf("StatusCode = %d, want %d", ge.StatusCode, status)
		}
		if ge.Code != code {
			t.Errorf("Code = %q, want %q", ge.Code, code)
		}
		if !strings.Contains(ge.Message, messagePart) {
			t.Errorf("Message = %q, want it to contain %q", ge.Message, messagePart)
		}
		if ge.Temporary != temporary {
			t.Errorf("Temporary = %v, want %v", ge.Temporary, temporary)
		}
		if ge.RetryAfter != retryAfter {
			t.Errorf("RetryAfter = %v, want %v", ge.RetryAfter, retryAfter)
		}
		if IsRetryable(err) != temporary {
			t.Errorf("IsRetryable = %v, want %v", IsRetryable(err), temporary)
		}
	}
}

// wantTimeout checks a send that the attempt timeout ended.
func wantTimeout(t *testing.T, _ Receipt, err error) {
	t.Helper()
	ge := wantGatewayError(t, err)
	if !ge.Temporary {
		t.Errorf("Temporary = false, want true for a timeout")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
	}
	if !strings.Contains(err.Error(), "timed out") {
		t.Errorf("error %q does not say that the request timed out", err)
	}
}

// wantMalformed checks a success status whose body did not decode.
func wantMalformed(status int) func(*testing.T, Receipt, error) {
	return func(t *testing.T, _ Receipt, err error) {
		t.Helper()
		ge := wantGatewayError(t, err)
		if ge.StatusCode != status {
			t.Errorf("StatusCode = %d, want %d", ge.StatusCode, status)
		}
		if ge.Temporary {
			t.Errorf("Temporary = true, want false: the gateway may have accepted the message")
		}
		if !strings.Contains(err.Error(), "malformed response body") {
			t.Errorf("error %q does not say that the body is malformed", err)
		}
	}
}

func wantReceipt(gateway, id string) func(*testing.T, Receipt, error) {
	return func(t *testing.T, receipt Receipt, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
		want := Receipt{Gateway: gateway, MessageID: id}
		if receipt != want {
			t.Errorf("receipt = %+v, want %+v", receipt, want)
		}
	}
}

// assertFormFields checks that a form has exactly the wanted fields.
func assertFormFields(t *testing.T, got map[string][]string, want map[string]string) {
	t.Helper()
	for key, value := range want {
		values := got[key]
		if len(values) != 1 || values[0] != value {
			t.Errorf("form field %s = %q, want [%q]", key, values, value)
		}
	}
	for key := range got {
		if _, ok := want[key]; !ok {
			t.Errorf("unexpected form field %s", key)
		}
	}
}

// newCheckingServer starts a server that runs check on each request and
// responds with status and body.
func newCheckingServer(t *testing.T, check func(*testing.T, *http.Request), status int, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		check(t, r)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}
