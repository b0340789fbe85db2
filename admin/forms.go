package admin

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"twofold/login"
	"twofold/password"
	"twofold/phone"
	"twofold/storage"
)

// Field limits, the same as the command line's.
const (
	maxUsername = 128
	maxName     = 200
	maxEmail    = 254
	maxMobile   = 64
	// minPassword is the shortest password an administrator may set.
	minPassword = 12
)

// fieldErrors maps a form field's name to the English message shown under
// it. An empty map means the form is valid.
type fieldErrors map[string]string

// plainText reports whether s is valid UTF-8 without control characters.
func plainText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// checkName returns the trimmed name, or sets an error on the field.
func checkName(errs fieldErrors, field, value string) string {
	v := strings.TrimSpace(value)
	switch {
	case len(v) > maxName:
		errs[field] = "The name is too long: at most 200 characters."
	case !plainText(v):
		errs[field] = "The name contains characters that are not allowed."
	}
	return v
}

// checkEmail returns the trimmed address, which may be empty, or sets an
// error on the field. Only a bare address (no display name) is accepted.
func checkEmail(errs fieldErrors, field, value string) string {
	v := strings.TrimSpace(value)
	if v == "" {
		return ""
	}
	addr, err := mail.ParseAddress(v)
	if len(v) > maxEmail || err != nil || addr.Address != v || !plainText(v) {
		errs[field] = "Enter an email address such as name@example.com, or leave the field empty."
	}
	return v
}

// checkUsername returns the trimmed username, or sets an error.
func checkUsername(errs fieldErrors, field, value string) string {
	v := strings.TrimSpace(value)
	switch {
	case v == "":
		errs[field] = "Enter a username."
	case len(v) > maxUsername:
		errs[field] = "The username is too long: at most 128 characters."
	case !plainText(v) || strings.ContainsFunc(v, unicode.IsSpace):
		errs[field] = "A username cannot contain spaces or control characters."
	}
	return v
}

// checkRole returns the role a form names, or sets an error.
func checkRole(errs fieldErrors, field, value string) storage.Role {
	r := storage.Role(value)
	if !r.Valid() {
		errs[field] = "Choose a role."
	}
	return r
}

// checkPassword checks a new password and its repetition.
func checkPassword(errs fieldErrors, pw, again string) {
	switch {
	case utf8.RuneCountInString(pw) < minPassword:
		errs["password"] = "The password must be at least 12 characters long."
	case len(pw) > password.MaxLength || !utf8.ValidString(pw):
		errs["password"] = "The password is too long: at most 1024 bytes."
	case pw != again:
		errs["password_again"] = "The two passwords are not the same."
	}
}

// checkMobile parses a typed number with the selected country, as the
// sign-in's enrollment does, and returns it in E.164. An error message is
// in lang, because it may quote what was typed.
func checkMobile(errs fieldErrors, input, region, lang string) string {
	if len(input) > maxMobile {
		errs["mobile"] = "The number is too long."
		return ""
	}
	num, err := phone.Parse(input, region)
	if err != nil {
		errs["mobile"] = "Enter a valid mobile number."
		var perr *phone.Error
		if errors.As(err, &perr) {
			errs["mobile"] = perr.Message(lang)
		}
		return ""
	}
	return num.E164
}

// checkDestination adds an error when the office does not send codes to
// the number's country, so no number is saved that its owner could never
// confirm.
func (h *Handler) checkDestination(ctx context.Context, errs fieldErrors, officeID, e164 string) {
	if h.SendPolicy == nil || e164 == "" {
		return
	}
	err := h.SendPolicy.CheckDestination(ctx, officeID, e164)
	var derr *login.DestinationError
	if errors.As(err, &derr) {
		errs["mobile"] = derr.Message()
	}
}

// checkRegion returns the country a form selected, or the fallback when it
// names none that package phone supports.
func checkRegion(value, fallback string) string {
	v := strings.ToUpper(strings.TrimSpace(value))
	if len(v) != 2 || phone.CallingCode(v) == 0 {
		return fallback
	}
	return v
}
