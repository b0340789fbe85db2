package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"twofold/config"
	"twofold/storage"
)

const (
	beMobile  = "+32470123456"
	deMobile  = "+4915123456789"
	iomMobile = "+447624123456" // Isle of Man, which shares +44 with the United Kingdom
)

// enrollNumber signs in as a user without a number and types mobile at
// enrollment. It returns the browser and the page that follows.
func enrollNumber(t *testing.T, e *env, office *storage.Office, mobile string) (*browser, *page) {
	t.Helper()
	e.user(office, "cleo", "cleo-password", "", false)
	b := newBrowser(t)
	p := signIn(b, e.client("app-one").begin(), "cleo", "cleo-password", office.Code)
	if p.url.Path != "/login/enroll" {
		t.Fatalf("at %s, want the enrollment page", p.url.Path)
	}
	return b, b.submit(p, "/login/enroll", map[string]string{"country": "NL", "mobile": mobile})
}

func TestEnrollmentRefusesOtherCountries(t *testing.T) {
	eachLimited(t, nil, func(t *testing.T, e *env) {
		office := e.office("SECURE", true)
		b, p := enrollNumber(t, e, office, beMobile)
		if p.status != http.StatusBadRequest {
			t.Errorf("Belgian number for a Dutch office: status %d, want 400", p.status)
		}
		if msg := alert(p); !strings.Contains(msg, "Belgium") || !strings.Contains(msg, "Netherlands") {
			t.Errorf("alert %q, want it to name Belgium and the allowed Netherlands", msg)
		}
		if findForm(p.doc, "/login/enroll") == nil {
			t.Error("the number form is not shown again")
		}
		if n := e.smsCount(); n != 0 {
			t.Errorf("%d codes sent, want none", n)
		}
		p = b.submit(p, "/login/enroll", map[string]string{"country": "NL", "mobile": "06 12345678"})
		if p.url.Path != "/login/code" || len(e.codes(nlMobile)) != 1 {
			t.Errorf("Dutch number after the refusal: at %s with %d codes, want the code page and one code", p.url.Path, len(e.codes(nlMobile)))
		}
	})
}

func TestConfiguredAllowedCountries(t *testing.T) {
	eachLimited(t, func(cfg *config.Config) { cfg.SMS.AllowedCountries = []string{"be"} }, func(t *testing.T, e *env) {
		office := e.office("SECURE", true)
		_, p := enrollNumber(t, e, office, beMobile)
		if p.url.Path != "/login/code" || len(e.codes(beMobile)) != 1 {
			t.Errorf("Belgian number with sms.allowed_countries [be]: at %s (status %d), %d codes; want a code",
				p.url.Path, p.status, len(e.codes(beMobile)))
		}
	})
}

func TestOfficeAllowedCountries(t *testing.T) {
	eachLimited(t, func(cfg *config.Config) { cfg.SMS.AllowedCountries = []string{"BE"} }, func(t *testing.T, e *env) {
		office := e.office("SECURE", true)
		if err := e.store.SetOfficeSMSCountries(e.ctx, office.ID, []string{"DE"}, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		// The office's own list replaces its country and the configured
		// ones.
		b, p := enrollNumber(t, e, office, "06 12345678")
		if p.status != http.StatusBadRequest || !strings.Contains(alert(p), "Netherlands") || !strings.Contains(alert(p), "Germany") {
			t.Errorf("Dutch number for an office that allows DE: status %d, alert %q", p.status, alert(p))
		}
		p = b.submit(p, "/login/enroll", map[string]string{"country": "NL", "mobile": beMobile})
		if p.status != http.StatusBadRequest {
			t.Errorf("Belgian number for an office that allows DE only: status %d, want 400", p.status)
		}
		p = b.submit(p, "/login/enroll", map[string]string{"country": "DE", "mobile": deMobile})
		if p.url.Path != "/login/code" || len(e.codes(deMobile)) != 1 {
			t.Errorf("German number: at %s (status %d), want a code", p.url.Path, p.status)
		}
		if n := e.smsCount(); n != 1 {
			t.Errorf("%d codes sent, want 1", n)
		}
	})
}

func TestSendingRefusesOtherCountries(t *testing.T) {
	eachLimited(t, func(cfg *config.Config) { cfg.SMS.AllowedCountries = []string{"GB"} }, func(t *testing.T, e *env) {
		office := e.office("SECURE", true)
		// Numbers entered by an administrator, before the rules applied.
		e.user(office, "dirk", "dirk-password", iomMobile, true)
		e.user(office, "emma", "emma-password", deMobile, false)
		app := e.client("app-one")
		for _, c := range []struct{ user, country string }{{"dirk", "Isle of Man"}, {"emma", "Germany"}} {
			p := signIn(newBrowser(t), app.begin(), c.user, c.user+"-password", "SECURE")
			if p.status != http.StatusForbidden {
				t.Errorf("%s: status %d, want 403", c.user, p.status)
			}
			if msg := alert(p); !strings.Contains(msg, c.country) || !strings.Contains(msg, "administrator") {
				t.Errorf("%s: alert %q, want it to name %s and the administrator", c.user, msg, c.country)
			}
		}
		if n := e.smsCount(); n != 0 {
			t.Errorf("%d codes sent, want none", n)
		}
		stats, err := e.store.SMSStats(e.ctx, storage.SMSStatsFilter{OfficeID: office.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(stats) != 1 || stats[0].Outcome != storage.SMSLimited || stats[0].Scope != "country" || stats[0].Messages != 2 {
			t.Errorf("statistics = %+v, want 2 limited by country", stats)
		}
	})
}

func TestResendRefusedAfterCountryRemoved(t *testing.T) {
	eachLimited(t, nil, func(t *testing.T, e *env) {
		office := e.office("SECURE", true)
		e.user(office, "ben", "ben-password", nlMobile, true)
		b := newBrowser(t)
		p := signIn(b, e.client("app-one").begin(), "ben", "ben-password", "SECURE")
		if err := e.store.SetOfficeSMSCountries(e.ctx, office.ID, []string{"BE"}, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(31 * time.Second)
		p = b.submit(p, "/login/code/resend", nil)
		if p.status != http.StatusForbidden || !strings.Contains(alert(p), "Netherlands") {
			t.Errorf("resend to a country no longer allowed: status %d, alert %q", p.status, alert(p))
		}
		if n := len(e.codes(nlMobile)); n != 1 {
			t.Errorf("%d codes sent, want the first one only", n)
		}
	})
}
