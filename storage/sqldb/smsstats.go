package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"twofold/storage"
)

func validOutcome(o storage.SMSOutcome) bool {
	return o == storage.SMSSent || o == storage.SMSFailed || o == storage.SMSLimited
}

// utcDay returns 00:00 UTC of the day that contains t.
func utcDay(t time.Time) time.Time {
	return t.UTC().Truncate(24 * time.Hour)
}

// RecordSMSEvent adds one message with a single upsert, so concurrent
// events for the same row are all counted.
func (db *DB) RecordSMSEvent(ctx context.Context, e storage.SMSEvent) error {
	if !validOutcome(e.Outcome) {
		return fmt.Errorf("sqldb: record SMS event: invalid outcome %q", e.Outcome)
	}
	_, err := db.sql.ExecContext(ctx,
		`INSERT INTO sms_stats (day, office_id, gateway, outcome, scope, messages)
		VALUES ($1, $2, $3, $4, $5, 1)
		ON CONFLICT (day, office_id, gateway, outcome, scope)
		DO UPDATE SET messages = sms_stats.messages + 1`,
		micros(utcDay(e.At)), e.OfficeID, e.Gateway, string(e.Outcome), e.Scope)
	if err != nil {
		return fmt.Errorf("sqldb: record SMS event: %w", err)
	}
	return nil
}

// SMSStats adds up the selected days in SQL. The office code comes from a
// LEFT JOIN, so the statistics of a deleted office are still returned.
func (db *DB) SMSStats(ctx context.Context, f storage.SMSStatsFilter) ([]storage.SMSStat, error) {
	var (
		where []string
		args  []any
	)
	if f.OfficeID != "" {
		args = append(args, f.OfficeID)
		where = append(where, fmt.Sprintf("s.office_id = $%d", len(args)))
	}
	if !f.Since.IsZero() {
		args = append(args, micros(utcDay(f.Since)))
		where = append(where, fmt.Sprintf("s.day >= $%d", len(args)))
	}
	query := `SELECT s.office_id, COALESCE(o.code, ''), s.gateway, s.outcome, s.scope, SUM(s.messages)
		FROM sms_stats s LEFT JOIN offices o ON o.id = s.office_id`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += ` GROUP BY s.office_id, o.code, s.gateway, s.outcome, s.scope
		ORDER BY COALESCE(o.code, ''), s.office_id, s.gateway, s.outcome, s.scope`
	rows, err := db.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqldb: read SMS stats: %w", err)
	}
	defer rows.Close()
	var stats []storage.SMSStat
	for rows.Next() {
		var (
			s       storage.SMSStat
			outcome string
		)
		if err := rows.Scan(&s.OfficeID, &s.OfficeCode, &s.Gateway, &outcome, &s.Scope, &s.Messages); err != nil {
			return nil, fmt.Errorf("sqldb: read SMS stats: %w", err)
		}
		s.Outcome = storage.SMSOutcome(outcome)
		stats = append(stats, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: read SMS stats: %w", err)
	}
	return stats, nil
}

// OfficeSMSCountries reads the office's list. An unknown office has none.
func (db *DB) OfficeSMSCountries(ctx context.Context, officeID string) ([]string, error) {
	var raw string
	err := db.sql.QueryRowContext(ctx,
		`SELECT allowed_countries FROM office_sms_settings WHERE office_id = $1`, officeID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sqldb: read office SMS countries: %w", err)
	}
	return decodeList("allowed_countries", raw)
}

// SetOfficeSMSCountries upserts or deletes the office's row. A missing
// office is found by the foreign key on insert, and by a lookup when the
// list is removed.
func (db *DB) SetOfficeSMSCountries(ctx context.Context, officeID string, countries []string, now time.Time) error {
	if len(countries) == 0 {
		if _, err := db.OfficeByID(ctx, officeID); err != nil {
			return err
		}
		_, err := db.sql.ExecContext(ctx, `DELETE FROM office_sms_settings WHERE office_id = $1`, officeID)
		if err != nil {
			return fmt.Errorf("sqldb: remove office SMS countries: %w", err)
		}
		return nil
	}
	upper := make([]string, len(countries))
	for i, c := range countries {
		upper[i] = strings.ToUpper(c)
	}
	_, err := db.sql.ExecContext(ctx,
		`INSERT INTO office_sms_settings (office_id, allowed_countries, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (office_id) DO UPDATE SET allowed_countries = excluded.allowed_countries, updated_at = excluded.updated_at`,
		officeID, encodeList(upper), micros(now))
	if err != nil {
		if db.dialect.IsForeignKeyViolation(err) {
			return fmt.Errorf("sqldb: set office SMS countries: office: %w", storage.ErrNotFound)
		}
		return fmt.Errorf("sqldb: set office SMS countries: %w", err)
	}
	return nil
}
