package conformance

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// rpLogoutModules are the modules of
// oidcc-rp-initiated-logout-certification-test-plan. After each logout but
// the refused ones, the suite checks with prompt=none that the user is
// signed out.
var rpLogoutModules = []module{
	{"oidcc-rp-initiated-logout-discovery-endpoint-verification", moduleLogoutDiscovery},
	{"oidcc-rp-initiated-logout", moduleLogout},
	{"oidcc-rp-initiated-logout-bad-post-logout-redirect-uri", moduleLogoutBadRedirect},
	{"oidcc-rp-initiated-logout-modified-id-token-hint", moduleLogoutModifiedHint},
	{"oidcc-rp-initiated-logout-no-id-token-hint", moduleLogoutNoHint},
	{"oidcc-rp-initiated-logout-no-params", moduleLogoutNoParams},
	{"oidcc-rp-initiated-logout-no-post-logout-redirect-uri", moduleLogoutNoRedirect},
	{"oidcc-rp-initiated-logout-no-state", moduleLogoutNoState},
	{"oidcc-rp-initiated-logout-only-state", moduleLogoutOnlyState},
}

func TestRPInitiatedLogoutOP(t *testing.T) { runPlan(t, rpLogoutModules, "", nil) }

func moduleLogoutDiscovery(t *testing.T, m *run) {
	if doc := discovery(t, m.p); doc["end_session_endpoint"] != m.p.issuer+"/end_session" {
		t.Errorf("end_session_endpoint = %v", doc["end_session_endpoint"])
	}
}

// logoutState is 128 characters long, as the suite's, to catch a provider
// that shortens or re-encodes it.
var logoutState = strings.Repeat("aZ09-._~", 16)

// endSession sends the browser to end_session with the parameters.
func (m *run) endSession(params url.Values) *page {
	return m.b.get(m.p.issuer + "/end_session?" + params.Encode())
}

// wantSignedOut checks the suite's last step: prompt=none must now fail
// with an error that asks for a user interface.
func (m *run) wantSignedOut(t *testing.T) {
	t.Helper()
	q := m.auth("prompt", "none")
	m.wantError(t, q, m.b.get(m.rp.url(q)), "login_required", "interaction_required")
}

// wantSignedOutPage fails t unless p is twofold's own signed-out page.
func wantSignedOutPage(t *testing.T, p *page) {
	t.Helper()
	if p.rp != nil {
		t.Fatalf("redirected to %s, want twofold's signed-out page", p.rp)
	}
	if p.status != http.StatusOK || heading(p) != "You are signed out" {
		t.Fatalf("at %s with status %d and heading %q, want the signed-out page", p.url.Path, p.status, heading(p))
	}
}

// confirm submits the logout confirmation page, which twofold shows when
// it cannot tell the request came from the user's own application.
func (m *run) confirm(t *testing.T, p *page) *page {
	t.Helper()
	if p.rp != nil || findForm(p.doc, "/end_session/confirm") == nil {
		t.Fatalf("at %s (status %d, redirect %v), want the sign-out confirmation page", p.url.Path, p.status, p.rp)
	}
	return m.b.submit(p, "/end_session/confirm", nil)
}

func moduleLogout(t *testing.T, m *run) {
	_, tok := m.login(t)
	p := m.endSession(url.Values{"id_token_hint": {tok.raw}, "post_logout_redirect_uri": {m.rp.postLogout}, "state": {logoutState}})
	if p.rp == nil || p.rp.Scheme+"://"+p.rp.Host+p.rp.Path != m.rp.postLogout {
		t.Fatalf("at %s (status %d), want a redirect to %s", p.url.Path, p.status, m.rp.postLogout)
	}
	if got := p.rp.Query().Get("state"); got != logoutState {
		t.Errorf("state = %q, want %q", got, logoutState)
	}
	if extra := len(p.rp.Query()); extra != 1 {
		t.Errorf("post-logout redirect has parameters %v, want state only", p.rp.Query())
	}
	m.wantSignedOut(t)
}

func moduleLogoutBadRedirect(t *testing.T, m *run) {
	_, tok := m.login(t)
	for _, uri := range []string{"https://" + rpHost + "/elsewhere", m.rp.postLogout + "/altered", m.rp.postLogout + "?x=1"} {
		p := m.endSession(url.Values{"id_token_hint": {tok.raw}, "post_logout_redirect_uri": {uri}, "state": {logoutState}})
		wantSignedOutPage(t, p)
	}
	m.wantSignedOut(t)
}

