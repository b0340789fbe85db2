package storagetest

import (
	"errors"
	"testing"
	"time"

	"twofold/storage"
)

var accessTokenTests = []testCase{
	{"RoundTrip", func(t *testing.T, f *fixture) {
		at := f.newAccessToken(t, "rt-1", "authreq-1")
		got, err := f.s.TokenByID(f.ctx, at.ID, t0)
		wantErr(t, "TokenByID", err, nil)
		wantEqual(t, "TokenByID", got, at)
	}},
	{"WithoutUser", func(t *testing.T, f *fixture) {
		at := f.accessToken("", "")
		at.UserID = ""
		wantErr(t, "CreateToken", f.s.CreateToken(f.ctx, at), nil)
		got, err := f.s.TokenByID(f.ctx, at.ID, t0)
		wantErr(t, "TokenByID", err, nil)
		wantEqual(t, "TokenByID", got, at)
	}},
	{"Conflict", func(t *testing.T, f *fixture) {
		at := f.newAccessToken(t, "", "")
		wantErr(t, "CreateToken again", f.s.CreateToken(f.ctx, at), storage.ErrConflict)
	}},
	{"ExpiryBoundary", func(t *testing.T, f *fixture) {
		at := f.newAccessToken(t, "", "")
		_, err := f.s.TokenByID(f.ctx, at.ID, at.ExpiresAt.Add(-us))
		wantErr(t, "TokenByID just before expiry", err, nil)
		_, err = f.s.TokenByID(f.ctx, at.ID, at.ExpiresAt)
		wantErr(t, "TokenByID at expiry", err, storage.ErrNotFound)
	}},
	{"Revoke", func(t *testing.T, f *fixture) {
		at := f.newAccessToken(t, "", "")
		kept := f.newAccessToken(t, "", "")
		wantErr(t, "RevokeToken", f.s.RevokeToken(f.ctx, at.ID, t0), nil)
		f.wantAccessRevoked(t, at.ID)
		f.wantAccessValid(t, kept.ID)
		wantErr(t, "RevokeToken again", f.s.RevokeToken(f.ctx, at.ID, t0), nil)
		wantErr(t, "RevokeToken of a missing token", f.s.RevokeToken(f.ctx, "missing", t0), storage.ErrNotFound)
	}},
	{"NotFound", func(t *testing.T, f *fixture) {
		_, err := f.s.TokenByID(f.ctx, "missing", t0)
		wantErr(t, "TokenByID", err, storage.ErrNotFound)
	}},
}

// rotation is one RotateRefreshToken call's successor tokens.
type rotation struct {
	next   *storage.RefreshToken
	access *storage.Token
}

// newRotation returns, unstored, a successor for a refresh token of session.
func (f *fixture) newRotation(sessionID string) rotation {
	next, _ := f.refreshToken(sessionID, "")
	return rotation{next: next, access: f.accessToken(next.ID, "")}
}

