package storagetest

import (
	"errors"
	"testing"
	"time"

	"twofold/storage"
)

// hourly and daily are the windows the SMS limit tests count in.
var (
	hourly = storage.SMSWindow{Length: time.Hour, Bucket: 5 * time.Minute, Max: 3}
	daily  = storage.SMSWindow{Length: 24 * time.Hour, Bucket: time.Hour, Max: 5}
)

// h0 is the start of an hour, so that bucket boundaries fall on round
// offsets from it.
var h0 = t0.Truncate(time.Hour)

func numberCounter(subject string, windows ...storage.SMSWindow) storage.SMSCounter {
	return storage.SMSCounter{Scope: "number", Subject: subject, Windows: windows}
}

// countSend calls CountSMSSend and fails t on an error.
func (f *fixture) countSend(t *testing.T, at time.Time, counters ...storage.SMSCounter) *storage.SMSLimitHit {
	t.Helper()
	hit, err := f.s.CountSMSSend(f.ctx, counters, at)
	if err != nil {
		t.Fatalf("CountSMSSend at %v: %v", at, err)
	}
	return hit
}

func wantHit(t *testing.T, what string, hit *storage.SMSLimitHit, scope string, window, retryAfter time.Duration) {
	t.Helper()
	if hit == nil {
		t.Fatalf("%s: counted, want a %s hit", what, scope)
	}
	if hit.Scope != scope || hit.Window != window || hit.RetryAfter != retryAfter {
		t.Errorf("%s: hit %+v, want scope %s, window %v, retry after %v", what, *hit, scope, window, retryAfter)
	}
}

