package storagetest

import (
	"strings"
	"testing"
	"time"

	"twofold/storage"
)

var officeTests = []testCase{
	{"RoundTrip", func(t *testing.T, f *fixture) {
		got, err := f.s.OfficeByID(f.ctx, f.office.ID)
		wantErr(t, "OfficeByID", err, nil)
		wantEqual(t, "OfficeByID", got, f.office)

		got, err = f.s.OfficeByCode(f.ctx, strings.ToLower(f.office.Code))
		wantErr(t, "OfficeByCode in lower case", err, nil)
		wantEqual(t, "OfficeByCode in lower case", got, f.office)
	}},
	{"CodeStoredUpperCase", func(t *testing.T, f *fixture) {
		o := &storage.Office{ID: newID("office"), Code: "acme-7", Name: "Acme", CreatedAt: t0, UpdatedAt: t0}
		wantErr(t, "CreateOffice", f.s.CreateOffice(f.ctx, o), nil)
		got, err := f.s.OfficeByID(f.ctx, o.ID)
		wantErr(t, "OfficeByID", err, nil)
		if got.Code != "ACME-7" {
			t.Errorf("stored code: got %q, want %q", got.Code, "ACME-7")
		}
	}},
	{"Country", func(t *testing.T, f *fixture) {
		o := &storage.Office{ID: newID("office"), Code: "uk-1", Name: "London", Country: "gb", CreatedAt: t0, UpdatedAt: t0}
		wantErr(t, "CreateOffice", f.s.CreateOffice(f.ctx, o), nil)
		got, err := f.s.OfficeByID(f.ctx, o.ID)
		wantErr(t, "OfficeByID", err, nil)
		if got.Country != "GB" {
			t.Errorf("stored country: got %q, want GB", got.Country)
		}
		got, err = f.s.SetOfficeCountry(f.ctx, o.ID, "be", t0.Add(time.Minute))
		wantErr(t, "SetOfficeCountry", err, nil)
		if got.Country != "BE" {
			t.Errorf("country after SetOfficeCountry: got %q, want BE", got.Country)
		}
		_, err = f.s.SetOfficeCountry(f.ctx, "missing", "BE", t0)
		wantErr(t, "SetOfficeCountry on a missing office", err, storage.ErrNotFound)
	}},
	{"CodeConflict", func(t *testing.T, f *fixture) {
		o := &storage.Office{
			ID:        newID("office"),
			Code:      strings.ToLower(f.office.Code),
			Name:      "Other",
			CreatedAt: t0,
			UpdatedAt: t0,
		}
		wantErr(t, "CreateOffice with a taken code in lower case", f.s.CreateOffice(f.ctx, o), storage.ErrConflict)
	}},
	{"NotFound", func(t *testing.T, f *fixture) {
		_, err := f.s.OfficeByID(f.ctx, "missing")
		wantErr(t, "OfficeByID", err, storage.ErrNotFound)
		_, err = f.s.OfficeByCode(f.ctx, "MISSING")
		wantErr(t, "OfficeByCode", err, storage.ErrNotFound)
		_, err = f.s.SetOfficeTwoFactor(f.ctx, "missing", true, t0)
		wantErr(t, "SetOfficeTwoFactor", err, storage.ErrNotFound)
	}},
	{"SetTwoFactor", func(t *testing.T, f *fixture) {
		later := t0.Add(time.Hour)
		got, err := f.s.SetOfficeTwoFactor(f.ctx, f.office.ID, true, later)
		wantErr(t, "SetOfficeTwoFactor on", err, nil)
		want := *f.office
		want.TwoFactor = true
		want.UpdatedAt = later
		wantEqual(t, "SetOfficeTwoFactor on", got, &want)

		stored, err := f.s.OfficeByID(f.ctx, f.office.ID)
		wantErr(t, "OfficeByID", err, nil)
		wantEqual(t, "OfficeByID after SetOfficeTwoFactor", stored, &want)

		got, err = f.s.SetOfficeTwoFactor(f.ctx, f.office.ID, false, later)
		wantErr(t, "SetOfficeTwoFactor off", err, nil)
		if got.TwoFactor {
			t.Errorf("SetOfficeTwoFactor off: TwoFactor still true")
		}
	}},
}

