// Package e2e drives twofold end to end as a relying party and a browser
// do: coreos/go-oidc with golang.org/x/oauth2 is the application, an HTTP
// client with a cookie jar is the browser, and codes are read from the file
// SMS sender. Every test runs against SQLite and, when TWOFOLD_TEST_POSTGRES
// names a server, against PostgreSQL.
package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
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
	"twofold/password"
	"twofold/server"
	"twofold/sms"
	"twofold/storage"
	"twofold/storage/backend"
)

// env is one running twofold with its database.
type env struct {
	t       *testing.T
	ctx     context.Context
	issuer  string
	store   storage.Store
	smsFile string
	clock   *testenv.Clock
	hasher  *password.Hasher
	metrics http.Handler
}

func randomKey(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rand.IntN(256))
	}
	return base64.StdEncoding.EncodeToString(b)
}

// start runs twofold on a free port of 127.0.0.1.
func start(t *testing.T, dbURL string) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	cfg := config.Default()
	cfg.Issuer = issuer
	cfg.Listen = ln.Addr().String()
	cfg.DatabaseURL = dbURL
	cfg.SMS = sms.Config{Sender: "file", File: filepath.Join(t.TempDir(), "sms.jsonl")}
	cfg.Secrets = config.Secrets{CookieKeys: []string{randomKey(64)}, KeyEncryptionKey: randomKey(32)}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	db, err := backend.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sender, err := sms.New(cfg.SMS, io.Discard, http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	clk := &testenv.Clock{}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	hasher := password.NewHasher(password.Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1}, 0)
	srv, err := server.New(ctx, server.Options{
		Config: cfg, Store: db, Sender: sender, Hasher: hasher, Log: log, Now: clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	return &env{t: t, ctx: ctx, issuer: issuer, store: db, smsFile: cfg.SMS.File, clock: clk, hasher: hasher, metrics: srv.Metrics}
}

// each runs fn as a subtest on every backend.
func each(t *testing.T, fn func(t *testing.T, e *env)) {
	for name, dbURL := range testenv.Backends(t) {
		t.Run(name, func(t *testing.T) {
			fn(t, start(t, dbURL(t)))
		})
	}
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

func (e *env) office(code string, twoFactor bool) *storage.Office {
	e.t.Helper()
	now := e.clock.Now()
	o := &storage.Office{ID: newID("office-"), Code: code, Name: code + " Accountants", TwoFactor: twoFactor, CreatedAt: now, UpdatedAt: now}
	if err := e.store.CreateOffice(e.ctx, o); err != nil {
		e.t.Fatal(err)
	}
	return o
}

func (e *env) user(o *storage.Office, username, pw, mobile string, confirmed bool) *storage.User {
	e.t.Helper()
	hash, err := e.hasher.Hash(e.ctx, pw)
	if err != nil {
		e.t.Fatal(err)
	}
	now := e.clock.Now()
	u := &storage.User{
		ID: newID("user-"), OfficeID: o.ID, Username: username, Name: "Name of " + username,
		Role: storage.RoleUser, PasswordHash: hash, Mobile: mobile, MobileConfirmed: confirmed,
		CreatedAt: now, UpdatedAt: now,
	}
	if err := e.store.CreateUser(e.ctx, u); err != nil {
		e.t.Fatal(err)
	}
	return u
}

// rp is a relying party registered with twofold.
type rp struct {
	e        *env
	provider *oidc.Provider
	oauth    *oauth2.Config
	verifier *oidc.IDTokenVerifier
}

const rpRedirectHost = "rp.test.invalid"

func (e *env) client(id string, scopes ...string) *rp {
	e.t.Helper()
	secret := "secret-of-" + id + "-0123456789abcdefghijklmnop"
	sum := sha256.Sum256([]byte(secret))
	redirect := "https://" + rpRedirectHost + "/" + id + "/callback"
	c := &storage.Client{ID: id, Name: id, SecretHash: sum[:], RedirectURIs: []string{redirect}, CreatedAt: e.clock.Now()}
	if err := e.store.CreateClient(e.ctx, c); err != nil {
		e.t.Fatal(err)
	}
	p, err := oidc.NewProvider(e.ctx, e.issuer)
	if err != nil {
		e.t.Fatalf("discovery: %v", err)
	}
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "profile"}
	}
	return &rp{
		e:        e,
		provider: p,
		oauth:    &oauth2.Config{ClientID: id, ClientSecret: secret, Endpoint: p.Endpoint(), RedirectURL: redirect, Scopes: scopes},
		verifier: p.Verifier(&oidc.Config{ClientID: id}),
	}
}

