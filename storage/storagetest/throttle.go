package storagetest

import (
	"sync"
	"testing"
	"time"

	"twofold/storage"
)

func pairRule(key string) storage.LoginFailure {
	return storage.LoginFailure{Key: key, Threshold: 3, Window: 10 * time.Minute, BaseLock: time.Minute, MaxLock: 4 * time.Minute}
}

var loginThrottleTests = []testCase{
	{"LocksAtThreshold", func(t *testing.T, f *fixture) {
		rule := pairRule(newID("key"))
		for i := 1; i <= 2; i++ {
			until, err := f.s.RecordLoginFailure(f.ctx, []storage.LoginFailure{rule}, t0)
			wantErr(t, "RecordLoginFailure", err, nil)
			if !until.IsZero() {
				t.Fatalf("failure %d locked until %v, want no lock below the threshold", i, until)
			}
		}
		until, err := f.s.RecordLoginFailure(f.ctx, []storage.LoginFailure{rule}, t0)
		wantErr(t, "RecordLoginFailure", err, nil)
		if !until.Equal(t0.Add(time.Minute)) {
			t.Fatalf("third failure locked until %v, want %v", until, t0.Add(time.Minute))
		}
		got, err := f.s.LoginLockedUntil(f.ctx, []string{"other", rule.Key}, t0.Add(30*time.Second))
		wantErr(t, "LoginLockedUntil", err, nil)
		if !got.Equal(until) {
			t.Errorf("LoginLockedUntil during the lock = %v, want %v", got, until)
		}
		got, err = f.s.LoginLockedUntil(f.ctx, []string{rule.Key}, until)
		wantErr(t, "LoginLockedUntil", err, nil)
		if !got.IsZero() {
			t.Errorf("LoginLockedUntil at the lock's end = %v, want zero", got)
		}
	}},
	{"LocksGrowAndAreCapped", func(t *testing.T, f *fixture) {
		rule := pairRule(newID("key"))
		now := t0
		var locks []time.Duration
		for range 4 {
			var until time.Time
			for range rule.Threshold {
				var err error
				until, err = f.s.RecordLoginFailure(f.ctx, []storage.LoginFailure{rule}, now)
				wantErr(t, "RecordLoginFailure", err, nil)
			}
			locks = append(locks, until.Sub(now))
			now = until
		}
		want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 4 * time.Minute}
		for i := range want {
			if locks[i] != want[i] {
				t.Errorf("lock %d lasted %v, want %v", i+1, locks[i], want[i])
			}
		}
	}},
	{"QuietWindowForgives", func(t *testing.T, f *fixture) {
		rule := pairRule(newID("key"))
		for range rule.Threshold {
			_, err := f.s.RecordLoginFailure(f.ctx, []storage.LoginFailure{rule}, t0)
			wantErr(t, "RecordLoginFailure", err, nil)
		}
		later := t0.Add(rule.Window + time.Minute)
		for range rule.Threshold - 1 {
			until, err := f.s.RecordLoginFailure(f.ctx, []storage.LoginFailure{rule}, later)
			wantErr(t, "RecordLoginFailure", err, nil)
			if !until.IsZero() {
				t.Fatalf("failures after a quiet window locked until %v", until)
			}
		}
		until, _ := f.s.RecordLoginFailure(f.ctx, []storage.LoginFailure{rule}, later)
		if !until.Equal(later.Add(rule.BaseLock)) {
			t.Errorf("lock after a quiet window ends %v, want the base lock %v", until, later.Add(rule.BaseLock))
		}
	}},
	{"ClearForgets", func(t *testing.T, f *fixture) {
		rule := pairRule(newID("key"))
		for range rule.Threshold - 1 {
			_, _ = f.s.RecordLoginFailure(f.ctx, []storage.LoginFailure{rule}, t0)
		}
		wantErr(t, "ClearLoginFailures", f.s.ClearLoginFailures(f.ctx, []string{rule.Key, "never seen"}), nil)
		until, err := f.s.RecordLoginFailure(f.ctx, []storage.LoginFailure{rule}, t0)
		wantErr(t, "RecordLoginFailure", err, nil)
		if !until.IsZero() {
			t.Errorf("a failure after ClearLoginFailures locked until %v", until)
		}
	}},
	{"ConcurrentFailuresAllCount", func(t *testing.T, f *fixture) {
		rule := storage.LoginFailure{Key: newID("key"), Threshold: 10, Window: time.Hour, BaseLock: time.Minute, MaxLock: time.Hour}
		var wg sync.WaitGroup
		for range 9 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := f.s.RecordLoginFailure(f.ctx, []storage.LoginFailure{rule}, t0); err != nil {
					t.Errorf("RecordLoginFailure: %v", err)
				}
			}()
		}
		wg.Wait()
		until, err := f.s.RecordLoginFailure(f.ctx, []storage.LoginFailure{rule}, t0)
		wantErr(t, "RecordLoginFailure", err, nil)
		if until.IsZero() {
			t.Error("the tenth of ten concurrent failures did not lock the key")
		}
	}},
}
