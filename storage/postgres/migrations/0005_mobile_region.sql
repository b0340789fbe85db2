-- The region (ISO 3166-1 alpha-2) of the user's mobile number, which
-- country pickers count to list the most used countries first. SQL cannot
-- derive it from the number, so the application fills it in: '' means not
-- yet derived, and 'ZZ' a number of no country. The trigger resets it
-- whenever the number changes, whichever statement changes it, so a
-- region never outlives its number.
ALTER TABLE users ADD COLUMN mobile_region TEXT NOT NULL DEFAULT '';

CREATE FUNCTION users_reset_mobile_region() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.mobile IS DISTINCT FROM OLD.mobile THEN
		NEW.mobile_region := '';
	END IF;
	RETURN NEW;
END;
$$;

CREATE TRIGGER users_mobile_changed BEFORE UPDATE OF mobile ON users
	FOR EACH ROW EXECUTE FUNCTION users_reset_mobile_region();

-- The confirmed numbers whose region is still to be derived.
CREATE INDEX users_mobile_region_unset ON users (id)
	WHERE mobile_confirmed AND mobile <> '' AND mobile_region = '';
-- Counting confirmed numbers per region, per office and overall.
CREATE INDEX users_mobile_region ON users (mobile_region, office_id)
	WHERE mobile_confirmed;
