package storagetest

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"twofold/storage"
)

// maxAttempts and maxSends are the limits the challenge tests pass in.
const (
	maxAttempts = 5
	maxSends    = 3
)

// newChallenge stores a challenge for a new auth request whose code is
// "123456" and expires 5 minutes after t0.
func (f *fixture) newChallenge(t *testing.T) *storage.Challenge {
	t.Helper()
	r := f.newAuthRequest(t, nil)
	return f.newChallengeFor(t, r.ID, "123456", t0)
}

func (f *fixture) newChallengeFor(t *testing.T, authRequestID, code string, at time.Time) *storage.Challenge {
	t.Helper()
	c := &storage.Challenge{
		ID:            newID("challenge"),
		AuthRequestID: authRequestID,
		UserID:        f.user.ID,
		Mobile:        "+46701234567",
		Purpose:       storage.PurposeVerify,
		CodeHash:      hashOf(code),
		Sends:         1,
		LastSentAt:    at,
		ExpiresAt:     at.Add(5 * time.Minute),
		CreatedAt:     at,
	}
	if err := f.s.CreateChallenge(f.ctx, c); err != nil {
		t.Fatalf("CreateChallenge: %v", err)
	}
	return c
}

// check calls CheckChallenge and fails t on an error.
func (f *fixture) check(t *testing.T, id, code string, now time.Time) (storage.ChallengeCheck, *storage.Challenge) {
	t.Helper()
	result, c, err := f.s.CheckChallenge(f.ctx, id, hashOf(code), maxAttempts, now)
	if err != nil {
		t.Fatalf("CheckChallenge(%q): %v", code, err)
	}
	return result, c
}

func wantCheck(t *testing.T, what string, got, want storage.ChallengeCheck) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got check result %d, want %d", what, got, want)
	}
}

