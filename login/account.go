package login

import (
	"net/http"
	"time"

	"twofold/storage"
)

// sessionsPage is the data of sessions.html.
type sessionsPage struct {
	CSRF     string
	Name     string
	Sessions []sessionRow
	Notice   string
}

// sessionRow is one session on the user's own page. It is named by its
// sid, never by its id, which is the secret inside the session cookie.
type sessionRow struct {
	SID      string
	Current  bool
	SignedIn time.Time
	LastSeen time.Time
	WithSMS  bool
	Apps     []string
}

// AccountRoutes mounts the user's own session page.
//
//	GET  /account/sessions          the user's active sessions and their applications
//	POST /account/sessions/end      sign out of one session (sid) or of all (all=1)
func (h *Handler) AccountRoutes(mux interface {
	Get(pattern string, fn http.HandlerFunc)
	Post(pattern string, fn http.HandlerFunc)
}) {
	mux.Get("/account/sessions", h.showSessions)
	mux.Post("/account/sessions/end", h.endSessions)
}

func (h *Handler) showSessions(w http.ResponseWriter, r *http.Request) {
	current := h.browserSession(r)
	if current == nil {
		h.Pages.Error(w, r, http.StatusUnauthorized, "You are not signed in with twofold in this browser. Sign in through one of your applications first.")
		return
	}
	ctx := r.Context()
	user, err := h.Store.UserByID(ctx, current.UserID)
	if err != nil {
		h.fail(w, r, "load user", err)
		return
	}
	sessions, err := h.Store.UserSessions(ctx, user.ID, h.Now())
	if err != nil {
		h.fail(w, r, "list sessions", err)
		return
	}
	browserID, err := h.Cookies.EnsureBrowser(w, r)
	if err != nil {
		h.fail(w, r, "set browser cookie", err)
		return
	}
	page := sessionsPage{CSRF: h.Cookies.CSRFToken(browserID), Name: user.Name}
	if page.Name == "" {
		page.Name = user.Username
	}
	if r.URL.Query().Get("ended") == "1" {
		page.Notice = "The session was signed out. The applications it signed into have been told."
	}
	for _, s := range sessions {
		row := sessionRow{SID: SessionSID(s.ID), Current: s.ID == current.ID, SignedIn: s.AuthTime,
			LastSeen: s.LastSeenAt, WithSMS: PassedSMS(s.AMR)}
		clients, err := h.Store.SessionClients(ctx, s.ID)
		if err != nil {
			h.fail(w, r, "list session clients", err)
			return
		}
		for _, sc := range clients {
			name := sc.ClientID
			if c, err := h.Store.ClientByID(ctx, sc.ClientID); err == nil {
				name = c.Name
			}
			row.Apps = append(row.Apps, name)
		}
		page.Sessions = append(page.Sessions, row)
	}
	h.Pages.Render(w, r, http.StatusOK, "sessions.html", page)
}

// endSessions signs out of the session the form names by sid, or of every
// session of the user. Ending the browser's own session also removes its
// cookie and shows the signed-out page.
func (h *Handler) endSessions(w http.ResponseWriter, r *http.Request) {
	if !h.Cookies.CheckCSRF(r) {
		h.Pages.Error(w, r, http.StatusForbidden, "This form has expired or was not sent by this browser. Open the sessions page again.")
		return
	}
	current := h.browserSession(r)
	if current == nil {
		h.Pages.Error(w, r, http.StatusUnauthorized, "You are not signed in with twofold in this browser.")
		return
	}
	ctx := r.Context()
	sessions, err := h.Store.UserSessions(ctx, current.UserID, h.Now())
	if err != nil {
		h.fail(w, r, "list sessions", err)
		return
	}
	all, sid := r.PostFormValue("all") == "1", r.PostFormValue("sid")
	var ended []storage.Session
	for _, s := range sessions {
		if all || SessionSID(s.ID) == sid {
			ended = append(ended, s)
		}
	}
	if len(ended) == 0 {
		h.Pages.Error(w, r, http.StatusNotFound, "That session has already ended. Open the sessions page again.")
		return
	}
	signedOutHere := false
	for i := range ended {
		h.endSession(ctx, &ended[i])
		signedOutHere = signedOutHere || ended[i].ID == current.ID
	}
	if signedOutHere {
		h.Cookies.ClearSession(w)
		h.Pages.Render(w, r, http.StatusOK, "signed_out.html", nil)
		return
	}
	http.Redirect(w, r, "/account/sessions?ended=1", http.StatusSeeOther)
}
