package conformance

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"twofold/storage"
)

// basicModules are the modules of oidcc-basic-certification-test-plan, in
// the plan's order, with the suite's names. The Form Post plan runs the
// same modules with response_mode=form_post.
var basicModules = []module{
	{"oidcc-server", moduleServer},
	{"oidcc-response-type-missing", moduleResponseTypeMissing},
	{"oidcc-id-token-signature", moduleIDTokenSignature},
	{"oidcc-id-token-unsigned", moduleIDTokenUnsigned},
	{"oidcc-userinfo-get", moduleUserinfo("get")},
	{"oidcc-userinfo-post-header", moduleUserinfo("post_header")},
	{"oidcc-userinfo-post-body", moduleUserinfo("post_body")},
	{"oidcc-ensure-request-without-nonce-succeeds-for-code-flow", moduleWithoutNonce},
	{"oidcc-scope-profile", moduleScope("openid profile", []string{"name", "preferred_username"})},
	{"oidcc-scope-email", moduleScope("openid email", []string{"email"})},
	{"oidcc-scope-address", moduleScope("openid address", nil)},
	{"oidcc-scope-phone", moduleScope("openid phone", nil)},
	{"oidcc-scope-all", moduleScope("openid profile email address phone", []string{"name", "email"})},
	{"oidcc-ensure-other-scope-order-succeeds", moduleOtherScopeOrder},
	{"oidcc-display-page", moduleSucceedsWith("display", "page")},
	{"oidcc-display-popup", moduleSucceedsWith("display", "popup")},
	{"oidcc-prompt-login", modulePromptLogin},
	{"oidcc-prompt-none-not-logged-in", modulePromptNoneNotLoggedIn},
	{"oidcc-prompt-none-logged-in", modulePromptNoneLoggedIn},
	{"oidcc-max-age-1", moduleMaxAge1},
	{"oidcc-max-age-10000", moduleMaxAge10000},
	{"oidcc-ensure-request-with-unknown-parameter-succeeds", moduleSucceedsWith("extra", "foobar")},
	{"oidcc-id-token-hint", moduleIDTokenHint},
	{"oidcc-login-hint", moduleLoginHint},
	{"oidcc-ui-locales", moduleSucceedsWith("ui_locales", "se")},
	{"oidcc-claims-locales", moduleSucceedsWith("claims_locales", "se")},
	{"oidcc-ensure-request-with-acr-values-succeeds", moduleACRValues},
	{"oidcc-codereuse", moduleCodeReuse(0)},
	{"oidcc-codereuse-30seconds", moduleCodeReuse(30 * time.Second)},
	{"oidcc-ensure-registered-redirect-uri", moduleRegisteredRedirectURI},
	{"oidcc-ensure-post-request-succeeds", modulePostRequest},
	{"oidcc-server-client-secret-post", moduleClientSecretPost},
	{"oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported", moduleRequestURI},
	{"oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported", moduleRequestObject},
	{"oidcc-claims-essential", moduleClaimsEssential},
	{"oidcc-ensure-request-object-with-redirect-uri", moduleRequestObjectWithRedirectURI},
	{"oidcc-refresh-token", moduleRefreshToken},
	{"oidcc-ensure-request-with-valid-pkce-succeeds", moduleValidPKCE},
}

func TestBasicOP(t *testing.T) { runPlan(t, basicModules, "", nil) }

func TestFormPostBasicOP(t *testing.T) { runPlan(t, basicModules, "form_post", nil) }

// moduleServer is the plan's happy flow: discovery, JWKS with kids, the
// code flow with client_secret_basic, the ID token's claims and
// signature, a token response that must not be cached, and userinfo.
func moduleServer(t *testing.T, m *run) {
	q := m.auth()
	resp := m.signIn(t, q)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {resp.Get("code")}, "redirect_uri": {m.rp.redirect}}
	status, header, body := m.tokenRequest(t, form, true)
	if status != http.StatusOK {
		t.Fatalf("token endpoint: status %d, body %v", status, body)
	}
	if header.Get("Cache-Control") != "no-store" {
		t.Errorf("token response Cache-Control = %q, want no-store (RFC 6749, section 5.1)", header.Get("Cache-Control"))
	}
	if !strings.EqualFold(body["token_type"].(string), "Bearer") {
		t.Errorf("token_type = %v, want Bearer", body["token_type"])
	}
	access, _ := body["access_token"].(string)
	if len(access) < 22 {
		t.Errorf("access token %q is too short to hold 128 random bits", access)
	}
	raw, _ := body["id_token"].(string)
	idt, err := m.rp.verifier.Verify(m.p.ctx, raw)
	if err != nil {
		t.Fatalf("verify ID token: %v", err)
	}
	tok := tokens{raw: raw, id: idt}
	_ = idt.Claims(&tok.claims)
	m.checkIDToken(t, tok)
	if idt.Nonce != q.nonce {
		t.Errorf("nonce = %q, want %q", idt.Nonce, q.nonce)
	}
	status, _, info := m.userinfo(t, access, "get")
	if status != http.StatusOK || info["sub"] != idt.Subject {
		t.Errorf("userinfo: status %d, sub %v, want 200 and %s", status, info["sub"], idt.Subject)
	}
}