var challengeTests = []testCase{
	{"RoundTrip", func(t *testing.T, f *fixture) {
		c := f.newChallenge(t)
		got, err := f.s.ActiveChallenge(f.ctx, c.AuthRequestID)
		wantErr(t, "ActiveChallenge", err, nil)
		wantEqual(t, "ActiveChallenge", got, c)
	}},
	{"NoneActive", func(t *testing.T, f *fixture) {
		r := f.newAuthRequest(t, nil)
		_, err := f.s.ActiveChallenge(f.ctx, r.ID)
		wantErr(t, "ActiveChallenge", err, storage.ErrNotFound)
		_, _, err = f.s.CheckChallenge(f.ctx, "missing", hashOf("123456"), maxAttempts, t0)
		wantErr(t, "CheckChallenge", err, storage.ErrNotFound)
		err = f.s.ResendChallenge(f.ctx, "missing", hashOf("654321"), maxSends, t0, t0, t0.Add(time.Minute))
		wantErr(t, "ResendChallenge", err, storage.ErrNotFound)
	}},
	{"UnknownAuthRequest", func(t *testing.T, f *fixture) {
		c := &storage.Challenge{
			ID: newID("challenge"), AuthRequestID: "missing", UserID: f.user.ID,
			Mobile: "+46701234567", Purpose: storage.PurposeVerify, CodeHash: hashOf("1"),
			LastSentAt: t0, ExpiresAt: t0.Add(time.Minute), CreatedAt: t0,
		}
		wantErr(t, "CreateChallenge", f.s.CreateChallenge(f.ctx, c), storage.ErrNotFound)
	}},
	{"NewVoidsOld", func(t *testing.T, f *fixture) {
		first := f.newChallenge(t)
		// Both are created at t0, so only creation order distinguishes them.
		second := f.newChallengeFor(t, first.AuthRequestID, "654321", t0)

		got, err := f.s.ActiveChallenge(f.ctx, first.AuthRequestID)
		wantErr(t, "ActiveChallenge", err, nil)
		if got.ID != second.ID {
			t.Errorf("ActiveChallenge: got %s, want the newer %s", got.ID, second.ID)
		}
		_, _, err = f.s.CheckChallenge(f.ctx, first.ID, hashOf("123456"), maxAttempts, t0)
		wantErr(t, "CheckChallenge of the voided challenge", err, storage.ErrNotFound)
		err = f.s.ResendChallenge(f.ctx, first.ID, hashOf("111111"), maxSends, t0, t0, t0.Add(time.Minute))
		wantErr(t, "ResendChallenge of the voided challenge", err, storage.ErrNotFound)
	}},
	{"NewAfterVerified", func(t *testing.T, f *fixture) {
		first := f.newChallenge(t)
		result, _ := f.check(t, first.ID, "123456", t0)
		wantCheck(t, "check", result, storage.CheckOK)
		second := f.newChallengeFor(t, first.AuthRequestID, "654321", t0)

		got, err := f.s.ActiveChallenge(f.ctx, first.AuthRequestID)
		wantErr(t, "ActiveChallenge", err, nil)
		if got.ID != second.ID {
			t.Errorf("ActiveChallenge: got %s, want the newer %s", got.ID, second.ID)
		}
		result, _ = f.check(t, first.ID, "123456", t0)
		wantCheck(t, "check of the verified challenge", result, storage.CheckUsed)
	}},
	{"CheckRight", func(t *testing.T, f *fixture) {
		c := f.newChallenge(t)
		now := t0.Add(time.Minute)
		result, got := f.check(t, c.ID, "123456", now)
		wantCheck(t, "check", result, storage.CheckOK)
		if got == nil || got.VerifiedAt == nil || !got.VerifiedAt.Equal(now) {
			t.Fatalf("check: got challenge %+v, want VerifiedAt %v", got, now)
		}

		result, _ = f.check(t, c.ID, "123456", now)
		wantCheck(t, "check again", result, storage.CheckUsed)
		active, err := f.s.ActiveChallenge(f.ctx, c.AuthRequestID)
		wantErr(t, "ActiveChallenge", err, nil)
		if active.VerifiedAt == nil {
			t.Errorf("ActiveChallenge: VerifiedAt is nil after a match")
		}
		err = f.s.ResendChallenge(f.ctx, c.ID, hashOf("654321"), maxSends, now, now, now.Add(time.Minute))
		wantErr(t, "ResendChallenge of a verified challenge", err, storage.ErrNotFound)
	}},
	{"CheckWrongThenRight", func(t *testing.T, f *fixture) {
		c := f.newChallenge(t)
		for i := 1; i < maxAttempts; i++ {
			result, got := f.check(t, c.ID, "000000", t0)
			wantCheck(t, fmt.Sprint("wrong entry ", i), result, storage.CheckWrong)
			if got.Attempts != i {
				t.Errorf("wrong entry %d: got %d attempts", i, got.Attempts)
			}
		}
		result, _ := f.check(t, c.ID, "123456", t0)
		wantCheck(t, "right code on the last attempt", result, storage.CheckOK)
	}},
	{"AttemptsCap", func(t *testing.T, f *fixture) {
		c := f.newChallenge(t)
		for i := 1; i < maxAttempts; i++ {
			result, _ := f.check(t, c.ID, "000000", t0)
			wantCheck(t, fmt.Sprint("wrong entry ", i), result, storage.CheckWrong)
		}
		result, got := f.check(t, c.ID, "000000", t0)
		wantCheck(t, "last wrong entry", result, storage.CheckExhausted)
		if got.Attempts != maxAttempts {
			t.Errorf("last wrong entry: got %d attempts, want %d", got.Attempts, maxAttempts)
		}
		result, _ = f.check(t, c.ID, "123456", t0)
		wantCheck(t, "right code after the cap", result, storage.CheckExhausted)
		result, _ = f.check(t, c.ID, "000000", t0)
		wantCheck(t, "wrong code after the cap", result, storage.CheckExhausted)

		active, err := f.s.ActiveChallenge(f.ctx, c.AuthRequestID)
		wantErr(t, "ActiveChallenge", err, nil)
		if active.VerifiedAt != nil || active.Attempts != maxAttempts {
			t.Errorf("ActiveChallenge: got verified %v attempts %d, want unverified with %d",
				active.VerifiedAt, active.Attempts, maxAttempts)
		}
	}},
	{"ExpiryBoundary", func(t *testing.T, f *fixture) {
		c := f.newChallenge(t)
		result, _ := f.check(t, c.ID, "123456", c.ExpiresAt)
		wantCheck(t, "right code at expiry", result, storage.CheckExpired)
		result, _ = f.check(t, c.ID, "000000", c.ExpiresAt)
		wantCheck(t, "wrong code at expiry", result, storage.CheckExpired)
		result, got := f.check(t, c.ID, "123456", c.ExpiresAt.Add(-us))
		wantCheck(t, "right code just before expiry", result, storage.CheckOK)
		if got.Attempts != 0 {
			t.Errorf("expired entries counted as attempts: got %d", got.Attempts)
		}
	}},
	{"Resend", func(t *testing.T, f *fixture) {
		c := f.newChallenge(t)
		for i := 1; i < maxAttempts; i++ {
			f.check(t, c.ID, "000000", t0)
		}
		now := t0.Add(time.Minute)
		expires := now.Add(5 * time.Minute)

		err := f.s.ResendChallenge(f.ctx, c.ID, hashOf("654321"), maxSends, c.LastSentAt.Add(-us), now, expires)
		wantErr(t, "ResendChallenge before notBefore", err, storage.ErrNotFound)
		err = f.s.ResendChallenge(f.ctx, c.ID, hashOf("654321"), maxSends, c.LastSentAt, now, expires)
		wantErr(t, "ResendChallenge at notBefore", err, nil)

		got, err := f.s.ActiveChallenge(f.ctx, c.AuthRequestID)
		wantErr(t, "ActiveChallenge", err, nil)
		want := *c
		want.CodeHash = hashOf("654321")
		want.Sends = 2
		want.Attempts = 0
		want.LastSentAt = now
		want.ExpiresAt = expires
		wantEqual(t, "ActiveChallenge after resend", got, &want)

		result, _ := f.check(t, c.ID, "123456", now)
		wantCheck(t, "old code after resend", result, storage.CheckWrong)
		result, _ = f.check(t, c.ID, "654321", now)
		wantCheck(t, "new code after resend", result, storage.CheckOK)
	}},
	{"ResendAfterCap", func(t *testing.T, f *fixture) {
		c := f.newChallenge(t)
		for range maxAttempts {
			f.check(t, c.ID, "000000", t0)
		}
		now := t0.Add(time.Minute)
		err := f.s.ResendChallenge(f.ctx, c.ID, hashOf("654321"), maxSends, now, now, now.Add(time.Minute))
		wantErr(t, "ResendChallenge after the attempts cap", err, nil)
		result, _ := f.check(t, c.ID, "654321", now)
		wantCheck(t, "new code", result, storage.CheckOK)
	}},
	{"ResendMaxSends", func(t *testing.T, f *fixture) {
		c := f.newChallenge(t)
		now := t0
		for send := 2; send <= maxSends; send++ {
			now = now.Add(time.Minute)
			err := f.s.ResendChallenge(f.ctx, c.ID, hashOf(fmt.Sprint(send)), maxSends, now, now, now.Add(time.Minute))
			wantErr(t, fmt.Sprint("send ", send), err, nil)
		}
		now = now.Add(time.Minute)
		err := f.s.ResendChallenge(f.ctx, c.ID, hashOf("one more"), maxSends, now, now, now.Add(time.Minute))
		wantErr(t, "send past maxSends", err, storage.ErrNotFound)
		got, err := f.s.ActiveChallenge(f.ctx, c.AuthRequestID)
		wantErr(t, "ActiveChallenge", err, nil)
		if got.Sends != maxSends {
			t.Errorf("Sends: got %d, want %d", got.Sends, maxSends)
		}
	}},
	{"ResendConcurrent", func(t *testing.T, f *fixture) {
		c := f.newChallenge(t)
		now := t0.Add(time.Minute)
		errs := concurrently(6, func(i int) error {
			return f.s.ResendChallenge(f.ctx, c.ID, hashOf(fmt.Sprint("code ", i)), maxSends, c.LastSentAt, now, now.Add(time.Minute))
		})
		counts, other := countErrors(errs, nil, storage.ErrNotFound)
		if len(other) > 0 {
			t.Fatalf("unexpected errors: %v", other)
		}
		if counts[0] != 1 {
			t.Errorf("resends that sent: got %d, want 1", counts[0])
		}
		got, err := f.s.ActiveChallenge(f.ctx, c.AuthRequestID)
		wantErr(t, "ActiveChallenge", err, nil)
		if got.Sends != 2 {
			t.Errorf("Sends: got %d, want 2", got.Sends)
		}
		for i, err := range errs {
			if err == nil && !bytes.Equal(got.CodeHash, hashOf(fmt.Sprint("code ", i))) {
				t.Errorf("stored code is not the one the winning resend %d sent", i)
			}
		}
	}},
	{"CheckConcurrentRight", func(t *testing.T, f *fixture) {
		c := f.newChallenge(t)
		type outcome struct {
			result storage.ChallengeCheck
			err    error
		}
		outcomes := concurrently(8, func(int) outcome {
			result, _, err := f.s.CheckChallenge(f.ctx, c.ID, hashOf("123456"), maxAttempts, t0)
			return outcome{result, err}
		})
		ok := 0
		for i, o := range outcomes {
			switch {
			case o.err != nil:
				t.Errorf("check %d: %v", i, o.err)
			case o.result == storage.CheckOK:
				ok++
			case o.result != storage.CheckUsed:
				t.Errorf("check %d: got result %d, want CheckOK or CheckUsed", i, o.result)
			}
		}
		if ok != 1 {
			t.Errorf("checks that verified: got %d, want 1", ok)
		}
	}},
	{"CheckConcurrentWrong", func(t *testing.T, f *fixture) {
		c := f.newChallenge(t)
		const entries = maxAttempts + 3
		type outcome struct {
			result storage.ChallengeCheck
			err    error
		}
		outcomes := concurrently(entries, func(int) outcome {
			result, _, err := f.s.CheckChallenge(f.ctx, c.ID, hashOf("000000"), maxAttempts, t0)
			return outcome{result, err}
		})
		counts := map[storage.ChallengeCheck]int{}
		for i, o := range outcomes {
			if o.err != nil {
				t.Fatalf("check %d: %v", i, o.err)
			}
			counts[o.result]++
		}
		if counts[storage.CheckWrong] != maxAttempts-1 {
			t.Errorf("CheckWrong results: got %d, want %d", counts[storage.CheckWrong], maxAttempts-1)
		}
		if counts[storage.CheckExhausted] != entries-maxAttempts+1 {
			t.Errorf("CheckExhausted results: got %d, want %d", counts[storage.CheckExhausted], entries-maxAttempts+1)
		}
		result, got := f.check(t, c.ID, "123456", t0)
		wantCheck(t, "right code after the cap", result, storage.CheckExhausted)
		if got.Attempts != maxAttempts {
			t.Errorf("Attempts: got %d, want %d", got.Attempts, maxAttempts)
		}
	}},
}
