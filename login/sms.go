package login

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"twofold/countrypicker"
	"twofold/phone"
	"twofold/sms"
	"twofold/storage"
)

// continueSMS resumes the SMS step of a request whose password is proven.
// When another tab of this browser has finished a sign-in of the same user
// meanwhile, its session completes this request too, so opening the sign-in
// in several tabs needs one code, not one per tab.
func (h *Handler) continueSMS(w http.ResponseWriter, r *http.Request, f *flow) {
	if sess := h.usableSession(r, f.ar); sess != nil && sess.UserID == f.ar.UserID {
		h.fromSession(w, r, f, sess)
		return
	}
	user, err := h.Store.UserByID(r.Context(), f.ar.UserID)
	if err != nil {
		h.fail(w, r, "load user", err)
		return
	}
	h.beginSMS(w, r, f, user)
}

// beginSMS sends the first code of the request, unless a live challenge
// for it exists already: re-posting the password or reloading never sends
// another code. A user without any number is sent to enrollment. When the
// send policy refuses because a code went to the user moments ago and that
// code was for this very request (a double submit), the code page is shown.
func (h *Handler) beginSMS(w http.ResponseWriter, r *http.Request, f *flow, user *storage.User) {
	ctx := r.Context()
	ch, err := h.Store.ActiveChallenge(ctx, f.ar.ID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		h.fail(w, r, "load challenge", err)
		return
	}
	if ch != nil && ch.UserID == user.ID && ch.VerifiedAt == nil {
		h.redirect(w, r, "/login/code", f.ar.ID)
		return
	}
	if ch != nil && ch.VerifiedAt != nil {
		// The code was entered, in this tab or another, and the request is
		// being completed there; sending another code would be a second
		// SMS for one challenge.
		h.codeAlreadyUsed(w, r)
		return
	}
	if user.Mobile == "" {
		h.redirect(w, r, "/login/enroll", f.ar.ID)
		return
	}
	purpose := storage.PurposeVerify
	if !user.MobileConfirmed {
		purpose = storage.PurposeConfirm
	}
	err = h.sendFirstCode(r, f.ar, user, user.Mobile, purpose, ch)
	var limit *LimitError
	if errors.As(err, &limit) {
		if current, _ := h.Store.ActiveChallenge(ctx, f.ar.ID); current != nil && current.UserID == user.ID && current.VerifiedAt == nil {
			h.redirect(w, r, "/login/code", f.ar.ID)
			return
		}
	}
	if err != nil {
		if !h.sendRefused(w, r, f, nil, err) {
			h.sendFailed(w, r, err)
		}
		return
	}
	h.redirect(w, r, "/login/code", f.ar.ID)
}

func (h *Handler) sendFailed(w http.ResponseWriter, r *http.Request, err error) {
	h.Log.ErrorContext(r.Context(), "send SMS code", "error", err)
	h.Pages.Error(w, r, http.StatusServiceUnavailable, "The code could not be sent. Try again in a minute.")
}

// sendFirstCode creates a challenge for the number and sends its code, if
// the send policy allows it. prev is the request's current challenge, if
// any: the new challenge continues its count of sends, so that MaxSends
// bounds the whole sign-in, however many numbers are typed at enrollment.
// A refusal is errSignInSendsUsed, a *LimitError or a *DestinationError.
func (h *Handler) sendFirstCode(r *http.Request, ar *storage.AuthRequest, user *storage.User, mobile string,
	purpose storage.ChallengePurpose, prev *storage.Challenge) error {
	ctx := r.Context()
	sends := 1
	if prev != nil && prev.UserID == user.ID {
		sends = prev.Sends + 1
	}
	if sends > MaxSends {
		return errSignInSendsUsed
	}
	req := h.sendRequest(r, ar, user, mobile)
	if err := h.sendPolicy().Allow(ctx, req); err != nil {
		return err
	}
	code, err := NewCode()
	if err != nil {
		return err
	}
	now := h.Now()
	ch := &storage.Challenge{
		ID:            randomString(),
		AuthRequestID: ar.ID,
		UserID:        user.ID,
		Mobile:        mobile,
		Purpose:       purpose,
		Sends:         sends,
		LastSentAt:    now,
		ExpiresAt:     now.Add(CodeLifetime),
		CreatedAt:     now,
	}
	ch.CodeHash = h.codeHash(ch.ID, code)
	if err := h.Store.CreateChallenge(ctx, ch); err != nil {
		return err
	}
	return h.sendCode(ctx, ar, ch, code, req)
}

