package sqldb

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"twofold/storage"
)

// limitReached is the fail value of CountSMSSend's transaction: it rolls the
// transaction back, so the counters' rows are left as they were.
type limitReached struct{ hit *storage.SMSLimitHit }

func (l *limitReached) Error() string { return "sqldb: SMS limit reached: " + l.hit.Scope }

// CountSMSSend locks every counter's row, reads its buckets, and counts the
// send only when no counter is full, all in one transaction. Counters are
// locked in (scope, subject) order, so two sends that share counters never
// wait for each other in a cycle. The lock is the row lock that INSERT ... ON CONFLICT DO
// UPDATE takes on PostgreSQL, and the database's write lock, taken at
// BEGIN, on SQLite; a send that waited for it reads the buckets its
// predecessor committed.
func (db *DB) CountSMSSend(ctx context.Context, counters []storage.SMSCounter, now time.Time) (*storage.SMSLimitHit, error) {
	if err := validateCounters(counters); err != nil {
		return nil, err
	}
	ordered := slices.Clone(counters)
	slices.SortFunc(ordered, func(a, b storage.SMSCounter) int {
		return cmp.Or(cmp.Compare(a.Scope, b.Scope), cmp.Compare(a.Subject, b.Subject))
	})

	err := db.inTx(ctx, func(tx *sql.Tx) (error, error) {
		var worst *storage.SMSLimitHit
		for _, c := range ordered {
			hit, err := checkCounter(ctx, tx, c, now)
			if err != nil {
				return nil, err
			}
			if hit != nil && (worst == nil || hit.RetryAfter > worst.RetryAfter) {
				worst = hit
			}
		}
		if worst != nil {
			return nil, &limitReached{hit: worst}
		}
		for _, c := range ordered {
			if err := countSend(ctx, tx, c, now); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	var reached *limitReached
	if errors.As(err, &reached) {
		return reached.hit, nil
	}
	if err != nil {
		return nil, err
	}
	return nil, nil
}

func validateCounters(counters []storage.SMSCounter) error {
	for _, c := range counters {
		if c.Scope == "" {
			return errors.New("sqldb: count SMS send: counter without a scope")
		}
		for _, w := range c.Windows {
			if w.Length <= 0 || w.Bucket <= 0 || w.Length%w.Bucket != 0 || w.Max < 1 {
				return fmt.Errorf("sqldb: count SMS send: %s window %v with bucket %v and max %d: "+
					"the bucket must divide the length and max must be positive", c.Scope, w.Length, w.Bucket, w.Max)
			}
		}
	}
	return nil
}

// bucket is one stored bucket of a counter.
type bucket struct {
	length, start int64 // microseconds
	sends         int64
}

// checkCounter locks the counter's row, creating it when missing, and
// returns the hit that refuses a send at now, or nil.
func checkCounter(ctx context.Context, tx *sql.Tx, c storage.SMSCounter, now time.Time) (*storage.SMSLimitHit, error) {
	var last sql.NullInt64
	err := tx.QueryRowContext(ctx,
		`INSERT INTO sms_counters (scope, subject, last_sent_at) VALUES ($1, $2, NULL)
		ON CONFLICT (scope, subject) DO UPDATE SET last_sent_at = sms_counters.last_sent_at
		RETURNING last_sent_at`,
		c.Scope, c.Subject).Scan(&last)
	if err != nil {
		return nil, fmt.Errorf("sqldb: lock SMS counter %s: %w", c.Scope, err)
	}

	var worst *storage.SMSLimitHit
	if c.MinInterval > 0 && last.Valid {
		if wait := fromMicros(last.Int64).Add(c.MinInterval).Sub(now); wait > 0 {
			worst = &storage.SMSLimitHit{Scope: c.Scope, Window: c.MinInterval, RetryAfter: wait}
		}
	}
	if len(c.Windows) == 0 {
		return worst, nil
	}

	buckets, err := readBuckets(ctx, tx, c, now)
	if err != nil {
		return nil, err
	}
	for _, w := range c.Windows {
		wait, full := windowWait(w, buckets, now)
		if full && (worst == nil || wait > worst.RetryAfter) {
			worst = &storage.SMSLimitHit{Scope: c.Scope, Window: w.Length, RetryAfter: wait}
		}
	}
	return worst, nil
}

// windowStart returns the start of the oldest bucket that a send at now is
// checked against (see storage.SMSWindow).
func windowStart(w storage.SMSWindow, now time.Time) int64 {
	b := w.Bucket.Microseconds()
	return micros(now)/b*b - w.Length.Microseconds()
}

// readBuckets reads the counter's buckets that any of its windows checks at
// now, oldest first.
func readBuckets(ctx context.Context, tx *sql.Tx, c storage.SMSCounter, now time.Time) ([]bucket, error) {
	oldest := windowStart(c.Windows[0], now)
	for _, w := range c.Windows[1:] {
		oldest = min(oldest, windowStart(w, now))
	}
	rows, err := tx.QueryContext(ctx,
		`SELECT bucket_length, bucket_start, sends FROM sms_counter_buckets
		WHERE scope = $1 AND subject = $2 AND bucket_start >= $3
		ORDER BY bucket_start`,
		c.Scope, c.Subject, oldest)
	if err != nil {
		return nil, fmt.Errorf("sqldb: read SMS counter %s: %w", c.Scope, err)
	}
	defer rows.Close()
	var buckets []bucket
	for rows.Next() {
		var b bucket
		if err := rows.Scan(&b.length, &b.start, &b.sends); err != nil {
			return nil, fmt.Errorf("sqldb: read SMS counter %s: %w", c.Scope, err)
		}
		buckets = append(buckets, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: read SMS counter %s: %w", c.Scope, err)
	}
	return buckets, nil
}

// windowWait reports whether the window is full at now and, if so, how long
// until enough of its oldest buckets have left it for one more send. A
// bucket starting at s leaves the window when the current bucket starts at
// s + Length + Bucket.
func windowWait(w storage.SMSWindow, buckets []bucket, now time.Time) (time.Duration, bool) {
	length, size := w.Length.Microseconds(), w.Bucket.Microseconds()
	start := windowStart(w, now)
	var total int64
	for _, b := range buckets {
		if b.length == size && b.start >= start {
			total += b.sends
		}
	}
	if total < int64(w.Max) {
		return 0, false
	}
	for _, b := range buckets {
		if b.length != size || b.start < start {
			continue
		}
		total -= b.sends
		if total < int64(w.Max) {
			return fromMicros(b.start + length + size).Sub(now), true
		}
	}
	// Unreachable: once every bucket has left, the total is 0 < Max.
	return w.Length + w.Bucket, true
}

// countSend counts one send at now in each of the counter's windows.
func countSend(ctx context.Context, tx *sql.Tx, c storage.SMSCounter, now time.Time) error {
	_, err := tx.ExecContext(ctx,
		`UPDATE sms_counters SET last_sent_at = $3 WHERE scope = $1 AND subject = $2`,
		c.Scope, c.Subject, micros(now))
	if err != nil {
		return fmt.Errorf("sqldb: count SMS send %s: %w", c.Scope, err)
	}
	for _, w := range c.Windows {
		size := w.Bucket.Microseconds()
		_, err := tx.ExecContext(ctx,
			`INSERT INTO sms_counter_buckets (scope, subject, bucket_length, bucket_start, sends)
			VALUES ($1, $2, $3, $4, 1)
			ON CONFLICT (scope, subject, bucket_length, bucket_start)
			DO UPDATE SET sends = sms_counter_buckets.sends + 1`,
			c.Scope, c.Subject, size, micros(now)/size*size)
		if err != nil {
			return fmt.Errorf("sqldb: count SMS send %s: %w", c.Scope, err)
		}
	}
	return nil
}

// DeleteSMSCountersBefore removes old buckets and idle counters, each table
// by its own statement. A counter deleted while a send is about to lock it
// is created again by that send, with no last send, which is right because
// its last send was older than any MinInterval.
func (db *DB) DeleteSMSCountersBefore(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for _, q := range []struct{ what, query string }{
		{"SMS counter buckets", `DELETE FROM sms_counter_buckets WHERE bucket_start < $1`},
		{"SMS counters", `DELETE FROM sms_counters WHERE last_sent_at IS NULL OR last_sent_at < $1`},
	} {
		res, err := db.sql.ExecContext(ctx, q.query, micros(before))
		if err != nil {
			return total, fmt.Errorf("sqldb: delete old %s: %w", q.what, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("sqldb: delete old %s: %w", q.what, err)
		}
		total += n
	}
	return total, nil
}
