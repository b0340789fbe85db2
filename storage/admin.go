package storage

import (
	"context"
	"errors"
	"time"
)

// Errors returned by the Admin methods.
var (
	// ErrStale means the row no longer has the value that a change was based
	// on, because another request changed it first. Nothing was written.
	ErrStale = errors.New("storage: changed by another request")
	// ErrLastSuperuser means a role change would leave the office without a
	// super user. Nothing was written.
	ErrLastSuperuser = errors.New("storage: the office's last super user")
	// ErrRateLimited means no more codes may be sent yet. Nothing was written.
	ErrRateLimited = errors.New("storage: too many codes sent")
)

// AuditAction names what an audit event records.
type AuditAction string

const (
	AuditTwoFactor    AuditAction = "office.two_factor"   // Old and New are "on" or "off"
	AuditUserCreate   AuditAction = "user.create"         // New is the role
	AuditRole         AuditAction = "user.role"           // Old and New are roles
	AuditMobile       AuditAction = "user.mobile"         // masked numbers, "" for none
	AuditProfile      AuditAction = "user.profile"        // "name <email>"
	AuditPassword     AuditAction = "user.password"       // no values
	AuditSignInLocked AuditAction = "user.sign_in_locked" // New says until when
)

// AuditEvent is one change to an office's policy or users.
type AuditEvent struct {
	Seq        int64 // set by the store; increases with every event
	ID         string
	OfficeID   string
	ActorID    string // the user who made the change; empty for the command line
	ActorName  string // the actor's username at the time, or "command line"
	Action     AuditAction
	TargetID   string // the user changed, or the office for AuditTwoFactor
	TargetName string // the target's username or office code at the time
	Old, New   string // never a full mobile number: masked with phone.Mask
	At         time.Time
}

// UserCounts counts an office's users by the state of their mobile number.
type UserCounts struct {
	Total       int
	NoMobile    int // no number at all
	Unconfirmed int // a number that no code has confirmed yet
}

// MobileChange is a user's request to change their own mobile number. The
// number is saved only when the code sent to it is entered. One row per
// user carries the send counters across requests, so cancelling and
// starting again does not reset the limits.
type MobileChange struct {
	UserID      string
	Mobile      string // E.164; empty when no change is pending
	CodeHash    []byte // keyed hash of the current code; nil when none is pending
	Sends       int    // codes sent since WindowStart
	Attempts    int    // wrong entries against the current code
	WindowStart time.Time
	LastSentAt  time.Time
	ExpiresAt   time.Time // of the current code
	CreatedAt   time.Time
}

// Pending reports whether a code for a new number can still be entered.
func (m *MobileChange) Pending() bool { return m.Mobile != "" && len(m.CodeHash) > 0 }

// SendLimits bound the codes sent for one user's number changes: at most
// Max codes per Window, and none sooner than Interval after the last.
type SendLimits struct {
	Max      int
	Window   time.Duration
	Interval time.Duration
}

// Admin stores what the settings pages change: office policy, users, roles,
// mobile numbers and the audit record of each change.
//
// A method that takes an AuditEvent writes it in the same transaction as
// the change, so a change is never stored without its event or the other
// way round, and uses ev.At as the time of the change. Methods that take
// the current value (from) apply the change only while the row still has
// it, and return ErrStale otherwise, so the recorded old value is always the
// value that was replaced.
type Admin interface {
	// ListUsers returns the office's users ordered by username.
	ListUsers(ctx context.Context, officeID string) ([]User, error)
	// CountUsers counts the office's users by mobile number state.
	CountUsers(ctx context.Context, officeID string) (UserCounts, error)
	// CreateOfficeUser stores u (as CreateUser does) with its events.
	CreateOfficeUser(ctx context.Context, u *User, events ...AuditEvent) error
	// SwitchOfficeTwoFactor sets the office's policy to on and returns the
	// office. ErrStale when the policy is on already. Switching on gives
	// every user of the office a policy notice; switching off removes them.
	SwitchOfficeTwoFactor(ctx context.Context, officeID string, on bool, ev AuditEvent) (*Office, error)
	// UpdateUserProfile replaces the name and email.
	UpdateUserProfile(ctx context.Context, userID, fromName, fromEmail, name, email string, ev AuditEvent) error
	// SetUserRole changes the role. ErrLastSuperuser when the user is the
	// office's only super user and to is another role. Concurrent changes
	// of one office's roles run one after the other, so two demotions
	// cannot both pass this check.
	SetUserRole(ctx context.Context, userID string, from, to Role, ev AuditEvent) error
	// SetUserPassword replaces the password hash and ends every session of
	// the user, revoking its tokens, as EndUserSessions does.
	SetUserPassword(ctx context.Context, userID, hash string, ev AuditEvent) error
	// SetUnconfirmedMobile replaces the number (E.164, or empty to clear
	// it) and marks it unconfirmed: only a code sent to a number confirms it.
	SetUnconfirmedMobile(ctx context.Context, userID, from, to string, ev AuditEvent) error
	// ConfirmMobile saves mobile as the user's confirmed number after its
	// code was entered at sign-in. ErrStale when the number is no longer
	// from.
	ConfirmMobile(ctx context.Context, userID, from, mobile string, ev AuditEvent) error

	// StartMobileChange makes mobile the user's pending new number with a
	// new code, replacing any pending one. It counts a send, and fails with
	// ErrRateLimited when the limits allow none now.
	StartMobileChange(ctx context.Context, userID, mobile string, codeHash []byte, limits SendLimits, now, expiresAt time.Time) error
	// ResendMobileChange replaces the code of the pending change, which
	// voids the old one and resets attempts. ErrNotFound when nothing is
	// pending, ErrRateLimited when the limits allow no send now.
	ResendMobileChange(ctx context.Context, userID string, codeHash []byte, limits SendLimits, now, expiresAt time.Time) error
	// MobileChangeByUser returns the user's row, pending or not.
	// ErrNotFound when the user never started a change.
	MobileChangeByUser(ctx context.Context, userID string) (*MobileChange, error)
	// CheckMobileChange compares codeHash with the pending code in constant
	// time. A match saves the new number as confirmed, writes ev and ends
	// the change, unless the user's number is no longer from, which is
	// ErrStale with nothing written. A miss counts an attempt, and the
	// maxAttempts-th miss voids the code. ErrNotFound when nothing is pending.
	CheckMobileChange(ctx context.Context, userID, from string, codeHash []byte, maxAttempts int, ev AuditEvent) (ChallengeCheck, error)
	// CancelMobileChange ends a pending change and keeps the send counters.
	CancelMobileChange(ctx context.Context, userID string) error

	// AppendAudit stores an event of a change made without the methods above.
	AppendAudit(ctx context.Context, ev AuditEvent) error
	// ListAudit returns up to limit events of the office, newest first,
	// with Seq below beforeSeq (0 for the newest).
	ListAudit(ctx context.Context, officeID string, beforeSeq int64, limit int) ([]AuditEvent, error)

	// HasPolicyNotice reports whether the user is still to be shown the
	// notice that the office now requires a code by SMS.
	HasPolicyNotice(ctx context.Context, userID string) (bool, error)
	// ClearPolicyNotice removes the user's notice. No notice is not an error.
	ClearPolicyNotice(ctx context.Context, userID string) error
}
