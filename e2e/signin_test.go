package e2e

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"twofold/storage"
)

const (
	nlMobile = "+31612345678"
	ukMobile = "+447400123456"
)

// signIn runs the password step from the start of a flow and returns the
// page twofold shows next (or the redirect to the relying party).
func signIn(b *browser, f flow, username, pw, office string) *page {
	b.t.Helper()
	p := b.get(f.url)
	if p.status != http.StatusOK || p.url.Path != "/login" {
		b.t.Fatalf("authorize led to %s with status %d, want the sign-in page", p.url.Path, p.status)
	}
	return b.submit(p, "/login", map[string]string{"username": username, "password": pw, "office": office})
}

// enterCode submits a code on the code page.
func enterCode(b *browser, p *page, code string) *page {
	b.t.Helper()
	if p.url.Path != "/login/code" {
		b.t.Fatalf("at %s (status %d), want the code page:\n%s", p.url.Path, p.status, p.body)
	}
	return b.submit(p, "/login/code", map[string]string{"code": code})
}

func wantRedirect(t *testing.T, p *page) *url.URL {
	t.Helper()
	if p.redirect == nil || p.redirect.Host != rpRedirectHost {
		t.Fatalf("at %s with status %d, want a redirect to the relying party:\n%s", p.url.Path, p.status, alert(p))
	}
	return p.redirect
}

func claimStrings(t *testing.T, claims map[string]any, key string) []string {
	t.Helper()
	raw, ok := claims[key].([]any)
	if !ok {
		t.Fatalf("claim %s = %#v, want a list", key, claims[key])
	}
	out := make([]string, len(raw))
	for i, v := range raw {
		out[i], _ = v.(string)
	}
	return out
}

func TestPasswordOnlyOffice(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("PLAIN", false)
		user := e.user(office, "anna", "anna-password", "", false)
		app := e.client("app-one")
		b := newBrowser(t)
		f := app.begin()

		tok := app.redeem(t, f, wantRedirect(t, signIn(b, f, "anna", "anna-password", "plain")))

		if got := claimStrings(t, tok.claims, "amr"); !reflect.DeepEqual(got, []string{"pwd"}) {
			t.Errorf("amr = %v, want [pwd]", got)
		}
		if tok.id.Subject != user.ID || tok.id.Subject == "anna" {
			t.Errorf("sub = %q, want the opaque user id %q", tok.id.Subject, user.ID)
		}
		if tok.claims["acr"] != "urn:twofold:acr:password" {
			t.Errorf("acr = %v, want urn:twofold:acr:password", tok.claims["acr"])
		}
		if _, ok := tok.claims["auth_time"].(float64); !ok {
			t.Errorf("auth_time missing: %v", tok.claims)
		}
		if sid, _ := tok.claims["sid"].(string); sid == "" {
			t.Errorf("sid missing: %v", tok.claims)
		}
		if tok.claims["preferred_username"] != "anna" || tok.claims["name"] != "Name of anna" {
			t.Errorf("profile claims = %v, %v", tok.claims["preferred_username"], tok.claims["name"])
		}
		off, _ := tok.claims["office"].(map[string]any)
		if off["code"] != "PLAIN" || off["id"] != office.ID {
			t.Errorf("office claim = %v, want id %s and code PLAIN", off, office.ID)
		}
		for _, k := range []string{"phone_number", "phone_number_verified"} {
			if _, ok := tok.claims[k]; ok {
				t.Errorf("ID token carries %s", k)
			}
		}
		if len(e.codes("")) != 0 {
			t.Error("an SMS was sent in a password-only office")
		}

		ui, err := app.provider.UserInfo(e.ctx, oauth2.StaticTokenSource(tok.oauth))
		if err != nil {
			t.Fatalf("userinfo: %v", err)
		}
		if ui.Subject != user.ID {
			t.Errorf("userinfo sub = %q, want %q", ui.Subject, user.ID)
		}
	})
}