var smsLimitTests = []testCase{
	{"HourWindow", func(t *testing.T, f *fixture) {
		c := numberCounter("n1", hourly)
		for i := range 3 {
			if hit := f.countSend(t, h0.Add(time.Duration(i)*time.Minute), c); hit != nil {
				t.Fatalf("send %d: hit %+v, want it counted", i+1, *hit)
			}
		}
		// The three sends are in the bucket at h0, which leaves the window
		// when the current bucket starts at h0 + 1h + 5m.
		at := h0.Add(10 * time.Minute)
		wantHit(t, "fourth send", f.countSend(t, at, c), "number", time.Hour, 55*time.Minute)
		wantHit(t, "fourth send a microsecond before the bucket leaves",
			f.countSend(t, h0.Add(65*time.Minute-us), c), "number", time.Hour, us)
		if hit := f.countSend(t, h0.Add(65*time.Minute), c); hit != nil {
			t.Errorf("send after the bucket left: hit %+v, want it counted", *hit)
		}
	}},
	{"NoIntervalOfLengthExceedsMax", func(t *testing.T, f *fixture) {
		c := numberCounter("n1", hourly)
		var sent []time.Time
		for at := h0; at.Before(h0.Add(4 * time.Hour)); at = at.Add(90 * time.Second) {
			if f.countSend(t, at, c) == nil {
				sent = append(sent, at)
			}
		}
		if len(sent) < 9 {
			t.Fatalf("%d sends counted in four hours, want at least 9", len(sent))
		}
		for i := range sent {
			n := 0
			for _, s := range sent[i:] {
				if s.Sub(sent[i]) < time.Hour {
					n++
				}
			}
			if n > hourly.Max {
				t.Fatalf("%d sends within the hour from %v, want at most %d", n, sent[i], hourly.Max)
			}
		}
	}},
	{"DayWindow", func(t *testing.T, f *fixture) {
		c := numberCounter("n1", hourly, daily)
		counted := 0
		for i := range 10 {
			if f.countSend(t, h0.Add(time.Duration(i)*2*time.Hour), c) == nil {
				counted++
			}
		}
		if counted != 5 {
			t.Errorf("%d sends counted over 20 hours, want the daily max 5", counted)
		}
		// Sends at h0, 2h, ..., 8h. One more send needs the h0 bucket gone:
		// at h0 + 25h.
		at := h0.Add(20 * time.Hour)
		wantHit(t, "send after the daily max", f.countSend(t, at, c), "number", 24*time.Hour, 5*time.Hour)
		if hit := f.countSend(t, h0.Add(25*time.Hour), c); hit != nil {
			t.Errorf("send after the oldest bucket left the day: hit %+v", *hit)
		}
	}},
	{"LongestRetryAfterWins", func(t *testing.T, f *fixture) {
		short := storage.SMSCounter{Scope: "user", Subject: "u1", Windows: []storage.SMSWindow{hourly}}
		long := storage.SMSCounter{Scope: "office", Subject: "o1", Windows: []storage.SMSWindow{{Length: 24 * time.Hour, Bucket: time.Hour, Max: 1}}}
		f.countSend(t, h0, short, long)
		wantHit(t, "second send", f.countSend(t, h0.Add(time.Minute), short, long), "office", 24*time.Hour, 25*time.Hour-time.Minute)
	}},
	{"RefusedSendCountsNothing", func(t *testing.T, f *fixture) {
		free := numberCounter("n1", hourly)
		full := storage.SMSCounter{Scope: "user", Subject: "u1", Windows: []storage.SMSWindow{{Length: time.Hour, Bucket: 5 * time.Minute, Max: 1}}}
		f.countSend(t, h0, full)
		for i := range 5 {
			if hit := f.countSend(t, h0.Add(time.Duration(i+1)*time.Second), free, full); hit == nil || hit.Scope != "user" {
				t.Fatalf("send %d through a full counter: hit %+v, want the user limit", i, hit)
			}
		}
		for i := range hourly.Max {
			if hit := f.countSend(t, h0.Add(time.Minute), free); hit != nil {
				t.Fatalf("send %d on the free counter: hit %+v; refused sends were counted in it", i+1, *hit)
			}
		}
	}},
	{"MinInterval", func(t *testing.T, f *fixture) {
		c := storage.SMSCounter{Scope: "user", Subject: "u1", MinInterval: 30 * time.Second}
		f.countSend(t, h0, c)
		wantHit(t, "send 10 s later", f.countSend(t, h0.Add(10*time.Second), c), "user", 30*time.Second, 20*time.Second)
		if hit := f.countSend(t, h0.Add(30*time.Second), c); hit != nil {
			t.Errorf("send 30 s later: hit %+v", *hit)
		}
	}},
	{"CountersAreSeparate", func(t *testing.T, f *fixture) {
		one := storage.SMSWindow{Length: time.Hour, Bucket: 5 * time.Minute, Max: 1}
		f.countSend(t, h0, numberCounter("n1", one))
		for _, c := range []storage.SMSCounter{
			numberCounter("n2", one),
			{Scope: "user", Subject: "n1", Windows: []storage.SMSWindow{one}},
			{Scope: "number", Subject: "n1", Windows: []storage.SMSWindow{{Length: 2 * time.Hour, Bucket: 10 * time.Minute, Max: 1}}},
		} {
			if hit := f.countSend(t, h0.Add(time.Second), c); hit != nil {
				t.Errorf("counter %s/%s: hit %+v, want it counted apart from number/n1", c.Scope, c.Subject, *hit)
			}
		}
	}},
	{"LoweredMax", func(t *testing.T, f *fixture) {
		f.countSend(t, h0, numberCounter("n1", hourly))
		f.countSend(t, h0.Add(5*time.Minute), numberCounter("n1", hourly))
		f.countSend(t, h0.Add(10*time.Minute), numberCounter("n1", hourly))
		lowered := storage.SMSWindow{Length: time.Hour, Bucket: 5 * time.Minute, Max: 1}
		// Three sends against a max of 1: all but the newest must leave.
		wantHit(t, "send after the max was lowered", f.countSend(t, h0.Add(15*time.Minute), numberCounter("n1", lowered)),
			"number", time.Hour, 60*time.Minute)
	}},
	{"InvalidWindow", func(t *testing.T, f *fixture) {
		for _, w := range []storage.SMSWindow{
			{Length: time.Hour, Bucket: 7 * time.Minute, Max: 1},
			{Length: time.Hour, Bucket: 0, Max: 1},
			{Length: time.Hour, Bucket: 5 * time.Minute, Max: 0},
		} {
			if _, err := f.s.CountSMSSend(f.ctx, []storage.SMSCounter{numberCounter("n1", w)}, h0); err == nil {
				t.Errorf("window %+v: got no error", w)
			}
		}
	}},
	{"ConcurrentSendsStopAtMax", func(t *testing.T, f *fixture) {
		c := numberCounter("n1", storage.SMSWindow{Length: time.Hour, Bucket: 5 * time.Minute, Max: 4})
		other := storage.SMSCounter{Scope: "installation", Subject: "", Windows: []storage.SMSWindow{daily}}
		results := concurrently(12, func(i int) error {
			hit, err := f.s.CountSMSSend(f.ctx, []storage.SMSCounter{other, c}, h0.Add(time.Duration(i)*time.Millisecond))
			if err != nil {
				return err
			}
			if hit != nil {
				return errLimited
			}
			return nil
		})
		counts, other2 := countErrors(results, nil, errLimited)
		if len(other2) > 0 {
			t.Fatalf("unexpected errors: %v", other2)
		}
		if counts[0] != 4 || counts[1] != 8 {
			t.Errorf("12 concurrent sends against a max of 4: %d counted, %d limited", counts[0], counts[1])
		}
	}},
	{"DeleteCountersBefore", func(t *testing.T, f *fixture) {
		c := numberCounter("n1", hourly, daily)
		f.countSend(t, h0, c)
		f.countSend(t, h0.Add(30*time.Hour), numberCounter("n2", hourly, daily))
		n, err := f.s.DeleteSMSCountersBefore(f.ctx, h0.Add(26*time.Hour))
		wantErr(t, "DeleteSMSCountersBefore", err, nil)
		// n1: its counter row and its two buckets.
		if n != 3 {
			t.Errorf("DeleteSMSCountersBefore removed %d rows, want 3", n)
		}
		// n2 has one send; two more fill its hour, which shows that the
		// cleanup kept its bucket.
		for i := range hourly.Max - 1 {
			if hit := f.countSend(t, h0.Add(30*time.Hour+time.Second), numberCounter("n2", hourly, daily)); hit != nil {
				t.Fatalf("send %d on n2 after the cleanup: hit %+v", i+2, *hit)
			}
		}
		wantHit(t, "n2 after max sends", f.countSend(t, h0.Add(30*time.Hour+2*time.Second), numberCounter("n2", hourly, daily)),
			"number", time.Hour, 65*time.Minute-2*time.Second)
	}},
}

