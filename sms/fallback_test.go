package sms

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestFallbackNotUsedAfterSuccess(t *testing.T) {
	primary := &scriptedSender{name: "twilio", results: []error{nil}}
	fallback := &scriptedSender{name: "vonage", results: []error{nil}}

	receipt, err := WithFallback(primary, fallback).Send(context.Background(), testMessage())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if receipt.Gateway != "twilio" {
		t.Errorf("receipt = %+v, want the primary's", receipt)
	}
	if got := fallback.Calls(); got != 0 {
		t.Errorf("fallback calls = %d, want 0", got)
	}
}

func TestFallbackAfterPermanentError(t *testing.T) {
	primary := &scriptedSender{name: "twilio", results: []error{&GatewayError{Gateway: "twilio", StatusCode: 401, Code: "20003"}}}
	fallback := &scriptedSender{name: "vonage", results: []error{nil}}

	receipt, err := WithFallback(primary, fallback).Send(context.Background(), testMessage())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if receipt.Gateway != "vonage" {
		t.Errorf("receipt = %+v, want the fallback's", receipt)
	}
}

func TestFallbackAfterRetriesSpent(t *testing.T) {
	clock := newFakeClock()
	primary := &scriptedSender{name: "twilio", results: []error{temporaryError("twilio")}}
	fallback := &scriptedSender{name: "messagebird", results: []error{nil}}

	sender := WithFallback(WithRetry(primary, testPolicy(clock)), WithRetry(fallback, testPolicy(clock)))
	receipt, err := sender.Send(context.Background(), testMessage())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if receipt.Gateway != "messagebird" {
		t.Errorf("receipt = %+v, want the fallback's", receipt)
	}
	if got := primary.Calls(); got != DefaultMaxAttempts {
		t.Errorf("primary attempts = %d, want %d", got, DefaultMaxAttempts)
	}
}

func TestFallbackAfterRetryAfterBeyondBudget(t *testing.T) {
	clock := newFakeClock()
	limited := &GatewayError{Gateway: "twilio", StatusCode: 429, Temporary: true, RetryAfter: time.Minute}
	primary := &scriptedSender{name: "twilio", results: []error{limited}}
	fallback := &scriptedSender{name: "webhook", results: []error{nil}}

	sender := WithFallback(WithRetry(primary, testPolicy(clock)), fallback)
	if _, err := sender.Send(context.Background(), testMessage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := primary.Calls(); got != 1 {
		t.Errorf("primary attempts = %d, want 1", got)
	}
	if got := clock.Sleeps(); len(got) != 0 {
		t.Errorf("sleeps = %v, want none before falling back", got)
	}
}

func TestFallbackBothFail(t *testing.T) {
	primaryErr := &GatewayError{Gateway: "twilio", StatusCode: 500, Temporary: true}
	fallbackErr := &GatewayError{Gateway: "vonage", StatusCode: 200, Code: "4", Message: "Bad Credentials"}
	primary := &scriptedSender{name: "twilio", results: []error{primaryErr}}
	fallback := &scriptedSender{name: "vonage", results: []error{fallbackErr}}

	_, err := WithFallback(primary, fallback).Send(context.Background(), testMessage())
	fe, ok := errors.AsType[*FallbackError](err)
	if !ok {
		t.Fatalf("Send = %v (%T), want a *FallbackError", err, err)
	}
	if fe.PrimaryGateway != "twilio" || fe.FallbackGateway != "vonage" {
		t.Errorf("gateways = %q, %q; want twilio, vonage", fe.PrimaryGateway, fe.FallbackGateway)
	}
	for _, name := range []string{"twilio", "vonage"} {
		if !strings.Contains(err.Error(), "gateway "+name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
	if !errors.Is(err, primaryErr) {
		t.Errorf("errors.Is does not find the primary error")
	}
	if !errors.Is(err, fallbackErr) {
		t.Errorf("errors.Is does not find the fallback error")
	}
	assertNoLeak(t, "error text", err.Error())
}

func TestFallbackNotForInvalidMessage(t *testing.T) {
	primary := &scriptedSender{name: "twilio", results: []error{fmt.Errorf("%w: the body is empty", ErrInvalidMessage)}}
	fallback := &scriptedSender{name: "vonage", results: []error{nil}}

	_, err := WithFallback(primary, fallback).Send(context.Background(), testMessage())
	if !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("Send = %v, want ErrInvalidMessage", err)
	}
	if got := fallback.Calls(); got != 0 {
		t.Errorf("fallback calls = %d, want 0", got)
	}
}

func TestFallbackNotAfterCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	primary := &scriptedSender{name: "twilio", results: []error{temporaryError("twilio")},
		onSend: func(context.Context) { cancel() }}
	fallback := &scriptedSender{name: "vonage", results: []error{nil}}

	if _, err := WithFallback(primary, fallback).Send(ctx, testMessage()); err == nil {
		t.Fatal("Send succeeded, want the primary's error")
	}
	if got := fallback.Calls(); got != 0 {
		t.Errorf("fallback calls = %d, want 0 after the caller canceled", got)
	}
}

func TestFallbackLogsWithoutSecrets(t *testing.T) {
	var logs bytes.Buffer
	m := testMessage()
	primaryErr := &GatewayError{Gateway: "twilio", StatusCode: 400, Code: "21211",
		Message: cleanVendorText("The 'To' number "+m.To+" is not valid", m)}
	sender := &fallbackSender{
		primary:  &scriptedSender{name: "twilio", results: []error{primaryErr}},
		fallback: &scriptedSender{name: "vonage", results: []error{nil}},
		logger:   slog.New(slog.NewJSONHandler(&logs, nil)),
	}

	if _, err := sender.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	for _, want := range []string{`"gateway":"twilio"`, `"fallback":"vonage"`, `"to":"+31*******78"`, `21211`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s: %s", want, logs.String())
		}
	}
	assertNoLeak(t, "log", logs.String())
}
