// Package storagetest is the conformance suite that every storage.Store
// backend runs, so that all backends behave alike.
//
// Every time in the suite is a fixed UTC instant with microsecond precision,
// so stored values compare equal after a round trip and expiry is tested at
// its exact boundary without sleeping.
package storagetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"twofold/storage"
)

// Run runs the suite. open must return an empty store with the schema
// applied, a fresh one on every call, and close it when t ends (with
// t.Cleanup). Run calls it once per subtest.
func Run(t *testing.T, open func(t *testing.T) storage.Store) {
	groups := []struct {
		name  string
		cases []testCase
	}{
		{"Offices", officeTests},
		{"Users", userTests},
		{"Clients", clientTests},
		{"AuthRequests", authRequestTests},
		{"AuthCodes", authCodeTests},
		{"Sessions", sessionTests},
		{"Challenges", challengeTests},
		{"AccessTokens", accessTokenTests},
		{"RefreshTokens", refreshTokenTests},
		{"SigningKeys", signingKeyTests},
		{"DeleteExpired", deleteExpiredTests},
		{"AdminUsers", adminUserTests},
		{"Roles", roleTests},
		{"OfficePolicy", officePolicyTests},
		{"OfficePolicySessions", officePolicySessionTests},
		{"Audit", auditTests},
		{"MobileChanges", mobileChangeTests},
		{"ClientAdmin", clientAdminTests},
		{"SessionClients", sessionClientTests},
		{"LogoutDeliveries", logoutDeliveryTests},
		{"CodeReplay", codeReplayTests},
		{"SigningKeyRetirement", signingKeyRetireTests},
		{"SMSLimits", smsLimitTests},
		{"SMSStats", smsStatsTests},
		{"OfficeSMSCountries", officeSMSCountryTests},
		{"PhoneStats", phoneStatsTests},
		{"LoginThrottle", loginThrottleTests},
	}
	t.Run("Ping", func(t *testing.T) {
		if err := open(t).Ping(t.Context()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.cases {
				t.Run(tc.name, func(t *testing.T) {
					tc.run(t, newFixture(t, open(t)))
				})
			}
		})
	}
}

// testCase is one subtest of the suite.
type testCase struct {
	name string
	run  func(t *testing.T, f *fixture)
}

// t0 is the suite's "now". Every other time is an offset from it.
var t0 = time.Date(2031, time.March, 4, 5, 6, 7, 123456000, time.UTC)

// us is one microsecond, the precision in which stores keep times.
const us = time.Microsecond

// fixture is a fresh store with one office, one user of it and one client.
type fixture struct {
	s      storage.Store
	ctx    context.Context
	office *storage.Office
	user   *storage.User
	client *storage.Client
}

func newFixture(t *testing.T, s storage.Store) *fixture {
	t.Helper()
	f := &fixture{s: s, ctx: t.Context()}
	f.office = f.newOffice(t)
	f.user = f.newUser(t, f.office.ID)
	f.client = f.newClient(t)
	return f
}

