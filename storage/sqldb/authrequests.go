package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"twofold/storage"
)

const authRequestColumns = `id, client_id, redirect_uri, state, nonce, scopes,
	response_type, response_mode, code_challenge, code_challenge_method, prompt,
	max_age, login_hint, ui_locales, acr_values, hint_subject, claims, browser_hash,
	user_id, session_id, amr, acr, auth_time, done, created_at, expires_at`

func scanAuthRequest(row scanner) (*storage.AuthRequest, error) {
	var (
		r                                       storage.AuthRequest
		scopes, prompt, locales, acrValues, amr string
		maxAge                                  sql.NullInt64
		authTime, created, expires              int64
	)
	err := row.Scan(&r.ID, &r.ClientID, &r.RedirectURI, &r.State, &r.Nonce, &scopes,
		&r.ResponseType, &r.ResponseMode, &r.CodeChallenge, &r.CodeChallengeMethod, &prompt,
		&maxAge, &r.LoginHint, &locales, &acrValues, &r.HintSubject, &r.Claims, &r.BrowserHash,
		&r.UserID, &r.SessionID, &amr, &r.ACR, &authTime, &r.Done, &created, &expires)
	if err != nil {
		return nil, err
	}

	var lists listDecoder
	r.Scopes = lists.decode("scopes", scopes)
	r.Prompt = lists.decode("prompt", prompt)
	r.UILocales = lists.decode("ui_locales", locales)
	r.ACRValues = lists.decode("acr_values", acrValues)
	r.AMR = lists.decode("amr", amr)
	if lists.err != nil {
		return nil, lists.err
	}
	r.MaxAge = fromNullInt(maxAge)
	r.AuthTime = fromMicros(authTime)
	r.CreatedAt = fromMicros(created)
	r.ExpiresAt = fromMicros(expires)
	return &r, nil
}

