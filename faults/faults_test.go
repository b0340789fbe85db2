// Package faults checks how twofold behaves when its database goes away
// and comes back, with a TCP proxy between twofold and PostgreSQL.
package faults

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"twofold/config"
	"twofold/internal/pgtest"
	"twofold/password"
	"twofold/server"
	"twofold/sms"
	"twofold/storage"
	"twofold/storage/backend"
)

func randomKey(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

type env struct {
	store  storage.Store
	issuer string
	proxy  *proxy
	client *http.Client
}

// start runs twofold in-process on a database reached through a proxy.
func start(t *testing.T) *env { return startWith(t, nil) }

// startWith runs twofold with the SMS sender given, or the file sender
// when it is nil.
func startWith(t *testing.T, sender sms.Sender) *env {
	t.Helper()
	server0 := pgtest.Server(t)
	if server0 == "" {
		t.Skip("fault tests need PostgreSQL: set TWOFOLD_TEST_POSTGRES")
	}
	dbURL := pgtest.Schema(t, server0)
	u, _ := url.Parse(dbURL)
	p := newProxy(t, u.Host)
	u.Host = p.addr()
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Issuer = "http://" + ln.Addr().String()
	cfg.DatabaseURL = u.String()
	cfg.SMS = sms.Config{Sender: "file", File: t.TempDir() + "/sms.jsonl"}
	cfg.Secrets = config.Secrets{CookieKeys: []string{randomKey(64)}, KeyEncryptionKey: randomKey(32)}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	db, err := backend.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := db.CreateClient(ctx, &storage.Client{ID: "app", Name: "App", Public: true,
		RedirectURIs: []string{"https://rp.test.invalid/cb"}, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if sender == nil {
		sender, _ = sms.New(cfg.SMS, io.Discard, http.DefaultClient)
	}
	srv, err := server.New(ctx, server.Options{
		Config: cfg, Store: db, Sender: sender, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Hasher: password.NewHasher(password.Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1}, 0),
		Now:    func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	return &env{issuer: cfg.Issuer, proxy: p, store: db, client: &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (e *env) authorizeURL() string {
	return e.issuer + "/authorize?" + url.Values{
		"client_id": {"app"}, "redirect_uri": {"https://rp.test.invalid/cb"}, "response_type": {"code"},
		"scope": {"openid"}, "state": {"s"}, "code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"S256"},
	}.Encode()
}

// probe requests the paths a browser and an application use, and returns
// each one's status and duration.
func (e *env) probe(t *testing.T, down bool) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, path := range []string{"authorize", "token", "ready"} {
		start := time.Now()
		var resp *http.Response
		var err error
		switch path {
		case "authorize":
			resp, err = e.client.Get(e.authorizeURL())
		case "token":
			resp, err = e.client.PostForm(e.issuer+"/oauth/token", url.Values{
				"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {"app"}})
		case "ready":
			resp, err = e.client.Get(e.issuer + "/readyz")
		}
		took := time.Since(start)
		if err != nil {
			t.Fatalf("%s: %v after %s", path, err, took)
		}
		resp.Body.Close()
		out[path] = fmt.Sprintf("%d in %s", resp.StatusCode, took.Round(time.Millisecond))
		if took > 8*time.Second {
			t.Errorf("%s took %s, want an answer within a few seconds", path, took)
		}
		if down && resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s: status %d while the database is down, want 503", path, resp.StatusCode)
		}
		if !down && resp.StatusCode >= 500 {
			t.Errorf("%s: status %d while the database is up", path, resp.StatusCode)
		}
	}
	return out
}

func TestDatabaseDownAndBack(t *testing.T) {
	for _, mode := range []string{"refuse", "hang"} {
		t.Run(mode, func(t *testing.T) {
			e := start(t)
			t.Logf("up: %v", e.probe(t, false))
			e.proxy.cut(mode)
			t.Logf("down (%s): %v", mode, e.probe(t, true))
			e.proxy.restore()
			restored := time.Now()
			deadline := restored.Add(30 * time.Second)
			for {
				resp, err := e.client.Get(e.authorizeURL())
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode == http.StatusFound {
						break
					}
				}
				if time.Now().After(deadline) {
					t.Fatal("twofold did not recover within 30 s of the database coming back")
				}
				time.Sleep(200 * time.Millisecond)
			}
			t.Logf("recovered %s after the database came back", time.Since(restored).Round(time.Millisecond))
			t.Logf("back: %v", e.probe(t, false))
		})
	}
}
