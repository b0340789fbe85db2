package main

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"twofold/sms"
)

// cli runs twofold commands against one SQLite database.
type cli struct {
	t   *testing.T
	env map[string]string
}

func newCLI(t *testing.T) *cli {
	dir := t.TempDir()
	return &cli{t: t, env: map[string]string{
		"TWOFOLD_DATABASE_URL": "sqlite:" + filepath.Join(dir, "twofold.db"),
		"TWOFOLD_SMS_SENDER":   "file",
		"TWOFOLD_SMS_FILE":     filepath.Join(dir, "sms.jsonl"),
	}}
}

func (c *cli) run(stdin string, args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut, func(k string) string { return c.env[k] })
	return out.String(), errOut.String(), err
}

func (c *cli) mustRun(stdin string, args ...string) string {
	c.t.Helper()
	out, errOut, err := c.run(stdin, args...)
	if err != nil {
		c.t.Fatalf("twofold %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

func TestOfficeCommands(t *testing.T) {
	c := newCLI(t)
	var created map[string]any
	out := c.mustRun("", "office", "create", "--code", "acme", "--name", "Acme Accountants", "--json")
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatalf("--json output %q: %v", out, err)
	}
	if created["code"] != "ACME" || created["two_factor"] != false || created["country"] != "NL" {
		t.Errorf("created = %v, want code ACME with two-factor off", created)
	}
	if out := c.mustRun("", "office", "update", "--code", "ACME", "--two-factor", "on"); !strings.Contains(out, "two-factor on") {
		t.Errorf("update output = %q", out)
	}
	if _, _, err := c.run("", "office", "create", "--code", "ACME", "--name", "Again"); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("duplicate office: %v, want an error saying it exists", err)
	}
	for _, args := range [][]string{
		{"office", "create", "--code", "bad code!", "--name", "x"},
		{"office", "create", "--code", "OK"},
		{"office", "update", "--code", "ACME", "--two-factor", "maybe"},
		{"office", "update", "--code", "NOPE", "--two-factor", "on"},
		{"office", "update", "--code", "ACME"},
		{"office", "update", "--code", "ACME", "--country", "XX"},
		{"office", "delete"},
	} {
		if _, _, err := c.run("", args...); err == nil {
			t.Errorf("twofold %s succeeded, want an error", strings.Join(args, " "))
		}
	}
}

func TestUserCreate(t *testing.T) {
	c := newCLI(t)
	c.mustRun("", "office", "create", "--code", "ACME", "--name", "Acme")
	out := c.mustRun("s3cret-password\n", "user", "create", "--office", "ACME", "--username", "anna", "--role", "superuser",
		"--mobile", "06 12345678", "--confirmed", "--password-stdin", "--json")
	if !strings.Contains(out, `"username": "anna"`) {
		t.Errorf("output = %q", out)
	}
	if strings.Contains(out, "s3cret") {
		t.Error("the password appears in the output")
	}
	for name, args := range map[string][]string{
		"fixed-line mobile": {"user", "create", "--office", "ACME", "--username", "b", "--role", "user", "--mobile", "+31 20 123 4567", "--password-stdin"},
		"unknown role":      {"user", "create", "--office", "ACME", "--username", "b", "--role", "admin", "--password-stdin"},
		"no password-stdin": {"user", "create", "--office", "ACME", "--username", "b", "--role", "user"},
		"unknown office":    {"user", "create", "--office", "NOPE", "--username", "b", "--role", "user", "--password-stdin"},
		"duplicate":         {"user", "create", "--office", "ACME", "--username", "ANNA", "--role", "user", "--password-stdin"},
	} {
		if _, _, err := c.run("pw\n", args...); err == nil {
			t.Errorf("%s: succeeded, want an error", name)
		}
	}
	if _, _, err := c.run("", "user", "create", "--office", "ACME", "--username", "c", "--role", "user", "--password-stdin"); err == nil {
		t.Error("an empty password was accepted")
	}
	if _, _, err := c.run("short\n", "user", "create", "--office", "ACME", "--username", "c", "--role", "user", "--password-stdin"); err == nil {
		t.Error("a 5-byte password was accepted")
	}
	if _, _, err := c.run("long enough password\n", "user", "create", "--office", "ACME", "--username", "аnna", "--role", "user", "--password-stdin"); err == nil {
		t.Error("a username with a Cyrillic look-alike letter was accepted")
	}
	if _, errOut, err := c.run("", "serve", "--help"); err != nil || !strings.Contains(errOut, "-demo") {
		t.Errorf("serve --help: %v, stderr %q", err, errOut)
	}
}

func TestClientCreate(t *testing.T) {
	c := newCLI(t)
	out := c.mustRun("", "client", "create", "--id", "crm", "--name", "CRM", "--redirect-uri", "https://crm.example.com/cb", "--json")
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	secret, _ := got["secret"].(string)
	if len(secret) < 43 {
		t.Errorf("generated secret %q is shorter than 256 bits in base64url", secret)
	}
	out = c.mustRun("", "client", "create", "--id", "spa", "--name", "SPA", "--public", "--redirect-uri", "http://localhost:3000/cb")
	if strings.Contains(out, "secret") {
		t.Errorf("public client output mentions a secret: %q", out)
	}
	out = c.mustRun(strings.Repeat("k", 40)+"\n", "client", "create", "--id", "own", "--name", "Own", "--secret-stdin", "--redirect-uri", "https://own.example.com/cb")
	if strings.Contains(out, strings.Repeat("k", 40)) {
		t.Error("a secret read from stdin was printed")
	}
	for name, args := range map[string][]string{
		"http redirect":     {"client", "create", "--id", "a", "--name", "A", "--redirect-uri", "http://example.com/cb"},
		"fragment":          {"client", "create", "--id", "a", "--name", "A", "--redirect-uri", "https://example.com/cb#x"},
		"relative redirect": {"client", "create", "--id", "a", "--name", "A", "--redirect-uri", "/cb"},
		"no redirect":       {"client", "create", "--id", "a", "--name", "A"},
		"bad id":            {"client", "create", "--id", "a:b", "--name", "A", "--redirect-uri", "https://example.com/cb"},
		"duplicate":         {"client", "create", "--id", "crm", "--name", "A", "--redirect-uri", "https://example.com/cb"},
		"short secret":      {"client", "create", "--id", "b", "--name", "B", "--secret-stdin", "--redirect-uri", "https://example.com/cb"},
	} {
		if _, _, err := c.run("short\n", args...); err == nil {
			t.Errorf("%s: succeeded, want an error", name)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	c := newCLI(t)
	_, errOut, err := c.run("", "frobnicate")
	if err == nil || exitCode(err) != 2 || !strings.Contains(errOut, "Usage") {
		t.Errorf("unknown command: err %v, stderr %q", err, errOut)
	}
}

func TestServeRefusesPostgresWithoutSecrets(t *testing.T) {
	c := newCLI(t)
	c.env["TWOFOLD_DATABASE_URL"] = "postgres://postgres@127.0.0.1:1/none"
	_, _, err := c.run("", "serve")
	if err == nil || !strings.Contains(err.Error(), "secrets.key_encryption_key") {
		t.Errorf("serve on PostgreSQL without secrets: %v, want an error naming the setting", err)
	}
}

// TestDemoSignIn runs "serve --demo" and signs in at /demo as alice, with
// the code from the SMS file, the way a new user follows the README.
func TestDemoSignIn(t *testing.T) {
	c := newCLI(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c.env["TWOFOLD_LISTEN"] = addr
	c.env["TWOFOLD_ISSUER"] = "http://" + addr
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--demo"}, strings.NewReader(""), io.Discard, io.Discard, func(k string) string { return c.env[k] })
	}()
	base := "http://" + addr
	waitUp(t, base+"/healthz")

	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	body := get(t, b, base+"/demo/login")
	form := hidden(body)
	form.Set("username", "alice")
	form.Set("password", "demo-alice")
	form.Set("office", "DEMO")
	body = post(t, b, base+"/login", form)
	if !strings.Contains(body, "one-time-code") {
		t.Fatalf("after the password, no code page:\n%s", body)
	}
	recs, err := sms.ReadMessageFile(c.env["TWOFOLD_SMS_FILE"])
	if err != nil || len(recs) != 1 {
		t.Fatalf("SMS file: %d records, %v", len(recs), err)
	}
	code := regexp.MustCompile(`#(\d{6})`).FindStringSubmatch(recs[0].Body)
	if code == nil {
		t.Fatalf("no code in %q", recs[0].Body)
	}
	form = hidden(body)
	form.Set("code", code[1])
	body = html.UnescapeString(post(t, b, base+"/login/code", form))
	for _, want := range []string{`"amr"`, `"sms"`, `"mfa"`, `"office"`, `"DEMO"`} {
		if !strings.Contains(body, want) {
			t.Errorf("demo claims page lacks %s:\n%s", want, body)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v after shutdown", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop within 20 s of the signal")
	}
}

func waitUp(t *testing.T, u string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		resp, err := http.Get(u)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not come up", u)
}

func get(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func post(t *testing.T, c *http.Client, u string, form url.Values) string {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 {
		t.Fatalf("POST %s: status %d\n%s", u, resp.StatusCode, b)
	}
	return string(b)
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

func hidden(body string) url.Values {
	v := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(body, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	return v
}
