package server

import (
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"twofold/templates"
)

// rejectMalformed responds 400 to a request whose path, query, form body or
// Basic credentials hold invalid UTF-8 or a NUL byte. No identifier, code or
// field twofold accepts contains either, and PostgreSQL rejects both in
// text, so letting them through would turn hostile input into a database
// error and a 5xx.
func rejectMalformed(pages *templates.Pages) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := r.ParseForm(); err != nil {
				pages.Error(w, r, http.StatusBadRequest, "The request is malformed.")
				return
			}
			ok := clean(r.URL.Path) && cleanValues(r.Form)
			if user, pass, found := r.BasicAuth(); found {
				ok = ok && cleanCredential(user) && cleanCredential(pass)
			}
			if !ok {
				pages.Error(w, r, http.StatusBadRequest, "The request contains characters that are not allowed.")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func clean(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

func cleanValues(v url.Values) bool {
	for k, vs := range v {
		if !clean(k) {
			return false
		}
		for _, s := range vs {
			if !clean(s) {
				return false
			}
		}
	}
	return true
}

// cleanCredential checks a Basic credential after the URL decoding that
// OAuth 2.0 applies to it (RFC 6749, section 2.3.1).
func cleanCredential(s string) bool {
	if d, err := url.QueryUnescape(s); err == nil {
		s = d
	}
	return clean(s)
}

// staticFiles serves the embedded assets without directory listings.
func staticFiles(fsys fs.FS) http.Handler {
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
}
