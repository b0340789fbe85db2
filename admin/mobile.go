package admin

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"time"

	"twofold/login"
	"twofold/phone"
	"twofold/sms"
	"twofold/storage"
	"twofold/templates"
)

// mobileLimits bound the codes sent for one user's own number changes, on
// top of the SendPolicy: the sign-in's interval between codes, and at most
// as many codes an hour as one sign-in may send.
var mobileLimits = storage.SendLimits{Max: login.MaxSends, Window: time.Hour, Interval: login.ResendInterval}

// postMobile enters, changes or clears a number. For someone else it saves
// the number unconfirmed. For oneself it sends a code to the new number and
// saves nothing until the code is entered. Whether the number is confirmed
// is never read from the form.
func (h *Handler) postMobile(w http.ResponseWriter, r *http.Request, v *viewer) {
	target := h.loadTarget(w, r, v)
	if target == nil {
		return
	}
	a := accessTo(v, target)
	if !a.EnterMobile && !a.ChangeOwn {
		h.forbidden(w, r, v, "enter mobile number")
		return
	}
	if r.PostFormValue("action") == "clear" {
		if a.ChangeOwn && !a.ClearOwn {
			h.forbidden(w, r, v, "remove own mobile number while the office requires it")
			return
		}
		h.clearMobile(w, r, v, target)
		return
	}

	input := r.PostFormValue("mobile")
	region := checkRegion(r.PostFormValue("country"), v.office.Country)
	errs := fieldErrors{}
	e164 := checkMobile(errs, input, region, v.lang)
	h.checkDestination(r.Context(), errs, v.office.ID, e164)
	if len(errs) > 0 {
		h.renderUserErrors(w, r, v, target, http.StatusBadRequest, func(p *userPage) {
			p.Errors = errs
			selected := region
			if len(input) <= maxMobile {
				p.MobileInput = input
				selected = phone.RegionFromInput(input, region)
			}
			p.Picker = h.picker(r, v, selected)
		})
		return
	}
	if a.ChangeOwn {
		h.startOwnChange(w, r, v, e164)
		return
	}
	if e164 == target.Mobile {
		redirectDone(w, r, userPath(target.ID), "unchanged")
		return
	}
	ev := h.event(v, storage.AuditMobile, target, maskedState(target), phone.Mask(e164)+" (unconfirmed)")
	err := h.Store.SetUnconfirmedMobile(r.Context(), target.ID, target.Mobile, e164, ev)
	if errors.Is(err, storage.ErrStale) {
		h.stale(w, r)
		return
	}
	if err != nil {
		h.fail(w, r, "set mobile number", err)
		return
	}
	h.Log.InfoContext(r.Context(), "mobile number entered by an administrator", "user_id", target.ID, "to", phone.Mask(e164), "by", v.user.ID)
	redirectDone(w, r, userPath(target.ID), "mobile")
}

// maskedState is a user's number, masked, with its state, for the record.
func maskedState(u *storage.User) string {
	switch {
	case u.Mobile == "":
		return ""
	case u.MobileConfirmed:
		return phone.Mask(u.Mobile) + " (confirmed)"
	}
	return phone.Mask(u.Mobile) + " (unconfirmed)"
}

func (h *Handler) clearMobile(w http.ResponseWriter, r *http.Request, v *viewer, target *storage.User) {
	if target.Mobile == "" {
		redirectDone(w, r, userPath(target.ID), "unchanged")
		return
	}
	ev := h.event(v, storage.AuditMobile, target, maskedState(target), "")
	err := h.Store.SetUnconfirmedMobile(r.Context(), target.ID, target.Mobile, "", ev)
	if errors.Is(err, storage.ErrStale) {
		h.stale(w, r)
		return
	}
	if err != nil {
		h.fail(w, r, "clear mobile number", err)
		return
	}
	redirectDone(w, r, userPath(target.ID), "mobile-cleared")
}

// mobileCodeHash keys a code with the code key and binds it to the user
// and the number it was sent to.
func (h *Handler) mobileCodeHash(userID, mobile, code string) []byte {
	m := hmac.New(sha256.New, h.CodeKey[:])
	m.Write([]byte("settings mobile change\x00" + userID + "\x00" + mobile + "\x00" + code))
	return m.Sum(nil)
}