func TestTwoFactorConfirmedNumber(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("SECURE", true)
		e.user(office, "ben", "ben-password", nlMobile, true)
		app := e.client("app-one")
		b := newBrowser(t)
		f := app.begin()

		p := signIn(b, f, "ben", "ben-password", "SECURE")
		if p.url.Path != "/login/code" {
			t.Fatalf("after the password at %s, want the code page", p.url.Path)
		}
		if masked := text(walk(p.doc, func(n *nodeT) bool { return attr(n, "class") == "number" })); masked != "+31 6 •••• ••78" {
			t.Errorf("masked number = %q, want +31 6 •••• ••78", masked)
		}
		if strings.Contains(p.body, "12345678") {
			t.Error("code page shows the full number")
		}
		code := findInput(t, p, "/login/code", "code")
		if attr(code, "autocomplete") != "one-time-code" || attr(code, "inputmode") != "numeric" {
			t.Errorf("code field autocomplete=%q inputmode=%q", attr(code, "autocomplete"), attr(code, "inputmode"))
		}
		if n := len(e.codes(nlMobile)); n != 1 {
			t.Fatalf("%d codes sent, want 1", n)
		}

		tok := app.redeem(t, f, wantRedirect(t, enterCode(b, p, e.lastCode(nlMobile))))
		if got := claimStrings(t, tok.claims, "amr"); !reflect.DeepEqual(got, []string{"pwd", "sms", "mfa"}) {
			t.Errorf("amr = %v, want [pwd sms mfa]", got)
		}
		if tok.claims["acr"] != "urn:twofold:acr:password+sms" {
			t.Errorf("acr = %v", tok.claims["acr"])
		}
	})
}

func TestRepostedPasswordSendsOneCode(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("SECURE", true)
		e.user(office, "ben", "ben-password", nlMobile, true)
		app := e.client("app-one")
		b := newBrowser(t)
		f := app.begin()
		first := b.get(f.url)
		b.submit(first, "/login", map[string]string{"username": "ben", "password": "ben-password", "office": "SECURE"})
		again := b.submit(first, "/login", map[string]string{"username": "ben", "password": "ben-password", "office": "SECURE"})
		b.get(again.url.String())
		if n := len(e.codes(nlMobile)); n != 1 {
			t.Errorf("%d codes sent after re-posting the password and reloading, want 1", n)
		}
	})
}

func TestFirstSignInEnrollment(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("SECURE", true)
		user := e.user(office, "cleo", "cleo-password", "", false)
		app := e.client("app-one")
		b := newBrowser(t)
		f := app.begin()

		p := signIn(b, f, "cleo", "cleo-password", "SECURE")
		if p.url.Path != "/login/enroll" {
			t.Fatalf("at %s, want the enrollment page", p.url.Path)
		}
		bad := b.submit(p, "/login/enroll", map[string]string{"country": "NL", "mobile": "020 123 4567"})
		if bad.status != http.StatusBadRequest || !strings.Contains(alert(bad), "fixed-line") {
			t.Errorf("fixed-line number: status %d, alert %q", bad.status, alert(bad))
		}
		p = b.submit(p, "/login/enroll", map[string]string{"country": "NL", "mobile": "06 12345678"})
		if got, _ := e.store.UserByID(e.ctx, user.ID); got.Mobile != "" {
			t.Fatalf("number saved before the code was entered: %+v", got)
		}

		tok := app.redeem(t, f, wantRedirect(t, enterCode(b, p, e.lastCode(nlMobile))))
		if got := claimStrings(t, tok.claims, "amr"); !reflect.DeepEqual(got, []string{"pwd", "sms", "mfa"}) {
			t.Errorf("amr = %v", got)
		}
		got, err := e.store.UserByID(e.ctx, user.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Mobile != nlMobile || !got.MobileConfirmed {
			t.Errorf("after enrollment mobile = %q confirmed = %v, want %s confirmed", got.Mobile, got.MobileConfirmed, nlMobile)
		}
	})
}

