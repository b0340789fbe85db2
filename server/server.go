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
	"twofold/countrypicker"
	"twofold/demo"
	"twofold/login"
	"twofold/metrics"
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
	// BackChannelPoll overrides defaultBackChannelPoll; BackChannelClient,
	// if set, posts the logout tokens.
	BackChannelPoll   time.Duration
	BackChannelClient *http.Client
}

// Server is twofold's HTTP handler and the parts tests and commands reach.
type Server struct {
	http.Handler
	Keys *op.Keys
	// BackChannel sends back-channel logouts; it runs until New's context
	// ends.
	BackChannel *op.BackChannel
	// Metrics serves the Prometheus metrics; serve puts it on
	// metrics_listen, apart from the public listener.
	Metrics http.Handler
}

// defaultBackChannelPoll is how often a server looks for back-channel
// logouts that another process enqueued or that are due for a retry.
const defaultBackChannelPoll = 5 * time.Second

// New builds the server. It creates a signing key when the database has none.
func New(ctx context.Context, o Options) (*Server, error) {
	cfg := o.Config
	kek := cfg.KEK()
	keys, err := op.NewKeys(o.Store, kek, op.KeyRetention(cfg.Lifetimes), o.Now)
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
	poll := o.BackChannelPoll
	if poll <= 0 {
		poll = defaultBackChannelPoll
	}
	backchannel := op.NewBackChannel(o.Store, keys, cfg.Issuer, o.BackChannelClient, poll, o.Now, o.Log)
	go backchannel.Run(ctx)
	cookies := login.NewCookies(cfg.CookieKeyPairs(), op.DeriveKey(kek, "csrf"), cfg.Secure())
	sendPolicy, clientIPs, err := sendLimits(o, kek)
	if err != nil {
		return nil, err
	}
	m := metrics.New()
	lh := login.New(login.Options{
		Store:      o.Store,
		Hasher:     o.Hasher,
		Sender:     o.Sender,
		Pages:      pages,
		Cookies:    cookies,
		CodeKey:    op.DeriveKey(kek, "sms codes"),
		Authorizer: provider,
		Issuer:     cfg.Issuer,
		Notifier:   backchannel,
		CallbackURL: func(_ context.Context, id string) string {
			return cfg.Issuer + "/authorize/callback?id=" + url.QueryEscape(id)
		},
		SessionLifetime: cfg.Lifetimes.Session,
		SessionIdle:     cfg.Lifetimes.SessionIdle,
		Product:         cfg.Product,
		Host:            issuerURL.Host,
		DefaultRegion:   "NL",
		Countries:       countrypicker.Builder{Stats: o.Store, Defaults: cfg.Phone.DefaultCountries},
		SendPolicy:      meteredPolicy{SendPolicy: sendPolicy, m: m},
		Metrics:         m,
		ClientIP:        clientIPs.ClientIP,
		Now:             o.Now,
		Log:             o.Log,
	})

	r := chi.NewRouter()
	r.Use(withRequestID, recoverPanics(o.Log, pages), accessLog(o.Log), observe(m), securityHeaders(cfg.Secure()),
		cors(&corsOrigins{store: o.Store, log: o.Log, now: o.Now}), limitBody, rejectMalformed(pages))
	r.Handle("/static/*", http.StripPrefix("/static/", staticFiles(templates.Static())))
	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		pages.Render(w, r, http.StatusOK, "home.html", struct{ Demo bool }{o.Demo})
	})
	r.Get("/logged-out", func(w http.ResponseWriter, r *http.Request) {
		pages.Render(w, r, http.StatusOK, "signed_out.html", nil)
	})
	lh.Routes(r)
	if err := mountSettings(ctx, r, lh, cfg); err != nil {
		return nil, err
	}
	r.Handle("/authorize", lh.CheckAuthorize(op.WithClaimsParameter(provider)))
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
	// The library always routes the device authorization grant, which
	// twofold does not support and discovery does not list.
	r.Handle("/device_authorization", http.NotFoundHandler())
	r.Get("/healthz", healthz)
	r.Get("/readyz", readyz(o.Store))
	guarded := unavailableWhenDatabaseDown(o.Store, provider)
	clientAuth := op.RequireAuthMethod(o.Store, o.Log)
	r.Handle("/.well-known/openid-configuration", op.Discovery(provider))
	unavailable := func(h http.Handler) http.Handler { return unavailableWhenDatabaseDown(o.Store, h) }
	r.Handle("/oauth/token", countGrants(m, unavailable(op.NoStore(clientAuth(provider)))))
	r.Handle("/oauth/introspect", unavailable(op.NoStore(clientAuth(provider))))
	r.Handle("/revoke", unavailable(clientAuth(provider)))
	r.Handle("/userinfo", unavailable(op.BearerErrors(provider)))
	r.NotFound(guarded.ServeHTTP)
	r.MethodNotAllowed(guarded.ServeHTTP)
	return &Server{Handler: r, Keys: keys, BackChannel: backchannel, Metrics: m.Handler()}, nil
}
