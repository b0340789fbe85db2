package storagetest

import (
	"testing"
	"time"

	"twofold/storage"
)

// backchannelURI is the back-channel logout URI of clients that take
// logout tokens.
const backchannelURI = "https://ledger.example.com/backchannel-logout"

var clientAdminTests = []testCase{
	{"UpdateRoundTrip", func(t *testing.T, f *fixture) {
		c := *f.client
		c.Name = "Ledger 2"
		c.RedirectURIs = []string{"https://ledger.example.com/cb2"}
		c.PostLogoutRedirectURIs = []string{"https://ledger.example.com/bye", "https://ledger.example.com/"}
		c.TokenEndpointAuthMethod = storage.AuthMethodPost
		c.BackchannelLogoutURI = backchannelURI
		c.CreatedAt = t0.Add(time.Hour)
		wantErr(t, "UpdateClient", f.s.UpdateClient(f.ctx, &c), nil)
		got, err := f.s.ClientByID(f.ctx, c.ID)
		wantErr(t, "ClientByID", err, nil)
		want := c
		want.CreatedAt = f.client.CreatedAt
		wantEqual(t, "ClientByID after UpdateClient", got, &want)
	}},
	{"UpdateMissing", func(t *testing.T, f *fixture) {
		c := *f.client
		c.ID = "missing"
		wantErr(t, "UpdateClient of a missing client", f.s.UpdateClient(f.ctx, &c), storage.ErrNotFound)
	}},
	{"List", func(t *testing.T, f *fixture) {
		other := &storage.Client{ID: "a-" + newID("client"), Name: "First", Public: true,
			TokenEndpointAuthMethod: storage.AuthMethodNone, RedirectURIs: []string{"https://a.example.com/cb"}, CreatedAt: t0}
		wantErr(t, "CreateClient", f.s.CreateClient(f.ctx, other), nil)
		got, err := f.s.ListClients(f.ctx)
		wantErr(t, "ListClients", err, nil)
		wantEqual(t, "ListClients, by id", got, []storage.Client{*other, *f.client})
	}},
	{"AuthMethodDefault", func(t *testing.T, f *fixture) {
		if got := f.client.AuthMethod(); got != storage.AuthMethodBasic {
			t.Errorf("confidential client without a method: AuthMethod() = %q, want client_secret_basic", got)
		}
		public := storage.Client{Public: true}
		if got := public.AuthMethod(); got != storage.AuthMethodNone {
			t.Errorf("public client without a method: AuthMethod() = %q, want none", got)
		}
	}},
}

// newBackchannelClient stores a client with a back-channel logout URI.
func (f *fixture) newBackchannelClient(t *testing.T) *storage.Client {
	t.Helper()
	c := &storage.Client{
		ID: newID("client"), Name: "Payroll", SecretHash: hashOf("payroll secret"),
		RedirectURIs: []string{"https://payroll.example.com/cb"}, BackchannelLogoutURI: backchannelURI,
		CreatedAt: t0,
	}
	if err := f.s.CreateClient(f.ctx, c); err != nil {
		t.Fatalf("CreateClient: %v", err)
	}
	return c
}

