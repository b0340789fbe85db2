package storage

import (
	"context"
	"time"
)

// LoginFailure is one throttle key a failed password attempt counts
// against, with the rule that locks it.
type LoginFailure struct {
	Key string
	// Threshold failures within Window lock the key. Each lock lasts
	// BaseLock doubled for every earlier lock of the key, at most MaxLock,
	// and the count of earlier locks is forgotten after a Window without
	// failures.
	Threshold         int
	Window            time.Duration
	BaseLock, MaxLock time.Duration
}

// LoginThrottle stores failed password attempts, so the limits hold across
// several processes.
type LoginThrottle interface {
	// LoginLockedUntil returns the latest lock end among keys that is after
	// now, or the zero time when none of them is locked.
	LoginLockedUntil(ctx context.Context, keys []string, now time.Time) (time.Time, error)
	// RecordLoginFailure counts a failure against every key in one
	// transaction and returns the latest lock end it set or found (zero when
	// no key is locked).
	RecordLoginFailure(ctx context.Context, failures []LoginFailure, now time.Time) (time.Time, error)
	// ClearLoginFailures forgets the failures of keys, after a successful
	// sign-in.
	ClearLoginFailures(ctx context.Context, keys []string) error
}
