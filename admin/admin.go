package admin

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gorilla/securecookie"

	"twofold/countrypicker"
	"twofold/login"
	"twofold/password"
	"twofold/sms"
	"twofold/storage"
	"twofold/templates"
)

// ClientID is the id of the built-in client that the settings pages sign
// in as. EnsureClient registers it; the id is reserved.
const ClientID = "twofold-settings"

// Options are the Handler's dependencies.
type Options struct {
	Store   storage.Store
	Hasher  *password.Hasher
	Sender  sms.Sender
	Pages   *templates.Pages
	Cookies *login.Cookies
	// Issuer is the provider's issuer; the callback is Issuer/settings/callback.
	Issuer string
	// ClientSecret is the built-in client's secret. The pages never send it:
	// they spend their codes in storage, so only its hash is used.
	ClientSecret string
	// FlowKey authenticates the cookie that carries a sign-in's state and
	// PKCE verifier.
	FlowKey [32]byte
	// CodeKey keys the hash of codes sent to a new number of one's own.
	CodeKey [32]byte
	// SendPolicy, when set, limits the codes sent as it does at sign-in.
	SendPolicy login.SendPolicy
	// Countries builds the country picker next to every number field.
	Countries countrypicker.Builder
	// ClientIP returns a request's client address; nil leaves it unknown.
	ClientIP func(r *http.Request) netip.Addr
	Product  string // names the sender in SMS messages
	Host     string // the issuer's host, for the one-time code line
	Secure   bool   // cookies only over https
	Now      func() time.Time
	Log      *slog.Logger
}

// Handler serves the settings pages.
type Handler struct {
	Options
	flow *securecookie.SecureCookie
}

// New returns the settings handler.
func New(o Options) *Handler {
	c := securecookie.New(o.FlowKey[:], nil)
	c.MaxAge(int(flowLifetime.Seconds()))
	return &Handler{Options: o, flow: c}
}

// callbackURL is the built-in client's only redirect URI.
func (h *Handler) callbackURL() string { return h.Issuer + "/settings/callback" }

// EnsureClient registers the built-in client, or brings its redirect URI
// and secret up to date when the issuer or the secret changed.
func (h *Handler) EnsureClient(ctx context.Context) error {
	sum := sha256.Sum256([]byte(h.ClientSecret))
	want := &storage.Client{
		ID: ClientID, Name: "twofold settings", SecretHash: sum[:],
		RedirectURIs: []string{h.callbackURL()}, CreatedAt: h.Now(),
	}
	err := h.Store.CreateClient(ctx, want)
	if !errors.Is(err, storage.ErrConflict) {
		return err
	}
	have, err := h.Store.ClientByID(ctx, ClientID)
	if err != nil {
		return err
	}
	if have.Public || !hmac.Equal(have.SecretHash, want.SecretHash) || !slices.Equal(have.RedirectURIs, want.RedirectURIs) {
		want.CreatedAt = have.CreatedAt
		return h.Store.UpdateClient(ctx, want)
	}
	return nil
}

// Routes mounts the settings pages under /settings.
func (h *Handler) Routes(r chi.Router) {
	r.Route("/settings", func(r chi.Router) {
		r.Get("/callback", h.callback)
		r.Get("/", h.page(h.home))
		r.Get("/office", h.page(h.showOffice))
		r.Post("/office/two-factor", h.form(h.postTwoFactor))
		r.Get("/users", h.page(h.showUsers))
		r.Get("/users/new", h.page(h.showNewUser))
		r.Post("/users/new", h.form(h.postNewUser))
		r.Get("/users/{id}", h.page(h.showUser))
		r.Post("/users/{id}/profile", h.form(h.postProfile))
		r.Post("/users/{id}/role", h.form(h.postRole))
		r.Post("/users/{id}/password", h.form(h.postPassword))
		r.Post("/users/{id}/mobile", h.form(h.postMobile))
		r.Get("/users/{id}/mobile/code", h.page(h.showMobileCode))
		r.Post("/users/{id}/mobile/code", h.form(h.postMobileCode))
		r.Post("/users/{id}/mobile/resend", h.form(h.postMobileResend))
		r.Post("/users/{id}/mobile/cancel", h.form(h.postMobileCancel))
		r.Get("/activity", h.page(h.showActivity))
	})
}

