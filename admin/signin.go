package admin

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"twofold/storage"
)

// flowCookie carries one sign-in's state, PKCE verifier and the page to
// return to, from the redirect to /authorize until the callback.
const flowCookie = "twofold_settings_flow"

const flowLifetime = 30 * time.Minute

type flowState struct {
	State, Verifier, Return string
}

func randomString() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// s256 is the PKCE code challenge of a verifier (RFC 7636, section 4.2).
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// signIn sends the browser to /authorize as the built-in client and
// remembers the page it asked for. The sign-in pages then ask for what the
// office requires: the password, the code by SMS, or both.
func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	fs := flowState{State: randomString(), Verifier: randomString(), Return: "/settings"}
	if back := r.URL.RequestURI(); strings.HasPrefix(back, "/settings") && len(back) <= 1024 {
		fs.Return = back
	}
	enc, err := h.flow.Encode(flowCookie, fs)
	if err != nil {
		h.fail(w, r, "encode flow cookie", err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: flowCookie, Value: enc, Path: "/settings", MaxAge: int(flowLifetime.Seconds()),
		HttpOnly: true, Secure: h.Secure, SameSite: http.SameSiteLaxMode,
	})
	q := url.Values{
		"client_id":             {ClientID},
		"redirect_uri":          {h.callbackURL()},
		"response_type":         {"code"},
		"scope":                 {"openid"},
		"state":                 {fs.State},
		"code_challenge":        {s256(fs.Verifier)},
		"code_challenge_method": {"S256"},
		"ui_locales":            {h.Pages.Language(r)},
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/authorize?"+q.Encode(), http.StatusSeeOther)
}

// callback ends a sign-in that signIn started. It checks the state against
// the flow cookie and spends the code in storage, checking its client,
// redirect URI, PKCE verifier and session, so that the code can be used for
// nothing else. The code is hashed as the provider stores it (SHA-256).
// The settings pages then go on to use the session cookie that the sign-in
// set.
func (h *Handler) callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	http.SetCookie(w, &http.Cookie{
		Name: flowCookie, Value: "", Path: "/settings", MaxAge: -1,
		HttpOnly: true, Secure: h.Secure, SameSite: http.SameSiteLaxMode,
	})
	var fs flowState
	ck, err := r.Cookie(flowCookie)
	if err == nil {
		err = h.flow.Decode(flowCookie, ck.Value, &fs)
	}
	q := r.URL.Query()
	state := q.Get("state")
	if err != nil || fs.State == "" || subtle.ConstantTimeCompare([]byte(state), []byte(fs.State)) != 1 {
		// Another tab may have started a newer sign-in, or the cookie
		// expired. The session, if the sign-in made one, is checked on the
		// next page as always.
		h.Log.InfoContext(ctx, "settings sign-in callback without its flow cookie")
		http.Redirect(w, r, "/settings", http.StatusSeeOther)
		return
	}
	if e := q.Get("error"); e != "" {
		h.Log.InfoContext(ctx, "settings sign-in ended with an error", "error_code", e)
		h.Pages.Error(w, r, http.StatusBadRequest, "Signing in to the settings did not finish. Open the settings again to retry.")
		return
	}
	code := q.Get("code")
	if code == "" || len(code) > 512 {
		h.Pages.Error(w, r, http.StatusBadRequest, "Signing in to the settings did not finish. Open the settings again to retry.")
		return
	}
	sum := sha256.Sum256([]byte(code))
	ar, err := h.Store.ConsumeAuthCode(ctx, sum[:], h.Now())
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrReused) {
		h.Pages.Error(w, r, http.StatusBadRequest, "Signing in to the settings did not finish. Open the settings again to retry.")
		return
	}
	if err != nil {
		h.fail(w, r, "spend authorization code", err)
		return
	}
	sessionID, _ := h.Cookies.SessionID(r)
	valid := ar.Done && ar.ClientID == ClientID && ar.RedirectURI == h.callbackURL() &&
		subtle.ConstantTimeCompare([]byte(s256(fs.Verifier)), []byte(ar.CodeChallenge)) == 1 &&
		sessionID != "" && subtle.ConstantTimeCompare([]byte(sessionID), []byte(ar.SessionID)) == 1
	if !valid {
		h.Log.WarnContext(ctx, "settings sign-in callback with a code that does not match its flow", "auth_request_id", ar.ID)
		h.Pages.Error(w, r, http.StatusBadRequest, "Signing in to the settings did not finish. Open the settings again to retry.")
		return
	}
	back := fs.Return
	if !strings.HasPrefix(back, "/settings") || strings.HasPrefix(back, "//") {
		back = "/settings"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}
