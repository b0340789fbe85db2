package conformance

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"twofold/config"
	"twofold/internal/testenv"
	"twofold/login"
	"twofold/server"
	"twofold/storage"
)

// each runs fn on every backend with a provider and a client of its own.
func each(t *testing.T, fn func(t *testing.T, m *run)) {
	for name, dbURL := range testenv.Backends(t) {
		t.Run(name, func(t *testing.T) {
			p := startProvider(t, dbURL(t))
			fn(t, &run{p: p, rp: p.client(clientOptions{}), b: newBrowser(t)})
		})
	}
}

func amr(t *testing.T, tok tokens) []string {
	t.Helper()
	return stringList(tok.claims["amr"])
}

func TestStepUpByACRValues(t *testing.T) {
	each(t, func(t *testing.T, m *run) {
		q := m.auth("acr_values", login.ACRPasswordSMS)
		p := m.b.submit(m.b.get(m.rp.url(q)), "/login", map[string]string{"username": alice, "password": alicePW, "office": "PLAIN"})
		if p.url.Path != "/login/code" {
			t.Fatalf("acr_values %s in an office without two-factor led to %s, want the code page", login.ACRPasswordSMS, p.url.Path)
		}
		tok := m.rp.exchange(t, q, atRP(t, m.p.finishSMS(m.b, p)))
		if tok.claims["acr"] != login.ACRPasswordSMS || !slices.Contains(amr(t, tok), "sms") {
			t.Errorf("acr %v, amr %v; want %s with sms", tok.claims["acr"], tok.claims["amr"], login.ACRPasswordSMS)
		}
	})
}

func TestStepUpByEssentialAMR(t *testing.T) {
	each(t, func(t *testing.T, m *run) {
		q := m.auth("claims", `{"id_token":{"amr":{"essential":true}}}`)
		p := m.b.submit(m.b.get(m.rp.url(q)), "/login", map[string]string{"username": cleo, "password": cleoPW, "office": "PLAIN"})
		if p.url.Path != "/login/enroll" {
			t.Fatalf("essential amr for a user without a number led to %s, want enrollment", p.url.Path)
		}
		tok := m.rp.exchange(t, q, atRP(t, m.p.finishSMS(m.b, p)))
		if got := amr(t, tok); !slices.Equal(got, login.AMRPasswordSMS) {
			t.Errorf("amr = %v, want %v", got, login.AMRPasswordSMS)
		}
	})
}

func TestStepUpFromPasswordSession(t *testing.T) {
	each(t, func(t *testing.T, m *run) {
		_, first := m.login(t)
		if first.claims["acr"] != login.ACRPassword {
			t.Fatalf("first sign-in acr = %v", first.claims["acr"])
		}
		none := m.auth("prompt", "none", "claims", `{"id_token":{"acr":{"essential":true,"values":["`+login.ACRPasswordSMS+`"]}}}`)
		m.wantError(t, none, m.b.get(m.rp.url(none)), "login_required")

		q := m.auth("claims", `{"id_token":{"acr":{"essential":true,"values":["`+login.ACRPasswordSMS+`"]}}}`)
		p := m.b.get(m.rp.url(q))
		if p.url.Path != "/login/code" {
			t.Fatalf("step-up from a password session led to %s, want the code page", p.url.Path)
		}
		stepped := m.rp.exchange(t, q, atRP(t, m.p.finishSMS(m.b, p)))
		if stepped.claims["acr"] != login.ACRPasswordSMS || stepped.id.Subject != first.id.Subject {
			t.Errorf("stepped-up acr %v, sub %s", stepped.claims["acr"], stepped.id.Subject)
		}
		again := m.auth("prompt", "none", "acr_values", login.ACRPasswordSMS)
		p = m.b.get(m.rp.url(again))
		if tok := m.rp.exchange(t, again, atRP(t, p)); tok.claims["acr"] != login.ACRPasswordSMS {
			t.Errorf("prompt=none after the step-up: acr %v", tok.claims["acr"])
		}
	})
}

