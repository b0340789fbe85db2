package login

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	zop "github.com/zitadel/oidc/v3/pkg/op"

	"twofold/countrypicker"
	"twofold/metrics"
	"twofold/password"
	"twofold/sms"
	"twofold/storage"
	"twofold/templates"
)

// Limits of the SMS step.
const (
	CodeLifetime    = 5 * time.Minute
	MaxCodeAttempts = 5
	ResendInterval  = 30 * time.Second
	MaxSends        = 5
)

// Field limits; longer input is rejected before any lookup.
const (
	maxUsername   = 128
	maxOfficeCode = 32
	maxMobile     = 64
	maxID         = 128
)

// Options are the Handler's dependencies.
type Options struct {
	Store      storage.Store
	Hasher     *password.Hasher
	Sender     sms.Sender
	Pages      *templates.Pages
	Cookies    *Cookies
	CodeKey    [32]byte // keys the hash of SMS codes
	Authorizer zop.Authorizer
	// Issuer is the provider's issuer, sent as iss in authorization
	// responses (RFC 9207) and expected in id_token_hint.
	Issuer string
	// CallbackURL returns the URL that completes the authorization request.
	CallbackURL func(ctx context.Context, id string) string
	// Notifier, if set, is told when a sign-out ends sessions.
	Notifier        SessionEndNotifier
	SessionLifetime time.Duration
	// SessionIdle ends single sign-on for a session unused this long;
	// zero keeps sessions usable until SessionLifetime.
	SessionIdle time.Duration
	// Metrics counts sign-in outcomes; nil counts nothing.
	Metrics       *metrics.Metrics
	Product       string // names the sender in SMS messages
	Host          string // the issuer's host, for the one-time code line
	DefaultRegion string // the country preselected at enrollment
	// Countries builds the country picker of the enrollment page.
	Countries countrypicker.Builder
	// SendPolicy limits the codes sent and keeps their statistics; nil
	// allows every send that the per-sign-in rules allow.
	SendPolicy SendPolicy
	// ClientIP returns a request's client address; nil takes RemoteAddr.
	ClientIP func(r *http.Request) netip.Addr
	Now      func() time.Time
	Log      *slog.Logger
}

// Handler serves the sign-in pages.
type Handler struct{ Options }

// New returns the sign-in handler.
func New(o Options) *Handler { return &Handler{o} }

// Routes mounts the sign-in pages.
func (h *Handler) Routes(r chi.Router) {
	r.Get("/login", h.start)
	r.Post("/login", h.postPassword)
	r.Get("/login/code", h.showCode)
	r.Post("/login/code", h.postCode)
	r.Post("/login/code/resend", h.resend)
	r.Get("/login/enroll", h.showEnroll)
	r.Post("/login/enroll", h.postEnroll)
	// Every method, so that none falls through to the provider's own
	// callback and end_session, which lack these checks.
	r.HandleFunc("/authorize/callback", h.Callback)
	r.HandleFunc("/end_session", h.EndSession)
	r.Post("/end_session/confirm", h.ConfirmLogout)
	h.AccountRoutes(r)
}

// flow is one request's view of its authorization request.
type flow struct {
	ar        *storage.AuthRequest
	browserID string
}

// loadFlow reads the authorization request named by the id parameter and
// checks that this browser may continue it. It renders an error page and
// returns nil when not.
func (h *Handler) loadFlow(w http.ResponseWriter, r *http.Request, post bool) *flow {
	if post {
		if !h.Cookies.CheckCSRF(r) {
			h.Pages.Error(w, r, http.StatusForbidden, "This form has expired or was not sent by this browser. Go back to the application and sign in again.")
			return nil
		}
	}
	id := r.FormValue("id")
	if id == "" || len(id) > maxID {
		h.Pages.Error(w, r, http.StatusBadRequest, "This sign-in link is not valid. Go back to the application and sign in again.")
		return nil
	}
	ar, err := h.Store.AuthRequestByID(r.Context(), id, h.Now())
	if errors.Is(err, storage.ErrNotFound) {
		h.Pages.Error(w, r, http.StatusNotFound, "This sign-in has expired or is not valid. Go back to the application and sign in again.")
		return nil
	}
	if err != nil {
		h.fail(w, r, "load auth request", err)
		return nil
	}
	browserID, err := h.Cookies.EnsureBrowser(w, r)
	if err != nil {
		h.fail(w, r, "set browser cookie", err)
		return nil
	}
	want := browserHash(browserID)
	bound, err := h.Store.BindAuthRequestBrowser(r.Context(), ar.ID, want, h.Now())
	if err != nil {
		h.fail(w, r, "bind auth request", err)
		return nil
	}
	if subtle.ConstantTimeCompare(bound, want) != 1 {
		h.Log.WarnContext(r.Context(), "sign-in continued from another browser", "auth_request_id", ar.ID)
		h.Pages.Error(w, r, http.StatusForbidden, "This sign-in was started in another browser. Go back to the application and sign in again from this browser.")
		return nil
	}
	ar.BrowserHash = bound
	return &flow{ar: ar, browserID: browserID}
}