// sendCode sends the code of ch and records the outcome with the send
// policy, which allowed req before.
func (h *Handler) sendCode(ctx context.Context, ar *storage.AuthRequest, ch *storage.Challenge, code string, req SendRequest) error {
	lang := "en"
	if len(ar.UILocales) > 0 && strings.HasPrefix(ar.UILocales[0], "nl") {
		lang = "nl"
	}
	body := sms.CodeMessage(lang, h.Product, code, CodeLifetime, h.Host)
	receipt, err := h.Sender.Send(ctx, sms.Message{To: ch.Mobile, Body: body})
	h.sendPolicy().Record(ctx, req, receipt.Gateway, err)
	if err != nil {
		return fmt.Errorf("send to %s: %w", phone.Mask(ch.Mobile), err)
	}
	h.Log.InfoContext(ctx, "SMS code sent", "user_id", ch.UserID, "auth_request_id", ar.ID,
		"to", phone.Mask(ch.Mobile), "purpose", ch.Purpose, "gateway", receipt.Gateway, "message_id", receipt.MessageID)
	return nil
}

// codeForm is the data of code.html.
type codeForm struct {
	ID, CSRF      string
	Masked        string
	Error, Notice string
	Void          bool // the current code can no longer be entered
	PolicyNotice  bool // the office began to require SMS since the user's last sign-in
}

// activeChallenge loads the request's challenge, checking it belongs to the
// user who passed the password step. Without one the browser is sent back
// to /login, which routes it.
func (h *Handler) activeChallenge(w http.ResponseWriter, r *http.Request, f *flow) *storage.Challenge {
	if f.ar.Done || f.ar.UserID == "" {
		h.redirect(w, r, "/login", f.ar.ID)
		return nil
	}
	ch, err := h.Store.ActiveChallenge(r.Context(), f.ar.ID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && ch.UserID != f.ar.UserID) {
		h.redirect(w, r, "/login", f.ar.ID)
		return nil
	}
	if err != nil {
		h.fail(w, r, "load challenge", err)
		return nil
	}
	return ch
}

func (h *Handler) renderCode(w http.ResponseWriter, r *http.Request, f *flow, ch *storage.Challenge, status int, form codeForm) {
	form.ID, form.CSRF, form.Masked = f.ar.ID, h.Cookies.CSRFToken(f.browserID), phone.Mask(ch.Mobile)
	if !form.Void && ch.Attempts >= MaxCodeAttempts {
		form.Void = true
		form.Error = "Too many wrong codes. This code no longer works. Send a new code."
	}
	if !form.Void && !h.Now().Before(ch.ExpiresAt) {
		form.Void = true
		form.Error = "This code has expired. Send a new code."
	}
	form.PolicyNotice = h.policyNotice(r.Context(), f.ar.UserID)
	h.Pages.Render(w, r, status, "code.html", form)
}

func (h *Handler) showCode(w http.ResponseWriter, r *http.Request) {
	f := h.loadFlow(w, r, false)
	if f == nil {
		return
	}
	ch := h.activeChallenge(w, r, f)
	if ch == nil {
		return
	}
	form := codeForm{}
	if r.URL.Query().Get("sent") == "1" {
		form.Notice = "A new code is on its way. Earlier codes no longer work."
	}
	h.renderCode(w, r, f, ch, http.StatusOK, form)
}

// NormalizeCode accepts six digits, ignoring spaces people type or paste.
func NormalizeCode(s string) (string, bool) {
	if len(s) > 32 {
		return "", false
	}
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, s)
	if len(s) != 6 {
		return "", false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return s, true
}

