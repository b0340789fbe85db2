package op

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"

	"github.com/rs/cors"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	zop "github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// DeriveKey derives a purpose-bound 32-byte key from the key encryption key,
// so one configured secret yields independent keys for each use.
func DeriveKey(kek []byte, purpose string) [32]byte {
	m := hmac.New(sha256.New, kek)
	m.Write([]byte("twofold key derivation\x00" + purpose))
	var key [32]byte
	copy(key[:], m.Sum(nil))
	return key
}

// supportedClaims are the claims twofold issues (OpenID Connect Discovery
// 1.0, section 3, claims_supported).
var supportedClaims = []string{
	"sub", "aud", "exp", "iat", "iss", "auth_time", "nonce", "acr", "amr", "azp", "sid", "at_hash",
	"name", "preferred_username", "email", "email_verified", "office",
}

// NewProvider builds the OpenID provider over the storage adapter. Routes
// are relative, so the provider is mounted at the issuer's root.
func NewProvider(issuer string, kek []byte, st *Storage) (*zop.Provider, error) {
	cfg := &zop.Config{
		CryptoKey:                DeriveKey(kek, "op tokens"),
		CryptoKeyId:              "1",
		DefaultLogoutRedirectURI: "/logged-out",
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		GrantTypeRefreshToken:    true,
		RequestObjectSupported:   false,
		SupportedUILocales:       []language.Tag{language.English, language.Dutch},
		SupportedScopes:          supportedScopes,
		SupportedClaims:          supportedClaims,
	}
	opts := []zop.Option{
		// Cross-origin calls are refused until origins are configured per
		// client; the library's default would echo any origin.
		zop.WithCORSOptions(&cors.Options{AllowOriginFunc: func(string) bool { return false }}),
	}
	if len(issuer) >= 7 && issuer[:7] == "http://" {
		opts = append(opts, zop.WithAllowInsecure())
	}
	p, err := zop.NewProvider(cfg, st, zop.StaticIssuer(issuer), opts...)
	if err != nil {
		return nil, fmt.Errorf("build OpenID provider: %w", err)
	}
	return p, nil
}

// ErrLoginRequired is answered to prompt=none without a usable session.
func ErrLoginRequired() error { return oidc.ErrLoginRequired() }