// fail logs an unexpected error and shows a generic page.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The browser went away mid-request; nothing failed on our side.
		h.Log.InfoContext(r.Context(), what+": request canceled by the client")
		return
	}
	h.Log.ErrorContext(r.Context(), what, "error", err)
	h.Pages.Error(w, r, http.StatusServiceUnavailable, "Signing in is temporarily unavailable. Try again in a minute.")
}

func (h *Handler) redirect(w http.ResponseWriter, r *http.Request, path, id string) {
	http.Redirect(w, r, path+"?id="+url.QueryEscape(id), http.StatusSeeOther)
}

// start routes a browser arriving from /authorize: to the client when the
// request is done or a session covers it, to the SMS step when the password
// is proven, and otherwise to the password form.
func (h *Handler) start(w http.ResponseWriter, r *http.Request) {
	f := h.loadFlow(w, r, false)
	if f == nil {
		return
	}
	ar := f.ar
	switch {
	case ar.Done:
		http.Redirect(w, r, h.CallbackURL(r.Context(), ar.ID), http.StatusSeeOther)
		return
	case ar.UserID != "":
		h.continueSMS(w, r, f)
		return
	}
	if sess := h.usableSession(r, ar); sess != nil {
		h.fromSession(w, r, f, sess)
		return
	}
	if slices.Contains(ar.Prompt, oidc.PromptNone) {
		h.errorToClient(w, r, ar, oidc.ErrLoginRequired())
		return
	}
	h.renderPassword(w, r, f, http.StatusOK, "", loginHint(ar.LoginHint))
}

// assurance returns what the request demands beyond the office policy. The
// provider validated the request's acr_values and claims when it stored
// the request, so an error here is a stored request that no longer parses.
func assurance(ar *storage.AuthRequest) (Assurance, error) {
	claims, err := ParseClaims(ar.Claims)
	if err != nil {
		return Assurance{}, err
	}
	return RequiredAssurance(ar.ACRValues, claims)
}

// loginHint splits a login_hint of the form username@OFFICE. The part after
// the last @ is taken as an office code only when it has the form of one,
// so a hint that is an email address prefills the username whole.
func loginHint(hint string) passwordForm {
	if len(hint) > maxUsername+maxOfficeCode+1 || !plainText(hint) {
		return passwordForm{}
	}
	hint = strings.TrimSpace(hint)
	if i := strings.LastIndex(hint, "@"); i > 0 && officeCodeForm(hint[i+1:]) {
		return passwordForm{Username: hint[:i], Office: strings.ToUpper(hint[i+1:])}
	}
	if len(hint) > maxUsername {
		return passwordForm{}
	}
	return passwordForm{Username: hint}
}

