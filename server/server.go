// Package server wires twofold's parts into one HTTP handler: the OpenID
// provider, the sign-in pages, the demo application and the middleware
// around them.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"

	"twofold/config"
	"twofold/demo"
	"twofold/login"
	"twofold/op"
	"twofold/password"
	"twofold/sms"
	"twofold/storage"
	"twofold/templates"
)

// Options are what the server is built from.
type Options struct {
	Config config.Config // validated, secrets present
	Store  storage.Store
	Sender sms.Sender
	Hasher *password.Hasher
	Log    *slog.Logger
	Now    func() time.Time
	// Demo serves the built-in relying party at /demo.
	Demo bool
}

// Server is twofold's HTTP handler and the parts tests and commands reach.
type Server struct {
	http.Handler
	Keys *op.Keys
}

// New builds the server. It creates a signing key when the database has none.
func New(ctx context.Context, o Options) (*Server, error) {
	cfg := o.Config
	kek := cfg.KEK()
	keepKeys := cfg.Lifetimes.IDToken + cfg.Lifetimes.AccessToken + time.Hour
	keys, err := op.NewKeys(o.Store, kek, keepKeys, o.Now)
	if err != nil {
		return nil, err
	}
	if err := keys.Ensure(ctx); err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	st := op.NewStorage(o.Store, keys, cfg.Lifetimes, o.Now, o.Log)
	provider, err := op.NewProvider(cfg.Issuer, kek, st)
	if err != nil {
		return nil, err
	}
	pages, err := templates.Load(o.Log)
	if err != nil {
		return nil, err
	}
	issuerURL, _ := url.Parse(cfg.Issuer)
	cookies := login.NewCookies(cfg.CookieKeyPairs(), op.DeriveKey(kek, "csrf"), cfg.Secure())
	lh := login.New(login.Options{
		Store:      o.Store,
		Hasher:     o.Hasher,
		Sender:     o.Sender,
		Pages:      pages,
		Cookies:    cookies,
		CodeKey:    op.DeriveKey(kek, "sms codes"),
		Authorizer: provider,
		CallbackURL: func(_ context.Context, id string) string {
			return cfg.Issuer + "/authorize/callback?id=" + url.QueryEscape(id)
		},
		SessionLifetime: cfg.Lifetimes.Session,
		Product:         cfg.Product,
		Host:            issuerURL.Host,
		DefaultRegion:   "NL",
		Now:             o.Now,
		Log:             o.Log,
	})

	r := chi.NewRouter()
	r.Use(withRequestID, recoverPanics(o.Log, pages), accessLog(o.Log), securityHeaders(cfg.Secure()), limitBody)
	r.Handle("/static/*", http.StripPrefix("/static/", http.FileServerFS(templates.Static())))
	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		pages.Render(w, r, http.StatusOK, "home.html", struct{ Demo bool }{o.Demo})
	})
	r.Get("/logged-out", func(w http.ResponseWriter, r *http.Request) {
		pages.Render(w, r, http.StatusOK, "signed_out.html", nil)
	})
	lh.Routes(r)
	r.Handle("/authorize", lh.CheckAuthorize(provider))
	r.Handle("/authorize/callback", lh.GuardCallback(provider))
	r.Handle("/end_session", lh.EndBrowserSession(provider))
	if o.Demo {
		d := demo.New(demo.Options{
			Issuer:   cfg.Issuer,
			ClientID: demo.ClientID,
			Secret:   demo.Secret(kek),
			HashKey:  op.DeriveKey(kek, "demo cookie"),
			Pages:    pages,
			Secure:   cfg.Secure(),
			Log:      o.Log,
		})
		d.Routes(r)
	}
	r.NotFound(provider.ServeHTTP)
	r.MethodNotAllowed(provider.ServeHTTP)
	return &Server{Handler: r, Keys: keys}, nil
}
