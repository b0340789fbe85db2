package conformance

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/net/html"
	"golang.org/x/oauth2"

	"twofold/config"
	"twofold/internal/htmltest"
	"twofold/internal/testenv"
	"twofold/login"
	"twofold/password"
	"twofold/server"
	"twofold/sms"
	"twofold/storage"
	"twofold/storage/backend"
)

// provider is one running twofold, with the users and clients the modules
// sign in with.
type provider struct {
	t       *testing.T
	ctx     context.Context
	issuer  string
	addr    string
	dbURL   string
	cfg     config.Config
	opts    server.Options // extra server options; the harness fills in the rest
	store   backend.Database
	clock   *testenv.Clock
	hasher  *password.Hasher
	srv     *server.Server
	hs      *http.Server
	stopSrv context.CancelFunc

	plain, secure *storage.Office // offices without and with two-factor authentication
}

// Users every provider has.
const (
	alice       = "alice" // in office PLAIN, password only, confirmed number
	alicePW     = "alice-password-1"
	aliceMobile = "+31612345678"
	ben         = "ben" // in office SECURE, two-factor, confirmed number
	benPW       = "ben-password-1"
	benMobile   = "+31687654321"
	cleo        = "cleo" // in office PLAIN, password only, no number
	cleoPW      = "cleo-password-1"
)

func randomKey(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rand.IntN(256))
	}
	return base64.StdEncoding.EncodeToString(b)
}

// startProvider runs twofold on a free port of 127.0.0.1 over dbURL.
func startProvider(t *testing.T, dbURL string) *provider {
	t.Helper()
	return startProviderWith(t, dbURL, nil)
}

// startProviderWith runs twofold as startProvider does, with edit applied
// to its configuration and server options first.
func startProviderWith(t *testing.T, dbURL string, edit func(cfg *config.Config, o *server.Options)) *provider {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var p0 server.Options
	cfg := config.Default()
	cfg.Issuer = "http://" + ln.Addr().String()
	cfg.Listen = ln.Addr().String()
	cfg.DatabaseURL = dbURL
	cfg.SMS = sms.Config{Sender: "file", File: filepath.Join(t.TempDir(), "sms.jsonl")}
	cfg.Secrets = config.Secrets{CookieKeys: []string{randomKey(64)}, KeyEncryptionKey: randomKey(32)}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&cfg, &p0)
	}
	p := &provider{t: t, ctx: context.Background(), issuer: cfg.Issuer, addr: cfg.Listen, dbURL: dbURL, cfg: cfg, opts: p0,
		clock: &testenv.Clock{}, hasher: password.NewHasher(password.Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1}, 0)}
	db, err := backend.Open(p.ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(p.ctx); err != nil {
		t.Fatal(err)
	}
	p.store = db
	p.serve(ln)
	p.seed()
	return p
}

