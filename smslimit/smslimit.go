// Package smslimit protects the operator's SMS bill from code flooding and
// SMS pumping. Its Policy is the login.SendPolicy that twofold runs with.
// Before each code is sent, the Policy checks the destination's country
// against the office's allowed countries. It then counts the send against
// limits per number, user, client IP, office and installation, each per
// hour and per day (sms.limits in the configuration). It also keeps the
// statistics of sent, failed and limited messages that "twofold sms stats"
// prints and Counts returns.
//
// # Windows
//
// Every limit is a sliding window: "10 an hour" means at most 10 sends in
// any 60 minutes, not 10 per clock hour. A fixed window would let a script
// send the whole hourly quota at 10:59 and again at 11:00, twice the limit
// within two minutes, and a fixed day twice the daily quota around
// midnight. The counters keep sends in buckets of 5 minutes for the hour and
// 1 hour for the day, and a send is checked against every bucket that
// overlaps the window (see storage.SMSWindow). So a limit is never exceeded
// in any window, and the cost is that a send frees its place up to one
// bucket late. Besides the windows, one user gets at most one code every
// UserInterval, whichever sign-in, tab or browser asks for it.
//
// The counters are rows in the database, checked and counted in one
// transaction, so the limits hold across every twofold process on it.
// Numbers and client addresses are stored only as keyed hashes.
package smslimit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"twofold/clientip"
	"twofold/login"
	"twofold/phone"
	"twofold/sms"
	"twofold/storage"
)

// UserInterval is the least time between two codes to one user. It equals
// the resend interval of a sign-in, so a user who opens the sign-in in
// several tabs gets one code, and a second one from another tab only when a
// resend would be allowed too.
const UserInterval = login.ResendInterval

// CounterRetention is how long counters are kept: the longest window and
// its bucket, with a day to spare. Pass now minus it to
// storage.SMSLimits.DeleteSMSCountersBefore.
const CounterRetention = 48 * time.Hour

// The windows and their buckets. A bucket is a twelfth of the hour and a
// twenty-fourth of the day, which bounds how late a send leaves the count.
const (
	hour       = time.Hour
	hourBucket = 5 * time.Minute
	day        = 24 * time.Hour
	dayBucket  = time.Hour
)

// ScopeCountry is the scope under which the statistics count messages that
// the destination's country stopped.
const ScopeCountry = "country"

// Options configure a Policy.
type Options struct {
	Store storage.Store
	// Limits are the sms.limits section; zero values select the defaults.
	Limits sms.LimitsConfig
	// AllowedCountries is sms.allowed_countries.
	AllowedCountries []string
	// SubjectKey keys the hashes under which numbers and client addresses
	// are counted. Every process on one database must use the same key.
	SubjectKey [32]byte
	// Gateway names the configured sender, under which a failed send is
	// counted when its error names no gateway.
	Gateway string
	Now     func() time.Time
	Log     *slog.Logger
}

// Policy is the login.SendPolicy over the database.
type Policy struct {
	store   storage.Store
	limits  sms.LimitsConfig
	allowed []string
	key     [32]byte
	gateway string
	now     func() time.Time
	log     *slog.Logger
}

var _ login.SendPolicy = (*Policy)(nil)

// New returns a Policy. The configuration must have passed sms.Config's
// Validate.
func New(o Options) *Policy {
	return &Policy{
		store:   o.Store,
		limits:  o.Limits.WithDefaults(),
		allowed: normalizeCountries(o.AllowedCountries),
		key:     o.SubjectKey,
		gateway: o.Gateway,
		now:     o.Now,
		log:     o.Log,
	}
}

// normalizeCountries upper-cases and trims codes and drops repeats.
func normalizeCountries(list []string) []string {
	var out []string
	for _, cc := range list {
		cc = strings.ToUpper(strings.TrimSpace(cc))
		if cc != "" && !slices.Contains(out, cc) {
			out = append(out, cc)
		}
	}
	return out
}

// AllowedCountries returns the countries that office may send codes to:
// its own list when it has one, and otherwise its country followed by the
// configured ones.
func AllowedCountries(ctx context.Context, store storage.SMSLimits, office *storage.Office, configured []string) ([]string, error) {
	own, err := store.OfficeSMSCountries(ctx, office.ID)
	if err != nil {
		return nil, err
	}
	if len(own) > 0 {
		return normalizeCountries(own), nil
	}
	return normalizeCountries(append([]string{office.Country}, configured...)), nil
}

// CheckNumber returns a *login.DestinationError unless the country of the
// E.164 number is in allowed.
func CheckNumber(mobile string, allowed []string) error {
	num, err := phone.Parse(mobile, "")
	if err != nil {
		return &login.DestinationError{Allowed: allowed}
	}
	if !slices.Contains(allowed, num.Region) {
		return &login.DestinationError{Country: num.Region, Allowed: allowed}
	}
	return nil
}

