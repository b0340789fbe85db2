package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestMetricsExposed(t *testing.T) {
	m := New()
	m.SignIn(SignInSucceeded, true)
	m.SMS("sent", "twilio")
	m.Grant("refresh_token", 200)
	m.Grant("made-up", 400)
	m.Request("/authorize", "GET", 302, 3*time.Millisecond)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`twofold_sign_ins_total{outcome="succeeded",two_factor="true"} 1`,
		`twofold_sms_total{gateway="twilio",outcome="sent"} 1`,
		`twofold_token_grants_total{grant_type="refresh_token",status="2xx"} 1`,
		`twofold_token_grants_total{grant_type="other",status="4xx"} 1`,
		`twofold_http_request_duration_seconds_count{method="GET",route="/authorize",status="3xx"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestNilMetricsRecordNothing(t *testing.T) {
	var m *Metrics
	m.SignIn(SignInFailed, false)
	m.SMS("failed", "")
	m.Grant("authorization_code", 500)
	m.Request("/", "GET", 200, time.Millisecond)
}
