package sms

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxResponseBytes bounds how much of a gateway response is read. Every
// documented success and error body is far smaller.
const maxResponseBytes = 64 << 10

// httpGateway holds what the vendor gateways share: the base URL, the HTTP
// client and the clock used to read Retry-After dates.
type httpGateway struct {
	name    string
	baseURL string // without a trailing slash
	client  *http.Client
	now     func() time.Time
}

// newHTTPGateway checks baseURL (empty selects defaultURL) and prepares a copy
// of client that does not follow redirects, because a gateway API never
// redirects a send and a followed redirect could resend the credentials
// elsewhere. A nil client selects a new http.Client with default settings.
func newHTTPGateway(name, baseURL, defaultURL string, client *http.Client) (httpGateway, error) {
	if baseURL == "" {
		baseURL = defaultURL
	}
	if problem := checkEndpointURL(baseURL); problem != "" {
		return httpGateway{}, fmt.Errorf("sms: %s base URL %s", name, problem)
	}
	var c http.Client
	if client != nil {
		c = *client
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return httpGateway{
		name:    name,
		baseURL: strings.TrimRight(baseURL, "/"),
		client:  &c,
		now:     time.Now,
	}, nil
}

// checkEndpointURL returns "" for an https URL, or for an http URL whose host
// is 127.0.0.1, ::1 or localhost, and otherwise a phrase that completes
// "<setting> ...". The phrase never repeats the URL, which may carry a token.
func checkEndpointURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "must be an absolute https URL"
	}
	if u.User != nil {
		return "must not contain a user name or password"
	}
	switch u.Scheme {
	case "https":
		return ""
	case "http":
		switch u.Hostname() {
		case "127.0.0.1", "::1", "localhost":
			return ""
		}
	}
	return "must be an https URL (http is allowed only for 127.0.0.1, ::1 and localhost)"
}

// gatewayResponse is a response whose body has been read and closed.
type gatewayResponse struct {
	status int
	header http.Header
	body   []byte
}

func (r *gatewayResponse) ok() bool { return r.status >= 200 && r.status < 300 }

// do sends req and reads at most maxResponseBytes of the response.
func (g *httpGateway) do(req *http.Request) (*gatewayResponse, error) {
	req.Header.Set("User-Agent", "twofold-sms")
	resp, err := g.client.Do(req)
	if err != nil {
		return nil, transportError(g.name, err)
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		ge := transportError(g.name, err)
		ge.StatusCode = resp.StatusCode
		ge.Err = fmt.Errorf("reading the response failed: %w", ge.Err)
		return nil, ge
	}
	return &gatewayResponse{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// statusError builds the error for a response that is not a success.
// code and text come from the vendor's error body and are cleaned here.
func (g *httpGateway) statusError(r *gatewayResponse, m Message, code, text, requestID string, secrets ...string) *GatewayError {
	return &GatewayError{
		Gateway:    g.name,
		StatusCode: r.status,
		Code:       cleanVendorText(code, m, secrets...),
		Message:    cleanVendorText(text, m, secrets...),
		RequestID:  cleanVendorID(requestID),
		Temporary:  isTemporaryStatus(r.status),
		RetryAfter: parseRetryAfter(r.header.Get("Retry-After"), g.now()),
	}
}

// malformedError builds the error for a success status whose body did not
// decode. It is not temporary: the gateway may have accepted the message, so
// a retry through the same gateway could deliver it twice.
func (g *httpGateway) malformedError(r *gatewayResponse, requestID string, cause error) *GatewayError {
	return &GatewayError{
		Gateway:    g.name,
		StatusCode: r.status,
		RequestID:  cleanVendorID(requestID),
		Err:        fmt.Errorf("malformed response body: %w", cause),
	}
}

// isTemporaryStatus reports whether an HTTP status may go away on its own:
// 408 Request Timeout, 429 Too Many Requests and every 5xx.
func isTemporaryStatus(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// maxRetryAfter caps a parsed Retry-After so that a huge value cannot overflow.
const maxRetryAfter = 24 * time.Hour

// parseRetryAfter reads a Retry-After value, either seconds or an HTTP date
// (RFC 9110, section 10.2.3). It returns 0 for a missing or invalid value.
func parseRetryAfter(value string, now time.Time) time.Duration {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0
	}
	if seconds, err := strconv.ParseInt(value, 10, 64); err == nil {
		if seconds <= 0 {
			return 0
		}
		return time.Duration(min(seconds, int64(maxRetryAfter/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(value); err == nil {
		return min(max(t.Sub(now), 0), maxRetryAfter)
	}
	return 0
}

// flexString decodes a JSON string or number into its text. Vendors document
// codes and statuses as one or the other and sometimes change between them.
type flexString string

func (f *flexString) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*f = ""
		return nil
	}
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(data, &n); err != nil {
		return err
	}
	*f = flexString(n.String())
	return nil
}
