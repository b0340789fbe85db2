package storagetest

import (
	"testing"
	"time"

	"twofold/storage"
)

// Mobile numbers of the phone statistics tests, each valid in its region.
const (
	mobileNL  = "+31612345678"
	mobileNL2 = "+31687654321"
	mobileBE  = "+32470123456"
	mobileDE  = "+4915123456789"
	mobileGB  = "+447400123456"
	mobileCA  = "+12042345678"  // +1 shared with the United States
	mobileIM  = "+447624123456" // +44 shared with the United Kingdom
)

var phoneStatsTests = []testCase{
	{"CountsPerOfficeAndInstallation", func(t *testing.T, f *fixture) {
		other := f.newOffice(t)
		f.newUserWithMobile(t, f.office.ID, mobileNL, true)
		f.newUserWithMobile(t, f.office.ID, mobileNL2, true)
		f.newUserWithMobile(t, f.office.ID, mobileBE, true)
		f.newUserWithMobile(t, other.ID, mobileNL, true)
		f.newUserWithMobile(t, other.ID, mobileGB, true)

		office, installation, err := f.s.MobileRegionCounts(f.ctx, f.office.ID)
		wantErr(t, "MobileRegionCounts", err, nil)
		wantEqual(t, "office counts", office, storage.RegionCounts{"NL": 2, "BE": 1})
		wantEqual(t, "installation counts", installation, storage.RegionCounts{"NL": 3, "BE": 1, "GB": 1})

		office, _, err = f.s.MobileRegionCounts(f.ctx, other.ID)
		wantErr(t, "MobileRegionCounts of the other office", err, nil)
		wantEqual(t, "other office's counts", office, storage.RegionCounts{"NL": 1, "GB": 1})
	}},
	{"OnlyConfirmedNumbers", func(t *testing.T, f *fixture) {
		f.newUserWithMobile(t, f.office.ID, mobileDE, false)
		f.newUserWithMobile(t, f.office.ID, mobileBE, true)

		office, installation, err := f.s.MobileRegionCounts(f.ctx, f.office.ID)
		wantErr(t, "MobileRegionCounts", err, nil)
		wantEqual(t, "office counts", office, storage.RegionCounts{"BE": 1})
		wantEqual(t, "installation counts", installation, storage.RegionCounts{"BE": 1})
	}},
	{"RegionOfTheNumber", func(t *testing.T, f *fixture) {
		f.newUserWithMobile(t, f.office.ID, mobileCA, true)
		f.newUserWithMobile(t, f.office.ID, mobileIM, true)

		office, _, err := f.s.MobileRegionCounts(f.ctx, f.office.ID)
		wantErr(t, "MobileRegionCounts", err, nil)
		wantEqual(t, "office counts", office, storage.RegionCounts{"CA": 1, "IM": 1})
	}},
	{"NumbersOfNoCountry", func(t *testing.T, f *fixture) {
		f.newUserWithMobile(t, f.office.ID, "+80012345678", true)
		f.newUserWithMobile(t, f.office.ID, "not a number", true)
		f.newUserWithMobile(t, f.office.ID, mobileNL, true)

		for range 2 { // the second call finds the regions stored
			office, installation, err := f.s.MobileRegionCounts(f.ctx, f.office.ID)
			wantErr(t, "MobileRegionCounts", err, nil)
			wantEqual(t, "office counts", office, storage.RegionCounts{"NL": 1})
			wantEqual(t, "installation counts", installation, storage.RegionCounts{"NL": 1})
		}
	}},
	{"FollowsNumberChanges", func(t *testing.T, f *fixture) {
		u := f.newUserWithMobile(t, f.office.ID, mobileNL, true)
		f.wantOfficeCounts(t, "before the change", storage.RegionCounts{"NL": 1})

		later := t0.Add(time.Minute)
		wantErr(t, "SetUserMobile to a British number",
			f.s.SetUserMobile(f.ctx, u.ID, mobileGB, true, later), nil)
		f.wantOfficeCounts(t, "after a change to a British number", storage.RegionCounts{"GB": 1})

		wantErr(t, "SetUserMobile to a Manx number",
			f.s.SetUserMobile(f.ctx, u.ID, mobileIM, true, later), nil)
		f.wantOfficeCounts(t, "after a change within +44", storage.RegionCounts{"IM": 1})

		wantErr(t, "SetUserMobile to an unconfirmed number",
			f.s.SetUserMobile(f.ctx, u.ID, mobileBE, false, later), nil)
		f.wantOfficeCounts(t, "after a change to an unconfirmed number", storage.RegionCounts{})

		wantErr(t, "SetUserMobile confirming the number",
			f.s.SetUserMobile(f.ctx, u.ID, mobileBE, true, later), nil)
		f.wantOfficeCounts(t, "after confirming", storage.RegionCounts{"BE": 1})

		wantErr(t, "SetUserMobile clearing the number",
			f.s.SetUserMobile(f.ctx, u.ID, "", true, later), nil)
		f.wantOfficeCounts(t, "after clearing", storage.RegionCounts{})

		wantErr(t, "SetUserMobile back to a Dutch number",
			f.s.SetUserMobile(f.ctx, u.ID, mobileNL, true, later), nil)
		f.wantOfficeCounts(t, "after setting a number again", storage.RegionCounts{"NL": 1})
	}},
	{"Empty", func(t *testing.T, f *fixture) {
		office, installation, err := f.s.MobileRegionCounts(f.ctx, "missing")
		wantErr(t, "MobileRegionCounts of a missing office", err, nil)
		wantEqual(t, "office counts", office, storage.RegionCounts{})
		wantEqual(t, "installation counts", installation, storage.RegionCounts{})
	}},
}

// newUserWithMobile stores a user of the office with the number.
func (f *fixture) newUserWithMobile(t *testing.T, officeID, mobile string, confirmed bool) *storage.User {
	t.Helper()
	u := &storage.User{
		ID:              newID("user"),
		OfficeID:        officeID,
		Username:        newID("user"),
		Role:            storage.RoleUser,
		PasswordHash:    "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
		Mobile:          mobile,
		MobileConfirmed: confirmed,
		CreatedAt:       t0,
		UpdatedAt:       t0,
	}
	if err := f.s.CreateUser(f.ctx, u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return u
}

// wantOfficeCounts fails t unless the fixture's office has the counts.
func (f *fixture) wantOfficeCounts(t *testing.T, when string, want storage.RegionCounts) {
	t.Helper()
	office, _, err := f.s.MobileRegionCounts(f.ctx, f.office.ID)
	wantErr(t, "MobileRegionCounts "+when, err, nil)
	wantEqual(t, "office counts "+when, office, want)
}