// tokenRequest posts to the token endpoint with the client's registered
// authentication, or none when authenticate is false.
func (m *run) tokenRequest(t *testing.T, form url.Values, authenticate bool) (int, http.Header, map[string]any) {
	t.Helper()
	if authenticate && m.rp.method == storage.AuthMethodPost {
		form.Set("client_id", m.rp.id)
		form.Set("client_secret", m.rp.secret)
	}
	req, _ := http.NewRequest(http.MethodPost, m.p.issuer+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if authenticate && m.rp.method == storage.AuthMethodBasic {
		req.SetBasicAuth(url.QueryEscape(m.rp.id), url.QueryEscape(m.rp.secret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("token endpoint: %v", err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, resp.Header, body
}

func moduleResponseTypeMissing(t *testing.T, m *run) {
	q := m.auth("response_type", "")
	m.wantError(t, q, m.b.get(m.rp.url(q)), "invalid_request", "unsupported_response_type")
}

func moduleIDTokenSignature(t *testing.T, m *run) {
	_, tok := m.login(t)
	kid := jwtHeader(t, tok.raw)["kid"]
	keys := fetchJWKS(t, m.p)
	found := false
	for _, k := range keys {
		if k["kid"] == kid && k["alg"] == "RS256" && k["use"] == "sig" {
			found = true
		}
	}
	if !found {
		t.Errorf("ID token kid %v is not a signing key in the JWKS %v", kid, keys)
	}
}

// fetchJWKS returns the keys of jwks_uri, checking that every one has a
// kid and no private part.
func fetchJWKS(t *testing.T, p *provider) []map[string]any {
	t.Helper()
	resp, err := http.Get(p.issuer + "/keys")
	if err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	if len(set.Keys) == 0 {
		t.Fatal("JWKS has no keys")
	}
	for _, k := range set.Keys {
		if kid, _ := k["kid"].(string); kid == "" {
			t.Errorf("JWK without kid: %v", k)
		}
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			if _, ok := k[private]; ok {
				t.Errorf("JWK %v publishes the private member %s", k["kid"], private)
			}
		}
	}
	return set.Keys
}

// moduleIDTokenUnsigned: the suite runs it only for clients that register
// id_token_signed_response_alg none, which needs dynamic registration and
// "none" in discovery. Static clients skip it; twofold must not offer none.
func moduleIDTokenUnsigned(t *testing.T, m *run) {
	doc := discovery(t, m.p)
	if slices.Contains(stringList(doc["id_token_signing_alg_values_supported"]), "none") {
		t.Error("discovery offers unsigned ID tokens")
	}
}

func moduleUserinfo(how string) func(t *testing.T, m *run) {
	return func(t *testing.T, m *run) {
		_, tok := m.login(t)
		status, _, info := m.userinfo(t, tok.oauth.AccessToken, how)
		if status != http.StatusOK {
			t.Fatalf("userinfo (%s): status %d", how, status)
		}
		if info["sub"] != tok.id.Subject {
			t.Errorf("userinfo sub = %v, want the ID token's %s", info["sub"], tok.id.Subject)
		}
	}
}

func moduleWithoutNonce(t *testing.T, m *run) {
	q := m.auth("nonce", "")
	tok := m.rp.exchange(t, q, m.signIn(t, q))
	if _, ok := tok.claims["nonce"]; ok {
		t.Errorf("ID token has a nonce although the request had none: %v", tok.claims["nonce"])
	}
}

// moduleScope requests scopes and checks that userinfo returns the claims
// the scopes stand for. twofold has no address or phone scope; the suite
// accepts a provider that does not list them and returns no such claims.
func moduleScope(scope string, want []string) func(t *testing.T, m *run) {
	return func(t *testing.T, m *run) {
		_, tok := m.login(t, "scope", scope)
		_, _, info := m.userinfo(t, tok.oauth.AccessToken, "get")
		for _, c := range want {
			if _, ok := info[c]; !ok {
				t.Errorf("scope %q: userinfo lacks %s: %v", scope, c, info)
			}
		}
		for _, c := range []string{"phone_number", "address"} {
			if _, ok := info[c]; ok {
				t.Errorf("scope %q: userinfo returns %s, which twofold never releases", scope, c)
			}
		}
	}
}

func moduleOtherScopeOrder(t *testing.T, m *run) {
	_, tok := m.login(t, "scope", "email openid")
	if _, _, info := m.userinfo(t, tok.oauth.AccessToken, "get"); info["email"] == nil {
		t.Errorf("userinfo lacks email with scope \"email openid\": %v", info)
	}
}

// moduleSucceedsWith sends one more parameter, which must not stop the
// flow: display, an unknown parameter, ui_locales, claims_locales.
func moduleSucceedsWith(name, value string) func(t *testing.T, m *run) {
	return func(t *testing.T, m *run) {
		_, tok := m.login(t, name, value)
		m.checkIDToken(t, tok)
	}
}

func modulePromptLogin(t *testing.T, m *run) {
	_, first := m.login(t)
	m.after(2 * time.Second)
	q := m.auth("prompt", "login")
	p := m.b.get(m.rp.url(q))
	if !loginPageShown(p) {
		t.Fatalf("prompt=login at %s, want the sign-in form again", p.url.Path)
	}
	p = m.p.signIn(m.b, p, alice, alicePW, "PLAIN")
	m.checkResponse(t, q, p)
	second := m.rp.exchange(t, q, atRP(t, p))
	if second.id.Subject != first.id.Subject {
		t.Errorf("sub changed: %s, then %s", first.id.Subject, second.id.Subject)
	}
	if !authTime(second).After(authTime(first)) {
		t.Errorf("auth_time %v after prompt=login is not later than %v", authTime(second), authTime(first))
	}
}

func modulePromptNoneNotLoggedIn(t *testing.T, m *run) {
	q := m.auth("prompt", "none")
	m.wantError(t, q, m.b.get(m.rp.url(q)), "login_required", "interaction_required", "account_selection_required", "consent_required")
}

func modulePromptNoneLoggedIn(t *testing.T, m *run) {
	_, first := m.login(t)
	q := m.auth("prompt", "none")
	p := m.b.get(m.rp.url(q))
	m.checkResponse(t, q, p)
	second := m.rp.exchange(t, q, atRP(t, p))
	if second.id.Subject != first.id.Subject {
		t.Errorf("prompt=none gave sub %s, want %s", second.id.Subject, first.id.Subject)
	}
}

func moduleMaxAge1(t *testing.T, m *run) {
	_, first := m.login(t)
	m.after(2 * time.Second)
	q := m.auth("max_age", "1")
	p := m.b.get(m.rp.url(q))
	if !loginPageShown(p) {
		t.Fatalf("max_age=1 two seconds after signing in led to %s, want the sign-in form", p.url.Path)
	}
	p = m.p.signIn(m.b, p, alice, alicePW, "PLAIN")
	m.checkResponse(t, q, p)
	second := m.rp.exchange(t, q, atRP(t, p))
	if _, ok := second.claims["auth_time"]; !ok {
		t.Fatal("auth_time missing although max_age was sent (OpenID Connect Core 1.0, section 3.1.2.1)")
	}
	if !authTime(second).After(authTime(first)) {
		t.Errorf("auth_time %v is not later than the first %v", authTime(second), authTime(first))
	}
	if d := m.p.clock.Now().Sub(authTime(second)); d > time.Minute || d < -time.Minute {
		t.Errorf("auth_time %v is not recent", authTime(second))
	}
}

func moduleMaxAge10000(t *testing.T, m *run) {
	_, first := m.login(t)
	m.after(2 * time.Second)
	q := m.auth("max_age", "10000")
	p := m.b.get(m.rp.url(q))
	if loginPageShown(p) {
		t.Fatal("max_age=10000 asked for the password again")
	}
	m.checkResponse(t, q, p)
	second := m.rp.exchange(t, q, atRP(t, p))
	if _, ok := second.claims["auth_time"]; !ok {
		t.Fatal("auth_time missing although max_age was sent")
	}
	if !authTime(second).Equal(authTime(first)) {
		t.Errorf("auth_time %v, want the first sign-in's %v", authTime(second), authTime(first))
	}
}

func moduleIDTokenHint(t *testing.T, m *run) {
	_, first := m.login(t)
	q := m.auth("prompt", "none", "id_token_hint", first.raw)
	p := m.b.get(m.rp.url(q))
	m.checkResponse(t, q, p)
	second := m.rp.exchange(t, q, atRP(t, p))
	if second.id.Subject != first.id.Subject {
		t.Errorf("sub = %s, want the hint's %s", second.id.Subject, first.id.Subject)
	}
}

// moduleLoginHint: the suite asks for a screenshot of the prefilled form;
// here the form's fields are read.
func moduleLoginHint(t *testing.T, m *run) {
	q := m.auth("login_hint", "alice@plain")
	p := m.b.get(m.rp.url(q))
	form := findForm(p.doc, "/login")
	if form == nil {
		t.Fatalf("at %s, want the sign-in form", p.url.Path)
	}
	values := map[string]string{}
	for _, in := range inputs(form) {
		values[attr(in, "name")] = attr(in, "value")
	}
	if values["username"] != alice || values["office"] != "PLAIN" {
		t.Errorf("login_hint alice@plain prefilled username %q and office %q", values["username"], values["office"])
	}
	p = m.p.signIn(m.b, p, alice, alicePW, "PLAIN")
	m.checkResponse(t, q, p)
	m.rp.exchange(t, q, atRP(t, p))

	email := m.auth("login_hint", "alice@example.com")
	fresh := newBrowser(t)
	page := fresh.get(m.rp.url(email))
	for _, in := range inputs(findForm(page.doc, "/login")) {
		if attr(in, "name") == "username" && attr(in, "value") != "alice@example.com" {
			t.Errorf("an email-shaped login_hint prefilled username %q, want it whole", attr(in, "value"))
		}
	}
}

// moduleACRValues sends acr_values the suite makes up; they are voluntary,
// so the flow succeeds, and acr is one twofold supports.
func moduleACRValues(t *testing.T, m *run) {
	_, tok := m.login(t, "acr_values", "1 2")
	m.checkIDToken(t, tok)
}

// moduleCodeReuse redeems a code twice, the second time after wait. The
// second redemption fails with invalid_grant, and the access token from
// the first is revoked (RFC 6749, section 4.1.2).
func moduleCodeReuse(wait time.Duration) func(t *testing.T, m *run) {
	return func(t *testing.T, m *run) {
		q := m.auth()
		resp := m.signIn(t, q)
		first := m.rp.exchange(t, q, resp)
		m.after(wait)
		_, err := m.rp.oauth.Exchange(m.p.ctx, resp.Get("code"))
		if got := tokenError(err); got != "invalid_grant" {
			t.Fatalf("second redemption: %v, want invalid_grant", err)
		}
		if status, header, _ := m.userinfo(t, first.oauth.AccessToken, "get"); status != http.StatusUnauthorized ||
			!strings.Contains(header.Get("WWW-Authenticate"), "invalid_token") {
			t.Errorf("access token of the first redemption: userinfo status %d, WWW-Authenticate %q; want 401 invalid_token",
				status, header.Get("WWW-Authenticate"))
		}
	}
}

func moduleRegisteredRedirectURI(t *testing.T, m *run) {
	q := m.auth("redirect_uri", "https://"+rpHost+"/"+m.rp.id+"/unregistered")
	p := m.b.get(m.rp.url(q))
	if p.rp != nil {
		t.Fatalf("an unregistered redirect URI was redirected to: %s", p.rp)
	}
	if p.status != http.StatusBadRequest || !strings.Contains(p.header.Get("Content-Type"), "text/html") {
		t.Errorf("status %d, content type %q; want twofold's 400 error page", p.status, p.header.Get("Content-Type"))
	}
}

func modulePostRequest(t *testing.T, m *run) {
	q := m.auth()
	p := m.b.post(m.p.issuer+"/authorize", q.params)
	p = m.p.signIn(m.b, p, alice, alicePW, "PLAIN")
	m.checkResponse(t, q, p)
	m.checkIDToken(t, m.rp.exchange(t, q, atRP(t, p)))
}

// moduleClientSecretPost runs the happy flow with a client registered for
// client_secret_post, as the plan does in its second variant.
func moduleClientSecretPost(t *testing.T, m *run) {
	m.rp = m.p.client(clientOptions{method: storage.AuthMethodPost})
	moduleServer(t, m)
}

func moduleRequestURI(t *testing.T, m *run) {
	q := m.auth("request_uri", "https://"+rpHost+"/request.jwt")
	m.wantError(t, q, m.b.get(m.rp.url(q)), "request_uri_not_supported")
}

// unsignedRequestObject is a request object with alg none carrying the
// request's parameters, as the suite's SerializeRequestObjectWithNullAlgorithm
// builds one.
func unsignedRequestObject(q *request) string {
	claims := map[string]any{}
	for k := range q.params {
		claims[k] = q.params.Get(k)
	}
	header, _ := json.Marshal(map[string]string{"alg": "none"})
	body, _ := json.Marshal(claims)
	return b64(header) + "." + b64(body) + "."
}

func moduleRequestObject(t *testing.T, m *run) {
	q := m.auth()
	q.params.Set("request", unsignedRequestObject(q))
	m.wantError(t, q, m.b.get(m.rp.url(q)), "request_not_supported")
}

func moduleRequestObjectWithRedirectURI(t *testing.T, m *run) {
	q := m.auth()
	q.params.Set("request", unsignedRequestObject(q))
	q.params.Del("scope")
	q.params.Set("scope", "openid")
	m.wantError(t, q, m.b.get(m.rp.url(q)), "request_not_supported")
	doc := discovery(t, m.p)
	if doc["request_parameter_supported"] != false {
		t.Errorf("discovery request_parameter_supported = %v, want false", doc["request_parameter_supported"])
	}
}

func moduleClaimsEssential(t *testing.T, m *run) {
	claims := `{"userinfo":{"name":{"essential":true}}}`
	_, tok := m.login(t, "claims", claims)
	_, _, info := m.userinfo(t, tok.oauth.AccessToken, "get")
	if info["name"] != "Name of alice" {
		t.Errorf("userinfo name = %v with name requested as essential, want Name of alice", info["name"])
	}
}

// moduleRefreshToken follows the suite's OIDCCRefreshToken: offline_access
// with prompt=consent, a refresh whose ID token keeps iss, sub, aud and
// auth_time, a refresh token bound to its client, and a rotated token that
// cannot be used twice.
func moduleRefreshToken(t *testing.T, m *run) {
	_, first := m.login(t, "scope", "openid offline_access", "prompt", "consent")
	if first.oauth.RefreshToken == "" {
		t.Fatal("no refresh token with offline_access")
	}
	// The library stamps iat with the real clock, and the suite requires the
	// refreshed ID token's iat to differ.
	time.Sleep(1100 * time.Millisecond)
	refreshed, err := m.rp.oauth.TokenSource(m.p.ctx, &oauth2.Token{RefreshToken: first.oauth.RefreshToken}).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	second := m.rp.verify(t, refreshed, "")
	for _, c := range []string{"iss", "sub", "aud", "auth_time", "azp", "sid", "acr"} {
		if !jsonEqual(first.claims[c], second.claims[c]) {
			t.Errorf("refreshed ID token %s = %v, want %v", c, second.claims[c], first.claims[c])
		}
	}
	if first.claims["iat"] == second.claims["iat"] {
		t.Errorf("refreshed ID token has the same iat")
	}
	if refreshed.RefreshToken == "" || refreshed.RefreshToken == first.oauth.RefreshToken {
		t.Errorf("refresh token was not rotated")
	}

	other := m.p.client(clientOptions{})
	_, err = other.oauth.TokenSource(m.p.ctx, &oauth2.Token{RefreshToken: refreshed.RefreshToken}).Token()
	if got := tokenError(err); got != "invalid_grant" {
		t.Errorf("refresh with another client: %v, want invalid_grant", err)
	}
	_, err = m.rp.oauth.TokenSource(m.p.ctx, &oauth2.Token{RefreshToken: first.oauth.RefreshToken}).Token()
	if got := tokenError(err); got != "invalid_grant" {
		t.Errorf("reuse of a rotated refresh token: %v, want invalid_grant", err)
	}
}

func moduleValidPKCE(t *testing.T, m *run) {
	q := m.auth().withPKCE()
	m.checkIDToken(t, m.rp.exchange(t, q, m.signIn(t, q)))
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func b64(b []byte) string {
	return strings.TrimRight(base64URL.EncodeToString(b), "=")
}

// discovery fetches the discovery document.
func discovery(t *testing.T, p *provider) map[string]any {
	t.Helper()
	resp, err := http.Get(p.issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("discovery: status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatalf("discovery: %v", err)
	}
	return doc
}

func stringList(v any) []string {
	raw, _ := v.([]any)
	out := make([]string, 0, len(raw))
	for _, x := range raw {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// authTime returns the ID token's auth_time.
func authTime(tok tokens) time.Time {
	v, _ := tok.claims["auth_time"].(float64)
	return time.Unix(int64(v), 0)
}
