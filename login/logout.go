package login

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	zop "github.com/zitadel/oidc/v3/pkg/op"

	"twofold/storage"
)

// SessionSID returns the sid claim (OpenID Connect Front-Channel and
// Back-Channel Logout 1.0) of a session: 128 bits of the SHA-256 of its id.
// The id itself stays a secret of the session cookie, and the sid still
// names one session.
func SessionSID(sessionID string) string {
	sum := sha256.Sum256([]byte("twofold sid\x00" + sessionID))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// SessionEndNotifier receives word that sessions ended, so that the back-channel
// logouts they enqueued go out now rather than at the sender's next poll.
type SessionEndNotifier interface {
	SessionsEnded()
}

// logoutRequest is an RP-initiated logout request (OpenID Connect
// RP-Initiated Logout 1.0, section 2) as twofold understood it.
type logoutRequest struct {
	hint        *oidc.IDTokenClaims // a hint twofold signed, expired or not; nil otherwise
	hintBad     bool                // a hint was sent but twofold did not sign it, or it names another client
	client      *storage.Client     // from client_id or the hint's audience
	redirectURI string              // the registered post_logout_redirect_uri to return to, or ""
	state       string
	params      url.Values // the parameters, for the confirmation form
}

// parseLogout reads the parameters of end_session from the query or the
// form body and checks them: the hint's signature (an expired hint is
// accepted, section 2), client_id against the hint's audience, and the
// post-logout redirect URI against the client's registered ones, character
// for character.
func (h *Handler) parseLogout(r *http.Request) *logoutRequest {
	ctx := r.Context()
	lr := &logoutRequest{state: r.Form.Get("state"), params: url.Values{}}
	for _, k := range []string{"id_token_hint", "client_id", "post_logout_redirect_uri", "state"} {
		if v := r.Form.Get(k); v != "" && len(v) <= 8192 {
			lr.params.Set(k, v)
		}
	}
	if raw := lr.params.Get("id_token_hint"); raw != "" {
		verifier := h.Authorizer.IDTokenHintVerifier(zop.ContextWithIssuer(ctx, h.Issuer))
		claims, err := zop.VerifyIDTokenHint[*oidc.IDTokenClaims](ctx, raw, verifier)
		if err == nil || errors.As(err, &zop.IDTokenHintExpiredError{}) {
			lr.hint = claims
		} else {
			lr.hintBad = true
			h.Log.InfoContext(ctx, "end_session with an id_token_hint twofold did not sign", "error", err)
		}
	}
	clientID := lr.params.Get("client_id")
	if lr.hint != nil {
		aud := lr.hint.GetAudience()
		switch {
		case clientID != "" && !slices.Contains(aud, clientID):
			lr.hintBad, lr.hint = true, nil
		case clientID == "" && lr.hint.AuthorizedParty != "":
			clientID = lr.hint.AuthorizedParty
		case clientID == "" && len(aud) == 1:
			clientID = aud[0]
		}
	}
	if clientID != "" && len(clientID) <= 256 {
		c, err := h.Store.ClientByID(ctx, clientID)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			h.Log.ErrorContext(ctx, "load client", "error", err)
		}
		lr.client = c
	}
	uri := lr.params.Get("post_logout_redirect_uri")
	if lr.hint != nil && lr.client != nil && uri != "" && slices.Contains(lr.client.PostLogoutRedirectURIs, uri) {
		lr.redirectURI = uri
	}
	return lr
}

// EndSession serves end_session. It signs the browser out at once when the
// request carries a valid id_token_hint of the browser's own session or
// user; otherwise it asks the user to confirm, so that a link or form on
// another site cannot sign them out (logout CSRF). It returns to the
// post_logout_redirect_uri only with a valid hint and a URI the client
// registered, and otherwise shows twofold's own signed-out page.
func (h *Handler) EndSession(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.Pages.Error(w, r, http.StatusBadRequest, "The sign-out request is malformed.")
		return
	}
	lr := h.parseLogout(r)
	sess := h.browserSession(r)
	switch {
	case sess == nil:
		h.signedOut(w, r, lr)
	case lr.hint != nil && (lr.hint.SessionID == SessionSID(sess.ID) || lr.hint.GetSubject() == sess.UserID):
		h.endBrowserSession(w, r, sess)
		h.signedOut(w, r, lr)
	default:
		h.confirmLogout(w, r, lr)
	}
}

