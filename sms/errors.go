package sms

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// GatewayError describes a failed request to an SMS gateway.
//
// The Error text never contains the message body, the destination number or
// a credential. Gateways build the vendor fields from the response, remove any
// echo of the body, the number and their credentials, and replace runs of six
// or more digits (phone numbers and codes) with "[digits removed]". Error
// repeats the digit removal on Message for values built elsewhere.
type GatewayError struct {
	// Gateway is the sender name: "twilio", "messagebird", "vonage" or "webhook".
	Gateway string
	// StatusCode is the HTTP status, or 0 when no response arrived.
	StatusCode int
	// Code is the vendor's error code: Twilio's "code", MessageBird's first
	// "errors[].code", Vonage's per-message "status" or the webhook
	// receiver's "code".
	Code string
	// Message is the vendor's error text, cleaned as described above.
	Message string
	// RequestID is the vendor's identifier of the request, where the vendor
	// returns one.
	RequestID string
	// Temporary reports whether sending the same message again may succeed:
	// network errors, timeouts, HTTP 408, 429 and 5xx, and vendor statuses
	// documented as temporary.
	Temporary bool
	// RetryAfter is the wait that a Retry-After header asked for, or 0.
	RetryAfter time.Duration
	// Err is the underlying cause for failures without a usable response:
	// a network error, a timeout, or a response body that did not decode.
	// It never contains the request URL.
	Err error
}

// Error returns a one-line description that is safe to log.
func (e *GatewayError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sms: %s gateway: ", e.Gateway)
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, "HTTP %d", e.StatusCode)
	} else {
		b.WriteString("request failed")
	}
	if e.Code != "" {
		fmt.Fprintf(&b, ", error code %s", e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(removeDigitRuns(e.Message))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", e.RequestID)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.Temporary {
		b.WriteString(" (temporary)")
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *GatewayError) Unwrap() error { return e.Err }

// Retryable reports whether sending the same message again may succeed.
func (e *GatewayError) Retryable() bool { return e.Temporary }

// IsRetryable reports whether err is worth another attempt: a temporary
// *GatewayError, an expired deadline or a network timeout. It returns false
// for nil, for ErrInvalidMessage and for a canceled context.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, ErrInvalidMessage) || errors.Is(err, context.Canceled) {
		return false
	}
	if ge, ok := errors.AsType[*GatewayError](err); ok {
		return ge.Temporary
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// transportError turns an error from http.Client.Do into a *GatewayError.
// It drops the *url.Error wrapper because its text contains the request URL,
// which may carry an account id or, for a webhook, a token.
func transportError(gateway string, err error) *GatewayError {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		err = fmt.Errorf("timed out: %w", err)
	}
	return &GatewayError{Gateway: gateway, Err: err, Temporary: isTemporaryTransportError(err)}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// isTemporaryTransportError treats every network failure as temporary except
// a canceled request and a certificate that does not verify: a retry cannot
// fix a certificate, and a fallback gateway is the better path.
func isTemporaryTransportError(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var verifyErr *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &verifyErr), errors.As(err, &unknownAuthority),
		errors.As(err, &hostname), errors.As(err, &invalid):
		return false
	}
	return true
}

// digitRunPattern matches six or more digits, optionally after "+" and with
// single spaces, dots or dashes between them: phone numbers and codes.
var digitRunPattern = regexp.MustCompile(`\+?[0-9](?:[ .\-]?[0-9]){5,}`)

func removeDigitRuns(s string) string {
	return digitRunPattern.ReplaceAllString(s, "[digits removed]")
}

// maxVendorTextBytes bounds the vendor text kept in an error, so that a
// gateway returning a large page cannot flood the log.
const maxVendorTextBytes = 300

// cleanVendorText prepares text from a vendor response for an error. It
// removes the message body, the destination number with and without "+", the
// given credentials and all digit runs. It then replaces control characters
// with spaces and truncates the result to maxVendorTextBytes.
func cleanVendorText(text string, m Message, secrets ...string) string {
	replacements := make([]string, 0, 2*(len(secrets)+3))
	for _, s := range secrets {
		if s != "" {
			replacements = append(replacements, s, "[redacted]")
		}
	}
	if m.Body != "" {
		replacements = append(replacements, m.Body, "[body removed]")
	}
	if len(m.To) > 1 {
		replacements = append(replacements, m.To, "[number removed]", m.To[1:], "[number removed]")
	}
	if len(replacements) > 0 {
		text = strings.NewReplacer(replacements...).Replace(text)
	}
	text = removeDigitRuns(text)
	text = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, text)
	return truncateUTF8(strings.TrimSpace(text), maxVendorTextBytes)
}

// cleanVendorID keeps an identifier from a response readable and bounded
// without changing its digits, which identifiers need.
func cleanVendorID(id string) string {
	id = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, id)
	return truncateUTF8(id, 100)
}

func truncateUTF8(s string, maxBytes int) string {
	if len(s) <= maxBytes {
		return s
	}
	cut := maxBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
