package login

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"twofold/storage"
	"twofold/storage/sqlite"
)

// BenchmarkVerifyCode measures entering a right SMS code: the keyed hash and
// the guarded update that marks the challenge verified, on SQLite.
func BenchmarkVerifyCode(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	h := &Handler{Options{Store: db, CodeKey: [32]byte{1}}}
	office := &storage.Office{ID: "o", Code: "BENCH", Name: "Bench", TwoFactor: true, CreatedAt: now, UpdatedAt: now}
	user := &storage.User{ID: "u", OfficeID: "o", Username: "u", Role: storage.RoleUser, PasswordHash: "x",
		Mobile: "+31612345678", MobileConfirmed: true, CreatedAt: now, UpdatedAt: now}
	client := &storage.Client{ID: "c", Name: "c", RedirectURIs: []string{"https://x/cb"}, CreatedAt: now}
	for _, err := range []error{db.CreateOffice(ctx, office), db.CreateUser(ctx, user), db.CreateClient(ctx, client)} {
		if err != nil {
			b.Fatal(err)
		}
	}
	ids := make([]string, b.N)
	for i := range ids {
		ar := &storage.AuthRequest{ID: fmt.Sprintf("ar%d", i), ClientID: "c", RedirectURI: "https://x/cb",
			Scopes: []string{"openid"}, ResponseType: "code", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := db.CreateAuthRequest(ctx, ar); err != nil {
			b.Fatal(err)
		}
		ch := &storage.Challenge{ID: fmt.Sprintf("ch%d", i), AuthRequestID: ar.ID, UserID: "u", Mobile: user.Mobile,
			Purpose: storage.PurposeVerify, Sends: 1, LastSentAt: now, ExpiresAt: now.Add(5 * time.Minute), CreatedAt: now}
		ch.CodeHash = h.codeHash(ch.ID, "123456")
		if err := db.CreateChallenge(ctx, ch); err != nil {
			b.Fatal(err)
		}
		ids[i] = ch.ID
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, _, err := db.CheckChallenge(ctx, ids[i], h.codeHash(ids[i], "123456"), MaxCodeAttempts, now)
		if err != nil || res != storage.CheckOK {
			b.Fatalf("CheckChallenge = %v, %v", res, err)
		}
	}
}
