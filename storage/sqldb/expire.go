package sqldb

import (
	"context"
	"fmt"
	"time"
)

// expiredAuthRequest matches an auth request whose sign-in window and code,
// if it has one, have both expired at $1. A used code is kept until its own
// expiry so that a replay of it is recognised as ErrReused until then.
const expiredAuthRequest = `expires_at <= $1 AND (code_expires_at IS NULL OR code_expires_at <= $1)`

// expiredRows lists what DeleteExpired removes, in order: challenges go
// before the auth requests they belong to, so that every deleted row is
// counted rather than removed by ON DELETE CASCADE.
var expiredRows = []struct{ what, query string }{
	{"challenges", `DELETE FROM challenges
		WHERE auth_request_id IN (SELECT id FROM auth_requests WHERE ` + expiredAuthRequest + `)`},
	{"auth requests", `DELETE FROM auth_requests WHERE ` + expiredAuthRequest},
	{"session clients", `DELETE FROM session_clients
		WHERE session_id IN (SELECT id FROM sessions WHERE expires_at <= $1)`},
	{"logout deliveries", `DELETE FROM logout_deliveries
		WHERE session_id IN (SELECT id FROM sessions WHERE expires_at <= $1)`},
	{"sessions", `DELETE FROM sessions WHERE expires_at <= $1`},
	{"access tokens", `DELETE FROM tokens WHERE expires_at <= $1`},
	{"refresh tokens", `DELETE FROM refresh_tokens WHERE expires_at <= $1`},
	// A throttle row matters for one window and one lock after its last
	// failure, both far shorter than a day.
	{"login throttle", `DELETE FROM login_throttle WHERE updated_at <= $1 - 86400000000 AND locked_until <= $1`},
}

// DeleteExpired removes the rows that are expired at before, that is whose
// expiry is at or before it, the same boundary at which reads stop finding
// them. An SMS challenge goes with its auth request, not when its code
// expires, because an expired code can still be resent. Each table is
// cleaned by its own statement, so a failure leaves earlier tables cleaned.
func (db *DB) DeleteExpired(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for _, r := range expiredRows {
		res, err := db.sql.ExecContext(ctx, r.query, micros(before))
		if err != nil {
			return total, fmt.Errorf("sqldb: delete expired %s: %w", r.what, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("sqldb: delete expired %s: %w", r.what, err)
		}
		total += n
	}
	return total, nil
}
