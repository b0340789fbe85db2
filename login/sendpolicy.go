package login

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"twofold/phone"
	"twofold/storage"
)

// SendPolicy decides whether the sign-in may send a code, on top of the
// per-sign-in rules (MaxSends, ResendInterval), and keeps statistics of what
// was sent. Package smslimit implements it over the database.
type SendPolicy interface {
	// CheckDestination returns a *DestinationError when the office may not
	// send codes to the country of mobile (E.164). It counts nothing, so
	// enrollment calls it when a number is typed.
	CheckDestination(ctx context.Context, officeID, mobile string) error
	// Allow counts the send against every limit and returns nil, or returns
	// a *LimitError or *DestinationError and counts nothing against the
	// limits. A nil error obliges the caller to send and then call Record.
	Allow(ctx context.Context, req SendRequest) error
	// Record adds the outcome of a send that Allow permitted to the
	// statistics: gateway is the gateway that accepted or failed it, err
	// the send's error. It logs its own failures.
	Record(ctx context.Context, req SendRequest, gateway string, err error)
}

// SendRequest is a code that the sign-in is about to send.
type SendRequest struct {
	OfficeID      string
	UserID        string
	AuthRequestID string
	Mobile        string     // E.164
	ClientIP      netip.Addr // the zero Addr when unknown
}

// LimitScope names what a limit counts.
type LimitScope string

const (
	ScopeNumber       LimitScope = "number"
	ScopeUser         LimitScope = "user"
	ScopeClientIP     LimitScope = "client_ip"
	ScopeOffice       LimitScope = "office"
	ScopeInstallation LimitScope = "installation"
)

// LimitError is a send refused by a limit.
type LimitError struct {
	Scope LimitScope
	// Window is the interval the limit counts in: an hour, a day, or the
	// shortest time between two codes to one user.
	Window time.Duration
	// RetryAfter is how long until a send may succeed.
	RetryAfter time.Duration
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("SMS %s limit per %v reached; retry after %v", e.Scope, e.Window, e.RetryAfter.Round(time.Second))
}

// DestinationError is a send refused because of the destination's country.
type DestinationError struct {
	Country string   // ISO 3166-1 alpha-2, or empty when it is unknown
	Allowed []string // the office's allowed countries
}

func (e *DestinationError) Error() string {
	if e.Country == "" {
		return "SMS destination in an unknown country"
	}
	return "SMS destination country " + e.Country + " is not allowed"
}

// Message returns the text for the person who signs in, in English.
func (e *DestinationError) Message() string {
	allowed := make([]string, len(e.Allowed))
	for i, cc := range e.Allowed {
		allowed[i] = CountryName(cc)
	}
	list := strings.Join(allowed, ", ")
	if e.Country == "" {
		return "Codes cannot be sent to this number because its country is unknown. Enter a mobile number from " + list + "."
	}
	return fmt.Sprintf("Codes cannot be sent by SMS to numbers in %s. Your office allows mobile numbers from %s.",
		CountryName(e.Country), list)
}

// CountryName returns the English name of an ISO 3166-1 alpha-2 code, or
// the code itself when phone does not know it.
func CountryName(region string) string {
	for _, c := range phone.Countries("en") {
		if c.Region == region {
			return c.Name
		}
	}
	return region
}

// errSignInSendsUsed is a first send refused because the sign-in has sent
// MaxSends codes to the numbers typed in it.
var errSignInSendsUsed = errors.New("login: the sign-in has sent the most codes it may")

// allowAll is the policy when Options.SendPolicy is nil.
type allowAll struct{}

func (allowAll) CheckDestination(context.Context, string, string) error { return nil }
func (allowAll) Allow(context.Context, SendRequest) error               { return nil }
func (allowAll) Record(context.Context, SendRequest, string, error)     {}

func (h *Handler) sendPolicy() SendPolicy {
	if h.SendPolicy == nil {
		return allowAll{}
	}
	return h.SendPolicy
}

