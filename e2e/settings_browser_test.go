package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"twofold/internal/browsertest"
	"twofold/storage"
)

// screenshotVariable names a folder, such as docs/screenshots, into which
// the browser tests save screenshots of the settings pages. Unset, they
// save none.
const screenshotVariable = "TWOFOLD_SCREENSHOTS"

// settingsBrowser is one Chromium with its own profile, at twofold.
type settingsBrowser struct {
	t   *testing.T
	e   *env
	ctx context.Context
}

func (e *env) newSettingsBrowser(t *testing.T) *settingsBrowser {
	return &settingsBrowser{t: t, e: e, ctx: browsertest.New(t)}
}

func (b *settingsBrowser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

func eval[T any](b *settingsBrowser, expression string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expression))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expression, err)
	}
	return v
}

// waitFor waits until the page has loaded and the expression is true in
// it. It evaluates
// the expression again after an error, because a navigation in progress
// interrupts an evaluation.
func (b *settingsBrowser) waitFor(what, expression string) {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var lastErr error
	for time.Now().Before(deadline) {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.readyState === "complete" && (`+expression+`)`))
		if err == nil && ok {
			return
		}
		lastErr = err
		time.Sleep(25 * time.Millisecond)
	}
	b.t.Fatalf("waiting for %s: timed out (last error %v)", what, lastErr)
}

func (b *settingsBrowser) text(selector string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(selector)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", selector, err)
	}
	return strings.TrimSpace(v)
}

// screenshot saves the page as name.png when screenshotVariable is set.
func (b *settingsBrowser) screenshot(name string) {
	b.t.Helper()
	dir := os.Getenv(screenshotVariable)
	if dir == "" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// signIn types the password (and the code, when the page asks for it) on
// the sign-in pages that opening path leads to, and waits for the settings.
func (b *settingsBrowser) signIn(path string, u *storage.User, officeCode string) {
	b.t.Helper()
	b.do("open "+path,
		chromedp.Navigate(b.e.issuer+path),
		chromedp.WaitVisible(chromedp.ID("username")))
	b.typePassword(u, officeCode)
	b.finishSignIn(u)
}

func (b *settingsBrowser) typePassword(u *storage.User, officeCode string) {
	b.t.Helper()
	b.do("type the password",
		chromedp.SendKeys(chromedp.ID("username"), u.Username),
		chromedp.SendKeys(chromedp.ID("password"), settingsPassword),
		chromedp.SendKeys(chromedp.ID("office"), officeCode),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)))
}

// finishSignIn enters the code if the office asks for one, and waits for
// a settings page.
func (b *settingsBrowser) finishSignIn(u *storage.User) {
	b.t.Helper()
	b.waitFor("the code page or the settings",
		`!!document.getElementById("code") || !!document.querySelector(".settings-header")`)
	if eval[bool](b, `!!document.getElementById("code")`) {
		b.do("enter the code",
			chromedp.SendKeys(chromedp.ID("code"), b.e.lastCode(u.Mobile)),
			chromedp.Click(chromedp.CSS(`form[action="/login/code"] button[type="submit"]`)))
	}
	b.waitFor("the settings", `!!document.querySelector(".settings-header")`)
}

func TestSettingsSwitchInBrowser(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("ACME", false)
		boss := e.settingsMember(office, "boss", storage.RoleSuperuser, "+31612345601", true)
		e.settingsMember(office, "anna", storage.RoleAccountant, "+31612345602", false)
		e.settingsMember(office, "bert", storage.RoleUser, "", false)
		b := e.newSettingsBrowser(t)
		b.signIn("/settings/office", boss, "ACME")
		b.screenshot("settings-office")

		b.do("choose Yes and save",
			chromedp.Click(chromedp.CSS(`input[name="two_factor"][value="yes"]`)),
			chromedp.Click(chromedp.CSS(`#two-factor-form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.ID("two-factor-dialog")))
		if got := eval[string](b, `document.activeElement.id`); got != "two-factor-no" {
			t.Errorf("focus in the dialog is on %q, want the No button", got)
		}
		dialog := b.text("#two-factor-dialog")
		for _, want := range []string{"every user of the office", "Tell all users", "Users affected: 3",
			"Users without a confirmed mobile number: 2", "1 have no number", "1 have a number that is not confirmed"} {
			if !strings.Contains(dialog, want) {
				t.Errorf("dialog lacks %q:\n%s", want, dialog)
			}
		}
		b.screenshot("settings-two-factor-dialog")

		b.do("close the dialog with Escape", chromedp.SendKeys(chromedp.ID("two-factor-no"), kb.Escape))
		b.waitFor("the dialog to close and the form to show the stored value",
			`!document.getElementById("two-factor-dialog").open && document.querySelector('input[name="two_factor"]:checked').value === "no"`)
		if e.reloadOffice(t, office.ID).TwoFactor {
			t.Fatal("the policy switched without a Yes")
		}

		b.do("choose Yes, save and confirm",
			chromedp.Click(chromedp.CSS(`input[name="two_factor"][value="yes"]`)),
			chromedp.Click(chromedp.CSS(`#two-factor-form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.ID("two-factor-yes")),
			chromedp.Click(chromedp.ID("two-factor-yes")))
		// The boss's own session had no SMS step, so the settings now ask
		// for the password again or for the code.
		b.waitFor("the sign-in", `!!document.getElementById("username") || !!document.getElementById("code")`)
		if eval[bool](b, `!!document.getElementById("username")`) {
			b.typePassword(boss, "ACME")
		}
		b.finishSignIn(boss)
		if !e.reloadOffice(t, office.ID).TwoFactor {
			t.Fatal("Yes in the dialog did not switch the policy")
		}
		if got := b.text(`p.notice`); !strings.Contains(got, "now required for everyone") {
			t.Errorf("notice after the switch = %q", got)
		}
		b.screenshot("settings-office-on")

		b.do("open the Users tab", chromedp.Navigate(e.issuer+"/settings/users"), chromedp.WaitVisible(chromedp.CSS("table.users")))
		if got := b.text("table.users tbody"); !strings.Contains(got, "Unconfirmed") || !strings.Contains(got, "None") || !strings.Contains(got, "Confirmed") {
			t.Errorf("Users tab lacks the number states:\n%s", got)
		}
		b.screenshot("settings-users")

		b.do("create a user",
			chromedp.Click(chromedp.CSS(`a[href="/settings/users/new"]`)),
			chromedp.WaitVisible(chromedp.ID("username")),
			chromedp.SendKeys(chromedp.ID("username"), "carla"),
			chromedp.SendKeys(chromedp.ID("name"), "Carla de Vries"),
			chromedp.SendKeys(chromedp.ID("email"), "carla@example.com"),
			chromedp.SendKeys(chromedp.ID("password"), "a long first password"),
			chromedp.SendKeys(chromedp.ID("password_again"), "a long first password"),
			chromedp.SendKeys(chromedp.ID("mobile"), "06 12345604"),
			chromedp.Click(chromedp.CSS(`form[action="/settings/users/new"] button[type="submit"]`)))
		b.waitFor("the new user's page", `!!document.getElementById("mobile-state")`)
		carla, err := e.store.UserByUsername(e.ctx, office.ID, "carla")
		if err != nil {
			t.Fatalf("the created user: %v", err)
		}
		if carla.Role != storage.RoleUser || carla.Mobile != "+31612345604" || carla.MobileConfirmed {
			t.Errorf("created user: role %s, mobile %q confirmed %v", carla.Role, carla.Mobile, carla.MobileConfirmed)
		}
		b.do("make her an Accountant",
			chromedp.SetValue(chromedp.ID("role"), "accountant"),
			chromedp.Click(chromedp.CSS(`form[action$="/role"] button[type="submit"]`)))
		b.waitFor("the saved role", `location.search === "?done=role"`)
		if got := eval[string](b, `document.getElementById("role").value`); got != "accountant" {
			t.Errorf("role after saving = %q, want accountant", got)
		}
		b.do("open the Activity tab", chromedp.Navigate(e.issuer+"/settings/activity"), chromedp.WaitVisible(chromedp.CSS("table.activity")))
		if got := b.text("table.activity tbody"); !strings.Contains(got, "Two-factor authentication") || !strings.Contains(got, "User created") ||
			!strings.Contains(got, "+31 6 •••• ••04") || !strings.Contains(got, "Accountant") {
			t.Errorf("Activity tab lacks the switch:\n%s", got)
		}
		b.screenshot("settings-activity")
	})
}

func TestSettingsAccountantCannotSwitch(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("ACME", false)
		acc := e.settingsMember(office, "anna", storage.RoleAccountant, "+31612345602", true)
		b := e.newSettingsBrowser(t)
		b.signIn("/settings/office", acc, "ACME")
		if got := b.text("#two-factor-value"); got != "No" {
			t.Errorf("read-only policy = %q, want No", got)
		}
		if eval[bool](b, `!!document.getElementById("two-factor-form") || !!document.querySelector('input[name="two_factor"]')`) {
			t.Error("an Accountant sees a form that changes the policy")
		}
		// The request a Super user's form would send, with this browser's
		// token, built in the page as a forged form would be.
		b.do("open the own page", chromedp.Navigate(e.issuer+"/settings/users/"+acc.ID), chromedp.WaitVisible(chromedp.ID("name")))
		eval[bool](b, `(() => {
			const form = document.createElement("form");
			form.method = "post";
			form.action = "/settings/office/two-factor";
			const fields = {csrf: document.querySelector('input[name="csrf"]').value, two_factor: "yes", confirm: "yes"};
			for (const [name, value] of Object.entries(fields)) {
				const input = document.createElement("input");
				input.type = "hidden";
				input.name = name;
				input.value = value;
				form.append(input);
			}
			document.body.append(form);
			form.submit();
			return true;
		})()`)
		b.waitFor("the answer", `document.title.startsWith("Forbidden")`)
		if e.reloadOffice(t, office.ID).TwoFactor {
			t.Error("an Accountant switched the policy")
		}
	})
}

func TestSettingsUserSeesGrayedPolicy(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("ACME", true)
		clerk := e.settingsMember(office, "bert", storage.RoleUser, "+31612345603", true)
		b := e.newSettingsBrowser(t)
		b.signIn("/settings/users/"+clerk.ID, clerk, "ACME")
		if !eval[bool](b, `document.getElementById("two-factor").disabled`) {
			t.Error("the two-factor field can be changed")
		}
		if got := eval[string](b, `document.getElementById("two-factor").selectedOptions[0].textContent`); got != "Yes" {
			t.Errorf("two-factor field shows %q, want Yes", got)
		}
		if got := eval[string](b, `document.getElementById("two-factor").getAttribute("aria-describedby")`); got != "two-factor-help" {
			t.Errorf("two-factor field described by %q", got)
		}
		if eval[bool](b, `!!document.querySelector('form [name="two_factor"], form [name="role"]')`) {
			t.Error("a User's page has a form field for the policy or the role")
		}
		if got := b.text("#mobile-state"); got != "Confirmed" {
			t.Errorf("own number state = %q, want Confirmed", got)
		}
		b.screenshot("settings-user-self")

		b.do("switch to Dutch", chromedp.Click(chromedp.CSS(`nav.languages a[lang="nl"]`)))
		b.waitFor("the Dutch page", `document.documentElement.lang === "nl"`)
		if got := b.text("#mobile-state"); got != "Bevestigd" {
			t.Errorf("own number state in Dutch = %q, want Bevestigd", got)
		}
		b.screenshot("settings-user-self-nl")
	})
}

func TestSettingsAccountantEntersNumber(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("ACME", true)
		acc := e.settingsMember(office, "anna", storage.RoleAccountant, "+31612345602", true)
		clerk := e.settingsMember(office, "bert", storage.RoleUser, "", false)
		admin := e.newSettingsBrowser(t)
		admin.signIn("/settings/users/"+clerk.ID, acc, "ACME")
		admin.do("enter the number",
			chromedp.SendKeys(chromedp.ID("mobile"), "06 12345699"),
			chromedp.Click(chromedp.CSS(`form[action$="/mobile"] button[type="submit"]:not([name])`)))
		admin.waitFor("the notice", `!!document.querySelector("p.notice")`)
		if got := admin.text("#mobile-state"); got != "Unconfirmed" {
			t.Errorf("state after the Accountant entered the number = %q, want Unconfirmed", got)
		}
		admin.screenshot("settings-user-admin")
		if got := e.reloadUser(t, clerk.ID); got.Mobile != "+31612345699" || got.MobileConfirmed {
			t.Fatalf("stored: %q confirmed %v, want the number unconfirmed", got.Mobile, got.MobileConfirmed)
		}

		user := e.newSettingsBrowser(t)
		clerk.Mobile = "+31612345699"
		user.signIn("/settings/users/"+clerk.ID, clerk, "ACME")
		if got := e.reloadUser(t, clerk.ID); !got.MobileConfirmed {
			t.Fatal("the code at sign-in did not confirm the number")
		}
		if got := user.text("#mobile-state"); got != "Confirmed" {
			t.Errorf("state after the user's sign-in = %q, want Confirmed", got)
		}
		events := e.auditEvents(t, office.ID)
		if len(events) != 2 || events[1].ActorID != acc.ID || events[0].ActorID != clerk.ID {
			t.Errorf("events: %+v, want the Accountant's entry and the user's confirmation", events)
		}
	})
}