// viewer is the signed-in user of one request, with the office as stored
// when the request began.
type viewer struct {
	session *storage.Session
	user    *storage.User
	office  *storage.Office
	csrf    string
	lang    string
}

func (v *viewer) superuser() bool { return v.user.Role == storage.RoleSuperuser }

// managesUsers reports whether the viewer may open other users' pages.
func (v *viewer) managesUsers() bool {
	return v.user.Role == storage.RoleSuperuser || v.user.Role == storage.RoleAccountant
}

// handlerFunc is a settings handler that runs for a signed-in viewer.
type handlerFunc func(w http.ResponseWriter, r *http.Request, v *viewer)

// page wraps a GET handler: without a usable session the browser is sent
// to sign in and comes back to the same URL.
func (h *Handler) page(next handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := h.loadViewer(w, r)
		if errors.Is(err, errSignIn) {
			h.signIn(w, r)
			return
		}
		if err != nil {
			h.fail(w, r, "load viewer", err)
			return
		}
		next(w, r, v)
	}
}

// form wraps a POST handler: the CSRF token must match the browser before
// anything is read, and a request without a usable session changes nothing.
func (h *Handler) form(next handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !h.Cookies.CheckCSRF(r) {
			h.Log.InfoContext(r.Context(), "settings form without a valid CSRF token", "path", r.URL.Path)
			h.Pages.Error(w, r, http.StatusForbidden, "This form has expired or was not sent by this browser. Open the settings again and repeat the change.")
			return
		}
		v, err := h.loadViewer(w, r)
		if errors.Is(err, errSignIn) {
			h.Pages.Error(w, r, http.StatusForbidden, "Your session has ended, or your office now requires a code by SMS. Open the settings again to sign in; nothing was changed.")
			return
		}
		if err != nil {
			h.fail(w, r, "load viewer", err)
			return
		}
		next(w, r, v)
	}
}

// errSignIn means the request has no session that may use the settings.
var errSignIn = errors.New("admin: sign-in required")

// loadViewer reads the session named by the session cookie, its user and
// the user's office, and checks that the session is live and meets the
// office's policy as stored now.
func (h *Handler) loadViewer(w http.ResponseWriter, r *http.Request) (*viewer, error) {
	ctx := r.Context()
	id, ok := h.Cookies.SessionID(r)
	if !ok {
		return nil, errSignIn
	}
	sess, err := h.Store.SessionByID(ctx, id, h.Now())
	if errors.Is(err, storage.ErrNotFound) {
		return nil, errSignIn
	}
	if err != nil {
		return nil, err
	}
	user, err := h.Store.UserByID(ctx, sess.UserID)
	if err != nil {
		return nil, err
	}
	office, err := h.Store.OfficeByID(ctx, user.OfficeID)
	if err != nil {
		return nil, err
	}
	if sess.OfficeID != office.ID || !login.Satisfies(office, sess.AMR) {
		return nil, errSignIn
	}
	browserID, err := h.Cookies.EnsureBrowser(w, r)
	if err != nil {
		return nil, err
	}
	return &viewer{
		session: sess, user: user, office: office,
		csrf: h.Cookies.CSRFToken(browserID), lang: h.Pages.Language(r),
	}, nil
}

// fail logs an unexpected error and shows a generic page.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.Log.ErrorContext(r.Context(), "settings: "+what, "error", err)
	h.Pages.Error(w, r, http.StatusServiceUnavailable, "The settings are temporarily unavailable. Try again in a minute.")
}