// clientIP returns the request's client address through Options.ClientIP,
// or the TCP peer when that is nil.
func (h *Handler) clientIP(r *http.Request) netip.Addr {
	if h.ClientIP != nil {
		return h.ClientIP(r)
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

func (h *Handler) sendRequest(r *http.Request, ar *storage.AuthRequest, user *storage.User, mobile string) SendRequest {
	return SendRequest{
		OfficeID:      user.OfficeID,
		UserID:        user.ID,
		AuthRequestID: ar.ID,
		Mobile:        mobile,
		ClientIP:      h.clientIP(r),
	}
}

// waitText writes a wait for people: seconds below two minutes, then
// minutes, then hours, rounded up.
func waitText(d time.Duration) string {
	switch {
	case d < 2*time.Minute:
		s := max(int((d+time.Second-1)/time.Second), 1)
		return fmt.Sprintf("%d %s", s, plural(s, "second", "seconds"))
	case d < 2*time.Hour:
		m := int((d + time.Minute - 1) / time.Minute)
		return fmt.Sprintf("%d minutes", m)
	}
	hours := int((d + time.Hour - 1) / time.Hour)
	return fmt.Sprintf("%d hours", hours)
}

// retryAfterSeconds returns d in whole seconds, rounded up, at least 1.
func retryAfterSeconds(d time.Duration) int {
	return max(int((d+time.Second-1)/time.Second), 1)
}

// limitMessage returns the message shown to the person for a limit.
func limitMessage(e *LimitError) string {
	wait := waitText(e.RetryAfter)
	switch {
	case e.Scope == ScopeUser && e.Window < time.Hour:
		return "A code was sent to you moments ago, perhaps for a sign-in in another window. " +
			"Enter that code there; this page then signs you in when you reload it. " +
			"Or ask for a code here in " + wait + "."
	case e.Scope == ScopeNumber || e.Scope == ScopeUser:
		return "Too many codes have been sent to this number. For your protection no more can be sent now. Try again in " + wait + "."
	}
	return "Too many codes are being sent at the moment, so no code can be sent now. Try again in " + wait + "."
}

// sendRefused shows why no code was sent and reports whether err was a
// refusal. A resend shows it on the code page of ch, so the code that was
// sent before can still be entered. Other refusals get the error page.
func (h *Handler) sendRefused(w http.ResponseWriter, r *http.Request, f *flow, ch *storage.Challenge, err error) bool {
	ctx := r.Context()
	var (
		limit *LimitError
		dest  *DestinationError
	)
	switch {
	case errors.As(err, &limit):
		h.Log.WarnContext(ctx, "SMS code not sent: limit reached", "scope", limit.Scope, "window", limit.Window,
			"retry_after", limit.RetryAfter.Round(time.Second), "user_id", f.ar.UserID, "auth_request_id", f.ar.ID)
		w.Header().Set("Retry-After", fmt.Sprint(retryAfterSeconds(limit.RetryAfter)))
		if ch != nil {
			h.renderCode(w, r, f, ch, http.StatusTooManyRequests, codeForm{
				Error: "No new code was sent. " + limitMessage(limit) + " The code sent before still works until it expires.",
			})
			return true
		}
		h.Pages.Error(w, r, http.StatusTooManyRequests, limitMessage(limit))
	case errors.As(err, &dest):
		h.Log.WarnContext(ctx, "SMS code not sent: destination country not allowed", "country", dest.Country,
			"user_id", f.ar.UserID, "auth_request_id", f.ar.ID)
		h.Pages.Error(w, r, http.StatusForbidden, dest.Message()+" Ask your office's administrator to change your mobile number.")
	case errors.Is(err, errSignInSendsUsed):
		h.Pages.Error(w, r, http.StatusTooManyRequests, "No more codes can be sent for this sign-in. Go back to the application and sign in again.")
	default:
		return false
	}
	return true
}
