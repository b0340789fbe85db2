package sms

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"
)

const testWebhookSecret = "webhook-secret-0123456789abcdefghijkl"

func newTestWebhook(t *testing.T, baseURL string) Sender {
	t.Helper()
	g, err := NewWebhook(WebhookConfig{URL: baseURL + "/hook", Secret: testWebhookSecret}, nil)
	if err != nil {
		t.Fatalf("NewWebhook: %v", err)
	}
	return g
}

// checkWebhookRequest verifies the request as a receiver would.
func checkWebhookRequest(t *testing.T, r *http.Request) {
	if r.Method != http.MethodPost {
		t.Errorf("method = %s, want POST", r.Method)
	}
	if r.URL.Path != "/hook" {
		t.Errorf("path = %s, want /hook", r.URL.Path)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}

	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatalf("reading the body: %v", err)
	}
	err = VerifyWebhookSignature([]byte(testWebhookSecret), r.Header.Get(WebhookTimestampHeader),
		r.Header.Get(WebhookSignatureHeader), body, time.Now(), time.Minute)
	if err != nil {
		t.Errorf("VerifyWebhookSignature: %v", err)
	}

	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		t.Fatalf("body is not a JSON object: %v", err)
	}
	if len(fields) != 3 {
		t.Errorf("body has %d fields, want to, body and sent_at only: %s", len(fields), body)
	}

	var record FileRecord
	if err := json.Unmarshal(body, &record); err != nil {
		t.Fatalf("decoding the body: %v", err)
	}
	if record.To != testNumber || record.Body != testMessage().Body {
		t.Errorf("record = %+v, want the test message", record)
	}
	if time.Since(record.SentAt).Abs() > time.Minute {
		t.Errorf("sent_at = %v, want about now", record.SentAt)
	}
}

func TestWebhookResponses(t *testing.T) {
	jsonHeader := map[string]string{"Content-Type": "application/json", "X-Request-Id": "req-7f3a"}
	cases := []vendorCase{
		{name: "success with id", status: http.StatusAccepted, header: jsonHeader, body: `{"id": "msg-42"}`,
			check: wantReceipt("webhook", "msg-42")},
		{name: "success as text", status: http.StatusOK,
			header: map[string]string{"Content-Type": "text/plain", "X-Request-Id": "req-7f3a"}, body: "OK",
			check: wantReceipt("webhook", "req-7f3a")},
		{name: "rejected 400", status: http.StatusBadRequest, header: jsonHeader,
			body: `{"code": "invalid_number", "message": "cannot deliver to +31612345678"}`,
			check: func(t *testing.T, r Receipt, err error) {
				wantFailure(400, "invalid_number", "cannot deliver to [number removed]", false, 0)(t, r, err)
				if ge := wantGatewayError(t, err); ge.RequestID != "req-7f3a" {
					t.Errorf("RequestID = %q, want the X-Request-Id header", ge.RequestID)
				}
			}},
		{name: "signature rejected 401", status: http.StatusUnauthorized, header: jsonHeader,
			body:  `{"code": "bad_signature", "message": "signature does not match"}`,
			check: wantFailure(401, "bad_signature", "signature does not match", false, 0)},
		{name: "too many requests 429", status: http.StatusTooManyRequests,
			header: map[string]string{"Retry-After": "4"},
			check:  wantFailure(429, "", "", true, 4*time.Second)},
		{name: "server error 500", status: http.StatusInternalServerError,
			check: wantFailure(500, "", "", true, 0)},
		{name: "timeout", stall: true, check: wantTimeout},
		{name: "malformed body", status: http.StatusOK, header: jsonHeader, body: `{"id": `,
			check: wantMalformed(200)},
	}
	runVendorCases(t, newTestWebhook, checkWebhookRequest, cases, testWebhookSecret)
	runRefusedCase(t, newTestWebhook, testWebhookSecret)
}

func TestVerifyWebhookSignature(t *testing.T) {
	secret := []byte(testWebhookSecret)
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	body := []byte(`{"to":"+31612345678","body":"123456 is your code","sent_at":"2026-03-01T09:00:00Z"}`)
	timestamp := strconv.FormatInt(now.Unix(), 10)
	signature := SignWebhook(secret, timestamp, body)

	cases := []struct {
		name      string
		secret    []byte
		timestamp string
		signature string
		body      []byte
		now       time.Time
		want      error
	}{
		{"valid", secret, timestamp, signature, body, now, nil},
		{"valid within max age", secret, timestamp, signature, body, now.Add(4 * time.Minute), nil},
		{"tampered body", secret, timestamp, signature, []byte(`{"to":"+31612345679","body":"123456 is your code"}`), now, ErrWebhookSignature},
		{"tampered timestamp", secret, strconv.FormatInt(now.Unix()+1, 10), signature, body, now, ErrWebhookSignature},
		{"wrong secret", []byte("another-secret-0123456789abcdefghij"), timestamp, signature, body, now, ErrWebhookSignature},
		{"old timestamp", secret, timestamp, signature, body, now.Add(6 * time.Minute), ErrWebhookTimestamp},
		{"future timestamp", secret, timestamp, signature, body, now.Add(-6 * time.Minute), ErrWebhookTimestamp},
		{"timestamp not a number", secret, "yesterday", signature, body, now, ErrWebhookTimestamp},
		{"missing signature", secret, timestamp, "", body, now, ErrWebhookSignature},
		{"signature without scheme", secret, timestamp, signature[len("sha256="):], body, now, ErrWebhookSignature},
		{"signature not hex", secret, timestamp, "sha256=zz", body, now, ErrWebhookSignature},
		{"truncated signature", secret, timestamp, signature[:len(signature)-2], body, now, ErrWebhookSignature},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyWebhookSignature(tc.secret, tc.timestamp, tc.signature, tc.body, tc.now, 5*time.Minute)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Errorf("VerifyWebhookSignature = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestVerifyWebhookSignatureDefaultMaxAge(t *testing.T) {
	secret := []byte(testWebhookSecret)
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	timestamp := strconv.FormatInt(now.Unix(), 10)
	signature := SignWebhook(secret, timestamp, nil)

	if err := VerifyWebhookSignature(secret, timestamp, signature, nil, now.Add(DefaultWebhookMaxAge-time.Second), 0); err != nil {
		t.Errorf("within the default age: %v", err)
	}
	if err := VerifyWebhookSignature(secret, timestamp, signature, nil, now.Add(DefaultWebhookMaxAge+time.Second), 0); !errors.Is(err, ErrWebhookTimestamp) {
		t.Errorf("beyond the default age: %v, want ErrWebhookTimestamp", err)
	}
}

func TestNewWebhookRejectsPlainHTTP(t *testing.T) {
	_, err := NewWebhook(WebhookConfig{URL: "http://sms.example.com/hook?token=abc", Secret: testWebhookSecret}, nil)
	if err == nil {
		t.Fatal("NewWebhook accepted a plain http URL on another host")
	}
	assertNoLeak(t, "error text", err.Error(), testWebhookSecret, "token=abc")
}
