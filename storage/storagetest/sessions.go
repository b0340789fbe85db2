package storagetest

import (
	"testing"
	"time"

	"twofold/storage"
)

var sessionTests = []testCase{
	{"RoundTrip", func(t *testing.T, f *fixture) {
		s := f.newSession(t, f.user)
		got, err := f.s.SessionByID(f.ctx, s.ID, t0)
		wantErr(t, "SessionByID", err, nil)
		wantEqual(t, "SessionByID", got, s)
	}},
	{"ExpiryBoundary", func(t *testing.T, f *fixture) {
		s := f.newSession(t, f.user)
		_, err := f.s.SessionByID(f.ctx, s.ID, s.ExpiresAt.Add(-us))
		wantErr(t, "SessionByID just before expiry", err, nil)
		_, err = f.s.SessionByID(f.ctx, s.ID, s.ExpiresAt)
		wantErr(t, "SessionByID at expiry", err, storage.ErrNotFound)
		err = f.s.TouchSession(f.ctx, s.ID, s.ExpiresAt)
		wantErr(t, "TouchSession at expiry", err, storage.ErrNotFound)
		err = f.s.UpdateSessionAuth(f.ctx, s.ID, []string{"pwd", "sms"}, s.ExpiresAt, s.ExpiresAt)
		wantErr(t, "UpdateSessionAuth at expiry", err, storage.ErrNotFound)
	}},
	{"CreatedEnded", func(t *testing.T, f *fixture) {
		ended := t0
		s := &storage.Session{
			ID: newID("session"), UserID: f.user.ID, OfficeID: f.office.ID,
			AuthTime: t0, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour), EndedAt: &ended,
		}
		wantErr(t, "CreateSession", f.s.CreateSession(f.ctx, s), nil)
		_, err := f.s.SessionByID(f.ctx, s.ID, t0)
		wantErr(t, "SessionByID of an ended session", err, storage.ErrNotFound)
	}},
	{"UnknownUser", func(t *testing.T, f *fixture) {
		s := &storage.Session{
			ID: newID("session"), UserID: "missing", OfficeID: f.office.ID,
			AuthTime: t0, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour),
		}
		wantErr(t, "CreateSession for a missing user", f.s.CreateSession(f.ctx, s), storage.ErrNotFound)
	}},
	{"UpdateAuth", func(t *testing.T, f *fixture) {
		s := f.newSession(t, f.user)
		later := t0.Add(5 * time.Minute)
		err := f.s.UpdateSessionAuth(f.ctx, s.ID, []string{"pwd", "sms"}, later, later)
		wantErr(t, "UpdateSessionAuth", err, nil)
		got, err := f.s.SessionByID(f.ctx, s.ID, later)
		wantErr(t, "SessionByID", err, nil)
		want := *s
		want.AMR = []string{"pwd", "sms"}
		want.AuthTime = later
		want.LastSeenAt = later
		wantEqual(t, "SessionByID after UpdateSessionAuth", got, &want)
	}},
	{"Touch", func(t *testing.T, f *fixture) {
		s := f.newSession(t, f.user)
		later := t0.Add(time.Hour)
		wantErr(t, "TouchSession", f.s.TouchSession(f.ctx, s.ID, later), nil)
		got, err := f.s.SessionByID(f.ctx, s.ID, later)
		wantErr(t, "SessionByID", err, nil)
		if !got.LastSeenAt.Equal(later) {
			t.Errorf("LastSeenAt: got %v, want %v", got.LastSeenAt, later)
		}
		wantErr(t, "TouchSession of a missing session", f.s.TouchSession(f.ctx, "missing", later), storage.ErrNotFound)
	}},
	{"EndRevokesTokens", func(t *testing.T, f *fixture) {
		s := f.newSession(t, f.user)
		other := f.newSession(t, f.user)

		// A code exchange in the session, then one refresh.
		r, code := f.newCode(t, s.ID)
		_, err := f.s.ConsumeAuthCode(f.ctx, code, t0)
		wantErr(t, "ConsumeAuthCode", err, nil)
		access := f.newAccessToken(t, "", r.ID)
		rt, _ := f.newRefreshToken(t, s.ID, r.ID)
		next, _ := f.refreshToken(s.ID, r.ID)
		nextAccess := f.accessToken(next.ID, r.ID)
		wantErr(t, "RotateRefreshToken", f.s.RotateRefreshToken(f.ctx, rt.TokenHash, next, nextAccess, t0), nil)
		otherRT, _ := f.newRefreshToken(t, other.ID, "")
		otherAccess := f.newAccessToken(t, otherRT.ID, "")

		wantErr(t, "EndSession", f.s.EndSession(f.ctx, s.ID, t0.Add(time.Minute)), nil)
		_, err = f.s.SessionByID(f.ctx, s.ID, t0.Add(time.Minute))
		wantErr(t, "SessionByID after EndSession", err, storage.ErrNotFound)
		err = f.s.TouchSession(f.ctx, s.ID, t0.Add(time.Minute))
		wantErr(t, "TouchSession after EndSession", err, storage.ErrNotFound)
		f.wantRefreshRevoked(t, next)
		f.wantAccessRevoked(t, access.ID)
		f.wantAccessRevoked(t, nextAccess.ID)

		_, err = f.s.SessionByID(f.ctx, other.ID, t0)
		wantErr(t, "SessionByID of the other session", err, nil)
		f.wantRefreshValid(t, otherRT)
		f.wantAccessValid(t, otherAccess.ID)

		wantErr(t, "EndSession again", f.s.EndSession(f.ctx, s.ID, t0.Add(time.Hour)), nil)
	}},
	{"EndNotFound", func(t *testing.T, f *fixture) {
		wantErr(t, "EndSession", f.s.EndSession(f.ctx, "missing", t0), storage.ErrNotFound)
	}},
	{"EndUserSessions", func(t *testing.T, f *fixture) {
		s1 := f.newSession(t, f.user)
		s2 := f.newSession(t, f.user)
		rt1, _ := f.newRefreshToken(t, s1.ID, "")
		rt2, _ := f.newRefreshToken(t, s2.ID, "")
		access := f.newAccessToken(t, "", "")
		otherUser := f.newUser(t, f.office.ID)
		kept := f.newSession(t, otherUser)

		wantErr(t, "EndUserSessions", f.s.EndUserSessions(f.ctx, f.user.ID, "", t0), nil)
		for _, s := range []*storage.Session{s1, s2} {
			_, err := f.s.SessionByID(f.ctx, s.ID, t0)
			wantErr(t, "SessionByID of an ended session", err, storage.ErrNotFound)
		}
		f.wantRefreshRevoked(t, rt1)
		f.wantRefreshRevoked(t, rt2)
		f.wantAccessRevoked(t, access.ID)
		_, err := f.s.SessionByID(f.ctx, kept.ID, t0)
		wantErr(t, "SessionByID of another user's session", err, nil)

		err = f.s.EndUserSessions(f.ctx, f.user.ID, "", t0)
		wantErr(t, "EndUserSessions without sessions", err, nil)
	}},
	{"EndUserSessionsOfClient", func(t *testing.T, f *fixture) {
		otherClient := f.newClient(t)
		withClient := f.newSession(t, f.user)
		withOther := f.newSession(t, f.user)
		rt, _ := f.newRefreshToken(t, withClient.ID, "")
		otherRT, _ := f.refreshToken(withOther.ID, "")
		otherRT.ClientID = otherClient.ID
		wantErr(t, "CreateRefreshToken", f.s.CreateRefreshToken(f.ctx, otherRT), nil)

		err := f.s.EndUserSessions(f.ctx, f.user.ID, f.client.ID, t0)
		wantErr(t, "EndUserSessions of one client", err, nil)
		_, err = f.s.SessionByID(f.ctx, withClient.ID, t0)
		wantErr(t, "SessionByID of the session with the client", err, storage.ErrNotFound)
		f.wantRefreshRevoked(t, rt)
		_, err = f.s.SessionByID(f.ctx, withOther.ID, t0)
		wantErr(t, "SessionByID of the session with the other client", err, nil)
		f.wantRefreshValid(t, otherRT)
	}},
}
