package storagetest

import (
	"testing"
	"time"

	"twofold/storage"
)

// newMember stores a user of the office with a role and a number.
func (f *fixture) newMember(t *testing.T, officeID, username string, role storage.Role, mobile string, confirmed bool) *storage.User {
	t.Helper()
	u := &storage.User{
		ID: newID("user"), OfficeID: officeID, Username: username, Name: "Name of " + username,
		Email: username + "@example.com", Role: role, PasswordHash: "hash",
		Mobile: mobile, MobileConfirmed: confirmed, CreatedAt: t0, UpdatedAt: t0,
	}
	if err := f.s.CreateUser(f.ctx, u); err != nil {
		t.Fatalf("CreateUser %s: %v", username, err)
	}
	return u
}

// auditEvent returns an audit event of the fixture's office at t0.
func (f *fixture) auditEvent(action storage.AuditAction, target, old, new string) storage.AuditEvent {
	return storage.AuditEvent{
		OfficeID: f.office.ID, ActorID: f.user.ID, ActorName: f.user.Username,
		Action: action, TargetID: target, TargetName: target, Old: old, New: new, At: t0,
	}
}

// wantEvents fails t unless the office's events, newest first, have these
// actions and values.
func (f *fixture) wantEvents(t *testing.T, officeID string, want ...storage.AuditEvent) {
	t.Helper()
	got, err := f.s.ListAudit(f.ctx, officeID, 0, 100)
	wantErr(t, "ListAudit", err, nil)
	if len(got) != len(want) {
		t.Fatalf("ListAudit: got %d events %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Action != w.Action || g.Old != w.Old || g.New != w.New || g.TargetID != w.TargetID {
			t.Errorf("event %d: got %s %s %q -> %q, want %s %s %q -> %q",
				i, g.Action, g.TargetID, g.Old, g.New, w.Action, w.TargetID, w.Old, w.New)
		}
	}
}

func (f *fixture) reloadUser(t *testing.T, id string) *storage.User {
	t.Helper()
	u, err := f.s.UserByID(f.ctx, id)
	wantErr(t, "UserByID", err, nil)
	return u
}