func (h *Handler) postCode(w http.ResponseWriter, r *http.Request) {
	f := h.loadFlow(w, r, true)
	if f == nil {
		return
	}
	ch := h.activeChallenge(w, r, f)
	if ch == nil {
		return
	}
	code, ok := NormalizeCode(r.PostFormValue("code"))
	if !ok {
		h.renderCode(w, r, f, ch, http.StatusBadRequest, codeForm{Error: "Enter the 6-digit code from the SMS."})
		return
	}
	ctx := r.Context()
	result, ch, err := h.Store.CheckChallenge(ctx, ch.ID, h.codeHash(ch.ID, code), MaxCodeAttempts, h.Now())
	if err != nil {
		h.fail(w, r, "check code", err)
		return
	}
	switch result {
	case storage.CheckOK:
		h.codeAccepted(w, r, f, ch)
	case storage.CheckWrong:
		left := MaxCodeAttempts - ch.Attempts
		h.Log.InfoContext(ctx, "wrong SMS code", "user_id", ch.UserID, "auth_request_id", f.ar.ID, "attempts_left", left)
		h.renderCode(w, r, f, ch, http.StatusUnauthorized, codeForm{
			Error: fmt.Sprintf("The code is incorrect. %d %s left.", left, plural(left, "attempt", "attempts")),
		})
	case storage.CheckExhausted:
		h.Log.InfoContext(ctx, "SMS code voided after too many wrong entries", "user_id", ch.UserID, "auth_request_id", f.ar.ID)
		h.renderCode(w, r, f, ch, http.StatusUnauthorized, codeForm{Void: true,
			Error: "Too many wrong codes. This code no longer works. Send a new code."})
	case storage.CheckExpired:
		h.renderCode(w, r, f, ch, http.StatusUnauthorized, codeForm{Void: true, Error: "This code has expired. Send a new code."})
	case storage.CheckUsed:
		h.codeAlreadyUsed(w, r)
	}
}

