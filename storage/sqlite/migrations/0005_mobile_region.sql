-- The schema of storage/postgres/migrations/0005_mobile_region.sql. SQLite
-- has no BEFORE trigger that can change the new row, so an AFTER trigger
-- clears the region instead. It does not fire for the application's own
-- update of mobile_region, which leaves mobile out of its SET list.
--
-- The region (ISO 3166-1 alpha-2) of the user's mobile number, which
-- country pickers count to list the most used countries first. SQL cannot
-- derive it from the number, so the application fills it in: '' means not
-- yet derived, and 'ZZ' a number of no country. The trigger resets it
-- whenever the number changes, whichever statement changes it, so a
-- region never outlives its number.
ALTER TABLE users ADD COLUMN mobile_region TEXT NOT NULL DEFAULT '';

CREATE TRIGGER users_mobile_changed AFTER UPDATE OF mobile ON users
	FOR EACH ROW WHEN NEW.mobile IS NOT OLD.mobile
BEGIN
	UPDATE users SET mobile_region = '' WHERE id = NEW.id;
END;

-- The confirmed numbers whose region is still to be derived.
CREATE INDEX users_mobile_region_unset ON users (id)
	WHERE mobile_confirmed AND mobile <> '' AND mobile_region = '';
-- Counting confirmed numbers per region, per office and overall.
CREATE INDEX users_mobile_region ON users (mobile_region, office_id)
	WHERE mobile_confirmed;