var adminUserTests = []testCase{
	{"ListAndCount", func(t *testing.T, f *fixture) {
		f.newMember(t, f.office.ID, "zoe", storage.RoleUser, "+31612345678", true)
		f.newMember(t, f.office.ID, "Bert", storage.RoleUser, "+31612345679", false)
		other := f.newOffice(t)
		f.newMember(t, other.ID, "outsider", storage.RoleSuperuser, "", false)

		users, err := f.s.ListUsers(f.ctx, f.office.ID)
		wantErr(t, "ListUsers", err, nil)
		var names []string
		for _, u := range users {
			names = append(names, u.Username)
		}
		wantEqual(t, "ListUsers by username", names, []string{f.user.Username, "Bert", "zoe"})

		counts, err := f.s.CountUsers(f.ctx, f.office.ID)
		wantErr(t, "CountUsers", err, nil)
		wantEqual(t, "CountUsers", counts, storage.UserCounts{Total: 3, NoMobile: 1, Unconfirmed: 1})

		empty := f.newOffice(t)
		counts, err = f.s.CountUsers(f.ctx, empty.ID)
		wantErr(t, "CountUsers of an empty office", err, nil)
		wantEqual(t, "CountUsers of an empty office", counts, storage.UserCounts{})
	}},
	{"CreateWithEvents", func(t *testing.T, f *fixture) {
		u := &storage.User{ID: newID("user"), OfficeID: f.office.ID, Username: "new.user", Role: storage.RoleUser,
			PasswordHash: "hash", Mobile: "+31612345678", CreatedAt: t0, UpdatedAt: t0}
		created := f.auditEvent(storage.AuditUserCreate, u.ID, "", "user")
		mobile := f.auditEvent(storage.AuditMobile, u.ID, "", "+31 6 •••• ••78")
		wantErr(t, "CreateOfficeUser", f.s.CreateOfficeUser(f.ctx, u, created, mobile), nil)
		wantEqual(t, "stored user", f.reloadUser(t, u.ID), u)

		again := *u
		again.ID = newID("user")
		err := f.s.CreateOfficeUser(f.ctx, &again, f.auditEvent(storage.AuditUserCreate, again.ID, "", "user"))
		wantErr(t, "CreateOfficeUser with a taken username", err, storage.ErrConflict)
		f.wantEvents(t, f.office.ID, mobile, created)
	}},
	{"Profile", func(t *testing.T, f *fixture) {
		ev := f.auditEvent(storage.AuditProfile, f.user.ID, "old", "new")
		ev.At = t0.Add(time.Minute)
		err := f.s.UpdateUserProfile(f.ctx, f.user.ID, f.user.Name, f.user.Email, "Anna B", "b@example.com", ev)
		wantErr(t, "UpdateUserProfile", err, nil)
		got := f.reloadUser(t, f.user.ID)
		if got.Name != "Anna B" || got.Email != "b@example.com" || !got.UpdatedAt.Equal(ev.At) {
			t.Errorf("after UpdateUserProfile: got %q %q updated %v", got.Name, got.Email, got.UpdatedAt)
		}
		err = f.s.UpdateUserProfile(f.ctx, f.user.ID, f.user.Name, f.user.Email, "X", "x@example.com", ev)
		wantErr(t, "UpdateUserProfile from an old name", err, storage.ErrStale)
		err = f.s.UpdateUserProfile(f.ctx, "missing", "", "", "X", "", ev)
		wantErr(t, "UpdateUserProfile of a missing user", err, storage.ErrNotFound)
		f.wantEvents(t, f.office.ID, ev)
	}},
	{"UnconfirmedMobile", func(t *testing.T, f *fixture) {
		u := f.newMember(t, f.office.ID, "carl", storage.RoleUser, "+31612345678", true)
		ev := f.auditEvent(storage.AuditMobile, u.ID, "+31 6 •••• ••78", "+31 6 •••• ••79")
		err := f.s.SetUnconfirmedMobile(f.ctx, u.ID, "+31612345678", "+31612345679", ev)
		wantErr(t, "SetUnconfirmedMobile", err, nil)
		got := f.reloadUser(t, u.ID)
		if got.Mobile != "+31612345679" || got.MobileConfirmed {
			t.Errorf("after SetUnconfirmedMobile: got %q confirmed %v, want the new number unconfirmed", got.Mobile, got.MobileConfirmed)
		}

		err = f.s.SetUnconfirmedMobile(f.ctx, u.ID, "+31612345678", "+31612345670", ev)
		wantErr(t, "SetUnconfirmedMobile from a replaced number", err, storage.ErrStale)
		if got := f.reloadUser(t, u.ID); got.Mobile != "+31612345679" {
			t.Errorf("a stale change was applied: mobile %q", got.Mobile)
		}

		clear := f.auditEvent(storage.AuditMobile, u.ID, "+31 6 •••• ••79", "")
		wantErr(t, "SetUnconfirmedMobile to clear", f.s.SetUnconfirmedMobile(f.ctx, u.ID, "+31612345679", "", clear), nil)
		if got := f.reloadUser(t, u.ID); got.Mobile != "" || got.MobileConfirmed {
			t.Errorf("after clearing: got %q confirmed %v", got.Mobile, got.MobileConfirmed)
		}

		confirm := f.auditEvent(storage.AuditMobile, u.ID, "", "+31 6 •••• ••77")
		wantErr(t, "ConfirmMobile", f.s.ConfirmMobile(f.ctx, u.ID, "", "+31612345677", confirm), nil)
		if got := f.reloadUser(t, u.ID); got.Mobile != "+31612345677" || !got.MobileConfirmed {
			t.Errorf("after ConfirmMobile: got %q confirmed %v", got.Mobile, got.MobileConfirmed)
		}
		wantErr(t, "ConfirmMobile from a replaced number", f.s.ConfirmMobile(f.ctx, u.ID, "", "+31612345676", confirm), storage.ErrStale)
		f.wantEvents(t, f.office.ID, confirm, clear, ev)
	}},
	{"PasswordEndsSessions", func(t *testing.T, f *fixture) {
		sess := f.newSession(t, f.user)
		rt, _ := f.newRefreshToken(t, sess.ID, "")
		ev := f.auditEvent(storage.AuditPassword, f.user.ID, "", "")
		wantErr(t, "SetUserPassword", f.s.SetUserPassword(f.ctx, f.user.ID, "new hash", ev), nil)
		if got := f.reloadUser(t, f.user.ID); got.PasswordHash != "new hash" {
			t.Errorf("password hash: got %q", got.PasswordHash)
		}
		_, err := f.s.SessionByID(f.ctx, sess.ID, t0)
		wantErr(t, "SessionByID after SetUserPassword", err, storage.ErrNotFound)
		f.wantRefreshRevoked(t, rt)
		wantErr(t, "SetUserPassword of a missing user", f.s.SetUserPassword(f.ctx, "missing", "h", ev), storage.ErrNotFound)
		f.wantEvents(t, f.office.ID, ev)
	}},
}