func TestUnmetAuthenticationRequirements(t *testing.T) {
	each(t, func(t *testing.T, m *run) {
		for _, claims := range []string{
			`{"id_token":{"acr":{"essential":true,"values":["urn:example:hardware-key"]}}}`,
			`{"id_token":{"acr":{"essential":true,"value":"urn:example:hardware-key"}}}`,
			`{"id_token":{"amr":{"essential":true,"values":["hwk"]}}}`,
		} {
			q := m.auth("claims", claims)
			m.wantError(t, q, m.b.get(m.rp.url(q)), login.ErrUnmetAuthenticationRequirements)
		}
		bad := m.auth("claims", `{"id_token":`)
		m.wantError(t, bad, m.b.get(m.rp.url(bad)), "invalid_request")
		voluntary := m.auth("acr_values", "urn:example:hardware-key")
		p := m.p.signIn(m.b, m.b.get(m.rp.url(voluntary)), alice, alicePW, "PLAIN")
		if tok := m.rp.exchange(t, voluntary, atRP(t, p)); tok.claims["acr"] != login.ACRPassword {
			t.Errorf("unknown voluntary acr_values: acr %v, want what happened, %s", tok.claims["acr"], login.ACRPassword)
		}
	})
}

// TestReauthenticationAsksEveryFactor: max_age and prompt=login in a
// two-factor office ask for the password and a new SMS code.
func TestReauthenticationAsksEveryFactor(t *testing.T) {
	each(t, func(t *testing.T, m *run) {
		first := m.auth()
		m.rp.exchange(t, first, atRP(t, m.p.signIn(m.b, m.b.get(m.rp.url(first)), ben, benPW, "SECURE")))
		for _, extra := range [][]string{{"prompt", "login"}, {"max_age", "1"}} {
			// Past the per-user interval between SMS codes.
			m.after(31 * time.Second)
			sent := len(m.p.codes(benMobile))
			q := m.auth(extra...)
			p := m.b.get(m.rp.url(q))
			if !loginPageShown(p) {
				t.Fatalf("%v: at %s, want the password form", extra, p.url.Path)
			}
			p = m.b.submit(p, "/login", map[string]string{"username": ben, "password": benPW, "office": "SECURE"})
			if p.url.Path != "/login/code" || len(m.p.codes(benMobile)) != sent+1 {
				t.Fatalf("%v: after the password at %s with %d new codes, want the code page and one new code",
					extra, p.url.Path, len(m.p.codes(benMobile))-sent)
			}
			tok := m.rp.exchange(t, q, atRP(t, m.p.finishSMS(m.b, p)))
			if !slices.Equal(amr(t, tok), login.AMRPasswordSMS) {
				t.Errorf("%v: amr %v", extra, tok.claims["amr"])
			}
		}
	})
}

func TestPKCE(t *testing.T) {
	each(t, func(t *testing.T, m *run) {
		q := m.auth().withPKCE()
		resp := m.signIn(t, q)
		_, err := m.rp.oauth.Exchange(m.p.ctx, resp.Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier()))
		if got := tokenError(err); got != "invalid_grant" {
			t.Errorf("wrong code_verifier: %v, want invalid_grant", err)
		}

		q = m.auth().withPKCE()
		resp = m.signIn(t, q)
		if _, err := m.rp.oauth.Exchange(m.p.ctx, resp.Get("code")); tokenError(err) != "invalid_request" {
			t.Errorf("missing code_verifier: %v, want invalid_request", err)
		}

		plain := m.auth("code_challenge", "a-plain-challenge-of-forty-three-characters-xx", "code_challenge_method", "plain")
		m.wantError(t, plain, m.b.get(m.rp.url(plain)), "invalid_request")
		implied := m.auth("code_challenge", "a-plain-challenge-of-forty-three-characters-xx")
		m.wantError(t, implied, m.b.get(m.rp.url(implied)), "invalid_request")

		public := m.p.client(clientOptions{method: storage.AuthMethodNone})
		pm := &run{p: m.p, rp: public, b: m.b}
		without := pm.auth()
		pm.wantError(t, without, m.b.get(public.url(without)), "invalid_request")
		with := pm.auth().withPKCE()
		pm.checkIDToken(t, public.exchange(t, with, pm.signIn(t, with)))
	})
}

