package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"twofold/storage"
)

const signingKeyColumns = `id, algorithm, private_key_encrypted, public_key, created_at, retired_at`

func (db *DB) CreateSigningKey(ctx context.Context, k *storage.SigningKey) error {
	_, err := db.sql.ExecContext(ctx,
		`INSERT INTO signing_keys (`+signingKeyColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		k.ID, k.Algorithm, k.PrivateKeyEncrypted, k.PublicKey, micros(k.CreatedAt),
		nullMicros(k.RetiredAt))
	if err != nil {
		return db.insertError("signing key", err)
	}
	return nil
}

// SigningKeys lists the keys that are not retired or were retired after
// retiredAfter, newest first. Keys created in the same microsecond are
// ordered by id, descending.
func (db *DB) SigningKeys(ctx context.Context, retiredAfter time.Time) ([]storage.SigningKey, error) {
	rows, err := db.sql.QueryContext(ctx,
		`SELECT `+signingKeyColumns+` FROM signing_keys
		WHERE retired_at IS NULL OR retired_at > $1
		ORDER BY created_at DESC, id DESC`,
		micros(retiredAfter))
	if err != nil {
		return nil, fmt.Errorf("sqldb: list signing keys: %w", err)
	}
	defer rows.Close()

	var keys []storage.SigningKey
	for rows.Next() {
		var (
			k       storage.SigningKey
			created int64
			retired sql.NullInt64
		)
		err := rows.Scan(&k.ID, &k.Algorithm, &k.PrivateKeyEncrypted, &k.PublicKey, &created, &retired)
		if err != nil {
			return nil, fmt.Errorf("sqldb: list signing keys: %w", err)
		}
		k.CreatedAt = fromMicros(created)
		k.RetiredAt = fromNullMicros(retired)
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: list signing keys: %w", err)
	}
	return keys, nil
}

// RetireSigningKeys retires, at now, every key that is not retired yet,
// except keepID.
func (db *DB) RetireSigningKeys(ctx context.Context, keepID string, now time.Time) (int64, error) {
	res, err := db.sql.ExecContext(ctx,
		`UPDATE signing_keys SET retired_at = $2 WHERE retired_at IS NULL AND id <> $1`,
		keepID, micros(now))
	if err != nil {
		return 0, fmt.Errorf("sqldb: retire signing keys: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqldb: retire signing keys: %w", err)
	}
	return n, nil
}
