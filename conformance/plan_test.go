package conformance

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"twofold/internal/testenv"
	"twofold/login"
)

// module is one test module of a certification test plan, named as the
// conformance suite names it.
type module struct {
	name string
	run  func(t *testing.T, m *run)
}

// run is one module's run: the provider, a client registered for it, the
// plan's response mode, and a browser of its own.
type run struct {
	p    *provider
	rp   *rp
	mode string // response_mode the plan sends; empty for the default
	b    *browser
}

// runPlan runs the modules in order against one twofold per backend, as the
// suite runs a plan against one provider.
func runPlan(t *testing.T, modules []module, mode string, opts func(p *provider) clientOptions) {
	for name, dbURL := range testenv.Backends(t) {
		t.Run(name, func(t *testing.T) {
			p := startProvider(t, dbURL(t))
			for _, mod := range modules {
				t.Run(mod.name, func(t *testing.T) {
					o := clientOptions{}
					if opts != nil {
						o = opts(p)
					}
					mod.run(t, &run{p: p, rp: p.client(o), mode: mode, b: newBrowser(t)})
				})
			}
		})
	}
}

// auth builds an authorization request in the plan's response mode.
func (m *run) auth(extra ...string) *request {
	if m.mode != "" {
		extra = append([]string{"response_mode", m.mode}, extra...)
	}
	return m.rp.authRequest(extra...)
}

// signIn sends q and signs in as alice, asserting a successful response.
func (m *run) signIn(t *testing.T, q *request) url.Values {
	t.Helper()
	p := m.p.signIn(m.b, m.b.get(m.rp.url(q)), alice, alicePW, "PLAIN")
	resp := atRP(t, p)
	m.checkResponse(t, q, p)
	return resp
}

// login runs a whole code flow as alice and returns the tokens.
func (m *run) login(t *testing.T, extra ...string) (*request, tokens) {
	t.Helper()
	q := m.auth(extra...)
	return q, m.rp.exchange(t, q, m.signIn(t, q))
}

// checkResponse checks an authorization response the way the suite's
// CheckMatchingCallbackParameters, CheckMatchingStateParameter and its
// RFC 9207 checks do: sent to the registered redirect URI in the requested
// mode, state byte for byte, iss equal to the issuer.
func (m *run) checkResponse(t *testing.T, q *request, p *page) {
	t.Helper()
	resp := p.response
	if got := p.rp.Scheme + "://" + p.rp.Host + p.rp.Path; got != m.rp.redirect {
		t.Errorf("response sent to %s, want the registered %s", got, m.rp.redirect)
	}
	if m.mode == "form_post" && !p.formPost {
		t.Errorf("response_mode=form_post answered by a redirect, not a form post")
	}
	if m.mode == "" && p.formPost {
		t.Errorf("default response mode answered by a form post")
	}
	if got := resp.Get("state"); got != q.state {
		t.Errorf("state = %q, want %q byte for byte", got, q.state)
	}
	if got := resp.Get("iss"); got != m.p.issuer {
		t.Errorf("iss = %q, want the issuer %q (RFC 9207)", got, m.p.issuer)
	}
	if p.formPost {
		checkFormPostPage(t, p)
	}
	if e := resp.Get("error"); e != "" {
		checkErrorCharset(t, resp)
		return
	}
	code := resp.Get("code")
	if len(code) < 22 {
		t.Errorf("code %q is too short to hold 128 random bits", code)
	}
}

// checkFormPostPage checks that the form post works under the strict
// Content-Security-Policy: a script file submits it, no inline script or
// handler does, and a button submits it without JavaScript.
func checkFormPostPage(t *testing.T, p *page) {
	t.Helper()
	csp := p.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("form post page CSP %q, want script-src 'self' without unsafe-inline", csp)
	}
	script := walk(p.doc, func(n *nodeT) bool { return n.Data == "script" })
	if script == nil || attr(script, "src") != "/static/form_post.js" || text(script) != "" {
		t.Errorf("form post page has no script file that submits it, or has inline script")
	}
	if strings.Contains(p.body, "onload") || strings.Contains(p.body, "javascript:") {
		t.Errorf("form post page uses an inline event handler, which the CSP forbids")
	}
	if walk(byID(p.doc, "form-post"), func(n *nodeT) bool { return n.Data == "button" && attr(n, "type") == "submit" }) == nil {
		t.Errorf("form post page has no submit button for browsers without JavaScript")
	}
	if p.header.Get("Cache-Control") != "no-store" {
		t.Errorf("form post page Cache-Control = %q, want no-store", p.header.Get("Cache-Control"))
	}
}