var refreshTokenTests = []testCase{
	{"RoundTrip", func(t *testing.T, f *fixture) {
		rt, _ := f.newRefreshToken(t, "session-1", "authreq-1")
		if rt.FamilyID == "" {
			t.Fatalf("CreateRefreshToken left FamilyID empty")
		}
		got, err := f.s.RefreshTokenByHash(f.ctx, rt.TokenHash, t0)
		wantErr(t, "RefreshTokenByHash", err, nil)
		wantEqual(t, "RefreshTokenByHash", got, rt)
	}},
	{"Conflict", func(t *testing.T, f *fixture) {
		rt, _ := f.newRefreshToken(t, "", "")
		again := *rt
		again.ID = newID("rt")
		wantErr(t, "CreateRefreshToken with a taken hash", f.s.CreateRefreshToken(f.ctx, &again), storage.ErrConflict)
	}},
	{"ExpiryBoundary", func(t *testing.T, f *fixture) {
		rt, _ := f.newRefreshToken(t, "", "")
		_, err := f.s.RefreshTokenByHash(f.ctx, rt.TokenHash, rt.ExpiresAt.Add(-us))
		wantErr(t, "RefreshTokenByHash just before expiry", err, nil)
		_, err = f.s.RefreshTokenByHash(f.ctx, rt.TokenHash, rt.ExpiresAt)
		wantErr(t, "RefreshTokenByHash at expiry", err, storage.ErrNotFound)

		rot := f.newRotation("")
		err = f.s.RotateRefreshToken(f.ctx, rt.TokenHash, rot.next, rot.access, rt.ExpiresAt)
		wantErr(t, "RotateRefreshToken at expiry", err, storage.ErrNotFound)
		err = f.s.RotateRefreshToken(f.ctx, rt.TokenHash, rot.next, rot.access, rt.ExpiresAt.Add(-us))
		wantErr(t, "RotateRefreshToken just before expiry", err, nil)
	}},
	{"Rotate", func(t *testing.T, f *fixture) {
		rt, _ := f.newRefreshToken(t, "session-1", "")
		rot := f.newRotation("session-1")
		later := t0.Add(time.Hour)
		wantErr(t, "RotateRefreshToken", f.s.RotateRefreshToken(f.ctx, rt.TokenHash, rot.next, rot.access, later), nil)

		_, err := f.s.RefreshTokenByHash(f.ctx, rt.TokenHash, later)
		wantErr(t, "RefreshTokenByHash of the used token", err, storage.ErrNotFound)
		got, err := f.s.RefreshTokenByHash(f.ctx, rot.next.TokenHash, later)
		wantErr(t, "RefreshTokenByHash of the successor", err, nil)
		if got.FamilyID != rt.FamilyID {
			t.Errorf("successor family: got %q, want %q", got.FamilyID, rt.FamilyID)
		}
		wantEqual(t, "RefreshTokenByHash of the successor", got, rot.next)
		f.wantAccessValid(t, rot.access.ID)

		// The successor rotates in turn.
		third := f.newRotation("session-1")
		err = f.s.RotateRefreshToken(f.ctx, rot.next.TokenHash, third.next, third.access, later)
		wantErr(t, "RotateRefreshToken of the successor", err, nil)
		f.wantRefreshValid(t, third.next)
	}},
	{"RotateWithoutAccessToken", func(t *testing.T, f *fixture) {
		rt, _ := f.newRefreshToken(t, "", "")
		rot := f.newRotation("")
		wantErr(t, "RotateRefreshToken", f.s.RotateRefreshToken(f.ctx, rt.TokenHash, rot.next, nil, t0), nil)
		f.wantRefreshValid(t, rot.next)
	}},
	{"ReuseRevokesFamily", func(t *testing.T, f *fixture) {
		rt, _ := f.newRefreshToken(t, "", "")
		firstAccess := f.newAccessToken(t, rt.ID, "")
		rot := f.newRotation("")
		wantErr(t, "RotateRefreshToken", f.s.RotateRefreshToken(f.ctx, rt.TokenHash, rot.next, rot.access, t0), nil)
		unrelated, _ := f.newRefreshToken(t, "", "")

		replay := f.newRotation("")
		err := f.s.RotateRefreshToken(f.ctx, rt.TokenHash, replay.next, replay.access, t0.Add(time.Minute))
		wantErr(t, "RotateRefreshToken of the used token", err, storage.ErrReused)
		f.wantRefreshRevoked(t, rot.next)
		f.wantAccessRevoked(t, rot.access.ID)
		f.wantAccessRevoked(t, firstAccess.ID)
		f.wantRefreshRevoked(t, replay.next)
		f.wantRefreshValid(t, unrelated)

		// The revoked successor is refused too, and the replay stays a replay.
		err = f.s.RotateRefreshToken(f.ctx, rot.next.TokenHash, replay.next, replay.access, t0.Add(time.Minute))
		wantErr(t, "RotateRefreshToken of the revoked successor", err, storage.ErrNotFound)
		err = f.s.RotateRefreshToken(f.ctx, rt.TokenHash, replay.next, replay.access, t0.Add(time.Minute))
		wantErr(t, "RotateRefreshToken of the used token again", err, storage.ErrReused)
	}},
	{"RevokeReused", func(t *testing.T, f *fixture) {
		rt, _ := f.newRefreshToken(t, "", "")
		rot := f.newRotation("")
		wantErr(t, "RotateRefreshToken", f.s.RotateRefreshToken(f.ctx, rt.TokenHash, rot.next, rot.access, t0), nil)
		unrelated, _ := f.newRefreshToken(t, "", "")

		err := f.s.RevokeReusedRefreshToken(f.ctx, unrelated.TokenHash, t0)
		wantErr(t, "RevokeReusedRefreshToken of an unused token", err, storage.ErrNotFound)
		f.wantRefreshValid(t, unrelated)
		err = f.s.RevokeReusedRefreshToken(f.ctx, hashOf("never issued"), t0)
		wantErr(t, "RevokeReusedRefreshToken of an unknown token", err, storage.ErrNotFound)

		err = f.s.RevokeReusedRefreshToken(f.ctx, rt.TokenHash, t0.Add(time.Minute))
		wantErr(t, "RevokeReusedRefreshToken of the used token", err, storage.ErrReused)
		f.wantRefreshRevoked(t, rot.next)
		f.wantAccessRevoked(t, rot.access.ID)
		f.wantRefreshValid(t, unrelated)
	}},
	{"RotateUnknown", func(t *testing.T, f *fixture) {
		rot := f.newRotation("")
		err := f.s.RotateRefreshToken(f.ctx, hashOf("never issued"), rot.next, rot.access, t0)
		wantErr(t, "RotateRefreshToken", err, storage.ErrNotFound)
		f.wantRefreshRevoked(t, rot.next)
	}},
	{"RotateConcurrent", func(t *testing.T, f *fixture) {
		rt, _ := f.newRefreshToken(t, "", "")
		const callers = 10
		rotations := make([]rotation, callers)
		for i := range rotations {
			rotations[i] = f.newRotation("")
		}
		errs := concurrently(callers, func(i int) error {
			return f.s.RotateRefreshToken(f.ctx, rt.TokenHash, rotations[i].next, rotations[i].access, t0)
		})
		counts, other := countErrors(errs, nil, storage.ErrReused, storage.ErrNotFound)
		if len(other) > 0 {
			t.Fatalf("unexpected errors: %v", other)
		}
		if counts[0] != 1 {
			t.Fatalf("winning rotations: got %d, want 1 (results %v)", counts[0], errs)
		}

		// Storing a token again is ErrConflict exactly when it is stored, so
		// this counts the successors that exist, revoked or not.
		storedRefresh, storedAccess := 0, 0
		for i, rot := range rotations {
			again := *rot.next
			switch err := f.s.CreateRefreshToken(f.ctx, &again); {
			case errors.Is(err, storage.ErrConflict):
				storedRefresh++
			case err != nil:
				t.Fatalf("probe successor %d: %v", i, err)
			}
			againAccess := *rot.access
			switch err := f.s.CreateToken(f.ctx, &againAccess); {
			case errors.Is(err, storage.ErrConflict):
				storedAccess++
			case err != nil:
				t.Fatalf("probe access token %d: %v", i, err)
			}
		}
		if storedRefresh != 1 {
			t.Errorf("stored successor refresh tokens: got %d, want 1", storedRefresh)
		}
		if storedAccess != 1 {
			t.Errorf("stored successor access tokens: got %d, want 1", storedAccess)
		}
	}},
	{"RevokeDuringRotation", func(t *testing.T, f *fixture) {
		// Whichever runs first, no token of the family may stay valid.
		for round := range 10 {
			s := f.newSession(t, f.user)
			rt, _ := f.newRefreshToken(t, s.ID, "")
			rot := f.newRotation(s.ID)
			errs := concurrently(2, func(i int) error {
				if i == 0 {
					return f.s.RotateRefreshToken(f.ctx, rt.TokenHash, rot.next, rot.access, t0)
				}
				if round%2 == 0 {
					return f.s.RevokeRefreshToken(f.ctx, rt.ID, t0)
				}
				return f.s.EndSession(f.ctx, s.ID, t0)
			})
			if errs[0] != nil && !errors.Is(errs[0], storage.ErrNotFound) {
				t.Fatalf("round %d: RotateRefreshToken: %v", round, errs[0])
			}
			if errs[1] != nil {
				t.Fatalf("round %d: revocation: %v", round, errs[1])
			}
			f.wantRefreshRevoked(t, rt)
			f.wantRefreshRevoked(t, rot.next)
			f.wantAccessRevoked(t, rot.access.ID)
		}
	}},
	{"Revoke", func(t *testing.T, f *fixture) {
		rt, _ := f.newRefreshToken(t, "", "")
		firstAccess := f.newAccessToken(t, rt.ID, "")
		rot := f.newRotation("")
		wantErr(t, "RotateRefreshToken", f.s.RotateRefreshToken(f.ctx, rt.TokenHash, rot.next, rot.access, t0), nil)
		unrelated, _ := f.newRefreshToken(t, "", "")
		unrelatedAccess := f.newAccessToken(t, unrelated.ID, "")

		// Revoking the used first token reaches the whole family.
		wantErr(t, "RevokeRefreshToken", f.s.RevokeRefreshToken(f.ctx, rt.ID, t0), nil)
		f.wantRefreshRevoked(t, rot.next)
		f.wantAccessRevoked(t, rot.access.ID)
		f.wantAccessRevoked(t, firstAccess.ID)
		f.wantRefreshValid(t, unrelated)
		f.wantAccessValid(t, unrelatedAccess.ID)

		wantErr(t, "RevokeRefreshToken again", f.s.RevokeRefreshToken(f.ctx, rt.ID, t0), nil)
		wantErr(t, "RevokeRefreshToken of a missing token", f.s.RevokeRefreshToken(f.ctx, "missing", t0), storage.ErrNotFound)

		next := f.newRotation("")
		err := f.s.RotateRefreshToken(f.ctx, rot.next.TokenHash, next.next, next.access, t0)
		wantErr(t, "RotateRefreshToken of a revoked token", err, storage.ErrNotFound)
	}},
}

