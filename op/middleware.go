package op

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"twofold/storage"
)

type ctxKey int

const claimsKey ctxKey = iota

// WithClaimsParameter carries the authorization request's claims parameter
// (OpenID Connect Core 1.0, section 5.5), which the library does not parse,
// to CreateAuthRequest in the request context.
func WithClaimsParameter(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err == nil {
			if raw := r.Form.Get("claims"); raw != "" {
				r = r.WithContext(context.WithValue(r.Context(), claimsKey, raw))
			}
		}
		next.ServeHTTP(w, r)
	})
}

func claimsParameter(ctx context.Context) string {
	raw, _ := ctx.Value(claimsKey).(string)
	return raw
}

// NoStore marks every response as not to be stored, as RFC 6749, section
// 5.1, requires of responses that carry tokens; error responses get it too.
func NoStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		next.ServeHTTP(w, r)
	})
}

// RequireAuthMethod holds a client to the token endpoint authentication
// method it registered (RFC 7591, section 2). A client registered for
// client_secret_basic may not send its secret in the body, and one
// registered for client_secret_post may not use the Authorization header.
// A public client may send no secret at all. The library accepts a secret by either
// channel, so the check runs in front of it. A request whose client cannot
// be identified passes on, for the library to reject.
func RequireAuthMethod(store storage.Clients, log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := r.ParseForm(); err != nil {
				writeOAuthError(w, http.StatusBadRequest, "invalid_request", "the request body could not be parsed")
				return
			}
			clientID, used := authMethodUsed(r)
			if clientID == "" {
				next.ServeHTTP(w, r)
				return
			}
			c, err := store.ClientByID(r.Context(), clientID)
			if errors.Is(err, storage.ErrNotFound) {
				next.ServeHTTP(w, r)
				return
			}
			if err != nil {
				log.ErrorContext(r.Context(), "load client", "error", err)
				writeOAuthError(w, http.StatusInternalServerError, "server_error", "")
				return
			}
			if want := c.AuthMethod(); used != want {
				log.InfoContext(r.Context(), "client used an authentication method it did not register",
					"client_id", c.ID, "used", used, "registered", want)
				w.Header().Set("WWW-Authenticate", `Basic realm="twofold"`)
				writeOAuthError(w, http.StatusUnauthorized, "invalid_client",
					"the client must authenticate with "+want)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// authMethodUsed returns the client id a request names and the method it
// authenticates with. Basic credentials are URL-decoded first, as RFC 6749,
// section 2.3.1, requires of clients to encode them.
func authMethodUsed(r *http.Request) (clientID, method string) {
	if id, _, ok := r.BasicAuth(); ok {
		if decoded, err := url.QueryUnescape(id); err == nil {
			id = decoded
		}
		return id, storage.AuthMethodBasic
	}
	if r.PostForm.Get("client_secret") != "" {
		return r.PostForm.Get("client_id"), storage.AuthMethodPost
	}
	if r.PostForm.Has("client_assertion") {
		return r.PostForm.Get("client_id"), "private_key_jwt"
	}
	return r.PostForm.Get("client_id"), storage.AuthMethodNone
}

func writeOAuthError(w http.ResponseWriter, status int, code, description string) {
	body := map[string]string{"error": code}
	if description != "" {
		body["error_description"] = description
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// BearerErrors turns the library's plain-text userinfo failures (401 for a
// missing or invalid token, 403 for one the storage rejects) into the
// responses of RFC 6750, section 3: status 401, a WWW-Authenticate
// challenge with the error code, and a JSON body.
func BearerErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&bearerWriter{ResponseWriter: w, r: r}, r)
	})
}

type bearerWriter struct {
	http.ResponseWriter
	r        *http.Request
	replaced bool
}

func (b *bearerWriter) WriteHeader(status int) {
	if b.replaced {
		return
	}
	if status != http.StatusUnauthorized && status != http.StatusForbidden {
		b.ResponseWriter.WriteHeader(status)
		return
	}
	b.replaced = true
	code, description := "invalid_token", "the access token is missing, expired or revoked"
	if status == http.StatusUnauthorized && !strings.HasPrefix(b.r.Header.Get("Authorization"), "Bearer ") &&
		b.r.PostFormValue("access_token") == "" {
		// RFC 6750, section 3.1: a request without a token gets no error code.
		code = ""
	}
	challenge := `Bearer realm="twofold"`
	if code != "" {
		challenge += `, error="` + code + `", error_description="` + description + `"`
	}
	h := b.Header()
	h.Del("Content-Length")
	h.Set("WWW-Authenticate", challenge)
	if code == "" {
		code, description = "invalid_request", "the request has no access token"
	}
	writeOAuthError(b.ResponseWriter, http.StatusUnauthorized, code, description)
}

func (b *bearerWriter) Write(p []byte) (int, error) {
	if b.replaced {
		return len(p), nil
	}
	return b.ResponseWriter.Write(p)
}