// serve starts a server on ln; restart calls it again on the same address.
func (p *provider) serve(ln net.Listener) {
	t := p.t
	ctx, cancel := context.WithCancel(context.Background())
	sender, err := sms.New(p.cfg.SMS, io.Discard, http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	opts := p.opts
	opts.Config, opts.Store, opts.Sender, opts.Hasher, opts.Log, opts.Now = p.cfg, p.store, sender, p.hasher, log, p.clock.Now
	if opts.BackChannelPoll == 0 {
		opts.BackChannelPoll = 50 * time.Millisecond
	}
	srv, err := server.New(ctx, opts)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	p.srv, p.hs, p.stopSrv = srv, hs, cancel
	t.Cleanup(func() { p.stop() })
}

func (p *provider) stop() {
	p.stopSrv()
	_ = p.hs.Close()
}

// restart stops the server and starts a new process's worth of it on the
// same address and database, so that nothing cached in memory survives.
func (p *provider) restart() {
	p.t.Helper()
	p.stop()
	var ln net.Listener
	var err error
	for range 50 {
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatalf("listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

var idCounter struct {
	sync.Mutex
	n int
}

func newID(prefix string) string {
	idCounter.Lock()
	defer idCounter.Unlock()
	idCounter.n++
	return fmt.Sprintf("%s%d-%d", prefix, idCounter.n, rand.IntN(1_000_000_000))
}

func (p *provider) seed() {
	t := p.t
	now := p.clock.Now()
	p.plain = &storage.Office{ID: newID("office-"), Code: "PLAIN", Name: "Plain Accountants", CreatedAt: now, UpdatedAt: now}
	p.secure = &storage.Office{ID: newID("office-"), Code: "SECURE", Name: "Secure Accountants", TwoFactor: true, CreatedAt: now, UpdatedAt: now}
	for _, o := range []*storage.Office{p.plain, p.secure} {
		if err := p.store.CreateOffice(p.ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	p.user(p.plain, alice, alicePW, aliceMobile, "alice@example.com")
	p.user(p.secure, ben, benPW, benMobile, "ben@example.com")
	p.user(p.plain, cleo, cleoPW, "", "")
}

func (p *provider) user(o *storage.Office, username, pw, mobile, email string) *storage.User {
	p.t.Helper()
	hash, err := p.hasher.Hash(p.ctx, pw)
	if err != nil {
		p.t.Fatal(err)
	}
	now := p.clock.Now()
	u := &storage.User{
		ID: newID("user-"), OfficeID: o.ID, Username: username, Name: "Name of " + username, Email: email,
		Role: storage.RoleUser, PasswordHash: hash, Mobile: mobile, MobileConfirmed: mobile != "",
		CreatedAt: now, UpdatedAt: now,
	}
	if err := p.store.CreateUser(p.ctx, u); err != nil {
		p.t.Fatal(err)
	}
	return u
}

// rpHost is the host of every relying party's redirect URIs. Nothing
// listens there: the browser stops at the first redirect to it.
const rpHost = "rp.test.invalid"

// rp is a statically registered relying party, as the suite's "client".
type rp struct {
	p          *provider
	id, secret string
	redirect   string
	postLogout string
	method     string
	provider   *oidc.Provider
	oauth      *oauth2.Config
	verifier   *oidc.IDTokenVerifier
}

// clientOptions change a registration.
type clientOptions struct {
	method      string // token endpoint authentication method; client_secret_basic when empty
	secret      string // the secret; a generated one when empty
	backchannel string // back-channel logout URI
}

// client registers a client the way `twofold client create` does and
// discovers the provider as an application would.
func (p *provider) client(o clientOptions) *rp {
	p.t.Helper()
	id := newID("client-")
	if o.method == "" {
		o.method = storage.AuthMethodBasic
	}
	if o.secret == "" {
		o.secret = "secret-" + randomKey(24)
	}
	base := "https://" + rpHost + "/" + id
	c := &storage.Client{
		ID: id, Name: "App " + id, RedirectURIs: []string{base + "/callback"},
		PostLogoutRedirectURIs:  []string{base + "/post_logout_redirect"},
		TokenEndpointAuthMethod: o.method, BackchannelLogoutURI: o.backchannel, CreatedAt: p.clock.Now(),
	}
	if o.method == storage.AuthMethodNone {
		c.Public = true
		o.secret = ""
	} else {
		sum := sha256.Sum256([]byte(o.secret))
		c.SecretHash = sum[:]
	}
	if err := p.store.CreateClient(p.ctx, c); err != nil {
		p.t.Fatal(err)
	}
	disc, err := oidc.NewProvider(p.ctx, p.issuer)
	if err != nil {
		p.t.Fatalf("discovery: %v", err)
	}
	ep := disc.Endpoint()
	switch o.method {
	case storage.AuthMethodPost, storage.AuthMethodNone:
		ep.AuthStyle = oauth2.AuthStyleInParams
	default:
		ep.AuthStyle = oauth2.AuthStyleInHeader
	}
	return &rp{
		p: p, id: id, secret: o.secret, redirect: c.RedirectURIs[0], postLogout: c.PostLogoutRedirectURIs[0],
		method: o.method, provider: disc,
		oauth:    &oauth2.Config{ClientID: id, ClientSecret: o.secret, Endpoint: ep, RedirectURL: c.RedirectURIs[0], Scopes: []string{oidc.ScopeOpenID}},
		verifier: disc.Verifier(&oidc.Config{ClientID: id}),
	}
}

// request is one authorization request the relying party makes.
type request struct {
	state, nonce string
	verifier     string // PKCE code verifier; empty without PKCE
	params       url.Values
}

// authRequest builds an authorization request with state and nonce, as the
// suite's CreateAuthorizationEndpointRequestFromClientInformation does, and
// the extra parameters.
func (r *rp) authRequest(extra ...string) *request {
	req := &request{state: "state-" + randomKey(12), nonce: "nonce-" + randomKey(12), params: url.Values{}}
	req.params.Set("client_id", r.id)
	req.params.Set("redirect_uri", r.redirect)
	req.params.Set("response_type", "code")
	req.params.Set("scope", "openid")
	req.params.Set("state", req.state)
	req.params.Set("nonce", req.nonce)
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			req.params.Del(extra[i])
			continue
		}
		req.params.Set(extra[i], extra[i+1])
	}
	req.state = req.params.Get("state")
	req.nonce = req.params.Get("nonce")
	return req
}

// withPKCE adds an S256 code challenge.
func (q *request) withPKCE() *request {
	q.verifier = oauth2.GenerateVerifier()
	q.params.Set("code_challenge", oauth2.S256ChallengeFromVerifier(q.verifier))
	q.params.Set("code_challenge_method", "S256")
	return q
}

func (r *rp) url(q *request) string {
	return r.p.issuer + "/authorize?" + q.params.Encode()
}

// tokens is what the relying party holds after a code exchange.
type tokens struct {
	oauth  *oauth2.Token
	raw    string // the ID token
	id     *oidc.IDToken
	claims map[string]any
}

// exchange redeems the code of an authorization response and verifies the
// ID token, its nonce included.
func (r *rp) exchange(t *testing.T, q *request, resp url.Values) tokens {
	t.Helper()
	if e := resp.Get("error"); e != "" {
		t.Fatalf("authorization error %s: %s", e, resp.Get("error_description"))
	}
	var opts []oauth2.AuthCodeOption
	if q.verifier != "" {
		opts = append(opts, oauth2.VerifierOption(q.verifier))
	}
	tok, err := r.oauth.Exchange(r.p.ctx, resp.Get("code"), opts...)
	if err != nil {
		t.Fatalf("code exchange: %v", err)
	}
	return r.verify(t, tok, q.nonce)
}

func (r *rp) verify(t *testing.T, tok *oauth2.Token, nonce string) tokens {
	t.Helper()
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		t.Fatal("token response has no id_token")
	}
	idt, err := r.verifier.Verify(r.p.ctx, raw)
	if err != nil {
		t.Fatalf("verify ID token: %v", err)
	}
	if nonce != "" && idt.Nonce != nonce {
		t.Fatalf("nonce = %q, want %q", idt.Nonce, nonce)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	return tokens{oauth: tok, raw: raw, id: idt, claims: claims}
}

// browser is a user agent with a cookie jar. It follows redirects within
// twofold and stops at the relying party, where it records the response.
type browser struct {
	t      *testing.T
	client *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, client: &http.Client{
		Jar:     jar,
		Timeout: 20 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Host == rpHost || len(via) > 10 {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}}
}

// page is what the browser ended on: a twofold page, or the relying party.
type page struct {
	status int
	url    *url.URL
	header http.Header
	body   string
	doc    *html.Node
	// At the relying party: where it was sent, and the response parameters
	// from the query, the fragment or a form_post form.
	rp       *url.URL
	response url.Values
	formPost bool
}

func (b *browser) do(req *http.Request) *page {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	p := &page{status: resp.StatusCode, url: resp.Request.URL, header: resp.Header, body: string(body)}
	p.doc, _ = html.Parse(strings.NewReader(p.body))
	if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode >= 300 && resp.StatusCode < 400 {
		if to, err := resp.Request.URL.Parse(loc); err == nil && to.Host == rpHost {
			p.rp = to
			p.response = to.Query()
			if to.RawFragment != "" {
				p.response, _ = url.ParseQuery(to.RawFragment)
			}
		}
	}
	if form := byID(p.doc, "form-post"); form != nil && resp.StatusCode == http.StatusOK {
		p.formPost = true
		p.rp, _ = url.Parse(attr(form, "action"))
		p.response = url.Values{}
		for _, in := range inputs(form) {
			if attr(in, "type") == "hidden" {
				p.response.Add(attr(in, "name"), attr(in, "value"))
			}
		}
	}
	return p
}

func (b *browser) get(rawURL string) *page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(rawURL string, form url.Values) *page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// submit posts the page's form whose action is action, with its hidden
// fields and the values.
func (b *browser) submit(p *page, action string, values map[string]string) *page {
	b.t.Helper()
	form := findForm(p.doc, action)
	if form == nil {
		b.t.Fatalf("page %s (status %d) has no form posting to %s:\n%s", p.url.Path, p.status, action, p.body)
	}
	data := url.Values{}
	for _, in := range inputs(form) {
		if attr(in, "type") == "hidden" {
			data.Set(attr(in, "name"), attr(in, "value"))
		}
	}
	for k, v := range values {
		data.Set(k, v)
	}
	to, _ := p.url.Parse(action)
	return b.post(to.String(), data)
}

// atRP fails t unless the browser reached the relying party.
func atRP(t *testing.T, p *page) url.Values {
	t.Helper()
	if p.rp == nil {
		t.Fatalf("at %s (status %d), want a response to the relying party; page says %q", p.url.Path, p.status, alert(p))
	}
	return p.response
}

// signIn completes whatever twofold asks on the way from p: the password
// form, then the SMS code (or enrollment) when the page asks for one.
func (pr *provider) signIn(b *browser, p *page, username, pw, office string) *page {
	b.t.Helper()
	if p.rp != nil {
		return p
	}
	if findForm(p.doc, "/login") == nil {
		b.t.Fatalf("at %s (status %d), want the sign-in form:\n%s", p.url.Path, p.status, alert(p))
	}
	p = b.submit(p, "/login", map[string]string{"username": username, "password": pw, "office": office})
	return pr.finishSMS(b, p)
}

// finishSMS enters the code when p is the code page, enrolling the user's
// test number first when p is the enrollment page.
func (pr *provider) finishSMS(b *browser, p *page) *page {
	b.t.Helper()
	if p.rp != nil {
		return p
	}
	if p.url.Path == "/login/enroll" {
		p = b.submit(p, "/login/enroll", map[string]string{"country": "NL", "mobile": "06 11223344"})
	}
	if p.url.Path != "/login/code" {
		return p
	}
	number := p.smsNumber(b.t, pr)
	return b.submit(p, "/login/code", map[string]string{"code": pr.lastCode(number)})
}

// smsNumber returns the number of the latest SMS, the one the code page is
// waiting for.
func (p *page) smsNumber(t *testing.T, pr *provider) string {
	t.Helper()
	recs, err := sms.ReadMessageFile(pr.cfg.SMS.File)
	if err != nil || len(recs) == 0 {
		t.Fatalf("the code page is shown but no SMS was sent: %v", err)
	}
	return recs[len(recs)-1].To
}

// codes returns the codes sent to number so far, oldest first.
func (pr *provider) codes(number string) []string {
	pr.t.Helper()
	return testenv.Codes(pr.t, pr.cfg.SMS.File, number)
}

func (pr *provider) lastCode(number string) string {
	pr.t.Helper()
	c := pr.codes(number)
	if len(c) == 0 {
		pr.t.Fatalf("no code was sent to %s", number)
	}
	return c[len(c)-1]
}

func alert(p *page) string {
	return text(walk(p.doc, func(n *html.Node) bool { return attr(n, "role") == "alert" }))
}

func heading(p *page) string {
	return text(walk(p.doc, func(n *html.Node) bool { return n.Data == "h1" }))
}

type nodeT = html.Node

// TestMain sends the library's own log records, which go to slog's
// default logger, where the provider's go: nowhere, or stderr with -v.
func TestMain(m *testing.M) {
	flag.Parse()
	level := slog.Level(100)
	if testing.Verbose() {
		level = slog.LevelWarn
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
	os.Exit(m.Run())
}

// sidOf returns the sid claim of a session id.
func sidOf(sessionID string) string { return login.SessionSID(sessionID) }

// Shorthands for the htmltest helpers the tests use everywhere.
var (
	attr     = htmltest.Attr
	walk     = htmltest.Find
	findForm = htmltest.Form
	inputs   = htmltest.Inputs
	byID     = htmltest.ByID
	text     = htmltest.Text
)