var sessionClientTests = []testCase{
	{"Record", func(t *testing.T, f *fixture) {
		s := f.newSession(t, f.user)
		other := f.newBackchannelClient(t)
		wantErr(t, "RecordSessionClient", f.s.RecordSessionClient(f.ctx, s.ID, f.client.ID, t0), nil)
		wantErr(t, "RecordSessionClient other", f.s.RecordSessionClient(f.ctx, s.ID, other.ID, t0.Add(time.Second)), nil)
		wantErr(t, "RecordSessionClient again", f.s.RecordSessionClient(f.ctx, s.ID, f.client.ID, t0.Add(time.Minute)), nil)
		got, err := f.s.SessionClients(f.ctx, s.ID)
		wantErr(t, "SessionClients", err, nil)
		wantEqual(t, "SessionClients", got, []storage.SessionClient{
			{SessionID: s.ID, ClientID: f.client.ID, FirstAt: t0, LastAt: t0.Add(time.Minute)},
			{SessionID: s.ID, ClientID: other.ID, FirstAt: t0.Add(time.Second), LastAt: t0.Add(time.Second)},
		})
	}},
	{"RecordMissing", func(t *testing.T, f *fixture) {
		s := f.newSession(t, f.user)
		err := f.s.RecordSessionClient(f.ctx, "missing", f.client.ID, t0)
		wantErr(t, "RecordSessionClient of a missing session", err, storage.ErrNotFound)
		err = f.s.RecordSessionClient(f.ctx, s.ID, "missing", t0)
		wantErr(t, "RecordSessionClient of a missing client", err, storage.ErrNotFound)
	}},
	{"UserSessions", func(t *testing.T, f *fixture) {
		older := f.newSession(t, f.user)
		newer := f.newSession(t, f.user)
		ended := f.newSession(t, f.user)
		f.newSession(t, f.newUser(t, f.office.ID))
		wantErr(t, "TouchSession", f.s.TouchSession(f.ctx, newer.ID, t0.Add(time.Minute)), nil)
		wantErr(t, "EndSession", f.s.EndSession(f.ctx, ended.ID, t0), nil)

		got, err := f.s.UserSessions(f.ctx, f.user.ID, t0.Add(time.Minute))
		wantErr(t, "UserSessions", err, nil)
		if len(got) != 2 || got[0].ID != newer.ID || got[1].ID != older.ID {
			t.Errorf("UserSessions: got %+v, want the newer then the older session", got)
		}
		got, err = f.s.UserSessions(f.ctx, f.user.ID, older.ExpiresAt)
		wantErr(t, "UserSessions at expiry", err, nil)
		if len(got) != 0 {
			t.Errorf("UserSessions at expiry: got %d sessions, want none", len(got))
		}
	}},
}

// endedWithBackchannel stores a session that signed into the fixture's
// client and a back-channel client, ends it at t0, and returns it with the
// back-channel client.
func (f *fixture) endedWithBackchannel(t *testing.T) (*storage.Session, *storage.Client) {
	t.Helper()
	s := f.newSession(t, f.user)
	bc := f.newBackchannelClient(t)
	wantErr(t, "RecordSessionClient", f.s.RecordSessionClient(f.ctx, s.ID, f.client.ID, t0), nil)
	wantErr(t, "RecordSessionClient", f.s.RecordSessionClient(f.ctx, s.ID, bc.ID, t0), nil)
	wantErr(t, "EndSession", f.s.EndSession(f.ctx, s.ID, t0), nil)
	return s, bc
}

