package sqldb

import (
	"context"
	"fmt"
	"strings"
	"time"

	"twofold/storage"
)

const userColumns = `id, office_id, username, name, email, role, password_hash,
	mobile, mobile_confirmed, created_at, updated_at`

func scanUser(row scanner) (*storage.User, error) {
	var (
		u                storage.User
		role             string
		created, updated int64
	)
	err := row.Scan(&u.ID, &u.OfficeID, &u.Username, &u.Name, &u.Email, &role,
		&u.PasswordHash, &u.Mobile, &u.MobileConfirmed, &created, &updated)
	if err != nil {
		return nil, err
	}
	u.Role = storage.Role(role)
	u.CreatedAt = fromMicros(created)
	u.UpdatedAt = fromMicros(updated)
	return &u, nil
}

// usernameKey is the form in which usernames are unique and looked up, so
// that "Anna" and "anna" are one user.
func usernameKey(username string) string {
	return strings.ToLower(username)
}

// CreateUser stores u. The username keeps its case for display; uniqueness
// within the office ignores case. An office that does not exist is
// ErrNotFound, and a role outside the defined ones is rejected.
func (db *DB) CreateUser(ctx context.Context, u *storage.User) error {
	if !u.Role.Valid() {
		return fmt.Errorf("sqldb: create user: invalid role %q", u.Role)
	}
	_, err := db.sql.ExecContext(ctx,
		`INSERT INTO users (`+userColumns+`, username_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		u.ID, u.OfficeID, u.Username, u.Name, u.Email, string(u.Role), u.PasswordHash,
		u.Mobile, u.MobileConfirmed, micros(u.CreatedAt), micros(u.UpdatedAt),
		usernameKey(u.Username))
	if err != nil {
		return db.insertError("user", err)
	}
	return nil
}

func (db *DB) UserByID(ctx context.Context, id string) (*storage.User, error) {
	row := db.sql.QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE id = $1`, id)
	u, err := scanUser(row)
	if err != nil {
		return nil, notFound("read user", err)
	}
	return u, nil
}

func (db *DB) UserByUsername(ctx context.Context, officeID, username string) (*storage.User, error) {
	row := db.sql.QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE office_id = $1 AND username_key = $2`,
		officeID, usernameKey(username))
	u, err := scanUser(row)
	if err != nil {
		return nil, notFound("read user by username", err)
	}
	return u, nil
}

// SetUserMobile stores the number and whether it is confirmed. Clearing the
// number (mobile empty) also clears the confirmation, regardless of confirmed.
func (db *DB) SetUserMobile(ctx context.Context, userID, mobile string, confirmed bool, now time.Time) error {
	if mobile == "" {
		confirmed = false
	}
	res, err := db.sql.ExecContext(ctx,
		`UPDATE users SET mobile = $2, mobile_confirmed = $3, updated_at = $4 WHERE id = $1`,
		userID, mobile, confirmed, micros(now))
	return affectedOne("set user mobile", res, err)
}
