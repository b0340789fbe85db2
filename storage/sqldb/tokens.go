package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"twofold/storage"
)

// execer is a *sql.DB or a *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

const tokenColumns = `id, client_id, user_id, scopes, audience, refresh_token_id,
	auth_request_id, claims, expires_at, created_at`

const refreshTokenColumns = `id, token_hash, family_id, client_id, user_id,
	session_id, auth_request_id, scopes, audience, amr, acr, auth_time, claims,
	created_at, expires_at`

// CreateToken stores t. A token issued from an authorization request whose
// code has been replayed is stored revoked; see guardAuthRequest.
func (db *DB) CreateToken(ctx context.Context, t *storage.Token) error {
	if t.AuthRequestID == "" {
		return db.insertToken(ctx, db.sql, t)
	}
	return db.inTx(ctx, func(tx *sql.Tx) (error, error) {
		reusedAt, err := db.guardAuthRequest(ctx, tx, t.AuthRequestID)
		if err != nil {
			return nil, fmt.Errorf("sqldb: create access token: %w", err)
		}
		if err := db.insertToken(ctx, tx, t); err != nil {
			return nil, err
		}
		if reusedAt.Valid {
			_, err = tx.ExecContext(ctx, `UPDATE tokens SET revoked_at = $2 WHERE id = $1`, t.ID, reusedAt.Int64)
		}
		return nil, err
	})
}

// guardAuthRequest locks the auth request row until tx ends and returns
// when its code was replayed, if it was. ConsumeAuthCode marks a replay
// with an UPDATE of the same row, so either it waits for a transaction that
// holds the lock and then revokes what that transaction stored, or it went
// first and the caller stores its token revoked. Either way the first
// redemption's tokens do not outlive the replay (RFC 6749, section 4.1.2).
// A request that is gone (purged after expiry) guards nothing.
func (db *DB) guardAuthRequest(ctx context.Context, tx *sql.Tx, id string) (sql.NullInt64, error) {
	var reused sql.NullInt64
	err := tx.QueryRowContext(ctx,
		`SELECT code_reused_at FROM auth_requests WHERE id = $1`+db.dialect.ForUpdate, id).Scan(&reused)
	if errors.Is(err, sql.ErrNoRows) {
		return sql.NullInt64{}, nil
	}
	if err != nil {
		return sql.NullInt64{}, fmt.Errorf("lock auth request: %w", err)
	}
	return reused, nil
}

func (db *DB) insertToken(ctx context.Context, e execer, t *storage.Token) error {
	_, err := e.ExecContext(ctx,
		`INSERT INTO tokens (`+tokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		t.ID, t.ClientID, t.UserID, encodeList(t.Scopes), encodeList(t.Audience),
		t.RefreshTokenID, t.AuthRequestID, t.Claims, micros(t.ExpiresAt), micros(t.CreatedAt))
	if err != nil {
		return db.insertError("access token", err)
	}
	return nil
}

func (db *DB) TokenByID(ctx context.Context, id string, now time.Time) (*storage.Token, error) {
	var (
		t                storage.Token
		scopes, audience string
		expires, created int64
	)
	err := db.sql.QueryRowContext(ctx,
		`SELECT `+tokenColumns+` FROM tokens
		WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2`,
		id, micros(now)).
		Scan(&t.ID, &t.ClientID, &t.UserID, &scopes, &audience, &t.RefreshTokenID,
			&t.AuthRequestID, &t.Claims, &expires, &created)
	if err != nil {
		return nil, notFound("read access token", err)
	}

	var lists listDecoder
	t.Scopes = lists.decode("scopes", scopes)
	t.Audience = lists.decode("audience", audience)
	if lists.err != nil {
		return nil, lists.err
	}
	t.ExpiresAt = fromMicros(expires)
	t.CreatedAt = fromMicros(created)
	return &t, nil
}

// RevokeToken revokes one access token. Revoking a revoked token succeeds; a
// missing one is ErrNotFound.
func (db *DB) RevokeToken(ctx context.Context, id string, now time.Time) error {
	var found bool
	err := db.sql.QueryRowContext(ctx,
		`UPDATE tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING TRUE`,
		id, micros(now)).Scan(&found)
	if err != nil {
		return notFound("revoke access token", err)
	}
	return nil
}

