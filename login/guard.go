package login

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"unicode/utf8"

	zop "github.com/zitadel/oidc/v3/pkg/op"

	"twofold/storage"
)

// Callback completes an authorization request: it issues the code and sends
// it to the client in the request's response mode, with state and iss
// (RFC 9207). Only the browser the request is bound to gets the code. The
// callback needs nothing but the request id, so without this a finished
// request id used from another browser would yield the code.
func (h *Handler) Callback(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	if id == "" || len(id) > maxID {
		h.Pages.Error(w, r, http.StatusBadRequest, "This sign-in link is not valid. Go back to the application and sign in again.")
		return
	}
	ctx := r.Context()
	ar, err := h.Store.AuthRequestByID(ctx, id, h.Now())
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
		h.Log.WarnContext(ctx, "callback from a browser the request is not bound to", "auth_request_id", ar.ID)
		h.Pages.Error(w, r, http.StatusForbidden, "This sign-in was started in another browser. Go back to the application and sign in again from this browser.")
		return
	}
	if !ar.Done {
		h.redirect(w, r, "/login", ar.ID)
		return
	}

	provided, err := h.Authorizer.Storage().AuthRequestByID(ctx, ar.ID)
	if err != nil {
		h.fail(w, r, "load auth request", err)
		return
	}
	code, err := zop.CreateAuthRequestCode(ctx, provided, h.Authorizer.Storage(), h.Authorizer.Crypto())
	if errors.Is(err, storage.ErrConflict) {
		h.Pages.Error(w, r, http.StatusConflict, "This sign-in has already finished. Go back to the application.")
		return
	}
	if err != nil {
		h.fail(w, r, "issue authorization code", err)
		return
	}
	h.respond(w, r, ar.RedirectURI, ar.ResponseMode, ar.State, url.Values{"code": {code}})
}

// CheckAuthorize answers an authorization request from an unknown client,
// or with a redirect URI the client did not register, with twofold's own
// error page: such a request is never redirected anywhere. It rejects what
// the provider would pass over silently (request_uri, an unknown
// response_mode, parameters that are not text) and lets the provider
// validate the rest, replacing its error redirects with ones that carry iss
// and honour form_post.
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
		state := r.Form.Get("state")
		if !validState(state) || !textParameters(r.Form) {
			h.Pages.Error(w, r, http.StatusBadRequest, "The sign-in request is malformed.")
			return
		}
		mode := r.Form.Get("response_mode")
		if !slices.Contains(responseModes, mode) {
			h.respond(w, r, redirectURI, "", state, url.Values{
				"error": {"invalid_request"}, "error_description": {"the response_mode is not supported"}})
			return
		}
		if r.Form.Get("request_uri") != "" {
			h.respond(w, r, redirectURI, mode, state, url.Values{
				"error": {"request_uri_not_supported"}, "error_description": {"request_uri is not supported"}})
			return
		}
		next.ServeHTTP(&authorizeRewriter{ResponseWriter: w, h: h, r: r, redirectURI: redirectURI, mode: mode, state: state}, r)
	})
}

// validState reports whether state consists of VSCHAR (%x20-7E), the
// characters RFC 6749, appendix A.5, allows, because only such a value can
// be echoed back byte for byte.
func validState(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return len(s) <= 2048
}

// textParameters reports whether every parameter is valid UTF-8 without
// NUL, which the database could not store.
func textParameters(form url.Values) bool {
	for _, vs := range form {
		for _, v := range vs {
			if !utf8.ValidString(v) || containsNUL(v) {
				return false
			}
		}
	}
	return true
}

func containsNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}
