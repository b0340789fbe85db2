package login

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
)

// Response modes twofold responds in (OAuth 2.0 Multiple Response Type
// Encoding Practices, section 2.1, and OAuth 2.0 Form Post Response Mode).
// The empty mode is query, the default of the code flow.
var responseModes = []string{"", string(oidc.ResponseModeQuery), string(oidc.ResponseModeFragment), string(oidc.ResponseModeFormPost)}

// formPostPage is the data of form_post.html: a form that a script file
// submits on load, with a button for browsers without JavaScript.
type formPostPage struct {
	Action string
	Fields []formField
}

type formField struct{ Name, Value string }

// respond sends an authorization response (a code or an error) to the
// client's redirect URI. It adds state when the request had one, byte for
// byte, and iss, the issuer, as RFC 9207 requires of a server that
// advertises authorization_response_iss_parameter_supported. The redirect
// URI must be one the client registered.
func (h *Handler) respond(w http.ResponseWriter, r *http.Request, redirectURI, mode, state string, params url.Values) {
	if state != "" {
		params.Set("state", state)
	}
	params.Set("iss", h.Issuer)
	switch mode {
	case string(oidc.ResponseModeFormPost):
		page := formPostPage{Action: redirectURI}
		for _, name := range []string{"code", "error", "error_description", "state", "iss"} {
			if v := params.Get(name); v != "" {
				page.Fields = append(page.Fields, formField{name, v})
			}
		}
		h.Pages.Render(w, r, http.StatusOK, "form_post.html", page)
	case string(oidc.ResponseModeFragment):
		u, err := url.Parse(redirectURI)
		if err != nil {
			h.fail(w, r, "parse redirect URI", err)
			return
		}
		u.RawFragment = params.Encode()
		u.Fragment, _ = url.PathUnescape(u.RawFragment)
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, u.String(), http.StatusFound)
	default:
		u, err := url.Parse(redirectURI)
		if err != nil {
			h.fail(w, r, "parse redirect URI", err)
			return
		}
		q := u.Query()
		for k, vs := range params {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
}

// errorDescription keeps the characters RFC 6749, section 4.1.2.1, allows
// in error_description (%x20-21 / %x23-5B / %x5D-7E) and drops the rest.
func errorDescription(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return -1
		}
		return r
	}, s)
}

// authorizeRewriter sits between the provider's authorization endpoint
// and the browser. An error redirect to the client's redirect URI is
// replaced by respond, which adds iss, restricts the description's
// characters and honours response_mode=form_post; every other response
// passes through unchanged.
type authorizeRewriter struct {
	http.ResponseWriter
	h           *Handler
	r           *http.Request
	redirectURI string
	mode, state string
	replaced    bool
}

func (a *authorizeRewriter) WriteHeader(status int) {
	if a.replaced {
		return
	}
	loc := a.Header().Get("Location")
	if status != http.StatusFound && status != http.StatusSeeOther || !strings.HasPrefix(loc, a.redirectURI) {
		a.ResponseWriter.WriteHeader(status)
		return
	}
	u, err := url.Parse(loc)
	if err != nil {
		a.ResponseWriter.WriteHeader(status)
		return
	}
	sent := u.Query()
	if frag, err := url.ParseQuery(u.RawFragment); err == nil && frag.Get("error") != "" {
		sent = frag
	}
	if sent.Get("error") == "" {
		a.ResponseWriter.WriteHeader(status)
		return
	}
	a.replaced = true
	a.Header().Del("Location")
	a.Header().Del("Content-Type")
	params := url.Values{"error": {sent.Get("error")}}
	if d := errorDescription(sent.Get("error_description")); d != "" {
		params.Set("error_description", d)
	}
	a.h.respond(a.ResponseWriter, a.r, a.redirectURI, a.mode, a.state, params)
}

func (a *authorizeRewriter) Write(b []byte) (int, error) {
	if a.replaced {
		return len(b), nil
	}
	return a.ResponseWriter.Write(b)
}

func (a *authorizeRewriter) Unwrap() http.ResponseWriter { return a.ResponseWriter }
