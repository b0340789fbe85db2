package backend

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestOpenSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "twofold.db")
	db, err := Open(t.Context(), "sqlite:"+path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	n, err := db.Migrate(t.Context())
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if n == 0 {
		t.Errorf("Migrate applied nothing to a new file")
	}
	if err := db.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file: %v", err)
	}
}

func TestOpenPostgres(t *testing.T) {
	url := os.Getenv("TWOFOLD_TEST_POSTGRES")
	if url == "" {
		t.Skip("TWOFOLD_TEST_POSTGRES is not set; the postgres package tests the backend itself")
	}
	db, err := Open(t.Context(), url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	if err := db.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func TestOpenRejects(t *testing.T) {
	tests := []struct {
		url, want string
	}{
		{"", "invalid database URL"},
		{"twofold.db", "invalid database URL"},
		{"sqlite:", "has no path"},
		{"mysql://root:hunter2@127.0.0.1/twofold", `unsupported database URL scheme "mysql"`},
		{"sqlite3:twofold.db", `unsupported database URL scheme "sqlite3"`},
		{"root:hunter2@127.0.0.1/twofold", "invalid database URL"},
	}
	for _, tc := range tests {
		_, err := Open(t.Context(), tc.url)
		if err == nil {
			t.Errorf("Open(%q): got no error", tc.url)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tc.want) {
			t.Errorf("Open(%q): got error %q, want it to contain %q", tc.url, msg, tc.want)
		}
		if strings.Contains(msg, "hunter2") {
			t.Errorf("Open(%q): error contains the password: %q", tc.url, msg)
		}
		if tc.url != "sqlite:" && !strings.Contains(msg, "sqlite:PATH") {
			t.Errorf("Open(%q): error %q does not name the accepted forms", tc.url, msg)
		}
	}
}

func TestOpenPostgresErrorHidesPassword(t *testing.T) {
	// Port 1 on the loopback address has no server, and the malformed
	// URLs fail before any connection is tried.
	urls := []string{
		"postgres://twofold:hunter2@127.0.0.1:1/twofold?sslmode=disable&connect_timeout=5",
		"postgresql://twofold:hunter%402@127.0.0.1:1/twofold?sslmode=disable&connect_timeout=5",
		"postgres://twofold@127.0.0.1:1/twofold?password=hunter2&sslmode=disable&connect_timeout=5",
		"postgres://twofold:hunter2@127.0.0.1:notaport/twofold",
		"postgres://twofold:hunter2@[127.0.0.1/twofold",
		"postgres://twofold:hunter2@127.0.0.1:1/twofold?sslmode=nonsense",
	}
	for _, url := range urls {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		_, err := Open(ctx, url)
		cancel()
		if err == nil {
			t.Errorf("Open(%q): got no error", url)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "hunter2") || strings.Contains(msg, "hunter@2") {
			t.Errorf("Open(%q): error contains the password: %q", url, msg)
		}
	}
}

// TestRedact checks the redaction that backs up pgx's own: an error that
// quotes the password in any form the URL carries it loses it.
func TestRedact(t *testing.T) {
	tests := []struct {
		url, msg string
	}{
		{"postgres://u:hunter2@h/db", "failed for u:hunter2@h"},
		{"postgres://u:hunter%402@h/db", "failed with hunter@2"},
		{"postgres://u:hunter%402@h/db", "failed with hunter%402"},
		{"postgres://u@h/db?password=hunter2", "failed with password=hunter2"},
		{"postgres://u:hunter2@[h/db", "cannot parse u:hunter2@[h"},
	}
	for _, tc := range tests {
		got := redact(errors.New(tc.msg), tc.url).Error()
		if strings.Contains(got, "hunter") {
			t.Errorf("redact(%q, %q) = %q, still contains the password", tc.msg, tc.url, got)
		}
		if !strings.Contains(got, "xxxxx") {
			t.Errorf("redact(%q, %q) = %q, want the password replaced by xxxxx", tc.msg, tc.url, got)
		}
	}

	plain := errors.New("connection refused")
	if got := redact(plain, "postgres://u:hunter2@h/db"); got != plain {
		t.Errorf("redact of an error without the password: got %v, want the error unchanged", got)
	}
}
