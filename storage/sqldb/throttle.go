package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"twofold/storage"
)

// LoginLockedUntil reads every key in one statement; there are three per
// sign-in attempt.
func (db *DB) LoginLockedUntil(ctx context.Context, keys []string, now time.Time) (time.Time, error) {
	if len(keys) == 0 {
		return time.Time{}, nil
	}
	args := []any{micros(now)}
	marks := make([]string, len(keys))
	for i, k := range keys {
		args = append(args, k)
		marks[i] = fmt.Sprintf("$%d", i+2)
	}
	var latest sql.NullInt64
	err := db.sql.QueryRowContext(ctx,
		`SELECT MAX(locked_until) FROM login_throttle WHERE locked_until > $1 AND key IN (`+strings.Join(marks, ", ")+`)`,
		args...).Scan(&latest)
	if err != nil {
		return time.Time{}, fmt.Errorf("sqldb: read login throttle: %w", err)
	}
	if !latest.Valid {
		return time.Time{}, nil
	}
	return fromMicros(latest.Int64), nil
}

// RecordLoginFailure locks each key's row (FOR UPDATE on PostgreSQL, the
// write lock SQLite takes at BEGIN IMMEDIATE) before it reads and writes the
// count, so concurrent failures are all counted.
func (db *DB) RecordLoginFailure(ctx context.Context, failures []storage.LoginFailure, now time.Time) (time.Time, error) {
	var latest time.Time
	err := db.inTx(ctx, func(tx *sql.Tx) (error, error) {
		latest = time.Time{}
		for _, f := range failures {
			until, err := recordFailure(ctx, tx, db.dialect.ForUpdate, f, now)
			if err != nil {
				return nil, err
			}
			if until.After(latest) {
				latest = until
			}
		}
		return nil, nil
	})
	return latest, err
}

func recordFailure(ctx context.Context, tx *sql.Tx, forUpdate string, f storage.LoginFailure, now time.Time) (time.Time, error) {
	n := micros(now)
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO login_throttle (key, failures, window_start, locks, locked_until, updated_at)
		VALUES ($1, 0, $2, 0, 0, $2) ON CONFLICT (key) DO NOTHING`, f.Key, n); err != nil {
		return time.Time{}, fmt.Errorf("sqldb: record login failure: %w", err)
	}
	var failures, locks int
	var windowStart, lockedUntil, updated int64
	err := tx.QueryRowContext(ctx,
		`SELECT failures, window_start, locks, locked_until, updated_at FROM login_throttle WHERE key = $1`+forUpdate,
		f.Key).Scan(&failures, &windowStart, &locks, &lockedUntil, &updated)
	if err != nil {
		return time.Time{}, fmt.Errorf("sqldb: record login failure: %w", err)
	}
	window := f.Window.Microseconds()
	if n-updated > window {
		locks = 0 // quiet for a whole window: earlier locks are forgiven
	}
	if n-windowStart > window {
		failures, windowStart = 0, n
	}
	failures++
	if failures >= f.Threshold {
		lock := f.BaseLock
		for i := 0; i < locks && lock < f.MaxLock; i++ {
			lock *= 2
		}
		lock = min(lock, f.MaxLock)
		locks++
		lockedUntil = max(lockedUntil, n+lock.Microseconds())
		failures, windowStart = 0, n
	}
	if _, err := tx.ExecContext(ctx,
		`UPDATE login_throttle SET failures = $2, window_start = $3, locks = $4, locked_until = $5, updated_at = $6
		WHERE key = $1`, f.Key, failures, windowStart, locks, lockedUntil, n); err != nil {
		return time.Time{}, fmt.Errorf("sqldb: record login failure: %w", err)
	}
	if lockedUntil > n {
		return fromMicros(lockedUntil), nil
	}
	return time.Time{}, nil
}

func (db *DB) ClearLoginFailures(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	args := make([]any, len(keys))
	marks := make([]string, len(keys))
	for i, k := range keys {
		args[i] = k
		marks[i] = fmt.Sprintf("$%d", i+1)
	}
	_, err := db.sql.ExecContext(ctx, `DELETE FROM login_throttle WHERE key IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return fmt.Errorf("sqldb: clear login failures: %w", err)
	}
	return nil
}
