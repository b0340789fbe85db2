package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"twofold/storage"
	"twofold/storage/storagetest"
)

// The tests run against the server that TWOFOLD_TEST_POSTGRES names, such as
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable, each in a schema
// of its own that it drops at the end. Without the variable they skip,
// unless TWOFOLD_TEST_REQUIRE_POSTGRES=1, which turns a missing or
// unreachable server into a failure.
const (
	urlVariable     = "TWOFOLD_TEST_POSTGRES"
	requireVariable = "TWOFOLD_TEST_REQUIRE_POSTGRES"
)

// serverURL returns the test server's URL after connecting to it once, or
// skips t when there is none (fails it when a server is required).
func serverURL(t *testing.T) string {
	t.Helper()
	stop, outcome := t.Skipf, "SKIPPING PostgreSQL test"
	if os.Getenv(requireVariable) == "1" {
		stop, outcome = t.Fatalf, "PostgreSQL test failed ("+requireVariable+"=1)"
	}
	raw := os.Getenv(urlVariable)
	if raw == "" {
		stop("%s: %s is not set; set it to a server URL such as "+
			"postgres://postgres@127.0.0.1:5432/test?sslmode=disable", outcome, urlVariable)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, raw)
	if err != nil {
		stop("%s: the server in %s does not answer: %v", outcome, urlVariable, err)
	}
	conn.Close(ctx)
	return raw
}

// newSchema creates a randomly named schema, drops it when t ends, and
// returns a copy of server with search_path set to it. The copy also turns
// off synchronous_commit, which halves the time a migration takes, because
// no test needs its data to survive a crash of the server.
func newSchema(t *testing.T, server string) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "twofold_test_" + hex.EncodeToString(b)

	exec := func(ctx context.Context, sql string) error {
		conn, err := pgx.Connect(ctx, server)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})

	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("parse %s: %v", urlVariable, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	return u.String()
}

// open opens a pool on url and closes it when t ends.
func open(t *testing.T, url string) *DB {
	t.Helper()
	db, err := Open(t.Context(), url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestStore(t *testing.T) {
	server := serverURL(t)
	storagetest.Run(t, func(t *testing.T) storage.Store {
		db := open(t, newSchema(t, server))
		if _, err := db.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		return db
	})
}

func TestMigrateTwice(t *testing.T) {
	db := open(t, newSchema(t, serverURL(t)))
	n, err := db.Migrate(t.Context())
	if err != nil {
		t.Fatalf("first Migrate: %v", err)
	}
	if n == 0 {
		t.Errorf("first Migrate applied nothing")
	}
	n, err = db.Migrate(t.Context())
	if err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if n != 0 {
		t.Errorf("second Migrate: applied %d migrations, want 0", n)
	}
}

// TestMigrateConcurrent migrates one schema through two pools at once, as
// two processes starting together would.
func TestMigrateConcurrent(t *testing.T) {
	url := newSchema(t, serverURL(t))
	dbs := []*DB{open(t, url), open(t, url)}

	applied := make([]int, len(dbs))
	errs := make([]error, len(dbs))
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Go(func() { applied[i], errs[i] = db.Migrate(t.Context()) })
	}
	wg.Wait()

	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate %d: %v", i, err)
		}
	}
	entries, err := migrationFiles.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	if applied[0]+applied[1] != len(entries) {
		t.Errorf("migrations applied: %d and %d, want %d in all", applied[0], applied[1], len(entries))
	}
}

func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	// Port 1 on the loopback address has no server.
	_, err := Open(ctx, "postgres://twofold:s3cret-pw@127.0.0.1:1/test?sslmode=disable&connect_timeout=5")
	if err == nil {
		t.Fatal("Open of a closed port: got no error")
	}
	if msg := err.Error(); strings.Contains(msg, "s3cret-pw") {
		t.Errorf("Open error contains the password: %s", msg)
	}
}
