-- Client registration: the token endpoint authentication method a client is
-- held to (client_secret_basic, client_secret_post or none) and the URI that
-- receives back-channel logout tokens (empty for none). Clients registered
-- earlier keep the method of their kind.
ALTER TABLE clients ADD COLUMN token_endpoint_auth_method TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN backchannel_logout_uri TEXT NOT NULL DEFAULT '';
UPDATE clients SET token_endpoint_auth_method =
	CASE WHEN is_public THEN 'none' ELSE 'client_secret_basic' END;

-- The claims request parameter (OpenID Connect Core 1.0, section 5.5) as
-- JSON, carried from the authorization request to the tokens issued for it.
ALTER TABLE auth_requests ADD COLUMN claims TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN claims TEXT NOT NULL DEFAULT '';
ALTER TABLE refresh_tokens ADD COLUMN claims TEXT NOT NULL DEFAULT '';

-- code_reused_at is set when the request's authorization code is presented
-- a second time. Tokens for the request are stored only while it is NULL,
-- checked under a lock on the request row, so a redemption that raced the
-- replay cannot store tokens after the replay revoked them.
ALTER TABLE auth_requests ADD COLUMN code_reused_at BIGINT;

-- The clients each session signed into.
CREATE TABLE session_clients (
	session_id TEXT NOT NULL REFERENCES sessions (id),
	client_id  TEXT NOT NULL REFERENCES clients (id),
	first_at   BIGINT NOT NULL,
	last_at    BIGINT NOT NULL,
	PRIMARY KEY (session_id, client_id)
);

-- Back-channel logout notifications, one per ended session and client,
-- enqueued in the transaction that ends the session.
CREATE TABLE logout_deliveries (
	session_id      TEXT NOT NULL,
	client_id       TEXT NOT NULL,
	user_id         TEXT NOT NULL,
	uri             TEXT NOT NULL,
	attempts        INTEGER NOT NULL,
	next_attempt_at BIGINT NOT NULL,
	created_at      BIGINT NOT NULL,
	delivered_at    BIGINT,
	failed_at       BIGINT,
	last_error      TEXT NOT NULL,
	PRIMARY KEY (session_id, client_id)
);
CREATE INDEX logout_deliveries_due ON logout_deliveries (next_attempt_at)
	WHERE delivered_at IS NULL AND failed_at IS NULL;