// errLimited marks a refused send in the concurrency test.
var errLimited = errors.New("limited")

var smsStatsTests = []testCase{
	{"AddsUpDays", func(t *testing.T, f *fixture) {
		other := f.newOffice(t)
		events := []storage.SMSEvent{
			{OfficeID: f.office.ID, Gateway: "twilio", Outcome: storage.SMSSent, At: t0},
			{OfficeID: f.office.ID, Gateway: "twilio", Outcome: storage.SMSSent, At: t0.Add(time.Minute)},
			{OfficeID: f.office.ID, Gateway: "twilio", Outcome: storage.SMSSent, At: t0.Add(-48 * time.Hour)},
			{OfficeID: f.office.ID, Gateway: "vonage", Outcome: storage.SMSFailed, At: t0},
			{OfficeID: f.office.ID, Outcome: storage.SMSLimited, Scope: "number", At: t0},
			{OfficeID: f.office.ID, Outcome: storage.SMSLimited, Scope: "country", At: t0},
			{OfficeID: other.ID, Gateway: "twilio", Outcome: storage.SMSSent, At: t0},
		}
		for _, e := range events {
			wantErr(t, "RecordSMSEvent", f.s.RecordSMSEvent(f.ctx, e), nil)
		}

		got, err := f.s.SMSStats(f.ctx, storage.SMSStatsFilter{OfficeID: f.office.ID})
		wantErr(t, "SMSStats", err, nil)
		code := f.office.Code
		wantEqual(t, "SMSStats of one office", got, []storage.SMSStat{
			{OfficeID: f.office.ID, OfficeCode: code, Outcome: storage.SMSLimited, Scope: "country", Messages: 1},
			{OfficeID: f.office.ID, OfficeCode: code, Outcome: storage.SMSLimited, Scope: "number", Messages: 1},
			{OfficeID: f.office.ID, OfficeCode: code, Gateway: "twilio", Outcome: storage.SMSSent, Messages: 3},
			{OfficeID: f.office.ID, OfficeCode: code, Gateway: "vonage", Outcome: storage.SMSFailed, Messages: 1},
		})

		got, err = f.s.SMSStats(f.ctx, storage.SMSStatsFilter{OfficeID: f.office.ID, Since: t0})
		wantErr(t, "SMSStats since t0", err, nil)
		for _, s := range got {
			if s.Gateway == "twilio" && s.Messages != 2 {
				t.Errorf("twilio sends since the day of t0: %d, want 2", s.Messages)
			}
		}

		all, err := f.s.SMSStats(f.ctx, storage.SMSStatsFilter{})
		wantErr(t, "SMSStats of every office", err, nil)
		if len(all) != 5 {
			t.Errorf("SMSStats of every office: %d rows, want 5: %+v", len(all), all)
		}
	}},
	{"InvalidOutcome", func(t *testing.T, f *fixture) {
		err := f.s.RecordSMSEvent(f.ctx, storage.SMSEvent{OfficeID: f.office.ID, Outcome: "lost", At: t0})
		if err == nil {
			t.Error("RecordSMSEvent with outcome lost: got no error")
		}
	}},
	{"ConcurrentEventsAllCounted", func(t *testing.T, f *fixture) {
		errs := concurrently(10, func(int) error {
			return f.s.RecordSMSEvent(f.ctx, storage.SMSEvent{OfficeID: f.office.ID, Gateway: "file", Outcome: storage.SMSSent, At: t0})
		})
		if counts, other := countErrors(errs, nil); counts[0] != 10 {
			t.Fatalf("concurrent RecordSMSEvent: %v", other)
		}
		got, err := f.s.SMSStats(f.ctx, storage.SMSStatsFilter{OfficeID: f.office.ID})
		wantErr(t, "SMSStats", err, nil)
		if len(got) != 1 || got[0].Messages != 10 {
			t.Errorf("SMSStats after 10 concurrent events: %+v", got)
		}
	}},
}

