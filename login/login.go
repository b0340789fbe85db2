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
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	zop "github.com/zitadel/oidc/v3/pkg/op"

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
	// CallbackURL returns the URL that completes the authorization request.
	CallbackURL     func(ctx context.Context, id string) string
	SessionLifetime time.Duration
	Product         string // names the sender in SMS messages
	Host            string // the issuer's host, for the one-time code line
	DefaultRegion   string // the country preselected at enrollment
	Now             func() time.Time
	Log             *slog.Logger
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

// loginHint splits a login_hint of the form username@OFFICE.
func loginHint(hint string) passwordForm {
	if len(hint) > maxUsername+maxOfficeCode+1 {
		return passwordForm{}
	}
	if i := strings.LastIndex(hint, "@"); i > 0 {
		return passwordForm{Username: hint[:i], Office: hint[i+1:]}
	}
	return passwordForm{Username: hint}
}

// usableSession returns the browser's session when it may answer this
// request without a password: it is live, belongs to the hinted user if
// there is a hint, and is recent enough for max_age (prompt=login arrives
// as max_age=0).
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
	if ar.HintSubject != "" && ar.HintSubject != sess.UserID {
		return nil
	}
	if ar.MaxAge != nil && now.Sub(sess.AuthTime) > time.Duration(*ar.MaxAge)*time.Second {
		return nil
	}
	return sess
}

// fromSession answers a request from an existing session. When the office
// now requires SMS and the session has not passed it, the user is asked for
// the code (or enrollment), and prompt=none gets login_required.
func (h *Handler) fromSession(w http.ResponseWriter, r *http.Request, f *flow, sess *storage.Session) {
	ctx := r.Context()
	user, office, err := h.userAndOffice(ctx, sess.UserID)
	if err != nil {
		h.fail(w, r, "load session user", err)
		return
	}
	if Satisfies(office, sess.AMR) {
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

// errorToClient redirects an OAuth error to the client's registered
// redirect URI, with the request's state.
func (h *Handler) errorToClient(w http.ResponseWriter, r *http.Request, ar *storage.AuthRequest, err error) {
	zop.AuthRequestError(w, r, errRequest{ar}, err, h.Authorizer)
}

type errRequest struct{ ar *storage.AuthRequest }

func (e errRequest) GetRedirectURI() string             { return e.ar.RedirectURI }
func (e errRequest) GetResponseType() oidc.ResponseType { return oidc.ResponseType(e.ar.ResponseType) }
func (e errRequest) GetState() string                   { return e.ar.State }
func (e errRequest) GetResponseMode() oidc.ResponseMode { return oidc.ResponseMode(e.ar.ResponseMode) }

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
		h.renderPassword(w, r, f, http.StatusUnauthorized, badCredentials, form)
		return
	}

	if !office.TwoFactor {
		h.finish(w, r, f, user, AMRPasswordOnly)
		return
	}
	if err := h.Store.SetAuthRequestUser(ctx, f.ar.ID, user.ID, h.Now()); err != nil {
		h.fail(w, r, "record password step", err)
		return
	}
	f.ar.UserID = user.ID
	h.Log.InfoContext(ctx, "password accepted; SMS step required", "user_id", user.ID, "auth_request_id", f.ar.ID)
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

// complete marks the request done after checking the office policy once
// more, and sends the browser to the callback.
func (h *Handler) complete(w http.ResponseWriter, r *http.Request, f *flow, user *storage.User, res storage.AuthResult, how string) {
	ctx := r.Context()
	office, err := h.Store.OfficeByID(ctx, user.OfficeID)
	if err != nil {
		h.fail(w, r, "load office", err)
		return
	}
	if !Satisfies(office, res.AMR) {
		h.redirect(w, r, "/login", f.ar.ID)
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

// newCode returns six digits from crypto/rand.
func newCode() (string, error) {
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
