package e2e

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"twofold/internal/browsertest"
)

// pickerBrowser drives the enrollment page in Chromium.
type pickerBrowser struct {
	t   *testing.T
	ctx context.Context
}

// openEnrollment signs a new user of office in through the sign-in page and
// waits for the enrollment page.
func (e *env) openEnrollment(t *testing.T, officeCode string) *pickerBrowser {
	t.Helper()
	office, err := e.store.OfficeByCode(e.ctx, officeCode)
	if err != nil {
		t.Fatal(err)
	}
	username := newID("browser")
	e.user(office, username, "browser-password", "", false)
	f := e.client(newID("app-")).begin()

	ctx := browsertest.New(t)
	err = chromedp.Do(ctx,
		chromedp.Navigate(f.url),
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), "browser-password"),
		chromedp.SendKeys(chromedp.ID("office"), officeCode),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("mobile")),
	)
	if err != nil {
		t.Fatalf("sign in to the enrollment page: %v", err)
	}
	return &pickerBrowser{t: t, ctx: ctx}
}

// run runs a JavaScript expression and returns its value.
func run[T any](b *pickerBrowser, expression string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expression))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expression, err)
	}
	return v
}

// typeNumber types keys into the number field as a person does.
func (b *pickerBrowser) typeNumber(keys string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.SendKeys(chromedp.ID("mobile"), keys)); err != nil {
		b.t.Fatalf("type %q: %v", keys, err)
	}
}

// clearNumber deletes the number field's text with the backspace key.
func (b *pickerBrowser) clearNumber() {
	b.t.Helper()
	n := run[int](b, `document.getElementById("mobile").value.length`)
	b.typeNumber(strings.Repeat(kb.Backspace, n))
}

// country returns the picker's value.
func (b *pickerBrowser) country() string {
	b.t.Helper()
	return run[string](b, `document.getElementById("country").value`)
}

// wantCountry fails the test unless the picker's value becomes want within
// a few seconds.
func (b *pickerBrowser) wantCountry(after, want string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 3*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](
		`document.getElementById("country").value === `+jsString(want), chromedp.WithPollingInterval(20*time.Millisecond)))
	if err != nil {
		b.t.Errorf("after %s: country = %q, want %s", after, b.country(), want)
	}
}

// chooseCountry selects a country as a person does with the keyboard: the
// select takes the focus and the arrow keys move to the option.
func (b *pickerBrowser) chooseCountry(region string) {
	b.t.Helper()
	index := run[int](b, `Array.from(document.getElementById("country").options).findIndex(o => o.value === `+jsString(region)+`)`)
	current := run[int](b, `document.getElementById("country").selectedIndex`)
	if index < 0 {
		b.t.Fatalf("no option %s", region)
	}
	key, steps := kb.ArrowDown, index-current
	if steps < 0 {
		key, steps = kb.ArrowUp, -steps
	}
	if err := chromedp.Do(b.ctx, chromedp.SendKeys(chromedp.ID("country"), strings.Repeat(key, steps))); err != nil {
		b.t.Fatalf("choose %s: %v", region, err)
	}
	b.wantCountry("choosing "+region, region)
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func TestEnrollPickerInBrowser(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("BROWSER", true)
		wantTop := e.seedPickerCounts(office)
		b := e.openEnrollment(t, "BROWSER")

		top := run[[]string](b, `Array.from(document.querySelectorAll("#country option"), o => o.value).slice(0, 6)`)
		if !reflect.DeepEqual(top, wantTop) {
			t.Errorf("first six countries = %v, want %v", top, wantTop)
		}
		if got := b.country(); got != "NL" {
			t.Errorf("country before typing = %q, want the office's NL", got)
		}

		// The keyboard selects a country by the first letters of its name.
		if err := chromedp.Do(b.ctx, chromedp.SendKeys(chromedp.ID("country"), "Belg")); err != nil {
			t.Fatalf("type Belg in the picker: %v", err)
		}
		b.wantCountry("typing Belg in the picker", "BE")
		b.chooseCountry("NL")

		b.typeNumber("+44")
		b.wantCountry("typing +44", "GB")
		status := run[string](b, `document.getElementById("country-status").textContent`)
		if !strings.Contains(status, "United Kingdom") {
			t.Errorf("status after typing +44 = %q, want it to name the United Kingdom", status)
		}
		if live := run[string](b, `document.getElementById("country-status").getAttribute("aria-live")`); live != "polite" {
			t.Errorf("status aria-live = %q, want polite", live)
		}
		if focused := run[string](b, `document.activeElement.id`); focused != "mobile" {
			t.Errorf("focus after the switch is on %q, want the number field", focused)
		}

		b.typeNumber(kb.Backspace)
		b.wantCountry("deleting the 4 of +44", "NL")
		b.clearNumber()

		b.typeNumber("0044")
		b.wantCountry("typing 0044", "GB")
		b.clearNumber()
		b.wantCountry("clearing the number", "NL")

		b.typeNumber("+44 7624")
		b.wantCountry("typing +44 7624", "IM")
		b.clearNumber()

		b.typeNumber("+1 204")
		b.wantCountry("typing +1 204", "CA")
		b.clearNumber()
		b.wantCountry("clearing the number", "NL")
	})
}

// TestEnrollPickerManualChoice checks that the script does not overrule a
// country that the person chose.
func TestEnrollPickerManualChoice(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.office("MANUAL", true)
		b := e.openEnrollment(t, "MANUAL")

		b.chooseCountry("BE")
		b.typeNumber("0470 12")
		b.wantCountry("typing a number without a country code under BE", "BE")

		// A code typed later still switches, and removing it brings the
		// chosen country back.
		b.clearNumber()
		b.typeNumber("+49")
		b.wantCountry("typing +49", "DE")
		b.clearNumber()
		b.wantCountry("removing +49", "BE")

		// A choice made while a code is typed stays while the code does.
		b.typeNumber("+44")
		b.wantCountry("typing +44", "GB")
		b.chooseCountry("FR")
		b.typeNumber(" 7400")
		b.wantCountry("typing more digits after choosing FR", "FR")
	})
}