func TestClientHeldToRegisteredMethod(t *testing.T) {
	each(t, func(t *testing.T, m *run) {
		post := m.p.client(clientOptions{method: storage.AuthMethodPost})
		public := m.p.client(clientOptions{method: storage.AuthMethodNone})
		for _, c := range []struct {
			name string
			rp   *rp
			form url.Values
			user string
			pass string
		}{
			{"basic client in the body", m.rp, url.Values{"client_id": {m.rp.id}, "client_secret": {m.rp.secret}}, "", ""},
			{"post client in the header", post, url.Values{}, post.id, post.secret},
			{"public client with a secret", public, url.Values{}, public.id, "anything"},
		} {
			form := c.form
			form.Set("grant_type", "authorization_code")
			form.Set("code", "not-a-code")
			form.Set("redirect_uri", c.rp.redirect)
			req, _ := http.NewRequest(http.MethodPost, m.p.issuer+"/oauth/token", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if c.user != "" {
				req.SetBasicAuth(c.user, c.pass)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s: status %d, Cache-Control %q; want 401 invalid_client, not stored",
					c.name, resp.StatusCode, resp.Header.Get("Cache-Control"))
			}
		}
		pm := &run{p: m.p, rp: post, b: m.b}
		_, tok := pm.login(t)
		pm.checkIDToken(t, tok)
	})
}

// TestBasicCredentialsURLEncoded registers a client id and secret with
// characters that RFC 6749, section 2.3.1, makes clients URL-encode in the
// Authorization header.
func TestBasicCredentialsURLEncoded(t *testing.T) {
	each(t, func(t *testing.T, m *run) {
		m.rp = m.p.client(clientOptions{secret: "s3cret+with/odd:chars%and spaces&more=0123456789"})
		_, tok := m.login(t)
		m.checkIDToken(t, tok)
	})
}

func TestTokenErrorsAreNotStored(t *testing.T) {
	each(t, func(t *testing.T, m *run) {
		status, header, body := m.tokenRequest(t, url.Values{"grant_type": {"authorization_code"}, "code": {"bogus"},
			"redirect_uri": {m.rp.redirect}}, true)
		if status != http.StatusBadRequest || body["error"] != "invalid_grant" || header.Get("Cache-Control") != "no-store" {
			t.Errorf("bogus code: status %d, body %v, Cache-Control %q", status, body, header.Get("Cache-Control"))
		}
		status, _, body = m.tokenRequest(t, url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {"x"}}, true)
		if status != http.StatusBadRequest && status != http.StatusUnauthorized {
			t.Errorf("jwt-bearer grant: status %d, body %v, want it refused", status, body)
		}
		for _, code := range []string{body["error"].(string)} {
			checkErrorCharset(t, url.Values{"error": {code}})
		}
	})
}

// TestCodeRedemptionRace redeems one code twice at once. Whatever the
// interleaving, no access token may work afterwards: one redemption detects
// the replay, and the tokens of the other are revoked.
func TestCodeRedemptionRace(t *testing.T) {
	each(t, func(t *testing.T, m *run) {
		for range 3 {
			q := m.auth()
			code := m.signIn(t, q).Get("code")
			var wg sync.WaitGroup
			results := make([]*oauth2.Token, 2)
			for i := range results {
				wg.Go(func() { results[i], _ = m.rp.oauth.Exchange(m.p.ctx, code) })
			}
			wg.Wait()
			for _, tok := range results {
				if tok == nil {
					continue
				}
				if status, _, _ := m.userinfo(t, tok.AccessToken, "get"); status != http.StatusUnauthorized {
					t.Errorf("an access token from a replayed code still works: userinfo status %d", status)
				}
			}
		}
	})
}

// TestKeyRotation rotates the signing key: the old key stays published, ID
// tokens it signed still verify, after a restart too, and new tokens are
// signed with the new key.
func TestKeyRotation(t *testing.T) {
	each(t, func(t *testing.T, m *run) {
		_, before := m.login(t)
		oldKid := jwtHeader(t, before.raw)["kid"]
		if err := m.p.srv.Keys.Rotate(m.p.ctx); err != nil {
			t.Fatal(err)
		}
		m.b = newBrowser(t)
		_, after := m.login(t)
		newKid := jwtHeader(t, after.raw)["kid"]
		if newKid == oldKid {
			t.Fatalf("the new token is signed with the old key %v", oldKid)
		}
		m.p.restart()
		kids := []any{}
		for _, k := range fetchJWKS(t, m.p) {
			kids = append(kids, k["kid"])
		}
		if !slices.Contains(kids, oldKid) || !slices.Contains(kids, newKid) {
			t.Errorf("JWKS after the rotation and a restart has %v, want %v and %v", kids, oldKid, newKid)
		}
		fresh, err := oidc.NewProvider(m.p.ctx, m.p.issuer)
		if err != nil {
			t.Fatal(err)
		}
		v := fresh.Verifier(&oidc.Config{ClientID: m.rp.id})
		for name, raw := range map[string]string{"before": before.raw, "after": after.raw} {
			if _, err := v.Verify(m.p.ctx, raw); err != nil {
				t.Errorf("ID token signed %s the rotation does not verify after a restart: %v", name, err)
			}
		}
		m.b = newBrowser(t)
		if _, again := m.login(t); jwtHeader(t, again.raw)["kid"] != newKid {
			t.Errorf("after the restart tokens are signed with %v, want %v", jwtHeader(t, again.raw)["kid"], newKid)
		}
	})
}