var roleTests = []testCase{
	{"Change", func(t *testing.T, f *fixture) {
		ev := f.auditEvent(storage.AuditRole, f.user.ID, "accountant", "superuser")
		wantErr(t, "SetUserRole", f.s.SetUserRole(f.ctx, f.user.ID, storage.RoleAccountant, storage.RoleSuperuser, ev), nil)
		if got := f.reloadUser(t, f.user.ID); got.Role != storage.RoleSuperuser {
			t.Errorf("role: got %s, want superuser", got.Role)
		}
		err := f.s.SetUserRole(f.ctx, f.user.ID, storage.RoleAccountant, storage.RoleUser, ev)
		wantErr(t, "SetUserRole from an old role", err, storage.ErrStale)
		err = f.s.SetUserRole(f.ctx, "missing", storage.RoleUser, storage.RoleAccountant, ev)
		wantErr(t, "SetUserRole of a missing user", err, storage.ErrNotFound)
		if err := f.s.SetUserRole(f.ctx, f.user.ID, storage.RoleSuperuser, "admin", ev); err == nil {
			t.Errorf("SetUserRole to an undefined role: got no error")
		}
		f.wantEvents(t, f.office.ID, ev)
	}},
	{"KeepsLastSuperuser", func(t *testing.T, f *fixture) {
		boss := f.newMember(t, f.office.ID, "boss", storage.RoleSuperuser, "", false)
		ev := f.auditEvent(storage.AuditRole, boss.ID, "superuser", "user")
		err := f.s.SetUserRole(f.ctx, boss.ID, storage.RoleSuperuser, storage.RoleUser, ev)
		wantErr(t, "demoting the only super user", err, storage.ErrLastSuperuser)
		if got := f.reloadUser(t, boss.ID); got.Role != storage.RoleSuperuser {
			t.Errorf("role after a refused demotion: got %s", got.Role)
		}

		// A super user of another office does not count.
		other := f.newOffice(t)
		f.newMember(t, other.ID, "elsewhere", storage.RoleSuperuser, "", false)
		err = f.s.SetUserRole(f.ctx, boss.ID, storage.RoleSuperuser, storage.RoleUser, ev)
		wantErr(t, "demoting with a super user in another office only", err, storage.ErrLastSuperuser)

		second := f.newMember(t, f.office.ID, "second", storage.RoleSuperuser, "", false)
		wantErr(t, "demoting one of two", f.s.SetUserRole(f.ctx, boss.ID, storage.RoleSuperuser, storage.RoleUser, ev), nil)
		err = f.s.SetUserRole(f.ctx, second.ID, storage.RoleSuperuser, storage.RoleAccountant, ev)
		wantErr(t, "demoting the one left", err, storage.ErrLastSuperuser)
		f.wantEvents(t, f.office.ID, ev)
	}},
	{"ConcurrentDemotions", func(t *testing.T, f *fixture) {
		bosses := []*storage.User{
			f.newMember(t, f.office.ID, "boss.one", storage.RoleSuperuser, "", false),
			f.newMember(t, f.office.ID, "boss.two", storage.RoleSuperuser, "", false),
		}
		for round := range 5 {
			errs := concurrently(len(bosses), func(i int) error {
				ev := f.auditEvent(storage.AuditRole, bosses[i].ID, "superuser", "user")
				return f.s.SetUserRole(f.ctx, bosses[i].ID, storage.RoleSuperuser, storage.RoleUser, ev)
			})
			counts, other := countErrors(errs, nil, storage.ErrLastSuperuser)
			if counts[0] != 1 || counts[1] != 1 || len(other) > 0 {
				t.Fatalf("round %d: %d demotions passed and %d were refused (other errors: %v), want 1 and 1",
					round, counts[0], counts[1], other)
			}
			users, err := f.s.ListUsers(f.ctx, f.office.ID)
			wantErr(t, "ListUsers", err, nil)
			supers := 0
			for _, u := range users {
				if u.Role == storage.RoleSuperuser {
					supers++
				}
			}
			if supers != 1 {
				t.Fatalf("round %d: %d super users left, want 1", round, supers)
			}
			for _, b := range bosses {
				if f.reloadUser(t, b.ID).Role == storage.RoleUser {
					ev := f.auditEvent(storage.AuditRole, b.ID, "user", "superuser")
					wantErr(t, "promoting again", f.s.SetUserRole(f.ctx, b.ID, storage.RoleUser, storage.RoleSuperuser, ev), nil)
				}
			}
		}
	}},
}