// modifiedHint changes the hint's header to alg none, as the suite's
// ChangeIdTokenToAlgNone does.
func modifiedHint(raw string) string {
	parts := strings.Split(raw, ".")
	return b64([]byte(`{"alg":"none"}`)) + "." + parts[1] + "."
}

func moduleLogoutModifiedHint(t *testing.T, m *run) {
	_, tok := m.login(t)
	p := m.endSession(url.Values{"id_token_hint": {modifiedHint(tok.raw)}, "post_logout_redirect_uri": {m.rp.postLogout}, "state": {logoutState}})
	wantSignedOutPage(t, m.confirm(t, p))
	m.wantSignedOut(t)
}

func moduleLogoutNoHint(t *testing.T, m *run) {
	m.login(t)
	p := m.endSession(url.Values{"post_logout_redirect_uri": {m.rp.postLogout}, "state": {logoutState}, "client_id": {m.rp.id}})
	wantSignedOutPage(t, m.confirm(t, p))
	m.wantSignedOut(t)
}

func moduleLogoutNoParams(t *testing.T, m *run) {
	m.login(t)
	wantSignedOutPage(t, m.confirm(t, m.endSession(url.Values{})))
	m.wantSignedOut(t)
}

func moduleLogoutNoRedirect(t *testing.T, m *run) {
	_, tok := m.login(t)
	wantSignedOutPage(t, m.endSession(url.Values{"id_token_hint": {tok.raw}, "state": {logoutState}}))
	m.wantSignedOut(t)
}

func moduleLogoutNoState(t *testing.T, m *run) {
	_, tok := m.login(t)
	p := m.endSession(url.Values{"id_token_hint": {tok.raw}, "post_logout_redirect_uri": {m.rp.postLogout}})
	if p.rp == nil {
		t.Fatalf("at %s (status %d), want a redirect to %s", p.url.Path, p.status, m.rp.postLogout)
	}
	if p.rp.RawQuery != "" {
		t.Errorf("post-logout redirect has query %q, want none without state", p.rp.RawQuery)
	}
	m.wantSignedOut(t)
}

func moduleLogoutOnlyState(t *testing.T, m *run) {
	m.login(t)
	wantSignedOutPage(t, m.confirm(t, m.endSession(url.Values{"state": {logoutState}})))
	m.wantSignedOut(t)
}

// receiver is a client's back-channel logout endpoint on 127.0.0.1.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	tokens []string
	// fail answers this many requests with status 500 before it accepts.
	fail int
	// hang makes the receiver answer only after this long.
	hang time.Duration
	got  chan struct{}
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{got: make(chan struct{}, 16)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		form, _ := url.ParseQuery(string(body))
		r.mu.Lock()
		fail, hang := r.fail > 0, r.hang
		if fail {
			r.fail--
		}
		if req.Method == http.MethodPost && req.Header.Get("Content-Type") == "application/x-www-form-urlencoded" && !fail && hang == 0 {
			r.tokens = append(r.tokens, form.Get("logout_token"))
		}
		r.mu.Unlock()
		if hang > 0 {
			time.Sleep(hang)
		}
		w.Header().Set("Cache-Control", "no-store")
		if fail {
			w.WriteHeader(http.StatusInternalServerError)
		}
		r.got <- struct{}{}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) uri() string { return r.srv.URL + "/backchannel_logout" }

