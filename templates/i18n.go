package templates

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"
)

// Languages the pages are written in. The English text of every message is
// its key (as with gettext's msgid), so English needs no catalogue and a
// message missing from a catalogue shows in English.
var languages = []struct {
	Code, Name string
	Catalog    map[string]string
}{
	{"en", "English", nil},
	{"nl", "Nederlands", dutch},
}

// LanguageCookie holds the language a person chose with the switch on
// every page. It outranks ui_locales and Accept-Language.
const LanguageCookie = "twofold_lang"

const languageCookieMaxAge = 365 * 24 * time.Hour

var languageMatcher = language.NewMatcher([]language.Tag{language.English, language.Dutch})

// supported reports whether code is one of the page languages.
func supported(code string) bool {
	for _, l := range languages {
		if l.Code == code {
			return true
		}
	}
	return false
}

// Language returns the language of the pages for r: the switch's cookie,
// then the first supported language of ui_locales (the request's query or
// the hook UILocales), then Accept-Language, then English.
func (p *Pages) Language(r *http.Request) string {
	if c, err := r.Cookie(LanguageCookie); err == nil && supported(c.Value) {
		return c.Value
	}
	locales := strings.Fields(r.URL.Query().Get("ui_locales"))
	if len(locales) == 0 && p.UILocales != nil {
		locales = p.UILocales(r)
	}
	for _, l := range locales {
		if len(l) > 35 {
			continue
		}
		tag, err := language.Parse(l)
		if err != nil {
			continue
		}
		if base, _ := tag.Base(); supported(base.String()) {
			return base.String()
		}
	}
	if accept := r.Header.Get("Accept-Language"); accept != "" && len(accept) <= 512 {
		tags, _, err := language.ParseAcceptLanguage(accept)
		if err == nil && len(tags) > 0 {
			_, i, confidence := languageMatcher.Match(tags...)
			if confidence >= language.High {
				return languages[i].Code
			}
		}
	}
	return "en"
}

// numberPattern finds the first run of digits in a message, for looking up
// messages that code formatted with a count.
var numberPattern = regexp.MustCompile(`[0-9]+`)

// Translate returns the message in lang, formatted with args as fmt.Sprintf
// does. A message that is not in the catalogue is returned as it is. A
// message without args that is not in the catalogue either is looked up
// once more with its first number replaced by %d, so text that code
// formatted already ("3 attempts left") still finds its entry.
func Translate(lang, msg string, args ...any) string {
	return fmt.Sprintf(lookup(lang, msg, &args), args...)
}

// lookup returns the format for msg in lang, and may set *args to the
// number it took out of msg.
func lookup(lang, msg string, args *[]any) string {
	var catalog map[string]string
	for _, l := range languages {
		if l.Code == lang {
			catalog = l.Catalog
		}
	}
	if t, ok := catalog[msg]; ok {
		return t
	}
	if len(*args) == 0 {
		if loc := numberPattern.FindStringIndex(msg); loc != nil {
			if t, ok := catalog[msg[:loc[0]]+"%d"+msg[loc[1]:]]; ok {
				n, err := strconv.Atoi(msg[loc[0]:loc[1]])
				if err == nil {
					*args = []any{n}
					return t
				}
			}
		}
		// No args: the message is not a format, so a % in it stays as it is.
		return strings.ReplaceAll(msg, "%", "%%")
	}
	return msg
}

// translateHTML is the template function T. The format is escaped as text,
// and so is every argument except a template.HTML one, which is inserted
// as it is.
func translateHTML(lang, msg string, args ...any) template.HTML {
	format := template.HTMLEscapeString(lookup(lang, msg, &args))
	safe := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case template.HTML:
			safe[i] = string(v)
		case int, int64:
			safe[i] = v
		default:
			safe[i] = template.HTMLEscapeString(fmt.Sprint(v))
		}
	}
	return template.HTML(fmt.Sprintf(format, safe...))
}

// LanguageLink is one entry of the language switch.
type LanguageLink struct {
	Code, Name, URL string
	Current         bool
}

// languageLinks returns the switch's links for r, each returning to the
// page r shows.
func languageLinks(r *http.Request, current string) []LanguageLink {
	back := returnPath(r)
	links := make([]LanguageLink, 0, len(languages))
	for _, l := range languages {
		q := url.Values{"lang": {l.Code}, "return": {back}}
		links = append(links, LanguageLink{
			Code: l.Code, Name: l.Name, URL: "/language?" + q.Encode(), Current: l.Code == current,
		})
	}
	return links
}

// returnPath is where the language switch leads back to: the URL of a GET,
// and for a page rendered in response to a POST the same path with the form's
// id (the sign-in pages carry their request in it), unless the handler set
// another path with WithReturnPath.
func returnPath(r *http.Request) string {
	if p, ok := r.Context().Value(returnPathKey{}).(string); ok {
		return p
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return r.URL.RequestURI()
	}
	if id := r.PostFormValue("id"); id != "" && len(id) <= 128 {
		return r.URL.Path + "?id=" + url.QueryEscape(id)
	}
	return r.URL.Path
}

type returnPathKey struct{}

// localPath reports whether p is a path on this server: it starts with one
// slash and has neither scheme nor host, so a redirect to it stays here.
func localPath(p string) bool {
	// Browsers read a backslash as a slash, and http.Redirect cleans the
	// path, so "/./" followed by a backslash and a host becomes a path that
	// leaves this server. Any backslash is rejected, and so is a path that
	// starts with two slashes before or after cleaning.
	if !strings.HasPrefix(p, "/") || strings.ContainsRune(p, '\\') || len(p) > 2048 {
		return false
	}
	if clean := path.Clean(p); strings.HasPrefix(clean, "//") || strings.HasPrefix(p, "//") {
		return false
	}
	u, err := url.Parse(p)
	return err == nil && u.Scheme == "" && u.Host == "" && !strings.ContainsAny(p, "\r\n")
}

// LanguageHandler serves GET /language?lang=CODE&return=PATH: it stores the
// choice in a cookie and redirects to PATH, a path on this server (any
// other value leads to /).
func LanguageHandler(secure bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if code := q.Get("lang"); supported(code) {
			http.SetCookie(w, &http.Cookie{
				Name: LanguageCookie, Value: code, Path: "/", MaxAge: int(languageCookieMaxAge.Seconds()),
				HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
			})
		}
		back := q.Get("return")
		if !localPath(back) {
			back = "/"
		}
		http.Redirect(w, r, back, http.StatusSeeOther)
	})
}

// WithReturnPath returns r with the path the language switch on its page
// leads back to, for pages rendered in response to a POST whose path has no
// GET.
func WithReturnPath(r *http.Request, path string) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), returnPathKey{}, path))
}
