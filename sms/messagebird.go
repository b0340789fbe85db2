package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// MessageBirdConfig configures the MessageBird gateway.
type MessageBirdConfig struct {
	// AccessKey is a live access key from the MessageBird dashboard.
	AccessKey Secret `yaml:"access_key"`
	// Originator is the sender: a phone number with its country code or an
	// alphanumeric sender id of at most 11 characters.
	Originator string `yaml:"originator"`
	// BaseURL replaces MessageBirdBaseURL, for tests.
	BaseURL string `yaml:"base_url"`
}

// MessageBirdBaseURL is the production endpoint of MessageBird's REST API.
const MessageBirdBaseURL = "https://rest.messagebird.com"

// MessageBird sends messages through the MessageBird SMS Messaging REST API,
// which has no version number. It follows the /messages resource as
// documented on developers.messagebird.com: a JSON POST of "recipients",
// "originator" and "body" to /messages with "Authorization: AccessKey <key>".
// Success is
// 201 Created with the message object, whose "id" becomes the receipt's
// MessageID. Errors carry {"errors": [{"code", "description", "parameter"}]},
// for example code 2 with 401 for a wrong access key. MessageBird documents
// no request id.
//
// Recipients are sent as JSON numbers, the form of the documented example.
// A body with characters outside the GSM 03.38 alphabet is sent with
// "datacoding": "unicode", because the default "plain" encoding cannot carry
// them.
//
// NOTE: the "unicode" value of datacoding is inferred from the "datacoding"
// field ("plain") of the documented response. The request reference does not
// confirm it.
type MessageBird struct {
	http httpGateway
	cfg  MessageBirdConfig
}

// NewMessageBird checks cfg and returns a MessageBird gateway that uses client
// (nil selects a default http.Client).
func NewMessageBird(cfg MessageBirdConfig, client *http.Client) (*MessageBird, error) {
	if err := newProblems("sms.messagebird").messageBird(cfg).err(); err != nil {
		return nil, err
	}
	gw, err := newHTTPGateway("messagebird", cfg.BaseURL, MessageBirdBaseURL, client)
	if err != nil {
		return nil, err
	}
	return &MessageBird{http: gw, cfg: cfg}, nil
}

// Name returns "messagebird".
func (b *MessageBird) Name() string { return "messagebird" }

type messageBirdRequest struct {
	Recipients []int64 `json:"recipients"`
	Originator string  `json:"originator"`
	Body       string  `json:"body"`
	DataCoding string  `json:"datacoding,omitempty"`
}

type messageBirdError struct {
	Code        flexString `json:"code"`
	Description string     `json:"description"`
	Parameter   string     `json:"parameter"`
}

// Send posts m to the messages resource.
func (b *MessageBird) Send(ctx context.Context, m Message) (Receipt, error) {
	if err := validateMessage(m); err != nil {
		return Receipt{}, err
	}
	// validateMessage guarantees at most 15 digits, which fit an int64.
	recipient, _ := strconv.ParseInt(m.To[1:], 10, 64)
	payload := messageBirdRequest{
		Recipients: []int64{recipient},
		Originator: b.cfg.Originator,
		Body:       m.Body,
	}
	if !isGSM7(m.Body) {
		payload.DataCoding = "unicode"
	}
	data, err := json.Marshal(payload)
	if err != nil {
		return Receipt{}, &GatewayError{Gateway: b.Name(), Err: errors.New("encoding the request failed")}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.http.baseURL+"/messages", bytes.NewReader(data))
	if err != nil {
		return Receipt{}, &GatewayError{Gateway: b.Name(), Err: errors.New("building the request failed")}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "AccessKey "+string(b.cfg.AccessKey))

	resp, err := b.http.do(req)
	if err != nil {
		return Receipt{}, err
	}
	if !resp.ok() {
		code, text := messageBirdErrorText(resp.body)
		return Receipt{}, b.http.statusError(resp, m, code, text, "", string(b.cfg.AccessKey))
	}
	var created struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(resp.body, &created); err != nil {
		return Receipt{}, b.http.malformedError(resp, "", err)
	}
	if created.ID == "" {
		return Receipt{}, b.http.malformedError(resp, "", errors.New(`"id" is missing`))
	}
	return Receipt{Gateway: b.Name(), MessageID: cleanVendorID(created.ID)}, nil
}

// messageBirdErrorText returns the first error's code and every error's
// description with its parameter, or empty strings for a body that is not
// the documented errors object.
func messageBirdErrorText(body []byte) (code, text string) {
	var parsed struct {
		Errors []messageBirdError `json:"errors"`
	}
	if json.Unmarshal(body, &parsed) != nil || len(parsed.Errors) == 0 {
		return "", ""
	}
	descriptions := make([]string, 0, len(parsed.Errors))
	for _, e := range parsed.Errors {
		d := e.Description
		if e.Parameter != "" {
			d += " (parameter " + e.Parameter + ")"
		}
		descriptions = append(descriptions, d)
	}
	return string(parsed.Errors[0].Code), strings.Join(descriptions, "; ")
}
