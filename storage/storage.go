// Package storage defines twofold's domain types and the Store interface that
// every database backend implements. It imports nothing from the web side.
//
// All times are passed in by the caller (an injected clock), so expiry checks
// in SQL compare against the caller's "now" and tests need no sleeps.
package storage

import (
	"context"
	"errors"
	"time"
)

// Errors returned by every backend. Callers test them with errors.Is.
var (
	// ErrNotFound means the row does not exist, has expired, or was used up.
	ErrNotFound = errors.New("storage: not found")
	// ErrConflict means a unique value (office code, username, client id) exists.
	ErrConflict = errors.New("storage: already exists")
	// ErrReused means a single-use value (authorization code, refresh token)
	// was presented a second time; the backend has already revoked what was
	// issued from it.
	ErrReused = errors.New("storage: already used")
)

// Role is a user's role within their office.
type Role string

const (
	RoleSuperuser  Role = "superuser"
	RoleAccountant Role = "accountant"
	RoleUser       Role = "user"
)

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool {
	return r == RoleSuperuser || r == RoleAccountant || r == RoleUser
}

// Office is a tenant: an accounting firm and its staff.
type Office struct {
	ID        string // opaque, random
	Code      string // typed at sign-in; stored upper case, unique
	Name      string
	TwoFactor bool   // every user must pass the SMS step
	Country   string // ISO 3166-1 alpha-2, upper case
	CreatedAt time.Time
	UpdatedAt time.Time
}