// flow is one authorization request started by the relying party.
type flow struct {
	state, nonce, verifier string
	url                    string
}

func (r *rp) begin(opts ...oauth2.AuthCodeOption) flow {
	f := flow{state: "state-" + randomKey(6), nonce: "nonce-" + randomKey(6), verifier: oauth2.GenerateVerifier()}
	opts = append([]oauth2.AuthCodeOption{oidc.Nonce(f.nonce), oauth2.S256ChallengeOption(f.verifier)}, opts...)
	f.url = r.oauth.AuthCodeURL(f.state, opts...)
	return f
}

// tokens is what the relying party ends up with.
type tokens struct {
	oauth  *oauth2.Token
	id     *oidc.IDToken
	claims map[string]any
}

// redeem exchanges the code from the redirect and verifies the ID token.
func (r *rp) redeem(t *testing.T, f flow, redirect *url.URL) tokens {
	t.Helper()
	q := redirect.Query()
	if e := q.Get("error"); e != "" {
		t.Fatalf("authorization error %s: %s", e, q.Get("error_description"))
	}
	if got := q.Get("state"); got != f.state {
		t.Fatalf("state = %q, want %q", got, f.state)
	}
	tok, err := r.oauth.Exchange(r.e.ctx, q.Get("code"), oauth2.VerifierOption(f.verifier))
	if err != nil {
		t.Fatalf("code exchange: %v", err)
	}
	return r.verify(t, tok, f.nonce)
}

func (r *rp) verify(t *testing.T, tok *oauth2.Token, nonce string) tokens {
	t.Helper()
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		t.Fatal("token response has no id_token")
	}
	idt, err := r.verifier.Verify(r.e.ctx, raw)
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
	return tokens{oauth: tok, id: idt, claims: claims}
}

// browser is a user agent with a cookie jar that follows redirects within
// twofold and stops at the relying party.
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
			if req.URL.Host == rpRedirectHost || len(via) > 10 {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}}
}

// page is a response the browser rendered.
type page struct {
	status   int
	url      *url.URL
	body     string
	doc      *html.Node
	redirect *url.URL // set when twofold sent the browser to the relying party
	header   http.Header
}

func (b *browser) do(req *http.Request) *page {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	p := &page{status: resp.StatusCode, url: resp.Request.URL, body: string(body), header: resp.Header}
	if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode >= 300 && resp.StatusCode < 400 {
		p.redirect, _ = resp.Request.URL.Parse(loc)
	}
	p.doc, _ = html.Parse(strings.NewReader(p.body))
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

// submit posts the page's form whose action is action, with its hidden
// fields and the given values.
func (b *browser) submit(p *page, action string, values map[string]string) *page {
	b.t.Helper()
	return b.submitTo(p, action, action, values)
}

// submitTo posts the hidden fields of the form posting to action, with the
// values, to target instead.
func (b *browser) submitTo(p *page, action, target string, values map[string]string) *page {
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
	to, _ := p.url.Parse(target)
	req, _ := http.NewRequest(http.MethodPost, to.String(), strings.NewReader(data.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// alert returns the text of the page's role="alert" element.
func alert(p *page) string {
	return text(walk(p.doc, func(n *html.Node) bool { return attr(n, "role") == "alert" }))
}

// codes returns the codes sent to number so far, oldest first.
func (e *env) codes(number string) []string {
	e.t.Helper()
	return testenv.Codes(e.t, e.smsFile, number)
}

func (e *env) lastCode(number string) string {
	e.t.Helper()
	c := e.codes(number)
	if len(c) == 0 {
		e.t.Fatalf("no code was sent to %s", number)
	}
	return c[len(c)-1]
}

type nodeT = html.Node

// findInput returns the named input of the form posting to action.
func findInput(t *testing.T, p *page, action, name string) *html.Node {
	t.Helper()
	form := findForm(p.doc, action)
	if form == nil {
		t.Fatalf("no form posting to %s", action)
	}
	for _, in := range inputs(form) {
		if attr(in, "name") == name {
			return in
		}
	}
	t.Fatalf("form %s has no input %s", action, name)
	return nil
}

// Shorthands for the htmltest helpers the tests use everywhere.
var (
	attr     = htmltest.Attr
	walk     = htmltest.Find
	findForm = htmltest.Form
	inputs   = htmltest.Inputs
	byID     = htmltest.ByID
	text     = htmltest.Text
)
