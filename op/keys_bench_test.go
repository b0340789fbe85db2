package op

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	zop "github.com/zitadel/oidc/v3/pkg/op"

	"twofold/storage/sqlite"
)

// BenchmarkSignIDToken measures signing one ID token with the stored RS256
// key, the cost every code and refresh grant pays once.
func BenchmarkSignIDToken(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	keys, err := NewKeys(db, make([]byte, 32), time.Hour, func() time.Time { return time.Now().UTC() })
	if err != nil {
		b.Fatal(err)
	}
	if err := keys.Ensure(ctx); err != nil {
		b.Fatal(err)
	}
	key, err := keys.SigningKey(ctx)
	if err != nil {
		b.Fatal(err)
	}
	signer, err := zop.SignerFromKey(key)
	if err != nil {
		b.Fatal(err)
	}
	payload := []byte(`{"iss":"https://id.example.com","sub":"u","aud":["app"],"exp":2000000000,"iat":1700000000,"auth_time":1700000000,"amr":["pwd","sms","mfa"],"acr":"urn:twofold:acr:password+sms","sid":"s","name":"Anna","preferred_username":"anna","office":{"id":"o","code":"ACME"}}`)
	b.ResetTimer()
	for b.Loop() {
		jws, err := signer.Sign(payload)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := jws.CompactSerialize(); err != nil {
			b.Fatal(err)
		}
	}
}
