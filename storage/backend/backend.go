// Package backend opens twofold's storage from a database URL, choosing the
// backend by the URL's form.
package backend

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"twofold/storage"
	"twofold/storage/postgres"
	"twofold/storage/sqlite"
)

// Database is a Store whose schema can be brought up to date.
type Database interface {
	storage.Store

	// Migrate applies the schema changes the database lacks and returns
	// how many it applied. It is safe to run from several processes at once.
	Migrate(ctx context.Context) (int, error)
}

// schemePattern matches a URL scheme (RFC 3986, section 3.1). Only text
// that matches is quoted back in an error, so that a malformed URL cannot
// put a password into the message.
var schemePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]{0,31}$`)

// acceptedForms names the database URLs Open accepts, for error messages.
const acceptedForms = "sqlite:PATH (such as sqlite:twofold.db), postgres://... or postgresql://..."

// Open opens the database that rawURL names:
//
//   - sqlite:PATH, an SQLite file at PATH, relative to the working
//     directory unless absolute (sqlite:/var/lib/twofold/twofold.db);
//   - postgres://... or postgresql://..., a PostgreSQL server, with any
//     parameters pgx accepts.
//
// It connects but does not migrate. No error it returns contains a password
// from rawURL.
func Open(ctx context.Context, rawURL string) (Database, error) {
	switch {
	case strings.HasPrefix(rawURL, "sqlite:"):
		path := strings.TrimPrefix(rawURL, "sqlite:")
		if path == "" {
			return nil, errors.New("backend: database URL sqlite: has no path; use " + acceptedForms)
		}
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			return nil, err
		}
		return db, nil
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		db, err := postgres.Open(ctx, rawURL)
		if err != nil {
			return nil, redact(err, rawURL)
		}
		return db, nil
	default:
		// "user:password@host" has no scheme, so nothing is quoted back.
		scheme, rest, found := strings.Cut(rawURL, ":")
		userInfo := strings.Contains(rest, "@") && !strings.HasPrefix(rest, "//")
		if !found || userInfo || !schemePattern.MatchString(scheme) {
			return nil, errors.New("backend: invalid database URL: use " + acceptedForms)
		}
		return nil, fmt.Errorf("backend: unsupported database URL scheme %q: use %s", scheme, acceptedForms)
	}
}

// redactedError is an error whose message had the passwords of a database
// URL replaced. It does not unwrap: the wrapped chain would still hold them.
type redactedError struct {
	msg string
}

func (e *redactedError) Error() string { return e.msg }

// redact returns err with every password that rawURL carries, in the user
// information or as a password parameter, raw or percent-decoded, replaced
// by "xxxxx". An error that mentions none is returned as it is.
func redact(err error, rawURL string) error {
	msg := err.Error()
	changed := false
	for _, secret := range passwords(rawURL) {
		if secret != "" && strings.Contains(msg, secret) {
			msg = strings.ReplaceAll(msg, secret, "xxxxx")
			changed = true
		}
	}
	if !changed {
		return err
	}
	return &redactedError{msg: msg}
}

// passwords lists the forms, raw and percent-decoded, in which rawURL
// carries passwords: in the user information or as password parameters.
// A URL that does not parse is searched by hand for the user information.
func passwords(rawURL string) []string {
	var found []string
	add := func(raw string) {
		if raw == "" {
			return
		}
		found = append(found, raw)
		if decoded, err := url.QueryUnescape(raw); err == nil && decoded != raw {
			found = append(found, decoded)
		}
	}

	u, err := url.Parse(rawURL)
	if err != nil {
		if _, rest, ok := strings.Cut(rawURL, "//"); ok {
			if at := strings.LastIndex(rest, "@"); at >= 0 {
				_, pw, _ := strings.Cut(rest[:at], ":")
				add(pw)
			}
		}
		return found
	}
	if pw, ok := u.User.Password(); ok {
		add(pw)
	}
	if _, pw, ok := strings.Cut(u.User.String(), ":"); ok {
		add(pw)
	}
	for _, part := range strings.Split(u.RawQuery, "&") {
		if pw, ok := strings.CutPrefix(part, "password="); ok {
			add(pw)
		}
	}
	return found
}
