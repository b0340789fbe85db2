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

const challengeColumns = `id, auth_request_id, user_id, mobile, purpose, code_hash,
	sends, attempts, last_sent_at, expires_at, verified_at, created_at`

// challengeRow is a stored challenge and whether a newer one voided it.
type challengeRow struct {
	storage.Challenge
	voided bool
}

func scanChallenge(row scanner) (*challengeRow, error) {
	var (
		c                          challengeRow
		purpose                    string
		lastSent, expires, created int64
		verified, voided           sql.NullInt64
	)
	err := row.Scan(&c.ID, &c.AuthRequestID, &c.UserID, &c.Mobile, &purpose, &c.CodeHash,
		&c.Sends, &c.Attempts, &lastSent, &expires, &verified, &created, &voided)
	if err != nil {
		return nil, err
	}
	c.Purpose = storage.ChallengePurpose(purpose)
	c.LastSentAt = fromMicros(lastSent)
	c.ExpiresAt = fromMicros(expires)
	c.VerifiedAt = fromNullMicros(verified)
	c.CreatedAt = fromMicros(created)
	c.voided = voided.Valid
	return &c, nil
}

func validPurpose(p storage.ChallengePurpose) bool {
	return p == storage.PurposeVerify || p == storage.PurposeConfirm || p == storage.PurposeEnroll
}

// CreateChallenge voids the open challenge of the auth request, if any, and
// stores c as unverified with no attempts and at least one send. It updates
// c to match. A missing auth request is ErrNotFound.
//
// The auth request row is locked first, so concurrent creations for one
// request run one after the other and each voids its predecessor.
func (db *DB) CreateChallenge(ctx context.Context, c *storage.Challenge) error {
	if !validPurpose(c.Purpose) {
		return fmt.Errorf("sqldb: create challenge: invalid purpose %q", c.Purpose)
	}
	if len(c.CodeHash) == 0 {
		return errors.New("sqldb: create challenge: empty code hash")
	}
	c.Sends = max(c.Sends, 1)
	c.Attempts = 0
	c.VerifiedAt = nil

	return db.inTx(ctx, func(tx *sql.Tx) (error, error) {
		var found bool
		err := tx.QueryRowContext(ctx,
			`SELECT TRUE FROM auth_requests WHERE id = $1`+db.dialect.ForUpdate,
			c.AuthRequestID).Scan(&found)
		if err != nil {
			return nil, notFound("create challenge: read auth request", err)
		}
		_, err = tx.ExecContext(ctx,
			`UPDATE challenges SET voided_at = $2
			WHERE auth_request_id = $1 AND verified_at IS NULL AND voided_at IS NULL`,
			c.AuthRequestID, micros(c.CreatedAt))
		if err != nil {
			return nil, fmt.Errorf("sqldb: create challenge: void earlier challenge: %w", err)
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO challenges (`+challengeColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, $11)`,
			c.ID, c.AuthRequestID, c.UserID, c.Mobile, string(c.Purpose), c.CodeHash,
			c.Sends, c.Attempts, micros(c.LastSentAt), micros(c.ExpiresAt), micros(c.CreatedAt))
		if err != nil {
			return nil, db.insertError("challenge", err)
		}
		return nil, nil
	})
}

// ActiveChallenge returns the newest challenge of the auth request that no
// newer challenge voided. seq breaks ties between challenges created in the
// same microsecond.
func (db *DB) ActiveChallenge(ctx context.Context, authRequestID string) (*storage.Challenge, error) {
	row := db.sql.QueryRowContext(ctx,
		`SELECT `+challengeColumns+`, voided_at FROM challenges
		WHERE auth_request_id = $1 AND voided_at IS NULL
		ORDER BY created_at DESC, seq DESC LIMIT 1`,
		authRequestID)
	c, err := scanChallenge(row)
	if err != nil {
		return nil, notFound("read active challenge", err)
	}
	return &c.Challenge, nil
}

// ResendChallenge replaces the code in one guarded UPDATE: of two concurrent
// resends, the second finds last_sent_at already past notBefore.
func (db *DB) ResendChallenge(ctx context.Context, id string, codeHash []byte, maxSends int, notBefore, now, expiresAt time.Time) error {
	if len(codeHash) == 0 {
		return errors.New("sqldb: resend challenge: empty code hash")
	}
	res, err := db.sql.ExecContext(ctx,
		`UPDATE challenges
		SET code_hash = $2, sends = sends + 1, attempts = 0, last_sent_at = $5, expires_at = $6
		WHERE id = $1 AND verified_at IS NULL AND voided_at IS NULL
			AND sends < $3 AND last_sent_at <= $4`,
		id, codeHash, maxSends, micros(notBefore), micros(now), micros(expiresAt))
	return affectedOne("resend challenge", res, err)
}

// maxCheckRounds bounds how often CheckChallenge reads the challenge again
// after a concurrent verification, miss or resend changed it in between.
const maxCheckRounds = 10

// CheckChallenge reads the challenge by id, compares the hashes in Go with
// subtle.ConstantTimeCompare, and records the outcome with an UPDATE that
// applies only while the compared code is still current (same sends count),
// unverified, unvoided and not exhausted. When another call changed the row
// in between, the UPDATE changes nothing and the check starts over, so
// concurrent checks of the right code verify once and every miss is counted.
//
// The comparison is not left to SQL because an SMS code has few digits:
// even keyed, its hash must not be compared by an engine whose byte
// comparison takes longer the more leading bytes match. The row is found by
// id, which is not secret.
//
// A voided challenge is ErrNotFound. Otherwise the outcome is decided in this
// order: CheckUsed, CheckExhausted, CheckExpired, then the comparison.
func (db *DB) CheckChallenge(ctx context.Context, id string, codeHash []byte, maxAttempts int, now time.Time) (storage.ChallengeCheck, *storage.Challenge, error) {
	for range maxCheckRounds {
		c, err := scanChallenge(db.sql.QueryRowContext(ctx,
			`SELECT `+challengeColumns+`, voided_at FROM challenges WHERE id = $1`, id))
		if err != nil {
			return 0, nil, notFound("check challenge", err)
		}
		switch {
		case c.voided:
			return 0, nil, fmt.Errorf("sqldb: check challenge: voided: %w", storage.ErrNotFound)
		case c.VerifiedAt != nil:
			return storage.CheckUsed, &c.Challenge, nil
		case c.CodeHash == nil || c.Attempts >= maxAttempts:
			return storage.CheckExhausted, &c.Challenge, nil
		case !now.Before(c.ExpiresAt):
			return storage.CheckExpired, &c.Challenge, nil
		}

		var check storage.ChallengeCheck
		if subtle.ConstantTimeCompare(c.CodeHash, codeHash) == 1 {
			check, c, err = db.markVerified(ctx, id, c.Sends, maxAttempts, now)
		} else {
			check, c, err = db.countMiss(ctx, id, c.Sends, maxAttempts)
		}
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return 0, nil, fmt.Errorf("sqldb: check challenge: %w", err)
		}
		return check, &c.Challenge, nil
	}
	return 0, nil, fmt.Errorf("sqldb: check challenge: challenge changed %d times during the check", maxCheckRounds)
}