// TestRetiredKeyDropped: once every token an old key signed has expired,
// the key leaves the JWKS.
func TestRetiredKeyDropped(t *testing.T) {
	each(t, func(t *testing.T, m *run) {
		oldKids := []any{}
		for _, k := range fetchJWKS(t, m.p) {
			oldKids = append(oldKids, k["kid"])
		}
		if err := m.p.srv.Keys.Rotate(m.p.ctx); err != nil {
			t.Fatal(err)
		}
		m.after(24 * time.Hour)
		m.p.restart()
		for _, k := range fetchJWKS(t, m.p) {
			if slices.Contains(oldKids, k["kid"]) {
				t.Errorf("key %v is still published a day after its retirement", k["kid"])
			}
		}
	})
}

// TestExpiredHintAccepted signs out with an ID token that has expired but
// that twofold signed (RP-Initiated Logout 1.0, section 2).
func TestExpiredHintAccepted(t *testing.T) {
	for name, dbURL := range testenv.Backends(t) {
		t.Run(name, func(t *testing.T) {
			p := startProviderWith(t, dbURL(t), func(cfg *config.Config, _ *server.Options) { cfg.Lifetimes.IDToken = time.Second })
			m := &run{p: p, rp: p.client(clientOptions{}), b: newBrowser(t)}
			_, tok := m.login(t)
			time.Sleep(2100 * time.Millisecond) // the library checks exp against the real clock
			pg := m.endSession(url.Values{"id_token_hint": {tok.raw}, "post_logout_redirect_uri": {m.rp.postLogout}, "state": {"s1"}})
			if pg.rp == nil || pg.rp.Query().Get("state") != "s1" {
				t.Fatalf("expired hint: at %s (status %d), want the post-logout redirect", pg.url.Path, pg.status)
			}
			m.wantSignedOut(t)
		})
	}
}

// TestLogoutCSRF: another user's valid hint, or none, does not sign the
// browser out without the user's confirmation.
func TestLogoutCSRF(t *testing.T) {
	each(t, func(t *testing.T, m *run) {
		attacker := newBrowser(t)
		ar := &run{p: m.p, rp: m.rp, b: attacker}
		q := ar.auth()
		attackerTok := m.rp.exchange(t, q, atRP(t, m.p.signIn(attacker, attacker.get(m.rp.url(q)), ben, benPW, "SECURE")))

		m.login(t)
		p := m.endSession(url.Values{"id_token_hint": {attackerTok.raw}, "post_logout_redirect_uri": {m.rp.postLogout}})
		if p.rp != nil || findForm(p.doc, "/end_session/confirm") == nil {
			t.Fatalf("another user's hint: at %s (redirect %v), want the confirmation page", p.url.Path, p.rp)
		}
		forged := m.b.post(m.p.issuer+"/end_session/confirm", url.Values{"csrf": {"forged"}})
		if forged.status != http.StatusForbidden {
			t.Errorf("confirmation without the CSRF token: status %d, want 403", forged.status)
		}
		none := m.auth("prompt", "none")
		pg := m.b.get(m.rp.url(none))
		if atRP(t, pg).Get("error") != "" {
			t.Errorf("the victim was signed out without confirming: %v", pg.response)
		}
	})
}

// TestFragmentResponseMode: discovery lists fragment, so a code flow that
// asks for it gets the code, state and iss in the fragment.
func TestFragmentResponseMode(t *testing.T) {
	each(t, func(t *testing.T, m *run) {
		m.mode = "fragment"
		q := m.auth()
		p := m.p.signIn(m.b, m.b.get(m.rp.url(q)), alice, alicePW, "PLAIN")
		m.checkResponse(t, q, p)
		if p.rp == nil || p.rp.RawFragment == "" || p.rp.Query().Get("code") != "" {
			t.Fatalf("response_mode=fragment: sent to %v, want the parameters in the fragment only", p.rp)
		}
		m.checkIDToken(t, m.rp.exchange(t, q, p.response))
	})
}
