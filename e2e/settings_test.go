package e2e

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"twofold/storage"
)

const settingsPassword = "settings-password"

// settingsMember stores a user of office with a role and a number.
func (e *env) settingsMember(o *storage.Office, username string, role storage.Role, mobile string, confirmed bool) *storage.User {
	e.t.Helper()
	hash, err := e.hasher.Hash(e.ctx, settingsPassword)
	if err != nil {
		e.t.Fatal(err)
	}
	now := e.clock.Now()
	u := &storage.User{
		ID: newID("user-"), OfficeID: o.ID, Username: username, Name: "Name of " + username,
		Role: role, PasswordHash: hash, Mobile: mobile, MobileConfirmed: confirmed,
		CreatedAt: now, UpdatedAt: now,
	}
	if err := e.store.CreateUser(e.ctx, u); err != nil {
		e.t.Fatal(err)
	}
	return u
}

// settingsSignIn opens path in a new browser, signs in as the user through
// /authorize (with the code by SMS where the office requires it), and
// returns the browser and the settings page it lands on.
func (e *env) settingsSignIn(t *testing.T, path string, u *storage.User, officeCode string) (*browser, *page) {
	t.Helper()
	b := newBrowser(t)
	return b, e.settingsSignInWith(t, b, path, u, officeCode)
}

func (e *env) settingsSignInWith(t *testing.T, b *browser, path string, u *storage.User, officeCode string) *page {
	t.Helper()
	p := b.get(e.issuer + path)
	if p.url.Path != "/login" {
		t.Fatalf("GET %s without a session led to %s (status %d), want the sign-in page", path, p.url.Path, p.status)
	}
	p = b.submit(p, "/login", map[string]string{"username": u.Username, "password": settingsPassword, "office": officeCode})
	if p.url.Path == "/login/code" {
		p = b.submit(p, "/login/code", map[string]string{"code": e.lastCode(u.Mobile)})
	}
	if !strings.HasPrefix(p.url.Path, "/settings") || p.status != http.StatusOK {
		t.Fatalf("sign-in to %s ended at %s with status %d: %s", path, p.url.Path, p.status, alert(p))
	}
	return p
}

// csrfOf returns the CSRF token of the first form on the page.
func csrfOf(t *testing.T, p *page) string {
	t.Helper()
	in := walk(p.doc, func(n *nodeT) bool { return n.Data == "input" && attr(n, "name") == "csrf" })
	if in == nil {
		t.Fatalf("page %s has no CSRF field:\n%s", p.url.Path, p.body)
	}
	return attr(in, "value")
}