func TestAdminEnteredNumberConfirmed(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("SECURE", true)
		// The office is Dutch; codes may go to the British number only once
		// the office allows GB.
		if err := e.store.SetOfficeSMSCountries(e.ctx, office.ID, []string{"NL", "GB"}, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		user := e.user(office, "dirk", "dirk-password", ukMobile, false)
		app := e.client("app-one")
		b := newBrowser(t)
		f := app.begin()

		p := signIn(b, f, "dirk", "dirk-password", "SECURE")
		if p.url.Path != "/login/code" {
			t.Fatalf("at %s, want the code page for the unconfirmed number", p.url.Path)
		}
		if enroll := b.get(e.issuer + "/login/enroll?id=" + url.QueryEscape(p.url.Query().Get("id"))); enroll.url.Path == "/login/enroll" {
			t.Error("a user with an admin-entered number could open enrollment and register another number")
		}
		app.redeem(t, f, wantRedirect(t, enterCode(b, p, e.lastCode(ukMobile))))
		got, _ := e.store.UserByID(e.ctx, user.ID)
		if !got.MobileConfirmed || got.Mobile != ukMobile {
			t.Errorf("mobile = %q confirmed = %v, want %s confirmed", got.Mobile, got.MobileConfirmed, ukMobile)
		}
	})
}

func TestWrongCredentialsLookAlike(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("PLAIN", false)
		e.user(office, "anna", "anna-password", "", false)
		app := e.client("app-one")
		cases := map[string][3]string{
			"wrong password": {"anna", "nope", "PLAIN"},
			"unknown user":   {"nobody", "anna-password", "PLAIN"},
			"wrong office":   {"anna", "anna-password", "OTHER"},
		}
		var messages []string
		for name, c := range cases {
			b := newBrowser(t)
			p := signIn(b, app.begin(), c[0], c[1], c[2])
			if p.status != http.StatusUnauthorized {
				t.Errorf("%s: status %d, want 401", name, p.status)
			}
			messages = append(messages, alert(p))
		}
		for _, m := range messages {
			if m != messages[0] || m == "" {
				t.Fatalf("messages differ: %q", messages)
			}
		}
	})
}

func TestFiveWrongCodes(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("SECURE", true)
		e.user(office, "ben", "ben-password", nlMobile, true)
		app := e.client("app-one")
		b := newBrowser(t)
		p := signIn(b, app.begin(), "ben", "ben-password", "SECURE")
		right := e.lastCode(nlMobile)
		wrong := "000000"
		if right == wrong {
			wrong = "111111"
		}
		for i := 1; i <= 5; i++ {
			p = enterCode(b, p, wrong)
			if p.status != http.StatusUnauthorized {
				t.Fatalf("wrong code %d: status %d", i, p.status)
			}
		}
		if msg := alert(p); !strings.Contains(msg, "no longer works") {
			t.Errorf("after five wrong codes the page says %q", msg)
		}
		if findForm(p.doc, "/login/code") != nil {
			t.Error("the code form is still offered after the code was voided")
		}
		// The page no longer offers the code form; post the right code the
		// way a hostile client would, with the resend form's hidden fields.
		forced := b.submitTo(p, "/login/code/resend", "/login/code", map[string]string{"code": right})
		if forced.redirect != nil || forced.status != http.StatusUnauthorized {
			t.Errorf("right code after five wrong ones: status %d, redirect %v, want 401", forced.status, forced.redirect)
		}
	})
}

func TestExpiredCode(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("SECURE", true)
		e.user(office, "ben", "ben-password", nlMobile, true)
		app := e.client("app-one")
		b := newBrowser(t)
		f := app.begin()
		p := signIn(b, f, "ben", "ben-password", "SECURE")
		e.clock.Advance(5*time.Minute + time.Second)
		p = enterCode(b, p, e.lastCode(nlMobile))
		if p.redirect != nil || !strings.Contains(alert(p), "expired") {
			t.Fatalf("expired code: status %d, alert %q", p.status, alert(p))
		}
		p = b.submit(p, "/login/code/resend", nil)
		if n := len(e.codes(nlMobile)); n != 2 {
			t.Fatalf("%d codes sent, want 2 after the resend", n)
		}
		app.redeem(t, f, wantRedirect(t, enterCode(b, p, e.lastCode(nlMobile))))
	})
}