var deleteExpiredTests = []testCase{
	{"OnlyExpired", func(t *testing.T, f *fixture) {
		cutoff := t0.Add(time.Hour)
		expiring := func(at time.Time) func(r *storage.AuthRequest) {
			return func(r *storage.AuthRequest) { r.ExpiresAt = at }
		}

		// Expired at the cutoff: a request with a challenge (2 rows), a
		// session, an access token and a refresh token.
		goneRequest := f.newAuthRequest(t, expiring(cutoff))
		goneChallenge := f.newChallengeFor(t, goneRequest.ID, "123456", t0)
		goneSession := &storage.Session{
			ID: newID("session"), UserID: f.user.ID, OfficeID: f.office.ID,
			AuthTime: t0, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: cutoff,
		}
		wantErr(t, "CreateSession", f.s.CreateSession(f.ctx, goneSession), nil)
		goneAccess := f.accessToken("", "")
		goneAccess.ExpiresAt = cutoff.Add(-time.Minute)
		wantErr(t, "CreateToken", f.s.CreateToken(f.ctx, goneAccess), nil)
		goneRefresh, _ := f.refreshToken("", "")
		goneRefresh.ExpiresAt = cutoff
		wantErr(t, "CreateRefreshToken", f.s.CreateRefreshToken(f.ctx, goneRefresh), nil)

		// Live at the cutoff.
		keptRequest := f.newAuthRequest(t, expiring(cutoff.Add(us)))
		keptChallenge := f.newChallengeFor(t, keptRequest.ID, "123456", t0)
		keptSession := f.newSession(t, f.user)
		keptAccess := f.accessToken("", "")
		keptAccess.ExpiresAt = cutoff.Add(us)
		wantErr(t, "CreateToken", f.s.CreateToken(f.ctx, keptAccess), nil)
		keptRefresh, _ := f.newRefreshToken(t, "", "")
		// An expired request whose code outlives the cutoff stays for the code.
		codeRequest := f.newAuthRequest(t, expiring(cutoff))
		wantErr(t, "CompleteAuthRequest",
			f.s.CompleteAuthRequest(f.ctx, codeRequest.ID, storage.AuthResult{UserID: f.user.ID, AuthTime: t0}, t0), nil)
		code := hashOf("late code")
		wantErr(t, "SaveAuthCode", f.s.SaveAuthCode(f.ctx, codeRequest.ID, code, cutoff.Add(time.Minute)), nil)

		n, err := f.s.DeleteExpired(f.ctx, cutoff)
		wantErr(t, "DeleteExpired", err, nil)
		if n != 5 {
			t.Errorf("DeleteExpired: got %d rows, want 5", n)
		}
		n, err = f.s.DeleteExpired(f.ctx, cutoff)
		wantErr(t, "DeleteExpired again", err, nil)
		if n != 0 {
			t.Errorf("DeleteExpired again: got %d rows, want 0", n)
		}

		// A deleted row can be stored again under its id; a kept one cannot.
		wantErr(t, "CreateAuthRequest of the deleted request", f.s.CreateAuthRequest(f.ctx, goneRequest), nil)
		wantErr(t, "CreateChallenge of the deleted challenge", f.s.CreateChallenge(f.ctx, goneChallenge), nil)
		wantErr(t, "CreateSession of the deleted session", f.s.CreateSession(f.ctx, goneSession), nil)
		wantErr(t, "CreateToken of the deleted token", f.s.CreateToken(f.ctx, goneAccess), nil)
		wantErr(t, "CreateRefreshToken of the deleted token", f.s.CreateRefreshToken(f.ctx, goneRefresh), nil)

		_, err = f.s.AuthRequestByID(f.ctx, keptRequest.ID, t0)
		wantErr(t, "AuthRequestByID of the kept request", err, nil)
		active, err := f.s.ActiveChallenge(f.ctx, keptRequest.ID)
		wantErr(t, "ActiveChallenge of the kept request", err, nil)
		if active.ID != keptChallenge.ID {
			t.Errorf("ActiveChallenge of the kept request: got %s, want %s", active.ID, keptChallenge.ID)
		}
		_, err = f.s.SessionByID(f.ctx, keptSession.ID, t0)
		wantErr(t, "SessionByID of the kept session", err, nil)
		f.wantAccessValid(t, keptAccess.ID)
		f.wantRefreshValid(t, keptRefresh)
		_, err = f.s.ConsumeAuthCode(f.ctx, code, cutoff)
		wantErr(t, "ConsumeAuthCode of the kept code", err, nil)
	}},
}
