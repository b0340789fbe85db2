// Package replicas runs several twofold processes on one PostgreSQL
// database, the way a deployment behind a load balancer does, and checks
// that they behave as one: a sign-in may move between processes, and races
// on single-use values resolve to exactly one winner.
package replicas

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"twofold/internal/pgtest"
	"twofold/sms"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "twofold-replicas")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "twofold")
	build := exec.Command("go", "build", "-o", binary, "twofold/cmd/twofold")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build twofold:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func randomKey(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// cluster is a set of twofold processes sharing one database, issuer,
// secrets and SMS file.
type cluster struct {
	t       *testing.T
	env     []string
	issuer  string
	smsFile string
	procs   []*proc
}

type proc struct {
	addr   string
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	done   chan error
}

func newCluster(t *testing.T, n int) *cluster {
	t.Helper()
	server := pgtest.Server(t)
	if server == "" {
		t.Skip("replica tests need PostgreSQL: set TWOFOLD_TEST_POSTGRES")
	}
	dir := t.TempDir()
	c := &cluster{t: t, smsFile: filepath.Join(dir, "sms.jsonl")}
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = freePort(t)
	}
	c.issuer = "http://" + addrs[0]
	c.env = append(os.Environ(),
		"TWOFOLD_DATABASE_URL="+pgtest.Schema(t, server),
		"TWOFOLD_ISSUER="+c.issuer,
		"TWOFOLD_SMS_SENDER=file",
		"TWOFOLD_SMS_FILE="+c.smsFile,
		"TWOFOLD_COOKIE_KEYS="+randomKey(64),
		"TWOFOLD_KEY_ENCRYPTION_KEY="+randomKey(32),
	)
	for _, a := range addrs {
		c.start(a)
	}
	return c
}