func TestResendVoidsOldCode(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("SECURE", true)
		e.user(office, "ben", "ben-password", nlMobile, true)
		app := e.client("app-one")
		b := newBrowser(t)
		f := app.begin()
		p := signIn(b, f, "ben", "ben-password", "SECURE")
		old := e.lastCode(nlMobile)

		early := b.submit(p, "/login/code/resend", nil)
		if early.status != http.StatusTooManyRequests || early.header.Get("Retry-After") == "" {
			t.Errorf("resend within 30 s: status %d, Retry-After %q", early.status, early.header.Get("Retry-After"))
		}
		e.clock.Advance(31 * time.Second)
		p = b.submit(p, "/login/code/resend", nil)
		fresh := e.lastCode(nlMobile)
		if len(e.codes(nlMobile)) != 2 {
			t.Fatalf("%d codes sent, want 2", len(e.codes(nlMobile)))
		}
		if old != fresh {
			p = enterCode(b, p, old)
			if p.redirect != nil {
				t.Fatal("the old code was accepted after a resend")
			}
		}
		app.redeem(t, f, wantRedirect(t, enterCode(b, p, fresh)))
	})
}

func TestSingleSignOnSecondClient(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("SECURE", true)
		e.user(office, "ben", "ben-password", nlMobile, true)
		one, two := e.client("app-one"), e.client("app-two")
		b := newBrowser(t)
		f1 := one.begin()
		first := one.redeem(t, f1, wantRedirect(t, enterCode(b, signIn(b, f1, "ben", "ben-password", "SECURE"), e.lastCode(nlMobile))))

		e.clock.Advance(2 * time.Second)
		f2 := two.begin()
		second := two.redeem(t, f2, wantRedirect(t, b.get(f2.url)))
		if second.claims["auth_time"] != first.claims["auth_time"] {
			t.Errorf("auth_time = %v, want the first sign-in's %v", second.claims["auth_time"], first.claims["auth_time"])
		}
		if got := claimStrings(t, second.claims, "amr"); !reflect.DeepEqual(got, []string{"pwd", "sms", "mfa"}) {
			t.Errorf("amr = %v, want the session's [pwd sms mfa]", got)
		}
		if second.claims["sid"] != first.claims["sid"] {
			t.Errorf("sid = %v, want the first sign-in's %v", second.claims["sid"], first.claims["sid"])
		}
		if n := len(e.codes(nlMobile)); n != 1 {
			t.Errorf("%d codes sent, want 1: SSO must not ask again", n)
		}

		forced := b.get(two.begin(oauth2.SetAuthURLParam("prompt", "login")).url)
		if forced.url.Path != "/login" || findForm(forced.doc, "/login") == nil {
			t.Errorf("prompt=login at %s, want the password form", forced.url.Path)
		}
		aged := b.get(two.begin(oauth2.SetAuthURLParam("max_age", "1")).url)
		if aged.url.Path != "/login" || findForm(aged.doc, "/login") == nil {
			t.Errorf("max_age=1 at %s, want the password form", aged.url.Path)
		}
	})
}

func TestPromptNoneWithoutSession(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		app := e.client("app-one")
		f := app.begin(oauth2.SetAuthURLParam("prompt", "none"))
		p := newBrowser(t).get(f.url)
		r := wantRedirect(t, p)
		if r.Query().Get("error") != "login_required" || r.Query().Get("state") != f.state {
			t.Errorf("redirect query = %v, want error=login_required and the state", r.Query())
		}
	})
}