// User is a person who signs in. ID is the stable, opaque OIDC subject.
type User struct {
	ID              string
	OfficeID        string
	Username        string // unique within the office, compared case-insensitively
	Name            string
	Email           string
	Role            Role
	PasswordHash    string // PHC string, argon2id
	Mobile          string // E.164, empty when none
	MobileConfirmed bool
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Client is a registered OIDC relying party.
type Client struct {
	ID                     string
	Name                   string
	SecretHash             []byte // SHA-256 of the secret; nil for public clients
	Public                 bool
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	// TokenEndpointAuthMethod is client_secret_basic, client_secret_post or
	// none (RFC 7591, section 2); empty means the default of its kind.
	TokenEndpointAuthMethod string
	// BackchannelLogoutURI receives logout tokens when a session the client
	// signed into ends; empty when the client takes none.
	BackchannelLogoutURI string
	CreatedAt            time.Time
}

// AuthRequest is an OIDC authorization request and the sign-in that completes it.
type AuthRequest struct {
	ID                  string
	ClientID            string
	RedirectURI         string
	State               string
	Nonce               string
	Scopes              []string
	ResponseType        string
	ResponseMode        string
	CodeChallenge       string
	CodeChallengeMethod string
	Prompt              []string
	MaxAge              *int64 // seconds; nil when absent, 0 forces a new sign-in
	LoginHint           string
	UILocales           []string
	ACRValues           []string
	HintSubject         string // sub of a verified id_token_hint
	// Claims is the claims request parameter (OpenID Connect Core 1.0,
	// section 5.5) as validated JSON; empty when absent.
	Claims string

	// BrowserHash is the SHA-256 of the browser cookie that first opened the
	// sign-in page; only that browser may continue or complete the request.
	BrowserHash []byte

	// Filled in as the sign-in proceeds.
	UserID    string
	SessionID string
	AMR       []string
	ACR       string
	AuthTime  time.Time
	Done      bool

	CreatedAt time.Time
	ExpiresAt time.Time
}

// AuthResult is what a finished sign-in writes onto its AuthRequest.
type AuthResult struct {
	UserID    string
	SessionID string
	AMR       []string
	ACR       string
	AuthTime  time.Time
}

// Session is a browser's single sign-on session.
type Session struct {
	ID         string
	UserID     string
	OfficeID   string
	AMR        []string
	AuthTime   time.Time
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	EndedAt    *time.Time
}

// ChallengePurpose says what a verified SMS code proves besides possession.
type ChallengePurpose string

const (
	// PurposeVerify sends to the user's confirmed number.
	PurposeVerify ChallengePurpose = "verify"
	// PurposeConfirm sends to a number an admin entered; the code confirms it.
	PurposeConfirm ChallengePurpose = "confirm"
	// PurposeEnroll sends to a number the user typed at sign-in; the code
	// saves it as the user's confirmed number.
	PurposeEnroll ChallengePurpose = "enroll"
)

// Challenge is an SMS code sent for one sign-in, to one user and number.
type Challenge struct {
	ID            string
	AuthRequestID string
	UserID        string
	Mobile        string // E.164
	Purpose       ChallengePurpose
	CodeHash      []byte // keyed hash of the code; the code itself is never stored
	// Sends counts the codes sent for the sign-in up to and including this
	// challenge's, because login starts a challenge that replaces another
	// one of the same auth request from its predecessor's count.
	Sends      int
	Attempts   int // wrong entries against the current code
	LastSentAt time.Time
	ExpiresAt  time.Time // of the current code
	VerifiedAt *time.Time
	CreatedAt  time.Time
}

// ChallengeCheck is the outcome of entering a code.
type ChallengeCheck int

const (
	CheckOK        ChallengeCheck = iota // the code matched and is now used
	CheckWrong                           // wrong code; attempts remain
	CheckExhausted                       // wrong code and no attempts remain, or none remained
	CheckExpired                         // the code has expired
	CheckUsed                            // the challenge was already verified
)

// Token is an access token. Opaque to clients; the ID is what the OP
// encrypts into the token string.
type Token struct {
	ID             string
	ClientID       string
	UserID         string
	Scopes         []string
	Audience       []string
	RefreshTokenID string // empty when issued without a refresh token
	AuthRequestID  string // set when issued from an authorization code
	Claims         string // the claims request of the grant, as JSON
	ExpiresAt      time.Time
	CreatedAt      time.Time
}

// RefreshToken is a refresh token. Only the SHA-256 of the token is stored.
// Tokens rotate on use: each use marks the token used and issues a successor
// in the same family.
type RefreshToken struct {
	ID            string
	TokenHash     []byte
	FamilyID      string
	ClientID      string
	UserID        string
	SessionID     string
	AuthRequestID string
	Scopes        []string
	Audience      []string
	AMR           []string
	ACR           string
	AuthTime      time.Time
	Claims        string // the claims request of the grant, as JSON
	CreatedAt     time.Time
	ExpiresAt     time.Time
}

// SigningKey is a token signing key. The private key is stored encrypted by
// the caller; the backend only moves bytes.
type SigningKey struct {
	ID                  string // the JWK kid
	Algorithm           string // a JOSE alg such as RS256
	PrivateKeyEncrypted []byte
	PublicKey           []byte // PKIX DER
	CreatedAt           time.Time
	RetiredAt           *time.Time
}

// Store is the database. Every method is safe for concurrent use by several
// goroutines and several processes on one database.
type Store interface {
	Offices
	Users
	Clients
	AuthRequests
	Sessions
	Challenges
	Tokens
	SigningKeys
	ClientAdmin
	SessionClients
	LogoutDeliveries
	SMSLimits
	Admin
	PhoneStats
	LoginThrottle

	// Ping checks that the database responds.
	Ping(ctx context.Context) error
	// Close releases the connection pool.
	Close() error
}

// Offices stores tenants.
type Offices interface {
	CreateOffice(ctx context.Context, o *Office) error // ErrConflict on a taken code
	OfficeByID(ctx context.Context, id string) (*Office, error)
	OfficeByCode(ctx context.Context, code string) (*Office, error) // code compared upper case
	// SetOfficeTwoFactor switches the policy and returns the office as stored.
	// Switching it on ends the office's sessions made without an SMS code,
	// as EndSession does, in the same transaction.
	SetOfficeTwoFactor(ctx context.Context, id string, on bool, now time.Time) (*Office, error)
	// SetOfficeCountry changes the office's country and returns the office.
	SetOfficeCountry(ctx context.Context, id, country string, now time.Time) (*Office, error)
}

// Users stores people.
type Users interface {
	CreateUser(ctx context.Context, u *User) error // ErrConflict on a taken username in the office
	UserByID(ctx context.Context, id string) (*User, error)
	// UserByUsername looks up a username within an office, case-insensitively.
	UserByUsername(ctx context.Context, officeID, username string) (*User, error)
	// SetUserMobile stores a number (E.164, or empty to clear it) and whether it
	// is confirmed.
	SetUserMobile(ctx context.Context, userID, mobile string, confirmed bool, now time.Time) error
}

// Clients stores relying parties.
type Clients interface {
	CreateClient(ctx context.Context, c *Client) error // ErrConflict on a taken id
	ClientByID(ctx context.Context, id string) (*Client, error)
}

// AuthRequests stores authorization requests, their sign-in progress and the
// authorization code issued for them.
type AuthRequests interface {
	CreateAuthRequest(ctx context.Context, r *AuthRequest) error
	// AuthRequestByID returns a request that has not expired at now.
	AuthRequestByID(ctx context.Context, id string, now time.Time) (*AuthRequest, error)
	// BindAuthRequestBrowser sets the browser hash if none is set yet. It
	// returns the hash the request is bound to, which differs from hash when
	// another browser got there first.
	BindAuthRequestBrowser(ctx context.Context, id string, hash []byte, now time.Time) ([]byte, error)
	// SetAuthRequestUser records the user who passed the password step (or an
	// SSO session) without finishing the request.
	SetAuthRequestUser(ctx context.Context, id, userID string, now time.Time) error
	// CompleteAuthRequest marks an unexpired, unfinished request done with the
	// result. ErrNotFound when it is expired, finished or missing.
	CompleteAuthRequest(ctx context.Context, id string, res AuthResult, now time.Time) error
	// SaveAuthCode stores the hash of the authorization code for a done
	// request. ErrConflict when the request already has a code.
	SaveAuthCode(ctx context.Context, id string, codeHash []byte, expiresAt time.Time) error
	// ConsumeAuthCode atomically marks the code used and returns its request.
	// A code presented a second time returns ErrReused after every token
	// issued from that request has been revoked; an unknown or expired code
	// returns ErrNotFound.
	ConsumeAuthCode(ctx context.Context, codeHash []byte, now time.Time) (*AuthRequest, error)
	// DeleteExpired removes requests, codes, challenges, sessions and tokens
	// that expired before now, and returns how many rows went. A row is
	// expired when its expiry is at or before the argument, the instant from
	// which reads no longer return it. A request stays while its code is
	// unexpired, and a challenge goes with its request.
	DeleteExpired(ctx context.Context, before time.Time) (int64, error)
}

// Sessions stores browser sessions.
type Sessions interface {
	CreateSession(ctx context.Context, s *Session) error
	// SessionByID returns a session that has neither ended nor expired at now.
	SessionByID(ctx context.Context, id string, now time.Time) (*Session, error)
	// UpdateSessionAuth replaces the session's factors and auth time, as after
	// a step-up to SMS.
	UpdateSessionAuth(ctx context.Context, id string, amr []string, authTime, now time.Time) error
	// TouchSession records activity.
	TouchSession(ctx context.Context, id string, now time.Time) error
	// EndSession ends one session, revokes the tokens issued in it, and
	// enqueues a back-channel logout for each client that signed into it.
	EndSession(ctx context.Context, id string, now time.Time) error
	// EndUserSessions ends every session of the user, optionally only those
	// of one client (clientID empty means all), and revokes their tokens.
	// A session is one client's when that client got a refresh token or an
	// auth request in it. Ending it revokes all of its tokens, as EndSession
	// does, and the user's other tokens of that client (of every client when
	// clientID is empty) are revoked too.
	EndUserSessions(ctx context.Context, userID, clientID string, now time.Time) error
}

// Challenges stores SMS codes.
type Challenges interface {
	// CreateChallenge stores a new challenge with its first code. Any earlier
	// unverified challenge of the same auth request is voided.
	CreateChallenge(ctx context.Context, c *Challenge) error
	// ActiveChallenge returns the newest challenge of the auth request that is
	// not voided, whether or not its code has expired.
	ActiveChallenge(ctx context.Context, authRequestID string) (*Challenge, error)
	// ResendChallenge replaces the code of an unverified challenge, which voids
	// the old one, resets attempts and counts a send. It fails with
	// ErrNotFound unless the challenge has fewer than maxSends sends and its
	// last send is at or before notBefore, so two concurrent resends send once.
	ResendChallenge(ctx context.Context, id string, codeHash []byte, maxSends int, notBefore, now, expiresAt time.Time) error
	// CheckChallenge compares codeHash with the stored hash in constant time
	// and records the outcome atomically: a match marks the challenge
	// verified, a miss counts an attempt, and the fifth miss (maxAttempts)
	// voids the code.
	CheckChallenge(ctx context.Context, id string, codeHash []byte, maxAttempts int, now time.Time) (ChallengeCheck, *Challenge, error)
}

// Tokens stores access and refresh tokens.
type Tokens interface {
	CreateToken(ctx context.Context, t *Token) error
	// TokenByID returns an access token that is neither revoked nor expired.
	TokenByID(ctx context.Context, id string, now time.Time) (*Token, error)
	RevokeToken(ctx context.Context, id string, now time.Time) error

	// CreateRefreshToken stores rt. An empty FamilyID starts a new family
	// and is set to rt.ID.
	CreateRefreshToken(ctx context.Context, rt *RefreshToken) error
	// RefreshTokenByHash returns an unused, unrevoked, unexpired token.
	RefreshTokenByHash(ctx context.Context, hash []byte, now time.Time) (*RefreshToken, error)
	// RotateRefreshToken marks the token with oldHash used, stores next (in
	// the same family, so next.FamilyID is set to it) and the access token,
	// which may be nil, in one transaction. When the old token was already
	// used, the whole family is revoked and ErrReused is returned. Exactly
	// one of several concurrent rotations wins.
	RotateRefreshToken(ctx context.Context, oldHash []byte, next *RefreshToken, access *Token, now time.Time) error
	// RevokeReusedRefreshToken handles a refresh token presented after it
	// was used: it revokes the token's family and its access tokens and
	// returns ErrReused. An unknown, expired or revoked-but-unused token is
	// ErrNotFound and changes nothing.
	RevokeReusedRefreshToken(ctx context.Context, hash []byte, now time.Time) error
	// RevokeRefreshToken revokes the token's family and its access tokens.
	RevokeRefreshToken(ctx context.Context, id string, now time.Time) error
}

// SigningKeys stores token signing keys.
type SigningKeys interface {
	CreateSigningKey(ctx context.Context, k *SigningKey) error
	// SigningKeys returns every key that is not retired, or was retired after
	// retiredAfter, newest first.
	SigningKeys(ctx context.Context, retiredAfter time.Time) ([]SigningKey, error)
	// RetireSigningKeys marks every unretired key but keepID retired at now
	// and returns how many it retired. A retired key signs nothing new but
	// stays listed until its retirement is older than the caller's cutoff.
	RetireSigningKeys(ctx context.Context, keepID string, now time.Time) (int64, error)
}