// codeAlreadyUsed renders the page for a second entry of an accepted code, as
// from a second tab: the sign-in finishes in the tab that entered it first.
func (h *Handler) codeAlreadyUsed(w http.ResponseWriter, r *http.Request) {
	h.Pages.Error(w, r, http.StatusConflict, "This code was already entered, perhaps in another tab or window. Continue there, or go back to the application.")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// codeAccepted finishes the sign-in after a verified code. A code sent to
// an admin-entered number, or to a number typed at enrollment, also saves
// that number as the user's confirmed number.
func (h *Handler) codeAccepted(w http.ResponseWriter, r *http.Request, f *flow, ch *storage.Challenge) {
	ctx := r.Context()
	user, err := h.Store.UserByID(ctx, ch.UserID)
	if err != nil {
		h.fail(w, r, "load user", err)
		return
	}
	current := user.Mobile == ch.Mobile
	enrolling := ch.Purpose == storage.PurposeEnroll && user.Mobile == ""
	if !current && !enrolling {
		// The number changed since the code was sent, for example when
		// another sign-in enrolled a different one: a code to a number that
		// is no longer the account's proves nothing.
		h.Log.InfoContext(ctx, "SMS code for a number no longer on the account", "user_id", user.ID, "auth_request_id", f.ar.ID)
		h.Pages.Error(w, r, http.StatusConflict, "The mobile number of this account changed while you were signing in. Go back to the application and sign in again.")
		return
	}
	confirm := enrolling || (ch.Purpose == storage.PurposeConfirm && current)
	if confirm {
		if err := h.saveConfirmedMobile(ctx, user, ch); err != nil {
			h.fail(w, r, "confirm mobile number", err)
			return
		}
		h.Log.InfoContext(ctx, "mobile number confirmed", "user_id", user.ID, "purpose", ch.Purpose, "to", phone.Mask(ch.Mobile))
	}
	h.finish(w, r, f, user, AMRPasswordSMS)
}

// resend replaces the code, at most MaxSends times per sign-in and not
// sooner than ResendInterval after the last send. The storage applies both
// limits in one statement, so concurrent resends send one code. Both are
// checked on the loaded challenge first, and then the send policy, so that
// a refused resend neither counts against the limits nor voids the code
// sent before.
func (h *Handler) resend(w http.ResponseWriter, r *http.Request) {
	f := h.loadFlow(w, r, true)
	if f == nil {
		return
	}
	ch := h.activeChallenge(w, r, f)
	if ch == nil {
		return
	}
	ctx := r.Context()
	now := h.Now()
	if ch.Sends >= MaxSends || now.Sub(ch.LastSentAt) < ResendInterval {
		h.resendRefused(w, r, f, ch)
		return
	}
	user, err := h.Store.UserByID(ctx, ch.UserID)
	if err != nil {
		h.fail(w, r, "load user", err)
		return
	}
	req := h.sendRequest(r, f.ar, user, ch.Mobile)
	if err := h.sendPolicy().Allow(ctx, req); err != nil {
		if !h.sendRefused(w, r, f, ch, err) {
			h.fail(w, r, "check SMS limits", err)
		}
		return
	}
	code, err := NewCode()
	if err != nil {
		h.fail(w, r, "make code", err)
		return
	}
	err = h.Store.ResendChallenge(ctx, ch.ID, h.codeHash(ch.ID, code), MaxSends, now.Add(-ResendInterval), now, now.Add(CodeLifetime))
	if errors.Is(err, storage.ErrNotFound) {
		h.resendRefused(w, r, f, ch)
		return
	}
	if err != nil {
		h.fail(w, r, "resend code", err)
		return
	}
	if err := h.sendCode(ctx, f.ar, ch, code, req); err != nil {
		h.sendFailed(w, r, err)
		return
	}
	http.Redirect(w, r, "/login/code?sent=1&id="+f.ar.ID, http.StatusSeeOther)
}

func (h *Handler) resendRefused(w http.ResponseWriter, r *http.Request, f *flow, ch *storage.Challenge) {
	if ch.Sends >= MaxSends {
		h.Pages.Error(w, r, http.StatusTooManyRequests, "No more codes can be sent for this sign-in. Go back to the application and sign in again.")
		return
	}
	wait := ch.LastSentAt.Add(ResendInterval).Sub(h.Now())
	secs := int((wait + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", fmt.Sprint(secs))
	h.renderCode(w, r, f, ch, http.StatusTooManyRequests, codeForm{
		Error: fmt.Sprintf("You can ask for a new code in %d %s.", secs, plural(secs, "second", "seconds")),
	})
}

// enrollForm is the data of enroll.html.
type enrollForm struct {
	ID, CSRF, Error string
	Mobile          string
	Region          string // the country to select
	Picker          countrypicker.Picker
	PolicyNotice    bool // the office began to require SMS since the user's last sign-in
}

// enrollingUser returns the user of a request in the SMS step who has no
// number at all. Only such a user may type a number at sign-in: a user with
// a number, confirmed or entered by an admin, must receive the code there,
// so a stolen password cannot register another phone.
func (h *Handler) enrollingUser(w http.ResponseWriter, r *http.Request, f *flow) *storage.User {
	if f.ar.Done || f.ar.UserID == "" {
		h.redirect(w, r, "/login", f.ar.ID)
		return nil
	}
	user, err := h.Store.UserByID(r.Context(), f.ar.UserID)
	if err != nil {
		h.fail(w, r, "load user", err)
		return nil
	}
	if user.Mobile != "" {
		h.redirect(w, r, "/login", f.ar.ID)
		return nil
	}
	return user
}

// renderEnroll shows the number form. Its country picker selects
// form.Region, or the office's country when that is empty.
func (h *Handler) renderEnroll(w http.ResponseWriter, r *http.Request, f *flow, status int, form enrollForm) {
	ctx := r.Context()
	form.ID, form.CSRF = f.ar.ID, h.Cookies.CSRFToken(f.browserID)
	_, office, err := h.userAndOffice(ctx, f.ar.UserID)
	if err != nil {
		h.fail(w, r, "load office", err)
		return
	}
	if form.Region == "" {
		form.Region = office.Country
	}
	if form.Region == "" {
		form.Region = h.DefaultRegion
	}
	form.Picker, err = h.Countries.Build(ctx, h.Pages.Language(r), office.ID, form.Region)
	if err != nil {
		h.Log.WarnContext(ctx, "country picker shown without the most used countries", "office_id", office.ID, "error", err)
	}
	form.PolicyNotice = h.policyNotice(r.Context(), f.ar.UserID)
	h.Pages.Render(w, r, status, "enroll.html", form)
}

func (h *Handler) showEnroll(w http.ResponseWriter, r *http.Request) {
	f := h.loadFlow(w, r, false)
	if f == nil {
		return
	}
	if h.enrollingUser(w, r, f) == nil {
		return
	}
	h.renderEnroll(w, r, f, http.StatusOK, enrollForm{})
}

func (h *Handler) postEnroll(w http.ResponseWriter, r *http.Request) {
	f := h.loadFlow(w, r, true)
	if f == nil {
		return
	}
	user := h.enrollingUser(w, r, f)
	if user == nil {
		return
	}
	input := r.PostFormValue("mobile")
	region := strings.ToUpper(strings.TrimSpace(r.PostFormValue("country")))
	if phone.CallingCode(region) == 0 {
		region = h.officeCountry(r.Context(), user.ID)
	}
	// A form shown again selects the country of a typed country code, as
	// the picker's script does while the person types, so +44 typed under
	// the Dutch flag comes back under the British one.
	form := enrollForm{Region: region}
	if len(input) <= phone.MaxInputLength*utf8.UTFMax && utf8.RuneCountInString(input) <= phone.MaxInputLength {
		form.Mobile = input
		form.Region = phone.RegionFromInput(input, region)
	}
	num, err := phone.Parse(input, region)
	if err != nil {
		form.Error = "Enter a valid mobile number."
		var perr *phone.Error
		if errors.As(err, &perr) {
			form.Error = perr.Message(h.Pages.Language(r))
		}
		h.renderEnroll(w, r, f, http.StatusBadRequest, form)
		return
	}
	ctx := r.Context()
	if err := h.sendPolicy().CheckDestination(ctx, user.OfficeID, num.E164); err != nil {
		h.enrollRefused(w, r, f, form, err)
		return
	}
	ch, err := h.Store.ActiveChallenge(ctx, f.ar.ID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		h.fail(w, r, "load challenge", err)
		return
	}
	if ch != nil && ch.VerifiedAt == nil && ch.UserID == user.ID && ch.Mobile == num.E164 {
		h.redirect(w, r, "/login/code", f.ar.ID)
		return
	}
	if ch != nil && ch.VerifiedAt == nil && h.Now().Sub(ch.LastSentAt) < ResendInterval {
		h.resendRefused(w, r, f, ch)
		return
	}
	if err := h.sendFirstCode(r, f.ar, user, num.E164, storage.PurposeEnroll, ch); err != nil {
		h.enrollRefused(w, r, f, form, err)
		return
	}
	h.redirect(w, r, "/login/code", f.ar.ID)
}

// enrollRefused shows the number form again with the reason a limit or the
// destination's country refused the number, and any other error as
// sendRefused and sendFailed do.
func (h *Handler) enrollRefused(w http.ResponseWriter, r *http.Request, f *flow, form enrollForm, err error) {
	var (
		limit *LimitError
		dest  *DestinationError
	)
	switch {
	case errors.As(err, &dest):
		h.Log.InfoContext(r.Context(), "mobile number rejected at enrollment: destination country not allowed",
			"country", dest.Country, "user_id", f.ar.UserID, "auth_request_id", f.ar.ID)
		form.Error = dest.Message()
		h.renderEnroll(w, r, f, http.StatusBadRequest, form)
	case errors.As(err, &limit):
		h.Log.WarnContext(r.Context(), "SMS code not sent: limit reached", "scope", limit.Scope, "window", limit.Window,
			"retry_after", limit.RetryAfter.Round(time.Second), "user_id", f.ar.UserID, "auth_request_id", f.ar.ID)
		w.Header().Set("Retry-After", fmt.Sprint(retryAfterSeconds(limit.RetryAfter)))
		form.Error = "No code was sent. " + limitMessage(limit)
		h.renderEnroll(w, r, f, http.StatusTooManyRequests, form)
	case !h.sendRefused(w, r, f, nil, err):
		h.sendFailed(w, r, err)
	}
}

// officeCountry returns the country of the user's office, the region a
// number typed without a country code belongs to by default.
func (h *Handler) officeCountry(ctx context.Context, userID string) string {
	_, office, err := h.userAndOffice(ctx, userID)
	if err != nil || office.Country == "" {
		return h.DefaultRegion
	}
	return office.Country
}