func TestPolicySwitchedOn(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("LATER", false)
		e.user(office, "eva", "eva-password", nlMobile, true)
		app := e.client("app-one", "openid", "profile", "offline_access")
		b := newBrowser(t)
		f := app.begin()
		tok := app.redeem(t, f, wantRedirect(t, signIn(b, f, "eva", "eva-password", "LATER")))
		if tok.oauth.RefreshToken == "" {
			t.Fatal("no refresh token with offline_access")
		}
		refreshed, err := app.oauth.TokenSource(e.ctx, &oauth2.Token{RefreshToken: tok.oauth.RefreshToken}).Token()
		if err != nil {
			t.Fatalf("refresh before the switch: %v", err)
		}
		again := app.verify(t, refreshed, "")
		if got := claimStrings(t, again.claims, "amr"); !reflect.DeepEqual(got, []string{"pwd"}) {
			t.Errorf("refreshed amr = %v, want the original [pwd]", got)
		}
		if again.claims["auth_time"] != tok.claims["auth_time"] {
			t.Errorf("refreshed auth_time = %v, want %v", again.claims["auth_time"], tok.claims["auth_time"])
		}

		if _, err := e.store.SetOfficeTwoFactor(e.ctx, office.ID, true, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		_, err = app.oauth.TokenSource(e.ctx, &oauth2.Token{RefreshToken: refreshed.RefreshToken}).Token()
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
			t.Errorf("refresh after the switch: %v, want invalid_grant", err)
		}

		none := wantRedirect(t, b.get(app.begin(oauth2.SetAuthURLParam("prompt", "none")).url))
		if none.Query().Get("error") != "login_required" {
			t.Errorf("prompt=none after the switch: %v, want login_required", none.Query())
		}
		// Switching the policy on ended the session made without the code,
		// so the next authorization asks for the password, then the code.
		f2 := app.begin()
		p := b.get(f2.url)
		if p.url.Path != "/login" {
			t.Fatalf("after the switch the session led to %s, want the sign-in form", p.url.Path)
		}
		p = b.submit(p, "/login", map[string]string{"username": "eva", "password": "eva-password", "office": "LATER"})
		if p.url.Path != "/login/code" {
			t.Fatalf("after the switch the password led to %s, want the code page", p.url.Path)
		}
		stepped := app.redeem(t, f2, wantRedirect(t, enterCode(b, p, e.lastCode(nlMobile))))
		if got := claimStrings(t, stepped.claims, "amr"); !reflect.DeepEqual(got, []string{"pwd", "sms", "mfa"}) {
			t.Errorf("amr after the step-up = %v", got)
		}
	})
}

func TestBadRedirectURINeverRedirects(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		app := e.client("app-one")
		for name, mutate := range map[string]func(url.Values){
			"unregistered redirect": func(q url.Values) { q.Set("redirect_uri", "https://evil.test.invalid/cb") },
			"altered redirect":      func(q url.Values) { q.Set("redirect_uri", q.Get("redirect_uri")+"/") },
			"unknown client":        func(q url.Values) { q.Set("client_id", "nobody") },
		} {
			u, _ := url.Parse(app.begin().url)
			q := u.Query()
			mutate(q)
			u.RawQuery = q.Encode()
			p := newBrowser(t).get(u.String())
			if p.redirect != nil || p.status != http.StatusBadRequest {
				t.Errorf("%s: status %d, redirect %v, want 400 and no redirect", name, p.status, p.redirect)
			}
			if !strings.Contains(p.header.Get("Content-Type"), "text/html") {
				t.Errorf("%s: content type %q, want twofold's HTML error page", name, p.header.Get("Content-Type"))
			}
		}
	})
}

func TestCodeReuseRevokesTokens(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("PLAIN", false)
		e.user(office, "anna", "anna-password", "", false)
		app := e.client("app-one")
		b := newBrowser(t)
		f := app.begin()
		redirect := wantRedirect(t, signIn(b, f, "anna", "anna-password", "PLAIN"))
		tok := app.redeem(t, f, redirect)
		_, err := app.oauth.Exchange(e.ctx, redirect.Query().Get("code"), oauth2.VerifierOption(f.verifier))
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
			t.Fatalf("second exchange: %v, want invalid_grant", err)
		}
		if _, err := app.provider.UserInfo(e.ctx, oauth2.StaticTokenSource(tok.oauth)); err == nil {
			t.Error("the access token from the first exchange still works after the code was reused")
		}
	})
}