var logoutDeliveryTests = []testCase{
	{"EnqueuedOnEnd", func(t *testing.T, f *fixture) {
		s, bc := f.endedWithBackchannel(t)
		got, err := f.s.LogoutDeliveries(f.ctx, s.ID)
		wantErr(t, "LogoutDeliveries", err, nil)
		wantEqual(t, "LogoutDeliveries", got, []storage.LogoutDelivery{{
			SessionID: s.ID, ClientID: bc.ID, UserID: f.user.ID, URI: backchannelURI,
			NextAttemptAt: t0, CreatedAt: t0,
		}})

		wantErr(t, "EndSession again", f.s.EndSession(f.ctx, s.ID, t0.Add(time.Hour)), nil)
		got, err = f.s.LogoutDeliveries(f.ctx, s.ID)
		wantErr(t, "LogoutDeliveries after a second end", err, nil)
		if len(got) != 1 || !got[0].CreatedAt.Equal(t0) {
			t.Errorf("a second EndSession enqueued again: %+v", got)
		}
	}},
	{"EnqueuedOnEndUserSessions", func(t *testing.T, f *fixture) {
		s := f.newSession(t, f.user)
		bc := f.newBackchannelClient(t)
		wantErr(t, "RecordSessionClient", f.s.RecordSessionClient(f.ctx, s.ID, bc.ID, t0), nil)
		wantErr(t, "EndUserSessions", f.s.EndUserSessions(f.ctx, f.user.ID, bc.ID, t0), nil)
		got, err := f.s.LogoutDeliveries(f.ctx, s.ID)
		wantErr(t, "LogoutDeliveries", err, nil)
		if len(got) != 1 || got[0].ClientID != bc.ID {
			t.Errorf("LogoutDeliveries: got %+v, want one to the back-channel client", got)
		}
	}},
	{"EnqueuedOnPolicySwitch", func(t *testing.T, f *fixture) {
		passwordOnly := f.newSession(t, f.user)
		withSMS := f.newSession(t, f.user)
		wantErr(t, "UpdateSessionAuth", f.s.UpdateSessionAuth(f.ctx, withSMS.ID, []string{"pwd", "sms", "mfa"}, t0, t0), nil)
		bc := f.newBackchannelClient(t)
		for _, s := range []*storage.Session{passwordOnly, withSMS} {
			wantErr(t, "RecordSessionClient", f.s.RecordSessionClient(f.ctx, s.ID, bc.ID, t0), nil)
		}
		rt, _ := f.newRefreshToken(t, passwordOnly.ID, "")

		_, err := f.s.SetOfficeTwoFactor(f.ctx, f.office.ID, true, t0.Add(time.Minute))
		wantErr(t, "SetOfficeTwoFactor on", err, nil)
		_, err = f.s.SessionByID(f.ctx, passwordOnly.ID, t0.Add(time.Minute))
		wantErr(t, "SessionByID of the password-only session", err, storage.ErrNotFound)
		_, err = f.s.SessionByID(f.ctx, withSMS.ID, t0.Add(time.Minute))
		wantErr(t, "SessionByID of the session with SMS", err, nil)
		f.wantRefreshRevoked(t, rt)
		got, err := f.s.LogoutDeliveries(f.ctx, passwordOnly.ID)
		wantErr(t, "LogoutDeliveries", err, nil)
		if len(got) != 1 {
			t.Errorf("LogoutDeliveries of the password-only session: got %d, want 1", len(got))
		}
		got, err = f.s.LogoutDeliveries(f.ctx, withSMS.ID)
		wantErr(t, "LogoutDeliveries", err, nil)
		if len(got) != 0 {
			t.Errorf("LogoutDeliveries of the session with SMS: got %d, want none", len(got))
		}
	}},
	{"ClaimAndDeliver", func(t *testing.T, f *fixture) {
		s, bc := f.endedWithBackchannel(t)
		lease := t0.Add(30 * time.Second)
		got, err := f.s.ClaimLogoutDeliveries(f.ctx, t0, lease, 10)
		wantErr(t, "ClaimLogoutDeliveries", err, nil)
		if len(got) != 1 || got[0].Attempts != 1 || !got[0].NextAttemptAt.Equal(lease) {
			t.Fatalf("ClaimLogoutDeliveries: got %+v, want one delivery on its first attempt, leased", got)
		}
		again, err := f.s.ClaimLogoutDeliveries(f.ctx, t0.Add(time.Second), lease, 10)
		wantErr(t, "ClaimLogoutDeliveries during the lease", err, nil)
		if len(again) != 0 {
			t.Errorf("ClaimLogoutDeliveries during the lease: got %d, want none", len(again))
		}
		wantErr(t, "MarkLogoutDelivered", f.s.MarkLogoutDelivered(f.ctx, s.ID, bc.ID, t0.Add(time.Second)), nil)
		after, err := f.s.ClaimLogoutDeliveries(f.ctx, lease.Add(time.Hour), lease.Add(2*time.Hour), 10)
		wantErr(t, "ClaimLogoutDeliveries after delivery", err, nil)
		if len(after) != 0 {
			t.Errorf("a delivered logout was claimed again: %+v", after)
		}
		list, err := f.s.LogoutDeliveries(f.ctx, s.ID)
		wantErr(t, "LogoutDeliveries", err, nil)
		if len(list) != 1 || list[0].DeliveredAt == nil || !list[0].DeliveredAt.Equal(t0.Add(time.Second)) {
			t.Errorf("LogoutDeliveries after delivery: %+v", list)
		}
	}},
	{"RetryThenGiveUp", func(t *testing.T, f *fixture) {
		s, bc := f.endedWithBackchannel(t)
		_, err := f.s.ClaimLogoutDeliveries(f.ctx, t0, t0.Add(30*time.Second), 10)
		wantErr(t, "ClaimLogoutDeliveries", err, nil)
		next := t0.Add(10 * time.Second)
		wantErr(t, "RetryLogoutDelivery", f.s.RetryLogoutDelivery(f.ctx, s.ID, bc.ID, "status 500", next, t0), nil)
		early, err := f.s.ClaimLogoutDeliveries(f.ctx, next.Add(-us), next.Add(time.Minute), 10)
		wantErr(t, "ClaimLogoutDeliveries before the retry", err, nil)
		if len(early) != 0 {
			t.Errorf("claimed before its retry time: %+v", early)
		}
		due, err := f.s.ClaimLogoutDeliveries(f.ctx, next, next.Add(time.Minute), 10)
		wantErr(t, "ClaimLogoutDeliveries at the retry", err, nil)
		if len(due) != 1 || due[0].Attempts != 2 || due[0].LastError != "status 500" {
			t.Fatalf("ClaimLogoutDeliveries at the retry: %+v", due)
		}
		wantErr(t, "RetryLogoutDelivery giving up", f.s.RetryLogoutDelivery(f.ctx, s.ID, bc.ID, "timed out", time.Time{}, next), nil)
		list, err := f.s.LogoutDeliveries(f.ctx, s.ID)
		wantErr(t, "LogoutDeliveries", err, nil)
		if len(list) != 1 || list[0].FailedAt == nil || list[0].LastError != "timed out" {
			t.Errorf("LogoutDeliveries after giving up: %+v", list)
		}
		wantErr(t, "MarkLogoutDelivered of a missing delivery",
			f.s.MarkLogoutDelivered(f.ctx, s.ID, "missing", t0), storage.ErrNotFound)
	}},
	{"ClaimConcurrent", func(t *testing.T, f *fixture) {
		f.endedWithBackchannel(t)
		claimed := concurrently(4, func(int) int {
			got, err := f.s.ClaimLogoutDeliveries(f.ctx, t0, t0.Add(time.Minute), 10)
			if err != nil {
				t.Errorf("ClaimLogoutDeliveries: %v", err)
			}
			return len(got)
		})
		total := 0
		for _, n := range claimed {
			total += n
		}
		if total != 1 {
			t.Errorf("concurrent claims took the delivery %d times, want once", total)
		}
	}},
}