// post sends a form with exactly these fields, as a forged request would.
func (b *browser) post(rawURL string, values url.Values) *page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(values.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (e *env) reloadUser(t *testing.T, id string) *storage.User {
	t.Helper()
	u, err := e.store.UserByID(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (e *env) reloadOffice(t *testing.T, id string) *storage.Office {
	t.Helper()
	o, err := e.store.OfficeByID(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (e *env) auditEvents(t *testing.T, officeID string) []storage.AuditEvent {
	t.Helper()
	events, err := e.store.ListAudit(e.ctx, officeID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// settingsOffice is an office with a user of every role, and a second
// office with a super user.
type settingsOffice struct {
	office, other                   *storage.Office
	boss, second, accountant, clerk *storage.User
	outsider                        *storage.User
}

func (e *env) settingsOffices() settingsOffice {
	e.t.Helper()
	s := settingsOffice{office: e.office("ACME", false), other: e.office("OTHER", false)}
	s.boss = e.settingsMember(s.office, "boss", storage.RoleSuperuser, "+31612345601", true)
	s.second = e.settingsMember(s.office, "second", storage.RoleSuperuser, "", false)
	s.accountant = e.settingsMember(s.office, "acc", storage.RoleAccountant, "+31612345602", true)
	s.clerk = e.settingsMember(s.office, "clerk", storage.RoleUser, "", false)
	s.outsider = e.settingsMember(s.other, "outsider", storage.RoleSuperuser, "+31612345603", true)
	return s
}

func TestSettingsNeedSignIn(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		s := e.settingsOffices()
		b := newBrowser(t)
		p := b.get(e.issuer + "/settings/users/" + s.clerk.ID)
		if p.url.Path != "/login" {
			t.Fatalf("without a session: at %s, want the sign-in page", p.url.Path)
		}
		p = b.submit(p, "/login", map[string]string{"username": "clerk", "password": settingsPassword, "office": "ACME"})
		if p.url.Path != "/settings/users/"+s.clerk.ID || p.status != http.StatusOK {
			t.Errorf("after signing in: at %s with status %d, want the page first asked for", p.url.Path, p.status)
		}
		if p := b.get(e.issuer + "/settings/office"); p.status != http.StatusOK || p.url.Path != "/settings/office" {
			t.Errorf("with the session: GET /settings/office at %s with status %d", p.url.Path, p.status)
		}
	})
}

func TestSettingsPolicyAppliesToAdmins(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		s := e.settingsOffices()
		b, _ := e.settingsSignIn(t, "/settings/office", s.boss, "ACME")
		if _, err := e.store.SetOfficeTwoFactor(e.ctx, s.office.ID, true, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		p := b.get(e.issuer + "/settings/office")
		if p.url.Path == "/login" {
			// The switch may end sessions without the SMS step at once.
			p = b.submit(p, "/login", map[string]string{"username": "boss", "password": settingsPassword, "office": "ACME"})
		}
		if p.url.Path != "/login/code" {
			t.Fatalf("after the office required SMS, a password-only session led to %s, want the code page", p.url.Path)
		}
		p = b.submit(p, "/login/code", map[string]string{"code": e.lastCode(s.boss.Mobile)})
		if p.url.Path != "/settings/office" || p.status != http.StatusOK {
			t.Errorf("after the code: at %s with status %d, want the settings", p.url.Path, p.status)
		}
	})
}

// forged is a request that a role boundary must refuse.
type forged struct {
	name   string
	actor  func(s settingsOffice) (*storage.User, string)
	path   func(s settingsOffice) string
	fields url.Values
	status int
}

func TestSettingsRefuseForgedRequests(t *testing.T) {
	boss := func(s settingsOffice) (*storage.User, string) { return s.boss, "ACME" }
	accountant := func(s settingsOffice) (*storage.User, string) { return s.accountant, "ACME" }
	clerk := func(s settingsOffice) (*storage.User, string) { return s.clerk, "ACME" }
	outsider := func(s settingsOffice) (*storage.User, string) { return s.outsider, "OTHER" }
	userPath := func(u func(s settingsOffice) *storage.User, rest string) func(s settingsOffice) string {
		return func(s settingsOffice) string { return "/settings/users/" + u(s).ID + rest }
	}
	bossUser := func(s settingsOffice) *storage.User { return s.boss }
	accUser := func(s settingsOffice) *storage.User { return s.accountant }
	clerkUser := func(s settingsOffice) *storage.User { return s.clerk }
	fixed := func(p string) func(s settingsOffice) string { return func(settingsOffice) string { return p } }

	cases := []forged{
		{"accountant switches two-factor", accountant, fixed("/settings/office/two-factor"),
			url.Values{"two_factor": {"yes"}, "confirm": {"yes"}}, http.StatusForbidden},
		{"user switches two-factor", clerk, fixed("/settings/office/two-factor"),
			url.Values{"two_factor": {"yes"}, "confirm": {"yes"}}, http.StatusForbidden},
		{"other office sets a role", outsider, userPath(clerkUser, "/role"),
			url.Values{"role": {"superuser"}}, http.StatusNotFound},
		{"other office enters a number", outsider, userPath(clerkUser, "/mobile"),
			url.Values{"mobile": {"0612345699"}, "country": {"NL"}}, http.StatusNotFound},
		{"other office sets a password", outsider, userPath(clerkUser, "/password"),
			url.Values{"password": {"a long new password"}, "password_again": {"a long new password"}}, http.StatusNotFound},
		{"other office edits a profile", outsider, userPath(clerkUser, "/profile"),
			url.Values{"name": {"Taken over"}}, http.StatusNotFound},
		{"accountant sets a role", accountant, userPath(clerkUser, "/role"),
			url.Values{"role": {"superuser"}}, http.StatusForbidden},
		{"accountant promotes themself", accountant, userPath(accUser, "/role"),
			url.Values{"role": {"superuser"}}, http.StatusForbidden},
		{"accountant sets a password", accountant, userPath(clerkUser, "/password"),
			url.Values{"password": {"a long new password"}, "password_again": {"a long new password"}}, http.StatusForbidden},
		{"accountant enters a super user's number", accountant, userPath(bossUser, "/mobile"),
			url.Values{"mobile": {"0612345699"}, "country": {"NL"}}, http.StatusForbidden},
		{"accountant edits a super user's profile", accountant, userPath(bossUser, "/profile"),
			url.Values{"name": {"Renamed"}, "email": {"x@example.com"}}, http.StatusForbidden},
		{"accountant creates a user", accountant, fixed("/settings/users/new"),
			url.Values{"username": {"new"}, "role": {"superuser"}, "password": {"a long new password"}, "password_again": {"a long new password"}}, http.StatusForbidden},
		{"user edits another user", clerk, userPath(accUser, "/profile"),
			url.Values{"name": {"Renamed"}}, http.StatusForbidden},
		{"user enters another user's number", clerk, userPath(accUser, "/mobile"),
			url.Values{"mobile": {"0612345699"}, "country": {"NL"}}, http.StatusForbidden},
		{"user promotes themself", clerk, userPath(clerkUser, "/role"),
			url.Values{"role": {"superuser"}}, http.StatusForbidden},
		{"user sets their own password", clerk, userPath(clerkUser, "/password"),
			url.Values{"password": {"a long new password"}, "password_again": {"a long new password"}}, http.StatusForbidden},
		{"super user sets their own password", boss, userPath(bossUser, "/password"),
			url.Values{"password": {"a long new password"}, "password_again": {"a long new password"}}, http.StatusForbidden},
		{"user enters the code of another user's number", clerk, userPath(accUser, "/mobile/code"),
			url.Values{"code": {"123456"}}, http.StatusForbidden},
	}
	each(t, func(t *testing.T, e *env) {
		s := e.settingsOffices()
		sessions := map[string]*browser{}
		tokens := map[string]string{}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				actor, code := tc.actor(s)
				b := sessions[actor.ID]
				if b == nil {
					var p *page
					b, p = e.settingsSignIn(t, "/settings/users/"+actor.ID, actor, code)
					sessions[actor.ID], tokens[actor.ID] = b, csrfOf(t, p)
				}
				before := snapshot(t, e, s)
				fields := url.Values{"csrf": {tokens[actor.ID]}}
				for k, v := range tc.fields {
					fields[k] = v
				}
				p := b.post(e.issuer+tc.path(s), fields)
				if p.status != tc.status {
					t.Errorf("POST %s: status %d, want %d: %s", tc.path(s), p.status, tc.status, alert(p))
				}
				if after := snapshot(t, e, s); after != before {
					t.Errorf("storage changed:\nbefore %s\n after %s", before, after)
				}
			})
		}

		t.Run("pages of other roles", func(t *testing.T) {
			clerkBrowser := sessions[s.clerk.ID]
			for _, path := range []string{"/settings/users", "/settings/activity", "/settings/users/new", "/settings/users/" + s.boss.ID} {
				if p := clerkBrowser.get(e.issuer + path); p.status != http.StatusForbidden {
					t.Errorf("user GET %s: status %d, want 403", path, p.status)
				}
			}
			accBrowser := sessions[s.accountant.ID]
			for _, path := range []string{"/settings/activity", "/settings/users/new"} {
				if p := accBrowser.get(e.issuer + path); p.status != http.StatusForbidden {
					t.Errorf("accountant GET %s: status %d, want 403", path, p.status)
				}
			}
			if p := sessions[s.outsider.ID].get(e.issuer + "/settings/users/" + s.clerk.ID); p.status != http.StatusNotFound {
				t.Errorf("other office GET a user's page: status %d, want 404", p.status)
			}
		})
	})
}

// snapshot describes what the forged requests must not change.
func snapshot(t *testing.T, e *env, s settingsOffice) string {
	t.Helper()
	var sb strings.Builder
	for _, o := range []*storage.Office{s.office, s.other} {
		got := e.reloadOffice(t, o.ID)
		sb.WriteString(o.Code + " two-factor=" + onOff(got.TwoFactor) + "; ")
	}
	for _, u := range []*storage.User{s.boss, s.second, s.accountant, s.clerk, s.outsider} {
		got := e.reloadUser(t, u.ID)
		sb.WriteString(got.Username + ":" + string(got.Role) + "," + got.Name + "," + got.Email + "," + got.Mobile + "," +
			onOff(got.MobileConfirmed) + "," + got.PasswordHash[len(got.PasswordHash)-8:] + "; ")
	}
	users, err := e.store.ListUsers(e.ctx, s.office.ID)
	if err != nil {
		t.Fatal(err)
	}
	sb.WriteString("users=" + strconv.Itoa(len(users)))
	sb.WriteString(" events=" + strconv.Itoa(len(e.auditEvents(t, s.office.ID))))
	return sb.String()
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func TestSettingsCSRF(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		s := e.settingsOffices()
		b, p := e.settingsSignIn(t, "/settings/office", s.boss, "ACME")
		token := csrfOf(t, p)
		for name, fields := range map[string]url.Values{
			"no token":    {"two_factor": {"yes"}, "confirm": {"yes"}},
			"wrong token": {"two_factor": {"yes"}, "confirm": {"yes"}, "csrf": {token[:len(token)-2] + "AA"}},
		} {
			if p := b.post(e.issuer+"/settings/office/two-factor", fields); p.status != http.StatusForbidden {
				t.Errorf("%s: status %d, want 403", name, p.status)
			}
		}
		// Another browser, with its own cookie but without the session.
		other := newBrowser(t)
		other.get(e.issuer + "/settings/office")
		fields := url.Values{"two_factor": {"yes"}, "confirm": {"yes"}, "csrf": {token}}
		if p := other.post(e.issuer+"/settings/office/two-factor", fields); p.status != http.StatusForbidden {
			t.Errorf("another browser with the token: status %d, want 403", p.status)
		}
		if e.reloadOffice(t, s.office.ID).TwoFactor {
			t.Errorf("a request without a valid CSRF token switched the policy")
		}
		if n := len(e.auditEvents(t, s.office.ID)); n != 0 {
			t.Errorf("%d events recorded for refused requests", n)
		}
	})
}

