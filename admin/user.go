package admin

import (
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"

	"twofold/countrypicker"
	"twofold/phone"
	"twofold/storage"
	"twofold/templates"
)

// access is what the viewer may do on one user's page.
type access struct {
	Self         bool
	EditProfile  bool
	EditRole     bool
	SetPassword  bool
	EnterMobile  bool // save a number unconfirmed, for someone else
	ChangeOwn    bool // change one's own number with a code
	ClearOwn     bool // remove one's own number: only while the office does not require it
	SeeFullPhone bool
}

// accessTo decides the viewer's permissions on target, a user of the same
// office. An Accountant does not manage super users, whose numbers guard
// the office's policy. One's own number is saved only after its code.
func accessTo(v *viewer, target *storage.User) access {
	self := target.ID == v.user.ID
	managed := v.superuser() ||
		(v.user.Role == storage.RoleAccountant && target.Role != storage.RoleSuperuser)
	a := access{
		Self:        self,
		EditProfile: self || managed,
		EditRole:    v.superuser(),
		SetPassword: v.superuser() && !self,
		EnterMobile: managed && !self,
		ChangeOwn:   self,
		ClearOwn:    self && !v.office.TwoFactor && target.Mobile != "",
	}
	a.SeeFullPhone = self || a.EnterMobile
	return a
}

// loadTarget returns the user named in the path when the viewer may see
// them: users of another office are not found, and a User sees only
// themselves.
func (h *Handler) loadTarget(w http.ResponseWriter, r *http.Request, v *viewer) *storage.User {
	id := chi.URLParam(r, "id")
	if id == v.user.ID {
		return v.user
	}
	if id == "" || len(id) > 128 {
		h.notFound(w, r)
		return nil
	}
	u, err := h.Store.UserByID(r.Context(), id)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && u.OfficeID != v.office.ID) {
		h.notFound(w, r)
		return nil
	}
	if err != nil {
		h.fail(w, r, "load user", err)
		return nil
	}
	if !v.managesUsers() {
		h.forbidden(w, r, v, "open another user's settings")
		return nil
	}
	return u
}

// userPage is the data of settings_user.html.
type userPage struct {
	base
	Target      *storage.User
	Access      access
	RoleLabel   string
	MobileState string
	Mobile      string // in full or masked, as Access allows
	Pending     string // the masked new number awaiting its code, if any
	TwoFactor   string // the office's policy: Yes or No

	// Form values shown again after an error.
	Name, Email, Role, MobileInput string
	Picker                         countrypicker.Picker
	Errors                         fieldErrors
}

func (h *Handler) userPage(r *http.Request, v *viewer, target *storage.User) (userPage, error) {
	a := accessTo(v, target)
	tab := "users"
	if a.Self {
		tab = "me"
	}
	page := userPage{
		base: h.base(v, r, tab), Target: target, Access: a,
		RoleLabel: roleLabel(target.Role), MobileState: mobileState(target),
		TwoFactor: yesNo(v.office.TwoFactor),
		Name:      target.Name, Email: target.Email, Role: string(target.Role),
		Errors: fieldErrors{},
	}
	region := v.office.Country
	if target.Mobile != "" {
		page.Mobile = phone.Mask(target.Mobile)
		if a.SeeFullPhone {
			page.Mobile = phone.FormatInternational(target.Mobile)
		}
		region = phone.RegionFromInput(target.Mobile, v.office.Country)
	}
	if a.ChangeOwn || a.EnterMobile {
		page.Picker = h.picker(r, v, region)
	}
	if a.Self {
		m, err := h.Store.MobileChangeByUser(r.Context(), target.ID)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return page, err
		}
		if m != nil && m.Pending() {
			page.Pending = phone.Mask(m.Mobile)
		}
	}
	return page, nil
}

func (h *Handler) showUser(w http.ResponseWriter, r *http.Request, v *viewer) {
	target := h.loadTarget(w, r, v)
	if target == nil {
		return
	}
	page, err := h.userPage(r, v, target)
	if err != nil {
		h.fail(w, r, "load user page", err)
		return
	}
	h.render(w, r, http.StatusOK, "settings_user.html", page)
}

// renderUserErrors shows the user's page again with errors on fields.
func (h *Handler) renderUserErrors(w http.ResponseWriter, r *http.Request, v *viewer, target *storage.User, status int, edit func(p *userPage)) {
	page, err := h.userPage(r, v, target)
	if err != nil {
		h.fail(w, r, "load user page", err)
		return
	}
	edit(&page)
	h.render(w, templates.WithReturnPath(r, userPath(target.ID)), status, "settings_user.html", page)
}

