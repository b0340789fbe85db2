// Package metrics holds twofold's Prometheus metrics. Each process counts
// its own events; Prometheus adds up the replicas.
//
// Every method is safe on a nil *Metrics, which records nothing, so
// packages can take one without checking.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one process's set of metrics, on its own registry.
type Metrics struct {
	registry *prometheus.Registry
	signIns  *prometheus.CounterVec
	sms      *prometheus.CounterVec
	grants   *prometheus.CounterVec
	requests *prometheus.HistogramVec
}

// New registers the metrics, with the Go runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "twofold_sign_ins_total",
			Help: "Sign-in attempts by outcome and by whether the office requires two-factor authentication.",
		}, []string{"outcome", "two_factor"}),
		sms: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "twofold_sms_total",
			Help: "SMS codes by outcome (sent, failed, limited) and gateway.",
		}, []string{"outcome", "gateway"}),
		grants: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "twofold_token_grants_total",
			Help: "Token endpoint requests by grant type and HTTP status class.",
		}, []string{"grant_type", "status"}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "twofold_http_request_duration_seconds",
			Help:    "HTTP request latency by route and status class.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method", "status"}),
	}
	m.registry.MustRegister(m.signIns, m.sms, m.grants, m.requests,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Sign-in outcomes.
const (
	SignInSucceeded = "succeeded"
	SignInFailed    = "failed"
	SignInThrottled = "throttled"
	SignInSSO       = "sso"
)

// SignIn counts a sign-in outcome.
func (m *Metrics) SignIn(outcome string, twoFactor bool) {
	if m == nil {
		return
	}
	m.signIns.WithLabelValues(outcome, strconv.FormatBool(twoFactor)).Inc()
}

// SMS counts a code sent, failed or limited by a gateway ("" when no
// gateway was reached).
func (m *Metrics) SMS(outcome, gateway string) {
	if m == nil {
		return
	}
	if gateway == "" {
		gateway = "none"
	}
	m.sms.WithLabelValues(outcome, gateway).Inc()
}

// Grant counts a token endpoint request.
func (m *Metrics) Grant(grantType string, status int) {
	if m == nil {
		return
	}
	switch grantType {
	case "authorization_code", "refresh_token":
	default:
		grantType = "other" // bounded label values, whatever clients send
	}
	m.grants.WithLabelValues(grantType, statusClass(status)).Inc()
}

// Request observes one HTTP request. route is the router's pattern, never
// the raw path, so label values stay bounded.
func (m *Metrics) Request(route, method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	switch method {
	case http.MethodGet, http.MethodPost, http.MethodHead, http.MethodOptions:
	default:
		method = "other"
	}
	m.requests.WithLabelValues(route, method, statusClass(status)).Observe(d.Seconds())
}

func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}