// officeCodeForm reports whether s has the form of an office code: 1 to 32
// letters, digits, - or _.
func officeCodeForm(s string) bool {
	if s == "" || len(s) > maxOfficeCode {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// usableSession returns the browser's session when it may answer this
// request without a password: it is live, belongs to the user that an
// id_token_hint or login_hint names, and is recent enough for max_age
// (prompt=login arrives as max_age=0).
func (h *Handler) usableSession(r *http.Request, ar *storage.AuthRequest) *storage.Session {
	id, ok := h.Cookies.SessionID(r)
	if !ok {
		return nil
	}
	now := h.Now()
	sess, err := h.Store.SessionByID(r.Context(), id, now)
	if err != nil {
		if !errors.Is(err, storage.ErrNotFound) {
			h.Log.ErrorContext(r.Context(), "load session", "error", err)
		}
		return nil
	}
	if h.SessionIdle > 0 && now.Sub(sess.LastSeenAt) > h.SessionIdle {
		return nil
	}
	if ar.HintSubject != "" && ar.HintSubject != sess.UserID {
		return nil
	}
	if ar.MaxAge != nil && now.Sub(sess.AuthTime) > time.Duration(*ar.MaxAge)*time.Second {
		return nil
	}
	if ar.LoginHint != "" && !h.hintNamesSessionUser(r.Context(), loginHint(ar.LoginHint), sess) {
		return nil
	}
	return sess
}

// hintNamesSessionUser reports whether a login_hint names the session's
// user: the username compared case-insensitively, and the office code too
// when the hint has one. A hint that names nobody in particular (empty
// after parsing) matches any user.
func (h *Handler) hintNamesSessionUser(ctx context.Context, hint passwordForm, sess *storage.Session) bool {
	if hint.Username == "" {
		return true
	}
	user, office, err := h.userAndOffice(ctx, sess.UserID)
	if err != nil {
		h.Log.ErrorContext(ctx, "load session user", "error", err)
		return false
	}
	if !strings.EqualFold(hint.Username, user.Username) {
		return false
	}
	return hint.Office == "" || strings.EqualFold(hint.Office, office.Code)
}

// fromSession answers a request from an existing session. When the session
// lacks the SMS code that the office now requires, or that the request asks
// for (acr_values or the claims parameter), the user is asked for the code
// (or enrollment), and prompt=none gets login_required.
func (h *Handler) fromSession(w http.ResponseWriter, r *http.Request, f *flow, sess *storage.Session) {
	ctx := r.Context()
	user, office, err := h.userAndOffice(ctx, sess.UserID)
	if err != nil {
		h.fail(w, r, "load session user", err)
		return
	}
	asr, err := assurance(f.ar)
	if err != nil {
		h.errorToClient(w, r, f.ar, err)
		return
	}
	if asr.Meets(office.TwoFactor, sess.AMR) {
		if err := h.Store.TouchSession(ctx, sess.ID, h.Now()); err != nil {
			h.fail(w, r, "touch session", err)
			return
		}
		h.complete(w, r, f, user, storage.AuthResult{
			UserID: user.ID, SessionID: sess.ID, AMR: sess.AMR, ACR: ACRFor(sess.AMR), AuthTime: sess.AuthTime,
		}, "sso")
		return
	}
	if slices.Contains(f.ar.Prompt, oidc.PromptNone) {
		h.errorToClient(w, r, f.ar, oidc.ErrLoginRequired())
		return
	}
	if err := h.Store.SetAuthRequestUser(ctx, f.ar.ID, user.ID, h.Now()); err != nil {
		h.fail(w, r, "record session user", err)
		return
	}
	f.ar.UserID = user.ID
	h.Log.InfoContext(ctx, "session lacks the SMS step; asking for the code", "user_id", user.ID,
		"auth_request_id", f.ar.ID, "office_requires", office.TwoFactor, "request_requires", asr.SMS)
	h.beginSMS(w, r, f, user)
}

func (h *Handler) userAndOffice(ctx context.Context, userID string) (*storage.User, *storage.Office, error) {
	user, err := h.Store.UserByID(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	office, err := h.Store.OfficeByID(ctx, user.OfficeID)
	if err != nil {
		return nil, nil, err
	}
	return user, office, nil
}

// errorToClient sends an OAuth error to the client's registered redirect
// URI with the request's state and the issuer (RFC 9207), in the request's
// response mode.
func (h *Handler) errorToClient(w http.ResponseWriter, r *http.Request, ar *storage.AuthRequest, err error) {
	e := oidc.DefaultToServerError(err, "")
	h.Log.InfoContext(r.Context(), "authorization error sent to the client", "error_code", e.ErrorType,
		"client_id", ar.ClientID, "auth_request_id", ar.ID)
	params := url.Values{"error": {string(e.ErrorType)}}
	if d := errorDescription(e.Description); d != "" {
		params.Set("error_description", d)
	}
	h.respond(w, r, ar.RedirectURI, ar.ResponseMode, ar.State, params)
}

// passwordForm is the data of login.html.
type passwordForm struct {
	ID, CSRF, Error  string
	Username, Office string
}

func (h *Handler) renderPassword(w http.ResponseWriter, r *http.Request, f *flow, status int, msg string, form passwordForm) {
	form.ID, form.CSRF, form.Error = f.ar.ID, h.Cookies.CSRFToken(f.browserID), msg
	h.Pages.Render(w, r, status, "login.html", form)
}

const badCredentials = "The username, password or office code is incorrect."

// postPassword checks username, password and office code. Every failure
// shows the same message, and an unknown office or user is verified against
// a dummy hash, so neither the text nor the time tells which part was wrong.
func (h *Handler) postPassword(w http.ResponseWriter, r *http.Request) {
	f := h.loadFlow(w, r, true)
	if f == nil {
		return
	}
	if f.ar.Done || f.ar.UserID != "" {
		h.redirect(w, r, "/login", f.ar.ID)
		return
	}
	ctx := r.Context()
	form := passwordForm{
		Username: strings.TrimSpace(r.PostFormValue("username")),
		Office:   strings.ToUpper(strings.TrimSpace(r.PostFormValue("office"))),
	}
	pw := r.PostFormValue("password")
	if len(form.Username) > maxUsername || len(form.Office) > maxOfficeCode || len(pw) > password.MaxLength {
		h.renderPassword(w, r, f, http.StatusBadRequest, "The username, password or office code is too long.", passwordForm{})
		return
	}
	if !plainText(form.Username) || !plainText(form.Office) || !utf8.ValidString(pw) {
		h.renderPassword(w, r, f, http.StatusBadRequest, badCredentials, passwordForm{})
		return
	}
	if form.Username == "" || pw == "" || form.Office == "" {
		h.renderPassword(w, r, f, http.StatusBadRequest, "Enter your username, password and office code.", form)
		return
	}

	keys := h.throttleKeys(form.Office, form.Username, h.clientIP(r))
	if h.throttled(w, r, f, keys, form) {
		return
	}

	var user *storage.User
	office, err := h.Store.OfficeByCode(ctx, form.Office)
	if err == nil {
		user, err = h.Store.UserByUsername(ctx, office.ID, form.Username)
	}
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		h.fail(w, r, "look up user", err)
		return
	}
	hash := ""
	if user != nil {
		hash = user.PasswordHash
	}
	if err := h.Hasher.Verify(ctx, hash, pw); err != nil {
		if !errors.Is(err, password.ErrMismatch) {
			h.Log.ErrorContext(ctx, "verify password", "error", err)
		}
		h.Log.InfoContext(ctx, "sign-in failed", "reason", failureReason(office, user), "auth_request_id", f.ar.ID)
		h.Metrics.SignIn(metrics.SignInFailed, office != nil && office.TwoFactor)
		if h.recordFailure(w, r, f, keys, office, user, form) {
			return
		}
		h.renderPassword(w, r, f, http.StatusUnauthorized, badCredentials, form)
		return
	}
	h.clearFailures(ctx, keys)

	asr, err := assurance(f.ar)
	if err != nil {
		h.errorToClient(w, r, f.ar, err)
		return
	}
	if asr.Meets(office.TwoFactor, AMRPasswordOnly) {
		h.finish(w, r, f, user, AMRPasswordOnly)
		return
	}
	if err := h.Store.SetAuthRequestUser(ctx, f.ar.ID, user.ID, h.Now()); err != nil {
		h.fail(w, r, "record password step", err)
		return
	}
	f.ar.UserID = user.ID
	h.Log.InfoContext(ctx, "password accepted; SMS step required", "user_id", user.ID, "auth_request_id", f.ar.ID,
		"office_requires", office.TwoFactor, "request_requires", asr.SMS)
	h.beginSMS(w, r, f, user)
}

// plainText reports whether s is valid UTF-8 without control characters;
// no username or office code contains any, and PostgreSQL rejects NUL.
func plainText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

func failureReason(office *storage.Office, user *storage.User) string {
	switch {
	case office == nil:
		return "unknown_office"
	case user == nil:
		return "unknown_user"
	}
	return "wrong_password"
}

// finish ends a sign-in that proved new factors: it starts a new session
// (the session id changes at every sign-in), ends the browser's previous
// one, and completes the request.
func (h *Handler) finish(w http.ResponseWriter, r *http.Request, f *flow, user *storage.User, amr []string) {
	ctx := r.Context()
	now := h.Now()
	sess := &storage.Session{
		ID:         randomString(),
		UserID:     user.ID,
		OfficeID:   user.OfficeID,
		AMR:        amr,
		AuthTime:   now,
		CreatedAt:  now,
		LastSeenAt: now,
		ExpiresAt:  now.Add(h.SessionLifetime),
	}
	if err := h.Store.CreateSession(ctx, sess); err != nil {
		h.fail(w, r, "create session", err)
		return
	}
	if old, ok := h.Cookies.SessionID(r); ok && old != sess.ID {
		if err := h.Store.EndSession(ctx, old, now); err != nil && !errors.Is(err, storage.ErrNotFound) {
			h.Log.ErrorContext(ctx, "end previous session", "error", err)
		}
	}
	if err := h.Cookies.SetSession(w, sess.ID, h.SessionLifetime); err != nil {
		h.fail(w, r, "set session cookie", err)
		return
	}
	h.complete(w, r, f, user, storage.AuthResult{
		UserID: user.ID, SessionID: sess.ID, AMR: amr, ACR: ACRFor(amr), AuthTime: now,
	}, "sign-in")
}

// complete marks the request done after checking the office policy and the
// request's assurance once more, records that the client signed into the
// session, and sends the browser to the callback.
func (h *Handler) complete(w http.ResponseWriter, r *http.Request, f *flow, user *storage.User, res storage.AuthResult, how string) {
	ctx := r.Context()
	office, err := h.Store.OfficeByID(ctx, user.OfficeID)
	if err != nil {
		h.fail(w, r, "load office", err)
		return
	}
	asr, err := assurance(f.ar)
	if err != nil {
		h.errorToClient(w, r, f.ar, err)
		return
	}
	if !Satisfies(office, res.AMR) || !asr.Meets(office.TwoFactor, res.AMR) {
		h.redirect(w, r, "/login", f.ar.ID)
		return
	}
	if err := h.Store.RecordSessionClient(ctx, res.SessionID, f.ar.ClientID, h.Now()); err != nil {
		h.fail(w, r, "record session client", err)
		return
	}
	err = h.Store.CompleteAuthRequest(ctx, f.ar.ID, res, h.Now())
	if errors.Is(err, storage.ErrNotFound) {
		h.Pages.Error(w, r, http.StatusConflict, "This sign-in has already finished or expired. Go back to the application.")
		return
	}
	if err != nil {
		h.fail(w, r, "complete auth request", err)
		return
	}
	h.clearPolicyNotice(ctx, user.ID, res.AMR)
	outcome := metrics.SignInSucceeded
	if how == "sso" {
		outcome = metrics.SignInSSO
	}
	h.Metrics.SignIn(outcome, office.TwoFactor)
	h.Log.InfoContext(ctx, "sign-in succeeded", "via", how, "user_id", user.ID, "office_id", user.OfficeID,
		"client_id", f.ar.ClientID, "auth_request_id", f.ar.ID, "session_id_hash", shortHash(res.SessionID), "amr", res.AMR)
	http.Redirect(w, r, h.CallbackURL(ctx, f.ar.ID), http.StatusSeeOther)
}

// shortHash identifies a session in logs without revealing its id, which
// is a bearer credential inside the cookie.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return fmt.Sprintf("%x", sum[:6])
}

// NewCode returns six digits from crypto/rand.
func NewCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// codeHash keys the code with the server's code key and binds it to the
// challenge, which is bound to one sign-in, user and number.
func (h *Handler) codeHash(challengeID, code string) []byte {
	m := hmac.New(sha256.New, h.CodeKey[:])
	m.Write([]byte(challengeID + "\x00" + code))
	return m.Sum(nil)
}
