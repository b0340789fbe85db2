package sms

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// VonageConfig configures the Vonage gateway.
type VonageConfig struct {
	// APIKey and APISecret are the account credentials from the Vonage
	// dashboard.
	APIKey    string `yaml:"api_key"`
	APISecret Secret `yaml:"api_secret"`
	// From is the sender: a phone number (with or without "+") or an
	// alphanumeric sender id of at most 11 characters.
	From string `yaml:"from"`
	// BaseURL replaces VonageBaseURL, for tests.
	BaseURL string `yaml:"base_url"`
}

// VonageBaseURL is the production endpoint of the Vonage SMS API.
const VonageBaseURL = "https://rest.nexmo.com"

// vonageTemporaryStatuses are the per-message statuses that Vonage's SMS API
// error table (developer.vonage.com/api-errors/sms) resolves with a wait and a
// retry: 1 Throttled, 5 Internal Error ("if the error persists, contact
// support") and 10 Too Many Existing Binds ("back-off and retry"). The table
// resolves status 9, Partner Quota Violation, with "top-up and retry", but a
// top-up takes longer than a sign-in, so it is not retried.
var vonageTemporaryStatuses = map[string]bool{"1": true, "5": true, "10": true}

// Vonage sends messages through the Vonage SMS API (the legacy SMS API, not
// the Messages API): a form-encoded POST of api_key, api_secret, from, to and
// text to /sms/json, with "to" in E.164 without the "+". The API responds
// with 200 OK for sent and failed messages alike, and with one entry per
// message part in "messages". Status "0" is success and carries
// "message-id". Any other status is an error described by "error-text". A body with characters
// outside the GSM 03.38 alphabet is sent with type=unicode, as the API
// reference requires.
type Vonage struct {
	http httpGateway
	cfg  VonageConfig
}

// NewVonage checks cfg and returns a Vonage gateway that uses client
// (nil selects a default http.Client).
func NewVonage(cfg VonageConfig, client *http.Client) (*Vonage, error) {
	if err := newProblems("sms.vonage").vonage(cfg).err(); err != nil {
		return nil, err
	}
	gw, err := newHTTPGateway("vonage", cfg.BaseURL, VonageBaseURL, client)
	if err != nil {
		return nil, err
	}
	return &Vonage{http: gw, cfg: cfg}, nil
}

// Name returns "vonage".
func (v *Vonage) Name() string { return "vonage" }

type vonagePart struct {
	Status    flexString `json:"status"`
	MessageID string     `json:"message-id"`
	ErrorText string     `json:"error-text"`
}

// Send posts m to the SMS API and checks the status of every message part.
func (v *Vonage) Send(ctx context.Context, m Message) (Receipt, error) {
	if err := validateMessage(m); err != nil {
		return Receipt{}, err
	}
	form := url.Values{}
	form.Set("api_key", v.cfg.APIKey)
	form.Set("api_secret", string(v.cfg.APISecret))
	form.Set("from", strings.TrimPrefix(v.cfg.From, "+"))
	form.Set("to", strings.TrimPrefix(m.To, "+"))
	form.Set("text", m.Body)
	if !isGSM7(m.Body) {
		form.Set("type", "unicode")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.http.baseURL+"/sms/json", strings.NewReader(form.Encode()))
	if err != nil {
		return Receipt{}, &GatewayError{Gateway: v.Name(), Err: errors.New("building the request failed")}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")

	resp, err := v.http.do(req)
	if err != nil {
		return Receipt{}, err
	}
	var parsed struct {
		Messages []vonagePart `json:"messages"`
	}
	decodeErr := json.Unmarshal(resp.body, &parsed)
	if !resp.ok() {
		code, text := "", ""
		if decodeErr == nil && len(parsed.Messages) > 0 {
			code, text = string(parsed.Messages[0].Status), parsed.Messages[0].ErrorText
		}
		return Receipt{}, v.http.statusError(resp, m, code, text, "", v.secrets()...)
	}
	if decodeErr != nil {
		return Receipt{}, v.http.malformedError(resp, "", decodeErr)
	}
	if len(parsed.Messages) == 0 {
		return Receipt{}, v.http.malformedError(resp, "", errors.New(`"messages" is empty`))
	}
	for _, part := range parsed.Messages {
		if part.Status != "0" {
			ge := v.http.statusError(resp, m, string(part.Status), part.ErrorText, "", v.secrets()...)
			ge.Temporary = vonageTemporaryStatuses[string(part.Status)]
			return Receipt{}, ge
		}
	}
	if parsed.Messages[0].MessageID == "" {
		return Receipt{}, v.http.malformedError(resp, "", errors.New(`"message-id" is missing`))
	}
	return Receipt{Gateway: v.Name(), MessageID: cleanVendorID(parsed.Messages[0].MessageID)}, nil
}

func (v *Vonage) secrets() []string {
	return []string{string(v.cfg.APISecret), v.cfg.APIKey}
}