func (c *cluster) start(addr string) *proc {
	c.t.Helper()
	p := &proc{addr: addr, stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(binary, "serve")
	p.cmd.Env = append(append([]string{}, c.env...), "TWOFOLD_LISTEN="+addr)
	p.cmd.Stderr = &lockedWriter{w: p.stderr}
	if err := p.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	c.t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
		if c.t.Failed() {
			c.t.Logf("stderr of the process on %s:\n%s", addr, p.stderr.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("twofold on %s did not start:\n%s", addr, p.stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.procs = append(c.procs, p)
	return p
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// cli runs a twofold command against the cluster's database.
func (c *cluster) cli(stdin string, args ...string) string {
	c.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = c.env
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		c.t.Fatalf("twofold %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// balancer sends each request to the next process in turn, rewriting the
// issuer's host, as a round-robin load balancer does.
type balancer struct {
	c    *cluster
	next atomic.Int64
	pin  int // when >= 0, every request goes to this process
}

func (b *balancer) RoundTrip(req *http.Request) (*http.Response, error) {
	i := b.pin
	if i < 0 {
		i = int(b.next.Add(1)) % len(b.c.procs)
	}
	r := req.Clone(req.Context())
	r.URL.Host = b.c.procs[i].addr
	return http.DefaultTransport.RoundTrip(r)
}

func (c *cluster) transport(pin int) http.RoundTripper { return &balancer{c: c, pin: pin} }

const redirect = "https://rp.test.invalid/callback"

// setup creates an office, a user with a confirmed number, and a client.
func (c *cluster) setup(twoFactor string) *oauth2.Config {
	c.t.Helper()
	c.cli("", "office", "create", "--code", "ACME", "--name", "Acme", "--two-factor", twoFactor)
	c.cli("anna-password\n", "user", "create", "--office", "ACME", "--username", "anna", "--role", "user",
		"--mobile", "+31612345678", "--confirmed", "--password-stdin")
	secret := strings.Repeat("s", 43)
	c.cli(secret+"\n", "client", "create", "--id", "app", "--name", "App", "--redirect-uri", redirect, "--secret-stdin")
	return &oauth2.Config{
		ClientID: "app", ClientSecret: secret, RedirectURL: redirect,
		Endpoint: oauth2.Endpoint{AuthURL: c.issuer + "/authorize", TokenURL: c.issuer + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader},
		Scopes:   []string{"openid", "profile", "offline_access"},
	}
}

type browser struct {
	t      *testing.T
	client *http.Client
	final  *url.URL
}

func (c *cluster) browser(pin int) *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{t: c.t}
	b.client = &http.Client{Jar: jar, Transport: c.transport(pin), Timeout: 20 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), redirect) {
				b.final = req.URL
				return http.ErrUseLastResponse
			}
			return nil
		}}
	return b
}

func (b *browser) do(method, u string, form url.Values) (int, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

func hidden(body string) url.Values {
	v := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(body, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	return v
}

func (c *cluster) lastCode() string {
	c.t.Helper()
	recs, err := sms.ReadMessageFile(c.smsFile)
	if err != nil || len(recs) == 0 {
		c.t.Fatalf("no SMS in %s: %v", c.smsFile, err)
	}
	_, code, ok := sms.ParseOneTimeCode(recs[len(recs)-1].Body)
	if !ok {
		c.t.Fatalf("no code in the last SMS")
	}
	return code
}

// signIn runs a whole sign-in through the balancer and returns the code
// and the PKCE verifier.
func (c *cluster) signIn(cfg *oauth2.Config, b *browser) (code, verifier string) {
	c.t.Helper()
	verifier = oauth2.GenerateVerifier()
	_, page := b.do(http.MethodGet, cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)), nil)
	form := hidden(page)
	form.Set("username", "anna")
	form.Set("password", "anna-password")
	form.Set("office", "ACME")
	status, page := b.do(http.MethodPost, c.issuer+"/login", form)
	if b.final == nil {
		if !strings.Contains(page, "one-time-code") {
			c.t.Fatalf("after the password: status %d, no code page", status)
		}
		form = hidden(page)
		form.Set("code", c.lastCode())
		b.do(http.MethodPost, c.issuer+"/login/code", form)
	}
	if b.final == nil {
		c.t.Fatal("the sign-in did not reach the relying party")
	}
	return b.final.Query().Get("code"), verifier
}

func TestSignInMovesBetweenProcesses(t *testing.T) {
	c := newCluster(t, 2)
	cfg := c.setup("on")
	b := c.browser(-1)
	code, verifier := c.signIn(cfg, b)
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: c.transport(-1)})
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if tok.Extra("id_token") == nil {
		t.Error("no ID token")
	}
	if _, err := cfg.TokenSource(ctx, tok).Token(); err != nil {
		t.Errorf("refresh on the other process: %v", err)
	}
}

func TestCodeRedeemedOnTwoProcessesOnce(t *testing.T) {
	c := newCluster(t, 2)
	cfg := c.setup("off")
	code, verifier := c.signIn(cfg, c.browser(-1))
	results := make([]error, 2)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: c.transport(i)})
			_, results[i] = cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
		}()
	}
	wg.Wait()
	wantOneWinner(t, results)
}

func TestRefreshTokenRacedTenTimes(t *testing.T) {
	c := newCluster(t, 2)
	cfg := c.setup("off")
	code, verifier := c.signIn(cfg, c.browser(-1))
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: c.transport(0)})
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	results := make([]error, 10)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: c.transport(i % 2)})
			_, results[i] = cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		}()
	}
	wg.Wait()
	wantOneWinner(t, results)
}

// wantOneWinner checks that exactly one call succeeded and every other one
// got invalid_grant.
func wantOneWinner(t *testing.T, results []error) {
	t.Helper()
	wins := 0
	for i, err := range results {
		var re *oauth2.RetrieveError
		switch {
		case err == nil:
			wins++
		case errors.As(err, &re) && re.ErrorCode == "invalid_grant" && re.Response.StatusCode < 500:
		default:
			t.Errorf("call %d: %v, want success or invalid_grant", i, err)
		}
	}
	if wins != 1 {
		t.Errorf("%d calls succeeded, want exactly 1", wins)
	}
}

