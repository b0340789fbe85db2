// Package config holds twofold's configuration: a YAML file with TWOFOLD_*
// environment overrides, validated all at once.
//
// | Environment variable         | YAML key                   | Default            |
// |------------------------------|----------------------------|--------------------|
// | TWOFOLD_ISSUER               | issuer                     | http://localhost:8080 |
// | TWOFOLD_LISTEN               | listen                     | 127.0.0.1:8080     |
// | TWOFOLD_METRICS_LISTEN       | metrics_listen             | (none)             |
// | TWOFOLD_DATABASE_URL         | database_url               | sqlite:twofold.db  |
// | TWOFOLD_SMS_SENDER           | sms.sender                 | console            |
// | TWOFOLD_SMS_FILE             | sms.file                   |                    |
// | TWOFOLD_COOKIE_KEYS          | secrets.cookie_keys        | generated on SQLite |
// | TWOFOLD_KEY_ENCRYPTION_KEY   | secrets.key_encryption_key | generated on SQLite |
// | TWOFOLD_LOG_FORMAT           | log_format                 | text               |
// | TWOFOLD_TRUSTED_PROXIES      | trusted_proxies            | none               |
// | TWOFOLD_SMS_ALLOWED_COUNTRIES | sms.allowed_countries     | none               |
// | TWOFOLD_PHONE_DEFAULT_COUNTRIES | phone.default_countries | NL,BE,DE,GB,FR,US |
//
// TWOFOLD_COOKIE_KEYS is a comma-separated list; the first key signs and
// encrypts new cookies and every key decodes, so keys can be rotated.
// TWOFOLD_TRUSTED_PROXIES, TWOFOLD_SMS_ALLOWED_COUNTRIES and
// TWOFOLD_PHONE_DEFAULT_COUNTRIES are comma-separated lists too.
package config

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"twofold/clientip"
	"twofold/sms"
)

// Config is the whole configuration.
type Config struct {
	Issuer        string        `yaml:"issuer"`
	Listen        string        `yaml:"listen"`
	MetricsListen string        `yaml:"metrics_listen"` // host:port for /metrics; empty serves none
	DatabaseURL   string        `yaml:"database_url"`
	LogFormat     string        `yaml:"log_format"` // text or json
	Secrets       Secrets       `yaml:"secrets"`
	SMS           sms.Config    `yaml:"sms"`
	Phone         Phone         `yaml:"phone"`
	Lifetimes     Lifetimes     `yaml:"lifetimes"`
	Product       string        `yaml:"product_name"`
	Shutdown      time.Duration `yaml:"shutdown_timeout"`
	// TrustedProxies are the CIDR prefixes of reverse proxies whose
	// X-Forwarded-For header names the client (see package clientip).
	TrustedProxies []string `yaml:"trusted_proxies"`
}

// Secrets are the keys every replica on one database must share.
type Secrets struct {
	// CookieKeys are base64 strings of 64 random bytes each: 32 bytes of HMAC
	// key followed by 32 bytes of AES-256 key.
	CookieKeys []string `yaml:"cookie_keys"`
	// KeyEncryptionKey is base64 of 32 random bytes. It encrypts signing keys
	// in the database, and keys for codes and opaque tokens are derived from it.
	KeyEncryptionKey string `yaml:"key_encryption_key"`
}

// Lifetimes bound how long issued things stay valid.
type Lifetimes struct {
	AccessToken  time.Duration `yaml:"access_token"`
	IDToken      time.Duration `yaml:"id_token"`
	RefreshToken time.Duration `yaml:"refresh_token"`
	Session      time.Duration `yaml:"session"`
	SessionIdle  time.Duration `yaml:"session_idle"`
	AuthRequest  time.Duration `yaml:"auth_request"`
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		Issuer:      "http://localhost:8080",
		Listen:      "127.0.0.1:8080",
		DatabaseURL: "sqlite:twofold.db",
		LogFormat:   "text",
		SMS:         sms.Config{Sender: "console"},
		Phone:       defaultPhone(),
		Product:     "twofold",
		Shutdown:    15 * time.Second,
		Lifetimes: Lifetimes{
			AccessToken:  15 * time.Minute,
			IDToken:      time.Hour,
			RefreshToken: 30 * 24 * time.Hour,
			Session:      12 * time.Hour,
			SessionIdle:  2 * time.Hour,
			AuthRequest:  30 * time.Minute,
		},
	}
}