// startOwnChange makes e164 the viewer's pending number and sends its code.
func (h *Handler) startOwnChange(w http.ResponseWriter, r *http.Request, v *viewer, e164 string) {
	ctx := r.Context()
	if e164 == v.user.Mobile && v.user.MobileConfirmed {
		redirectDone(w, r, userPath(v.user.ID), "unchanged")
		return
	}
	if h.SendPolicy != nil {
		if err := h.SendPolicy.CheckDestination(ctx, v.office.ID, e164); err != nil {
			h.sendRefused(w, r, v, err)
			return
		}
	}
	code, err := login.NewCode()
	if err != nil {
		h.fail(w, r, "make code", err)
		return
	}
	now := h.Now()
	err = h.Store.StartMobileChange(ctx, v.user.ID, e164, h.mobileCodeHash(v.user.ID, e164, code), mobileLimits, now, now.Add(login.CodeLifetime))
	if errors.Is(err, storage.ErrRateLimited) {
		h.sendRefused(w, r, v, err)
		return
	}
	if err != nil {
		h.fail(w, r, "start mobile change", err)
		return
	}
	if !h.send(w, r, v, e164, code) {
		return
	}
	http.Redirect(w, r, userPath(v.user.ID)+"/mobile/code", http.StatusSeeOther)
}

// send sends a code to a new number of the viewer's own, through the send
// policy when there is one. It renders an error page and returns false when
// the code was not sent.
func (h *Handler) send(w http.ResponseWriter, r *http.Request, v *viewer, e164, code string) bool {
	ctx := r.Context()
	req := login.SendRequest{OfficeID: v.office.ID, UserID: v.user.ID, Mobile: e164}
	if h.ClientIP != nil {
		req.ClientIP = h.ClientIP(r)
	}
	if h.SendPolicy != nil {
		if err := h.SendPolicy.Allow(ctx, req); err != nil {
			h.sendRefused(w, r, v, err)
			return false
		}
	}
	body := sms.CodeMessage(v.lang, h.Product, code, login.CodeLifetime, h.Host)
	receipt, err := h.Sender.Send(ctx, sms.Message{To: e164, Body: body})
	if h.SendPolicy != nil {
		h.SendPolicy.Record(ctx, req, receipt.Gateway, err)
	}
	if err != nil {
		h.Log.ErrorContext(ctx, "send code for a new mobile number", "user_id", v.user.ID, "to", phone.Mask(e164), "error", err)
		h.Pages.Error(w, r, http.StatusServiceUnavailable, "The code could not be sent. Try again in a minute.")
		return false
	}
	h.Log.InfoContext(ctx, "SMS code sent for a new mobile number", "user_id", v.user.ID, "to", phone.Mask(e164),
		"gateway", receipt.Gateway, "message_id", receipt.MessageID)
	return true
}

