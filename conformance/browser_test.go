package conformance

import (
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"twofold/internal/browsertest"
	"twofold/storage"
)

// TestFormPostInChromium signs in with response_mode=form_post in headless
// Chromium, which enforces twofold's Content-Security-Policy: the form
// must reach the application by the script file, with no inline script.
func TestFormPostInChromium(t *testing.T) {
	ctx := browsertest.New(t)
	p := startProvider(t, "sqlite:"+filepath.Join(t.TempDir(), "twofold.db"))
	posted := make(chan url.Values, 1)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			_ = r.ParseForm()
			posted <- r.PostForm
		}
		_, _ = w.Write([]byte("<!doctype html><title>app</title>received"))
	}))
	defer app.Close()

	sum := sha256.Sum256([]byte("chromium-client-secret-0123456789abcdef"))
	c := &storage.Client{ID: "chromium-app", Name: "Chromium app", SecretHash: sum[:],
		RedirectURIs: []string{app.URL + "/callback"}, CreatedAt: p.clock.Now()}
	if err := p.store.CreateClient(p.ctx, c); err != nil {
		t.Fatal(err)
	}
	q := url.Values{"client_id": {c.ID}, "redirect_uri": {c.RedirectURIs[0]}, "response_type": {"code"},
		"scope": {"openid"}, "state": {"state-chromium"}, "response_mode": {"form_post"}}
	err := chromedp.Do(ctx,
		chromedp.Navigate(p.issuer+"/authorize?"+q.Encode()),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), alice),
		chromedp.SendKeys(chromedp.ID("password"), alicePW),
		chromedp.SendKeys(chromedp.ID("office"), "PLAIN"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
	)
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	select {
	case form := <-posted:
		if form.Get("code") == "" || form.Get("state") != "state-chromium" || form.Get("iss") != p.issuer {
			t.Errorf("the application received %v, want code, state and iss", form)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the form post page did not submit itself to the application")
	}
}
