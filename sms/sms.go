package sms

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Message is one SMS. To is E.164.
type Message struct {
	To   string
	Body string
}

// String returns the message with the number masked and the body left out,
// so that printing a Message by mistake reveals neither the code nor the number.
func (m Message) String() string {
	return fmt.Sprintf("sms.Message{To: %s, Body: %d characters}",
		MaskNumber(m.To), utf8.RuneCountInString(m.Body))
}

// GoString keeps %#v as safe as %v.
func (m Message) GoString() string { return m.String() }

// Receipt identifies a sent message at the gateway.
type Receipt struct {
	Gateway   string
	MessageID string
}

// Sender sends one SMS. A nil error means that the gateway accepted the
// message for delivery, not that the phone received it.
type Sender interface {
	Send(ctx context.Context, m Message) (Receipt, error)
}

// ErrInvalidMessage is wrapped by the error that every sender returns, before
// it contacts anything, for a message that no gateway could deliver. Retrying
// or falling back does not help with it.
var ErrInvalidMessage = errors.New("sms: invalid message")

// maxBodyChars is the body limit of Twilio's Messages resource, which rejects
// longer bodies with error 21617. Longer bodies are rejected here before any
// request is made.
const maxBodyChars = 1600

// e164Pattern is "+", a non-zero first digit and at most 15 digits in all
// (ITU-T E.164). Seven digits is the shortest national plan in use.
var e164Pattern = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// validateMessage returns an error wrapping ErrInvalidMessage when m cannot be
// sent. The error text contains neither the number nor the body.
func validateMessage(m Message) error {
	switch {
	case !e164Pattern.MatchString(m.To):
		return fmt.Errorf("%w: the destination is not an E.164 number (+ and 7 to 15 digits)", ErrInvalidMessage)
	case strings.TrimSpace(m.Body) == "":
		return fmt.Errorf("%w: the body is empty", ErrInvalidMessage)
	case !utf8.ValidString(m.Body):
		return fmt.Errorf("%w: the body is not valid UTF-8", ErrInvalidMessage)
	case utf8.RuneCountInString(m.Body) > maxBodyChars:
		return fmt.Errorf("%w: the body is longer than %d characters", ErrInvalidMessage, maxBodyChars)
	}
	return nil
}

// senderName returns the name a sender reports through a Name method, which
// every sender in this package has, or its Go type for other senders.
func senderName(s Sender) string {
	if n, ok := s.(interface{ Name() string }); ok {
		return n.Name()
	}
	return fmt.Sprintf("%T", s)
}