// CheckDestination implements login.SendPolicy.
func (p *Policy) CheckDestination(ctx context.Context, officeID, mobile string) error {
	office, err := p.store.OfficeByID(ctx, officeID)
	if err != nil {
		return fmt.Errorf("smslimit: load office: %w", err)
	}
	allowed, err := AllowedCountries(ctx, p.store, office, p.allowed)
	if err != nil {
		return fmt.Errorf("smslimit: load allowed countries: %w", err)
	}
	return CheckNumber(mobile, allowed)
}

// Allow implements login.SendPolicy. A refusal is counted as a limited
// message in the statistics.
func (p *Policy) Allow(ctx context.Context, req login.SendRequest) error {
	if err := p.CheckDestination(ctx, req.OfficeID, req.Mobile); err != nil {
		var dest *login.DestinationError
		if errors.As(err, &dest) {
			p.record(ctx, storage.SMSEvent{OfficeID: req.OfficeID, Outcome: storage.SMSLimited, Scope: ScopeCountry})
		}
		return err
	}
	hit, err := p.store.CountSMSSend(ctx, p.counters(req), p.now())
	if err != nil {
		return fmt.Errorf("smslimit: count send: %w", err)
	}
	if hit == nil {
		return nil
	}
	p.record(ctx, storage.SMSEvent{OfficeID: req.OfficeID, Outcome: storage.SMSLimited, Scope: hit.Scope})
	return &login.LimitError{Scope: login.LimitScope(hit.Scope), Window: hit.Window, RetryAfter: hit.RetryAfter}
}

// counters returns the counters a send is checked against. A request
// without a client address, which net/http never makes, has no client IP
// counter.
func (p *Policy) counters(req login.SendRequest) []storage.SMSCounter {
	l := p.limits
	counters := []storage.SMSCounter{
		p.counter(login.ScopeNumber, p.hash(login.ScopeNumber, req.Mobile), l.PerNumber),
		p.counter(login.ScopeUser, req.UserID, l.PerUser),
		p.counter(login.ScopeOffice, req.OfficeID, l.PerOffice),
		p.counter(login.ScopeInstallation, "", l.Installation),
	}
	counters[1].MinInterval = UserInterval
	if key := clientip.Key(req.ClientIP); key != "" {
		counters = append(counters, p.counter(login.ScopeClientIP, p.hash(login.ScopeClientIP, key), l.PerClientIP))
	}
	return counters
}

func (p *Policy) counter(scope login.LimitScope, subject string, r sms.Rate) storage.SMSCounter {
	return storage.SMSCounter{
		Scope:   string(scope),
		Subject: subject,
		Windows: []storage.SMSWindow{
			{Length: hour, Bucket: hourBucket, Max: r.PerHour},
			{Length: day, Bucket: dayBucket, Max: r.PerDay},
		},
	}
}

// hash returns the stored form of a number or address: 128 bits of
// HMAC-SHA256 under the subject key, which no one without the key can
// reverse by trying every number.
func (p *Policy) hash(scope login.LimitScope, value string) string {
	m := hmac.New(sha256.New, p.key[:])
	m.Write([]byte(string(scope) + "\x00" + value))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// Record implements login.SendPolicy. A failed send is counted under the
// gateway that its *sms.GatewayError names, or else the configured one.
func (p *Policy) Record(ctx context.Context, req login.SendRequest, gateway string, sendErr error) {
	e := storage.SMSEvent{OfficeID: req.OfficeID, Gateway: gateway, Outcome: storage.SMSSent}
	if sendErr != nil {
		e.Outcome = storage.SMSFailed
		e.Gateway = p.gateway
		var gerr *sms.GatewayError
		if errors.As(sendErr, &gerr) && gerr.Gateway != "" {
			e.Gateway = gerr.Gateway
		}
	}
	if e.Gateway == "" {
		e.Gateway = p.gateway
	}
	p.record(ctx, e)
}

// record adds e to the statistics. A failure is logged and otherwise
// ignored: statistics must not stop a sign-in.
func (p *Policy) record(ctx context.Context, e storage.SMSEvent) {
	e.At = p.now()
	if err := p.store.RecordSMSEvent(ctx, e); err != nil {
		p.log.ErrorContext(ctx, "record SMS statistics", "error", err, "office_id", e.OfficeID, "outcome", e.Outcome)
	}
}

// Counts returns the number of messages per office, gateway, outcome and
// scope since statistics began, from the database, so it covers every
// process. The numbers only grow, which makes them Prometheus counters: a
// collector can export each row as
//
//	twofold_sms_messages_total{office="ACME", gateway="twilio", outcome="sent", scope=""} 1234
//
// with prometheus.MustNewConstMetric(desc, prometheus.CounterValue, ...)
// in its Collect method. OfficeCode is empty for an office that was
// deleted; use OfficeID there.
func Counts(ctx context.Context, store storage.SMSLimits) ([]storage.SMSStat, error) {
	return store.SMSStats(ctx, storage.SMSStatsFilter{})
}
