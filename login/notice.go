package login

import (
	"context"
	"errors"
	"net/http"

	"twofold/phone"
	"twofold/storage"
)

// policyNotice reports whether the SMS step is to show the user the notice
// that their office now requires a code by SMS. A failed lookup shows no
// notice: it is information, not a step of the sign-in.
func (h *Handler) policyNotice(ctx context.Context, userID string) bool {
	if userID == "" {
		return false
	}
	has, err := h.Store.HasPolicyNotice(ctx, userID)
	if err != nil {
		h.Log.ErrorContext(ctx, "read policy notice", "user_id", userID, "error", err)
		return false
	}
	return has
}

// clearPolicyNotice removes the notice once a sign-in with a code by SMS
// has finished, the first one that the notice was shown on.
func (h *Handler) clearPolicyNotice(ctx context.Context, userID string, amr []string) {
	if !PassedSMS(amr) {
		return
	}
	if err := h.Store.ClearPolicyNotice(ctx, userID); err != nil {
		h.Log.ErrorContext(ctx, "clear policy notice", "user_id", userID, "error", err)
	}
}

// saveConfirmedMobile saves the number the code was sent to as the user's
// confirmed number and records the change in the office's activity. When
// the user's number changed since the code was sent, as when an
// administrator entered another one meanwhile, the code still proves the
// sign-in but confirms nothing.
func (h *Handler) saveConfirmedMobile(ctx context.Context, user *storage.User, ch *storage.Challenge) error {
	ev := storage.AuditEvent{
		OfficeID: user.OfficeID, ActorID: user.ID, ActorName: user.Username,
		Action: storage.AuditMobile, TargetID: user.ID, TargetName: user.Username,
		Old: maskedOrEmpty(user.Mobile), New: phone.Mask(ch.Mobile), At: h.Now(),
	}
	if user.Mobile == ch.Mobile {
		ev.Old = phone.Mask(user.Mobile) + " (unconfirmed)"
		ev.New = phone.Mask(ch.Mobile) + " (confirmed)"
	}
	err := h.Store.ConfirmMobile(ctx, user.ID, user.Mobile, ch.Mobile, ev)
	if errors.Is(err, storage.ErrStale) {
		h.Log.WarnContext(ctx, "mobile number changed during sign-in; not confirmed", "user_id", user.ID)
		return nil
	}
	return err
}

func maskedOrEmpty(e164 string) string {
	if e164 == "" {
		return ""
	}
	return phone.Mask(e164)
}

// UILocales returns the ui_locales of the authorization request that a
// sign-in page shows, named by its id parameter, or nil. It lets the pages
// speak the language the application asked for.
func (h *Handler) UILocales(r *http.Request) []string {
	id := r.FormValue("id")
	if id == "" || len(id) > maxID {
		return nil
	}
	ar, err := h.Store.AuthRequestByID(r.Context(), id, h.Now())
	if err != nil {
		return nil
	}
	return ar.UILocales
}
