package login

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"twofold/metrics"
	"twofold/storage"
)

// Throttle rules for wrong passwords. A lock only ever lasts minutes and
// ends by itself. The strictest rule counts one account from one address,
// so someone guessing from elsewhere does not lock the user's own attempts
// out early. The looser account-wide rule catches guessing spread over
// many addresses, and the address rule stops one address from trying many
// accounts.
var (
	pairRule    = storage.LoginFailure{Threshold: 5, Window: 15 * time.Minute, BaseLock: time.Minute, MaxLock: 15 * time.Minute}
	accountRule = storage.LoginFailure{Threshold: 20, Window: time.Hour, BaseLock: 5 * time.Minute, MaxLock: 15 * time.Minute}
	addressRule = storage.LoginFailure{Threshold: 100, Window: time.Hour, BaseLock: 5 * time.Minute, MaxLock: time.Hour}
)

// throttleKeys are the keys one password attempt counts against. They are
// HMACs, so the database names no username or address.
type throttleKeys struct {
	pair, account, address string
}

func (h *Handler) throttleKeys(office, username string, ip netip.Addr) throttleKeys {
	key := func(parts ...string) string {
		m := hmac.New(sha256.New, h.CodeKey[:])
		m.Write([]byte("login throttle\x00" + strings.Join(parts, "\x00")))
		return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	account := strings.ToUpper(office) + "\x00" + strings.ToLower(username)
	addr := addressKey(ip)
	return throttleKeys{pair: key("pair", account, addr), account: key("account", account), address: key("address", addr)}
}

// addressKey groups IPv6 addresses by their /64, which one host usually
// controls whole.
func addressKey(ip netip.Addr) string {
	if ip.Is6() && !ip.Is4In6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.Unmap().String()
}

func (k throttleKeys) all() []string { return []string{k.pair, k.account, k.address} }

func (k throttleKeys) failures() []storage.LoginFailure {
	pair, account, address := pairRule, accountRule, addressRule
	pair.Key, account.Key, address.Key = k.pair, k.account, k.address
	return []storage.LoginFailure{pair, account, address}
}

// throttled renders the locked page when any key is locked now.
func (h *Handler) throttled(w http.ResponseWriter, r *http.Request, f *flow, k throttleKeys, form passwordForm) bool {
	until, err := h.Store.LoginLockedUntil(r.Context(), k.all(), h.Now())
	if err != nil {
		h.fail(w, r, "read sign-in throttle", err)
		return true
	}
	if until.IsZero() {
		return false
	}
	h.Log.InfoContext(r.Context(), "sign-in throttled", "auth_request_id", f.ar.ID, "retry_after", until.Sub(h.Now()).Round(time.Second))
	h.Metrics.SignIn(metrics.SignInThrottled, false)
	h.renderLocked(w, r, f, until, form)
	return true
}

func (h *Handler) renderLocked(w http.ResponseWriter, r *http.Request, f *flow, until time.Time, form passwordForm) {
	wait := until.Sub(h.Now())
	minutes := int((wait + time.Minute - 1) / time.Minute)
	w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
	h.renderPassword(w, r, f, http.StatusTooManyRequests,
		fmt.Sprintf("Too many failed sign-ins. Try again in %d %s.", minutes, plural(minutes, "minute", "minutes")), form)
}

// recordFailure counts a wrong password and, when it sets a lock, records
// it in the office's activity (for a known account) and shows the locked
// page. It reports whether it rendered a page.
func (h *Handler) recordFailure(w http.ResponseWriter, r *http.Request, f *flow, k throttleKeys, office *storage.Office, user *storage.User, form passwordForm) bool {
	ctx := r.Context()
	until, err := h.Store.RecordLoginFailure(ctx, k.failures(), h.Now())
	if err != nil {
		h.Log.ErrorContext(ctx, "record sign-in failure", "error", err)
		return false
	}
	if until.IsZero() {
		return false
	}
	h.Log.WarnContext(ctx, "sign-in locked after repeated failures", "auth_request_id", f.ar.ID, "until", until)
	if user != nil {
		// Only locks of real accounts go into the activity: a name anyone
		// can type must not be able to fill it.
		h.auditLock(ctx, office, user, until)
	}
	h.renderLocked(w, r, f, until, form)
	return true
}

func (h *Handler) auditLock(ctx context.Context, office *storage.Office, user *storage.User, until time.Time) {
	ev := storage.AuditEvent{
		ID: randomString(), OfficeID: office.ID, ActorName: "sign-in page", Action: storage.AuditSignInLocked,
		TargetID: user.ID, TargetName: user.Username, New: "locked until " + until.UTC().Format(time.RFC3339), At: h.Now(),
	}
	if err := h.Store.AppendAudit(ctx, ev); err != nil {
		h.Log.ErrorContext(ctx, "record sign-in lock in the activity", "error", err)
	}
}

// clearFailures deletes the account's failure counts after a right password. The
// address's count stays, so one valid account cannot reset it.
func (h *Handler) clearFailures(ctx context.Context, k throttleKeys) {
	if err := h.Store.ClearLoginFailures(ctx, []string{k.pair, k.account}); err != nil {
		h.Log.ErrorContext(ctx, "clear sign-in failures", "error", err)
	}
}
