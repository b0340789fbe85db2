// Package templates holds twofold's pages as html/template files and their
// static assets, embedded in the binary.
package templates

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
)

//go:embed *.html static
var files embed.FS

// Static returns the static assets (CSS, scripts) for serving under /static/.
func Static() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err)
	}
	return sub
}

// Pages renders the page templates. Each page is parsed together with
// layout.html, which defines the document around the page's "content".
type Pages struct {
	pages map[string]*template.Template
	log   *slog.Logger

	// UILocales, when set, returns the ui_locales of the authorization
	// request that r continues, for pages whose URL does not carry them.
	UILocales func(r *http.Request) []string
}

// funcs are the template functions. Render replaces them with ones bound
// to the request; these stand in at parse time.
func funcs(r *http.Request, lang string) template.FuncMap {
	return template.FuncMap{
		"T":    func(msg string, args ...any) template.HTML { return translateHTML(lang, msg, args...) },
		"lang": func() string { return lang },
		"languages": func() []LanguageLink {
			if r == nil {
				return nil
			}
			return languageLinks(r, lang)
		},
		"number": func(s string) template.HTML {
			return template.HTML(`<strong class="number">` + template.HTMLEscapeString(s) + `</strong>`)
		},
	}
}

// Load parses every page at start, so a broken template stops the program
// before it serves anything. Files whose names start with "_" hold
// definitions that every page can use; they are not pages themselves.
func Load(log *slog.Logger) (*Pages, error) {
	names, err := fs.Glob(files, "*.html")
	if err != nil {
		return nil, err
	}
	partials, err := fs.Glob(files, "_*.html")
	if err != nil {
		return nil, err
	}
	p := &Pages{pages: map[string]*template.Template{}, log: log}
	for _, name := range names {
		if name == "layout.html" || strings.HasPrefix(name, "_") {
			continue
		}
		patterns := append([]string{"layout.html", name}, partials...)
		t, err := template.New(name).Funcs(funcs(nil, "en")).ParseFS(files, patterns...)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		p.pages[name] = t
	}
	return p, nil
}

// Render writes the page with the status. The page is rendered into a
// buffer first, so a template error becomes a clean error response rather
// than half a page.
func (p *Pages) Render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	t, ok := p.pages[name]
	if !ok {
		p.log.ErrorContext(r.Context(), "unknown template", "template", name)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	// A clone gets functions bound to this request; the parsed original
	// is never executed, so it can be cloned again.
	t, err := t.Clone()
	if err != nil {
		p.log.ErrorContext(r.Context(), "clone template", "template", name, "error", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	lang := p.Language(r)
	t.Funcs(funcs(r, lang))
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", data); err != nil {
		p.log.ErrorContext(r.Context(), "render template", "template", name, "error", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", lang)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// ErrorPage is the data of error.html.
type ErrorPage struct {
	Title   string
	Message string
}

// Error renders the plain error page.
func (p *Pages) Error(w http.ResponseWriter, r *http.Request, status int, message string) {
	p.Render(w, r, status, "error.html", ErrorPage{Title: http.StatusText(status), Message: message})
}
