package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestAuditCommand(t *testing.T) {
	c := newCLI(t)
	c.mustRun("", "office", "create", "--code", "ACME", "--name", "Acme Accountants")
	c.mustRun("a long passphrase\n", "user", "create", "--office", "ACME", "--username", "anna",
		"--role", "superuser", "--mobile", "06 12345678", "--password-stdin")
	c.mustRun("", "office", "update", "--code", "ACME", "--two-factor", "on")
	c.mustRun("", "office", "update", "--code", "ACME", "--two-factor", "on")

	var events []map[string]any
	out := c.mustRun("", "audit", "--office", "acme", "--json")
	if err := json.Unmarshal([]byte(out), &events); err != nil {
		t.Fatalf("--json output %q: %v", out, err)
	}
	if len(events) != 3 {
		t.Fatalf("events = %v, want the creation, the number and one switch", events)
	}
	want := []struct{ action, old, new string }{
		{"user.create", "", "superuser"},
		{"user.mobile", "", "+31 6 •••• ••78 (unconfirmed)"},
		{"office.two_factor", "off", "on"},
	}
	for i, w := range want {
		ev := events[i]
		if ev["action"] != w.action || ev["old"] != w.old || ev["new"] != w.new || ev["actor"] != "command line" {
			t.Errorf("event %d = %v, want %s %q -> %q by the command line", i, ev, w.action, w.old, w.new)
		}
	}
	if strings.Contains(out, "12345678") {
		t.Errorf("the audit output contains the whole number:\n%s", out)
	}

	text := c.mustRun("", "audit", "--office", "ACME")
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "TIME (UTC)") || !strings.Contains(lines[3], "office.two_factor") ||
		!strings.Contains(lines[3], "off") || !strings.Contains(lines[1], "command line") {
		t.Errorf("text output:\n%s", text)
	}

	c.mustRun("", "office", "create", "--code", "EMPTY", "--name", "Empty")
	if out := c.mustRun("", "audit", "--office", "EMPTY"); !strings.Contains(out, "no changes") {
		t.Errorf("office without events: %q", out)
	}
	if out := c.mustRun("", "audit", "--office", "EMPTY", "--json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("office without events, --json: %q, want []", out)
	}
	for _, args := range [][]string{{"audit"}, {"audit", "--office", "NOPE"}, {"audit", "--office", "ACME", "extra"}} {
		if _, _, err := c.run("", args...); err == nil {
			t.Errorf("twofold %s succeeded, want an error", strings.Join(args, " "))
		}
	}
}
