-- Failed password attempts per throttle key (an account, a client address,
-- or the pair), for the growing temporary locks of the sign-in page. Keys
-- are HMACs, so the table names no username or address.
CREATE TABLE login_throttle (
	key          TEXT NOT NULL PRIMARY KEY,
	failures     INTEGER NOT NULL,
	window_start BIGINT NOT NULL,
	locks        INTEGER NOT NULL,
	locked_until BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL
);
