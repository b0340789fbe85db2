package server

import (
	"context"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"twofold/login"
	"twofold/metrics"
)

// meteredPolicy counts SMS outcomes in the metrics around a send policy.
type meteredPolicy struct {
	login.SendPolicy
	m *metrics.Metrics
}

func (p meteredPolicy) Allow(ctx context.Context, req login.SendRequest) error {
	err := p.SendPolicy.Allow(ctx, req)
	if err != nil {
		p.m.SMS("limited", "")
	}
	return err
}

func (p meteredPolicy) Record(ctx context.Context, req login.SendRequest, gateway string, err error) {
	outcome := "sent"
	if err != nil {
		outcome = "failed"
	}
	p.m.SMS(outcome, gateway)
	p.SendPolicy.Record(ctx, req, gateway, err)
}

// knownPaths are the provider paths the router does not name itself; they
// become route labels as they are, every other unnamed path "other".
var knownPaths = map[string]bool{
	"/keys": true, "/healthz": true, "/ready": true, "/end_session": true,
	"/oauth/token": true, "/oauth/introspect": true, "/userinfo": true, "/revoke": true,
}

// observe records each request's latency by route pattern.
func observe(m *metrics.Metrics) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			sw := &statusWriter{ResponseWriter: w}
			next.ServeHTTP(sw, r)
			route := ""
			if rc := chi.RouteContext(r.Context()); rc != nil {
				route = rc.RoutePattern()
			}
			if route == "" || route == "/*" {
				route = "other"
				if knownPaths[r.URL.Path] {
					route = r.URL.Path
				}
			}
			m.Request(route, r.Method, sw.status, time.Since(start))
		})
	}
}

// countGrants records token endpoint requests by grant type and status.
func countGrants(m *metrics.Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		m.Grant(r.PostFormValue("grant_type"), sw.status)
	})
}