func TestSettingsIgnoreHiddenFields(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		s := e.settingsOffices()
		acc, p := e.settingsSignIn(t, "/settings/users/"+s.clerk.ID, s.accountant, "ACME")
		fields := url.Values{
			"csrf": {csrfOf(t, p)}, "mobile": {"06 12345699"}, "country": {"NL"},
			"mobile_confirmed": {"true"}, "confirmed": {"1"}, "role": {"superuser"}, "office_id": {s.other.ID},
		}
		if p := acc.post(e.issuer+"/settings/users/"+s.clerk.ID+"/mobile", fields); p.status != http.StatusOK || p.url.Path != "/settings/users/"+s.clerk.ID {
			t.Fatalf("accountant enters a number: at %s with status %d: %s", p.url.Path, p.status, alert(p))
		}
		got := e.reloadUser(t, s.clerk.ID)
		if got.Mobile != "+31612345699" || got.MobileConfirmed || got.Role != storage.RoleUser || got.OfficeID != s.office.ID {
			t.Errorf("after a number with extra fields: mobile %q confirmed %v role %s office %s, want the number unconfirmed and nothing else changed",
				got.Mobile, got.MobileConfirmed, got.Role, got.OfficeID)
		}

		clerk, p := e.settingsSignIn(t, "/settings/users/"+s.clerk.ID, s.clerk, "ACME")
		fields = url.Values{
			"csrf": {csrfOf(t, p)}, "name": {"Clerk Kent"}, "email": {"clerk@example.com"},
			"role": {"superuser"}, "office_id": {s.other.ID}, "username": {"boss"}, "mobile_confirmed": {"true"},
		}
		if p := clerk.post(e.issuer+"/settings/users/"+s.clerk.ID+"/profile", fields); p.status != http.StatusOK {
			t.Fatalf("user edits their profile: status %d: %s", p.status, alert(p))
		}
		got = e.reloadUser(t, s.clerk.ID)
		if got.Name != "Clerk Kent" || got.Email != "clerk@example.com" {
			t.Errorf("profile not saved: %q %q", got.Name, got.Email)
		}
		if got.Role != storage.RoleUser || got.Username != "clerk" || got.MobileConfirmed || got.OfficeID != s.office.ID {
			t.Errorf("a profile form changed more: role %s username %s confirmed %v office %s", got.Role, got.Username, got.MobileConfirmed, got.OfficeID)
		}

		// The policy form of one office names no other office.
		out, p := e.settingsSignIn(t, "/settings/office", s.outsider, "OTHER")
		fields = url.Values{"csrf": {csrfOf(t, p)}, "two_factor": {"yes"}, "confirm": {"yes"}, "office_id": {s.office.ID}, "code": {"ACME"}}
		if p := out.post(e.issuer+"/settings/office/two-factor", fields); p.status != http.StatusOK {
			t.Fatalf("switch of the other office: status %d: %s", p.status, alert(p))
		}
		if e.reloadOffice(t, s.office.ID).TwoFactor {
			t.Errorf("a super user of another office switched this office's policy")
		}
		if !e.reloadOffice(t, s.other.ID).TwoFactor {
			t.Errorf("the super user's own office was not switched")
		}
	})
}