func TestCallbackFromAnotherBrowser(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("PLAIN", false)
		e.user(office, "anna", "anna-password", "", false)
		app := e.client("app-one")
		victim := newBrowser(t)
		victim.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		f := app.begin()
		login := victim.get(f.url)
		login = victim.get(login.redirect.String())
		done := victim.submit(login, "/login", map[string]string{"username": "anna", "password": "anna-password", "office": "PLAIN"})
		if done.redirect == nil || done.redirect.Path != "/authorize/callback" {
			t.Fatalf("after the password: status %d, redirect %v", done.status, done.redirect)
		}
		stolen := newBrowser(t).get(done.redirect.String())
		if stolen.redirect != nil || stolen.status != http.StatusForbidden {
			t.Errorf("callback from another browser: status %d, redirect %v, want 403", stolen.status, stolen.redirect)
		}
	})
}

func TestFormsRejectMissingCSRF(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("PLAIN", false)
		e.user(office, "anna", "anna-password", "", false)
		app := e.client("app-one")
		b := newBrowser(t)
		p := b.get(app.begin().url)
		for _, csrf := range []string{"", "forged"} {
			got := b.submit(p, "/login", map[string]string{"csrf": csrf, "username": "anna", "password": "anna-password", "office": "PLAIN"})
			if got.status != http.StatusForbidden || got.redirect != nil {
				t.Errorf("csrf %q: status %d, want 403", csrf, got.status)
			}
		}
	})
}

func TestMalformedInputGets4xx(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("PLAIN", false)
		e.user(office, "anna", "anna-password", "", false)
		app := e.client("app-one")
		b := newBrowser(t)
		p := b.get(app.begin().url)
		long := strings.Repeat("x", 5000)
		for name, values := range map[string]map[string]string{
			"oversized username": {"username": long, "password": "x", "office": "PLAIN"},
			"oversized password": {"username": "anna", "password": strings.Repeat("p", 2000), "office": "PLAIN"},
			"oversized office":   {"username": "anna", "password": "x", "office": long},
			"empty fields":       {"username": "", "password": "", "office": ""},
			"control characters": {"username": "an\x00na", "password": "\x00", "office": "PL\x00AIN"},
		} {
			got := b.submit(p, "/login", values)
			if got.status < 400 || got.status >= 500 {
				t.Errorf("%s: status %d, want 4xx", name, got.status)
			}
		}
		for _, path := range []string{"/settings/users/%00", "/settings/users/%C3%28", "/login?id=%00", "/login?id=%ff", "/authorize/callback?id=ar_%00",
			"/authorize?client_id=%00&redirect_uri=x", "/login", "/login?id=", "/login?id=" + long, "/login/code?id=nope", "/login/enroll?id=nope", "/authorize/callback?id=nope", "/authorize"} {
			got := b.get(e.issuer + path)
			if got.status < 400 || got.status >= 500 {
				t.Errorf("GET %s: status %d, want 4xx", path, got.status)
			}
		}
		req, _ := http.NewRequest(http.MethodPost, e.issuer+"/oauth/introspect", strings.NewReader("token=x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("%00", "x")
		if got := b.do(req); got.status < 400 || got.status >= 500 || strings.Contains(got.body, "SQLSTATE") {
			t.Errorf("NUL in a Basic client id: status %d, body %q", got.status, got.body)
		}
		req, _ = http.NewRequest(http.MethodPost, e.issuer+"/end_session", strings.NewReader("%zz"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if got := b.do(req); got.status < 400 || got.status >= 500 {
			t.Errorf("malformed end_session body: status %d", got.status)
		}
		huge := strings.NewReader("username=" + strings.Repeat("a", 100<<10))
		req, _ = http.NewRequest(http.MethodPost, e.issuer+"/login", huge)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if got := b.do(req); got.status < 400 || got.status >= 500 {
			t.Errorf("100 KiB body: status %d, want 4xx", got.status)
		}
		if _, err := e.store.UserByUsername(e.ctx, office.ID, "anna"); err != nil {
			t.Errorf("user changed by malformed input: %v", err)
		}
		var _ = storage.ErrNotFound
	})
}

func TestRefreshReplayRevokesFamily(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("PLAIN", false)
		e.user(office, "anna", "anna-password", "", false)
		app := e.client("app-one", "openid", "offline_access")
		b := newBrowser(t)
		f := app.begin()
		tok := app.redeem(t, f, wantRedirect(t, signIn(b, f, "anna", "anna-password", "PLAIN")))
		first := tok.oauth.RefreshToken
		second, err := app.oauth.TokenSource(e.ctx, &oauth2.Token{RefreshToken: first}).Token()
		if err != nil {
			t.Fatalf("first refresh: %v", err)
		}
		_, err = app.oauth.TokenSource(e.ctx, &oauth2.Token{RefreshToken: first}).Token()
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
			t.Fatalf("replayed refresh token: %v, want invalid_grant", err)
		}
		_, err = app.oauth.TokenSource(e.ctx, &oauth2.Token{RefreshToken: second.RefreshToken}).Token()
		if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
			t.Errorf("successor after the replay: %v, want invalid_grant (family revoked)", err)
		}
		if _, err := app.provider.UserInfo(e.ctx, oauth2.StaticTokenSource(second)); err == nil {
			t.Error("the successor's access token still works after the replay")
		}
	})
}

