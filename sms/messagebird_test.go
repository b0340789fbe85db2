package sms

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

const testAccessKey = "live_aBcDeFgHiJkLmNoPqRsTuVwXy"

func newTestMessageBird(t *testing.T, baseURL string) Sender {
	t.Helper()
	g, err := NewMessageBird(MessageBirdConfig{AccessKey: testAccessKey, Originator: "Acme", BaseURL: baseURL}, nil)
	if err != nil {
		t.Fatalf("NewMessageBird: %v", err)
	}
	return g
}

// checkMessageBirdRequest checks the request form of the messages resource.
func checkMessageBirdRequest(wantDataCoding string) func(*testing.T, *http.Request) {
	return func(t *testing.T, r *http.Request) {
		if r.Method != http.MethodPost {
			t.Errorf("method = %s, want POST", r.Method)
		}
		if r.URL.Path != "/messages" {
			t.Errorf("path = %s, want /messages", r.URL.Path)
		}
		if got := r.Header.Get("Authorization"); got != "AccessKey "+testAccessKey {
			t.Errorf("Authorization = %q, want AccessKey and the configured key", got)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q, want application/json", ct)
		}
		data, err := io.ReadAll(r.Body)
		if err != nil {
			t.Fatalf("reading the body: %v", err)
		}
		var got map[string]json.RawMessage
		if err := json.Unmarshal(data, &got); err != nil {
			t.Fatalf("body is not a JSON object: %v", err)
		}
		want := map[string]string{
			"recipients": `[31612345678]`,
			"originator": `"Acme"`,
		}
		body, _ := json.Marshal(testMessage().Body)
		want["body"] = string(body)
		if wantDataCoding != "" {
			want["datacoding"] = `"` + wantDataCoding + `"`
		}
		for key, value := range want {
			if string(got[key]) != value {
				t.Errorf("field %s = %s, want %s", key, got[key], value)
			}
		}
		for key := range got {
			if _, ok := want[key]; !ok {
				t.Errorf("unexpected field %s", key)
			}
		}
	}
}

// messageBirdCreated is the shape of the 201 response of the messages resource.
const messageBirdCreated = `{
  "id": "e8077d803532c0b5937c639b60216938",
  "href": "https://rest.messagebird.com/messages/e8077d803532c0b5937c639b60216938",
  "direction": "mt",
  "type": "sms",
  "originator": "Acme",
  "body": "123456 is your Acme Office sign-in code.",
  "reference": null,
  "validity": null,
  "gateway": 10,
  "typeDetails": {},
  "datacoding": "plain",
  "mclass": 1,
  "scheduledDatetime": null,
  "createdDatetime": "2026-03-01T09:00:00+00:00",
  "recipients": {
    "totalCount": 1,
    "totalSentCount": 1,
    "totalDeliveredCount": 0,
    "totalDeliveryFailedCount": 0,
    "items": [{"recipient": 31612345678, "status": "sent", "statusDatetime": "2026-03-01T09:00:00+00:00"}]
  }
}`

func TestMessageBirdResponses(t *testing.T) {
	jsonHeader := map[string]string{"Content-Type": "application/json"}
	cases := []vendorCase{
		{name: "success", status: http.StatusCreated, header: jsonHeader, body: messageBirdCreated,
			check: wantReceipt("messagebird", "e8077d803532c0b5937c639b60216938")},
		{name: "bad request 400", status: http.StatusBadRequest, header: jsonHeader,
			body:  `{"errors":[{"code":21,"description":"Bad request (phone number has unknown format)","parameter":"recipients"}]}`,
			check: wantFailure(400, "21", "Bad request (phone number has unknown format) (parameter recipients)", false, 0)},
		{name: "unprocessable 422 with two errors", status: http.StatusUnprocessableEntity, header: jsonHeader,
			body:  `{"errors":[{"code":9,"description":"no (correct) recipients found (31612345678)","parameter":"recipients"},{"code":10,"description":"originator is invalid","parameter":"originator"}]}`,
			check: wantFailure(422, "9", "no (correct) recipients found ([number removed]) (parameter recipients); originator is invalid (parameter originator)", false, 0)},
		{name: "authentication 401", status: http.StatusUnauthorized, header: jsonHeader,
			body:  `{"errors":[{"code":2,"description":"Request not allowed (incorrect access_key)","parameter":"access_key"}]}`,
			check: wantFailure(401, "2", "Request not allowed (incorrect access_key)", false, 0)},
		{name: "too many requests 429", status: http.StatusTooManyRequests,
			header: map[string]string{"Retry-After": "3"},
			check:  wantFailure(429, "", "", true, 3*time.Second)},
		{name: "server error 500", status: http.StatusInternalServerError, header: map[string]string{"Content-Type": "text/html"},
			body:  "<html>Internal Server Error</html>",
			check: wantFailure(500, "", "", true, 0)},
		{name: "timeout", stall: true, check: wantTimeout},
		{name: "malformed body", status: http.StatusCreated, header: jsonHeader, body: `{"id": "e8077d8035`,
			check: wantMalformed(201)},
	}
	runVendorCases(t, newTestMessageBird, checkMessageBirdRequest(""), cases, testAccessKey)
	runRefusedCase(t, newTestMessageBird, testAccessKey)
}

func TestMessageBirdUnicodeBody(t *testing.T) {
	check := func(t *testing.T, r *http.Request) {
		var got struct {
			DataCoding string `json:"datacoding"`
		}
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Fatalf("decoding the body: %v", err)
		}
		if got.DataCoding != "unicode" {
			t.Errorf("datacoding = %q, want unicode for a body outside GSM 03.38", got.DataCoding)
		}
	}
	srv := newCheckingServer(t, check, http.StatusCreated, messageBirdCreated)
	m := testMessage()
	m.Body = "Uw code voor Zoë's kantoor: 123456"
	if _, err := newTestMessageBird(t, srv.URL).Send(t.Context(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
}
