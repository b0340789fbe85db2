// Package sqldb implements storage.Store over database/sql, once for every
// SQL engine twofold supports. One SQL text serves PostgreSQL and SQLite:
//
//   - placeholders are $1, $2, ...;
//   - times are BIGINT unix microseconds in UTC;
//   - string lists are TEXT columns holding a JSON array;
//   - booleans are BOOLEAN, byte strings BYTEA (PostgreSQL) or BLOB (SQLite).
//
// A Dialect carries the few differences. Times read back are in UTC and
// truncated to microseconds; empty lists and byte strings read back as nil.
//
// Single-use values (authorization codes, refresh tokens, SMS codes) are
// spent by one UPDATE whose WHERE clause contains every guard and whose
// RETURNING clause reads the row. Two concurrent callers cannot both win,
// because PostgreSQL re-checks the WHERE clause of a blocked UPDATE against
// the row its blocker committed, and SQLite runs one writer at a time.
package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"twofold/storage"
)

// Dialect describes what differs between the SQL engines.
type Dialect struct {
	// Name identifies the engine in error messages, such as "postgres".
	Name string

	// ForUpdate is appended to a SELECT whose rows must stay locked until
	// the transaction ends: " FOR UPDATE" on an engine with row locks, empty
	// on one whose write transactions already exclude every other writer.
	ForUpdate string

	// MigrationLock is run first in every migration transaction to keep two
	// processes from migrating at once. Empty when BEGIN already takes a lock
	// that excludes other writers.
	MigrationLock string

	// IsUniqueViolation reports whether err is a unique or primary key
	// violation.
	IsUniqueViolation func(err error) bool

	// IsForeignKeyViolation reports whether err is a foreign key violation.
	IsForeignKeyViolation func(err error) bool

	// IsRetryable reports whether a transaction that failed with err may
	// succeed when run again: a serialization failure, a deadlock or a
	// database that stayed locked past its busy timeout.
	IsRetryable func(err error) bool
}

// DB is a storage.Store over one database/sql pool.
type DB struct {
	sql     *sql.DB
	dialect Dialect
}

var _ storage.Store = (*DB)(nil)

// New returns a Store that runs its statements on db. The caller must have
// applied the schema (see Migrate). Close closes db.
func New(db *sql.DB, d Dialect) *DB {
	return &DB{sql: db, dialect: d}
}

// Ping checks the connection to the database.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.sql.PingContext(ctx); err != nil {
		return fmt.Errorf("sqldb: ping %s: %w", db.dialect.Name, err)
	}
	return nil
}

// Close closes the database/sql pool.
func (db *DB) Close() error {
	return db.sql.Close()
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// txBeginner is a *sql.DB or a *sql.Conn.
type txBeginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// maxTxAttempts is how many times inTx runs a transaction that keeps
// failing with a retryable error before it returns that error.
const maxTxAttempts = 5

// inTx runs fn in a transaction on db's pool; see runTx.
func (db *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) (result, fail error)) error {
	return runTx(ctx, db.sql, db.dialect, fn)
}

// runTx runs fn in a transaction begun on b. When fn returns a non-nil fail,
// the transaction rolls back and runTx returns fail. Otherwise it commits and
// returns result, which lets fn report an outcome such as storage.ErrReused
// after the revocation it caused has been committed.
//
// A failure that d calls retryable, from BEGIN, fn or COMMIT, rolls back and
// runs fn again after a short random pause, up to maxTxAttempts times in all.
// fn must therefore run every statement through tx, never through the pool,
// and have no effect outside the database that a second run would repeat.
func runTx(ctx context.Context, b txBeginner, d Dialect, fn func(tx *sql.Tx) (result, fail error)) error {
	for attempt := 1; ; attempt++ {
		result, err := runTxOnce(ctx, b, fn)
		if err == nil {
			return result
		}
		if attempt == maxTxAttempts || !d.IsRetryable(err) {
			return err
		}
		if err := pause(ctx, attempt); err != nil {
			return err
		}
	}
}

func runTxOnce(ctx context.Context, b txBeginner, fn func(tx *sql.Tx) (result, fail error)) (result, fail error) {
	tx, err := b.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqldb: begin transaction: %w", err)
	}
	result, err = fn(tx)
	if err != nil {
		// The rollback error adds nothing: the transaction is void either way.
		_ = tx.Rollback()
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqldb: commit transaction: %w", err)
	}
	return result, nil
}

// pause waits before retry number attempt: a random 0-10 ms more per earlier
// attempt, so transactions that collided are unlikely to collide again.
func pause(ctx context.Context, attempt int) error {
	d := time.Duration(attempt)*5*time.Millisecond + rand.N(10*time.Millisecond)
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// insertError maps a failed INSERT of a what (such as "user") to the
// storage errors: a taken unique value is ErrConflict, a missing referenced
// row is ErrNotFound.
func (db *DB) insertError(what string, err error) error {
	switch {
	case db.dialect.IsUniqueViolation(err):
		return fmt.Errorf("sqldb: create %s: %w", what, storage.ErrConflict)
	case db.dialect.IsForeignKeyViolation(err):
		return fmt.Errorf("sqldb: create %s: referenced row: %w", what, storage.ErrNotFound)
	default:
		return fmt.Errorf("sqldb: create %s: %w", what, err)
	}
}

// notFound maps sql.ErrNoRows to storage.ErrNotFound and wraps other errors
// with what failed, such as "read user".
func notFound(what string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqldb: %s: %w", what, storage.ErrNotFound)
	}
	return fmt.Errorf("sqldb: %s: %w", what, err)
}

// affectedOne returns ErrNotFound when res reports that no row changed.
func affectedOne(what string, res sql.Result, err error) error {
	if err != nil {
		return fmt.Errorf("sqldb: %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqldb: %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("sqldb: %s: %w", what, storage.ErrNotFound)
	}
	return nil
}