// confirmLogoutPage is the data of logout.html.
type confirmLogoutPage struct {
	CSRF   string
	Fields []formField
	Client string // the name of the application that asked, when known
}

func (h *Handler) confirmLogout(w http.ResponseWriter, r *http.Request, lr *logoutRequest) {
	browserID, err := h.Cookies.EnsureBrowser(w, r)
	if err != nil {
		h.fail(w, r, "set browser cookie", err)
		return
	}
	page := confirmLogoutPage{CSRF: h.Cookies.CSRFToken(browserID)}
	for _, k := range []string{"id_token_hint", "client_id", "post_logout_redirect_uri", "state"} {
		if v := lr.params.Get(k); v != "" {
			page.Fields = append(page.Fields, formField{k, v})
		}
	}
	if lr.client != nil && !lr.hintBad {
		page.Client = lr.client.Name
	}
	h.Pages.Render(w, r, http.StatusOK, "logout.html", page)
}

// ConfirmLogout signs the browser out after the user confirmed on
// twofold's page.
func (h *Handler) ConfirmLogout(w http.ResponseWriter, r *http.Request) {
	if !h.Cookies.CheckCSRF(r) {
		h.Pages.Error(w, r, http.StatusForbidden, "This form has expired or was not sent by this browser. Sign out again from the application.")
		return
	}
	lr := h.parseLogout(r)
	if sess := h.browserSession(r); sess != nil {
		h.endBrowserSession(w, r, sess)
	}
	h.signedOut(w, r, lr)
}

// signedOut returns to the client's post-logout redirect URI, with state,
// when the request allows it, and shows the signed-out page otherwise.
func (h *Handler) signedOut(w http.ResponseWriter, r *http.Request, lr *logoutRequest) {
	if lr.redirectURI == "" {
		if lr.params.Get("post_logout_redirect_uri") != "" {
			h.Log.InfoContext(r.Context(), "post-logout redirect refused", "hint_valid", lr.hint != nil, "client_known", lr.client != nil)
		}
		h.Pages.Render(w, r, http.StatusOK, "signed_out.html", nil)
		return
	}
	u, err := url.Parse(lr.redirectURI)
	if err != nil {
		h.fail(w, r, "parse post-logout redirect URI", err)
		return
	}
	if lr.state != "" {
		q := u.Query()
		q.Set("state", lr.state)
		u.RawQuery = q.Encode()
	}
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// browserSession returns the browser's live session, or nil.
func (h *Handler) browserSession(r *http.Request) *storage.Session {
	id, ok := h.Cookies.SessionID(r)
	if !ok {
		return nil
	}
	sess, err := h.Store.SessionByID(r.Context(), id, h.Now())
	if err != nil {
		if !errors.Is(err, storage.ErrNotFound) {
			h.Log.ErrorContext(r.Context(), "load session", "error", err)
		}
		return nil
	}
	return sess
}

// endBrowserSession ends the session, removes its cookie and starts the
// back-channel logouts.
func (h *Handler) endBrowserSession(w http.ResponseWriter, r *http.Request, sess *storage.Session) {
	h.endSession(r.Context(), sess)
	h.Cookies.ClearSession(w)
}

// endSession ends one session. The storage enqueues the back-channel
// logouts in the same transaction; the notifier only hurries them.
func (h *Handler) endSession(ctx context.Context, sess *storage.Session) {
	if err := h.Store.EndSession(ctx, sess.ID, h.Now()); err != nil && !errors.Is(err, storage.ErrNotFound) {
		h.Log.ErrorContext(ctx, "end session", "error", err)
		return
	}
	h.Log.InfoContext(ctx, "signed out", "user_id", sess.UserID, "session_id_hash", shortHash(sess.ID))
	if h.Notifier != nil {
		h.Notifier.SessionsEnded()
	}
}
