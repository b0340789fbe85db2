package sms

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// WebhookConfig configures the webhook gateway.
type WebhookConfig struct {
	// URL receives the POST. It must be https, except on 127.0.0.1, ::1 and
	// localhost.
	URL string `yaml:"url"`
	// Secret is the HMAC-SHA256 key shared with the receiver, at least 32
	// characters.
	Secret Secret `yaml:"secret"`
}

// Header names of a webhook request.
const (
	WebhookTimestampHeader = "X-Twofold-Timestamp"
	WebhookSignatureHeader = "X-Twofold-Signature"
)

// DefaultWebhookMaxAge is the signature age that receivers should accept
// when they have no reason to choose another.
const DefaultWebhookMaxAge = 5 * time.Minute

// Webhook sends messages to a receiver of the operator's own, such as an SMS
// modem service or a test harness.
//
// Each message is a POST of the JSON object {"to", "body", "sent_at"} with the
// header X-Twofold-Timestamp (Unix seconds) and the header
// X-Twofold-Signature: "sha256=" and the hex HMAC-SHA256, keyed with the
// shared secret, of the timestamp, ".", and the exact request body. Receivers
// check it with VerifyWebhookSignature.
//
// Any 2xx status is success. When a success response is JSON, its "id"
// becomes the receipt's MessageID, and otherwise the X-Request-Id header
// does. An error response may be the JSON object {"code", "message"}.
// Statuses 408, 429 and 5xx are temporary, and a Retry-After header is read
// as for the vendor gateways.
type Webhook struct {
	http   httpGateway
	secret []byte
}

// NewWebhook checks cfg and returns a webhook gateway that uses client
// (nil selects a default http.Client).
func NewWebhook(cfg WebhookConfig, client *http.Client) (*Webhook, error) {
	if err := newProblems("sms.webhook").webhook(cfg).err(); err != nil {
		return nil, err
	}
	gw, err := newHTTPGateway("webhook", cfg.URL, "", client)
	if err != nil {
		return nil, err
	}
	// The URL is the endpoint itself, so it keeps its exact form.
	gw.baseURL = cfg.URL
	return &Webhook{http: gw, secret: []byte(cfg.Secret)}, nil
}

// Name returns "webhook".
func (w *Webhook) Name() string { return "webhook" }

// Send posts m, signed, to the configured URL.
func (w *Webhook) Send(ctx context.Context, m Message) (Receipt, error) {
	if err := validateMessage(m); err != nil {
		return Receipt{}, err
	}
	now := w.http.now()
	body, err := encodeRecord(FileRecord{To: m.To, Body: m.Body, SentAt: now.UTC()})
	if err != nil {
		return Receipt{}, &GatewayError{Gateway: w.Name(), Err: errors.New("encoding the request failed")}
	}
	timestamp := strconv.FormatInt(now.Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.http.baseURL, bytes.NewReader(body))
	if err != nil {
		return Receipt{}, &GatewayError{Gateway: w.Name(), Err: errors.New("building the request failed")}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set(WebhookTimestampHeader, timestamp)
	req.Header.Set(WebhookSignatureHeader, SignWebhook(w.secret, timestamp, body))

	resp, err := w.http.do(req)
	if err != nil {
		return Receipt{}, err
	}
	requestID := resp.header.Get("X-Request-Id")
	if !resp.ok() {
		var parsed struct {
			Code    flexString `json:"code"`
			Message string     `json:"message"`
		}
		_ = json.Unmarshal(resp.body, &parsed)
		return Receipt{}, w.http.statusError(resp, m, string(parsed.Code), parsed.Message, requestID, string(w.secret))
	}
	id := requestID
	if isJSON(resp.header.Get("Content-Type")) && len(bytes.TrimSpace(resp.body)) > 0 {
		var parsed struct {
			ID flexString `json:"id"`
		}
		if err := json.Unmarshal(resp.body, &parsed); err != nil {
			return Receipt{}, w.http.malformedError(resp, requestID, err)
		}
		if parsed.ID != "" {
			id = string(parsed.ID)
		}
	}
	return Receipt{Gateway: w.Name(), MessageID: cleanVendorID(id)}, nil
}

func isJSON(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mediaType == "application/json" || strings.HasSuffix(mediaType, "+json"))
}

// SignWebhook returns the X-Twofold-Signature value for a request:
// "sha256=" and the hex HMAC-SHA256 of timestamp + "." + body, keyed with secret.
func SignWebhook(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Errors returned by VerifyWebhookSignature. Receivers respond to both with
// 401 Unauthorized.
var (
	// ErrWebhookSignature means the signature is missing, malformed or does
	// not match the timestamp and body.
	ErrWebhookSignature = errors.New("sms: webhook signature is invalid")
	// ErrWebhookTimestamp means the timestamp is missing, not Unix seconds, or
	// further than maxAge from now, as a replayed request would be.
	ErrWebhookTimestamp = errors.New("sms: webhook timestamp is invalid or outside the allowed age")
)

// VerifyWebhookSignature checks the X-Twofold-Timestamp and
// X-Twofold-Signature headers of a webhook request against its raw body.
//
// The timestamp may differ from now by at most maxAge in either direction,
// which bounds both replays and clock skew. maxAge <= 0 selects
// DefaultWebhookMaxAge. The signature is compared in constant time. A receiver
// that must reject every replay, not only old ones, also remembers the
// signatures it accepted within maxAge and rejects repeats.
func VerifyWebhookSignature(secret []byte, timestamp, signature string, body []byte, now time.Time, maxAge time.Duration) error {
	if maxAge <= 0 {
		maxAge = DefaultWebhookMaxAge
	}
	seconds, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: the timestamp is not Unix seconds", ErrWebhookTimestamp)
	}
	age := now.Sub(time.Unix(seconds, 0))
	if age > maxAge || age < -maxAge {
		return fmt.Errorf("%w: the timestamp is %s from now, more than %s", ErrWebhookTimestamp, age.Abs().Round(time.Second), maxAge)
	}
	hexMAC, ok := strings.CutPrefix(signature, "sha256=")
	if !ok {
		return fmt.Errorf("%w: expected sha256=<hex>", ErrWebhookSignature)
	}
	got, err := hex.DecodeString(hexMAC)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: expected sha256=<hex>", ErrWebhookSignature)
	}
	want, _ := hex.DecodeString(strings.TrimPrefix(SignWebhook(secret, timestamp, body), "sha256="))
	if !hmac.Equal(got, want) {
		return fmt.Errorf("%w: it does not match the timestamp and body", ErrWebhookSignature)
	}
	return nil
}