func (db *DB) CreateAuthRequest(ctx context.Context, r *storage.AuthRequest) error {
	_, err := db.sql.ExecContext(ctx,
		`INSERT INTO auth_requests (`+authRequestColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
			$14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26)`,
		r.ID, r.ClientID, r.RedirectURI, r.State, r.Nonce, encodeList(r.Scopes),
		r.ResponseType, r.ResponseMode, r.CodeChallenge, r.CodeChallengeMethod,
		encodeList(r.Prompt), nullInt(r.MaxAge), r.LoginHint, encodeList(r.UILocales),
		encodeList(r.ACRValues), r.HintSubject, r.Claims, nullBytes(r.BrowserHash),
		r.UserID, r.SessionID, encodeList(r.AMR), r.ACR, micros(r.AuthTime), r.Done,
		micros(r.CreatedAt), micros(r.ExpiresAt))
	if err != nil {
		return db.insertError("auth request", err)
	}
	return nil
}

func (db *DB) AuthRequestByID(ctx context.Context, id string, now time.Time) (*storage.AuthRequest, error) {
	row := db.sql.QueryRowContext(ctx,
		`SELECT `+authRequestColumns+` FROM auth_requests WHERE id = $1 AND expires_at > $2`,
		id, micros(now))
	r, err := scanAuthRequest(row)
	if err != nil {
		return nil, notFound("read auth request", err)
	}
	return r, nil
}

// BindAuthRequestBrowser binds an unexpired request to hash unless it is
// bound already. The first UPDATE sets the hash only while none is set, so of
// two browsers racing, one sets it and the other reads it back.
func (db *DB) BindAuthRequestBrowser(ctx context.Context, id string, hash []byte, now time.Time) ([]byte, error) {
	if len(hash) == 0 {
		return nil, errors.New("sqldb: bind auth request browser: empty browser hash")
	}
	var bound []byte
	err := db.sql.QueryRowContext(ctx,
		`UPDATE auth_requests SET browser_hash = $2
		WHERE id = $1 AND browser_hash IS NULL AND expires_at > $3
		RETURNING browser_hash`,
		id, hash, micros(now)).Scan(&bound)
	if err == nil {
		return bound, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqldb: bind auth request browser: %w", err)
	}

	err = db.sql.QueryRowContext(ctx,
		`SELECT browser_hash FROM auth_requests WHERE id = $1 AND expires_at > $2`,
		id, micros(now)).Scan(&bound)
	if err != nil {
		return nil, notFound("read auth request browser", err)
	}
	return bound, nil
}

// SetAuthRequestUser records the user on an unexpired, unfinished request.
func (db *DB) SetAuthRequestUser(ctx context.Context, id, userID string, now time.Time) error {
	res, err := db.sql.ExecContext(ctx,
		`UPDATE auth_requests SET user_id = $2
		WHERE id = $1 AND NOT done AND expires_at > $3`,
		id, userID, micros(now))
	return affectedOne("set auth request user", res, err)
}

func (db *DB) CompleteAuthRequest(ctx context.Context, id string, res storage.AuthResult, now time.Time) error {
	result, err := db.sql.ExecContext(ctx,
		`UPDATE auth_requests
		SET user_id = $2, session_id = $3, amr = $4, acr = $5, auth_time = $6, done = TRUE
		WHERE id = $1 AND NOT done AND expires_at > $7`,
		id, res.UserID, res.SessionID, encodeList(res.AMR), res.ACR, micros(res.AuthTime),
		micros(now))
	return affectedOne("complete auth request", result, err)
}

// SaveAuthCode stores the code hash on a done request that has none. The
// request itself may have expired: the code carries its own expiry.
func (db *DB) SaveAuthCode(ctx context.Context, id string, codeHash []byte, expiresAt time.Time) error {
	if len(codeHash) == 0 {
		return errors.New("sqldb: save auth code: empty code hash")
	}
	res, err := db.sql.ExecContext(ctx,
		`UPDATE auth_requests SET code_hash = $2, code_expires_at = $3
		WHERE id = $1 AND done AND code_hash IS NULL`,
		id, codeHash, micros(expiresAt))
	if err != nil {
		if db.dialect.IsUniqueViolation(err) {
			return fmt.Errorf("sqldb: save auth code: %w", storage.ErrConflict)
		}
		return fmt.Errorf("sqldb: save auth code: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqldb: save auth code: %w", err)
	} else if n == 1 {
		return nil
	}

	// Nothing changed: tell a request that already has a code from one that
	// is missing or not done.
	var hasCode bool
	err = db.sql.QueryRowContext(ctx,
		`SELECT code_hash IS NOT NULL FROM auth_requests WHERE id = $1`, id).Scan(&hasCode)
	if err != nil {
		return notFound("save auth code", err)
	}
	if hasCode {
		return fmt.Errorf("sqldb: save auth code: %w", storage.ErrConflict)
	}
	return fmt.Errorf("sqldb: save auth code: request not done: %w", storage.ErrNotFound)
}

// ConsumeAuthCode spends the code in one guarded UPDATE. When that changes
// nothing, a row whose code was already used means the code is being
// replayed: the same transaction marks the request's code as reused and
// revokes every access and refresh token issued from the request, and
// ErrReused is returned after the commit.
//
// The code is looked up by SQL equality on its hash. That is sound because
// the code is a long random value and the key is its SHA-256: timing can at
// most reveal a prefix of a hash, which does not help to find a code.
//
// A redemption that raced the replay may store its tokens only after this
// commits. CreateToken and CreateRefreshToken close that window: they lock
// the request row and store a token revoked once code_reused_at is set, and
// the UPDATE that sets it waits for a token insert holding the lock, so the
// revocation that follows reaches that insert's tokens.
func (db *DB) ConsumeAuthCode(ctx context.Context, codeHash []byte, now time.Time) (*storage.AuthRequest, error) {
	if len(codeHash) == 0 {
		return nil, fmt.Errorf("sqldb: consume auth code: empty code hash: %w", storage.ErrNotFound)
	}
	var r *storage.AuthRequest
	err := db.inTx(ctx, func(tx *sql.Tx) (error, error) {
		var err error
		r, err = scanAuthRequest(tx.QueryRowContext(ctx,
			`UPDATE auth_requests SET code_used_at = $2
			WHERE code_hash = $1 AND code_used_at IS NULL AND code_expires_at > $2
			RETURNING `+authRequestColumns,
			codeHash, micros(now)))
		if err == nil {
			return nil, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("sqldb: consume auth code: %w", err)
		}

		var (
			id     string
			usedAt sql.NullInt64
		)
		err = tx.QueryRowContext(ctx,
			`SELECT id, code_used_at FROM auth_requests WHERE code_hash = $1`,
			codeHash).Scan(&id, &usedAt)
		if err != nil {
			return nil, notFound("consume auth code", err)
		}
		if !usedAt.Valid {
			return fmt.Errorf("sqldb: consume auth code: code expired: %w", storage.ErrNotFound), nil
		}
		_, err = tx.ExecContext(ctx,
			`UPDATE auth_requests SET code_reused_at = COALESCE(code_reused_at, $2) WHERE id = $1`,
			id, micros(now))
		if err != nil {
			return nil, fmt.Errorf("sqldb: mark auth code reused: %w", err)
		}
		err = db.revokeFamilies(ctx, tx, now,
			`SELECT family_id FROM refresh_tokens WHERE auth_request_id = $1`,
			`auth_request_id = $1`, id)
		if err != nil {
			return nil, fmt.Errorf("sqldb: revoke tokens of reused auth code: %w", err)
		}
		return fmt.Errorf("sqldb: consume auth code: %w", storage.ErrReused), nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}