func TestSettingsLastSuperuser(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("SOLO", false)
		boss := e.settingsMember(office, "boss", storage.RoleSuperuser, "", false)
		b, p := e.settingsSignIn(t, "/settings/users/"+boss.ID, boss, "SOLO")
		p = b.submit(p, "/settings/users/"+boss.ID+"/role", map[string]string{"role": "accountant"})
		if p.status != http.StatusConflict {
			t.Errorf("demoting the only super user: status %d, want 409", p.status)
		}
		if msg := text(byID(p.doc, "role-error")); !strings.Contains(msg, "at least one super user") {
			t.Errorf("role error = %q", msg)
		}
		if got := e.reloadUser(t, boss.ID); got.Role != storage.RoleSuperuser {
			t.Errorf("role after a refused demotion: %s", got.Role)
		}
	})
}

func TestSettingsSwitchWithoutScript(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		s := e.settingsOffices()
		b, p := e.settingsSignIn(t, "/settings/office", s.boss, "ACME")
		p = b.submit(p, "/settings/office/two-factor", map[string]string{"two_factor": "yes"})
		if p.status != http.StatusOK || findForm(p.doc, "/settings/office/two-factor") == nil {
			t.Fatalf("asking to switch on: status %d, want the confirmation page", p.status)
		}
		body := text(p.doc)
		for _, want := range []string{"every user of the office", "Tell all users", "Users affected: 4",
			"Users without a confirmed mobile number: 2", "Of these, 2 have no number"} {
			if !strings.Contains(body, want) {
				t.Errorf("confirmation page lacks %q:\n%s", want, body)
			}
		}
		if e.reloadOffice(t, s.office.ID).TwoFactor {
			t.Fatal("the policy switched before it was confirmed")
		}

		no := b.submit(p, "/settings/office/two-factor", map[string]string{"confirm": "no"})
		if e.reloadOffice(t, s.office.ID).TwoFactor || no.url.Path != "/settings/office" {
			t.Errorf("answering No: at %s, policy %v, want it unchanged", no.url.Path, e.reloadOffice(t, s.office.ID).TwoFactor)
		}

		yes := b.submit(p, "/settings/office/two-factor", map[string]string{"confirm": "yes"})
		if !e.reloadOffice(t, s.office.ID).TwoFactor {
			t.Fatalf("answering Yes did not switch the policy (at %s, status %d)", yes.url.Path, yes.status)
		}
		events := e.auditEvents(t, s.office.ID)
		if len(events) != 1 || events[0].Action != storage.AuditTwoFactor || events[0].Old != "off" || events[0].New != "on" ||
			events[0].ActorID != s.boss.ID {
			t.Errorf("events after the switch: %+v", events)
		}

		// Every user is told at their next sign-in, once.
		app := e.client("app-one")
		for _, u := range []*storage.User{s.accountant, s.clerk} {
			e.clock.Advance(time.Minute)
			cb := newBrowser(t)
			f := app.begin()
			p := signIn(cb, f, u.Username, settingsPassword, "ACME")
			notice := walk(p.doc, func(n *nodeT) bool { return attr(n, "role") == "status" })
			if !strings.Contains(text(notice), "now requires a code by SMS") {
				t.Errorf("%s: the SMS step at %s shows no policy notice", u.Username, p.url.Path)
			}
		}
		e.clock.Advance(time.Minute)
		cb := newBrowser(t)
		wantRedirect(t, enterCode(cb, signIn(cb, app.begin(), "acc", settingsPassword, "ACME"), e.lastCode(s.accountant.Mobile)))
		if has, _ := e.store.HasPolicyNotice(e.ctx, s.accountant.ID); has {
			t.Errorf("the notice stays after a sign-in with the code")
		}
		if has, _ := e.store.HasPolicyNotice(e.ctx, s.clerk.ID); !has {
			t.Errorf("the notice of a user who has not signed in yet is gone")
		}
	})
}

