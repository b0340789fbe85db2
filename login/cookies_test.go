package login

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func keyPair(b byte) [][]byte {
	return [][]byte{bytes.Repeat([]byte{b}, 32), bytes.Repeat([]byte{b + 1}, 32)}
}

func TestCookieKeyRotation(t *testing.T) {
	old := NewCookies(keyPair(1), [32]byte{9}, false)
	rec := httptest.NewRecorder()
	if err := old.SetSession(rec, "session-1", time.Hour); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range rec.Result().Cookies() {
		req.AddCookie(c)
	}

	rotated := NewCookies(append(keyPair(3), keyPair(1)...), [32]byte{9}, false)
	if id, ok := rotated.SessionID(req); !ok || id != "session-1" {
		t.Errorf("after rotation, the old key's cookie decodes to %q, %v; want session-1", id, ok)
	}
	fresh := NewCookies(keyPair(3), [32]byte{9}, false)
	if _, ok := fresh.SessionID(req); ok {
		t.Error("a cookie decoded without the key that encoded it")
	}
	if c := rec.Result().Cookies()[0]; !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure {
		t.Errorf("cookie flags: HttpOnly %v, SameSite %v, Secure %v; want HttpOnly, Lax, not Secure over http", c.HttpOnly, c.SameSite, c.Secure)
	}
}