var officePolicyTests = []testCase{
	{"Switch", func(t *testing.T, f *fixture) {
		second := f.newMember(t, f.office.ID, "second", storage.RoleUser, "", false)
		other := f.newOffice(t)
		outsider := f.newMember(t, other.ID, "outsider", storage.RoleUser, "", false)

		on := f.auditEvent(storage.AuditTwoFactor, f.office.ID, "off", "on")
		on.At = t0.Add(time.Hour)
		got, err := f.s.SwitchOfficeTwoFactor(f.ctx, f.office.ID, true, on)
		wantErr(t, "SwitchOfficeTwoFactor on", err, nil)
		if !got.TwoFactor || !got.UpdatedAt.Equal(on.At) {
			t.Errorf("office after switching on: two-factor %v, updated %v", got.TwoFactor, got.UpdatedAt)
		}
		for _, u := range []*storage.User{f.user, second} {
			has, err := f.s.HasPolicyNotice(f.ctx, u.ID)
			wantErr(t, "HasPolicyNotice", err, nil)
			if !has {
				t.Errorf("user %s has no policy notice after the switch", u.Username)
			}
		}
		if has, _ := f.s.HasPolicyNotice(f.ctx, outsider.ID); has {
			t.Errorf("a user of another office got a policy notice")
		}

		_, err = f.s.SwitchOfficeTwoFactor(f.ctx, f.office.ID, true, on)
		wantErr(t, "SwitchOfficeTwoFactor on twice", err, storage.ErrStale)

		wantErr(t, "ClearPolicyNotice", f.s.ClearPolicyNotice(f.ctx, f.user.ID), nil)
		wantErr(t, "ClearPolicyNotice again", f.s.ClearPolicyNotice(f.ctx, f.user.ID), nil)
		if has, _ := f.s.HasPolicyNotice(f.ctx, f.user.ID); has {
			t.Errorf("notice still there after ClearPolicyNotice")
		}

		off := f.auditEvent(storage.AuditTwoFactor, f.office.ID, "on", "off")
		got, err = f.s.SwitchOfficeTwoFactor(f.ctx, f.office.ID, false, off)
		wantErr(t, "SwitchOfficeTwoFactor off", err, nil)
		if got.TwoFactor {
			t.Errorf("office still requires two-factor after switching off")
		}
		if has, _ := f.s.HasPolicyNotice(f.ctx, second.ID); has {
			t.Errorf("notice kept after switching off")
		}

		_, err = f.s.SwitchOfficeTwoFactor(f.ctx, "missing", true, on)
		wantErr(t, "SwitchOfficeTwoFactor of a missing office", err, storage.ErrNotFound)
		f.wantEvents(t, f.office.ID, off, on)
	}},
}

var officePolicySessionTests = []testCase{
	{"SwitchOnEndsSessionsWithoutSMS", func(t *testing.T, f *fixture) {
		plain := f.newSession(t, f.user)
		rt, _ := f.newRefreshToken(t, plain.ID, "")
		withSMS := f.newSession(t, f.user)
		wantErr(t, "UpdateSessionAuth", f.s.UpdateSessionAuth(f.ctx, withSMS.ID, []string{"pwd", "sms", "mfa"}, t0, t0), nil)

		_, err := f.s.SwitchOfficeTwoFactor(f.ctx, f.office.ID, true, f.auditEvent(storage.AuditTwoFactor, f.office.ID, "off", "on"))
		wantErr(t, "SwitchOfficeTwoFactor on", err, nil)
		_, err = f.s.SessionByID(f.ctx, plain.ID, t0)
		wantErr(t, "SessionByID of a password-only session after the switch", err, storage.ErrNotFound)
		f.wantRefreshRevoked(t, rt)
		_, err = f.s.SessionByID(f.ctx, withSMS.ID, t0)
		wantErr(t, "SessionByID of a session with SMS after the switch", err, nil)
	}},
}