func TestSettingsOwnNumberNeedsCode(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("SECURE", true)
		acc := e.settingsMember(office, "acc", storage.RoleAccountant, "+31612345602", true)
		b, p := e.settingsSignIn(t, "/settings/users/"+acc.ID, acc, "SECURE")
		e.clock.Advance(time.Minute)
		p = b.submit(p, "/settings/users/"+acc.ID+"/mobile", map[string]string{"mobile": "06 87654321", "country": "NL", "mobile_confirmed": "true"})
		if p.url.Path != "/settings/users/"+acc.ID+"/mobile/code" {
			t.Fatalf("own new number: at %s (status %d), want the code page: %s", p.url.Path, p.status, alert(p))
		}
		if got := e.reloadUser(t, acc.ID); got.Mobile != acc.Mobile || !got.MobileConfirmed {
			t.Fatalf("the number changed before its code was entered: %q %v", got.Mobile, got.MobileConfirmed)
		}
		code := e.lastCode("+31687654321")

		// Until the code is entered, sign-in codes go to the confirmed number.
		before := len(e.codes(acc.Mobile))
		e.clock.Advance(time.Minute)
		other := newBrowser(t)
		if p := signIn(other, e.client("app-one").begin(), "acc", settingsPassword, "SECURE"); p.url.Path != "/login/code" {
			t.Fatalf("sign-in during the change: at %s", p.url.Path)
		}
		if after := len(e.codes(acc.Mobile)); after != before+1 {
			t.Errorf("codes to the confirmed number: %d, want %d", after, before+1)
		}

		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		p = b.submit(p, "/settings/users/"+acc.ID+"/mobile/code", map[string]string{"code": wrong})
		if p.status != http.StatusUnauthorized {
			t.Errorf("wrong code: status %d, want 401", p.status)
		}
		p = b.submit(p, "/settings/users/"+acc.ID+"/mobile/code", map[string]string{"code": code})
		if p.url.Path != "/settings/users/"+acc.ID || p.status != http.StatusOK {
			t.Fatalf("right code: at %s with status %d: %s", p.url.Path, p.status, alert(p))
		}
		got := e.reloadUser(t, acc.ID)
		if got.Mobile != "+31687654321" || !got.MobileConfirmed {
			t.Errorf("after the code: %q confirmed %v, want the new number confirmed", got.Mobile, got.MobileConfirmed)
		}
		events := e.auditEvents(t, office.ID)
		if len(events) != 1 {
			t.Fatalf("events: %+v, want one", events)
		}
		if ev := events[0]; ev.Action != storage.AuditMobile || strings.Contains(ev.Old+ev.New, "87654321") || !strings.HasSuffix(strings.Fields(ev.New)[len(strings.Fields(ev.New))-2], "21") {
			t.Errorf("recorded change: %+v, want masked numbers", ev)
		}
	})
}

