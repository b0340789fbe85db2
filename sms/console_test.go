package sms

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
)

func TestConsoleSenderWritesOneLine(t *testing.T) {
	var out bytes.Buffer
	receipt, err := NewConsole(&out).Send(context.Background(), testMessage())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if receipt.Gateway != "console" {
		t.Errorf("receipt = %+v, want gateway console", receipt)
	}
	line := out.String()
	if strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "\n") {
		t.Fatalf("output %q is not exactly one line", line)
	}
	for _, want := range []string{testNumber, testCode, "@login.example.com #" + testCode, "not sent"} {
		if !strings.Contains(line, want) {
			t.Errorf("line %q lacks %q", line, want)
		}
	}
}

func TestConsoleSenderNeutralizesControlCharacters(t *testing.T) {
	var out bytes.Buffer
	m := Message{To: testNumber, Body: "line one\r\nline two\x1b[2J\n\nend"}
	if _, err := NewConsole(&out).Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	want := "sms (development console, not sent) to +31612345678: line one / line two [2J / end\n"
	if out.String() != want {
		t.Errorf("line = %q, want %q", out.String(), want)
	}
}

func TestConsoleSenderConcurrentLines(t *testing.T) {
	var out bytes.Buffer
	sender := NewConsole(&out)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			for range 20 {
				if _, err := sender.Send(context.Background(), testMessage()); err != nil {
					t.Errorf("Send: %v", err)
				}
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 400 {
		t.Fatalf("lines = %d, want 400", len(lines))
	}
	for _, line := range lines {
		if line != lines[0] {
			t.Fatalf("line %q differs from %q", line, lines[0])
		}
	}
}
