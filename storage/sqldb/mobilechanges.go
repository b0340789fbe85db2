package sqldb

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"twofold/storage"
)

const mobileChangeColumns = `user_id, mobile, code_hash, sends, attempts, window_start,
	last_sent_at, expires_at, created_at`

func scanMobileChange(row scanner) (*storage.MobileChange, error) {
	var (
		m                                    storage.MobileChange
		window, lastSent, expires, createdAt int64
	)
	err := row.Scan(&m.UserID, &m.Mobile, &m.CodeHash, &m.Sends, &m.Attempts, &window,
		&lastSent, &expires, &createdAt)
	if err != nil {
		return nil, err
	}
	if len(m.CodeHash) == 0 {
		m.CodeHash = nil
	}
	m.WindowStart = fromMicros(window)
	m.LastSentAt = fromMicros(lastSent)
	m.ExpiresAt = fromMicros(expires)
	m.CreatedAt = fromMicros(createdAt)
	return &m, nil
}

func (db *DB) MobileChangeByUser(ctx context.Context, userID string) (*storage.MobileChange, error) {
	m, err := scanMobileChange(db.sql.QueryRowContext(ctx,
		`SELECT `+mobileChangeColumns+` FROM mobile_changes WHERE user_id = $1`, userID))
	if err != nil {
		return nil, notFound("read mobile change", err)
	}
	return m, nil
}

// StartMobileChange creates the user's row on first use, then applies the
// send limits and the new number to the locked row.
func (db *DB) StartMobileChange(ctx context.Context, userID, mobile string, codeHash []byte, limits storage.SendLimits, now, expiresAt time.Time) error {
	return db.inTx(ctx, func(tx *sql.Tx) (error, error) {
		_, err := tx.ExecContext(ctx,
			`INSERT INTO mobile_changes (`+mobileChangeColumns+`)
			VALUES ($1, '', NULL, 0, 0, $2, $3, $2, $2)
			ON CONFLICT (user_id) DO NOTHING`,
			userID, micros(now), micros(time.Time{}))
		if err != nil {
			return nil, db.insertError("mobile change", err)
		}
		return nil, db.sendMobileCode(ctx, tx, "start mobile change", userID, mobile, codeHash, limits, now, expiresAt)
	})
}

// ResendMobileChange sends a new code for the pending number.
func (db *DB) ResendMobileChange(ctx context.Context, userID string, codeHash []byte, limits storage.SendLimits, now, expiresAt time.Time) error {
	return db.inTx(ctx, func(tx *sql.Tx) (error, error) {
		return nil, db.sendMobileCode(ctx, tx, "resend mobile change", userID, "", codeHash, limits, now, expiresAt)
	})
}

// sendMobileCode stores a new code for mobile, or for the pending number
// when mobile is empty, if the limits allow a send at now.
func (db *DB) sendMobileCode(ctx context.Context, tx *sql.Tx, what, userID, mobile string, codeHash []byte, limits storage.SendLimits, now, expiresAt time.Time) error {
	m, err := scanMobileChange(tx.QueryRowContext(ctx,
		`SELECT `+mobileChangeColumns+` FROM mobile_changes WHERE user_id = $1`+db.dialect.ForUpdate, userID))
	if err != nil {
		return notFound(what, err)
	}
	if mobile == "" {
		if m.Mobile == "" {
			return fmt.Errorf("sqldb: %s: nothing pending: %w", what, storage.ErrNotFound)
		}
		mobile = m.Mobile
	}
	if !now.Before(m.WindowStart.Add(limits.Window)) {
		m.WindowStart, m.Sends = now, 0
	}
	if m.Sends >= limits.Max || now.Before(m.LastSentAt.Add(limits.Interval)) {
		return fmt.Errorf("sqldb: %s: %w", what, storage.ErrRateLimited)
	}
	_, err = tx.ExecContext(ctx,
		`UPDATE mobile_changes SET mobile = $2, code_hash = $3, sends = $4, attempts = 0,
			window_start = $5, last_sent_at = $6, expires_at = $7
		WHERE user_id = $1`,
		userID, mobile, codeHash, m.Sends+1, micros(m.WindowStart), micros(now), micros(expiresAt))
	if err != nil {
		return fmt.Errorf("sqldb: %s: %w", what, err)
	}
	return nil
}

// CheckMobileChange compares the hashes in Go with
// subtle.ConstantTimeCompare on the locked row, for the reason given at
// CheckChallenge. The outcome is decided in this order: CheckExhausted,
// CheckExpired (at ev.At), then the comparison.
func (db *DB) CheckMobileChange(ctx context.Context, userID, from string, codeHash []byte, maxAttempts int, ev storage.AuditEvent) (storage.ChallengeCheck, error) {
	var check storage.ChallengeCheck
	err := db.inTx(ctx, func(tx *sql.Tx) (error, error) {
		m, err := scanMobileChange(tx.QueryRowContext(ctx,
			`SELECT `+mobileChangeColumns+` FROM mobile_changes WHERE user_id = $1`+db.dialect.ForUpdate, userID))
		if errors.Is(err, sql.ErrNoRows) || (err == nil && m.Mobile == "") {
			return nil, fmt.Errorf("sqldb: check mobile change: nothing pending: %w", storage.ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("sqldb: check mobile change: %w", err)
		}
		switch {
		case m.CodeHash == nil || m.Attempts >= maxAttempts:
			check = storage.CheckExhausted
			return nil, nil
		case !ev.At.Before(m.ExpiresAt):
			check = storage.CheckExpired
			return nil, nil
		}
		if subtle.ConstantTimeCompare(m.CodeHash, codeHash) != 1 {
			check = storage.CheckWrong
			if m.Attempts+1 >= maxAttempts {
				check = storage.CheckExhausted
			}
			_, err := tx.ExecContext(ctx,
				`UPDATE mobile_changes SET attempts = attempts + 1,
					code_hash = CASE WHEN attempts + 1 >= $2 THEN NULL ELSE code_hash END
				WHERE user_id = $1`, userID, maxAttempts)
			if err != nil {
				return nil, fmt.Errorf("sqldb: check mobile change: count miss: %w", err)
			}
			return nil, nil
		}
		if err := updateMobile(ctx, tx, "check mobile change", userID, from, m.Mobile, true, ev); err != nil {
			return nil, err
		}
		_, err = tx.ExecContext(ctx,
			`UPDATE mobile_changes SET mobile = '', code_hash = NULL, attempts = 0 WHERE user_id = $1`, userID)
		if err != nil {
			return nil, fmt.Errorf("sqldb: check mobile change: end change: %w", err)
		}
		if err := insertAudit(ctx, tx, ev); err != nil {
			return nil, err
		}
		check = storage.CheckOK
		return nil, nil
	})
	if err != nil {
		return 0, err
	}
	return check, nil
}

func (db *DB) CancelMobileChange(ctx context.Context, userID string) error {
	_, err := db.sql.ExecContext(ctx,
		`UPDATE mobile_changes SET mobile = '', code_hash = NULL, attempts = 0 WHERE user_id = $1`, userID)
	if err != nil {
		return fmt.Errorf("sqldb: cancel mobile change: %w", err)
	}
	return nil
}
