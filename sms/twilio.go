package sms

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// TwilioConfig configures the Twilio gateway.
type TwilioConfig struct {
	// AccountSID is the account ("AC" and 32 hexadecimal characters). It is
	// part of the request path, and the Basic auth user name when no API key
	// is set.
	AccountSID string `yaml:"account_sid"`
	// AuthToken is the account's auth token, used when APIKeySID is empty.
	AuthToken Secret `yaml:"auth_token"`
	// APIKeySID is an API key ("SK" and 32 hexadecimal characters). When set,
	// it and APIKeySecret are the Basic auth credentials, which Twilio
	// recommends over the auth token.
	APIKeySID    string `yaml:"api_key_sid"`
	APIKeySecret Secret `yaml:"api_key_secret"`
	// From is the sender: a phone number in E.164, a short code or an
	// alphanumeric sender id. Set either From or MessagingServiceSID.
	From string `yaml:"from"`
	// MessagingServiceSID ("MG" and 32 hexadecimal characters) lets Twilio
	// choose the sender from the service's pool.
	MessagingServiceSID string `yaml:"messaging_service_sid"`
	// BaseURL replaces TwilioBaseURL, for tests or a regional endpoint.
	BaseURL string `yaml:"base_url"`
}

// TwilioBaseURL is the production endpoint of Twilio's REST API.
const TwilioBaseURL = "https://api.twilio.com"

// Twilio sends messages through the Twilio Programmable Messaging API,
// version 2010-04-01: a form-encoded POST of To, Body and From (or
// MessagingServiceSid) to /2010-04-01/Accounts/{AccountSid}/Messages.json with
// HTTP Basic auth. Success is 201 Created with the message resource, whose
// "sid" becomes the receipt's MessageID. Errors are JSON objects with "code",
// "message", "more_info" and "status". The request id comes from the
// Twilio-Request-Id response header.
//
// NOTE: the Twilio-Request-Id header is not confirmed by Twilio's API
// reference. It is taken from responses recorded in public client code. An
// absent header only leaves RequestID empty.
type Twilio struct {
	http httpGateway
	cfg  TwilioConfig
}

// NewTwilio checks cfg and returns a Twilio gateway that uses client
// (nil selects a default http.Client).
func NewTwilio(cfg TwilioConfig, client *http.Client) (*Twilio, error) {
	if err := newProblems("sms.twilio").twilio(cfg).err(); err != nil {
		return nil, err
	}
	gw, err := newHTTPGateway("twilio", cfg.BaseURL, TwilioBaseURL, client)
	if err != nil {
		return nil, err
	}
	return &Twilio{http: gw, cfg: cfg}, nil
}

// Name returns "twilio".
func (t *Twilio) Name() string { return "twilio" }

// Send posts m to the Messages resource.
func (t *Twilio) Send(ctx context.Context, m Message) (Receipt, error) {
	if err := validateMessage(m); err != nil {
		return Receipt{}, err
	}
	form := url.Values{}
	form.Set("To", m.To)
	form.Set("Body", m.Body)
	if t.cfg.MessagingServiceSID != "" {
		form.Set("MessagingServiceSid", t.cfg.MessagingServiceSID)
	} else {
		form.Set("From", t.cfg.From)
	}
	endpoint := t.http.baseURL + "/2010-04-01/Accounts/" + url.PathEscape(t.cfg.AccountSID) + "/Messages.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return Receipt{}, &GatewayError{Gateway: t.Name(), Err: errors.New("building the request failed")}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	user, password := t.credentials()
	req.SetBasicAuth(user, password)

	resp, err := t.http.do(req)
	if err != nil {
		return Receipt{}, err
	}
	requestID := resp.header.Get("Twilio-Request-Id")
	if !resp.ok() {
		var body struct {
			Code    flexString `json:"code"`
			Message string     `json:"message"`
		}
		// A body that is not JSON (a proxy's error page) leaves the fields empty.
		_ = json.Unmarshal(resp.body, &body)
		return Receipt{}, t.http.statusError(resp, m, string(body.Code), body.Message, requestID,
			string(t.cfg.AuthToken), string(t.cfg.APIKeySecret))
	}
	var created struct {
		SID string `json:"sid"`
	}
	if err := json.Unmarshal(resp.body, &created); err != nil {
		return Receipt{}, t.http.malformedError(resp, requestID, err)
	}
	if created.SID == "" {
		return Receipt{}, t.http.malformedError(resp, requestID, errors.New(`"sid" is missing`))
	}
	return Receipt{Gateway: t.Name(), MessageID: cleanVendorID(created.SID)}, nil
}

// credentials returns the Basic auth pair: the API key when one is set,
// otherwise the account SID and auth token.
func (t *Twilio) credentials() (user, password string) {
	if t.cfg.APIKeySID != "" {
		return t.cfg.APIKeySID, string(t.cfg.APIKeySecret)
	}
	return t.cfg.AccountSID, string(t.cfg.AuthToken)
}