// sendRefused renders the error page for a code that a limit or the destination's country
// kept from being sent.
func (h *Handler) sendRefused(w http.ResponseWriter, r *http.Request, v *viewer, err error) {
	h.Log.InfoContext(r.Context(), "code for a new mobile number not sent", "user_id", v.user.ID, "reason", err)
	var dest *login.DestinationError
	if errors.As(err, &dest) {
		h.Pages.Error(w, r, http.StatusBadRequest, "Your office does not send codes to numbers in this country. Enter a number from another country.")
		return
	}
	wait := login.ResendInterval
	var limit *login.LimitError
	if errors.As(err, &limit) && limit.RetryAfter > 0 {
		wait = limit.RetryAfter
	}
	secs := int((wait + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", fmt.Sprint(secs))
	if wait <= 2*time.Minute {
		h.Pages.Error(w, r, http.StatusTooManyRequests, fmt.Sprintf("A code was sent moments ago. You can ask for a new code in %d seconds.", secs))
		return
	}
	h.Pages.Error(w, r, http.StatusTooManyRequests, "Too many codes were sent. Wait a while, then try again.")
}

// mobileCodePage is the data of settings_mobile_code.html.
type mobileCodePage struct {
	base
	Masked string
	Void   bool
}

// ownChange returns the viewer's pending change when the path names the
// viewer; only the owner of a number enters its code.
func (h *Handler) ownChange(w http.ResponseWriter, r *http.Request, v *viewer) *storage.MobileChange {
	target := h.loadTarget(w, r, v)
	if target == nil {
		return nil
	}
	if target.ID != v.user.ID {
		h.forbidden(w, r, v, "enter another user's code")
		return nil
	}
	m, err := h.Store.MobileChangeByUser(r.Context(), v.user.ID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && !m.Pending()) {
		http.Redirect(w, r, userPath(v.user.ID), http.StatusSeeOther)
		return nil
	}
	if err != nil {
		h.fail(w, r, "load mobile change", err)
		return nil
	}
	return m
}

func (h *Handler) renderMobileCode(w http.ResponseWriter, r *http.Request, v *viewer, m *storage.MobileChange, status int, msg string) {
	page := mobileCodePage{base: h.base(v, r, "me"), Masked: phone.Mask(m.Mobile)}
	page.Error = msg
	switch {
	case m.CodeHash == nil || m.Attempts >= login.MaxCodeAttempts:
		page.Void = true
		if msg == "" {
			page.Error = "Too many wrong codes. This code no longer works. Send a new code."
		}
	case !h.Now().Before(m.ExpiresAt):
		page.Void = true
		if msg == "" {
			page.Error = "This code has expired. Send a new code."
		}
	}
	h.render(w, templates.WithReturnPath(r, userPath(v.user.ID)+"/mobile/code"), status, "settings_mobile_code.html", page)
}

func (h *Handler) showMobileCode(w http.ResponseWriter, r *http.Request, v *viewer) {
	m := h.ownChange(w, r, v)
	if m == nil {
		return
	}
	h.renderMobileCode(w, r, v, m, http.StatusOK, "")
}

// maxStaleRetries bounds how often a right code is checked again after the
// user's number changed between reading it and saving the new one.
const maxStaleRetries = 3

func (h *Handler) postMobileCode(w http.ResponseWriter, r *http.Request, v *viewer) {
	m := h.ownChange(w, r, v)
	if m == nil {
		return
	}
	code, ok := login.NormalizeCode(r.PostFormValue("code"))
	if !ok {
		h.renderMobileCode(w, r, v, m, http.StatusBadRequest, "Enter the 6-digit code from the SMS.")
		return
	}
	ctx := r.Context()
	hash := h.mobileCodeHash(v.user.ID, m.Mobile, code)
	user := v.user
	var check storage.ChallengeCheck
	var err error
	for range maxStaleRetries {
		ev := h.event(v, storage.AuditMobile, user, maskedState(user), phone.Mask(m.Mobile)+" (confirmed)")
		check, err = h.Store.CheckMobileChange(ctx, user.ID, user.Mobile, hash, login.MaxCodeAttempts, ev)
		if !errors.Is(err, storage.ErrStale) {
			break
		}
		if user, err = h.Store.UserByID(ctx, v.user.ID); err != nil {
			break
		}
	}
	if errors.Is(err, storage.ErrNotFound) {
		http.Redirect(w, r, userPath(v.user.ID), http.StatusSeeOther)
		return
	}
	if err != nil {
		h.fail(w, r, "check code", err)
		return
	}
	if check == storage.CheckOK {
		h.Log.InfoContext(ctx, "own mobile number changed and confirmed", "user_id", v.user.ID, "to", phone.Mask(m.Mobile))
		redirectDone(w, r, userPath(v.user.ID), "mobile-own")
		return
	}
	if m, err = h.Store.MobileChangeByUser(ctx, v.user.ID); err != nil {
		h.fail(w, r, "load mobile change", err)
		return
	}
	switch check {
	case storage.CheckWrong:
		left := login.MaxCodeAttempts - m.Attempts
		msg := fmt.Sprintf("The code is incorrect. %d attempts left.", left)
		if left == 1 {
			msg = "The code is incorrect. 1 attempt left."
		}
		h.renderMobileCode(w, r, v, m, http.StatusUnauthorized, msg)
	default:
		h.renderMobileCode(w, r, v, m, http.StatusUnauthorized, "")
	}
}

func (h *Handler) postMobileResend(w http.ResponseWriter, r *http.Request, v *viewer) {
	m := h.ownChange(w, r, v)
	if m == nil {
		return
	}
	code, err := login.NewCode()
	if err != nil {
		h.fail(w, r, "make code", err)
		return
	}
	now := h.Now()
	err = h.Store.ResendMobileChange(r.Context(), v.user.ID, h.mobileCodeHash(v.user.ID, m.Mobile, code), mobileLimits, now, now.Add(login.CodeLifetime))
	if errors.Is(err, storage.ErrRateLimited) {
		wait := m.LastSentAt.Add(mobileLimits.Interval).Sub(now)
		if wait > 0 {
			secs := int((wait + time.Second - 1) / time.Second)
			w.Header().Set("Retry-After", fmt.Sprint(secs))
			h.renderMobileCode(w, r, v, m, http.StatusTooManyRequests, fmt.Sprintf("You can ask for a new code in %d seconds.", secs))
			return
		}
		h.sendRefused(w, r, v, err)
		return
	}
	if err != nil {
		h.fail(w, r, "resend code", err)
		return
	}
	if !h.send(w, r, v, m.Mobile, code) {
		return
	}
	http.Redirect(w, r, userPath(v.user.ID)+"/mobile/code?done=sent", http.StatusSeeOther)
}

func (h *Handler) postMobileCancel(w http.ResponseWriter, r *http.Request, v *viewer) {
	if m := h.ownChange(w, r, v); m == nil {
		return
	}
	if err := h.Store.CancelMobileChange(r.Context(), v.user.ID); err != nil {
		h.fail(w, r, "cancel mobile change", err)
		return
	}
	redirectDone(w, r, userPath(v.user.ID), "mobile-cancel")
}
