package demo

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"twofold/password"
	"twofold/storage"
)

// OfficeCode is the demo office's code.
const OfficeCode = "DEMO"

type demoUser struct {
	Username, Password, Role, Mobile string
}

// Users are the demo office's users. Their passwords are printed in the
// README and at start: the demo is for trying twofold, not for production.
var Users = []demoUser{
	{Username: "alice", Password: "demo-alice", Role: "Super user", Mobile: "+31 6 •••• ••78, confirmed"},
	{Username: "bob", Password: "demo-bob", Role: "User", Mobile: "none; asked at first sign-in"},
}

// Secret derives the demo client's secret from the key encryption key, so
// the relying party and the stored hash agree across restarts.
func Secret(kek []byte) string {
	m := hmac.New(sha256.New, kek)
	m.Write([]byte("twofold demo client secret"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Seed creates the demo office, its users and the demo client, once. It
// returns whether anything was created.
func Seed(ctx context.Context, st storage.Store, hasher *password.Hasher, issuer string, kek []byte, now time.Time) (bool, error) {
	if _, err := st.OfficeByCode(ctx, OfficeCode); err == nil {
		return false, nil
	} else if !errors.Is(err, storage.ErrNotFound) {
		return false, err
	}
	office := &storage.Office{ID: newID(), Code: OfficeCode, Name: "Demo Accounting", TwoFactor: true, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateOffice(ctx, office); err != nil {
		return false, fmt.Errorf("create demo office: %w", err)
	}
	users := []struct {
		u   storage.User
		pwd string
	}{
		{storage.User{Username: "alice", Name: "Alice Demo", Email: "alice@example.com", Role: storage.RoleSuperuser,
			Mobile: "+31612345678", MobileConfirmed: true}, Users[0].Password},
		{storage.User{Username: "bob", Name: "Bob Demo", Email: "bob@example.com", Role: storage.RoleUser}, Users[1].Password},
	}
	for _, x := range users {
		u := x.u
		hash, err := hasher.Hash(ctx, x.pwd)
		if err != nil {
			return false, err
		}
		u.ID, u.OfficeID, u.PasswordHash, u.CreatedAt, u.UpdatedAt = newID(), office.ID, hash, now, now
		if err := st.CreateUser(ctx, &u); err != nil {
			return false, fmt.Errorf("create demo user %s: %w", u.Username, err)
		}
	}
	sum := sha256.Sum256([]byte(Secret(kek)))
	client := &storage.Client{
		ID: ClientID, Name: "twofold demo", SecretHash: sum[:],
		RedirectURIs: []string{issuer + "/demo/callback"}, PostLogoutRedirectURIs: []string{issuer + "/demo"},
		CreatedAt: now,
	}
	if err := st.CreateClient(ctx, client); err != nil && !errors.Is(err, storage.ErrConflict) {
		return false, fmt.Errorf("create demo client: %w", err)
	}
	return true, nil
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
