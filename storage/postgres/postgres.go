// Package postgres opens twofold's storage on PostgreSQL through a pgx
// connection pool and applies its schema.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"twofold/storage/sqldb"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockKey is the pg_advisory_xact_lock key that serializes
// migrations: the first eight bytes of "twofold!" as a big-endian integer.
const migrationLockKey int64 = 0x74776f666f6c6421

// dialect is PostgreSQL's sqldb.Dialect.
var dialect = sqldb.Dialect{
	Name:                  "postgres",
	ForUpdate:             " FOR UPDATE",
	MigrationLock:         fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", migrationLockKey),
	IsUniqueViolation:     func(err error) bool { return hasCode(err, "23505") },
	IsForeignKeyViolation: func(err error) bool { return hasCode(err, "23503") },
	// 40001 is serialization_failure and 40P01 deadlock_detected.
	IsRetryable: func(err error) bool { return hasCode(err, "40001", "40P01") },
}

// hasCode reports whether err is a PostgreSQL error with one of the
// SQLSTATE codes.
func hasCode(err error, codes ...string) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	for _, c := range codes {
		if pgErr.Code == c {
			return true
		}
	}
	return false
}

// DB is twofold's storage on PostgreSQL.
type DB struct {
	*sqldb.DB
	sql  *sql.DB
	pool *pgxpool.Pool
}

// defaultConnectTimeout bounds one connection attempt when the URL sets no
// connect_timeout.
const defaultConnectTimeout = 3 * time.Second

// Open connects to the PostgreSQL database at url, a postgres:// URL or
// keyword/value string as pgx parses it (pool settings such as
// pool_max_conns included), and checks the connection. It does not apply
// the schema; see Migrate. The error may name the host, user and database,
// never the password.
func Open(ctx context.Context, url string) (*DB, error) {
	config, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgconn.ParseConfigError redacts the password from the
		// connection string it quotes.
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if config.ConnConfig.ConnectTimeout == 0 {
		// Without a bound, a connection attempt to an unreachable server
		// waits for the operating system's TCP timeout, minutes, and
		// requests hang with it. A connect_timeout in the URL wins.
		config.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, config)
	if err != nil {
		return nil, fmt.Errorf("postgres: create pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	return &DB{DB: sqldb.New(db, dialect), sql: db, pool: pool}, nil
}

// Migrate applies the embedded migrations that the database lacks and
// returns how many it applied. Concurrent calls, from this process or
// others, wait for each other on an advisory lock and apply each migration
// once.
func (db *DB) Migrate(ctx context.Context) (int, error) {
	root, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return 0, fmt.Errorf("postgres: open embedded migrations: %w", err)
	}
	migrations, err := sqldb.LoadMigrations(root)
	if err != nil {
		return 0, err
	}
	return sqldb.Migrate(ctx, db.sql, dialect, migrations)
}

// Close closes the database/sql handle and the pool under it.
func (db *DB) Close() error {
	err := db.DB.Close()
	db.pool.Close()
	return err
}
