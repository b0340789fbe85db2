package storagetest

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"twofold/storage"
)

var authRequestTests = []testCase{
	{"RoundTrip", func(t *testing.T, f *fixture) {
		maxAge := int64(0)
		r := f.newAuthRequest(t, func(r *storage.AuthRequest) {
			r.ResponseMode = "form_post"
			r.Prompt = []string{"login", "consent"}
			r.MaxAge = &maxAge
			r.LoginHint = "anna"
			r.UILocales = []string{"sv-SE", "en"}
			r.ACRValues = []string{"urn:twofold:acr:sms"}
			r.HintSubject = f.user.ID
		})
		got, err := f.s.AuthRequestByID(f.ctx, r.ID, t0)
		wantErr(t, "AuthRequestByID", err, nil)
		wantEqual(t, "AuthRequestByID", got, r)
	}},
	{"MinimalRoundTrip", func(t *testing.T, f *fixture) {
		r := f.newAuthRequest(t, func(r *storage.AuthRequest) {
			r.Scopes = nil
			r.State = ""
			r.Nonce = ""
			r.CodeChallenge = ""
			r.CodeChallengeMethod = ""
		})
		got, err := f.s.AuthRequestByID(f.ctx, r.ID, t0)
		wantErr(t, "AuthRequestByID", err, nil)
		wantEqual(t, "AuthRequestByID", got, r)
	}},
	{"ExpiryBoundary", func(t *testing.T, f *fixture) {
		r := f.newAuthRequest(t, nil)
		_, err := f.s.AuthRequestByID(f.ctx, r.ID, r.ExpiresAt.Add(-us))
		wantErr(t, "AuthRequestByID just before expiry", err, nil)
		_, err = f.s.AuthRequestByID(f.ctx, r.ID, r.ExpiresAt)
		wantErr(t, "AuthRequestByID at expiry", err, storage.ErrNotFound)
	}},
	{"NotFound", func(t *testing.T, f *fixture) {
		_, err := f.s.AuthRequestByID(f.ctx, "missing", t0)
		wantErr(t, "AuthRequestByID", err, storage.ErrNotFound)
		_, err = f.s.BindAuthRequestBrowser(f.ctx, "missing", hashOf("browser"), t0)
		wantErr(t, "BindAuthRequestBrowser", err, storage.ErrNotFound)
		err = f.s.SetAuthRequestUser(f.ctx, "missing", f.user.ID, t0)
		wantErr(t, "SetAuthRequestUser", err, storage.ErrNotFound)
		err = f.s.CompleteAuthRequest(f.ctx, "missing", storage.AuthResult{UserID: f.user.ID}, t0)
		wantErr(t, "CompleteAuthRequest", err, storage.ErrNotFound)
	}},
	{"BindBrowserFirstWins", func(t *testing.T, f *fixture) {
		r := f.newAuthRequest(t, nil)
		first, second := hashOf("browser one"), hashOf("browser two")

		got, err := f.s.BindAuthRequestBrowser(f.ctx, r.ID, first, t0)
		wantErr(t, "BindAuthRequestBrowser first", err, nil)
		if !bytes.Equal(got, first) {
			t.Errorf("first bind: got hash %x, want %x", got, first)
		}
		got, err = f.s.BindAuthRequestBrowser(f.ctx, r.ID, second, t0)
		wantErr(t, "BindAuthRequestBrowser second", err, nil)
		if !bytes.Equal(got, first) {
			t.Errorf("second browser: got hash %x, want the first browser's %x", got, first)
		}
		got, err = f.s.BindAuthRequestBrowser(f.ctx, r.ID, first, t0)
		wantErr(t, "BindAuthRequestBrowser first again", err, nil)
		if !bytes.Equal(got, first) {
			t.Errorf("first browser again: got hash %x, want %x", got, first)
		}

		stored, err := f.s.AuthRequestByID(f.ctx, r.ID, t0)
		wantErr(t, "AuthRequestByID", err, nil)
		if !bytes.Equal(stored.BrowserHash, first) {
			t.Errorf("stored BrowserHash: got %x, want %x", stored.BrowserHash, first)
		}
	}},
	{"BindBrowserConcurrent", func(t *testing.T, f *fixture) {
		r := f.newAuthRequest(t, nil)
		type result struct {
			hash []byte
			err  error
		}
		const browsers = 6
		results := concurrently(browsers, func(i int) result {
			h, err := f.s.BindAuthRequestBrowser(f.ctx, r.ID, hashOf(fmt.Sprint("browser ", i)), t0)
			return result{h, err}
		})
		winners := 0
		for i, res := range results {
			if res.err != nil {
				t.Fatalf("browser %d: %v", i, res.err)
			}
			if !bytes.Equal(res.hash, results[0].hash) {
				t.Errorf("browser %d: bound to %x, browser 0 to %x", i, res.hash, results[0].hash)
			}
			if bytes.Equal(res.hash, hashOf(fmt.Sprint("browser ", i))) {
				winners++
			}
		}
		if winners != 1 {
			t.Errorf("browsers that got their own hash bound: got %d, want 1", winners)
		}
	}},
	{"BindBrowserExpired", func(t *testing.T, f *fixture) {
		r := f.newAuthRequest(t, nil)
		_, err := f.s.BindAuthRequestBrowser(f.ctx, r.ID, hashOf("browser"), r.ExpiresAt)
		wantErr(t, "BindAuthRequestBrowser at expiry", err, storage.ErrNotFound)
	}},
	{"SetUser", func(t *testing.T, f *fixture) {
		r := f.newAuthRequest(t, nil)
		wantErr(t, "SetAuthRequestUser", f.s.SetAuthRequestUser(f.ctx, r.ID, f.user.ID, t0), nil)
		got, err := f.s.AuthRequestByID(f.ctx, r.ID, t0)
		wantErr(t, "AuthRequestByID", err, nil)
		if got.UserID != f.user.ID || got.Done {
			t.Errorf("after SetAuthRequestUser: got user %q done %v, want user %q not done", got.UserID, got.Done, f.user.ID)
		}

		err = f.s.SetAuthRequestUser(f.ctx, r.ID, f.user.ID, r.ExpiresAt)
		wantErr(t, "SetAuthRequestUser at expiry", err, storage.ErrNotFound)
	}},
	{"Complete", func(t *testing.T, f *fixture) {
		r := f.newAuthRequest(t, nil)
		res := storage.AuthResult{
			UserID:    f.user.ID,
			SessionID: "session-1",
			AMR:       []string{"pwd", "sms"},
			ACR:       "urn:twofold:acr:sms",
			AuthTime:  t0.Add(time.Second),
		}
		wantErr(t, "CompleteAuthRequest", f.s.CompleteAuthRequest(f.ctx, r.ID, res, t0), nil)
		got, err := f.s.AuthRequestByID(f.ctx, r.ID, t0)
		wantErr(t, "AuthRequestByID", err, nil)
		want := *r
		want.UserID, want.SessionID, want.AMR, want.ACR, want.AuthTime = res.UserID, res.SessionID, res.AMR, res.ACR, res.AuthTime
		want.Done = true
		wantEqual(t, "AuthRequestByID after CompleteAuthRequest", got, &want)

		err = f.s.CompleteAuthRequest(f.ctx, r.ID, res, t0)
		wantErr(t, "CompleteAuthRequest again", err, storage.ErrNotFound)
		err = f.s.SetAuthRequestUser(f.ctx, r.ID, f.user.ID, t0)
		wantErr(t, "SetAuthRequestUser on a done request", err, storage.ErrNotFound)
	}},
	{"CompleteExpired", func(t *testing.T, f *fixture) {
		r := f.newAuthRequest(t, nil)
		err := f.s.CompleteAuthRequest(f.ctx, r.ID, storage.AuthResult{UserID: f.user.ID}, r.ExpiresAt)
		wantErr(t, "CompleteAuthRequest at expiry", err, storage.ErrNotFound)
		err = f.s.CompleteAuthRequest(f.ctx, r.ID, storage.AuthResult{UserID: f.user.ID}, r.ExpiresAt.Add(-us))
		wantErr(t, "CompleteAuthRequest just before expiry", err, nil)
	}},
}

