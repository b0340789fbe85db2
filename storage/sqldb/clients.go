package sqldb

import (
	"context"
	"fmt"

	"twofold/storage"
)

const clientColumns = `id, name, secret_hash, is_public, redirect_uris,
	post_logout_redirect_uris, token_endpoint_auth_method, backchannel_logout_uri,
	created_at`

func scanClient(row scanner) (*storage.Client, error) {
	var (
		c                 storage.Client
		redirects, logout string
		created           int64
	)
	err := row.Scan(&c.ID, &c.Name, &c.SecretHash, &c.Public, &redirects, &logout,
		&c.TokenEndpointAuthMethod, &c.BackchannelLogoutURI, &created)
	if err != nil {
		return nil, err
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

func (db *DB) CreateClient(ctx context.Context, c *storage.Client) error {
	_, err := db.sql.ExecContext(ctx,
		`INSERT INTO clients (`+clientColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		c.ID, c.Name, nullBytes(c.SecretHash), c.Public, encodeList(c.RedirectURIs),
		encodeList(c.PostLogoutRedirectURIs), c.TokenEndpointAuthMethod, c.BackchannelLogoutURI,
		micros(c.CreatedAt))
	if err != nil {
		return db.insertError("client", err)
	}
	return nil
}

func (db *DB) ClientByID(ctx context.Context, id string) (*storage.Client, error) {
	c, err := scanClient(db.sql.QueryRowContext(ctx,
		`SELECT `+clientColumns+` FROM clients WHERE id = $1`, id))
	if err != nil {
		return nil, notFound("read client", err)
	}
	return c, nil
}

// UpdateClient replaces every field of the client but its id and creation
// time.
func (db *DB) UpdateClient(ctx context.Context, c *storage.Client) error {
	res, err := db.sql.ExecContext(ctx,
		`UPDATE clients SET name = $2, secret_hash = $3, is_public = $4, redirect_uris = $5,
			post_logout_redirect_uris = $6, token_endpoint_auth_method = $7,
			backchannel_logout_uri = $8
		WHERE id = $1`,
		c.ID, c.Name, nullBytes(c.SecretHash), c.Public, encodeList(c.RedirectURIs),
		encodeList(c.PostLogoutRedirectURIs), c.TokenEndpointAuthMethod, c.BackchannelLogoutURI)
	return affectedOne("update client", res, err)
}

func (db *DB) ListClients(ctx context.Context) ([]storage.Client, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+clientColumns+` FROM clients ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sqldb: list clients: %w", err)
	}
	defer rows.Close()

	var clients []storage.Client
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, fmt.Errorf("sqldb: list clients: %w", err)
		}
		clients = append(clients, *c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: list clients: %w", err)
	}
	return clients, nil
}