func TestStaleEnrollmentCodeRejected(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("SECURE", true)
		e.user(office, "erin", "erin-password", "", false)
		app := e.client("app-one")
		first, second := newBrowser(t), newBrowser(t)
		f1, f2 := app.begin(), app.begin()

		p1 := enrollAsErin(t, first, f1, "06 55500333")
		e.clock.Advance(31 * time.Second) // one code per user every 30 seconds
		p2 := enrollAsErin(t, second, f2, "06 55500444")
		app.redeem(t, f2, wantRedirect(t, enterCode(second, p2, e.lastCode("+31655500444"))))

		stale := enterCode(first, p1, e.lastCode("+31655500333"))
		if stale.redirect != nil || stale.status != http.StatusConflict {
			t.Errorf("code to a number no longer on the account: status %d, redirect %v, want 409", stale.status, stale.redirect)
		}
	})
}

// enrollAsErin signs in as erin and enrolls the number, returning the code page.
func enrollAsErin(t *testing.T, b *browser, f flow, number string) *page {
	t.Helper()
	p := signIn(b, f, "erin", "erin-password", "SECURE")
	if p.url.Path != "/login/enroll" {
		t.Fatalf("at %s, want the enrollment page", p.url.Path)
	}
	return b.submit(p, "/login/enroll", map[string]string{"country": "NL", "mobile": number})
}

func TestPasswordGuessingLocks(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("PLAIN", false)
		user := e.user(office, "anna", "anna-password", "", false)
		app := e.client("app-one")
		b := newBrowser(t)
		p := b.get(app.begin().url)
		var last *page
		for i := 1; i <= 5; i++ {
			last = b.submit(p, "/login", map[string]string{"username": "anna", "password": "wrong", "office": "PLAIN"})
		}
		if last.status != http.StatusTooManyRequests || last.header.Get("Retry-After") == "" {
			t.Fatalf("fifth wrong password: status %d, Retry-After %q, want 429 with Retry-After", last.status, last.header.Get("Retry-After"))
		}
		locked := b.submit(p, "/login", map[string]string{"username": "anna", "password": "anna-password", "office": "PLAIN"})
		if locked.status != http.StatusTooManyRequests || locked.redirect != nil {
			t.Errorf("right password during the lock: status %d, want 429", locked.status)
		}
		events, err := e.store.ListAudit(e.ctx, office.ID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) == 0 || events[0].Action != storage.AuditSignInLocked || events[0].TargetID != user.ID {
			t.Errorf("activity after the lock = %+v, want a sign-in lock of anna", events)
		}

		e.clock.Advance(61 * time.Second)
		f := app.begin()
		if got := signIn(newBrowser(t), f, "anna", "anna-password", "PLAIN"); got.redirect == nil {
			t.Errorf("right password after the lock ended: status %d, %q", got.status, alert(got))
		}
	})
}

