package sms

import (
	"net/http"
	"testing"
	"time"
)

const (
	testVonageKey    = "a1b2c3d4"
	testVonageSecret = "vonageSecretValue9"
)

func newTestVonage(t *testing.T, baseURL string) Sender {
	t.Helper()
	g, err := NewVonage(VonageConfig{APIKey: testVonageKey, APISecret: testVonageSecret, From: "Acme", BaseURL: baseURL}, nil)
	if err != nil {
		t.Fatalf("NewVonage: %v", err)
	}
	return g
}

// checkVonageRequest checks the request form of the SMS API.
func checkVonageRequest(extra map[string]string, body string) func(*testing.T, *http.Request) {
	return func(t *testing.T, r *http.Request) {
		if r.Method != http.MethodPost {
			t.Errorf("method = %s, want POST", r.Method)
		}
		if r.URL.Path != "/sms/json" {
			t.Errorf("path = %s, want /sms/json", r.URL.Path)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			t.Errorf("Content-Type = %q, want application/x-www-form-urlencoded", ct)
		}
		if err := r.ParseForm(); err != nil {
			t.Fatalf("ParseForm: %v", err)
		}
		want := map[string]string{
			"api_key":    testVonageKey,
			"api_secret": testVonageSecret,
			"from":       "Acme",
			"to":         "31612345678",
			"text":       body,
		}
		for k, v := range extra {
			want[k] = v
		}
		assertFormFields(t, r.PostForm, want)
	}
}

const vonageSent = `{
  "message-count": "1",
  "messages": [{
    "to": "31612345678",
    "message-id": "0C000000217B7F02",
    "status": "0",
    "remaining-balance": "15.53590000",
    "message-price": "0.03330000",
    "network": "20408"
  }]
}`

func vonageFailed(status, text string) string {
	return `{"message-count": "1", "messages": [{"status": "` + status + `", "error-text": "` + text + `"}]}`
}

func TestVonageResponses(t *testing.T) {
	jsonHeader := map[string]string{"Content-Type": "application/json"}
	cases := []vendorCase{
		{name: "success", status: http.StatusOK, header: jsonHeader, body: vonageSent,
			check: wantReceipt("vonage", "0C000000217B7F02")},
		{name: "throttled status 1", status: http.StatusOK, header: jsonHeader, body: vonageFailed("1", "Throttled"),
			check: wantFailure(200, "1", "Throttled", true, 0)},
		{name: "invalid parameters status 3", status: http.StatusOK, header: jsonHeader,
			body:  vonageFailed("3", "Invalid to address: 31612345678"),
			check: wantFailure(200, "3", "Invalid to address: [number removed]", false, 0)},
		{name: "invalid credentials status 4", status: http.StatusOK, header: jsonHeader,
			body:  vonageFailed("4", "Bad Credentials"),
			check: wantFailure(200, "4", "Bad Credentials", false, 0)},
		{name: "internal error status 5", status: http.StatusOK, header: jsonHeader,
			body:  vonageFailed("5", "Internal Error"),
			check: wantFailure(200, "5", "Internal Error", true, 0)},
		{name: "numeric status", status: http.StatusOK, header: jsonHeader,
			body:  `{"message-count": "1", "messages": [{"status": 10, "error-text": "Too Many Existing Binds"}]}`,
			check: wantFailure(200, "10", "Too Many Existing Binds", true, 0)},
		{name: "second part failed", status: http.StatusOK, header: jsonHeader,
			body:  `{"message-count": "2", "messages": [{"status": "0", "message-id": "0C000000217B7F02"}, {"status": "9", "error-text": "Quota Exceeded - rejected"}]}`,
			check: wantFailure(200, "9", "Quota Exceeded", false, 0)},
		{name: "bad request 400", status: http.StatusBadRequest, header: jsonHeader,
			body:  vonageFailed("2", "Missing to param"),
			check: wantFailure(400, "2", "Missing to param", false, 0)},
		{name: "authentication 401", status: http.StatusUnauthorized,
			check: wantFailure(401, "", "", false, 0)},
		{name: "too many requests 429", status: http.StatusTooManyRequests,
			header: map[string]string{"Retry-After": "1"},
			check:  wantFailure(429, "", "", true, time.Second)},
		{name: "server error 500", status: http.StatusInternalServerError,
			check: wantFailure(500, "", "", true, 0)},
		{name: "timeout", stall: true, check: wantTimeout},
		{name: "malformed body", status: http.StatusOK, header: jsonHeader, body: `{"message-count": "1", "messages": [`,
			check: wantMalformed(200)},
		{name: "empty messages", status: http.StatusOK, header: jsonHeader, body: `{"message-count": "0", "messages": []}`,
			check: wantMalformed(200)},
	}
	runVendorCases(t, newTestVonage, checkVonageRequest(nil, testMessage().Body), cases, testVonageSecret, testVonageKey)
	runRefusedCase(t, newTestVonage, testVonageSecret, testVonageKey)
}

func TestVonageUnicodeBody(t *testing.T) {
	body := "Uw code voor Zoë's kantoor: 123456"
	srv := newCheckingServer(t, checkVonageRequest(map[string]string{"type": "unicode"}, body), http.StatusOK, vonageSent)
	m := testMessage()
	m.Body = body
	if _, err := newTestVonage(t, srv.URL).Send(t.Context(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
}