// newID returns a random id with a readable prefix.
func newID(prefix string) string {
	b := make([]byte, 8)
	rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// hashOf returns the SHA-256 of s, standing in for the hash of a code,
// token or cookie.
func hashOf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func (f *fixture) newOffice(t *testing.T) *storage.Office {
	t.Helper()
	o := &storage.Office{
		ID:        newID("office"),
		Code:      strings.ToUpper(newID("off")),
		Name:      "Example & Partners",
		CreatedAt: t0,
		UpdatedAt: t0,
	}
	if err := f.s.CreateOffice(f.ctx, o); err != nil {
		t.Fatalf("CreateOffice: %v", err)
	}
	return o
}

func (f *fixture) newUser(t *testing.T, officeID string) *storage.User {
	t.Helper()
	u := &storage.User{
		ID:           newID("user"),
		OfficeID:     officeID,
		Username:     "Anna." + newID("")[1:7],
		Name:         "Anna Andersson",
		Email:        "anna@example.com",
		Role:         storage.RoleAccountant,
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
		CreatedAt:    t0,
		UpdatedAt:    t0,
	}
	if err := f.s.CreateUser(f.ctx, u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return u
}

func (f *fixture) newClient(t *testing.T) *storage.Client {
	t.Helper()
	c := &storage.Client{
		ID:                     newID("client"),
		Name:                   "Ledger",
		SecretHash:             hashOf("client secret"),
		RedirectURIs:           []string{"https://ledger.example.com/callback"},
		PostLogoutRedirectURIs: []string{"https://ledger.example.com/"},
		CreatedAt:              t0,
	}
	if err := f.s.CreateClient(f.ctx, c); err != nil {
		t.Fatalf("CreateClient: %v", err)
	}
	return c
}

// newAuthRequest stores an unfinished request of the fixture's client that
// expires 10 minutes after t0. edit, if not nil, changes it before storing.
func (f *fixture) newAuthRequest(t *testing.T, edit func(r *storage.AuthRequest)) *storage.AuthRequest {
	t.Helper()
	r := &storage.AuthRequest{
		ID:                  newID("authreq"),
		ClientID:            f.client.ID,
		RedirectURI:         f.client.RedirectURIs[0],
		State:               "state-1",
		Nonce:               "nonce-1",
		Scopes:              []string{"openid", "profile", "offline_access"},
		ResponseType:        "code",
		CodeChallenge:       "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		CodeChallengeMethod: "S256",
		CreatedAt:           t0,
		ExpiresAt:           t0.Add(10 * time.Minute),
	}
	if edit != nil {
		edit(r)
	}
	if err := f.s.CreateAuthRequest(f.ctx, r); err != nil {
		t.Fatalf("CreateAuthRequest: %v", err)
	}
	return r
}

// newCode stores a request, completes it in session sessionID and saves an
// authorization code for it that expires one minute after t0. It returns the
// request and the code's hash.
func (f *fixture) newCode(t *testing.T, sessionID string) (*storage.AuthRequest, []byte) {
	t.Helper()
	r := f.newAuthRequest(t, nil)
	res := storage.AuthResult{
		UserID:    f.user.ID,
		SessionID: sessionID,
		AMR:       []string{"pwd"},
		AuthTime:  t0,
	}
	if err := f.s.CompleteAuthRequest(f.ctx, r.ID, res, t0); err != nil {
		t.Fatalf("CompleteAuthRequest: %v", err)
	}
	code := hashOf(newID("code"))
	if err := f.s.SaveAuthCode(f.ctx, r.ID, code, t0.Add(time.Minute)); err != nil {
		t.Fatalf("SaveAuthCode: %v", err)
	}
	return r, code
}

// newSession stores a session of user that expires 8 hours after t0.
func (f *fixture) newSession(t *testing.T, user *storage.User) *storage.Session {
	t.Helper()
	s := &storage.Session{
		ID:         newID("session"),
		UserID:     user.ID,
		OfficeID:   user.OfficeID,
		AMR:        []string{"pwd"},
		AuthTime:   t0,
		CreatedAt:  t0,
		LastSeenAt: t0,
		ExpiresAt:  t0.Add(8 * time.Hour),
	}
	if err := f.s.CreateSession(f.ctx, s); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	return s
}

// refreshToken returns, unstored, a refresh token of the fixture's client
// and user that expires 30 days after t0, and the secret it hashes.
func (f *fixture) refreshToken(sessionID, authRequestID string) (*storage.RefreshToken, string) {
	secret := newID("refresh")
	return &storage.RefreshToken{
		ID:            newID("rt"),
		TokenHash:     hashOf(secret),
		ClientID:      f.client.ID,
		UserID:        f.user.ID,
		SessionID:     sessionID,
		AuthRequestID: authRequestID,
		Scopes:        []string{"openid", "offline_access"},
		Audience:      []string{f.client.ID},
		AMR:           []string{"pwd"},
		ACR:           "urn:twofold:acr:pwd",
		AuthTime:      t0,
		CreatedAt:     t0,
		ExpiresAt:     t0.Add(30 * 24 * time.Hour),
	}, secret
}

// newRefreshToken stores a refresh token as refreshToken returns it.
func (f *fixture) newRefreshToken(t *testing.T, sessionID, authRequestID string) (*storage.RefreshToken, string) {
	t.Helper()
	rt, secret := f.refreshToken(sessionID, authRequestID)
	if err := f.s.CreateRefreshToken(f.ctx, rt); err != nil {
		t.Fatalf("CreateRefreshToken: %v", err)
	}
	return rt, secret
}

// accessToken returns, unstored, an access token of the fixture's client and
// user that expires one hour after t0.
func (f *fixture) accessToken(refreshTokenID, authRequestID string) *storage.Token {
	return &storage.Token{
		ID:             newID("at"),
		ClientID:       f.client.ID,
		UserID:         f.user.ID,
		Scopes:         []string{"openid"},
		Audience:       []string{f.client.ID},
		RefreshTokenID: refreshTokenID,
		AuthRequestID:  authRequestID,
		ExpiresAt:      t0.Add(time.Hour),
		CreatedAt:      t0,
	}
}

// newAccessToken stores an access token as accessToken returns it.
func (f *fixture) newAccessToken(t *testing.T, refreshTokenID, authRequestID string) *storage.Token {
	t.Helper()
	at := f.accessToken(refreshTokenID, authRequestID)
	if err := f.s.CreateToken(f.ctx, at); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	return at
}

// wantAccessValid fails t unless the access token is found at t0.
func (f *fixture) wantAccessValid(t *testing.T, id string) {
	t.Helper()
	if _, err := f.s.TokenByID(f.ctx, id, t0); err != nil {
		t.Errorf("TokenByID(%s): got error %v, want the token", id, err)
	}
}

// wantAccessRevoked fails t unless the access token is not found at t0.
func (f *fixture) wantAccessRevoked(t *testing.T, id string) {
	t.Helper()
	if _, err := f.s.TokenByID(f.ctx, id, t0); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("TokenByID(%s): got error %v, want ErrNotFound", id, err)
	}
}

// wantRefreshValid fails t unless the refresh token is found at t0.
func (f *fixture) wantRefreshValid(t *testing.T, rt *storage.RefreshToken) {
	t.Helper()
	if _, err := f.s.RefreshTokenByHash(f.ctx, rt.TokenHash, t0); err != nil {
		t.Errorf("RefreshTokenByHash(%s): got error %v, want the token", rt.ID, err)
	}
}

// wantRefreshRevoked fails t unless the refresh token is not found at t0.
func (f *fixture) wantRefreshRevoked(t *testing.T, rt *storage.RefreshToken) {
	t.Helper()
	if _, err := f.s.RefreshTokenByHash(f.ctx, rt.TokenHash, t0); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("RefreshTokenByHash(%s): got error %v, want ErrNotFound", rt.ID, err)
	}
}

// wantErr fails t now unless err is target (nil for success).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if target == nil && err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

// wantEqual fails t unless got and want are deeply equal.
func wantEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// concurrently runs fn(0) to fn(n-1) in n goroutines released together,
// and returns what each returned.
func concurrently[T any](n int, fn func(i int) T) []T {
	results := make([]T, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			results[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return results
}

// countErrors counts the errors that match each target, where a nil
// target counts successes. It also describes, with its index, every error
// that matches no target.
func countErrors(errs []error, targets ...error) (counts []int, other []string) {
	counts = make([]int, len(targets))
	for i, err := range errs {
		matched := false
		for j, target := range targets {
			if (target == nil && err == nil) || (target != nil && errors.Is(err, target)) {
				counts[j]++
				matched = true
				break
			}
		}
		if !matched {
			other = append(other, fmt.Sprintf("#%d: %v", i, err))
		}
	}
	return counts, other
}
