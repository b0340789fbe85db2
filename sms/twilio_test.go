package sms

import (
	"net/http"
	"testing"
	"time"
)

const (
	testAccountSID = "AC0123456789abcdef0123456789abcdef"
	testAPIKeySID  = "SKfedcba9876543210fedcba9876543210"
	testAuthToken  = "twilio-auth-token-0123456789abcdef"
	testKeySecret  = "twilio-api-key-secret-0123456789ab"
)

func newTestTwilio(t *testing.T, cfg TwilioConfig) *Twilio {
	t.Helper()
	g, err := NewTwilio(cfg, nil)
	if err != nil {
		t.Fatalf("NewTwilio: %v", err)
	}
	return g
}

// checkTwilioRequest checks the request form of the Messages resource.
func checkTwilioRequest(user, password string, sender map[string]string) func(*testing.T, *http.Request) {
	return func(t *testing.T, r *http.Request) {
		if r.Method != http.MethodPost {
			t.Errorf("method = %s, want POST", r.Method)
		}
		if want := "/2010-04-01/Accounts/" + testAccountSID + "/Messages.json"; r.URL.Path != want {
			t.Errorf("path = %s, want %s", r.URL.Path, want)
		}
		gotUser, gotPassword, ok := r.BasicAuth()
		if !ok || gotUser != user || gotPassword != password {
			t.Errorf("Basic auth = %q, %q, %v; want the configured credentials", gotUser, gotPassword, ok)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			t.Errorf("Content-Type = %q, want application/x-www-form-urlencoded", ct)
		}
		if err := r.ParseForm(); err != nil {
			t.Fatalf("ParseForm: %v", err)
		}
		want := map[string]string{"To": testNumber, "Body": testMessage().Body}
		for k, v := range sender {
			want[k] = v
		}
		assertFormFields(t, r.PostForm, want)
	}
}

// twilioCreated is the shape of the 201 response of the Messages resource.
const twilioCreated = `{
  "account_sid": "AC0123456789abcdef0123456789abcdef",
  "api_version": "2010-04-01",
  "body": "123456 is your Acme Office sign-in code.",
  "date_created": "Sun, 01 Mar 2026 09:00:00 +0000",
  "date_sent": null,
  "date_updated": "Sun, 01 Mar 2026 09:00:00 +0000",
  "direction": "outbound-api",
  "error_code": null,
  "error_message": null,
  "from": "Acme",
  "messaging_service_sid": null,
  "num_media": "0",
  "num_segments": "1",
  "price": null,
  "price_unit": "EUR",
  "sid": "SM0123456789abcdef0123456789abcdef",
  "status": "queued",
  "to": "+31612345678",
  "uri": "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages/SM0123456789abcdef0123456789abcdef.json"
}`

func TestTwilioResponses(t *testing.T) {
	cfg := TwilioConfig{AccountSID: testAccountSID, AuthToken: testAuthToken, From: "Acme"}
	newGateway := func(t *testing.T, baseURL string) Sender {
		c := cfg
		c.BaseURL = baseURL
		return newTestTwilio(t, c)
	}
	jsonHeader := map[string]string{"Content-Type": "application/json", "Twilio-Request-Id": "RQa1b2c3d4e5f60718293a4b5c6d7e8f90"}
	withRetryAfter := map[string]string{"Content-Type": "application/json", "Retry-After": "2"}

	cases := []vendorCase{
		{name: "success", status: http.StatusCreated, header: jsonHeader, body: twilioCreated,
			check: wantReceipt("twilio", "SM0123456789abcdef0123456789abcdef")},
		{name: "invalid number 400", status: http.StatusBadRequest, header: jsonHeader,
			body: `{"code": 21211, "message": "The 'To' number +31612345678 is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}`,
			check: func(t *testing.T, r Receipt, err error) {
				wantFailure(400, "21211", "is not a valid phone number", false, 0)(t, r, err)
				if ge := wantGatewayError(t, err); ge.RequestID != "RQa1b2c3d4e5f60718293a4b5c6d7e8f90" {
					t.Errorf("RequestID = %q, want the Twilio-Request-Id header", ge.RequestID)
				}
			}},
		{name: "authentication 401", status: http.StatusUnauthorized, header: jsonHeader,
			body:  `{"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}`,
			check: wantFailure(401, "20003", "Authenticate", false, 0)},
		{name: "too many requests 429", status: http.StatusTooManyRequests, header: withRetryAfter,
			body:  `{"code": 20429, "message": "Too Many Requests", "more_info": "https://www.twilio.com/docs/errors/20429", "status": 429}`,
			check: wantFailure(429, "20429", "Too Many Requests", true, 2*time.Second)},
		{name: "server error 500", status: http.StatusInternalServerError, header: jsonHeader,
			body:  `{"code": 20500, "message": "Internal Server Error", "more_info": "https://www.twilio.com/docs/errors/20500", "status": 500}`,
			check: wantFailure(500, "20500", "Internal Server Error", true, 0)},
		{name: "proxy page 502", status: http.StatusBadGateway, header: map[string]string{"Content-Type": "text/html"},
			body:  "<html><body>Bad Gateway</body></html>",
			check: wantFailure(502, "", "", true, 0)},
		{name: "timeout", stall: true, check: wantTimeout},
		{name: "malformed body", status: http.StatusCreated, header: jsonHeader, body: `{"sid": "SM01`,
			check: wantMalformed(201)},
		{name: "success without sid", status: http.StatusCreated, header: jsonHeader, body: `{"status": "queued"}`,
			check: wantMalformed(201)},
	}
	runVendorCases(t, newGateway, checkTwilioRequest(testAccountSID, testAuthToken, map[string]string{"From": "Acme"}),
		cases, testAuthToken, testKeySecret)
	runRefusedCase(t, newGateway, testAuthToken)
}

func TestTwilioAPIKeyAndMessagingService(t *testing.T) {
	cfg := TwilioConfig{
		AccountSID:          testAccountSID,
		APIKeySID:           testAPIKeySID,
		APIKeySecret:        testKeySecret,
		MessagingServiceSID: "MG0123456789abcdef0123456789abcdef",
	}
	newGateway := func(t *testing.T, baseURL string) Sender {
		c := cfg
		c.BaseURL = baseURL
		return newTestTwilio(t, c)
	}
	cases := []vendorCase{
		{name: "success", status: http.StatusCreated, body: twilioCreated,
			check: wantReceipt("twilio", "SM0123456789abcdef0123456789abcdef")},
	}
	runVendorCases(t, newGateway,
		checkTwilioRequest(testAPIKeySID, testKeySecret, map[string]string{"MessagingServiceSid": cfg.MessagingServiceSID}),
		cases)
}

func TestNewTwilioRejectsInvalidConfig(t *testing.T) {
	_, err := NewTwilio(TwilioConfig{AccountSID: "AC123", AuthToken: testAuthToken, From: "Acme"}, nil)
	if err == nil {
		t.Fatal("NewTwilio accepted a short account SID")
	}
	assertNoLeak(t, "error text", err.Error(), testAuthToken)
}
