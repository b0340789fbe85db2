-- SMS send limits, SMS statistics and each office's allowed SMS destination
-- countries. Times are unix microseconds (UTC) in BIGINT columns, as in
-- 0001_init.sql; durations are microseconds too.

-- One row per counter, such as the sends to one number. A send locks its
-- counters' rows first, so concurrent sends on the same counter take turns.
-- Numbers and client addresses are stored only as keyed hashes in subject.
CREATE TABLE sms_counters (
	scope        TEXT NOT NULL,
	subject      TEXT NOT NULL,
	-- last_sent_at is NULL until the counter's first send.
	last_sent_at BIGINT,
	PRIMARY KEY (scope, subject)
);
CREATE INDEX sms_counters_last_sent_at ON sms_counters (last_sent_at);

-- The sends of one counter within one bucket of bucket_length, starting at
-- bucket_start (a multiple of bucket_length).
CREATE TABLE sms_counter_buckets (
	scope         TEXT NOT NULL,
	subject       TEXT NOT NULL,
	bucket_length BIGINT NOT NULL,
	bucket_start  BIGINT NOT NULL,
	sends         BIGINT NOT NULL,
	PRIMARY KEY (scope, subject, bucket_length, bucket_start)
);
CREATE INDEX sms_counter_buckets_bucket_start ON sms_counter_buckets (bucket_start);

-- Messages per UTC day (day is 00:00 UTC), office, gateway and outcome.
-- scope names the limit of a limited message and is empty otherwise. Rows
-- are kept when their office goes, so totals never shrink.
CREATE TABLE sms_stats (
	day       BIGINT NOT NULL,
	office_id TEXT NOT NULL,
	gateway   TEXT NOT NULL,
	outcome   TEXT NOT NULL CHECK (outcome IN ('sent', 'failed', 'limited')),
	scope     TEXT NOT NULL,
	messages  BIGINT NOT NULL,
	PRIMARY KEY (day, office_id, gateway, outcome, scope)
);
CREATE INDEX sms_stats_office_id ON sms_stats (office_id, day);

-- An office's own list of allowed SMS destination countries (a JSON array of
-- ISO 3166-1 alpha-2 codes). Without a row the installation's default
-- applies: the office's country and sms.allowed_countries.
CREATE TABLE office_sms_settings (
	office_id         TEXT PRIMARY KEY REFERENCES offices (id) ON DELETE CASCADE,
	allowed_countries TEXT NOT NULL,
	updated_at        BIGINT NOT NULL
);
