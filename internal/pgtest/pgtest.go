// Package pgtest gives tests a PostgreSQL schema of their own on the server
// that TWOFOLD_TEST_POSTGRES names, such as
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
//
// Without the variable, tests that need PostgreSQL skip with a message,
// unless TWOFOLD_TEST_REQUIRE_POSTGRES=1, which turns a missing or
// unreachable server into a failure (CI sets both).
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server returns the server URL, or "" when PostgreSQL tests should be
// skipped. It fails t when a server is required but missing.
func Server(t testing.TB) string {
	t.Helper()
	raw := os.Getenv("TWOFOLD_TEST_POSTGRES")
	required := os.Getenv("TWOFOLD_TEST_REQUIRE_POSTGRES") == "1"
	if raw == "" {
		if required {
			t.Fatal("TWOFOLD_TEST_REQUIRE_POSTGRES=1 but TWOFOLD_TEST_POSTGRES is not set")
		}
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, raw)
	if err != nil {
		if required {
			t.Fatalf("the server in TWOFOLD_TEST_POSTGRES does not answer: %v", err)
		}
		t.Logf("PostgreSQL tests skipped: the server in TWOFOLD_TEST_POSTGRES does not answer: %v", err)
		return ""
	}
	conn.Close(ctx)
	return raw
}

// Schema creates a randomly named schema on server, drops it when t ends,
// and returns a URL whose connections use it.
func Schema(t testing.TB, server string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "twofold_test_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, server); err == nil {
			_, _ = c.Exec(ctx, "DROP SCHEMA "+name+" CASCADE")
			c.Close(ctx)
		}
	})
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("parse TWOFOLD_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}