var auditTests = []testCase{
	{"ListPages", func(t *testing.T, f *fixture) {
		for i := range 5 {
			ev := f.auditEvent(storage.AuditRole, f.user.ID, "user", string(rune('a'+i)))
			ev.At = t0.Add(time.Duration(i) * time.Second)
			wantErr(t, "AppendAudit", f.s.AppendAudit(f.ctx, ev), nil)
		}
		other := f.newOffice(t)
		ev := f.auditEvent(storage.AuditRole, f.user.ID, "user", "elsewhere")
		ev.OfficeID = other.ID
		wantErr(t, "AppendAudit in another office", f.s.AppendAudit(f.ctx, ev), nil)

		first, err := f.s.ListAudit(f.ctx, f.office.ID, 0, 3)
		wantErr(t, "ListAudit", err, nil)
		if len(first) != 3 || first[0].New != "e" || first[2].New != "c" {
			t.Fatalf("first page: got %+v, want e, d, c", first)
		}
		if first[0].ActorName != f.user.Username || !first[0].At.Equal(t0.Add(4*time.Second)) || first[0].ID == "" {
			t.Errorf("newest event: got %+v", first[0])
		}
		rest, err := f.s.ListAudit(f.ctx, f.office.ID, first[2].Seq, 3)
		wantErr(t, "ListAudit before", err, nil)
		if len(rest) != 2 || rest[0].New != "b" || rest[1].New != "a" {
			t.Fatalf("second page: got %+v, want b, a", rest)
		}

		ev.OfficeID = "missing"
		wantErr(t, "AppendAudit in a missing office", f.s.AppendAudit(f.ctx, ev), storage.ErrNotFound)
	}},
}

// mobileChangeLimits are the send limits of the mobile change tests.
var mobileChangeLimits = storage.SendLimits{Max: 3, Window: time.Hour, Interval: 30 * time.Second}