func TestSettingsInDutch(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.settingsOffices()
		b := newBrowser(t)
		b.client.Transport = acceptLanguage{"nl-NL,nl;q=0.9,en;q=0.5"}
		p := b.get(e.issuer + "/settings/office")
		if got := text(walk(p.doc, func(n *nodeT) bool { return n.Data == "h1" })); got != "Inloggen" {
			t.Errorf("sign-in page heading with Accept-Language nl = %q, want Inloggen", got)
		}
		p = b.submit(p, "/login", map[string]string{"username": "clerk", "password": "wrong", "office": "ACME"})
		if got := alert(p); !strings.Contains(got, "klopt niet") {
			t.Errorf("wrong password message in Dutch: %q", got)
		}
		p = b.submit(p, "/login", map[string]string{"username": "clerk", "password": settingsPassword, "office": "ACME"})
		if got := text(byID(p.doc, "two-factor-value")); got != "Nee" {
			t.Errorf("policy of a User's General tab = %q, want Nee", got)
		}
		link := walk(p.doc, func(n *nodeT) bool { return n.Data == "a" && attr(n, "lang") == "en" })
		p = b.get(e.issuer + attr(link, "href"))
		if got := text(byID(p.doc, "two-factor-value")); got != "No" || p.url.Path != "/settings/office" {
			t.Errorf("after switching to English: at %s, policy %q", p.url.Path, got)
		}
	})
}

// acceptLanguage sends an Accept-Language header with every request, as a
// browser does.
type acceptLanguage struct{ value string }

func (a acceptLanguage) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Accept-Language", a.value)
	return http.DefaultTransport.RoundTrip(req)
}

func TestSettingsRejectDisallowedCountry(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		s := e.settingsOffices()
		acc, p := e.settingsSignIn(t, "/settings/users/"+s.clerk.ID, s.accountant, "ACME")
		before := e.reloadUser(t, s.clerk.ID)
		fields := url.Values{"csrf": {csrfOf(t, p)}, "mobile": {"+44 7400 123456"}, "country": {"NL"}}
		got := acc.post(e.issuer+"/settings/users/"+s.clerk.ID+"/mobile", fields)
		if got.status != http.StatusBadRequest {
			t.Errorf("a number in a country the office does not send to: status %d, want 400", got.status)
		}
		if after := e.reloadUser(t, s.clerk.ID); after.Mobile != before.Mobile {
			t.Errorf("the number was saved: %q, want %q", after.Mobile, before.Mobile)
		}
	})
}