var codeReplayTests = []testCase{
	{"TokensAfterReplayStoredRevoked", func(t *testing.T, f *fixture) {
		// The winner of a race consumes the code, the loser replays it and
		// revokes, and only then does the winner store its tokens.
		s := f.newSession(t, f.user)
		r, code := f.newCode(t, s.ID)
		_, err := f.s.ConsumeAuthCode(f.ctx, code, t0)
		wantErr(t, "ConsumeAuthCode", err, nil)
		_, err = f.s.ConsumeAuthCode(f.ctx, code, t0)
		wantErr(t, "ConsumeAuthCode replayed", err, storage.ErrReused)

		rt, _ := f.refreshToken(s.ID, r.ID)
		wantErr(t, "CreateRefreshToken after the replay", f.s.CreateRefreshToken(f.ctx, rt), nil)
		at := f.accessToken(rt.ID, r.ID)
		wantErr(t, "CreateToken after the replay", f.s.CreateToken(f.ctx, at), nil)
		f.wantRefreshRevoked(t, rt)
		f.wantAccessRevoked(t, at.ID)
	}},
	{"TokensWithoutReplayStored", func(t *testing.T, f *fixture) {
		s := f.newSession(t, f.user)
		r, code := f.newCode(t, s.ID)
		_, err := f.s.ConsumeAuthCode(f.ctx, code, t0)
		wantErr(t, "ConsumeAuthCode", err, nil)
		rt, _ := f.newRefreshToken(t, s.ID, r.ID)
		at := f.newAccessToken(t, rt.ID, r.ID)
		f.wantRefreshValid(t, rt)
		f.wantAccessValid(t, at.ID)
	}},
	{"RaceLeavesNoTokens", func(t *testing.T, f *fixture) {
		// Every redemption that wins stores its tokens while another one
		// replays the code; whatever the interleaving, none may survive.
		for round := range 5 {
			s := f.newSession(t, f.user)
			r, code := f.newCode(t, s.ID)
			type stored struct{ access, refresh string }
			results := concurrently(2, func(int) stored {
				if _, err := f.s.ConsumeAuthCode(f.ctx, code, t0); err != nil {
					return stored{}
				}
				rt, _ := f.refreshToken(s.ID, r.ID)
				if err := f.s.CreateRefreshToken(f.ctx, rt); err != nil {
					t.Errorf("CreateRefreshToken: %v", err)
					return stored{}
				}
				at := f.accessToken(rt.ID, r.ID)
				if err := f.s.CreateToken(f.ctx, at); err != nil {
					t.Errorf("CreateToken: %v", err)
					return stored{refresh: rt.ID}
				}
				return stored{access: at.ID, refresh: rt.ID}
			})
			for _, res := range results {
				if res.access != "" {
					f.wantAccessRevoked(t, res.access)
				}
			}
			if t.Failed() {
				t.Fatalf("round %d: an access token survived the replay, or storing one failed", round)
			}
		}
	}},
}