var mobileChangeTests = []testCase{
	{"Confirm", func(t *testing.T, f *fixture) {
		u := f.newMember(t, f.office.ID, "dora", storage.RoleUser, "+31612345678", true)
		_, err := f.s.MobileChangeByUser(f.ctx, u.ID)
		wantErr(t, "MobileChangeByUser before any change", err, storage.ErrNotFound)

		err = f.s.StartMobileChange(f.ctx, u.ID, "+31687654321", hashOf("111111"), mobileChangeLimits, t0, t0.Add(5*time.Minute))
		wantErr(t, "StartMobileChange", err, nil)
		m, err := f.s.MobileChangeByUser(f.ctx, u.ID)
		wantErr(t, "MobileChangeByUser", err, nil)
		if !m.Pending() || m.Mobile != "+31687654321" || m.Sends != 1 || !m.LastSentAt.Equal(t0) {
			t.Errorf("pending change: got %+v", m)
		}
		if got := f.reloadUser(t, u.ID); got.Mobile != "+31612345678" || !got.MobileConfirmed {
			t.Errorf("the number changed before its code was entered: %q confirmed %v", got.Mobile, got.MobileConfirmed)
		}

		ev := f.auditEvent(storage.AuditMobile, u.ID, "+31 6 •••• ••78", "+31 6 •••• ••21")
		ev.At = t0.Add(time.Minute)
		check, err := f.s.CheckMobileChange(f.ctx, u.ID, "+31612345678", hashOf("222222"), 5, ev)
		wantErr(t, "CheckMobileChange with a wrong code", err, nil)
		wantEqual(t, "outcome of a wrong code", check, storage.CheckWrong)

		check, err = f.s.CheckMobileChange(f.ctx, u.ID, "+31600000000", hashOf("111111"), 5, ev)
		wantErr(t, "CheckMobileChange after the number changed", err, storage.ErrStale)
		if got := f.reloadUser(t, u.ID); got.Mobile != "+31612345678" {
			t.Errorf("a stale check changed the number to %q", got.Mobile)
		}

		check, err = f.s.CheckMobileChange(f.ctx, u.ID, "+31612345678", hashOf("111111"), 5, ev)
		wantErr(t, "CheckMobileChange", err, nil)
		wantEqual(t, "outcome of the right code", check, storage.CheckOK)
		if got := f.reloadUser(t, u.ID); got.Mobile != "+31687654321" || !got.MobileConfirmed {
			t.Errorf("after the right code: got %q confirmed %v, want the new number confirmed", got.Mobile, got.MobileConfirmed)
		}
		m, err = f.s.MobileChangeByUser(f.ctx, u.ID)
		wantErr(t, "MobileChangeByUser after confirming", err, nil)
		if m.Pending() || m.Sends != 1 {
			t.Errorf("after confirming: got %+v, want nothing pending and the send still counted", m)
		}
		_, err = f.s.CheckMobileChange(f.ctx, u.ID, "+31687654321", hashOf("111111"), 5, ev)
		wantErr(t, "CheckMobileChange with nothing pending", err, storage.ErrNotFound)
		f.wantEvents(t, f.office.ID, ev)
	}},
	{"Limits", func(t *testing.T, f *fixture) {
		u := f.newMember(t, f.office.ID, "emil", storage.RoleUser, "", false)
		start := func(at time.Time) error {
			return f.s.StartMobileChange(f.ctx, u.ID, "+31687654321", hashOf(at.String()), mobileChangeLimits, at, at.Add(5*time.Minute))
		}
		wantErr(t, "first start", start(t0), nil)
		wantErr(t, "start within the interval", start(t0.Add(29*time.Second)), storage.ErrRateLimited)
		wantErr(t, "CancelMobileChange", f.s.CancelMobileChange(f.ctx, u.ID), nil)
		wantErr(t, "start after cancelling, within the interval", start(t0.Add(29*time.Second)), storage.ErrRateLimited)
		wantErr(t, "second start", start(t0.Add(30*time.Second)), nil)
		err := f.s.ResendMobileChange(f.ctx, u.ID, hashOf("x"), mobileChangeLimits, t0.Add(60*time.Second), t0.Add(time.Hour))
		wantErr(t, "resend", err, nil)
		wantErr(t, "fourth send in the window", start(t0.Add(10*time.Minute)), storage.ErrRateLimited)
		wantErr(t, "start in the next window", start(t0.Add(time.Hour)), nil)

		wantErr(t, "CancelMobileChange", f.s.CancelMobileChange(f.ctx, u.ID), nil)
		err = f.s.ResendMobileChange(f.ctx, u.ID, hashOf("y"), mobileChangeLimits, t0.Add(2*time.Hour), t0.Add(3*time.Hour))
		wantErr(t, "resend with nothing pending", err, storage.ErrNotFound)
		err = f.s.StartMobileChange(f.ctx, "missing", "+31687654321", hashOf("z"), mobileChangeLimits, t0, t0)
		wantErr(t, "start for a missing user", err, storage.ErrNotFound)
	}},
	{"Attempts", func(t *testing.T, f *fixture) {
		u := f.newMember(t, f.office.ID, "fien", storage.RoleUser, "", false)
		wantErr(t, "StartMobileChange", f.s.StartMobileChange(f.ctx, u.ID, "+31687654321", hashOf("123456"), mobileChangeLimits, t0, t0.Add(5*time.Minute)), nil)
		ev := f.auditEvent(storage.AuditMobile, u.ID, "", "masked")
		var outcomes []storage.ChallengeCheck
		for range 3 {
			check, err := f.s.CheckMobileChange(f.ctx, u.ID, "", hashOf("000000"), 3, ev)
			wantErr(t, "CheckMobileChange", err, nil)
			outcomes = append(outcomes, check)
		}
		wantEqual(t, "outcomes of three misses with three attempts allowed", outcomes,
			[]storage.ChallengeCheck{storage.CheckWrong, storage.CheckWrong, storage.CheckExhausted})
		check, err := f.s.CheckMobileChange(f.ctx, u.ID, "", hashOf("123456"), 3, ev)
		wantErr(t, "CheckMobileChange of a voided code", err, nil)
		wantEqual(t, "outcome of the right code after it was voided", check, storage.CheckExhausted)

		err = f.s.ResendMobileChange(f.ctx, u.ID, hashOf("654321"), mobileChangeLimits, t0.Add(time.Minute), t0.Add(2*time.Minute))
		wantErr(t, "ResendMobileChange", err, nil)
		late := ev
		late.At = t0.Add(2 * time.Minute)
		check, err = f.s.CheckMobileChange(f.ctx, u.ID, "", hashOf("654321"), 3, late)
		wantErr(t, "CheckMobileChange at expiry", err, nil)
		wantEqual(t, "outcome at the code's expiry", check, storage.CheckExpired)
		if got := f.reloadUser(t, u.ID); got.Mobile != "" {
			t.Errorf("number saved without a valid code: %q", got.Mobile)
		}
		if events, _ := f.s.ListAudit(f.ctx, f.office.ID, 0, 10); len(events) != 0 {
			t.Errorf("events written without a change: %+v", events)
		}
	}},
}