// CreateRefreshToken stores rt. An empty FamilyID starts a new family named
// after the token, and rt.FamilyID is set to it. Like CreateToken, it
// stores a token of a request whose code was replayed revoked.
func (db *DB) CreateRefreshToken(ctx context.Context, rt *storage.RefreshToken) error {
	if rt.FamilyID == "" {
		rt.FamilyID = rt.ID
	}
	if rt.AuthRequestID == "" {
		return db.insertRefreshToken(ctx, db.sql, rt)
	}
	return db.inTx(ctx, func(tx *sql.Tx) (error, error) {
		reusedAt, err := db.guardAuthRequest(ctx, tx, rt.AuthRequestID)
		if err != nil {
			return nil, fmt.Errorf("sqldb: create refresh token: %w", err)
		}
		if err := db.insertRefreshToken(ctx, tx, rt); err != nil {
			return nil, err
		}
		if reusedAt.Valid {
			_, err = tx.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = $2 WHERE id = $1`, rt.ID, reusedAt.Int64)
		}
		return nil, err
	})
}

func (db *DB) insertRefreshToken(ctx context.Context, e execer, rt *storage.RefreshToken) error {
	if len(rt.TokenHash) == 0 {
		return errors.New("sqldb: create refresh token: empty token hash")
	}
	_, err := e.ExecContext(ctx,
		`INSERT INTO refresh_tokens (`+refreshTokenColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		rt.ID, rt.TokenHash, rt.FamilyID, rt.ClientID, rt.UserID, rt.SessionID,
		rt.AuthRequestID, encodeList(rt.Scopes), encodeList(rt.Audience), encodeList(rt.AMR),
		rt.ACR, micros(rt.AuthTime), rt.Claims, micros(rt.CreatedAt), micros(rt.ExpiresAt))
	if err != nil {
		return db.insertError("refresh token", err)
	}
	return nil
}

// RefreshTokenByHash looks the token up by SQL equality on its SHA-256. That
// is sound because a refresh token is a long random value: timing can at
// most reveal a prefix of its hash, which does not help to find a token.
func (db *DB) RefreshTokenByHash(ctx context.Context, hash []byte, now time.Time) (*storage.RefreshToken, error) {
	var (
		rt                         storage.RefreshToken
		scopes, audience, amr      string
		authTime, created, expires int64
	)
	err := db.sql.QueryRowContext(ctx,
		`SELECT `+refreshTokenColumns+` FROM refresh_tokens
		WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2`,
		hash, micros(now)).
		Scan(&rt.ID, &rt.TokenHash, &rt.FamilyID, &rt.ClientID, &rt.UserID, &rt.SessionID,
			&rt.AuthRequestID, &scopes, &audience, &amr, &rt.ACR, &authTime, &rt.Claims, &created, &expires)
	if err != nil {
		return nil, notFound("read refresh token", err)
	}

	var lists listDecoder
	rt.Scopes = lists.decode("scopes", scopes)
	rt.Audience = lists.decode("audience", audience)
	rt.AMR = lists.decode("amr", amr)
	if lists.err != nil {
		return nil, lists.err
	}
	rt.AuthTime = fromMicros(authTime)
	rt.CreatedAt = fromMicros(created)
	rt.ExpiresAt = fromMicros(expires)
	return &rt, nil
}

// RotateRefreshToken spends the old token in one guarded UPDATE, then stores
// next and access in the same transaction. next.FamilyID is set to the old
// token's family, and an empty access.RefreshTokenID to next.ID, so that
// revoking the family reaches the new access token too. access may be nil.
// next must belong to the old token's client.
//
// When the UPDATE changes nothing and the old token exists but was used, the
// token is being replayed: the transaction revokes the whole family and its
// access tokens, and ErrReused is returned after the commit. A token that is
// unknown, expired or revoked without having been used is ErrNotFound.
func (db *DB) RotateRefreshToken(ctx context.Context, oldHash []byte, next *storage.RefreshToken, access *storage.Token, now time.Time) error {
	if len(oldHash) == 0 {
		return fmt.Errorf("sqldb: rotate refresh token: empty token hash: %w", storage.ErrNotFound)
	}
	return db.inTx(ctx, func(tx *sql.Tx) (error, error) {
		var oldID, family, client string
		err := tx.QueryRowContext(ctx,
			`UPDATE refresh_tokens SET used_at = $2
			WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2
			RETURNING id, family_id, client_id`,
			oldHash, micros(now)).Scan(&oldID, &family, &client)
		if err == nil {
			return nil, db.storeSuccessor(ctx, tx, family, client, next, access)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("sqldb: rotate refresh token: %w", err)
		}

		var usedAt sql.NullInt64
		err = tx.QueryRowContext(ctx,
			`SELECT id, used_at FROM refresh_tokens WHERE token_hash = $1`,
			oldHash).Scan(&oldID, &usedAt)
		if err != nil {
			return nil, notFound("rotate refresh token", err)
		}
		if !usedAt.Valid {
			return fmt.Errorf("sqldb: rotate refresh token: expired or revoked: %w", storage.ErrNotFound), nil
		}
		err = db.revokeFamilies(ctx, tx, now,
			`SELECT family_id FROM refresh_tokens WHERE id = $1`, "", oldID)
		if err != nil {
			return nil, fmt.Errorf("sqldb: revoke family of reused refresh token: %w", err)
		}
		return fmt.Errorf("sqldb: rotate refresh token: %w", storage.ErrReused), nil
	})
}

// storeSuccessor stores the tokens that replace a spent refresh token of
// family and client.
func (db *DB) storeSuccessor(ctx context.Context, tx *sql.Tx, family, client string, next *storage.RefreshToken, access *storage.Token) error {
	if next.ClientID != client {
		return fmt.Errorf("sqldb: rotate refresh token: successor of client %q for a token of client %q", next.ClientID, client)
	}
	next.FamilyID = family
	if err := db.insertRefreshToken(ctx, tx, next); err != nil {
		return err
	}
	if access == nil {
		return nil
	}
	if access.RefreshTokenID == "" {
		access.RefreshTokenID = next.ID
	}
	return db.insertToken(ctx, tx, access)
}

// RevokeReusedRefreshToken revokes the family of a token that was used
// before, as RotateRefreshToken does for a replay that races the first use.
func (db *DB) RevokeReusedRefreshToken(ctx context.Context, hash []byte, now time.Time) error {
	if len(hash) == 0 {
		return fmt.Errorf("sqldb: revoke reused refresh token: empty token hash: %w", storage.ErrNotFound)
	}
	return db.inTx(ctx, func(tx *sql.Tx) (error, error) {
		var id string
		err := tx.QueryRowContext(ctx,
			`SELECT id FROM refresh_tokens WHERE token_hash = $1 AND used_at IS NOT NULL`,
			hash).Scan(&id)
		if err != nil {
			return nil, notFound("revoke reused refresh token", err)
		}
		err = db.revokeFamilies(ctx, tx, now,
			`SELECT family_id FROM refresh_tokens WHERE id = $1`, "", id)
		if err != nil {
			return nil, fmt.Errorf("sqldb: revoke family of reused refresh token: %w", err)
		}
		return fmt.Errorf("sqldb: refresh token reused: %w", storage.ErrReused), nil
	})
}

// RevokeRefreshToken revokes the token's family and its access tokens.
// Revoking a revoked token succeeds; a missing one is ErrNotFound.
func (db *DB) RevokeRefreshToken(ctx context.Context, id string, now time.Time) error {
	return db.inTx(ctx, func(tx *sql.Tx) (error, error) {
		var found bool
		err := tx.QueryRowContext(ctx,
			`SELECT TRUE FROM refresh_tokens WHERE id = $1`, id).Scan(&found)
		if err != nil {
			return nil, notFound("revoke refresh token", err)
		}
		err = db.revokeFamilies(ctx, tx, now,
			`SELECT family_id FROM refresh_tokens WHERE id = $1`, "", id)
		if err != nil {
			return nil, fmt.Errorf("sqldb: revoke refresh token: %w", err)
		}
		return nil, nil
	})
}

// revokeFamilies revokes, in tx, every refresh token of the families that
// familyQuery selects, the access tokens issued with them, and the access
// tokens that the condition alsoTokens matches (unless it is empty). Both
// SQL fragments use the placeholders $1 to $len(args); now is bound after.
//
// On an engine with row locks it first locks the families' rows. A rotation
// in flight holds the lock on the token it spends, so this waits for it to
// commit, and the UPDATEs that follow, each with a fresh snapshot, also
// reach the successor the rotation stored.
func (db *DB) revokeFamilies(ctx context.Context, tx *sql.Tx, now time.Time, familyQuery, alsoTokens string, args ...any) error {
	if db.dialect.ForUpdate != "" {
		rows, err := tx.QueryContext(ctx,
			`SELECT id FROM refresh_tokens WHERE family_id IN (`+familyQuery+`)`+db.dialect.ForUpdate,
			args...)
		if err != nil {
			return fmt.Errorf("lock refresh tokens: %w", err)
		}
		for rows.Next() {
			// Only the locks matter, so the ids are not scanned.
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("lock refresh tokens: %w", err)
		}
	}

	nowArg := fmt.Sprintf("$%d", len(args)+1)
	bound := append(append([]any(nil), args...), micros(now))
	tokenWhere := `refresh_token_id IN (
		SELECT id FROM refresh_tokens WHERE family_id IN (` + familyQuery + `))`
	if alsoTokens != "" {
		tokenWhere = `(` + tokenWhere + ` OR ` + alsoTokens + `)`
	}
	_, err := tx.ExecContext(ctx,
		`UPDATE tokens SET revoked_at = `+nowArg+` WHERE revoked_at IS NULL AND `+tokenWhere,
		bound...)
	if err != nil {
		return fmt.Errorf("revoke access tokens: %w", err)
	}
	_, err = tx.ExecContext(ctx,
		`UPDATE refresh_tokens SET revoked_at = `+nowArg+`
		WHERE revoked_at IS NULL AND family_id IN (`+familyQuery+`)`,
		bound...)
	if err != nil {
		return fmt.Errorf("revoke refresh tokens: %w", err)
	}
	return nil
}