var signingKeyRetireTests = []testCase{
	{"RetireAllButNew", func(t *testing.T, f *fixture) {
		for i, id := range []string{"old1", "old2", "new"} {
			k := &storage.SigningKey{ID: id, Algorithm: "RS256", PrivateKeyEncrypted: []byte{1}, PublicKey: []byte{2},
				CreatedAt: t0.Add(time.Duration(i) * time.Hour)}
			wantErr(t, "CreateSigningKey "+id, f.s.CreateSigningKey(f.ctx, k), nil)
		}
		n, err := f.s.RetireSigningKeys(f.ctx, "new", t0.Add(3*time.Hour))
		wantErr(t, "RetireSigningKeys", err, nil)
		if n != 2 {
			t.Errorf("RetireSigningKeys retired %d keys, want 2", n)
		}
		n, err = f.s.RetireSigningKeys(f.ctx, "new", t0.Add(4*time.Hour))
		wantErr(t, "RetireSigningKeys again", err, nil)
		if n != 0 {
			t.Errorf("RetireSigningKeys again retired %d keys, want 0", n)
		}
		kept, err := f.s.SigningKeys(f.ctx, t0.Add(3*time.Hour-us))
		wantErr(t, "SigningKeys within retention", err, nil)
		if len(kept) != 3 || kept[0].ID != "new" || kept[0].RetiredAt != nil || kept[1].RetiredAt == nil {
			t.Errorf("SigningKeys within retention: %+v", kept)
		}
		dropped, err := f.s.SigningKeys(f.ctx, t0.Add(3*time.Hour))
		wantErr(t, "SigningKeys after retention", err, nil)
		if len(dropped) != 1 || dropped[0].ID != "new" {
			t.Errorf("SigningKeys after retention: %+v, want only the new key", dropped)
		}
	}},
}