func (h *Handler) forbidden(w http.ResponseWriter, r *http.Request, v *viewer, what string) {
	h.Log.InfoContext(r.Context(), "settings: permission denied", "what", what, "user_id", v.user.ID, "role", v.user.Role)
	h.Pages.Error(w, r, http.StatusForbidden, "Your role does not allow this change. Nothing was changed.")
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.Pages.Error(w, r, http.StatusNotFound, "This user was not found in your office.")
}

// event returns an audit event of a change the viewer makes now.
func (h *Handler) event(v *viewer, action storage.AuditAction, target *storage.User, old, new string) storage.AuditEvent {
	ev := storage.AuditEvent{
		OfficeID: v.office.ID, ActorID: v.user.ID, ActorName: v.user.Username,
		Action: action, Old: old, New: new, At: h.Now(),
	}
	if target != nil {
		ev.TargetID, ev.TargetName = target.ID, target.Username
	} else {
		ev.TargetID, ev.TargetName = v.office.ID, v.office.Code
	}
	return ev
}

// redirectDone sends the browser back to path after a change, with a
// notice key that the page turns into a fixed message.
func redirectDone(w http.ResponseWriter, r *http.Request, path, notice string) {
	http.Redirect(w, r, path+"?done="+url.QueryEscape(notice), http.StatusSeeOther)
}

func userPath(id string) string { return "/settings/users/" + url.PathEscape(id) }

// base is what every settings page shows around its own content.
type base struct {
	CSRF          string
	Viewer        *storage.User
	Office        *storage.Office
	Tab           string // general, users, activity or me
	Superuser     bool
	ManagesUsers  bool
	Notice, Error string
}

func (h *Handler) base(v *viewer, r *http.Request, tab string) base {
	return base{
		CSRF: v.csrf, Viewer: v.user, Office: v.office, Tab: tab,
		Superuser: v.superuser(), ManagesUsers: v.managesUsers(),
		Notice: notices[r.URL.Query().Get("done")],
	}
}

// notices are the messages shown after a change, by the key in ?done=.
var notices = map[string]string{
	"two-factor-on":  "Two-factor authentication is now required for everyone in the office. Tell all users.",
	"two-factor-off": "Two-factor authentication is no longer required in the office.",
	"unchanged":      "Nothing was changed.",
	"profile":        "The name and email are saved.",
	"role":           "The role is saved.",
	"password":       "The new password is saved. The user's sessions have ended.",
	"mobile":         "The mobile number is saved. It is confirmed with the code sent to it at the next sign-in.",
	"mobile-cleared": "The mobile number is removed.",
	"mobile-own":     "Your new mobile number is saved and confirmed.",
	"mobile-cancel":  "The new number is dropped. Codes keep going to your current number.",
	"created":        "The user is created.",
	"sent":           "A new code is on its way. Earlier codes no longer work.",
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request, v *viewer) {
	http.Redirect(w, r, "/settings/office", http.StatusSeeOther)
}

// render renders a settings page. A template error is logged by Pages.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	h.Pages.Render(w, r, status, name, data)
}

// picker returns the country picker for a number field of the viewer's
// office with selected chosen. The counts behind its top are a nicety: when
// they cannot be read the error is logged and the picker still works.
func (h *Handler) picker(r *http.Request, v *viewer, selected string) countrypicker.Picker {
	p, err := h.Countries.Build(r.Context(), v.lang, v.office.ID, selected)
	if err != nil {
		h.Log.ErrorContext(r.Context(), "settings: build country picker", "error", err)
	}
	return p
}

// roleLabel is the English name of a role, which T translates.
func roleLabel(r storage.Role) string {
	switch r {
	case storage.RoleSuperuser:
		return "Super user"
	case storage.RoleAccountant:
		return "Accountant"
	case storage.RoleUser:
		return "User"
	}
	return string(r)
}

// mobileState is the English name of the state of a user's number.
func mobileState(u *storage.User) string {
	switch {
	case u.Mobile == "":
		return "None"
	case u.MobileConfirmed:
		return "Confirmed"
	}
	return "Unconfirmed"
}

// yesNo is the English word for a policy.
func yesNo(on bool) string {
	if on {
		return "Yes"
	}
	return "No"
}
