package e2e

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"twofold/phone"
	"twofold/storage"
)

// pickerOptions returns the region codes of the enrollment page's country
// picker in page order, and the selected one.
func pickerOptions(t *testing.T, p *page) (regions []string, selected string) {
	t.Helper()
	sel := byID(p.doc, "country")
	if sel == nil || sel.Data != "select" {
		t.Fatalf("page %s (status %d) has no select#country:\n%s", p.url.Path, p.status, p.body)
	}
	walk(sel, func(n *html.Node) bool {
		if n.Data == "option" {
			regions = append(regions, attr(n, "value"))
			if hasAttr(n, "selected") {
				selected = attr(n, "value")
			}
		}
		return false
	})
	return regions, selected
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// enrollPage signs a new user without a number in at an office that
// requires SMS, and returns the enrollment page.
func (e *env) enrollPage(t *testing.T, b *browser, office *storage.Office) *page {
	t.Helper()
	username := newID("new")
	e.user(office, username, "new-user-password", "", false)
	f := e.client(newID("app-")).begin()
	p := signIn(b, f, username, "new-user-password", office.Code)
	if p.url.Path != "/login/enroll" {
		t.Fatalf("at %s (status %d), want the enrollment page", p.url.Path, p.status)
	}
	return p
}

// setCountry sets the office's country, as twofold office update --country
// does.
func (e *env) setCountry(office *storage.Office, country string) {
	e.t.Helper()
	if _, err := e.store.SetOfficeCountry(e.ctx, office.ID, country, e.clock.Now()); err != nil {
		e.t.Fatal(err)
	}
}

// seedPickerCounts gives office confirmed numbers in Germany (3), Belgium
// (2) and Poland (1), and unconfirmed ones in France, and another office
// confirmed numbers in Spain (4), Italy (2) and Germany (2). It returns the
// top of the office's country picker that follows with the default
// phone.default_countries: the office's three countries, Spain and Italy
// from the installation, and the Netherlands from the defaults.
func (e *env) seedPickerCounts(office *storage.Office) []string {
	e.t.Helper()
	other := e.office(newID("OTHER"), true)
	seed := []struct {
		office    *storage.Office
		confirmed bool
		numbers   []string
	}{
		{office, true, []string{"+4915123456781", "+4915123456782", "+4915123456783"}},
		{office, true, []string{"+32470123451", "+32470123452"}},
		{office, true, []string{"+48512345671"}},
		{office, false, []string{"+33612345671", "+33612345672", "+33612345673", "+33612345674"}},
		{other, true, []string{"+34612345671", "+34612345672", "+34612345673", "+34612345674"}},
		{other, true, []string{"+393123456781", "+393123456782"}},
		{other, true, []string{"+4915123456784", "+4915123456785"}},
	}
	for _, s := range seed {
		for _, number := range s.numbers {
			e.user(s.office, newID("seed"), "seed-password", number, s.confirmed)
		}
	}
	return []string{"DE", "BE", "PL", "ES", "IT", "NL"}
}

func TestEnrollPickerSelectsOfficeCountry(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("PICKBE", true)
		e.setCountry(office, "BE")
		b := newBrowser(t)

		_, selected := pickerOptions(t, e.enrollPage(t, b, office))
		if selected != "BE" {
			t.Errorf("selected country = %q, want the office's country BE", selected)
		}
	})
}

func TestEnrollPickerOrder(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("PICKORDER", true)
		wantTop := e.seedPickerCounts(office)
		b := newBrowser(t)

		regions, selected := pickerOptions(t, e.enrollPage(t, b, office))
		if len(regions) < len(wantTop) {
			t.Fatalf("picker lists %d countries, want at least %d", len(regions), len(wantTop))
		}
		if got := regions[:len(wantTop)]; !reflect.DeepEqual(got, wantTop) {
			t.Errorf("first countries = %v, want %v", got, wantTop)
		}
		var wantAll []string
		for _, c := range phone.Ordered("en", wantTop) {
			wantAll = append(wantAll, c.Region)
		}
		if !reflect.DeepEqual(regions, wantAll) {
			t.Errorf("countries after the first six are not every other country in alphabetical order:\n got %v\nwant %v",
				regions[len(wantTop):], wantAll[len(wantTop):])
		}
		if selected != "NL" {
			t.Errorf("selected country = %q, want the office's country NL", selected)
		}
	})
}

func TestEnrollPickerDefaultsWithoutNumbers(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("PICKNEW", true)
		b := newBrowser(t)

		regions, _ := pickerOptions(t, e.enrollPage(t, b, office))
		want := []string{"NL", "BE", "DE", "GB", "FR", "US"}
		if got := regions[:len(want)]; !reflect.DeepEqual(got, want) {
			t.Errorf("first countries = %v, want phone.default_countries %v", got, want)
		}
	})
}

// TestEnrollTypedCodeWithoutScript posts numbers as a browser without
// JavaScript does, with the country left at the office's NL.
func TestEnrollTypedCodeWithoutScript(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("PICKTYPED", true)
		b := newBrowser(t)
		p := e.enrollPage(t, b, office)

		tests := []struct {
			mobile string
			want   string
		}{
			{"+44 12", "GB"},
			{"0044 12", "GB"},
			{"+44 7624 12", "IM"},
			{"+1 204 12", "CA"},
			{"06 1234", "NL"}, // no country code: the selected country stays
		}
		for _, tt := range tests {
			again := b.submit(p, "/login/enroll", map[string]string{"country": "NL", "mobile": tt.mobile})
			if again.status != http.StatusBadRequest {
				t.Errorf("%q: status %d, want 400 for a number that is too short", tt.mobile, again.status)
			}
			if _, selected := pickerOptions(t, again); selected != tt.want {
				t.Errorf("%q: form shown again with %q selected, want %s", tt.mobile, selected, tt.want)
			}
			if got := attr(findInput(t, again, "/login/enroll", "mobile"), "value"); got != tt.mobile {
				t.Errorf("%q: form shown again with the number %q", tt.mobile, got)
			}
		}
	})
}

// TestEnrollSelectedCountryApplies checks that a number typed without a
// country code belongs to the selected country, not the office's.
func TestEnrollSelectedCountryApplies(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		office := e.office("PICKSEL", true)
		if err := e.store.SetOfficeSMSCountries(e.ctx, office.ID, []string{"NL", "BE"}, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t)
		p := e.enrollPage(t, b, office)

		p = b.submit(p, "/login/enroll", map[string]string{"country": "BE", "mobile": "0470 12 34 56"})
		if p.url.Path != "/login/code" {
			t.Fatalf("at %s (status %d, alert %q), want the code page", p.url.Path, p.status, alert(p))
		}
		const belgian = "+32470123456"
		if codes := e.codes(belgian); len(codes) != 1 {
			t.Fatalf("%d codes sent to %s, want 1", len(codes), belgian)
		}
		if codes := e.codes("+31470123456"); len(codes) != 0 {
			t.Errorf("%d codes sent to the number read as Dutch", len(codes))
		}
		if !strings.Contains(p.body, "+32") {
			t.Errorf("code page does not show the Belgian calling code:\n%s", p.body)
		}
	})
}