// checkErrorCharset checks error and error_description against RFC 6749,
// section 4.1.2.1.
func checkErrorCharset(t *testing.T, resp url.Values) {
	t.Helper()
	for _, k := range []string{"error", "error_description"} {
		for _, r := range resp.Get(k) {
			if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
				t.Errorf("%s %q has the character %q, which RFC 6749 does not allow", k, resp.Get(k), r)
			}
		}
	}
}

// checkIDToken checks an ID token the way the suite's ValidateIdToken does.
func (m *run) checkIDToken(t *testing.T, tok tokens) {
	t.Helper()
	c := tok.claims
	if c["iss"] != m.p.issuer {
		t.Errorf("iss = %v, want %s", c["iss"], m.p.issuer)
	}
	if !slices.Contains(tok.id.Audience, m.rp.id) {
		t.Errorf("aud = %v, want it to contain %s", tok.id.Audience, m.rp.id)
	}
	if tok.id.Subject == "" {
		t.Error("sub is empty")
	}
	iat, _ := c["iat"].(float64)
	exp, _ := c["exp"].(float64)
	now := float64(m.p.clock.Now().Unix())
	if iat > now+5 || iat < now-300 || exp <= iat {
		t.Errorf("iat %v and exp %v are not around now (%v)", iat, exp, now)
	}
	if _, ok := c["auth_time"].(float64); !ok {
		t.Errorf("auth_time missing: %v", c)
	}
	if acr, _ := c["acr"].(string); acr != login.ACRPassword && acr != login.ACRPasswordSMS {
		t.Errorf("acr = %v, want one of acr_values_supported", c["acr"])
	}
	header := jwtHeader(t, tok.raw)
	if header["alg"] != "RS256" || header["kid"] == "" || header["kid"] == nil {
		t.Errorf("ID token header %v, want RS256 with a kid", header)
	}
}

func jwtHeader(t *testing.T, raw string) map[string]any {
	t.Helper()
	part, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		t.Fatalf("decode JWT header: %v", err)
	}
	var h map[string]any
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatalf("parse JWT header: %v", err)
	}
	return h
}

func jwtClaims(t *testing.T, raw string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("JWT has %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("decode JWT claims: %v", err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("parse JWT claims: %v", err)
	}
	return c
}

// wantError fails t unless p is an error response with the code.
func (m *run) wantError(t *testing.T, q *request, p *page, codes ...string) {
	t.Helper()
	resp := atRP(t, p)
	m.checkResponse(t, q, p)
	if !slices.Contains(codes, resp.Get("error")) {
		t.Errorf("error = %q (%s), want one of %v", resp.Get("error"), resp.Get("error_description"), codes)
	}
	if resp.Get("code") != "" {
		t.Errorf("an error response carries a code")
	}
}

// loginPageShown reports whether p is twofold's sign-in form.
func loginPageShown(p *page) bool {
	return p.rp == nil && p.url.Path == "/login" && findForm(p.doc, "/login") != nil
}

// tokenError returns the OAuth error code of a failed token request.
func tokenError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

// userinfo calls the userinfo endpoint with the access token in the way
// given: "get", "post_header" or "post_body".
func (m *run) userinfo(t *testing.T, access, how string) (int, http.Header, map[string]any) {
	t.Helper()
	endpoint := m.p.issuer + "/userinfo"
	var req *http.Request
	switch how {
	case "get":
		req, _ = http.NewRequest(http.MethodGet, endpoint, nil)
		req.Header.Set("Authorization", "Bearer "+access)
	case "post_header":
		req, _ = http.NewRequest(http.MethodPost, endpoint, nil)
		req.Header.Set("Authorization", "Bearer "+access)
	case "post_body":
		req, _ = http.NewRequest(http.MethodPost, endpoint, strings.NewReader(url.Values{"access_token": {access}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, resp.Header, body
}

// after moves twofold's clock, where the suite waits.
func (m *run) after(d time.Duration) { m.p.clock.Advance(d) }

var base64URL = base64.RawURLEncoding

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
