// Package testenv holds what the end-to-end and conformance tests share:
// the databases every test runs on, and a clock tests move forward instead
// of sleeping.
package testenv

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"twofold/internal/pgtest"
	"twofold/sms"
)

// Backends returns, by name, functions that give a test a fresh database
// URL: "sqlite" always, and "postgres" when TWOFOLD_TEST_POSTGRES names a
// server (see pgtest for when its absence fails the test instead).
func Backends(t *testing.T) map[string]func(t *testing.T) string {
	t.Helper()
	b := map[string]func(t *testing.T) string{
		"sqlite": func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "twofold.db") },
	}
	if server := pgtest.Server(t); server != "" {
		b["postgres"] = func(t *testing.T) string { return pgtest.Schema(t, server) }
	} else {
		t.Log("PostgreSQL runs skipped: set TWOFOLD_TEST_POSTGRES to a postgres:// URL to run them")
	}
	return b
}

// Clock is a server clock that tests move forward.
type Clock struct {
	mu     sync.Mutex // guards offset
	offset time.Duration
}

// Now returns the real time in UTC plus every Advance so far.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().UTC().Add(c.offset)
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// Codes returns the codes the file SMS sender wrote to path for number,
// oldest first. A message to number without an "@host #code" last line
// fails t.
func Codes(t testing.TB, path, number string) []string {
	t.Helper()
	recs, err := sms.ReadMessageFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		if r.To != number {
			continue
		}
		_, code, ok := sms.ParseOneTimeCode(r.Body)
		if !ok {
			t.Fatalf("SMS body has no @host #code line: %q", r.Body)
		}
		out = append(out, code)
	}
	return out
}