var userTests = []testCase{
	{"RoundTrip", func(t *testing.T, f *fixture) {
		got, err := f.s.UserByID(f.ctx, f.user.ID)
		wantErr(t, "UserByID", err, nil)
		wantEqual(t, "UserByID", got, f.user)
	}},
	{"UsernameCaseInsensitive", func(t *testing.T, f *fixture) {
		for _, name := range []string{f.user.Username, strings.ToUpper(f.user.Username), strings.ToLower(f.user.Username)} {
			got, err := f.s.UserByUsername(f.ctx, f.office.ID, name)
			wantErr(t, "UserByUsername "+name, err, nil)
			wantEqual(t, "UserByUsername "+name, got, f.user)
		}
	}},
	{"UsernameConflict", func(t *testing.T, f *fixture) {
		u := *f.user
		u.ID = newID("user")
		u.Username = strings.ToUpper(f.user.Username)
		wantErr(t, "CreateUser with a taken username in upper case", f.s.CreateUser(f.ctx, &u), storage.ErrConflict)

		u.ID = f.user.ID
		u.Username = "someone.else"
		wantErr(t, "CreateUser with a taken id", f.s.CreateUser(f.ctx, &u), storage.ErrConflict)
	}},
	{"UsernameInOtherOffice", func(t *testing.T, f *fixture) {
		other := f.newOffice(t)
		u := *f.user
		u.ID = newID("user")
		u.OfficeID = other.ID
		wantErr(t, "CreateUser with the same username in another office", f.s.CreateUser(f.ctx, &u), nil)

		got, err := f.s.UserByUsername(f.ctx, other.ID, f.user.Username)
		wantErr(t, "UserByUsername in the other office", err, nil)
		if got.ID != u.ID {
			t.Errorf("UserByUsername in the other office: got user %s, want %s", got.ID, u.ID)
		}
	}},
	{"UnknownOffice", func(t *testing.T, f *fixture) {
		u := *f.user
		u.ID = newID("user")
		u.OfficeID = "missing"
		wantErr(t, "CreateUser in a missing office", f.s.CreateUser(f.ctx, &u), storage.ErrNotFound)
	}},
	{"InvalidRole", func(t *testing.T, f *fixture) {
		u := *f.user
		u.ID = newID("user")
		u.Username = "root"
		u.Role = "admin"
		if err := f.s.CreateUser(f.ctx, &u); err == nil {
			t.Fatalf("CreateUser with role %q: got no error", u.Role)
		}
	}},
	{"NotFound", func(t *testing.T, f *fixture) {
		_, err := f.s.UserByID(f.ctx, "missing")
		wantErr(t, "UserByID", err, storage.ErrNotFound)
		_, err = f.s.UserByUsername(f.ctx, f.office.ID, "missing")
		wantErr(t, "UserByUsername", err, storage.ErrNotFound)
		_, err = f.s.UserByUsername(f.ctx, "other-office", f.user.Username)
		wantErr(t, "UserByUsername in another office", err, storage.ErrNotFound)
		err = f.s.SetUserMobile(f.ctx, "missing", "+46701234567", true, t0)
		wantErr(t, "SetUserMobile", err, storage.ErrNotFound)
	}},
	{"SetMobile", func(t *testing.T, f *fixture) {
		later := t0.Add(time.Minute)
		err := f.s.SetUserMobile(f.ctx, f.user.ID, "+46701234567", true, later)
		wantErr(t, "SetUserMobile", err, nil)
		got, err := f.s.UserByID(f.ctx, f.user.ID)
		wantErr(t, "UserByID", err, nil)
		want := *f.user
		want.Mobile = "+46701234567"
		want.MobileConfirmed = true
		want.UpdatedAt = later
		wantEqual(t, "UserByID after SetUserMobile", got, &want)

		err = f.s.SetUserMobile(f.ctx, f.user.ID, "", false, later)
		wantErr(t, "SetUserMobile to clear", err, nil)
		got, err = f.s.UserByID(f.ctx, f.user.ID)
		wantErr(t, "UserByID", err, nil)
		if got.Mobile != "" || got.MobileConfirmed {
			t.Errorf("after clearing: got mobile %q confirmed %v, want none", got.Mobile, got.MobileConfirmed)
		}
	}},
}

