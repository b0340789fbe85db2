-- The office's country (ISO 3166-1 alpha-2): the country preselected where
-- a mobile number is typed, and the default allowed SMS destination.
ALTER TABLE offices ADD COLUMN country TEXT NOT NULL DEFAULT 'NL';
