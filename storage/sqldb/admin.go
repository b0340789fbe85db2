package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"twofold/storage"
)

func (db *DB) ListUsers(ctx context.Context, officeID string) ([]storage.User, error) {
	rows, err := db.sql.QueryContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE office_id = $1 ORDER BY username_key, id`, officeID)
	if err != nil {
		return nil, fmt.Errorf("sqldb: list users: %w", err)
	}
	defer rows.Close()

	var users []storage.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("sqldb: list users: %w", err)
		}
		users = append(users, *u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: list users: %w", err)
	}
	return users, nil
}

func (db *DB) CountUsers(ctx context.Context, officeID string) (storage.UserCounts, error) {
	var c storage.UserCounts
	err := db.sql.QueryRowContext(ctx,
		`SELECT COUNT(*),
			COALESCE(SUM(CASE WHEN mobile = '' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN mobile <> '' AND NOT mobile_confirmed THEN 1 ELSE 0 END), 0)
		FROM users WHERE office_id = $1`, officeID).Scan(&c.Total, &c.NoMobile, &c.Unconfirmed)
	if err != nil {
		return c, fmt.Errorf("sqldb: count users: %w", err)
	}
	return c, nil
}

// CreateOfficeUser stores u as CreateUser does, and its events, in one
// transaction.
func (db *DB) CreateOfficeUser(ctx context.Context, u *storage.User, events ...storage.AuditEvent) error {
	if !u.Role.Valid() {
		return fmt.Errorf("sqldb: create user: invalid role %q", u.Role)
	}
	return db.inTx(ctx, func(tx *sql.Tx) (error, error) {
		_, err := tx.ExecContext(ctx,
			`INSERT INTO users (`+userColumns+`, username_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			u.ID, u.OfficeID, u.Username, u.Name, u.Email, string(u.Role), u.PasswordHash,
			u.Mobile, u.MobileConfirmed, micros(u.CreatedAt), micros(u.UpdatedAt),
			usernameKey(u.Username))
		if err != nil {
			return nil, db.insertError("user", err)
		}
		for _, ev := range events {
			if err := insertAudit(ctx, tx, ev); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
}

// SwitchOfficeTwoFactor changes the policy with an UPDATE that applies only
// while the policy differs from on. In the same transaction it adds or
// removes the policy notices and, when switching on, ends the office's
// sessions without an SMS code as SetOfficeTwoFactor does.
//
// NOTE: the session query repeats SetOfficeTwoFactor's; a change to which
// sessions a switch ends belongs in both.
func (db *DB) SwitchOfficeTwoFactor(ctx context.Context, officeID string, on bool, ev storage.AuditEvent) (*storage.Office, error) {
	var office *storage.Office
	err := db.inTx(ctx, func(tx *sql.Tx) (error, error) {
		o, err := scanOffice(tx.QueryRowContext(ctx,
			`UPDATE offices SET two_factor = $2, updated_at = $3 WHERE id = $1 AND two_factor <> $2
			RETURNING `+officeColumns,
			officeID, on, micros(ev.At)))
		if err != nil {
			return nil, staleOrMissing(ctx, tx, "offices", officeID, "switch two-factor policy", err)
		}
		if on {
			ids, err := sessionIDs(ctx, tx,
				`SELECT id FROM sessions WHERE office_id = $1 AND ended_at IS NULL
				AND expires_at > $2 AND amr NOT LIKE '%"sms"%'`,
				officeID, micros(ev.At))
			if err != nil {
				return nil, err
			}
			if err := db.endSessions(ctx, tx, ids, ev.At); err != nil {
				return nil, err
			}
			_, err = tx.ExecContext(ctx,
				`INSERT INTO policy_notices (user_id, office_id, created_at)
				SELECT id, office_id, $2 FROM users WHERE office_id = $1
				ON CONFLICT (user_id) DO NOTHING`,
				officeID, micros(ev.At))
		} else {
			_, err = tx.ExecContext(ctx, `DELETE FROM policy_notices WHERE office_id = $1`, officeID)
		}
		if err != nil {
			return nil, fmt.Errorf("sqldb: switch two-factor policy: notices: %w", err)
		}
		if err := insertAudit(ctx, tx, ev); err != nil {
			return nil, err
		}
		office = o
		return nil, nil
	})
	if err != nil {
		return nil, err
	}
	return office, nil
}

func (db *DB) UpdateUserProfile(ctx context.Context, userID, fromName, fromEmail, name, email string, ev storage.AuditEvent) error {
	return db.inTx(ctx, func(tx *sql.Tx) (error, error) {
		res, err := tx.ExecContext(ctx,
			`UPDATE users SET name = $4, email = $5, updated_at = $6
			WHERE id = $1 AND name = $2 AND email = $3`,
			userID, fromName, fromEmail, name, email, micros(ev.At))
		if err := changedOne(ctx, tx, "update user profile", userID, res, err); err != nil {
			return nil, err
		}
		return nil, insertAudit(ctx, tx, ev)
	})
}

// SetUserRole locks the user's office row before it reads the user, so role
// changes within one office run one after the other, and then counts the
// other super users. Every writer that locks both an office and one of its
// users locks the office first, which keeps them from deadlocking.
func (db *DB) SetUserRole(ctx context.Context, userID string, from, to storage.Role, ev storage.AuditEvent) error {
	if !to.Valid() {
		return fmt.Errorf("sqldb: set user role: invalid role %q", to)
	}
	return db.inTx(ctx, func(tx *sql.Tx) (error, error) {
		var officeID string
		err := tx.QueryRowContext(ctx, `SELECT office_id FROM users WHERE id = $1`, userID).Scan(&officeID)
		if err != nil {
			return nil, notFound("set user role", err)
		}
		var locked string
		err = tx.QueryRowContext(ctx,
			`SELECT id FROM offices WHERE id = $1`+db.dialect.ForUpdate, officeID).Scan(&locked)
		if err != nil {
			return nil, notFound("set user role: lock office", err)
		}
		var current string
		err = tx.QueryRowContext(ctx,
			`SELECT role FROM users WHERE id = $1`+db.dialect.ForUpdate, userID).Scan(&current)
		if err != nil {
			return nil, notFound("set user role", err)
		}
		if storage.Role(current) != from {
			return nil, fmt.Errorf("sqldb: set user role: role is %s, not %s: %w", current, from, storage.ErrStale)
		}
		if from == storage.RoleSuperuser && to != storage.RoleSuperuser {
			var others int
			err = tx.QueryRowContext(ctx,
				`SELECT COUNT(*) FROM users WHERE office_id = $1 AND role = $2 AND id <> $3`,
				officeID, string(storage.RoleSuperuser), userID).Scan(&others)
			if err != nil {
				return nil, fmt.Errorf("sqldb: set user role: count super users: %w", err)
			}
			if others == 0 {
				return nil, fmt.Errorf("sqldb: set user role: %w", storage.ErrLastSuperuser)
			}
		}
		_, err = tx.ExecContext(ctx,
			`UPDATE users SET role = $2, updated_at = $3 WHERE id = $1`, userID, string(to), micros(ev.At))
		if err != nil {
			return nil, fmt.Errorf("sqldb: set user role: %w", err)
		}
		return nil, insertAudit(ctx, tx, ev)
	})
}

// SetUserPassword stores the hash and its event in one transaction, then
// ends the user's sessions through EndUserSessions, so a session end does
// everything EndUserSessions does. When that second step fails the new
// password is stored and the error is returned.
func (db *DB) SetUserPassword(ctx context.Context, userID, hash string, ev storage.AuditEvent) error {
	err := db.inTx(ctx, func(tx *sql.Tx) (error, error) {
		res, err := tx.ExecContext(ctx,
			`UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1`,
			userID, hash, micros(ev.At))
		if err := affectedOne("set user password", res, err); err != nil {
			return nil, err
		}
		return nil, insertAudit(ctx, tx, ev)
	})
	if err != nil {
		return err
	}
	if err := db.EndUserSessions(ctx, userID, "", ev.At); err != nil {
		return fmt.Errorf("sqldb: set user password: end sessions: %w", err)
	}
	return nil
}

func (db *DB) SetUnconfirmedMobile(ctx context.Context, userID, from, to string, ev storage.AuditEvent) error {
	return db.setMobile(ctx, "set unconfirmed mobile", userID, from, to, false, ev)
}

func (db *DB) ConfirmMobile(ctx context.Context, userID, from, mobile string, ev storage.AuditEvent) error {
	return db.setMobile(ctx, "confirm mobile", userID, from, mobile, true, ev)
}

func (db *DB) setMobile(ctx context.Context, what, userID, from, to string, confirmed bool, ev storage.AuditEvent) error {
	return db.inTx(ctx, func(tx *sql.Tx) (error, error) {
		if err := updateMobile(ctx, tx, what, userID, from, to, confirmed, ev); err != nil {
			return nil, err
		}
		return nil, insertAudit(ctx, tx, ev)
	})
}

// updateMobile replaces the user's number while it is still from. An empty
// number is never confirmed.
func updateMobile(ctx context.Context, tx *sql.Tx, what, userID, from, to string, confirmed bool, ev storage.AuditEvent) error {
	res, err := tx.ExecContext(ctx,
		`UPDATE users SET mobile = $3, mobile_confirmed = $4, updated_at = $5
		WHERE id = $1 AND mobile = $2`,
		userID, from, to, confirmed && to != "", micros(ev.At))
	return changedOne(ctx, tx, what, userID, res, err)
}

// changedOne returns nil when res reports a changed row, and otherwise
// ErrStale when the user exists or ErrNotFound when not.
func changedOne(ctx context.Context, tx *sql.Tx, what, userID string, res sql.Result, err error) error {
	if err != nil {
		return fmt.Errorf("sqldb: %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqldb: %s: %w", what, err)
	}
	if n == 1 {
		return nil
	}
	return staleOrMissing(ctx, tx, "users", userID, what, sql.ErrNoRows)
}

// staleOrMissing maps a guarded UPDATE that matched no row to ErrStale when
// the row with id exists in table and to ErrNotFound when not. Other errors
// are wrapped as they are.
func staleOrMissing(ctx context.Context, tx *sql.Tx, table, id, what string, err error) error {
	if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqldb: %s: %w", what, err)
	}
	var found bool
	err = tx.QueryRowContext(ctx, `SELECT TRUE FROM `+table+` WHERE id = $1`, id).Scan(&found)
	if err != nil {
		return notFound(what, err)
	}
	return fmt.Errorf("sqldb: %s: %w", what, storage.ErrStale)
}

func (db *DB) HasPolicyNotice(ctx context.Context, userID string) (bool, error) {
	var found bool
	err := db.sql.QueryRowContext(ctx,
		`SELECT TRUE FROM policy_notices WHERE user_id = $1`, userID).Scan(&found)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sqldb: read policy notice: %w", err)
	}
	return true, nil
}

func (db *DB) ClearPolicyNotice(ctx context.Context, userID string) error {
	if _, err := db.sql.ExecContext(ctx, `DELETE FROM policy_notices WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("sqldb: clear policy notice: %w", err)
	}
	return nil
}