func TestCodeEnteredInTwoTabs(t *testing.T) {
	c := newCluster(t, 2)
	cfg := c.setup("on")
	b := c.browser(0)
	_, page := b.do(http.MethodGet, cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), nil)
	form := hidden(page)
	form.Set("username", "anna")
	form.Set("password", "anna-password")
	form.Set("office", "ACME")
	_, page = b.do(http.MethodPost, c.issuer+"/login", form)
	form = hidden(page)
	form.Set("code", c.lastCode())

	tabs := []*browser{b, {t: t}}
	tabs[1].client = &http.Client{Jar: b.client.Jar, Transport: c.transport(1), Timeout: 20 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), redirect) {
				tabs[1].final = req.URL
				return http.ErrUseLastResponse
			}
			return nil
		}}
	statuses := make([]int, 2)
	var wg sync.WaitGroup
	for i, tab := range tabs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], _ = tab.do(http.MethodPost, c.issuer+"/login/code", form)
		}()
	}
	wg.Wait()
	codes := map[string]bool{}
	for i, tab := range tabs {
		if statuses[i] >= 500 {
			t.Errorf("tab %d: status %d", i, statuses[i])
		}
		if tab.final != nil && tab.final.Query().Get("code") != "" {
			codes[tab.final.Query().Get("code")] = true
		}
	}
	if len(codes) != 1 {
		t.Errorf("%d authorization codes issued for one sign-in entered in two tabs, want 1", len(codes))
	}
	if n := len(mustRead(t, c.smsFile)); n != 1 {
		t.Errorf("%d SMS sent, want 1", n)
	}
}

func mustRead(t *testing.T, path string) []sms.FileRecord {
	t.Helper()
	recs, err := sms.ReadMessageFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestSIGTERMFinishesRequests(t *testing.T) {
	c := newCluster(t, 1)
	p := c.procs[0]
	stop := make(chan struct{})
	var failures, served atomic.Int64
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Get("http://" + p.addr + "/.well-known/openid-configuration")
				if err != nil {
					return // the listener is closed: the process stopped accepting
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failures.Add(1)
				}
				served.Add(1)
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("twofold did not exit within 20 s of SIGTERM")
	}
	close(stop)
	wg.Wait()
	t.Logf("stopped %s after SIGTERM; %d requests served", time.Since(start).Round(time.Millisecond), served.Load())
	if failures.Load() > 0 {
		t.Errorf("%d requests failed with a non-200 status during shutdown", failures.Load())
	}
	if !strings.Contains(p.stderr.String(), "twofold stopped") {
		t.Errorf("no stop line in the log:\n%s", p.stderr.String())
	}
}

// TestSIGKILLMidSignIn kills a process between the password and the code.
// The database stays intact, the interrupted sign-in goes on at the other
// process, and a code issued before the kill works exactly once.
func TestSIGKILLMidSignIn(t *testing.T) {
	c := newCluster(t, 2)
	cfg := c.setup("on")
	code, verifier := c.signIn(cfg, c.browser(0))
	// Another user: twofold sends one code per user every 30 seconds.
	c.cli("ben-password\n", "user", "create", "--office", "ACME", "--username", "ben", "--role", "user",
		"--mobile", "+31687654321", "--confirmed", "--password-stdin")

	b := c.browser(0)
	_, page := b.do(http.MethodGet, cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), nil)
	form := hidden(page)
	form.Set("username", "ben")
	form.Set("password", "ben-password")
	form.Set("office", "ACME")
	_, page = b.do(http.MethodPost, c.issuer+"/login", form)
	if !strings.Contains(page, "one-time-code") {
		t.Fatal("no code page after the password")
	}
	if err := c.procs[0].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	c.procs[0].done <- <-c.procs[0].done

	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: c.transport(1)})
	if _, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier)); err != nil {
		t.Fatalf("code issued before the kill, redeemed at the survivor: %v", err)
	}
	if _, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier)); err == nil {
		t.Error("the code worked twice after the kill")
	}

	b.client.Transport = c.transport(1)
	form = hidden(page)
	form.Set("code", c.lastCode())
	if status, _ := b.do(http.MethodPost, c.issuer+"/login/code", form); status >= 500 || b.final == nil {
		t.Fatalf("interrupted sign-in at the survivor: status %d, no redirect to the application", status)
	}
	if out := c.cli("", "migrate"); !strings.Contains(out, "applied 0") {
		t.Errorf("migrate after the kill: %q", out)
	}
}
