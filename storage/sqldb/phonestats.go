package sqldb

import (
	"context"
	"database/sql"
	"fmt"

	"twofold/phone"
	"twofold/storage"
)

// noRegion is the mobile_region of a number that belongs to no country, as
// phone.NumberRegion finds it. ZZ is the code that CLDR uses for an unknown
// region. It keeps such numbers from being examined again.
const noRegion = "ZZ"

// regionBatchSize bounds how many numbers one transaction derives regions
// for, so a database migrated with many confirmed numbers does not hold the
// write lock for all of them at once.
const regionBatchSize = 500

// MobileRegionCounts derives the regions that are missing, then counts. The
// region of a number is stored in users.mobile_region, which a trigger
// resets to ” whenever the number changes (see 0005_mobile_region.sql).
// NOTE: a stored region is derived once, with the numbering metadata of the
// running version of phonenumbers. A later version that moves a number to
// another country does not change it until the number changes.
func (db *DB) MobileRegionCounts(ctx context.Context, officeID string) (office, installation storage.RegionCounts, err error) {
	if err := db.deriveMobileRegions(ctx); err != nil {
		return nil, nil, err
	}
	rows, err := db.sql.QueryContext(ctx,
		`SELECT mobile_region, COUNT(*), COUNT(CASE WHEN office_id = $1 THEN 1 END)
		FROM users
		WHERE mobile_confirmed AND mobile_region <> '' AND mobile_region <> $2
		GROUP BY mobile_region`,
		officeID, noRegion)
	if err != nil {
		return nil, nil, fmt.Errorf("sqldb: count mobile regions: %w", err)
	}
	defer rows.Close()

	office, installation = storage.RegionCounts{}, storage.RegionCounts{}
	for rows.Next() {
		var (
			region             string
			total, officeTotal int
		)
		if err := rows.Scan(&region, &total, &officeTotal); err != nil {
			return nil, nil, fmt.Errorf("sqldb: count mobile regions: %w", err)
		}
		installation[region] = total
		if officeTotal > 0 {
			office[region] = officeTotal
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("sqldb: count mobile regions: %w", err)
	}
	return office, installation, nil
}

// unsetRegion is a confirmed number whose region is not derived yet.
type unsetRegion struct {
	userID, mobile string
}

// deriveMobileRegions stores the region of every confirmed number that has
// none, in batches of regionBatchSize. It reads each batch outside a
// transaction, so that a call with nothing to do takes no write lock. Each
// update applies only while the user still has the number that was read,
// so a number changed in between keeps its reset region for the next call.
func (db *DB) deriveMobileRegions(ctx context.Context) error {
	for {
		unset, err := db.unsetRegions(ctx)
		if err != nil || len(unset) == 0 {
			return err
		}
		if err := db.storeRegions(ctx, unset); err != nil {
			return err
		}
		if len(unset) < regionBatchSize {
			return nil
		}
	}
}

func (db *DB) storeRegions(ctx context.Context, unset []unsetRegion) error {
	return db.inTx(ctx, func(tx *sql.Tx) (error, error) {
		for _, u := range unset {
			region := phone.NumberRegion(u.mobile)
			if region == "" {
				region = noRegion
			}
			_, err := tx.ExecContext(ctx,
				`UPDATE users SET mobile_region = $3
				WHERE id = $1 AND mobile = $2 AND mobile_region = ''`,
				u.userID, u.mobile, region)
			if err != nil {
				return nil, fmt.Errorf("sqldb: store mobile region of user %s: %w", u.userID, err)
			}
		}
		return nil, nil
	})
}

func (db *DB) unsetRegions(ctx context.Context) ([]unsetRegion, error) {
	rows, err := db.sql.QueryContext(ctx,
		`SELECT id, mobile FROM users
		WHERE mobile_confirmed AND mobile <> '' AND mobile_region = ''
		LIMIT $1`,
		regionBatchSize)
	if err != nil {
		return nil, fmt.Errorf("sqldb: read numbers without region: %w", err)
	}
	defer rows.Close()

	var unset []unsetRegion
	for rows.Next() {
		var u unsetRegion
		if err := rows.Scan(&u.userID, &u.mobile); err != nil {
			return nil, fmt.Errorf("sqldb: read numbers without region: %w", err)
		}
		unset = append(unset, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: read numbers without region: %w", err)
	}
	return unset, nil
}