func TestIdleSessionNeedsPassword(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("PLAIN", false)
		e.user(office, "anna", "anna-password", "", false)
		app := e.client("app-one")
		b := newBrowser(t)
		f := app.begin()
		app.redeem(t, f, wantRedirect(t, signIn(b, f, "anna", "anna-password", "PLAIN")))

		e.clock.Advance(time.Hour)
		sso := b.get(app.begin().url)
		if sso.redirect == nil {
			t.Fatalf("SSO after an hour of use: status %d, want a redirect", sso.status)
		}
		e.clock.Advance(2*time.Hour + time.Minute)
		idle := b.get(app.begin().url)
		if idle.redirect != nil || findForm(idle.doc, "/login") == nil {
			t.Errorf("SSO after more than two idle hours: redirect %v, want the password form", idle.redirect)
		}
	})
}

func TestMetricsCountSignIns(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("SECURE", true)
		e.user(office, "ben", "ben-password", nlMobile, true)
		app := e.client("app-one")
		b := newBrowser(t)
		f := app.begin()
		app.redeem(t, f, wantRedirect(t, enterCode(b, signIn(b, f, "ben", "ben-password", "SECURE"), e.lastCode(nlMobile))))
		signIn(newBrowser(t), app.begin(), "ben", "wrong", "SECURE")

		rec := httptest.NewRecorder()
		e.metrics.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		body := rec.Body.String()
		for _, want := range []string{
			`twofold_sign_ins_total{outcome="succeeded",two_factor="true"} 1`,
			`twofold_sign_ins_total{outcome="failed",two_factor="true"} 1`,
			`twofold_sms_total{gateway="file",outcome="sent"} 1`,
			`twofold_token_grants_total{grant_type="authorization_code",status="2xx"} 1`,
			`twofold_http_request_duration_seconds_count{method="POST",route="/login",status="`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})
}

func TestCORSOnlyForRegisteredOrigins(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.client("app-one")
		registered := "https://" + rpRedirectHost
		for _, c := range []struct {
			path, origin string
			allowed      bool
		}{
			{"/.well-known/openid-configuration", registered, true},
			{"/keys", registered, true},
			{"/.well-known/openid-configuration", "https://evil.test.invalid", false},
			{"/login", registered, false},
		} {
			req, _ := http.NewRequest(http.MethodGet, e.issuer+c.path, nil)
			req.Header.Set("Origin", c.origin)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := resp.Header.Get("Access-Control-Allow-Origin")
			if c.allowed && got != c.origin {
				t.Errorf("%s from %s: Access-Control-Allow-Origin %q, want the origin", c.path, c.origin, got)
			}
			if !c.allowed && got != "" {
				t.Errorf("%s from %s: Access-Control-Allow-Origin %q, want none", c.path, c.origin, got)
			}
			if resp.Header.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("%s: credentials allowed across origins", c.path)
			}
		}
		req, _ := http.NewRequest(http.MethodOptions, e.issuer+"/oauth/token", nil)
		req.Header.Set("Origin", registered)
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != registered {
			t.Errorf("preflight: status %d, allow-origin %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	})
}

func TestUnknownClientIsNot5xx(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for name, form := range map[string]url.Values{
			"refresh without client auth": {"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {"nosuch"}},
			"code without client auth":    {"grant_type": {"authorization_code"}, "code": {"x"}, "client_id": {"nosuch"}},
		} {
			resp, err := http.PostForm(e.issuer+"/oauth/token", form)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode < 400 || resp.StatusCode >= 500 {
				t.Errorf("%s: status %d, want 4xx", name, resp.StatusCode)
			}
		}
		resp, err := http.PostForm(e.issuer+"/device_authorization", url.Values{"client_id": {"nosuch"}, "scope": {"openid"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("device authorization: status %d, want 404", resp.StatusCode)
		}
	})
}
