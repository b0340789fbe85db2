package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"twofold/storage"
)

const sessionColumns = `id, user_id, office_id, amr, auth_time, created_at,
	last_seen_at, expires_at, ended_at`

func scanSession(row scanner) (*storage.Session, error) {
	var (
		s                                    storage.Session
		amr                                  string
		authTime, created, lastSeen, expires int64
		ended                                sql.NullInt64
	)
	err := row.Scan(&s.ID, &s.UserID, &s.OfficeID, &amr, &authTime, &created,
		&lastSeen, &expires, &ended)
	if err != nil {
		return nil, err
	}
	var lists listDecoder
	s.AMR = lists.decode("amr", amr)
	if lists.err != nil {
		return nil, lists.err
	}
	s.AuthTime = fromMicros(authTime)
	s.CreatedAt = fromMicros(created)
	s.LastSeenAt = fromMicros(lastSeen)
	s.ExpiresAt = fromMicros(expires)
	s.EndedAt = fromNullMicros(ended)
	return &s, nil
}

func (db *DB) CreateSession(ctx context.Context, s *storage.Session) error {
	_, err := db.sql.ExecContext(ctx,
		`INSERT INTO sessions (`+sessionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		s.ID, s.UserID, s.OfficeID, encodeList(s.AMR), micros(s.AuthTime), micros(s.CreatedAt),
		micros(s.LastSeenAt), micros(s.ExpiresAt), nullMicros(s.EndedAt))
	if err != nil {
		return db.insertError("session", err)
	}
	return nil
}

func (db *DB) SessionByID(ctx context.Context, id string, now time.Time) (*storage.Session, error) {
	row := db.sql.QueryRowContext(ctx,
		`SELECT `+sessionColumns+` FROM sessions
		WHERE id = $1 AND ended_at IS NULL AND expires_at > $2`,
		id, micros(now))
	s, err := scanSession(row)
	if err != nil {
		return nil, notFound("read session", err)
	}
	return s, nil
}

// UpdateSessionAuth replaces the factors of a live session and counts as
// activity. An ended or expired session is ErrNotFound.
func (db *DB) UpdateSessionAuth(ctx context.Context, id string, amr []string, authTime, now time.Time) error {
	res, err := db.sql.ExecContext(ctx,
		`UPDATE sessions SET amr = $2, auth_time = $3, last_seen_at = $4
		WHERE id = $1 AND ended_at IS NULL AND expires_at > $4`,
		id, encodeList(amr), micros(authTime), micros(now))
	return affectedOne("update session auth", res, err)
}

// TouchSession records activity on a live session. An ended or expired
// session is ErrNotFound.
func (db *DB) TouchSession(ctx context.Context, id string, now time.Time) error {
	res, err := db.sql.ExecContext(ctx,
		`UPDATE sessions SET last_seen_at = $2
		WHERE id = $1 AND ended_at IS NULL AND expires_at > $2`,
		id, micros(now))
	return affectedOne("touch session", res, err)
}

// EndSession ends the session and revokes the refresh token families used in
// it and their access tokens, and the access tokens issued from the
// session's auth requests. Ending an ended session succeeds and revokes
// again; a missing session is ErrNotFound.
func (db *DB) EndSession(ctx context.Context, id string, now time.Time) error {
	return db.inTx(ctx, func(tx *sql.Tx) (error, error) {
		var found bool
		err := tx.QueryRowContext(ctx,
			`SELECT TRUE FROM sessions WHERE id = $1`+db.dialect.ForUpdate, id).Scan(&found)
		if err != nil {
			return nil, notFound("end session", err)
		}
		return nil, db.endSessions(ctx, tx, []string{id}, now)
	})
}

// EndUserSessions ends sessions of the user and revokes their tokens as
// EndSession does. With clientID empty it ends every session of the user
// and also revokes every token of the user. With clientID set it ends the
// sessions in which that client obtained a refresh token or an auth request,
// revoking every token of those sessions, and revokes the user's other
// tokens of that client. A user without sessions is not an error.
func (db *DB) EndUserSessions(ctx context.Context, userID, clientID string, now time.Time) error {
	return db.inTx(ctx, func(tx *sql.Tx) (error, error) {
		ids, err := userSessionIDs(ctx, tx, userID, clientID)
		if err != nil {
			return nil, err
		}
		if err := db.endSessions(ctx, tx, ids, now); err != nil {
			return nil, err
		}
		return nil, db.revokeUserTokens(ctx, tx, userID, clientID, now)
	})
}

// userSessionIDs lists the unended sessions that EndUserSessions ends.
func userSessionIDs(ctx context.Context, tx *sql.Tx, userID, clientID string) ([]string, error) {
	query := `SELECT id FROM sessions WHERE user_id = $1 AND ended_at IS NULL`
	args := []any{userID}
	if clientID != "" {
		query = `SELECT id FROM sessions WHERE user_id = $1 AND ended_at IS NULL AND (
			id IN (SELECT session_id FROM refresh_tokens WHERE client_id = $2)
			OR id IN (SELECT session_id FROM auth_requests WHERE client_id = $2)
			OR id IN (SELECT session_id FROM session_clients WHERE client_id = $2))`
		args = append(args, clientID)
	}
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqldb: list user sessions: %w", err)
	}
	defer rows.Close()

	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqldb: list user sessions: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: list user sessions: %w", err)
	}
	return ids, nil
}

// endSessions ends each session, revokes its tokens, and enqueues a
// back-channel logout for every client that signed into it and has a
// back-channel logout URI. A session that had ended already is revoked
// again but not enqueued again.
func (db *DB) endSessions(ctx context.Context, tx *sql.Tx, ids []string, now time.Time) error {
	for _, id := range ids {
		res, err := tx.ExecContext(ctx,
			`UPDATE sessions SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL`,
			id, micros(now))
		if err != nil {
			return fmt.Errorf("sqldb: end session: %w", err)
		}
		ended, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("sqldb: end session: %w", err)
		}
		err = db.revokeFamilies(ctx, tx, now,
			`SELECT family_id FROM refresh_tokens WHERE session_id = $1`,
			`auth_request_id IN (SELECT id FROM auth_requests WHERE session_id = $1)`,
			id)
		if err != nil {
			return fmt.Errorf("sqldb: revoke tokens of session: %w", err)
		}
		if ended == 1 {
			if err := enqueueLogouts(ctx, tx, id, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// revokeUserTokens revokes the user's access and refresh tokens, only those
// of one client unless clientID is empty.
func (db *DB) revokeUserTokens(ctx context.Context, tx *sql.Tx, userID, clientID string, now time.Time) error {
	where := `user_id = $1`
	args := []any{userID}
	if clientID != "" {
		where += ` AND client_id = $2`
		args = append(args, clientID)
	}
	err := db.revokeFamilies(ctx, tx, now,
		`SELECT family_id FROM refresh_tokens WHERE `+where, where, args...)
	if err != nil {
		return fmt.Errorf("sqldb: revoke tokens of user: %w", err)
	}
	return nil
}
