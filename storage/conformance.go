package storage

import (
	"context"
	"time"
)

// Token endpoint authentication methods a client registers (RFC 7591,
// section 2).
const (
	AuthMethodBasic = "client_secret_basic"
	AuthMethodPost  = "client_secret_post"
	AuthMethodNone  = "none"
)

// AuthMethod returns the client's token endpoint authentication method:
// the registered one, or for a client stored without one, none for a
// public client and client_secret_basic for a confidential one.
func (c *Client) AuthMethod() string {
	switch {
	case c.TokenEndpointAuthMethod != "":
		return c.TokenEndpointAuthMethod
	case c.Public:
		return AuthMethodNone
	default:
		return AuthMethodBasic
	}
}

// SessionClient records that a client signed into a session, so that
// ending the session can tell the client (OpenID Connect Back-Channel
// Logout 1.0).
type SessionClient struct {
	SessionID string
	ClientID  string
	FirstAt   time.Time // the first sign-in of the client in the session
	LastAt    time.Time // the latest one
}

// LogoutDelivery is a back-channel logout notification to one client for
// one ended session. Ending a session enqueues one for every client that
// signed into it and has a back-channel logout URI; a sender claims due
// deliveries, posts a logout token, and records the outcome.
type LogoutDelivery struct {
	SessionID     string
	ClientID      string
	UserID        string
	URI           string // the client's back-channel logout URI when the session ended
	Attempts      int    // posts started, counting the one a claim starts
	NextAttemptAt time.Time
	CreatedAt     time.Time
	DeliveredAt   *time.Time
	FailedAt      *time.Time // set when the sender gave up
	LastError     string     // the reason the latest attempt failed, for operators
}

// ClientAdmin changes and lists registered clients.
type ClientAdmin interface {
	// UpdateClient replaces the stored client with c, matched by ID;
	// CreatedAt is kept. ErrNotFound when there is no such client.
	UpdateClient(ctx context.Context, c *Client) error
	// ListClients returns every client, ordered by id.
	ListClients(ctx context.Context) ([]Client, error)
}

// SessionClients tracks which clients each session signed into.
type SessionClients interface {
	// RecordSessionClient notes a sign-in of the client in the session.
	// ErrNotFound when the session or the client does not exist.
	RecordSessionClient(ctx context.Context, sessionID, clientID string, now time.Time) error
	// SessionClients lists the clients of a session, by first sign-in.
	SessionClients(ctx context.Context, sessionID string) ([]SessionClient, error)
	// UserSessions lists the user's sessions that have neither ended nor
	// expired at now, the most recently used first.
	UserSessions(ctx context.Context, userID string, now time.Time) ([]Session, error)
}

// LogoutDeliveries is the queue of back-channel logout notifications.
// EndSession, EndUserSessions and SetOfficeTwoFactor enqueue into it in the
// transaction that ends the sessions, so a notification is never lost
// between the two.
type LogoutDeliveries interface {
	// ClaimLogoutDeliveries takes up to limit deliveries that are neither
	// delivered nor failed and are due at now, counts an attempt on each,
	// and moves their next attempt to leaseUntil, so that no other sender
	// takes them meanwhile. It returns them as updated.
	ClaimLogoutDeliveries(ctx context.Context, now, leaseUntil time.Time, limit int) ([]LogoutDelivery, error)
	// MarkLogoutDelivered records a successful post. ErrNotFound when the
	// delivery does not exist.
	MarkLogoutDelivered(ctx context.Context, sessionID, clientID string, now time.Time) error
	// RetryLogoutDelivery records a failed attempt with its reason and
	// schedules the next one at next, or, when next is zero, gives the
	// delivery up as failed at now. ErrNotFound when it does not exist.
	RetryLogoutDelivery(ctx context.Context, sessionID, clientID, reason string, next, now time.Time) error
	// LogoutDeliveries lists the deliveries of a session, by client id.
	LogoutDeliveries(ctx context.Context, sessionID string) ([]LogoutDelivery, error)
}