// markVerified verifies the challenge if its code is still the one with
// sends sends and can still be used at now. Otherwise it returns
// sql.ErrNoRows.
func (db *DB) markVerified(ctx context.Context, id string, sends, maxAttempts int, now time.Time) (storage.ChallengeCheck, *challengeRow, error) {
	c, err := scanChallenge(db.sql.QueryRowContext(ctx,
		`UPDATE challenges SET verified_at = $3
		WHERE id = $1 AND sends = $2 AND verified_at IS NULL AND voided_at IS NULL
			AND code_hash IS NOT NULL AND attempts < $4 AND expires_at > $3
		RETURNING `+challengeColumns+`, voided_at`,
		id, sends, micros(now), maxAttempts))
	if err != nil {
		return 0, nil, err
	}
	return storage.CheckOK, c, nil
}

// countMiss counts a wrong entry against the code with sends sends. The
// entry that reaches maxAttempts voids the code by setting its hash to NULL.
// It returns sql.ErrNoRows when that code no longer accepts entries.
func (db *DB) countMiss(ctx context.Context, id string, sends, maxAttempts int) (storage.ChallengeCheck, *challengeRow, error) {
	c, err := scanChallenge(db.sql.QueryRowContext(ctx,
		`UPDATE challenges
		SET attempts = attempts + 1,
			code_hash = CASE WHEN attempts + 1 >= $3 THEN NULL ELSE code_hash END
		WHERE id = $1 AND sends = $2 AND verified_at IS NULL AND voided_at IS NULL
			AND code_hash IS NOT NULL AND attempts < $3
		RETURNING `+challengeColumns+`, voided_at`,
		id, sends, maxAttempts))
	if err != nil {
		return 0, nil, err
	}
	if c.CodeHash == nil {
		return storage.CheckExhausted, c, nil
	}
	return storage.CheckWrong, c, nil
}
