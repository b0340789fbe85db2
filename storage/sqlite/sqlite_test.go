package sqlite

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"twofold/storage"
	"twofold/storage/storagetest"
)

// openMigrated opens the database file at path and applies the schema.
func openMigrated(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return db
}

func TestStore(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		return openMigrated(t, filepath.Join(t.TempDir(), "twofold.db"))
	})
}

func TestMigrateTwice(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "twofold.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()

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

// TestMigrateConcurrent migrates one file through two pools at once, as two
// processes starting together would.
func TestMigrateConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "twofold.db")
	dbs := make([]*DB, 2)
	for i := range dbs {
		db, err := Open(t.Context(), path)
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		defer db.Close()
		dbs[i] = db
	}

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
	migrations, err := migrationCount()
	if err != nil {
		t.Fatal(err)
	}
	if applied[0]+applied[1] != migrations {
		t.Errorf("migrations applied: %d and %d, want %d in all", applied[0], applied[1], migrations)
	}
}

// TestSharedFile rotates one refresh token through two pools on one file:
// exactly one of the rotations may win.
func TestSharedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "twofold.db")
	first := openMigrated(t, path)
	second := openMigrated(t, path)
	ctx := t.Context()
	seed(t, ctx, first)

	old := &storage.RefreshToken{
		ID: "rt-0", TokenHash: []byte("hash 0"), ClientID: "client", UserID: "user",
		ExpiresAt: farFuture,
	}
	if err := first.CreateRefreshToken(ctx, old); err != nil {
		t.Fatalf("CreateRefreshToken: %v", err)
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, db := range []*DB{first, second} {
		wg.Go(func() {
			next := &storage.RefreshToken{
				ID: "rt-" + string(rune('1'+i)), TokenHash: []byte{byte(i)}, ClientID: "client",
				UserID: "user", ExpiresAt: farFuture,
			}
			errs[i] = db.RotateRefreshToken(ctx, old.TokenHash, next, nil, farFuture.AddDate(-1, 0, 0))
		})
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Errorf("rotations through two pools: got errors %v and %v, want exactly one nil", errs[0], errs[1])
	}
}

func TestPragmas(t *testing.T) {
	db := openMigrated(t, filepath.Join(t.TempDir(), "twofold.db"))
	tests := []struct {
		pragma, want string
	}{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"busy_timeout", "10000"},
	}
	for _, tc := range tests {
		var got string
		if err := db.sql.QueryRowContext(t.Context(), "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", tc.pragma, err)
		}
		if got != tc.want {
			t.Errorf("PRAGMA %s: got %q, want %q", tc.pragma, got, tc.want)
		}
	}
}

// childVariable, when set, makes TestChildProcess a writer on the file it
// names instead of a skipped test.
const childVariable = "TWOFOLD_SQLITE_TEST_CHILD"

// childWrites is how many refresh token rotations each child process makes.
const childWrites = 40

// TestSeveralProcesses runs two processes that write to one file at once,
// as the server and a CLI command would; neither may see SQLITE_BUSY.
func TestSeveralProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "twofold.db")
	db := openMigrated(t, path)
	seed(t, t.Context(), db)

	children := make([]*exec.Cmd, 2)
	for i := range children {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestChildProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), childVariable+"="+path, "TWOFOLD_SQLITE_TEST_CHILD_ID="+strconv.Itoa(i))
		children[i] = cmd
	}
	outputs := make([][]byte, len(children))
	errs := make([]error, len(children))
	var wg sync.WaitGroup
	for i, cmd := range children {
		wg.Go(func() { outputs[i], errs[i] = cmd.CombinedOutput() })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("child process %d: %v\n%s", i, err, outputs[i])
		}
	}

	for i := range children {
		last := []byte(fmt.Sprintf("child-%d-%d", i, childWrites))
		if _, err := db.RefreshTokenByHash(t.Context(), last, farFuture.AddDate(-1, 0, 0)); err != nil {
			t.Errorf("last token of child process %d: %v", i, err)
		}
	}
}

// TestChildProcess is one writer of TestSeveralProcesses: it rotates a
// chain of refresh tokens childWrites times.
func TestChildProcess(t *testing.T) {
	path := os.Getenv(childVariable)
	if path == "" {
		t.Skip("runs only as a child process of TestSeveralProcesses")
	}
	id := os.Getenv("TWOFOLD_SQLITE_TEST_CHILD_ID")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()

	token := func(n int) *storage.RefreshToken {
		name := fmt.Sprintf("child-%s-%d", id, n)
		return &storage.RefreshToken{
			ID: name, TokenHash: []byte(name), ClientID: "client", UserID: "user", ExpiresAt: farFuture,
		}
	}
	if err := db.CreateRefreshToken(t.Context(), token(0)); err != nil {
		t.Fatalf("CreateRefreshToken: %v", err)
	}
	for n := 1; n <= childWrites; n++ {
		err := db.RotateRefreshToken(t.Context(), token(n-1).TokenHash, token(n), nil, farFuture.AddDate(-1, 0, 0))
		if err != nil {
			t.Fatalf("rotation %d: %v", n, err)
		}
	}
}

func migrationCount() (int, error) {
	entries, err := migrationFiles.ReadDir("migrations")
	return len(entries), err
}

// seed stores the client and user that TestSharedFile's tokens refer to.
func seed(t *testing.T, ctx context.Context, db *DB) {
	t.Helper()
	if err := db.CreateOffice(ctx, &storage.Office{ID: "office", Code: "OFFICE"}); err != nil {
		t.Fatalf("CreateOffice: %v", err)
	}
	err := db.CreateUser(ctx, &storage.User{ID: "user", OfficeID: "office", Username: "u", Role: storage.RoleUser})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if err := db.CreateClient(ctx, &storage.Client{ID: "client"}); err != nil {
		t.Fatalf("CreateClient: %v", err)
	}
}

var farFuture = time.Date(2040, time.January, 1, 0, 0, 0, 0, time.UTC)
