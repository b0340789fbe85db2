package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"twofold/storage"
	"twofold/storage/backend"
)

func TestOfficeAllowedCountries(t *testing.T) {
	c := newCLI(t)
	c.mustRun("", "office", "create", "--code", "ACME", "--name", "Acme")

	var got struct {
		AllowedCountries []string `json:"allowed_countries"`
	}
	out := c.mustRun("", "office", "update", "--code", "ACME", "--allowed-countries", "nl, BE,NL", "--json")
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("--json output %q: %v", out, err)
	}
	if strings.Join(got.AllowedCountries, ",") != "NL,BE" {
		t.Errorf("allowed_countries = %q, want [NL BE]", got.AllowedCountries)
	}

	c.env["TWOFOLD_SMS_ALLOWED_COUNTRIES"] = "DE"
	out = c.mustRun("", "office", "update", "--code", "ACME", "--allowed-countries", "default")
	if !strings.Contains(out, "SMS codes to NL, DE") {
		t.Errorf("after --allowed-countries default: %q, want the office's country and sms.allowed_countries", out)
	}

	_, _, err := c.run("", "office", "update", "--code", "ACME", "--allowed-countries", "NL,XX,Narnia")
	if err == nil || !strings.Contains(err.Error(), `"XX", "NARNIA"`) {
		t.Errorf("unknown countries: %v, want an error naming both", err)
	}
}

func TestUserCreateMobileCountry(t *testing.T) {
	c := newCLI(t)
	c.mustRun("", "office", "create", "--code", "ACME", "--name", "Acme")
	create := func(username, mobile string) error {
		_, _, err := c.run("pw-123456\n", "user", "create", "--office", "ACME", "--username", username, "--role", "user",
			"--mobile", mobile, "--password-stdin")
		return err
	}

	err := create("bert", "+32 470 12 34 56")
	if err == nil {
		t.Fatal("a Belgian number for a Dutch office was accepted")
	}
	for _, want := range []string{"Belgium (BE)", "allows NL", "--allowed-countries NL,BE"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}

	c.mustRun("", "office", "update", "--code", "ACME", "--allowed-countries", "NL,BE")
	if err := create("bert", "+32 470 12 34 56"); err != nil {
		t.Errorf("Belgian number after allowing BE: %v", err)
	}
	if err := create("isla", "+44 7624 123456"); err == nil || !strings.Contains(err.Error(), "Isle of Man") {
		t.Errorf("Isle of Man number: %v, want an error naming the Isle of Man", err)
	}
}

func TestSMSStats(t *testing.T) {
	c := newCLI(t)
	if out := c.mustRun("", "sms", "stats"); !strings.Contains(out, "no SMS statistics recorded") {
		t.Errorf("stats of a new database: %q", out)
	}
	c.mustRun("", "office", "create", "--code", "ACME", "--name", "Acme")
	c.mustRun("", "office", "create", "--code", "BETA", "--name", "Beta")

	db, err := backend.Open(t.Context(), c.env["TWOFOLD_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	acme, _ := db.OfficeByCode(t.Context(), "ACME")
	beta, _ := db.OfficeByCode(t.Context(), "BETA")
	day := time.Date(2031, time.March, 4, 12, 0, 0, 0, time.UTC)
	events := []storage.SMSEvent{
		{OfficeID: acme.ID, Gateway: "twilio", Outcome: storage.SMSSent, At: day},
		{OfficeID: acme.ID, Gateway: "twilio", Outcome: storage.SMSSent, At: day},
		{OfficeID: acme.ID, Gateway: "twilio", Outcome: storage.SMSFailed, At: day},
		{OfficeID: acme.ID, Outcome: storage.SMSLimited, Scope: "number", At: day},
		{OfficeID: acme.ID, Outcome: storage.SMSLimited, Scope: "country", At: day.AddDate(0, 0, -3)},
		{OfficeID: beta.ID, Gateway: "vonage", Outcome: storage.SMSSent, At: day},
	}
	for _, e := range events {
		if err := db.RecordSMSEvent(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}

	out := c.mustRun("", "sms", "stats")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := [][]string{
		{"OFFICE", "GATEWAY", "SENT", "FAILED", "LIMITED", "LIMITED", "BY"},
		{"ACME", "-", "0", "0", "2", "country", "1,", "number", "1"},
		{"ACME", "twilio", "2", "1", "0", "-"},
		{"BETA", "vonage", "1", "0", "0", "-"},
	}
	if len(lines) != len(want) {
		t.Fatalf("sms stats printed %d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, w := range want {
		if got := strings.Fields(lines[i]); strings.Join(got, " ") != strings.Join(w, " ") {
			t.Errorf("line %d = %q, want %q", i+1, got, w)
		}
	}

	var rows []statRow
	out = c.mustRun("", "sms", "stats", "--office", "acme", "--since", "2031-03-04", "--json")
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("--json output %q: %v", out, err)
	}
	if len(rows) != 2 {
		t.Fatalf("ACME since 2031-03-04: %d rows, want 2: %+v", len(rows), rows)
	}
	if r := rows[0]; r.Office != "ACME" || r.Gateway != "" || r.Limited != 1 || r.LimitedBy["number"] != 1 {
		t.Errorf("limited row = %+v, want 1 limited by number (the country one is older)", r)
	}
	if r := rows[1]; r.Gateway != "twilio" || r.Sent != 2 || r.Failed != 1 {
		t.Errorf("twilio row = %+v, want 2 sent and 1 failed", r)
	}

	for _, args := range [][]string{
		{"sms", "stats", "--office", "NOPE"},
		{"sms", "stats", "--since", "yesterday"},
		{"sms", "send"},
	} {
		if _, _, err := c.run("", args...); err == nil {
			t.Errorf("twofold %s succeeded, want an error", strings.Join(args, " "))
		}
	}
}
