package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Migration is one numbered schema change.
type Migration struct {
	Version int    // the number the file name starts with
	Name    string // the file name, such as "0001_init.sql"
	SQL     string
}

// LoadMigrations reads the files named NNNN_description.sql at the root of
// fsys, ordered by number. Two files with one number, or a .sql file whose
// name does not start with a number and an underscore, are an error.
func LoadMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("sqldb: list migrations: %w", err)
	}
	var migrations []Migration
	for _, name := range names {
		number, _, ok := strings.Cut(name, "_")
		version, err := strconv.Atoi(number)
		if !ok || err != nil || version <= 0 {
			return nil, fmt.Errorf("sqldb: migration %q: name must be NNNN_description.sql with NNNN > 0", name)
		}
		text, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("sqldb: read migration %q: %w", name, err)
		}
		migrations = append(migrations, Migration{Version: version, Name: path.Base(name), SQL: string(text)})
	}
	slices.SortFunc(migrations, func(a, b Migration) int { return a.Version - b.Version })
	for i := 1; i < len(migrations); i++ {
		if migrations[i].Version == migrations[i-1].Version {
			return nil, fmt.Errorf("sqldb: migrations %q and %q have the same number",
				migrations[i-1].Name, migrations[i].Name)
		}
	}
	return migrations, nil
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    BIGINT PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at BIGINT NOT NULL
)`

// Migrate applies, in order, the migrations that schema_migrations does not
// record yet, each in its own transaction that also records it, and returns
// how many it applied. Each transaction first runs d.MigrationLock and only
// then checks whether its migration is recorded, so two processes migrating
// at once apply every migration exactly once between them.
func Migrate(ctx context.Context, db *sql.DB, d Dialect, migrations []Migration) (int, error) {
	applied := 0
	for _, m := range migrations {
		var done bool
		err := runTx(ctx, db, d, func(tx *sql.Tx) (error, error) {
			var err error
			done, err = applyMigration(ctx, tx, d, m)
			return nil, err
		})
		if err != nil {
			return applied, err
		}
		if done {
			applied++
		}
	}
	return applied, nil
}

// applyMigration applies m in tx unless it is recorded already, and reports
// whether it applied it.
func applyMigration(ctx context.Context, tx *sql.Tx, d Dialect, m Migration) (bool, error) {
	if d.MigrationLock != "" {
		if _, err := tx.ExecContext(ctx, d.MigrationLock); err != nil {
			return false, fmt.Errorf("sqldb: take migration lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, createMigrationsTable); err != nil {
		return false, fmt.Errorf("sqldb: create schema_migrations: %w", err)
	}

	var version int
	err := tx.QueryRowContext(ctx,
		`SELECT version FROM schema_migrations WHERE version = $1`, m.Version).Scan(&version)
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("sqldb: read schema_migrations: %w", err)
	}

	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, fmt.Errorf("sqldb: apply migration %s: %w", m.Name, err)
	}
	_, err = tx.ExecContext(ctx,
		`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.Version, m.Name, micros(time.Now()))
	if err != nil {
		return false, fmt.Errorf("sqldb: record migration %s: %w", m.Name, err)
	}
	return true, nil
}