// Load reads the YAML file at path (none when path is empty) over the
// defaults, then applies environment overrides read through getenv.
func Load(path string, getenv func(string) string) (Config, error) {
	cfg := Default()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("read config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			return cfg, fmt.Errorf("parse config %s: %w", path, err)
		}
	}
	overrides := []struct {
		name string
		dst  *string
	}{
		{"TWOFOLD_ISSUER", &cfg.Issuer},
		{"TWOFOLD_LISTEN", &cfg.Listen},
		{"TWOFOLD_METRICS_LISTEN", &cfg.MetricsListen},
		{"TWOFOLD_DATABASE_URL", &cfg.DatabaseURL},
		{"TWOFOLD_SMS_SENDER", &cfg.SMS.Sender},
		{"TWOFOLD_SMS_FILE", &cfg.SMS.File},
		{"TWOFOLD_KEY_ENCRYPTION_KEY", &cfg.Secrets.KeyEncryptionKey},
		{"TWOFOLD_LOG_FORMAT", &cfg.LogFormat},
	}
	for _, o := range overrides {
		if v := getenv(o.name); v != "" {
			*o.dst = v
		}
	}
	if v := getenv("TWOFOLD_TRUSTED_PROXIES"); v != "" {
		cfg.TrustedProxies = strings.Split(v, ",")
	}
	if v := getenv("TWOFOLD_SMS_ALLOWED_COUNTRIES"); v != "" {
		cfg.SMS.AllowedCountries = strings.Split(v, ",")
	}
	if v := getenv("TWOFOLD_COOKIE_KEYS"); v != "" {
		cfg.Secrets.CookieKeys = strings.Split(v, ",")
	}
	if v := getenv("TWOFOLD_PHONE_DEFAULT_COUNTRIES"); v != "" {
		cfg.Phone.DefaultCountries = strings.Split(v, ",")
	}
	cfg.Phone.normalize()
	cfg.Issuer = strings.TrimRight(cfg.Issuer, "/")
	return cfg, nil
}

// IsSQLite reports whether the database URL names an SQLite file.
func (c Config) IsSQLite() bool { return strings.HasPrefix(c.DatabaseURL, "sqlite:") }

// Secure reports whether the issuer is https, which makes cookies Secure.
func (c Config) Secure() bool { return strings.HasPrefix(c.Issuer, "https://") }

// Validate reports every problem at once. Secrets may be missing here; the
// caller generates them for SQLite or rejects their absence for PostgreSQL
// with ValidateSecrets.
func (c Config) Validate() error {
	var errs []error
	u, err := url.Parse(c.Issuer)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		errs = append(errs, fmt.Errorf("issuer must be an absolute http or https URL, got %q", c.Issuer))
	case u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/"):
		errs = append(errs, fmt.Errorf("issuer must have no path, query or fragment, got %q", c.Issuer))
	case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
		errs = append(errs, fmt.Errorf("issuer must be https unless its host is localhost or a loopback address, got %q", c.Issuer))
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("listen must be host:port, got %q", c.Listen))
	}
	if c.MetricsListen != "" {
		if _, _, err := net.SplitHostPort(c.MetricsListen); err != nil {
			errs = append(errs, fmt.Errorf("metrics_listen must be host:port, got %q", c.MetricsListen))
		}
	}
	if !c.IsSQLite() && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, errors.New("database_url must be sqlite:PATH or a postgres:// URL"))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("log_format must be text or json, got %q", c.LogFormat))
	}
	if _, err := clientip.ParsePrefixes(c.TrustedProxies); err != nil {
		errs = append(errs, fmt.Errorf("trusted_proxies%w", err))
	}
	if err := c.SMS.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Phone.Validate(); err != nil {
		errs = append(errs, err)
	}
	l := c.Lifetimes
	for name, d := range map[string]time.Duration{
		"lifetimes.access_token": l.AccessToken, "lifetimes.id_token": l.IDToken,
		"lifetimes.refresh_token": l.RefreshToken, "lifetimes.session": l.Session,
		"lifetimes.auth_request": l.AuthRequest, "lifetimes.session_idle": l.SessionIdle,
	} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be a positive duration such as 15m", name))
		}
	}
	if len(c.Secrets.CookieKeys) > 0 || c.Secrets.KeyEncryptionKey != "" {
		if err := c.ValidateSecrets(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ValidateSecrets checks that both secrets are set and well formed. The
// messages name the setting, never its value.
func (c Config) ValidateSecrets() error {
	var errs []error
	if len(c.Secrets.CookieKeys) == 0 {
		errs = append(errs, errors.New("secrets.cookie_keys (TWOFOLD_COOKIE_KEYS) is missing"))
	}
	for i, k := range c.Secrets.CookieKeys {
		if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(k)); err != nil || len(b) != 64 {
			errs = append(errs, fmt.Errorf("secrets.cookie_keys[%d] must be base64 of 64 bytes", i))
		}
	}
	if c.Secrets.KeyEncryptionKey == "" {
		errs = append(errs, errors.New("secrets.key_encryption_key (TWOFOLD_KEY_ENCRYPTION_KEY) is missing"))
	} else if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(c.Secrets.KeyEncryptionKey)); err != nil || len(b) != 32 {
		errs = append(errs, errors.New("secrets.key_encryption_key must be base64 of 32 bytes"))
	}
	return errors.Join(errs...)
}

// CookieKeyPairs decodes the cookie keys into the hash and block key pairs
// that securecookie.CodecsFromPairs takes. Call ValidateSecrets first.
func (c Config) CookieKeyPairs() [][]byte {
	var pairs [][]byte
	for _, k := range c.Secrets.CookieKeys {
		b, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(k))
		pairs = append(pairs, b[:32], b[32:])
	}
	return pairs
}

// KEK decodes the key encryption key. Call ValidateSecrets first.
func (c Config) KEK() []byte {
	b, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(c.Secrets.KeyEncryptionKey))
	return b
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
