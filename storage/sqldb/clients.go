package sqldb

import (
	"context"

	"twofold/storage"
)

const clientColumns = `id, name, secret_hash, is_public, redirect_uris,
	post_logout_redirect_uris, created_at`

func (db *DB) CreateClient(ctx context.Context, c *storage.Client) error {
	_, err := db.sql.ExecContext(ctx,
		`INSERT INTO clients (`+clientColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		c.ID, c.Name, nullBytes(c.SecretHash), c.Public, encodeList(c.RedirectURIs),
		encodeList(c.PostLogoutRedirectURIs), micros(c.CreatedAt))
	if err != nil {
		return db.insertError("client", err)
	}
	return nil
}

func (db *DB) ClientByID(ctx context.Context, id string) (*storage.Client, error) {
	var (
		c                 storage.Client
		redirects, logout string
		created           int64
	)
	err := db.sql.QueryRowContext(ctx,
		`SELECT `+clientColumns+` FROM clients WHERE id = $1`, id).
		Scan(&c.ID, &c.Name, &c.SecretHash, &c.Public, &redirects, &logout, &created)
	if err != nil {
		return nil, notFound("read client", err)
	}

	var lists listDecoder
	c.RedirectURIs = lists.decode("redirect_uris", redirects)
	c.PostLogoutRedirectURIs = lists.decode("post_logout_redirect_uris", logout)
	if lists.err != nil {
		return nil, lists.err
	}
	c.CreatedAt = fromMicros(created)
	return &c, nil
}
