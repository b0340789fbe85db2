package sms

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"
)

// RetryPolicy bounds the attempts of WithRetry. Zero fields select the
// defaults, so that RetryPolicy{} is a usable policy.
type RetryPolicy struct {
	// MaxAttempts is the number of attempts including the first. Default 3.
	MaxAttempts int
	// AttemptTimeout limits each attempt, on top of the caller's context.
	// Default 5s.
	AttemptTimeout time.Duration
	// Budget limits the total time of the attempts and the waits between
	// them. Each attempt's timeout is capped at the budget left, and a wait
	// that would leave less than minAttemptWindow is not started. Default 8s.
	Budget time.Duration
	// BaseDelay is the wait after the first failure, doubled after each
	// further failure up to MaxDelay. Each wait is then drawn uniformly
	// between half of it and all of it (jitter). Defaults 250ms and 2s.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// Sleep waits for d or until ctx is done, and returns ctx.Err() in the
	// latter case. Now reads the clock. Jitter returns a number in [0, 1).
	// Tests replace them. The defaults use the real clock and math/rand/v2.
	Sleep  func(ctx context.Context, d time.Duration) error
	Now    func() time.Time
	Jitter func() float64
	// Logger receives one record per retry and per retry skipped for lack of
	// budget, with the gateway, the attempt, the error and the masked number.
	// Nil disables logging.
	Logger *slog.Logger
}

// Defaults of RetryPolicy.
const (
	DefaultMaxAttempts    = 3
	DefaultAttemptTimeout = 5 * time.Second
	DefaultRetryBudget    = 8 * time.Second
	defaultBaseDelay      = 250 * time.Millisecond
	defaultMaxDelay       = 2 * time.Second
)

// minAttemptWindow is the least time worth giving another attempt. It is an
// estimate: a gateway request usually completes within a few hundred
// milliseconds.
const minAttemptWindow = 500 * time.Millisecond

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.AttemptTimeout <= 0 {
		p.AttemptTimeout = DefaultAttemptTimeout
	}
	if p.Budget <= 0 {
		p.Budget = DefaultRetryBudget
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = defaultBaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = defaultMaxDelay
	}
	if p.Sleep == nil {
		p.Sleep = sleepContext
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Jitter == nil {
		p.Jitter = rand.Float64
	}
	return p
}

func sleepContext(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// WithRetry returns a Sender that sends through s and, after a failure that
// IsRetryable accepts (a network error, a timeout, HTTP 408, 429 or 5xx, or
// a vendor status documented as temporary), tries again with exponential
// backoff and jitter. It never retries after a success, after any other
// error such as a 4xx, or once ctx is done.
//
// A Retry-After that came with the error replaces the backoff when it leaves
// enough of the budget for another attempt. Otherwise WithRetry returns the
// error at once, because retrying earlier than the gateway asked would fail
// again, and a fallback gateway can take over sooner.
//
// A retry after a timeout may deliver the message twice, with the same code.
// That costs one SMS, while giving up would fail the sign-in.
func WithRetry(s Sender, policy RetryPolicy) Sender {
	return &retrySender{next: s, policy: policy.withDefaults()}
}

type retrySender struct {
	next   Sender
	policy RetryPolicy
}

// Name returns the name of the wrapped sender.
func (r *retrySender) Name() string { return senderName(r.next) }

// Send sends m, retrying as described at WithRetry, and returns the last
// error when no attempt succeeds.
func (r *retrySender) Send(ctx context.Context, m Message) (Receipt, error) {
	deadline := r.policy.Now().Add(r.policy.Budget)
	for attempt := 1; ; attempt++ {
		timeout := min(r.policy.AttemptTimeout, deadline.Sub(r.policy.Now()))
		if timeout <= 0 {
			// A Sleep that returns late can overrun the budget slightly.
			// The attempt still gets a usable window rather than none.
			timeout = minAttemptWindow
		}
		receipt, err := r.attempt(ctx, m, timeout)
		if err == nil {
			return receipt, nil
		}
		wait, retry := r.nextWait(ctx, m, err, attempt, deadline)
		if !retry {
			return Receipt{}, err
		}
		r.log(ctx, "sms send failed, retrying", m, err, attempt, slog.Duration("wait", wait))
		if r.policy.Sleep(ctx, wait) != nil {
			return Receipt{}, err
		}
	}
}

func (r *retrySender) attempt(ctx context.Context, m Message, timeout time.Duration) (Receipt, error) {
	attemptCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return r.next.Send(attemptCtx, m)
}

// nextWait returns how long to wait before the next attempt, or false when
// there should be none.
func (r *retrySender) nextWait(ctx context.Context, m Message, err error, attempt int, deadline time.Time) (time.Duration, bool) {
	if ctx.Err() != nil || !IsRetryable(err) || attempt >= r.policy.MaxAttempts {
		return 0, false
	}
	remaining := deadline.Sub(r.policy.Now())
	if ctxDeadline, ok := ctx.Deadline(); ok {
		remaining = min(remaining, time.Until(ctxDeadline))
	}
	wait := r.backoff(attempt)
	if ge, ok := errors.AsType[*GatewayError](err); ok && ge.RetryAfter > 0 {
		wait = ge.RetryAfter
	}
	if wait+minAttemptWindow > remaining {
		r.log(ctx, "sms send failed, not retrying because the wait exceeds the time budget",
			m, err, attempt, slog.Duration("wait", wait), slog.Duration("budget_left", remaining))
		return 0, false
	}
	return wait, true
}

// backoff returns the jittered wait after the given failed attempt.
func (r *retrySender) backoff(attempt int) time.Duration {
	d := r.policy.BaseDelay
	for i := 1; i < attempt && d < r.policy.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, r.policy.MaxDelay)
	return d/2 + time.Duration(r.policy.Jitter()*float64(d/2))
}

func (r *retrySender) log(ctx context.Context, msg string, m Message, err error, attempt int, attrs ...slog.Attr) {
	if r.policy.Logger == nil {
		return
	}
	attrs = append(attrs,
		slog.String("gateway", r.Name()),
		slog.Int("attempt", attempt),
		slog.String("error", err.Error()),
	)
	attrs = append(attrs, LogAttrs(m)...)
	r.policy.Logger.LogAttrs(ctx, slog.LevelWarn, msg, attrs...)
}
