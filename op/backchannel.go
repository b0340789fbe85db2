package op

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"twofold/login"
	"twofold/storage"
)

// Back-channel logout delivery limits.
const (
	// logoutTimeout bounds one POST to a client's back-channel logout URI.
	logoutTimeout = 5 * time.Second
	// logoutLease is how long a claimed delivery stays with its sender
	// before another may take it: one timeout and a margin.
	logoutLease = logoutTimeout + 25*time.Second
	// logoutTokenLifetime is the exp of a logout token after its iat.
	logoutTokenLifetime = 2 * time.Minute
	// logoutBatch is how many deliveries one pass claims.
	logoutBatch = 32
	// logoutParallel is how many posts one sender runs at once.
	logoutParallel = 4
)

// logoutRetries are the waits after each failed attempt; after the last
// one the delivery is given up. Five attempts over about 13 minutes.
var logoutRetries = []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute}

// backchannelEvent is the member of a logout token's events claim (OpenID
// Connect Back-Channel Logout 1.0, section 2.4).
const backchannelEvent = "http://schemas.openid.net/event/backchannel-logout"

// BackChannel sends the back-channel logouts that ending sessions enqueue
// (OpenID Connect Back-Channel Logout 1.0): for each, a logout token signed
// with the current signing key, posted to the client's URI, retried on
// failure. The queue lives in the database, so a session ended by any
// process (a sign-out, a command, an administrator) is delivered by a
// running server, and several servers share the work.
type BackChannel struct {
	store  storage.LogoutDeliveries
	keys   *Keys
	issuer string
	client *http.Client
	now    func() time.Time
	log    *slog.Logger
	poll   time.Duration
	wake   chan struct{}
}

// NewBackChannel returns a sender that checks the queue every poll and
// whenever SessionsEnded is called. client, if nil, is a client with the
// logout timeout that follows no redirects.
func NewBackChannel(store storage.LogoutDeliveries, keys *Keys, issuer string, client *http.Client,
	poll time.Duration, now func() time.Time, log *slog.Logger) *BackChannel {
	if client == nil {
		client = &http.Client{
			Timeout: logoutTimeout,
			// A logout URI responds to the POST itself (section 2.8).
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return &BackChannel{store: store, keys: keys, issuer: issuer, client: client, now: now, log: log,
		poll: poll, wake: make(chan struct{}, 1)}
}

// SessionsEnded wakes the sender. It never blocks.
func (b *BackChannel) SessionsEnded() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// Run sends due deliveries until ctx ends.
func (b *BackChannel) Run(ctx context.Context) {
	t := time.NewTicker(b.poll)
	defer t.Stop()
	for {
		if _, err := b.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			b.log.ErrorContext(ctx, "send back-channel logouts", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-b.wake:
		}
	}
}

// DeliverDue claims the deliveries due now, posts them, records each
// outcome, and returns how many it attempted.
func (b *BackChannel) DeliverDue(ctx context.Context) (int, error) {
	now := b.now()
	due, err := b.store.ClaimLogoutDeliveries(ctx, now, now.Add(logoutLease), logoutBatch)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, logoutParallel)
	for _, d := range due {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			b.deliver(ctx, d)
		})
	}
	wg.Wait()
	return len(due), nil
}

func (b *BackChannel) deliver(ctx context.Context, d storage.LogoutDelivery) {
	err := b.post(ctx, d)
	now := b.now()
	if err == nil {
		if err := b.store.MarkLogoutDelivered(ctx, d.SessionID, d.ClientID, now); err != nil {
			b.log.ErrorContext(ctx, "record back-channel logout", "client_id", d.ClientID, "error", err)
		}
		b.log.InfoContext(ctx, "back-channel logout delivered", "client_id", d.ClientID, "user_id", d.UserID,
			"attempt", d.Attempts)
		return
	}
	var next time.Time
	if d.Attempts <= len(logoutRetries) {
		next = now.Add(logoutRetries[d.Attempts-1])
	}
	reason := err.Error()
	if next.IsZero() {
		b.log.ErrorContext(ctx, "back-channel logout given up", "client_id", d.ClientID, "user_id", d.UserID,
			"attempts", d.Attempts, "error", reason)
	} else {
		b.log.WarnContext(ctx, "back-channel logout failed; will retry", "client_id", d.ClientID,
			"user_id", d.UserID, "attempt", d.Attempts, "retry_at", next, "error", reason)
	}
	if err := b.store.RetryLogoutDelivery(ctx, d.SessionID, d.ClientID, reason, next, now); err != nil {
		b.log.ErrorContext(ctx, "record back-channel logout failure", "client_id", d.ClientID, "error", err)
	}
}

// post sends one logout token (section 2.5) and succeeds on any 2xx
// status, of which section 2.8 names 200.
func (b *BackChannel) post(ctx context.Context, d storage.LogoutDelivery) error {
	token, err := b.LogoutToken(ctx, d)
	if err != nil {
		return fmt.Errorf("sign logout token: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, logoutTimeout)
	defer cancel()
	body := url.Values{"logout_token": {token}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URI, strings.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := b.client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the URL is in the log fields already
		}
		return fmt.Errorf("post: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("client responded with status %d", resp.StatusCode)
	}
	return nil
}

// logoutClaims are the claims of a logout token (section 2.4).
type logoutClaims struct {
	Issuer   string                    `json:"iss"`
	Subject  string                    `json:"sub"`
	Audience string                    `json:"aud"`
	IssuedAt int64                     `json:"iat"`
	Expiry   int64                     `json:"exp"`
	ID       string                    `json:"jti"`
	Events   map[string]map[string]any `json:"events"`
	SID      string                    `json:"sid"`
}

// LogoutToken signs a logout token for the delivery: typ logout+jwt
// (section 2.4), the session's sid, the user's sub, a fresh jti for every
// attempt, and no nonce.
func (b *BackChannel) LogoutToken(ctx context.Context, d storage.LogoutDelivery) (string, error) {
	key, err := b.keys.SigningKey(ctx)
	if err != nil {
		return "", err
	}
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	now := b.now()
	claims := logoutClaims{
		Issuer: b.issuer, Subject: d.UserID, Audience: d.ClientID,
		IssuedAt: now.Unix(), Expiry: now.Add(logoutTokenLifetime).Unix(),
		ID:     base64.RawURLEncoding.EncodeToString(jti),
		Events: map[string]map[string]any{backchannelEvent: {}},
		SID:    login.SessionSID(d.SessionID),
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	opts := (&jose.SignerOptions{}).WithType("logout+jwt").WithHeader(jose.HeaderKey("kid"), key.ID())
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: key.SignatureAlgorithm(), Key: key.Key()}, opts)
	if err != nil {
		return "", err
	}
	sig, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return sig.CompactSerialize()
}
