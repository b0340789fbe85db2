package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"twofold/storage"
)

// enqueueLogouts queues, in tx, a back-channel logout of the session for
// each client that signed into it and has a back-channel logout URI. A
// delivery that exists already is kept as it is.
func enqueueLogouts(ctx context.Context, tx *sql.Tx, sessionID string, now time.Time) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO logout_deliveries (session_id, client_id, user_id, uri, attempts,
			next_attempt_at, created_at, last_error)
		SELECT sc.session_id, sc.client_id, s.user_id, c.backchannel_logout_uri, 0, $2, $2, ''
		FROM session_clients sc
		JOIN sessions s ON s.id = sc.session_id
		JOIN clients c ON c.id = sc.client_id
		WHERE sc.session_id = $1 AND c.backchannel_logout_uri <> ''
		ON CONFLICT (session_id, client_id) DO NOTHING`,
		sessionID, micros(now))
	if err != nil {
		return fmt.Errorf("sqldb: enqueue back-channel logouts: %w", err)
	}
	return nil
}

// sessionIDs runs a query that selects session ids in tx.
func sessionIDs(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqldb: list sessions: %w", err)
	}
	defer rows.Close()

	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqldb: list sessions: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: list sessions: %w", err)
	}
	return ids, nil
}

func (db *DB) RecordSessionClient(ctx context.Context, sessionID, clientID string, now time.Time) error {
	_, err := db.sql.ExecContext(ctx,
		`INSERT INTO session_clients (session_id, client_id, first_at, last_at)
		VALUES ($1, $2, $3, $3)
		ON CONFLICT (session_id, client_id) DO UPDATE SET last_at = excluded.last_at`,
		sessionID, clientID, micros(now))
	if err != nil {
		return db.insertError("session client", err)
	}
	return nil
}

func (db *DB) SessionClients(ctx context.Context, sessionID string) ([]storage.SessionClient, error) {
	rows, err := db.sql.QueryContext(ctx,
		`SELECT session_id, client_id, first_at, last_at FROM session_clients
		WHERE session_id = $1 ORDER BY first_at, client_id`,
		sessionID)
	if err != nil {
		return nil, fmt.Errorf("sqldb: list session clients: %w", err)
	}
	defer rows.Close()

	var out []storage.SessionClient
	for rows.Next() {
		var (
			sc          storage.SessionClient
			first, last int64
		)
		if err := rows.Scan(&sc.SessionID, &sc.ClientID, &first, &last); err != nil {
			return nil, fmt.Errorf("sqldb: list session clients: %w", err)
		}
		sc.FirstAt, sc.LastAt = fromMicros(first), fromMicros(last)
		out = append(out, sc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: list session clients: %w", err)
	}
	return out, nil
}

func (db *DB) UserSessions(ctx context.Context, userID string, now time.Time) ([]storage.Session, error) {
	rows, err := db.sql.QueryContext(ctx,
		`SELECT `+sessionColumns+` FROM sessions
		WHERE user_id = $1 AND ended_at IS NULL AND expires_at > $2
		ORDER BY last_seen_at DESC, id`,
		userID, micros(now))
	if err != nil {
		return nil, fmt.Errorf("sqldb: list user sessions: %w", err)
	}
	defer rows.Close()

	var out []storage.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("sqldb: list user sessions: %w", err)
		}
		out = append(out, *s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: list user sessions: %w", err)
	}
	return out, nil
}

const logoutDeliveryColumns = `session_id, client_id, user_id, uri, attempts,
	next_attempt_at, created_at, delivered_at, failed_at, last_error`

func scanLogoutDelivery(row scanner) (storage.LogoutDelivery, error) {
	var (
		d                storage.LogoutDelivery
		next, created    int64
		delivered, fails sql.NullInt64
	)
	err := row.Scan(&d.SessionID, &d.ClientID, &d.UserID, &d.URI, &d.Attempts,
		&next, &created, &delivered, &fails, &d.LastError)
	if err != nil {
		return d, err
	}
	d.NextAttemptAt, d.CreatedAt = fromMicros(next), fromMicros(created)
	d.DeliveredAt, d.FailedAt = fromNullMicros(delivered), fromNullMicros(fails)
	return d, nil
}

func collectLogoutDeliveries(what string, rows *sql.Rows, err error) ([]storage.LogoutDelivery, error) {
	if err != nil {
		return nil, fmt.Errorf("sqldb: %s: %w", what, err)
	}
	defer rows.Close()
	var out []storage.LogoutDelivery
	for rows.Next() {
		d, err := scanLogoutDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("sqldb: %s: %w", what, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: %s: %w", what, err)
	}
	return out, nil
}

// ClaimLogoutDeliveries claims due deliveries in one UPDATE. The due
// condition is in the outer WHERE clause as well as in the subquery, so
// on PostgreSQL a sender blocked behind another's claim re-checks it against
// the committed row and skips what the other sender took.
func (db *DB) ClaimLogoutDeliveries(ctx context.Context, now, leaseUntil time.Time, limit int) ([]storage.LogoutDelivery, error) {
	const due = `delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1`
	rows, err := db.sql.QueryContext(ctx,
		`UPDATE logout_deliveries SET attempts = attempts + 1, next_attempt_at = $2
		WHERE `+due+` AND (session_id, client_id) IN (
			SELECT session_id, client_id FROM logout_deliveries WHERE `+due+`
			ORDER BY next_attempt_at LIMIT $3)
		RETURNING `+logoutDeliveryColumns,
		micros(now), micros(leaseUntil), limit)
	return collectLogoutDeliveries("claim logout deliveries", rows, err)
}

func (db *DB) MarkLogoutDelivered(ctx context.Context, sessionID, clientID string, now time.Time) error {
	res, err := db.sql.ExecContext(ctx,
		`UPDATE logout_deliveries SET delivered_at = $3, last_error = ''
		WHERE session_id = $1 AND client_id = $2`,
		sessionID, clientID, micros(now))
	return affectedOne("mark logout delivered", res, err)
}

func (db *DB) RetryLogoutDelivery(ctx context.Context, sessionID, clientID, reason string, next, now time.Time) error {
	if next.IsZero() {
		res, err := db.sql.ExecContext(ctx,
			`UPDATE logout_deliveries SET failed_at = $3, last_error = $4
			WHERE session_id = $1 AND client_id = $2 AND delivered_at IS NULL`,
			sessionID, clientID, micros(now), reason)
		return affectedOne("give up logout delivery", res, err)
	}
	res, err := db.sql.ExecContext(ctx,
		`UPDATE logout_deliveries SET next_attempt_at = $3, last_error = $4
		WHERE session_id = $1 AND client_id = $2 AND delivered_at IS NULL`,
		sessionID, clientID, micros(next), reason)
	return affectedOne("reschedule logout delivery", res, err)
}

func (db *DB) LogoutDeliveries(ctx context.Context, sessionID string) ([]storage.LogoutDelivery, error) {
	rows, err := db.sql.QueryContext(ctx,
		`SELECT `+logoutDeliveryColumns+` FROM logout_deliveries
		WHERE session_id = $1 ORDER BY client_id`,
		sessionID)
	return collectLogoutDeliveries("list logout deliveries", rows, err)
}
