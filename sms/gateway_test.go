package sms

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"":                              0,
		"5":                             5 * time.Second,
		" 120 ":                         2 * time.Minute,
		"0":                             0,
		"-3":                            0,
		"soon":                          0,
		"99999999999999":                maxRetryAfter,
		"Sun, 01 Mar 2026 09:00:30 GMT": 30 * time.Second,
		"Sun, 01 Mar 2026 08:59:00 GMT": 0,
	}
	for value, want := range cases {
		if got := parseRetryAfter(value, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", value, got, want)
		}
	}
}

func TestCleanVendorText(t *testing.T) {
	m := testMessage()
	cases := map[string]string{
		"The 'To' number +31612345678 is not valid": "The 'To' number [number removed] is not valid",
		"recipient 31612345678 unknown":             "recipient [number removed] unknown",
		"number +31 6 1234 5678 barred":             "number [digits removed] barred",
		"body was: " + m.Body:                       "body was: [body removed]",
		"code 123456 rejected":                      "code [digits removed] rejected",
		"bad key " + testAuthToken:                  "bad key [redacted]",
		"error 21211":                               "error 21211",
		"line one\nline two\x1b[0m":                 "line one line two [0m",
	}
	for in, want := range cases {
		if got := cleanVendorText(in, m, testAuthToken); got != want {
			t.Errorf("cleanVendorText(%q) = %q, want %q", in, got, want)
		}
	}
	long := cleanVendorText(string(make([]byte, 2000)), m)
	if len(long) > maxVendorTextBytes+len("…") {
		t.Errorf("cleanVendorText kept %d bytes, want at most %d", len(long), maxVendorTextBytes)
	}
}

func TestGatewayErrorTextRemovesDigitsFromMessage(t *testing.T) {
	err := &GatewayError{Gateway: "twilio", StatusCode: 400, Code: "21211", Message: "number " + testNumber}
	assertNoLeak(t, "error text", err.Error())
}

func TestGatewayUntrustedCertificateIsPermanent(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the request reached a server whose certificate is not trusted")
	}))
	defer srv.Close()

	g, err := NewMessageBird(MessageBirdConfig{AccessKey: testAccessKey, Originator: "Acme", BaseURL: srv.URL}, nil)
	if err != nil {
		t.Fatalf("NewMessageBird: %v", err)
	}
	_, err = g.Send(context.Background(), testMessage())
	ge := wantGatewayError(t, err)
	if ge.Temporary {
		t.Errorf("Temporary = true, want false for a certificate that does not verify: %v", err)
	}
	assertNoLeak(t, "error text", err.Error(), testAccessKey)
}

func TestGatewayDoesNotFollowRedirects(t *testing.T) {
	var redirected bool
	mux := http.NewServeMux()
	mux.HandleFunc("/messages", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) {
		redirected = true
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	_, err := newTestMessageBird(t, srv.URL).Send(context.Background(), testMessage())
	wantFailure(http.StatusTemporaryRedirect, "", "", false, 0)(t, Receipt{}, err)
	if redirected {
		t.Error("the redirect was followed, resending the access key")
	}
}

func TestGatewaysRejectInvalidMessageBeforeSending(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("an invalid message reached the gateway")
	}))
	defer srv.Close()

	senders := []Sender{newTestMessageBird(t, srv.URL), newTestVonage(t, srv.URL), newTestWebhook(t, srv.URL)}
	tw := validTwilio()
	tw.BaseURL = srv.URL
	senders = append(senders, newTestTwilio(t, tw))
	invalid := []Message{
		{To: "0612345678", Body: "hello"},
		{To: "+31612345678", Body: " \n"},
		{To: "+31612345678", Body: string(make([]rune, maxBodyChars+1))},
		{To: "+31612345678", Body: "\xff"},
	}
	for _, s := range senders {
		for _, m := range invalid {
			if _, err := s.Send(context.Background(), m); !errors.Is(err, ErrInvalidMessage) {
				t.Errorf("%s: Send(%v) = %v, want ErrInvalidMessage", senderName(s), m, err)
			}
		}
	}
}