var officeSMSCountryTests = []testCase{
	{"DefaultIsNil", func(t *testing.T, f *fixture) {
		got, err := f.s.OfficeSMSCountries(f.ctx, f.office.ID)
		wantErr(t, "OfficeSMSCountries", err, nil)
		if got != nil {
			t.Errorf("OfficeSMSCountries of a new office = %q, want nil", got)
		}
	}},
	{"SetReplaceRemove", func(t *testing.T, f *fixture) {
		wantErr(t, "SetOfficeSMSCountries", f.s.SetOfficeSMSCountries(f.ctx, f.office.ID, []string{"nl", "BE"}, t0), nil)
		got, err := f.s.OfficeSMSCountries(f.ctx, f.office.ID)
		wantErr(t, "OfficeSMSCountries", err, nil)
		wantEqual(t, "countries after set", got, []string{"NL", "BE"})

		wantErr(t, "replace", f.s.SetOfficeSMSCountries(f.ctx, f.office.ID, []string{"DE"}, t0), nil)
		got, _ = f.s.OfficeSMSCountries(f.ctx, f.office.ID)
		wantEqual(t, "countries after replace", got, []string{"DE"})

		wantErr(t, "remove", f.s.SetOfficeSMSCountries(f.ctx, f.office.ID, nil, t0), nil)
		got, _ = f.s.OfficeSMSCountries(f.ctx, f.office.ID)
		if got != nil {
			t.Errorf("countries after remove = %q, want nil", got)
		}
	}},
	{"UnknownOffice", func(t *testing.T, f *fixture) {
		wantErr(t, "set on an unknown office", f.s.SetOfficeSMSCountries(f.ctx, "missing", []string{"NL"}, t0), storage.ErrNotFound)
		wantErr(t, "remove on an unknown office", f.s.SetOfficeSMSCountries(f.ctx, "missing", nil, t0), storage.ErrNotFound)
	}},
}
