package templates

import (
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// literalT finds the messages that templates pass to T as literals.
var literalT = regexp.MustCompile(`\{\{T "([^"]*)"`)

func TestCatalogCoversTemplates(t *testing.T) {
	names, err := fs.Glob(files, "*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		text, err := fs.ReadFile(files, name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range literalT.FindAllStringSubmatch(string(text), -1) {
			if _, ok := dutch[m[1]]; !ok {
				t.Errorf("%s: %q has no Dutch translation", name, m[1])
			}
		}
	}
}

var verbs = regexp.MustCompile(`%[ds]`)

func TestCatalogFormatsMatch(t *testing.T) {
	for key, nl := range dutch {
		if got, want := verbs.FindAllString(nl, -1), verbs.FindAllString(key, -1); strings.Join(got, "") != strings.Join(want, "") {
			t.Errorf("%q: translation has verbs %v, want %v", key, got, want)
		}
		if strings.Count(nl, "%") != len(verbs.FindAllString(nl, -1)) {
			t.Errorf("%q: translation has a %% that is no verb", key)
		}
	}
}

func TestTranslate(t *testing.T) {
	tests := []struct {
		lang, msg string
		args      []any
		want      string
	}{
		{"nl", "Yes", nil, "Ja"},
		{"en", "Yes", nil, "Yes"},
		{"nl", "Users: %d", []any{3}, "Gebruikers: 3"},
		{"nl", "The code is incorrect. 3 attempts left.", nil, "De code klopt niet. Je kunt het nog 3 keer proberen."},
		{"nl", "The code is incorrect. 1 attempt left.", nil, "De code klopt niet. Je kunt het nog 1 keer proberen."},
		{"nl", "not in the catalogue, 100% and 3 things", nil, "not in the catalogue, 100% and 3 things"},
		{"fr", "Yes", nil, "Yes"},
	}
	for _, tc := range tests {
		if got := Translate(tc.lang, tc.msg, tc.args...); got != tc.want {
			t.Errorf("Translate(%s, %q, %v) = %q, want %q", tc.lang, tc.msg, tc.args, got, tc.want)
		}
	}
}

func TestTranslateHTMLEscapes(t *testing.T) {
	got := translateHTML("en", "Signed in as %s", `<script>"x"</script>`)
	if strings.Contains(string(got), "<script>") {
		t.Errorf("argument not escaped: %s", got)
	}
	got = translateHTML("nl", "We sent a 6-digit code by SMS to %s.", template.HTML(`<strong class="number">+31 6</strong>`))
	if want := `per sms gestuurd naar <strong class="number">+31 6</strong>.`; !strings.Contains(string(got), want) {
		t.Errorf("HTML argument: got %s, want it to contain %s", got, want)
	}
	got = translateHTML("en", `a message from code with <b>markup</b> & 5% in it`)
	if string(got) != `a message from code with &lt;b&gt;markup&lt;/b&gt; &amp; 5% in it` {
		t.Errorf("message not escaped as text: %s", got)
	}
}

func TestLanguage(t *testing.T) {
	p := &Pages{UILocales: func(r *http.Request) []string {
		if r.URL.Query().Get("id") == "dutch-request" {
			return []string{"nl-BE"}
		}
		return nil
	}}
	tests := []struct {
		name, url, cookie, accept, want string
	}{
		{"default", "/login", "", "", "en"},
		{"accept-language", "/login", "", "nl-NL,nl;q=0.9,en;q=0.5", "nl"},
		{"accept-language unsupported", "/login", "", "fr-FR", "en"},
		{"ui_locales in the query", "/settings?ui_locales=de+nl", "", "en", "nl"},
		{"ui_locales of the request", "/login?id=dutch-request", "", "en", "nl"},
		{"cookie wins", "/login?id=dutch-request", "en", "nl", "en"},
		{"bad cookie ignored", "/login", "xx", "nl", "nl"},
	}
	for _, tc := range tests {
		r := httptest.NewRequest(http.MethodGet, tc.url, nil)
		if tc.cookie != "" {
			r.AddCookie(&http.Cookie{Name: LanguageCookie, Value: tc.cookie})
		}
		if tc.accept != "" {
			r.Header.Set("Accept-Language", tc.accept)
		}
		if got := p.Language(r); got != tc.want {
			t.Errorf("%s: Language = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestLanguageHandler(t *testing.T) {
	h := LanguageHandler(false)
	tests := []struct {
		query, location, cookie string
	}{
		{"lang=nl&return=%2Flogin%3Fid%3Dabc", "/login?id=abc", "nl"},
		{"lang=en&return=%2F%2Fevil.example", "/", "en"},
		{"lang=en&return=https%3A%2F%2Fevil.example%2F", "/", "en"},
		{"lang=en&return=%2F%5Cevil.example", "/", "en"},
		{"lang=xx&return=%2Fsettings", "/settings", ""},
	}
	for _, tc := range tests {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/language?"+tc.query, nil))
		if got := w.Header().Get("Location"); got != tc.location {
			t.Errorf("%s: Location = %q, want %q", tc.query, got, tc.location)
		}
		cookie := ""
		for _, c := range w.Result().Cookies() {
			if c.Name == LanguageCookie {
				cookie = c.Value
			}
		}
		if cookie != tc.cookie {
			t.Errorf("%s: cookie = %q, want %q", tc.query, cookie, tc.cookie)
		}
	}
}

func TestRenderInDutch(t *testing.T) {
	p, err := Load(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/login?id=x", nil)
	r.Header.Set("Accept-Language", "nl")
	w := httptest.NewRecorder()
	p.Error(w, r, http.StatusNotFound, "This sign-in link is not valid. Go back to the application and sign in again.")
	body := w.Body.String()
	for _, want := range []string{`<html lang="nl">`, "Niet gevonden", "Deze inloglink is niet geldig", `href="/language?lang=en&amp;return=%2Flogin%3Fid%3Dx"`} {
		if !strings.Contains(body, want) {
			t.Errorf("Dutch error page lacks %s:\n%s", want, body)
		}
	}
	if got := w.Header().Get("Content-Language"); got != "nl" {
		t.Errorf("Content-Language = %q, want nl", got)
	}
}
