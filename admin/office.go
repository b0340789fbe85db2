package admin

import (
	"errors"
	"net/http"

	"twofold/storage"
	"twofold/templates"
)

// officePage is the data of settings_office.html and settings_confirm.html.
type officePage struct {
	base
	TwoFactor string // "Yes" or "No"
	// Confirm describes the switch that the confirmation dialog (with
	// JavaScript) or page (without) asks about.
	Confirm confirmation
}

// confirmation is what switching the policy to On means for the office.
type confirmation struct {
	On          bool
	Value       string // the form value: yes or no
	Counts      storage.UserCounts
	WithoutCode int // users without a confirmed number
}

func (h *Handler) confirmation(r *http.Request, v *viewer, on bool) (confirmation, error) {
	counts, err := h.Store.CountUsers(r.Context(), v.office.ID)
	if err != nil {
		return confirmation{}, err
	}
	c := confirmation{On: on, Value: "no", Counts: counts, WithoutCode: counts.NoMobile + counts.Unconfirmed}
	if on {
		c.Value = "yes"
	}
	return c, nil
}

func (h *Handler) showOffice(w http.ResponseWriter, r *http.Request, v *viewer) {
	page := officePage{base: h.base(v, r, "general"), TwoFactor: yesNo(v.office.TwoFactor)}
	if v.superuser() {
		c, err := h.confirmation(r, v, !v.office.TwoFactor)
		if err != nil {
			h.fail(w, r, "count users", err)
			return
		}
		page.Confirm = c
	}
	h.render(w, r, http.StatusOK, "settings_office.html", page)
}

// postTwoFactor switches the office's policy. Without confirm=yes it only
// shows what the switch means and asks; confirm=no goes back unchanged.
// The office is the viewer's own, read in this request: a form cannot name
// another.
func (h *Handler) postTwoFactor(w http.ResponseWriter, r *http.Request, v *viewer) {
	if !v.superuser() {
		h.forbidden(w, r, v, "switch two-factor policy")
		return
	}
	var on bool
	switch r.PostFormValue("two_factor") {
	case "yes":
		on = true
	case "no":
		on = false
	default:
		h.Pages.Error(w, r, http.StatusBadRequest, "Choose Yes or No for two-factor authentication.")
		return
	}
	if on == v.office.TwoFactor {
		redirectDone(w, r, "/settings/office", "unchanged")
		return
	}
	switch r.PostFormValue("confirm") {
	case "":
		c, err := h.confirmation(r, v, on)
		if err != nil {
			h.fail(w, r, "count users", err)
			return
		}
		page := officePage{base: h.base(v, r, "general"), TwoFactor: yesNo(v.office.TwoFactor), Confirm: c}
		h.render(w, templates.WithReturnPath(r, "/settings/office"), http.StatusOK, "settings_confirm.html", page)
		return
	case "yes":
	default:
		redirectDone(w, r, "/settings/office", "unchanged")
		return
	}

	ev := h.event(v, storage.AuditTwoFactor, nil, onOff(!on), onOff(on))
	_, err := h.Store.SwitchOfficeTwoFactor(r.Context(), v.office.ID, on, ev)
	if errors.Is(err, storage.ErrStale) {
		redirectDone(w, r, "/settings/office", "unchanged")
		return
	}
	if err != nil {
		h.fail(w, r, "switch two-factor policy", err)
		return
	}
	h.Log.InfoContext(r.Context(), "office two-factor policy switched", "office_id", v.office.ID, "two_factor", on, "user_id", v.user.ID)
	if on {
		redirectDone(w, r, "/settings/office", "two-factor-on")
		return
	}
	redirectDone(w, r, "/settings/office", "two-factor-off")
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}
