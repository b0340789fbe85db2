package admin

import (
	"errors"
	"net/http"

	"twofold/countrypicker"
	"twofold/phone"
	"twofold/storage"
	"twofold/templates"
)

// userRow is one line of the Users tab.
type userRow struct {
	ID, Username, Name string
	Role               string // English label
	MobileState        string // None, Unconfirmed or Confirmed
	Self               bool
}

type usersPage struct {
	base
	Users  []userRow
	Counts storage.UserCounts
}

func (h *Handler) showUsers(w http.ResponseWriter, r *http.Request, v *viewer) {
	if !v.managesUsers() {
		h.forbidden(w, r, v, "list users")
		return
	}
	users, err := h.Store.ListUsers(r.Context(), v.office.ID)
	if err != nil {
		h.fail(w, r, "list users", err)
		return
	}
	page := usersPage{base: h.base(v, r, "users")}
	page.Counts.Total = len(users)
	for i := range users {
		u := &users[i]
		page.Users = append(page.Users, userRow{
			ID: u.ID, Username: u.Username, Name: u.Name, Role: roleLabel(u.Role),
			MobileState: mobileState(u), Self: u.ID == v.user.ID,
		})
		switch {
		case u.Mobile == "":
			page.Counts.NoMobile++
		case !u.MobileConfirmed:
			page.Counts.Unconfirmed++
		}
	}
	h.render(w, r, http.StatusOK, "settings_users.html", page)
}

// newUserPage is the data of settings_new_user.html.
type newUserPage struct {
	base
	Username, Name, Email, Role, Mobile string
	Picker                              countrypicker.Picker
	Errors                              fieldErrors
}

func (h *Handler) newUserPage(r *http.Request, v *viewer) newUserPage {
	return newUserPage{
		base: h.base(v, r, "users"), Role: string(storage.RoleUser),
		Picker: h.picker(r, v, v.office.Country), Errors: fieldErrors{},
	}
}

func (h *Handler) showNewUser(w http.ResponseWriter, r *http.Request, v *viewer) {
	if !v.superuser() {
		h.forbidden(w, r, v, "create user")
		return
	}
	h.render(w, r, http.StatusOK, "settings_new_user.html", h.newUserPage(r, v))
}

// postNewUser creates a user of the viewer's office. A number entered here
// is saved unconfirmed, like any number an administrator enters.
func (h *Handler) postNewUser(w http.ResponseWriter, r *http.Request, v *viewer) {
	if !v.superuser() {
		h.forbidden(w, r, v, "create user")
		return
	}
	page := h.newUserPage(r, v)
	errs := page.Errors
	page.Username = checkUsername(errs, "username", r.PostFormValue("username"))
	page.Name = checkName(errs, "name", r.PostFormValue("name"))
	page.Email = checkEmail(errs, "email", r.PostFormValue("email"))
	page.Role = string(checkRole(errs, "role", r.PostFormValue("role")))
	pw := r.PostFormValue("password")
	checkPassword(errs, pw, r.PostFormValue("password_again"))
	region := checkRegion(r.PostFormValue("country"), v.office.Country)
	var mobile string
	if input := r.PostFormValue("mobile"); input != "" {
		if len(input) <= maxMobile {
			page.Mobile = input
			region = phone.RegionFromInput(input, region)
		}
		mobile = checkMobile(errs, input, region, v.lang)
		h.checkDestination(r.Context(), errs, v.office.ID, mobile)
	}
	page.Picker = h.picker(r, v, region)
	if len(errs) > 0 {
		h.render(w, templates.WithReturnPath(r, "/settings/users/new"), http.StatusBadRequest, "settings_new_user.html", page)
		return
	}

	ctx := r.Context()
	hash, err := h.Hasher.Hash(ctx, pw)
	if err != nil {
		h.fail(w, r, "hash password", err)
		return
	}
	now := h.Now()
	u := &storage.User{
		ID: randomString()[:22], OfficeID: v.office.ID, Username: page.Username, Name: page.Name,
		Email: page.Email, Role: storage.Role(page.Role), PasswordHash: hash, Mobile: mobile,
		CreatedAt: now, UpdatedAt: now,
	}
	events := []storage.AuditEvent{h.event(v, storage.AuditUserCreate, u, "", string(u.Role))}
	if mobile != "" {
		events = append(events, h.event(v, storage.AuditMobile, u, "", phone.Mask(mobile)+" (unconfirmed)"))
	}
	err = h.Store.CreateOfficeUser(ctx, u, events...)
	if errors.Is(err, storage.ErrConflict) {
		errs["username"] = "This username is taken in your office."
		h.render(w, templates.WithReturnPath(r, "/settings/users/new"), http.StatusConflict, "settings_new_user.html", page)
		return
	}
	if err != nil {
		h.fail(w, r, "create user", err)
		return
	}
	h.Log.InfoContext(ctx, "user created", "user_id", u.ID, "office_id", v.office.ID, "role", u.Role, "by", v.user.ID)
	redirectDone(w, r, userPath(u.ID), "created")
}
