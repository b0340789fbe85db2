package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"twofold/config"
	"twofold/server"
	"twofold/storage/backend"
)

// environment carries what every command reads: streams, environment and
// the context that ends on SIGINT or SIGTERM.
type environment struct {
	ctx            context.Context
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// flags returns a flag set that prints its usage to stderr and takes --config.
func (e *environment) flags(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("twofold "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	cfgPath := fs.String("config", e.getenv("TWOFOLD_CONFIG"), "path of the YAML configuration `file`")
	return fs, cfgPath
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// loadConfig reads and validates the configuration.
func (e *environment) loadConfig(path string) (config.Config, error) {
	cfg, err := config.Load(path, e.getenv)
	if err != nil {
		return cfg, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return cfg, nil
}

// logger builds the process logger in the configured format.
func (e *environment) logger(cfg config.Config) *slog.Logger {
	var h slog.Handler
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(e.stderr, nil)
	} else {
		h = slog.NewTextHandler(e.stderr, nil)
	}
	return slog.New(server.LogHandler{Handler: h})
}

// openDB opens the configured database and applies migrations.
func (e *environment) openDB(cfg config.Config, log *slog.Logger) (backend.Database, error) {
	db, err := backend.Open(e.ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	n, err := db.Migrate(e.ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	if n > 0 {
		log.Info("database migrated", "applied", n)
	}
	return db, nil
}

// ensureSecrets fills in missing secrets. On SQLite they are generated once
// into a file beside the database; PostgreSQL serves replicas, which must
// share them, so there the configuration has to supply them.
func (e *environment) ensureSecrets(cfg *config.Config, log *slog.Logger) error {
	if len(cfg.Secrets.CookieKeys) > 0 && cfg.Secrets.KeyEncryptionKey != "" {
		return cfg.ValidateSecrets()
	}
	if !cfg.IsSQLite() {
		if err := cfg.ValidateSecrets(); err != nil {
			return fmt.Errorf("PostgreSQL needs secrets shared by every replica:\n%w", err)
		}
	}
	path := strings.TrimPrefix(cfg.DatabaseURL, "sqlite:") + ".secrets.yaml"
	var s config.Secrets
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := yaml.Unmarshal(data, &s); err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
	case errors.Is(err, os.ErrNotExist):
		s = config.Secrets{CookieKeys: []string{randomBase64(64)}, KeyEncryptionKey: randomBase64(32)}
		out, _ := yaml.Marshal(s)
		if err := os.WriteFile(path, out, 0o600); err != nil {
			return fmt.Errorf("write generated secrets: %w", err)
		}
		log.Warn("generated secrets for the SQLite database; set secrets.cookie_keys and secrets.key_encryption_key for production", "file", path)
	default:
		return fmt.Errorf("read %s: %w", path, err)
	}
	if len(cfg.Secrets.CookieKeys) == 0 {
		cfg.Secrets.CookieKeys = s.CookieKeys
	}
	if cfg.Secrets.KeyEncryptionKey == "" {
		cfg.Secrets.KeyEncryptionKey = s.KeyEncryptionKey
	}
	return cfg.ValidateSecrets()
}

func randomBase64(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func (e *environment) now() time.Time { return time.Now().UTC() }
