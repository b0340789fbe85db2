// Package demo is a small relying party built into twofold for trying it
// out: it signs in through the real OpenID Connect flow (authorization code
// with PKCE, over HTTP to the issuer) and shows the verified ID token claims.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-chi/chi/v5"
	"github.com/gorilla/securecookie"
	"golang.org/x/oauth2"

	"twofold/templates"
)

// ClientID is the demo client's id.
const ClientID = "twofold-demo"

const flowCookie = "twofold_demo_flow"

// Options configure the demo relying party.
type Options struct {
	Issuer   string
	ClientID string
	Secret   string
	HashKey  [32]byte // authenticates the flow cookie
	Pages    *templates.Pages
	Secure   bool
	Log      *slog.Logger
}

// Demo is the relying party.
type Demo struct {
	o      Options
	cookie *securecookie.SecureCookie

	mu       sync.Mutex // guards provider
	provider *oidc.Provider
}

// New returns the demo relying party.
func New(o Options) *Demo {
	c := securecookie.New(o.HashKey[:], nil)
	c.MaxAge(int((30 * time.Minute).Seconds()))
	return &Demo{o: o, cookie: c}
}

// Routes mounts /demo, /demo/login and /demo/callback.
func (d *Demo) Routes(r chi.Router) {
	r.Get("/demo", d.home)
	r.Get("/demo/login", d.login)
	r.Get("/demo/callback", d.callback)
}

// discover fetches the issuer's discovery document on first use, because
// the server is not yet listening when the demo is built.
func (d *Demo) discover(ctx context.Context) (*oidc.Provider, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.provider != nil {
		return d.provider, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(ctx, d.o.Issuer)
	if err != nil {
		return nil, err
	}
	d.provider = p
	return p, nil
}

func (d *Demo) oauth2Config(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     d.o.ClientID,
		ClientSecret: d.o.Secret,
		Endpoint:     p.Endpoint(),
		RedirectURL:  d.o.Issuer + "/demo/callback",
		Scopes:       []string{oidc.ScopeOpenID, "profile", "email"},
	}
}

type homePage struct {
	Claims string
	Error  string
	Signed bool
	Users  []demoUser
	Office string
}

func (d *Demo) home(w http.ResponseWriter, r *http.Request) {
	d.o.Pages.Render(w, r, http.StatusOK, "demo.html", homePage{Users: Users, Office: OfficeCode})
}

type flowState struct {
	State, Nonce, Verifier string
}

func random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (d *Demo) login(w http.ResponseWriter, r *http.Request) {
	p, err := d.discover(r.Context())
	if err != nil {
		d.o.Log.ErrorContext(r.Context(), "demo: discovery", "error", err)
		d.o.Pages.Error(w, r, http.StatusBadGateway, "The demo application could not reach the issuer.")
		return
	}
	fs := flowState{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier()}
	enc, err := d.cookie.Encode(flowCookie, fs)
	if err != nil {
		d.o.Pages.Error(w, r, http.StatusInternalServerError, "The demo application could not start the sign-in.")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: flowCookie, Value: enc, Path: "/demo", MaxAge: 1800,
		HttpOnly: true, Secure: d.o.Secure, SameSite: http.SameSiteLaxMode})
	url := d.oauth2Config(p).AuthCodeURL(fs.State, oidc.Nonce(fs.Nonce), oauth2.S256ChallengeOption(fs.Verifier))
	http.Redirect(w, r, url, http.StatusFound)
}

func (d *Demo) callback(w http.ResponseWriter, r *http.Request) {
	page := homePage{Users: Users, Office: OfficeCode}
	claims, err := d.finish(r)
	if err != nil {
		d.o.Log.InfoContext(r.Context(), "demo: sign-in failed", "error", err)
		page.Error = err.Error()
		d.o.Pages.Render(w, r, http.StatusBadRequest, "demo.html", page)
		return
	}
	page.Claims, page.Signed = claims, true
	d.o.Pages.Render(w, r, http.StatusOK, "demo.html", page)
}

// finish checks the state, redeems the code with the PKCE verifier, and
// verifies the ID token's signature, issuer, audience, expiry and nonce.
func (d *Demo) finish(r *http.Request) (string, error) {
	ck, err := r.Cookie(flowCookie)
	if err != nil {
		return "", errors.New("the sign-in was not started here; start again")
	}
	var fs flowState
	if err := d.cookie.Decode(flowCookie, ck.Value, &fs); err != nil {
		return "", errors.New("the sign-in has expired; start again")
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return "", fmt.Errorf("the provider answered %q", e)
	}
	if q.Get("state") != fs.State {
		return "", errors.New("the state does not match; start again")
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	p, err := d.discover(ctx)
	if err != nil {
		return "", errors.New("the issuer could not be reached")
	}
	tok, err := d.oauth2Config(p).Exchange(ctx, q.Get("code"), oauth2.VerifierOption(fs.Verifier))
	if err != nil {
		return "", errors.New("the code could not be redeemed")
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		return "", errors.New("the token response has no ID token")
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: d.o.ClientID}).Verify(ctx, raw)
	if err != nil {
		return "", errors.New("the ID token did not verify")
	}
	if idt.Nonce != fs.Nonce {
		return "", errors.New("the ID token's nonce does not match")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return "", err
	}
	out, _ := json.MarshalIndent(claims, "", "  ")
	return string(out), nil
}
