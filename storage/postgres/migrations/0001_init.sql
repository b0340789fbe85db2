-- Times are unix microseconds (UTC) in BIGINT columns. String lists are
-- TEXT columns holding a JSON array. Hashes of codes, tokens and browser
-- cookies are stored; the values themselves never are.

CREATE TABLE offices (
	id         TEXT PRIMARY KEY,
	code       TEXT NOT NULL UNIQUE,
	name       TEXT NOT NULL,
	two_factor BOOLEAN NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);

CREATE TABLE users (
	id               TEXT PRIMARY KEY,
	office_id        TEXT NOT NULL REFERENCES offices (id),
	username         TEXT NOT NULL,
	-- username_key is the lower-cased username, unique within the office.
	username_key     TEXT NOT NULL,
	name             TEXT NOT NULL,
	email            TEXT NOT NULL,
	role             TEXT NOT NULL CHECK (role IN ('superuser', 'accountant', 'user')),
	password_hash    TEXT NOT NULL,
	mobile           TEXT NOT NULL,
	mobile_confirmed BOOLEAN NOT NULL,
	created_at       BIGINT NOT NULL,
	updated_at       BIGINT NOT NULL,
	UNIQUE (office_id, username_key)
);

CREATE TABLE clients (
	id                        TEXT PRIMARY KEY,
	name                      TEXT NOT NULL,
	secret_hash               BYTEA,
	is_public                 BOOLEAN NOT NULL,
	redirect_uris             TEXT NOT NULL,
	post_logout_redirect_uris TEXT NOT NULL,
	created_at                BIGINT NOT NULL
);

CREATE TABLE auth_requests (
	id                    TEXT PRIMARY KEY,
	client_id             TEXT NOT NULL REFERENCES clients (id),
	redirect_uri          TEXT NOT NULL,
	state                 TEXT NOT NULL,
	nonce                 TEXT NOT NULL,
	scopes                TEXT NOT NULL,
	response_type         TEXT NOT NULL,
	response_mode         TEXT NOT NULL,
	code_challenge        TEXT NOT NULL,
	code_challenge_method TEXT NOT NULL,
	prompt                TEXT NOT NULL,
	max_age               BIGINT,
	login_hint            TEXT NOT NULL,
	ui_locales            TEXT NOT NULL,
	acr_values            TEXT NOT NULL,
	hint_subject          TEXT NOT NULL,
	browser_hash          BYTEA,
	user_id               TEXT NOT NULL,
	session_id            TEXT NOT NULL,
	amr                   TEXT NOT NULL,
	acr                   TEXT NOT NULL,
	auth_time             BIGINT NOT NULL,
	done                  BOOLEAN NOT NULL,
	code_hash             BYTEA UNIQUE,
	code_expires_at       BIGINT,
	code_used_at          BIGINT,
	created_at            BIGINT NOT NULL,
	expires_at            BIGINT NOT NULL
);
CREATE INDEX auth_requests_expires_at ON auth_requests (expires_at);
CREATE INDEX auth_requests_session_id ON auth_requests (session_id);

CREATE TABLE sessions (
	id           TEXT PRIMARY KEY,
	user_id      TEXT NOT NULL REFERENCES users (id),
	office_id    TEXT NOT NULL REFERENCES offices (id),
	amr          TEXT NOT NULL,
	auth_time    BIGINT NOT NULL,
	created_at   BIGINT NOT NULL,
	last_seen_at BIGINT NOT NULL,
	expires_at   BIGINT NOT NULL,
	ended_at     BIGINT
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE challenges (
	id              TEXT PRIMARY KEY,
	-- seq orders challenges created in the same microsecond.
	seq             BIGINT GENERATED ALWAYS AS IDENTITY,
	auth_request_id TEXT NOT NULL REFERENCES auth_requests (id) ON DELETE CASCADE,
	user_id         TEXT NOT NULL REFERENCES users (id),
	mobile          TEXT NOT NULL,
	purpose         TEXT NOT NULL CHECK (purpose IN ('verify', 'confirm', 'enroll')),
	-- code_hash is NULL once the code is voided by too many wrong entries.
	code_hash       BYTEA,
	sends           INTEGER NOT NULL,
	attempts        INTEGER NOT NULL,
	last_sent_at    BIGINT NOT NULL,
	expires_at      BIGINT NOT NULL,
	verified_at     BIGINT,
	-- voided_at is set when a newer challenge replaces this one.
	voided_at       BIGINT,
	created_at      BIGINT NOT NULL
);
-- At most one open challenge per auth request.
CREATE UNIQUE INDEX challenges_open ON challenges (auth_request_id)
	WHERE verified_at IS NULL AND voided_at IS NULL;
CREATE INDEX challenges_auth_request_id ON challenges (auth_request_id, created_at);

CREATE TABLE tokens (
	id               TEXT PRIMARY KEY,
	client_id        TEXT NOT NULL REFERENCES clients (id),
	user_id          TEXT NOT NULL,
	scopes           TEXT NOT NULL,
	audience         TEXT NOT NULL,
	refresh_token_id TEXT NOT NULL,
	auth_request_id  TEXT NOT NULL,
	expires_at       BIGINT NOT NULL,
	created_at       BIGINT NOT NULL,
	revoked_at       BIGINT
);
CREATE INDEX tokens_refresh_token_id ON tokens (refresh_token_id);
CREATE INDEX tokens_auth_request_id ON tokens (auth_request_id);
CREATE INDEX tokens_user_id ON tokens (user_id);
CREATE INDEX tokens_expires_at ON tokens (expires_at);

CREATE TABLE refresh_tokens (
	id              TEXT PRIMARY KEY,
	token_hash      BYTEA NOT NULL UNIQUE,
	family_id       TEXT NOT NULL,
	client_id       TEXT NOT NULL REFERENCES clients (id),
	user_id         TEXT NOT NULL REFERENCES users (id),
	session_id      TEXT NOT NULL,
	auth_request_id TEXT NOT NULL,
	scopes          TEXT NOT NULL,
	audience        TEXT NOT NULL,
	amr             TEXT NOT NULL,
	acr             TEXT NOT NULL,
	auth_time       BIGINT NOT NULL,
	created_at      BIGINT NOT NULL,
	expires_at      BIGINT NOT NULL,
	used_at         BIGINT,
	revoked_at      BIGINT
);
CREATE INDEX refresh_tokens_family_id ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_session_id ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_auth_request_id ON refresh_tokens (auth_request_id);
CREATE INDEX refresh_tokens_user_id ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

CREATE TABLE signing_keys (
	id                    TEXT PRIMARY KEY,
	algorithm             TEXT NOT NULL,
	private_key_encrypted BYTEA NOT NULL,
	public_key            BYTEA NOT NULL,
	created_at            BIGINT NOT NULL,
	retired_at            BIGINT
);
