package storage

import (
	"context"
	"time"
)

// SMSCounter is one counter that a send is checked and counted against,
// such as the sends to one number. Scope and Subject name it.
type SMSCounter struct {
	Scope   string // what is counted, such as "number" or "office"
	Subject string // which one, such as a hash of the number or an office id
	Windows []SMSWindow
	// MinInterval, when positive, is the least time between two sends
	// counted here.
	MinInterval time.Duration
}

// SMSWindow limits the sends within any interval of Length to Max. Sends
// are counted in buckets of Bucket, which must divide Length. A send at t
// is checked against the buckets that start at or after
// floor(t / Bucket) * Bucket - Length, which cover at least the Length
// before t, so no interval of Length ever holds more than Max sends. The
// price is that a send leaves the count up to one Bucket late.
type SMSWindow struct {
	Length time.Duration
	Bucket time.Duration
	Max    int
}

// SMSLimitHit is the limit that rejected a send.
type SMSLimitHit struct {
	Scope string
	// Window is the Length of the full window, or the MinInterval when the
	// last send was too recent.
	Window time.Duration
	// RetryAfter is how long from now until the counter has room again,
	// provided nothing else is counted in between.
	RetryAfter time.Duration
}

// SMSOutcome is the result of an attempt to send a code.
type SMSOutcome string

const (
	SMSSent    SMSOutcome = "sent"    // the gateway accepted the message
	SMSFailed  SMSOutcome = "failed"  // the gateway or the network failed
	SMSLimited SMSOutcome = "limited" // a limit or the destination's country stopped it
)

// SMSEvent is one outcome to add to the statistics.
type SMSEvent struct {
	OfficeID string
	Gateway  string // the gateway that sent or failed; empty for SMSLimited
	Outcome  SMSOutcome
	Scope    string // for SMSLimited, the limit's scope or "country"; else empty
	At       time.Time
}

// SMSStatsFilter selects statistics. Zero fields select everything.
type SMSStatsFilter struct {
	OfficeID string
	Since    time.Time // first UTC day included: the day that contains Since
}

// SMSStat is the number of messages with one outcome for one office and
// gateway, added up over the days selected.
type SMSStat struct {
	OfficeID   string
	OfficeCode string // empty when the office no longer exists
	Gateway    string
	Outcome    SMSOutcome
	Scope      string
	Messages   int64
}

// SMSLimits stores the counters behind the SMS send limits, the statistics
// of sent, failed and limited messages, and each office's allowed SMS
// destination countries.
type SMSLimits interface {
	// CountSMSSend counts one send in every counter when each of them has
	// room at now, and returns nil. Otherwise it counts nothing and returns
	// the hit with the longest RetryAfter, the time after which every
	// counter has room. Check and count are one transaction, so concurrent
	// callers on any number of processes never count past a Max.
	CountSMSSend(ctx context.Context, counters []SMSCounter, now time.Time) (*SMSLimitHit, error)
	// DeleteSMSCountersBefore removes buckets that start before the
	// argument and counters whose last send was before it, and returns how
	// many rows went. Pass a time at least one day and one bucket ago.
	DeleteSMSCountersBefore(ctx context.Context, before time.Time) (int64, error)

	// RecordSMSEvent adds one message to the statistics of e's UTC day.
	RecordSMSEvent(ctx context.Context, e SMSEvent) error
	// SMSStats returns the statistics that the filter selects, one row per
	// office, gateway, outcome and scope, ordered by office code, gateway,
	// outcome and scope. Rows are never deleted, so every Messages value
	// only grows.
	SMSStats(ctx context.Context, f SMSStatsFilter) ([]SMSStat, error)

	// OfficeSMSCountries returns the office's own list of allowed SMS
	// destination countries (ISO 3166-1 alpha-2, upper case), or nil when
	// it has none and the installation's default applies.
	OfficeSMSCountries(ctx context.Context, officeID string) ([]string, error)
	// SetOfficeSMSCountries replaces the office's list, stored upper case.
	// An empty list removes it, so the default applies again. ErrNotFound
	// when the office does not exist.
	SetOfficeSMSCountries(ctx context.Context, officeID string, countries []string, now time.Time) error
}
