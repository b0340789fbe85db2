-- What the settings pages need: the audit record of changes to an office's
-- policy and users, users' pending changes of their own mobile number, and
-- the notices users get after their office switched two-factor
-- authentication on.

-- One row per change. Mobile numbers are stored masked, never whole.
CREATE TABLE audit_events (
	seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id          TEXT NOT NULL UNIQUE,
	office_id   TEXT NOT NULL REFERENCES offices (id),
	actor_id    TEXT NOT NULL,
	actor_name  TEXT NOT NULL,
	action      TEXT NOT NULL,
	target_id   TEXT NOT NULL,
	target_name TEXT NOT NULL,
	old_value   TEXT NOT NULL,
	new_value   TEXT NOT NULL,
	created_at  BIGINT NOT NULL
);
CREATE INDEX audit_events_office ON audit_events (office_id, seq);

-- At most one row per user. mobile is empty and code_hash NULL when no
-- change is pending; the row stays so that its send counters keep counting.
CREATE TABLE mobile_changes (
	user_id      TEXT PRIMARY KEY REFERENCES users (id),
	mobile       TEXT NOT NULL,
	code_hash    BYTEA,
	sends        INTEGER NOT NULL,
	attempts     INTEGER NOT NULL,
	window_start BIGINT NOT NULL,
	last_sent_at BIGINT NOT NULL,
	expires_at   BIGINT NOT NULL,
	created_at   BIGINT NOT NULL
);

-- A row means the user has not yet signed in since their office began to
-- require a code by SMS.
CREATE TABLE policy_notices (
	user_id    TEXT PRIMARY KEY REFERENCES users (id),
	office_id  TEXT NOT NULL REFERENCES offices (id),
	created_at BIGINT NOT NULL
);
CREATE INDEX policy_notices_office ON policy_notices (office_id);