// stale renders the error page for a change that lost a race with another one.
func (h *Handler) stale(w http.ResponseWriter, r *http.Request) {
	h.Pages.Error(w, r, http.StatusConflict, "Someone else changed this user meanwhile. Open the page again, check the values and repeat your change.")
}

// postProfile saves the name and email, and reads no other field.
func (h *Handler) postProfile(w http.ResponseWriter, r *http.Request, v *viewer) {
	target := h.loadTarget(w, r, v)
	if target == nil {
		return
	}
	if !accessTo(v, target).EditProfile {
		h.forbidden(w, r, v, "edit profile")
		return
	}
	errs := fieldErrors{}
	name := checkName(errs, "name", r.PostFormValue("name"))
	email := checkEmail(errs, "email", r.PostFormValue("email"))
	if len(errs) > 0 {
		h.renderUserErrors(w, r, v, target, http.StatusBadRequest, func(p *userPage) {
			p.Name, p.Email, p.Errors = name, email, errs
		})
		return
	}
	if name == target.Name && email == target.Email {
		redirectDone(w, r, userPath(target.ID), "unchanged")
		return
	}
	ev := h.event(v, storage.AuditProfile, target, profileText(target.Name, target.Email), profileText(name, email))
	err := h.Store.UpdateUserProfile(r.Context(), target.ID, target.Name, target.Email, name, email, ev)
	if errors.Is(err, storage.ErrStale) {
		h.stale(w, r)
		return
	}
	if err != nil {
		h.fail(w, r, "update profile", err)
		return
	}
	redirectDone(w, r, userPath(target.ID), "profile")
}

func profileText(name, email string) string {
	if email == "" {
		return name
	}
	return name + " <" + email + ">"
}

// postRole sets the role. The storage keeps at least one super user.
func (h *Handler) postRole(w http.ResponseWriter, r *http.Request, v *viewer) {
	target := h.loadTarget(w, r, v)
	if target == nil {
		return
	}
	if !accessTo(v, target).EditRole {
		h.forbidden(w, r, v, "set role")
		return
	}
	errs := fieldErrors{}
	role := checkRole(errs, "role", r.PostFormValue("role"))
	if len(errs) > 0 {
		h.renderUserErrors(w, r, v, target, http.StatusBadRequest, func(p *userPage) { p.Errors = errs })
		return
	}
	if role == target.Role {
		redirectDone(w, r, userPath(target.ID), "unchanged")
		return
	}
	ev := h.event(v, storage.AuditRole, target, string(target.Role), string(role))
	err := h.Store.SetUserRole(r.Context(), target.ID, target.Role, role, ev)
	switch {
	case errors.Is(err, storage.ErrLastSuperuser):
		h.renderUserErrors(w, r, v, target, http.StatusConflict, func(p *userPage) {
			p.Errors = fieldErrors{"role": "The office must keep at least one super user. Make someone else a super user first."}
		})
		return
	case errors.Is(err, storage.ErrStale):
		h.stale(w, r)
		return
	case err != nil:
		h.fail(w, r, "set role", err)
		return
	}
	h.Log.InfoContext(r.Context(), "role changed", "user_id", target.ID, "role", role, "by", v.user.ID)
	redirectDone(w, r, userPath(target.ID), "role")
}

// postPassword sets a new password for another user and ends their
// sessions, so whoever knew the old one is signed out.
func (h *Handler) postPassword(w http.ResponseWriter, r *http.Request, v *viewer) {
	target := h.loadTarget(w, r, v)
	if target == nil {
		return
	}
	if !accessTo(v, target).SetPassword {
		h.forbidden(w, r, v, "set password")
		return
	}
	errs := fieldErrors{}
	pw := r.PostFormValue("password")
	checkPassword(errs, pw, r.PostFormValue("password_again"))
	if len(errs) > 0 {
		h.renderUserErrors(w, r, v, target, http.StatusBadRequest, func(p *userPage) { p.Errors = errs })
		return
	}
	hash, err := h.Hasher.Hash(r.Context(), pw)
	if err != nil {
		h.fail(w, r, "hash password", err)
		return
	}
	ev := h.event(v, storage.AuditPassword, target, "", "")
	if err := h.Store.SetUserPassword(r.Context(), target.ID, hash, ev); err != nil {
		h.fail(w, r, "set password", err)
		return
	}
	h.Log.InfoContext(r.Context(), "password set by an administrator", "user_id", target.ID, "by", v.user.ID)
	redirectDone(w, r, userPath(target.ID), "password")
}
