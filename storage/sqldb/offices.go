package sqldb

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"twofold/storage"
)

const officeColumns = `id, code, name, two_factor, country, created_at, updated_at`

func scanOffice(row scanner) (*storage.Office, error) {
	var (
		o                storage.Office
		created, updated int64
	)
	err := row.Scan(&o.ID, &o.Code, &o.Name, &o.TwoFactor, &o.Country, &created, &updated)
	if err != nil {
		return nil, err
	}
	o.CreatedAt = fromMicros(created)
	o.UpdatedAt = fromMicros(updated)
	return &o, nil
}

// CreateOffice stores o with its code and country upper-cased (the country
// defaults to NL), and sets o's fields to the stored form.
func (db *DB) CreateOffice(ctx context.Context, o *storage.Office) error {
	o.Code = strings.ToUpper(o.Code)
	o.Country = strings.ToUpper(o.Country)
	if o.Country == "" {
		o.Country = "NL"
	}
	_, err := db.sql.ExecContext(ctx,
		`INSERT INTO offices (`+officeColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		o.ID, o.Code, o.Name, o.TwoFactor, o.Country, micros(o.CreatedAt), micros(o.UpdatedAt))
	if err != nil {
		return db.insertError("office", err)
	}
	return nil
}

func (db *DB) OfficeByID(ctx context.Context, id string) (*storage.Office, error) {
	row := db.sql.QueryRowContext(ctx,
		`SELECT `+officeColumns+` FROM offices WHERE id = $1`, id)
	o, err := scanOffice(row)
	if err != nil {
		return nil, notFound("read office", err)
	}
	return o, nil
}

func (db *DB) OfficeByCode(ctx context.Context, code string) (*storage.Office, error) {
	row := db.sql.QueryRowContext(ctx,
		`SELECT `+officeColumns+` FROM offices WHERE code = $1`, strings.ToUpper(code))
	o, err := scanOffice(row)
	if err != nil {
		return nil, notFound("read office by code", err)
	}
	return o, nil
}

// SetOfficeTwoFactor switches the policy. Switching it on also ends, in the
// same transaction, the office's sessions whose factors lack an SMS code, as
// EndSession does: their tokens are revoked and their clients are sent a
// back-channel logout.
func (db *DB) SetOfficeTwoFactor(ctx context.Context, id string, on bool, now time.Time) (*storage.Office, error) {
	var o *storage.Office
	err := db.inTx(ctx, func(tx *sql.Tx) (error, error) {
		var err error
		o, err = scanOffice(tx.QueryRowContext(ctx,
			`UPDATE offices SET two_factor = $2, updated_at = $3 WHERE id = $1
			RETURNING `+officeColumns,
			id, on, micros(now)))
		if err != nil {
			return nil, notFound("set office two-factor policy", err)
		}
		if !on {
			return nil, nil
		}
		ids, err := sessionIDs(ctx, tx,
			`SELECT id FROM sessions WHERE office_id = $1 AND ended_at IS NULL
			AND expires_at > $2 AND amr NOT LIKE '%"sms"%'`,
			id, micros(now))
		if err != nil {
			return nil, err
		}
		return nil, db.endSessions(ctx, tx, ids, now)
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

func (db *DB) SetOfficeCountry(ctx context.Context, id, country string, now time.Time) (*storage.Office, error) {
	row := db.sql.QueryRowContext(ctx,
		`UPDATE offices SET country = $2, updated_at = $3 WHERE id = $1
		RETURNING `+officeColumns,
		id, strings.ToUpper(country), micros(now))
	o, err := scanOffice(row)
	if err != nil {
		return nil, notFound("set office country", err)
	}
	return o, nil
}
