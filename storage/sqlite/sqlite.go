// Package sqlite opens twofold's storage in an SQLite file through
// modernc.org/sqlite, a pure Go driver, and applies its schema.
//
// Several processes may use one file at once, such as the server and a CLI
// command. The file is in WAL mode, in which readers do not wait for the
// writer, and a writer that finds the file locked waits up to busyTimeout.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"twofold/storage/sqldb"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// busyTimeout is how long a statement waits for another connection or
// process to release the write lock before it fails with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// maxOpenConns bounds the pool. Writers take turns on the file lock
// whatever the pool size, so more connections would only add readers.
const maxOpenConns = 8

// dialect is SQLite's sqldb.Dialect. It needs no FOR UPDATE and no
// migration lock because every transaction begins with BEGIN IMMEDIATE,
// which takes the database's single write lock.
var dialect = sqldb.Dialect{
	Name: "sqlite",
	IsUniqueViolation: func(err error) bool {
		return hasCode(err, sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
	},
	IsForeignKeyViolation: func(err error) bool {
		return hasCode(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY)
	},
	IsRetryable: func(err error) bool {
		return hasPrimaryCode(err, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
	},
}

// hasCode reports whether err is an SQLite error with one of the extended
// result codes, which modernc.org/sqlite reports.
func hasCode(err error, codes ...int) bool {
	var sqliteErr *sqlite.Error
	if !errors.As(err, &sqliteErr) {
		return false
	}
	for _, c := range codes {
		if sqliteErr.Code() == c {
			return true
		}
	}
	return false
}

// hasPrimaryCode reports whether err is an SQLite error whose primary
// result code (the low byte) is one of codes, such as SQLITE_BUSY for
// SQLITE_BUSY_SNAPSHOT too.
func hasPrimaryCode(err error, codes ...int) bool {
	var sqliteErr *sqlite.Error
	if !errors.As(err, &sqliteErr) {
		return false
	}
	for _, c := range codes {
		if sqliteErr.Code()&0xff == c {
			return true
		}
	}
	return false
}

// DB is twofold's storage in an SQLite file.
type DB struct {
	*sqldb.DB
	sql *sql.DB
}

// Open opens, creating it if missing, the SQLite database file at path and
// checks the connection. It does not apply the schema; see Migrate. An
// in-memory database is rejected because every pooled connection would get
// a separate one.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	if path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: database path %q: give a file path, not an in-memory database or a file: URI", path)
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(maxOpenConns)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return &DB{DB: sqldb.New(db, dialect), sql: db}, nil
}

// dsn builds the driver's data source name for path: an SQLite URI, so that
// characters such as '?' and '#' in the path are escaped rather than read as
// its query. Every connection gets
//   - WAL mode, so readers and one writer work at once across processes;
//   - busy_timeout, so a locked file is waited for, not an immediate error;
//   - foreign_keys, which SQLite turns off per connection by default;
//   - _txlock=immediate, so a transaction takes the write lock at BEGIN,
//     where busy_timeout applies. A deferred transaction in WAL mode takes
//     it at its first write and fails there with SQLITE_BUSY_SNAPSHOT,
//     without waiting, when another connection committed a write after the
//     transaction's first read.
func dsn(path string) string {
	params := url.Values{}
	params.Set("_busy_timeout", strconv.FormatInt(busyTimeout.Milliseconds(), 10))
	params.Set("_journal_mode", "WAL")
	params.Set("_foreign_keys", "1")
	params.Set("_txlock", "immediate")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + params.Encode()
}

// Migrate applies the embedded migrations that the database lacks and
// returns how many it applied. Concurrent calls, from this process or
// others, take turns on the write lock and apply each migration once.
func (db *DB) Migrate(ctx context.Context) (int, error) {
	root, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return 0, fmt.Errorf("sqlite: open embedded migrations: %w", err)
	}
	migrations, err := sqldb.LoadMigrations(root)
	if err != nil {
		return 0, err
	}
	return sqldb.Migrate(ctx, db.sql, dialect, migrations)
}
