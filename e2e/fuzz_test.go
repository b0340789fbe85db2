package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"twofold/config"
	"twofold/password"
	"twofold/server"
	"twofold/sms"
	"twofold/storage"
	"twofold/storage/backend"
)

// fuzzServer is one twofold on SQLite shared by every input of a fuzz run.
var fuzzServer struct {
	once    sync.Once
	handler http.Handler
	err     error
}

func fuzzHandler(f *testing.F) http.Handler {
	f.Helper()
	fuzzServer.once.Do(func() {
		dir := f.TempDir()
		ctx := context.Background()
		cfg := config.Default()
		cfg.Issuer = "http://127.0.0.1:1"
		cfg.DatabaseURL = "sqlite:" + filepath.Join(dir, "fuzz.db")
		cfg.SMS = sms.Config{Sender: "file", File: filepath.Join(dir, "sms.jsonl")}
		cfg.Secrets = config.Secrets{CookieKeys: []string{randomKey(64)}, KeyEncryptionKey: randomKey(32)}
		db, err := backend.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			fuzzServer.err = err
			return
		}
		if _, err = db.Migrate(ctx); err != nil {
			fuzzServer.err = err
			return
		}
		now := time.Now().UTC()
		_ = db.CreateClient(ctx, &storage.Client{ID: "app", Name: "App", Public: true,
			RedirectURIs: []string{"https://rp.test.invalid/cb"}, CreatedAt: now})
		_ = db.CreateOffice(ctx, &storage.Office{ID: "o1", Code: "ACME", Name: "Acme", TwoFactor: true, CreatedAt: now, UpdatedAt: now})
		sender, _ := sms.New(cfg.SMS, io.Discard, http.DefaultClient)
		srv, err := server.New(ctx, server.Options{
			Config: cfg, Store: db, Sender: sender, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Hasher: password.NewHasher(password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}, 0),
			Now:    func() time.Time { return time.Now().UTC() },
		})
		fuzzServer.handler, fuzzServer.err = srv, err
	})
	if fuzzServer.err != nil {
		f.Fatal(fuzzServer.err)
	}
	return fuzzServer.handler
}

func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// FuzzAuthorize sends arbitrary query strings to /authorize, by GET and by
// POST. No input may cause a 5xx or a panic, and an unregistered redirect
// URI is never redirected to.
func FuzzAuthorize(f *testing.F) {
	h := fuzzHandler(f)
	base := url.Values{
		"client_id": {"app"}, "redirect_uri": {"https://rp.test.invalid/cb"}, "response_type": {"code"},
		"scope": {"openid"}, "state": {"s"}, "code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"S256"},
	}
	f.Add(base.Encode())
	f.Add("client_id=app&redirect_uri=https%3A%2F%2Fevil.test&response_type=code&scope=openid")
	f.Add("client_id=app&redirect_uri=https://rp.test.invalid/cb&response_type=token&scope=openid&prompt=none&max_age=-1")
	f.Add("client_id=%00&redirect_uri=%ff&scope=%zz&request=eyJ&claims={")
	f.Add(base.Encode() + "&prompt=none%20login&max_age=99999999999999999999&ui_locales=%ff&acr_values=x&id_token_hint=a.b.c")
	f.Fuzz(func(t *testing.T, query string) {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			var req *http.Request
			if method == http.MethodGet {
				req = httptest.NewRequest(method, "/authorize", nil)
				req.URL.RawQuery = query
			} else {
				req = httptest.NewRequest(method, "/authorize", strings.NewReader(query))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			rec := serve(h, req)
			if rec.Code >= 500 {
				t.Fatalf("%s /authorize?%q: status %d", method, query, rec.Code)
			}
			if loc := rec.Header().Get("Location"); loc != "" && !strings.HasPrefix(loc, "/login") &&
				!strings.HasPrefix(loc, "https://rp.test.invalid/cb?") && !strings.HasPrefix(loc, "https://rp.test.invalid/cb#") {
				t.Fatalf("%s /authorize?%q redirected to %q", method, query, loc)
			}
		}
	})
}

// FuzzLoginForm posts arbitrary bodies to the sign-in forms. Without a
// valid CSRF token every one must get a 4xx, never a 5xx or a panic.
func FuzzLoginForm(f *testing.F) {
	h := fuzzHandler(f)
	f.Add("/login", "username=anna&password=x&office=ACME&id=ar_x&csrf=y")
	f.Add("/login/code", "code=123456&id=ar_x")
	f.Add("/login/code/resend", "id=")
	f.Add("/login/enroll", "mobile=%2B44&country=GB&id=ar_x")
	f.Add("/login", "%zz=%zz&&&===")
	f.Add("/login", strings.Repeat("a=b&", 1000))
	f.Fuzz(func(t *testing.T, path, body string) {
		switch path {
		case "/login", "/login/code", "/login/code/resend", "/login/enroll":
		default:
			path = "/login"
		}
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := serve(h, req)
		if rec.Code < 400 || rec.Code >= 500 {
			t.Fatalf("POST %s %q: status %d, want 4xx", path, body, rec.Code)
		}
	})
}
