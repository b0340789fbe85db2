package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
)

// WithFallback returns a Sender that sends through primary and, when primary
// fails, through fallback. Wrap each in WithRetry first, so that primary fails
// only with an error that retrying cannot fix or after its retries are spent.
// The message is not sent through fallback when it is invalid
// (ErrInvalidMessage) or when ctx is done, because fallback would fail the
// same way. When both fail, the error is a *FallbackError naming both senders.
//
// The returned Sender does not log. New assembles one that logs each switch
// to the fallback through Config.Logger.
func WithFallback(primary, fallback Sender) Sender {
	return &fallbackSender{primary: primary, fallback: fallback}
}

type fallbackSender struct {
	primary  Sender
	fallback Sender
	logger   *slog.Logger // nil disables logging
}

// Name returns the primary's name.
func (f *fallbackSender) Name() string { return senderName(f.primary) }

// Send sends m as described at WithFallback.
func (f *fallbackSender) Send(ctx context.Context, m Message) (Receipt, error) {
	receipt, primaryErr := f.primary.Send(ctx, m)
	if primaryErr == nil {
		return receipt, nil
	}
	if errors.Is(primaryErr, ErrInvalidMessage) || ctx.Err() != nil {
		return Receipt{}, primaryErr
	}
	if f.logger != nil {
		attrs := []slog.Attr{
			slog.String("gateway", senderName(f.primary)),
			slog.String("fallback", senderName(f.fallback)),
			slog.String("error", primaryErr.Error()),
		}
		attrs = append(attrs, LogAttrs(m)...)
		f.logger.LogAttrs(ctx, slog.LevelWarn, "sms primary gateway failed, sending through the fallback", attrs...)
	}
	receipt, fallbackErr := f.fallback.Send(ctx, m)
	if fallbackErr == nil {
		return receipt, nil
	}
	return Receipt{}, &FallbackError{
		PrimaryGateway:  senderName(f.primary),
		Primary:         primaryErr,
		FallbackGateway: senderName(f.fallback),
		Fallback:        fallbackErr,
	}
}

// FallbackError is returned by a WithFallback sender when both senders fail.
// errors.Is and errors.As see both causes.
type FallbackError struct {
	PrimaryGateway  string
	Primary         error
	FallbackGateway string
	Fallback        error
}

// Error names both gateways and both causes.
func (e *FallbackError) Error() string {
	return fmt.Sprintf("sms: primary gateway %s and fallback gateway %s both failed: %v; %v",
		e.PrimaryGateway, e.FallbackGateway, e.Primary, e.Fallback)
}

// Unwrap returns both causes.
func (e *FallbackError) Unwrap() []error { return []error{e.Primary, e.Fallback} }
