package sms

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode"
)

// ConsoleSender is the development default: it sends nothing and writes each
// message to a writer as one line with the full phone number and the full
// body. It therefore prints one-time codes in clear text and is for
// development only. Never configure it where real users sign in.
type ConsoleSender struct {
	mu sync.Mutex // guards w, so that lines of concurrent sends never interleave
	w  io.Writer
}

// NewConsole returns a ConsoleSender that writes to w, normally os.Stderr.
func NewConsole(w io.Writer) *ConsoleSender {
	return &ConsoleSender{w: w}
}

// Name returns "console".
func (c *ConsoleSender) Name() string { return "console" }

// Send writes m as one line, for example
//
//	sms (development console, not sent) to +31612345678: 123456 is your ... / @example.com #123456
//
// Line breaks in the body become " / " and other control characters become
// spaces, so that a body cannot forge further lines or move the cursor.
func (c *ConsoleSender) Send(ctx context.Context, m Message) (Receipt, error) {
	if err := validateMessage(m); err != nil {
		return Receipt{}, err
	}
	if err := ctx.Err(); err != nil {
		return Receipt{}, err
	}
	line := fmt.Sprintf("sms (development console, not sent) to %s: %s\n", m.To, singleLine(m.Body))

	c.mu.Lock()
	_, err := io.WriteString(c.w, line)
	c.mu.Unlock()
	if err != nil {
		return Receipt{}, fmt.Errorf("sms: console sender: writing failed: %w", err)
	}
	return Receipt{Gateway: c.Name(), MessageID: newLocalID()}, nil
}

// singleLine joins the non-empty lines of s with " / " and replaces the
// remaining control characters with spaces.
func singleLine(s string) string {
	lines := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	joined := strings.Join(lines, " / ")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, joined)
}

// newLocalID returns a random message id for the senders that keep messages
// on this machine.
func newLocalID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
	return hex.EncodeToString(b[:])
}
