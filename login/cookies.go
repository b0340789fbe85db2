package login

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/gorilla/securecookie"
)

// Cookie names. Both hold ids only; the state they stand for lives in the
// database.
const (
	// browserCookie identifies the browser across one or more sign-ins. An
	// authorization request is bound to the browser that first opened its
	// sign-in page, and CSRF tokens are derived from it.
	browserCookie = "twofold_browser"
	// sessionCookie holds the id of the single sign-on session.
	sessionCookie = "twofold_session"

	browserCookieMaxAge = 400 * 24 * time.Hour
)

// Cookies encodes twofold's cookies with securecookie (HMAC-SHA256 and
// AES-256) and derives CSRF tokens.
type Cookies struct {
	codecs  []securecookie.Codec
	secure  bool
	csrfKey []byte
}

// NewCookies returns a codec set from hash and block key pairs. The first
// pair encodes; every pair decodes, so keys can be rotated.
func NewCookies(keyPairs [][]byte, csrfKey [32]byte, secure bool) *Cookies {
	codecs := securecookie.CodecsFromPairs(keyPairs...)
	for _, c := range codecs {
		if sc, ok := c.(*securecookie.SecureCookie); ok {
			sc.MaxAge(int(browserCookieMaxAge.Seconds()))
		}
	}
	return &Cookies{codecs: codecs, secure: secure, csrfKey: csrfKey[:]}
}

func (c *Cookies) read(r *http.Request, name string) (string, bool) {
	ck, err := r.Cookie(name)
	if err != nil {
		return "", false
	}
	var v string
	if err := securecookie.DecodeMulti(name, ck.Value, &v, c.codecs...); err != nil || v == "" {
		return "", false
	}
	return v, true
}

func (c *Cookies) write(w http.ResponseWriter, name, value string, maxAge time.Duration) error {
	enc, err := securecookie.EncodeMulti(name, value, c.codecs...)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name:     name,
		Value:    enc,
		Path:     "/",
		MaxAge:   int(maxAge.Seconds()),
		HttpOnly: true,
		Secure:   c.secure,
		SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// BrowserID returns the browser cookie's id, if the request carries a valid one.
func (c *Cookies) BrowserID(r *http.Request) (string, bool) { return c.read(r, browserCookie) }

// EnsureBrowser returns the browser id, setting a new cookie when the
// request has none.
func (c *Cookies) EnsureBrowser(w http.ResponseWriter, r *http.Request) (string, error) {
	if id, ok := c.BrowserID(r); ok {
		return id, nil
	}
	id := randomString()
	return id, c.write(w, browserCookie, id, browserCookieMaxAge)
}

// SessionID returns the session cookie's id, if any.
func (c *Cookies) SessionID(r *http.Request) (string, bool) { return c.read(r, sessionCookie) }

// SetSession stores the session id in the session cookie.
func (c *Cookies) SetSession(w http.ResponseWriter, id string, lifetime time.Duration) error {
	return c.write(w, sessionCookie, id, lifetime)
}

// ClearSession removes the session cookie.
func (c *Cookies) ClearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode,
	})
}

// CSRFToken returns the token forms carry for this browser.
func (c *Cookies) CSRFToken(browserID string) string {
	m := hmac.New(sha256.New, c.csrfKey)
	m.Write([]byte("csrf\x00" + browserID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckCSRF reports whether the form's csrf field matches the browser
// cookie. A request without the cookie fails.
func (c *Cookies) CheckCSRF(r *http.Request) bool {
	id, ok := c.BrowserID(r)
	if !ok {
		return false
	}
	got := r.PostFormValue("csrf")
	return hmac.Equal([]byte(got), []byte(c.CSRFToken(id)))
}

func browserHash(browserID string) []byte {
	sum := sha256.Sum256([]byte(browserID))
	return sum[:]
}

// randomString returns 256 random bits, URL-safe.
func randomString() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