var authCodeTests = []testCase{
	{"SaveNotDone", func(t *testing.T, f *fixture) {
		r := f.newAuthRequest(t, nil)
		err := f.s.SaveAuthCode(f.ctx, r.ID, hashOf("code"), t0.Add(time.Minute))
		wantErr(t, "SaveAuthCode on an unfinished request", err, storage.ErrNotFound)
		err = f.s.SaveAuthCode(f.ctx, "missing", hashOf("code"), t0.Add(time.Minute))
		wantErr(t, "SaveAuthCode on a missing request", err, storage.ErrNotFound)
	}},
	{"SaveTwice", func(t *testing.T, f *fixture) {
		r, _ := f.newCode(t, "")
		err := f.s.SaveAuthCode(f.ctx, r.ID, hashOf("second code"), t0.Add(time.Minute))
		wantErr(t, "SaveAuthCode again", err, storage.ErrConflict)
	}},
	{"Consume", func(t *testing.T, f *fixture) {
		r, code := f.newCode(t, "session-1")
		got, err := f.s.ConsumeAuthCode(f.ctx, code, t0)
		wantErr(t, "ConsumeAuthCode", err, nil)
		if got.ID != r.ID || !got.Done || got.UserID != f.user.ID || got.SessionID != "session-1" {
			t.Errorf("ConsumeAuthCode: got request %s done %v user %q session %q, want %s done, user %q, session-1",
				got.ID, got.Done, got.UserID, got.SessionID, r.ID, f.user.ID)
		}
		wantEqual(t, "ConsumeAuthCode AMR", got.AMR, []string{"pwd"})
		wantEqual(t, "ConsumeAuthCode scopes", got.Scopes, r.Scopes)
	}},
	{"ExpiryBoundary", func(t *testing.T, f *fixture) {
		_, code := f.newCode(t, "")
		expiry := t0.Add(time.Minute)
		_, err := f.s.ConsumeAuthCode(f.ctx, code, expiry)
		wantErr(t, "ConsumeAuthCode at expiry", err, storage.ErrNotFound)
		_, err = f.s.ConsumeAuthCode(f.ctx, code, expiry.Add(-us))
		wantErr(t, "ConsumeAuthCode just before expiry", err, nil)
	}},
	{"Unknown", func(t *testing.T, f *fixture) {
		_, err := f.s.ConsumeAuthCode(f.ctx, hashOf("never issued"), t0)
		wantErr(t, "ConsumeAuthCode", err, storage.ErrNotFound)
	}},
	{"ReuseRevokesTokens", func(t *testing.T, f *fixture) {
		r, code := f.newCode(t, "")
		other, otherCode := f.newCode(t, "")
		_, err := f.s.ConsumeAuthCode(f.ctx, code, t0)
		wantErr(t, "ConsumeAuthCode", err, nil)
		_, err = f.s.ConsumeAuthCode(f.ctx, otherCode, t0)
		wantErr(t, "ConsumeAuthCode of the other request", err, nil)

		// Tokens as a code exchange and one refresh would leave them.
		access := f.newAccessToken(t, "", r.ID)
		rt, _ := f.newRefreshToken(t, "", r.ID)
		next, _ := f.refreshToken("", r.ID)
		nextAccess := f.accessToken(next.ID, r.ID)
		err = f.s.RotateRefreshToken(f.ctx, rt.TokenHash, next, nextAccess, t0)
		wantErr(t, "RotateRefreshToken", err, nil)
		otherAccess := f.newAccessToken(t, "", other.ID)
		otherRT, _ := f.newRefreshToken(t, "", other.ID)

		_, err = f.s.ConsumeAuthCode(f.ctx, code, t0.Add(time.Second))
		wantErr(t, "ConsumeAuthCode again", err, storage.ErrReused)
		f.wantAccessRevoked(t, access.ID)
		f.wantAccessRevoked(t, nextAccess.ID)
		f.wantRefreshRevoked(t, next)
		f.wantAccessValid(t, otherAccess.ID)
		f.wantRefreshValid(t, otherRT)

		_, err = f.s.ConsumeAuthCode(f.ctx, code, t0.Add(2*time.Second))
		wantErr(t, "ConsumeAuthCode a third time", err, storage.ErrReused)
	}},
	{"ReuseAfterExpiry", func(t *testing.T, f *fixture) {
		r, code := f.newCode(t, "")
		_, err := f.s.ConsumeAuthCode(f.ctx, code, t0)
		wantErr(t, "ConsumeAuthCode", err, nil)
		access := f.newAccessToken(t, "", r.ID)
		_, err = f.s.ConsumeAuthCode(f.ctx, code, t0.Add(time.Hour))
		wantErr(t, "ConsumeAuthCode again after its expiry", err, storage.ErrReused)
		f.wantAccessRevoked(t, access.ID)
	}},
	{"ConsumeConcurrent", func(t *testing.T, f *fixture) {
		for round := range 3 {
			_, code := f.newCode(t, "")
			errs := concurrently(2, func(int) error {
				_, err := f.s.ConsumeAuthCode(f.ctx, code, t0)
				return err
			})
			counts, other := countErrors(errs, nil, storage.ErrReused)
			if len(other) > 0 {
				t.Fatalf("round %d: unexpected errors: %v", round, other)
			}
			if counts[0] != 1 {
				t.Errorf("round %d: winners: got %d, want 1 (results %v)", round, counts[0], errs)
			}
		}
	}},
}
