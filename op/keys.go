package op

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	zop "github.com/zitadel/oidc/v3/pkg/op"

	"twofold/config"
	"twofold/storage"
)

// keyCacheTTL bounds how long one process serves keys without rereading the
// database, so a key added by another process is published within it.
const keyCacheTTL = time.Minute

// Keys loads signing keys from the database, decrypts their private parts with
// the key encryption key, and caches them briefly.
type Keys struct {
	store     storage.SigningKeys
	aead      cipher.AEAD
	now       func() time.Time
	keepAfter time.Duration // how long a retired key stays published

	mu       sync.Mutex // guards the fields below
	loadedAt time.Time
	keys     []loadedKey // newest first
}

type loadedKey struct {
	id      string
	alg     jose.SignatureAlgorithm
	private *rsa.PrivateKey
	public  *rsa.PublicKey
	retired bool // publishes but signs nothing new
}

// KeyRetention is how long a retired signing key stays published: past the
// lifetime of the longest-lived token it signed (ID tokens; access tokens
// are opaque, logout tokens live minutes), plus the time a serving process
// may keep signing with a cached key after another process retired it, plus
// an hour for clock skew and relying parties that verify late.
func KeyRetention(l config.Lifetimes) time.Duration {
	return max(l.IDToken, l.AccessToken) + keyCacheTTL + time.Hour
}

// NewKeys returns a key manager. kek must be 32 bytes.
func NewKeys(store storage.SigningKeys, kek []byte, keepAfter time.Duration, now func() time.Time) (*Keys, error) {
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, fmt.Errorf("key encryption key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Keys{store: store, aead: aead, now: now, keepAfter: keepAfter}, nil
}

// Ensure creates an RS256 signing key when the database has none that
// signs.
func (k *Keys) Ensure(ctx context.Context) error {
	keys, err := k.load(ctx, true)
	if err != nil {
		return err
	}
	for _, lk := range keys {
		if !lk.retired {
			return nil
		}
	}
	return k.Rotate(ctx)
}

// Rotate adds a new RS256 signing key, which becomes the one that signs,
// and retires the others: they sign nothing new and stay published for
// keepAfter, so tokens they signed still verify until they expire.
func (k *Keys) Rotate(ctx context.Context) error {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return err
	}
	id := make([]byte, 12)
	if _, err := rand.Read(id); err != nil {
		return err
	}
	kid := base64.RawURLEncoding.EncodeToString(id)
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	sealed := k.aead.Seal(nonce, nonce, der, []byte(kid))
	err = k.store.CreateSigningKey(ctx, &storage.SigningKey{
		ID:                  kid,
		Algorithm:           string(jose.RS256),
		PrivateKeyEncrypted: sealed,
		PublicKey:           pub,
		CreatedAt:           k.now(),
	})
	if err != nil {
		return err
	}
	if _, err := k.store.RetireSigningKeys(ctx, kid, k.now()); err != nil {
		return err
	}
	_, err = k.load(ctx, true)
	return err
}

func (k *Keys) load(ctx context.Context, force bool) ([]loadedKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if !force && k.keys != nil && now.Sub(k.loadedAt) < keyCacheTTL {
		return k.keys, nil
	}
	rows, err := k.store.SigningKeys(ctx, now.Add(-k.keepAfter))
	if err != nil {
		return nil, err
	}
	keys := make([]loadedKey, 0, len(rows))
	for _, row := range rows {
		lk, err := k.decrypt(row)
		if err != nil {
			return nil, err
		}
		keys = append(keys, lk)
	}
	k.keys, k.loadedAt = keys, now
	return keys, nil
}

func (k *Keys) decrypt(row storage.SigningKey) (loadedKey, error) {
	n := k.aead.NonceSize()
	if len(row.PrivateKeyEncrypted) < n {
		return loadedKey{}, fmt.Errorf("signing key %s: stored ciphertext is too short", row.ID)
	}
	der, err := k.aead.Open(nil, row.PrivateKeyEncrypted[:n], row.PrivateKeyEncrypted[n:], []byte(row.ID))
	if err != nil {
		return loadedKey{}, fmt.Errorf("signing key %s: cannot decrypt; is secrets.key_encryption_key the one it was created with?", row.ID)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return loadedKey{}, fmt.Errorf("signing key %s: %w", row.ID, err)
	}
	priv, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return loadedKey{}, fmt.Errorf("signing key %s: not an RSA key", row.ID)
	}
	return loadedKey{id: row.ID, alg: jose.SignatureAlgorithm(row.Algorithm), private: priv, public: &priv.PublicKey,
		retired: row.RetiredAt != nil}, nil
}

var errNoSigningKey = errors.New("no signing key in the database; run twofold serve or twofold keys rotate")

// SigningKey returns the newest key that is not retired.
func (k *Keys) SigningKey(ctx context.Context) (zop.SigningKey, error) {
	keys, err := k.load(ctx, false)
	if err != nil {
		return nil, err
	}
	for _, lk := range keys {
		if !lk.retired {
			return signingKey{lk}, nil
		}
	}
	return nil, errNoSigningKey
}

// KeySet returns the public parts of every published key.
func (k *Keys) KeySet(ctx context.Context) ([]zop.Key, error) {
	keys, err := k.load(ctx, false)
	if err != nil {
		return nil, err
	}
	set := make([]zop.Key, len(keys))
	for i, lk := range keys {
		set[i] = publicKey{lk}
	}
	return set, nil
}

type signingKey struct{ k loadedKey }

func (s signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return s.k.alg }
func (s signingKey) Key() any                                    { return s.k.private }
func (s signingKey) ID() string                                  { return s.k.id }

type publicKey struct{ k loadedKey }

func (p publicKey) ID() string                         { return p.k.id }
func (p publicKey) Algorithm() jose.SignatureAlgorithm { return p.k.alg }
func (p publicKey) Use() string                        { return "sig" }
func (p publicKey) Key() any                           { return p.k.public }