// wait waits for n requests and returns the tokens accepted so far.
func (r *receiver) wait(t *testing.T, n int) []string {
	t.Helper()
	for range n {
		select {
		case <-r.got:
		case <-time.After(10 * time.Second):
			t.Fatal("no back-channel logout request arrived within 10 seconds")
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.tokens...)
}

// backchannelModules are the modules of
// oidcc-backchannel-rp-initiated-logout-certification-test-plan.
var backchannelModules = []module{
	{"oidcc-backchannel-logout-discovery-endpoint-verification", moduleBackchannelDiscovery},
	{"oidcc-backchannel-rp-initiated-logout", moduleBackchannelLogout},
}

func TestBackChannelLogoutOP(t *testing.T) { runPlan(t, backchannelModules, "", nil) }

func moduleBackchannelDiscovery(t *testing.T, m *run) {
	doc := discovery(t, m.p)
	if doc["backchannel_logout_supported"] != true || doc["backchannel_logout_session_supported"] != true {
		t.Errorf("backchannel_logout_supported %v, backchannel_logout_session_supported %v; want both true",
			doc["backchannel_logout_supported"], doc["backchannel_logout_session_supported"])
	}
	if doc["end_session_endpoint"] != m.p.issuer+"/end_session" {
		t.Errorf("end_session_endpoint = %v", doc["end_session_endpoint"])
	}
}

func moduleBackchannelLogout(t *testing.T, m *run) {
	rcv := newReceiver(t)
	m.rp = m.p.client(clientOptions{backchannel: rcv.uri()})
	_, tok := m.login(t)
	p := m.endSession(url.Values{"id_token_hint": {tok.raw}, "post_logout_redirect_uri": {m.rp.postLogout}, "state": {logoutState}})
	if p.rp == nil || p.rp.Query().Get("state") != logoutState {
		t.Fatalf("front-channel: at %s (status %d), want the post-logout redirect with state", p.url.Path, p.status)
	}
	got := rcv.wait(t, 1)
	if len(got) != 1 {
		t.Fatalf("back-channel logout tokens: %d, want 1", len(got))
	}
	checkLogoutToken(t, m, got[0], tok)
	m.wantSignedOut(t)
}

// checkLogoutToken validates a logout token as the suite's
// ValidateLogoutTokenSignature and ValidateLogoutTokenClaims do (OpenID
// Connect Back-Channel Logout 1.0, section 2.4).
func checkLogoutToken(t *testing.T, m *run, raw string, idt tokens) {
	t.Helper()
	parsed, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("parse logout token: %v", err)
	}
	if len(parsed.Headers) != 1 || parsed.Headers[0].ExtraHeaders["typ"] != "logout+jwt" || parsed.Headers[0].KeyID == "" {
		t.Errorf("logout token header %+v, want typ logout+jwt and a kid", parsed.Headers)
	}
	var key any
	for _, k := range fetchJWKSSet(t, m.p).Keys {
		if k.KeyID == parsed.Headers[0].KeyID {
			key = k.Key
		}
	}
	if key == nil {
		t.Fatalf("logout token kid %s is not in the JWKS", parsed.Headers[0].KeyID)
	}
	var claims map[string]any
	if err := parsed.Claims(key, &claims); err != nil {
		t.Fatalf("logout token signature: %v", err)
	}
	if claims["iss"] != m.p.issuer || claims["aud"] != m.rp.id {
		t.Errorf("iss %v, aud %v; want %s and %s", claims["iss"], claims["aud"], m.p.issuer, m.rp.id)
	}
	if claims["sub"] != idt.id.Subject || claims["sid"] != idt.claims["sid"] {
		t.Errorf("sub %v, sid %v; want the ID token's %s and %v", claims["sub"], claims["sid"], idt.id.Subject, idt.claims["sid"])
	}
	if _, ok := claims["nonce"]; ok {
		t.Error("logout token has a nonce")
	}
	for _, c := range []string{"iat", "exp", "jti"} {
		if _, ok := claims[c]; !ok {
			t.Errorf("logout token lacks %s", c)
		}
	}
	events, _ := claims["events"].(map[string]any)
	if _, ok := events["http://schemas.openid.net/event/backchannel-logout"]; !ok || len(events) != 1 {
		t.Errorf("events = %v, want the back-channel logout event alone", claims["events"])
	}
}

func fetchJWKSSet(t *testing.T, p *provider) jose.JSONWebKeySet {
	t.Helper()
	resp, err := http.Get(p.issuer + "/keys")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	body, _ := io.ReadAll(resp.Body)
	if err := jsonUnmarshal(body, &set); err != nil {
		t.Fatal(err)
	}
	return set
}

// TestProviderRoutesNotReachable: the library's own callback and
// end_session, which lack twofold's browser binding and CSRF checks, are
// reachable by no method.
func TestProviderRoutesNotReachable(t *testing.T) {
	each(t, func(t *testing.T, m *run) {
		for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
			req, _ := http.NewRequest(method, m.p.issuer+"/authorize/callback?id=ar_x", nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Location") != "" {
				t.Errorf("%s /authorize/callback: status %d, want twofold's 404 page", method, resp.StatusCode)
			}
		}
	})
}
