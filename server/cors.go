package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"twofold/storage"
)

// corsPaths are the endpoints a browser application calls across origins.
// Every other endpoint, the sign-in pages above all, sends no CORS headers.
var corsPaths = map[string]bool{
	"/oauth/token":                      true,
	"/userinfo":                         true,
	"/.well-known/openid-configuration": true,
	"/keys":                             true,
}

// corsOriginsTTL bounds how long a new client's origin waits before its
// browser calls are allowed, and a removed one's until they stop.
const corsOriginsTTL = 30 * time.Second

// corsOrigins is the set of origins of every client's redirect URIs, read
// from the database and cached briefly.
type corsOrigins struct {
	store storage.Store
	log   *slog.Logger
	now   func() time.Time

	mu       sync.Mutex // guards the fields below
	loadedAt time.Time
	origins  map[string]bool
}

func (c *corsOrigins) allowed(ctx context.Context, origin string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.origins == nil || c.now().Sub(c.loadedAt) > corsOriginsTTL {
		clients, err := c.store.ListClients(ctx)
		if err != nil {
			c.log.ErrorContext(ctx, "load client origins for CORS", "error", err)
			return false
		}
		origins := map[string]bool{}
		for _, cl := range clients {
			for _, raw := range cl.RedirectURIs {
				if u, err := url.Parse(raw); err == nil && u.Scheme != "" && u.Host != "" {
					origins[u.Scheme+"://"+u.Host] = true
				}
			}
		}
		c.origins, c.loadedAt = origins, c.now()
	}
	return c.origins[origin]
}

// cors allows cross-origin calls to corsPaths from the origin of a
// registered redirect URI, without credentials: the token endpoint
// authenticates clients and userinfo takes a bearer token, neither a cookie.
func cors(origins *corsOrigins) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			origin := r.Header.Get("Origin")
			if origin == "" || !corsPaths[r.URL.Path] {
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Add("Vary", "Origin")
			if !origins.allowed(r.Context(), origin) {
				if r.Method == http.MethodOptions {
					w.WriteHeader(http.StatusForbidden)
					return
				}
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Access-Control-Allow-Origin", origin)
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
				w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
				w.Header().Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
