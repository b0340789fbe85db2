package admin

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"twofold/storage"
	"twofold/templates"
)

// activityPageSize is how many events the Activity tab shows at once.
const activityPageSize = 50

// activityRow is one event as the Activity tab shows it, in the page's
// language.
type activityRow struct {
	At            time.Time
	Actor, Target string
	Action        string
	Old, New      string
}

type activityPage struct {
	base
	Events []activityRow
	Older  string // the URL of the next page, if there is one
}

func (h *Handler) showActivity(w http.ResponseWriter, r *http.Request, v *viewer) {
	if !v.superuser() {
		h.forbidden(w, r, v, "read activity")
		return
	}
	before, err := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	if err != nil || before < 0 {
		before = 0
	}
	events, err := h.Store.ListAudit(r.Context(), v.office.ID, before, activityPageSize+1)
	if err != nil {
		h.fail(w, r, "list activity", err)
		return
	}
	page := activityPage{base: h.base(v, r, "activity")}
	if len(events) > activityPageSize {
		events = events[:activityPageSize]
		page.Older = "/settings/activity?before=" + strconv.FormatInt(events[len(events)-1].Seq, 10)
	}
	for _, ev := range events {
		page.Events = append(page.Events, activityRow{
			At: ev.At, Actor: ev.ActorName, Target: ev.TargetName,
			Action: templates.Translate(v.lang, ActionLabel(ev.Action)),
			Old:    valueText(v.lang, ev.Action, ev.Old),
			New:    valueText(v.lang, ev.Action, ev.New),
		})
	}
	h.render(w, r, http.StatusOK, "settings_activity.html", page)
}

// ActionLabel is the English name of an audit action.
func ActionLabel(a storage.AuditAction) string {
	switch a {
	case storage.AuditTwoFactor:
		return "Two-factor authentication"
	case storage.AuditUserCreate:
		return "User created"
	case storage.AuditRole:
		return "Role"
	case storage.AuditMobile:
		return "Mobile number"
	case storage.AuditProfile:
		return "Name and email"
	case storage.AuditPassword:
		return "Password set"
	}
	return string(a)
}

// ValueLabel is the English text of a recorded value: Yes or No for the
// policy, the role's name for roles, and the value itself otherwise.
func ValueLabel(a storage.AuditAction, value string) string {
	switch {
	case a == storage.AuditTwoFactor && value == "on":
		return "Yes"
	case a == storage.AuditTwoFactor && value == "off":
		return "No"
	case a == storage.AuditRole || a == storage.AuditUserCreate:
		if value != "" {
			return roleLabel(storage.Role(value))
		}
	}
	return value
}

// valueText writes a recorded value in lang. A number's state, recorded
// after it in brackets, is translated on its own.
func valueText(lang string, a storage.AuditAction, value string) string {
	for _, state := range []string{" (confirmed)", " (unconfirmed)"} {
		if number, ok := strings.CutSuffix(value, state); ok && a == storage.AuditMobile {
			return number + " " + templates.Translate(lang, strings.TrimSpace(state))
		}
	}
	return templates.Translate(lang, ValueLabel(a, value))
}