var clientTests = []testCase{
	{"RoundTrip", func(t *testing.T, f *fixture) {
		got, err := f.s.ClientByID(f.ctx, f.client.ID)
		wantErr(t, "ClientByID", err, nil)
		wantEqual(t, "ClientByID", got, f.client)
	}},
	{"Public", func(t *testing.T, f *fixture) {
		c := &storage.Client{
			ID:           newID("client"),
			Name:         "Mobile app",
			Public:       true,
			RedirectURIs: []string{"com.example.app:/callback", "http://127.0.0.1/callback"},
			CreatedAt:    t0,
		}
		wantErr(t, "CreateClient", f.s.CreateClient(f.ctx, c), nil)
		got, err := f.s.ClientByID(f.ctx, c.ID)
		wantErr(t, "ClientByID", err, nil)
		wantEqual(t, "ClientByID", got, c)
	}},
	{"Conflict", func(t *testing.T, f *fixture) {
		c := *f.client
		c.Name = "Other"
		wantErr(t, "CreateClient with a taken id", f.s.CreateClient(f.ctx, &c), storage.ErrConflict)
	}},
	{"NotFound", func(t *testing.T, f *fixture) {
		_, err := f.s.ClientByID(f.ctx, "missing")
		wantErr(t, "ClientByID", err, storage.ErrNotFound)
	}},
}

var signingKeyTests = []testCase{
	{"List", func(t *testing.T, f *fixture) {
		cutoff := t0.Add(-24 * time.Hour)
		retiredLongAgo := cutoff.Add(-time.Hour)
		retiredRecently := cutoff.Add(time.Hour)
		retiredAtCutoff := cutoff
		keys := []*storage.SigningKey{
			{ID: "k1", Algorithm: "RS256", CreatedAt: t0.Add(-72 * time.Hour), RetiredAt: &retiredLongAgo},
			{ID: "k2", Algorithm: "RS256", CreatedAt: t0.Add(-48 * time.Hour), RetiredAt: &retiredRecently},
			{ID: "k3", Algorithm: "ES256", CreatedAt: t0.Add(-36 * time.Hour), RetiredAt: &retiredAtCutoff},
			{ID: "k4", Algorithm: "RS256", CreatedAt: t0},
		}
		for _, k := range keys {
			k.PrivateKeyEncrypted = []byte("sealed " + k.ID)
			k.PublicKey = []byte("public " + k.ID)
			wantErr(t, "CreateSigningKey "+k.ID, f.s.CreateSigningKey(f.ctx, k), nil)
		}

		got, err := f.s.SigningKeys(f.ctx, cutoff)
		wantErr(t, "SigningKeys", err, nil)
		wantEqual(t, "SigningKeys, newest first", got, []storage.SigningKey{*keys[3], *keys[1]})
	}},
	{"Conflict", func(t *testing.T, f *fixture) {
		k := &storage.SigningKey{ID: "k1", Algorithm: "RS256", PrivateKeyEncrypted: []byte{1}, PublicKey: []byte{2}, CreatedAt: t0}
		wantErr(t, "CreateSigningKey", f.s.CreateSigningKey(f.ctx, k), nil)
		wantErr(t, "CreateSigningKey again", f.s.CreateSigningKey(f.ctx, k), storage.ErrConflict)
	}},
	{"None", func(t *testing.T, f *fixture) {
		got, err := f.s.SigningKeys(f.ctx, t0)
		wantErr(t, "SigningKeys", err, nil)
		if len(got) != 0 {
			t.Errorf("SigningKeys of an empty store: got %d keys", len(got))
		}
	}},
}
