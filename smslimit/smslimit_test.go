package smslimit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"twofold/login"
	"twofold/sms"
	"twofold/storage"
)

// fakeStore records the policy's calls to the database. Methods that the
// policy must not call panic through the nil embedded Store.
type fakeStore struct {
	storage.Store
	office   storage.Office
	own      []string
	hit      *storage.SMSLimitHit
	counted  [][]storage.SMSCounter
	events   []storage.SMSEvent
	countErr error
}

func (f *fakeStore) OfficeByID(_ context.Context, id string) (*storage.Office, error) {
	if id != f.office.ID {
		return nil, storage.ErrNotFound
	}
	o := f.office
	return &o, nil
}

func (f *fakeStore) OfficeSMSCountries(context.Context, string) ([]string, error) { return f.own, nil }

func (f *fakeStore) CountSMSSend(_ context.Context, c []storage.SMSCounter, _ time.Time) (*storage.SMSLimitHit, error) {
	f.counted = append(f.counted, c)
	return f.hit, f.countErr
}

func (f *fakeStore) RecordSMSEvent(_ context.Context, e storage.SMSEvent) error {
	f.events = append(f.events, e)
	return nil
}

var now = time.Date(2031, time.March, 4, 5, 6, 7, 0, time.UTC)

func newPolicy(store *fakeStore, limits sms.LimitsConfig, allowed ...string) *Policy {
	return New(Options{
		Store: store, Limits: limits, AllowedCountries: allowed, SubjectKey: [32]byte{1}, Gateway: "twilio",
		Now: func() time.Time { return now }, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
}

func request(mobile, ip string) login.SendRequest {
	req := login.SendRequest{OfficeID: "office-1", UserID: "user-1", AuthRequestID: "ar-1", Mobile: mobile}
	if ip != "" {
		req.ClientIP = netip.MustParseAddr(ip)
	}
	return req
}

func TestAllowCountsEveryScope(t *testing.T) {
	store := &fakeStore{office: storage.Office{ID: "office-1", Country: "NL"}}
	p := newPolicy(store, sms.LimitsConfig{PerNumber: sms.Rate{PerHour: 4}})
	if err := p.Allow(t.Context(), request("+31612345678", "2001:db8:1:2::7")); err != nil {
		t.Fatalf("Allow: %v", err)
	}
	if len(store.counted) != 1 {
		t.Fatalf("CountSMSSend called %d times, want once", len(store.counted))
	}
	d := sms.DefaultLimits()
	want := map[string]struct {
		hour, day int
		interval  time.Duration
	}{
		"number":       {4, d.PerNumber.PerDay, 0},
		"user":         {d.PerUser.PerHour, d.PerUser.PerDay, UserInterval},
		"client_ip":    {d.PerClientIP.PerHour, d.PerClientIP.PerDay, 0},
		"office":       {d.PerOffice.PerHour, d.PerOffice.PerDay, 0},
		"installation": {d.Installation.PerHour, d.Installation.PerDay, 0},
	}
	subjects := map[string]string{}
	for _, c := range store.counted[0] {
		w, ok := want[c.Scope]
		if !ok {
			t.Errorf("unexpected counter %s", c.Scope)
			continue
		}
		delete(want, c.Scope)
		subjects[c.Scope] = c.Subject
		if len(c.Windows) != 2 || c.Windows[0].Max != w.hour || c.Windows[1].Max != w.day {
			t.Errorf("%s windows = %+v, want %d an hour and %d a day", c.Scope, c.Windows, w.hour, w.day)
		}
		if c.Windows[0].Length != time.Hour || c.Windows[1].Length != 24*time.Hour {
			t.Errorf("%s window lengths = %v and %v", c.Scope, c.Windows[0].Length, c.Windows[1].Length)
		}
		if c.MinInterval != w.interval {
			t.Errorf("%s MinInterval = %v, want %v", c.Scope, c.MinInterval, w.interval)
		}
	}
	for scope := range want {
		t.Errorf("no %s counter", scope)
	}
	if subjects["user"] != "user-1" || subjects["office"] != "office-1" || subjects["installation"] != "" {
		t.Errorf("subjects = %q", subjects)
	}
	for _, scope := range []string{"number", "client_ip"} {
		if s := subjects[scope]; s == "" || strings.Contains(s, "612345678") || strings.Contains(s, "2001") {
			t.Errorf("%s subject %q is empty or shows the value it counts", scope, s)
		}
	}
	if len(store.events) != 0 {
		t.Errorf("an allowed send recorded %+v; the sender records it", store.events)
	}
}

func TestClientIPCountedPerPrefix(t *testing.T) {
	store := &fakeStore{office: storage.Office{ID: "office-1", Country: "NL"}}
	p := newPolicy(store, sms.LimitsConfig{})
	subject := func(ip string) string {
		store.counted = nil
		if err := p.Allow(t.Context(), request("+31612345678", ip)); err != nil {
			t.Fatal(err)
		}
		for _, c := range store.counted[0] {
			if c.Scope == "client_ip" {
				return c.Subject
			}
		}
		return ""
	}
	if a, b := subject("2001:db8:1:2::7"), subject("2001:db8:1:2:ffff::1"); a != b {
		t.Errorf("two addresses of one /64 are counted apart: %q and %q", a, b)
	}
	if a, b := subject("2001:db8:1:2::7"), subject("2001:db8:1:3::7"); a == b {
		t.Error("two /64 prefixes are counted together")
	}
	if a, b := subject("192.0.2.1"), subject("192.0.2.2"); a == b {
		t.Error("two IPv4 addresses are counted together")
	}
	if s := subject(""); s != "" {
		t.Errorf("a request without an address has client IP subject %q, want no counter", s)
	}
}

func TestAllowReturnsLimitError(t *testing.T) {
	store := &fakeStore{
		office: storage.Office{ID: "office-1", Country: "NL"},
		hit:    &storage.SMSLimitHit{Scope: "office", Window: time.Hour, RetryAfter: 7 * time.Minute},
	}
	err := newPolicy(store, sms.LimitsConfig{}).Allow(t.Context(), request("+31612345678", "192.0.2.1"))
	var limit *login.LimitError
	if !errors.As(err, &limit) {
		t.Fatalf("Allow = %v, want a *login.LimitError", err)
	}
	if limit.Scope != login.ScopeOffice || limit.Window != time.Hour || limit.RetryAfter != 7*time.Minute {
		t.Errorf("LimitError = %+v", *limit)
	}
	want := storage.SMSEvent{OfficeID: "office-1", Outcome: storage.SMSLimited, Scope: "office", At: now}
	if len(store.events) != 1 || store.events[0] != want {
		t.Errorf("events = %+v, want %+v", store.events, want)
	}
}

func TestAllowDatabaseError(t *testing.T) {
	store := &fakeStore{office: storage.Office{ID: "office-1", Country: "NL"}, countErr: errors.New("connection reset")}
	err := newPolicy(store, sms.LimitsConfig{}).Allow(t.Context(), request("+31612345678", ""))
	var limit *login.LimitError
	if err == nil || errors.As(err, &limit) {
		t.Errorf("Allow = %v, want the database error, not a limit", err)
	}
}

func TestAllowedCountries(t *testing.T) {
	tests := []struct {
		name       string
		own        []string
		configured []string
		number     string
		wantRegion string // empty when allowed
		wantList   string
	}{
		{"office country", nil, nil, "+31612345678", "", "NL"},
		{"other country", nil, nil, "+32470123456", "BE", "NL"},
		{"configured country", nil, []string{"be", " DE "}, "+32470123456", "", "NL,BE,DE"},
		{"office list replaces the default", []string{"DE"}, []string{"BE"}, "+31612345678", "NL", "DE"},
		{"Isle of Man is not the United Kingdom", nil, []string{"GB"}, "+447624123456", "IM", "NL,GB"},
		{"United States is not Canada", nil, []string{"US"}, "+12042345678", "CA", "NL,US"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store := &fakeStore{office: storage.Office{ID: "office-1", Country: "NL"}, own: tc.own}
			p := newPolicy(store, sms.LimitsConfig{}, tc.configured...)
			err := p.CheckDestination(t.Context(), "office-1", tc.number)
			if tc.wantRegion == "" {
				if err != nil {
					t.Errorf("CheckDestination = %v, want nil", err)
				}
				return
			}
			var dest *login.DestinationError
			if !errors.As(err, &dest) {
				t.Fatalf("CheckDestination = %v, want a *login.DestinationError", err)
			}
			if dest.Country != tc.wantRegion || strings.Join(dest.Allowed, ",") != tc.wantList {
				t.Errorf("DestinationError = %+v, want country %s and allowed %s", *dest, tc.wantRegion, tc.wantList)
			}
			if len(store.counted) != 0 || len(store.events) != 0 {
				t.Error("CheckDestination counted or recorded something")
			}
		})
	}
}

func TestAllowRefusesCountryBeforeCounting(t *testing.T) {
	store := &fakeStore{office: storage.Office{ID: "office-1", Country: "NL"}}
	err := newPolicy(store, sms.LimitsConfig{}).Allow(t.Context(), request("+32470123456", ""))
	var dest *login.DestinationError
	if !errors.As(err, &dest) || dest.Country != "BE" {
		t.Fatalf("Allow = %v, want a DestinationError for BE", err)
	}
	if len(store.counted) != 0 {
		t.Error("a refused destination was counted against the limits")
	}
	want := storage.SMSEvent{OfficeID: "office-1", Outcome: storage.SMSLimited, Scope: ScopeCountry, At: now}
	if len(store.events) != 1 || store.events[0] != want {
		t.Errorf("events = %+v, want %+v", store.events, want)
	}
}

func TestRecordGateway(t *testing.T) {
	tests := []struct {
		name    string
		gateway string
		err     error
		want    storage.SMSEvent
	}{
		{"sent", "vonage", nil, storage.SMSEvent{Gateway: "vonage", Outcome: storage.SMSSent}},
		{"sent without a gateway name", "", nil, storage.SMSEvent{Gateway: "twilio", Outcome: storage.SMSSent}},
		{"gateway error", "", fmt.Errorf("send: %w", &sms.GatewayError{Gateway: "messagebird", StatusCode: 500}),
			storage.SMSEvent{Gateway: "messagebird", Outcome: storage.SMSFailed}},
		{"other error", "", context.DeadlineExceeded, storage.SMSEvent{Gateway: "twilio", Outcome: storage.SMSFailed}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store := &fakeStore{}
			newPolicy(store, sms.LimitsConfig{}).Record(t.Context(), request("+31612345678", ""), tc.gateway, tc.err)
			tc.want.OfficeID, tc.want.At = "office-1", now
			if len(store.events) != 1 || store.events[0] != tc.want {
				t.Errorf("events = %+v, want %+v", store.events, tc.want)
			}
		})
	}
}
