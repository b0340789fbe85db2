// Package browsertest starts headless Chromium for tests that drive
// twofold's pages as a person would.
//
// Tests skip when no Chromium is installed, unless
// TWOFOLD_TEST_REQUIRE_BROWSER=1 is set (CI sets it), which makes a
// missing browser a failure.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Path returns the Chromium binary: $TWOFOLD_TEST_CHROMIUM, or chromium on
// the PATH.
func Path() (string, bool) {
	if p := os.Getenv("TWOFOLD_TEST_CHROMIUM"); p != "" {
		return p, true
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}

// New returns a browser context for one test, with its own profile, closed
// when the test ends. Every action under it times out after a minute.
func New(t *testing.T) context.Context {
	t.Helper()
	path, ok := Path()
	if !ok {
		if os.Getenv("TWOFOLD_TEST_REQUIRE_BROWSER") == "1" {
			t.Fatal("TWOFOLD_TEST_REQUIRE_BROWSER=1 but no Chromium was found; install the chromium package")
		}
		t.Skip("browser test skipped: no Chromium found (install the chromium package)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.WindowSize(1000, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelBrowser()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium at %s: %v", path, err)
	}
	return ctx
}
