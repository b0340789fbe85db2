package sqldb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"

	"twofold/storage"
)

const auditColumns = `seq, id, office_id, actor_id, actor_name, action, target_id,
	target_name, old_value, new_value, created_at`

// auditWriter is a *sql.DB or a *sql.Tx.
type auditWriter interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// insertAudit stores ev, with a random id when ev.ID is empty. The store
// numbers it (seq).
func insertAudit(ctx context.Context, ex auditWriter, ev storage.AuditEvent) error {
	if ev.ID == "" {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return fmt.Errorf("sqldb: audit event id: %w", err)
		}
		ev.ID = base64.RawURLEncoding.EncodeToString(b)
	}
	_, err := ex.ExecContext(ctx,
		`INSERT INTO audit_events (id, office_id, actor_id, actor_name, action, target_id,
			target_name, old_value, new_value, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		ev.ID, ev.OfficeID, ev.ActorID, ev.ActorName, string(ev.Action), ev.TargetID,
		ev.TargetName, ev.Old, ev.New, micros(ev.At))
	if err != nil {
		return fmt.Errorf("sqldb: store audit event: %w", err)
	}
	return nil
}

func (db *DB) AppendAudit(ctx context.Context, ev storage.AuditEvent) error {
	err := insertAudit(ctx, db.sql, ev)
	if err != nil && db.dialect.IsForeignKeyViolation(err) {
		return fmt.Errorf("sqldb: store audit event: office: %w", storage.ErrNotFound)
	}
	return err
}

func (db *DB) ListAudit(ctx context.Context, officeID string, beforeSeq int64, limit int) ([]storage.AuditEvent, error) {
	rows, err := db.sql.QueryContext(ctx,
		`SELECT `+auditColumns+` FROM audit_events
		WHERE office_id = $1 AND ($2 = 0 OR seq < $2)
		ORDER BY seq DESC LIMIT $3`,
		officeID, beforeSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("sqldb: list audit events: %w", err)
	}
	defer rows.Close()

	var events []storage.AuditEvent
	for rows.Next() {
		var (
			ev      storage.AuditEvent
			action  string
			created int64
		)
		err := rows.Scan(&ev.Seq, &ev.ID, &ev.OfficeID, &ev.ActorID, &ev.ActorName, &action,
			&ev.TargetID, &ev.TargetName, &ev.Old, &ev.New, &created)
		if err != nil {
			return nil, fmt.Errorf("sqldb: list audit events: %w", err)
		}
		ev.Action = storage.AuditAction(action)
		ev.At = fromMicros(created)
		events = append(events, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: list audit events: %w", err)
	}
	return events, nil
}
