package login

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"slices"

	"twofold/storage"
)

// GuardCallback lets the authorization callback through only for the
// browser the request is bound to. The callback needs nothing but the
// request id, so without this a finished request id used from another
// browser would yield the code.
func (h *Handler) GuardCallback(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		if id == "" || len(id) > maxID {
			h.Pages.Error(w, r, http.StatusBadRequest, "This sign-in link is not valid. Go back to the application and sign in again.")
			return
		}
		ar, err := h.Store.AuthRequestByID(r.Context(), id, h.Now())
		if errors.Is(err, storage.ErrNotFound) {
			h.Pages.Error(w, r, http.StatusNotFound, "This sign-in has expired or is not valid. Go back to the application and sign in again.")
			return
		}
		if err != nil {
			h.fail(w, r, "load auth request", err)
			return
		}
		browserID, ok := h.Cookies.BrowserID(r)
		if !ok || len(ar.BrowserHash) == 0 || subtle.ConstantTimeCompare(browserHash(browserID), ar.BrowserHash) != 1 {
			h.Log.WarnContext(r.Context(), "callback from a browser the request is not bound to", "auth_request_id", ar.ID)
			h.Pages.Error(w, r, http.StatusForbidden, "This sign-in was started in another browser. Go back to the application and sign in again from this browser.")
			return
		}
		if !ar.Done {
			h.redirect(w, r, "/login", ar.ID)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// CheckAuthorize answers an authorization request from an unknown client,
// or with a redirect URI the client did not register, with twofold's own
// error page: such a request is never redirected anywhere. Everything else
// goes on to the provider, which validates the rest.
func (h *Handler) CheckAuthorize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			h.Pages.Error(w, r, http.StatusBadRequest, "The sign-in request is malformed.")
			return
		}
		clientID, redirectURI := r.Form.Get("client_id"), r.Form.Get("redirect_uri")
		if clientID == "" || redirectURI == "" || len(clientID) > 256 || len(redirectURI) > 2048 {
			h.Pages.Error(w, r, http.StatusBadRequest, "The sign-in request is missing its client or redirect URI.")
			return
		}
		c, err := h.Store.ClientByID(r.Context(), clientID)
		if errors.Is(err, storage.ErrNotFound) {
			h.Log.InfoContext(r.Context(), "authorization request from an unknown client")
			h.Pages.Error(w, r, http.StatusBadRequest, "The application that sent you here is not registered with twofold.")
			return
		}
		if err != nil {
			h.fail(w, r, "load client", err)
			return
		}
		if !slices.Contains(c.RedirectURIs, redirectURI) {
			h.Log.InfoContext(r.Context(), "authorization request with an unregistered redirect URI", "client_id", c.ID)
			h.Pages.Error(w, r, http.StatusBadRequest, "The application asked to return you to an address it has not registered. You were not sent there.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// EndBrowserSession ends the session of the browser that calls
// end_session and removes its cookie, before the provider handles the rest
// of the request (the redirect and the token hint).
func (h *Handler) EndBrowserSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, ok := h.Cookies.SessionID(r); ok {
			if err := h.Store.EndSession(r.Context(), id, h.Now()); err != nil && !errors.Is(err, storage.ErrNotFound) {
				h.Log.ErrorContext(r.Context(), "end session", "error", err)
			}
			h.Cookies.ClearSession(w)
			h.Log.InfoContext(r.Context(), "signed out", "session_id_hash", shortHash(id))
		}
		next.ServeHTTP(w, r)
	})
}
