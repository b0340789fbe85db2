package server

import (
	"bytes"
	"context"
	"net/http"
	"time"

	"twofold/storage"
)

// pingTimeout bounds a readiness check, so a database that hangs makes
// /readyz answer 503 quickly instead of hanging too.
const pingTimeout = 2 * time.Second

func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// readyz responds 200 when the database responds to a ping, 503 otherwise.
func readyz(store storage.Store) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), pingTimeout)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := store.Ping(ctx); err != nil {
			w.Header().Set("Retry-After", "5")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("database unavailable\n"))
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	}
}

// unavailableWhenDatabaseDown turns the provider's 500 server_error into a
// 503 with Retry-After when the database does not respond, so clients and
// load balancers see a temporary outage rather than a bug. The library
// answers every storage failure with 500 itself.
func unavailableWhenDatabaseDown(store storage.Store, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		iw := &intercept500{ResponseWriter: w}
		next.ServeHTTP(iw, r)
		if !iw.held {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
		defer cancel()
		if err := store.Ping(ctx); err != nil {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("Retry-After", "5")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error":"server_error","error_description":"the service is temporarily unavailable; try again shortly"}`))
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write(iw.body.Bytes())
	})
}

// intercept500 passes responses through, except a 500, whose body it holds
// back for unavailableWhenDatabaseDown to decide on.
type intercept500 struct {
	http.ResponseWriter
	held    bool
	written bool
	body    bytes.Buffer
}

func (i *intercept500) WriteHeader(code int) {
	if i.written {
		return
	}
	i.written = true
	if code == http.StatusInternalServerError {
		i.held = true
		return
	}
	i.ResponseWriter.WriteHeader(code)
}

func (i *intercept500) Write(b []byte) (int, error) {
	if !i.written {
		i.WriteHeader(http.StatusOK)
	}
	if i.held {
		return i.body.Write(b)
	}
	return i.ResponseWriter.Write(b)
}

func (i *intercept500) Unwrap() http.ResponseWriter { return i.ResponseWriter }
