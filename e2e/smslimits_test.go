package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"twofold/config"
	"twofold/internal/pgtest"
	"twofold/internal/testenv"
	"twofold/password"
	"twofold/server"
	"twofold/sms"
	"twofold/storage"
	"twofold/storage/backend"
)

// limitsConfig returns the configuration of a test server on dbURL that
// trusts 127.0.0.1 as a proxy, so that each browser can claim a client
// address with X-Forwarded-For, and writes codes to smsFile.
func limitsConfig(t *testing.T, dbURL, smsFile string) config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.DatabaseURL = dbURL
	cfg.SMS = sms.Config{Sender: "file", File: smsFile}
	cfg.Secrets = config.Secrets{CookieKeys: []string{randomKey(64)}, KeyEncryptionKey: randomKey(32)}
	cfg.TrustedProxies = []string{"127.0.0.1/32"}
	return cfg
}

// startServers runs one twofold server per configuration on one database
// and one clock, as replicas behind a load balancer would. The first
// configuration's database URL, SMS file and secrets apply to all, so each
// env differs only in its issuer and port. Each server's clock starts at
// the same instant.
func startServers(t *testing.T, cfg config.Config, n int) []*env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	db, err := backend.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sender, err := sms.New(cfg.SMS, io.Discard, http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	hasher := password.NewHasher(password.Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1}, 0)
	clk := &testenv.Clock{}
	var envs []*env
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		c := cfg
		c.Issuer = "http://" + ln.Addr().String()
		c.Listen = ln.Addr().String()
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		srv, err := server.New(ctx, server.Options{Config: c, Store: db, Sender: sender, Hasher: hasher, Log: log, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		hs := &http.Server{Handler: srv, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = hs.Serve(ln) }()
		t.Cleanup(func() { _ = hs.Close() })
		envs = append(envs, &env{t: t, ctx: ctx, issuer: c.Issuer, store: db, smsFile: cfg.SMS.File, clock: clk, hasher: hasher})
	}
	return envs
}

// eachLimited runs fn on every backend with one server configured by edit.
func eachLimited(t *testing.T, edit func(cfg *config.Config), fn func(t *testing.T, e *env)) {
	for name, dbURL := range testenv.Backends(t) {
		t.Run(name, func(t *testing.T) {
			cfg := limitsConfig(t, dbURL(t), filepath.Join(t.TempDir(), "sms.jsonl"))
			if edit != nil {
				edit(&cfg)
			}
			fn(t, startServers(t, cfg, 1)[0])
		})
	}
}

// forwardedFor sends every request with an X-Forwarded-For header, as a
// proxy in front of twofold would add it.
type forwardedFor struct {
	addr string
	next http.RoundTripper
}

func (f forwardedFor) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.addr)
	return f.next.RoundTrip(r)
}

// browserFrom returns a browser whose requests claim the client address.
func browserFrom(t *testing.T, addr string) *browser {
	b := newBrowser(t)
	b.client.Transport = forwardedFor{addr: addr, next: http.DefaultTransport}
	return b
}

// smsCount returns how many messages the file sender has written.
func (e *env) smsCount() int {
	e.t.Helper()
	recs, err := sms.ReadMessageFile(e.smsFile)
	if err != nil && !os.IsNotExist(err) {
		e.t.Fatal(err)
	}
	return len(recs)
}

// retryAfter returns the page's Retry-After in seconds, failing t when it
// is missing.
func retryAfter(t *testing.T, p *page) time.Duration {
	t.Helper()
	secs, err := strconv.Atoi(p.header.Get("Retry-After"))
	if err != nil || secs < 1 {
		t.Fatalf("Retry-After = %q, want a positive number of seconds", p.header.Get("Retry-After"))
	}
	return time.Duration(secs) * time.Second
}

// mobileNumber returns a distinct valid Dutch mobile number for i.
func mobileNumber(i int) string {
	return fmt.Sprintf("+316123456%02d", i)
}

// twoPerHourThreePerDay is the limit the scope tests put on one scope.
var twoPerHourThreePerDay = sms.Rate{PerHour: 2, PerDay: 3}

func TestLimitsPerScope(t *testing.T) {
	// Each case shares one thing between its sign-ins, the scope under
	// test, and varies the rest, so only that scope's limit can be hit.
	cases := []struct {
		scope string
		set   func(l *sms.LimitsConfig)
		// The shared fields mark what every sign-in has in common.
		sharedUser, sharedNumber, sharedIP, sharedOffice bool
	}{
		{scope: "number", set: func(l *sms.LimitsConfig) { l.PerNumber = twoPerHourThreePerDay }, sharedNumber: true, sharedOffice: true},
		{scope: "user", set: func(l *sms.LimitsConfig) { l.PerUser = twoPerHourThreePerDay }, sharedUser: true, sharedNumber: true, sharedOffice: true},
		{scope: "client IP", set: func(l *sms.LimitsConfig) { l.PerClientIP = twoPerHourThreePerDay }, sharedIP: true, sharedOffice: true},
		{scope: "office", set: func(l *sms.LimitsConfig) { l.PerOffice = twoPerHourThreePerDay }, sharedOffice: true},
		{scope: "installation", set: func(l *sms.LimitsConfig) { l.Installation = twoPerHourThreePerDay }},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.scope, " ", "_"), func(t *testing.T) {
			eachLimited(t, func(cfg *config.Config) { tc.set(&cfg.SMS.Limits) }, func(t *testing.T, e *env) {
				app := e.client("app-one")
				var firstOffice *storage.Office
				// signIn runs sign-in i and returns the page after the
				// password and whether a code was sent.
				signIn := func(i int) (*page, bool) {
					t.Helper()
					office := firstOffice
					if office == nil || !tc.sharedOffice {
						office = e.office(fmt.Sprintf("OFFICE%d", i), true)
						firstOffice = office
					}
					username := fmt.Sprintf("user%d", i)
					if tc.sharedUser {
						username = "user0"
					}
					number := mobileNumber(i)
					if tc.sharedNumber {
						number = mobileNumber(0)
					}
					if _, err := e.store.UserByUsername(e.ctx, office.ID, username); err != nil {
						e.user(office, username, "pw-"+username, number, true)
					}
					ip := fmt.Sprintf("198.51.100.%d", i+1)
					if tc.sharedIP {
						ip = "203.0.113.7"
					}
					before := e.smsCount()
					p := signInPage(browserFrom(t, ip), app.begin(), username, "pw-"+username, office.Code)
					return p, e.smsCount() > before
				}

				// The user scope allows one code every 30 s.
				step := func() { e.clock.Advance(31 * time.Second) }
				for i := range 2 {
					if p, sent := signIn(i); !sent || p.url.Path != "/login/code" {
						t.Fatalf("sign-in %d: at %s with status %d, sent %v; want a code", i+1, p.url.Path, p.status, sent)
					}
					step()
				}

				p, sent := signIn(2)
				if sent {
					t.Fatalf("third sign-in within the hour sent a code past the %s limit of 2 an hour", tc.scope)
				}
				if p.status != http.StatusTooManyRequests {
					t.Errorf("third sign-in: status %d, want 429", p.status)
				}
				if wait := retryAfter(t, p); wait < 55*time.Minute || wait > 66*time.Minute {
					t.Errorf("third sign-in: Retry-After %v, want about an hour", wait)
				}
				if msg := alert(p); !strings.Contains(msg, "Try again in") {
					t.Errorf("third sign-in: alert %q, want it to say when to try again", msg)
				}

				e.clock.Advance(66 * time.Minute)
				if _, sent := signIn(3); !sent {
					t.Fatalf("sign-in an hour later: no code, want the third of the day")
				}
				step()

				e.clock.Advance(66 * time.Minute)
				p, sent = signIn(4)
				if sent {
					t.Fatalf("fourth sign-in of the day sent a code past the %s limit of 3 a day", tc.scope)
				}
				if wait := retryAfter(t, p); wait < 20*time.Hour || wait > 25*time.Hour {
					t.Errorf("fourth sign-in of the day: Retry-After %v, want most of a day", wait)
				}

				e.clock.Advance(24 * time.Hour)
				if _, sent := signIn(5); !sent {
					t.Errorf("sign-in a day later: no code")
				}
				if n := e.smsCount(); n != 4 {
					t.Errorf("%d codes sent in all, want 4", n)
				}
			})
		})
	}
}

// signInPage opens the flow and posts the password, and returns the page
// that follows, whatever its status.
func signInPage(b *browser, f flow, username, pw, office string) *page {
	b.t.Helper()
	p := b.get(f.url)
	if p.url.Path != "/login" {
		b.t.Fatalf("authorize led to %s with status %d, want the sign-in page", p.url.Path, p.status)
	}
	return b.submit(p, "/login", map[string]string{"username": username, "password": pw, "office": office})
}

func TestSpoofedForwardedForIgnored(t *testing.T) {
	eachLimited(t, func(cfg *config.Config) {
		cfg.TrustedProxies = nil
		cfg.SMS.Limits.PerClientIP = sms.Rate{PerHour: 2, PerDay: 10}
	}, func(t *testing.T, e *env) {
		office := e.office("SECURE", true)
		app := e.client("app-one")
		for i := range 3 {
			username := fmt.Sprintf("user%d", i)
			e.user(office, username, "pw", mobileNumber(i), true)
			// Every browser claims another address, but 127.0.0.1 is not
			// a trusted proxy, so all of them are 127.0.0.1.
			p := signInPage(browserFrom(t, fmt.Sprintf("198.51.100.%d", i+1)), app.begin(), username, "pw", "SECURE")
			want := http.StatusOK
			if i == 2 {
				want = http.StatusTooManyRequests
			}
			if p.status != want {
				t.Errorf("sign-in %d with a spoofed X-Forwarded-For: status %d, want %d", i+1, p.status, want)
			}
		}
		if n := e.smsCount(); n != 2 {
			t.Errorf("%d codes sent, want 2: the client IP limit must count the real peer", n)
		}
	})
}

func TestClientIPCountedPerIPv6Prefix(t *testing.T) {
	eachLimited(t, func(cfg *config.Config) {
		cfg.SMS.Limits.PerClientIP = sms.Rate{PerHour: 2, PerDay: 10}
	}, func(t *testing.T, e *env) {
		office := e.office("SECURE", true)
		app := e.client("app-one")
		addrs := []string{"2001:db8:1:2::1", "2001:db8:1:2:aaaa::9", "2001:db8:1:2:ffff::5", "2001:db8:1:3::1"}
		wantSent := []bool{true, true, false, true}
		for i, addr := range addrs {
			username := fmt.Sprintf("user%d", i)
			e.user(office, username, "pw", mobileNumber(i), true)
			before := e.smsCount()
			signInPage(browserFrom(t, addr), app.begin(), username, "pw", "SECURE")
			if sent := e.smsCount() > before; sent != wantSent[i] {
				t.Errorf("sign-in from %s: sent %v, want %v", addr, sent, wantSent[i])
			}
		}
	})
}

func TestLimitedResendKeepsCode(t *testing.T) {
	eachLimited(t, func(cfg *config.Config) {
		cfg.SMS.Limits.PerNumber = sms.Rate{PerHour: 2, PerDay: 10}
	}, func(t *testing.T, e *env) {
		office := e.office("SECURE", true)
		e.user(office, "ben", "ben-password", nlMobile, true)
		app := e.client("app-one")
		b := newBrowser(t)
		f := app.begin()
		p := signIn(b, f, "ben", "ben-password", "SECURE")
		e.clock.Advance(31 * time.Second)
		p = b.submit(p, "/login/code/resend", nil)
		code := e.lastCode(nlMobile)

		e.clock.Advance(31 * time.Second)
		limited := b.submit(p, "/login/code/resend", nil)
		if limited.status != http.StatusTooManyRequests {
			t.Fatalf("third code within the hour: status %d, want 429", limited.status)
		}
		retryAfter(t, limited)
		if msg := alert(limited); !strings.Contains(msg, "still works") {
			t.Errorf("limited resend: alert %q, want it to say the code sent before still works", msg)
		}
		if n := len(e.codes(nlMobile)); n != 2 {
			t.Fatalf("%d codes sent, want 2", n)
		}
		// The limited page is the code page, served at the resend URL.
		app.redeem(t, f, wantRedirect(t, b.submit(limited, "/login/code", map[string]string{"code": code})))
	})
}

func TestSeveralTabsSendOneCode(t *testing.T) {
	eachLimited(t, nil, func(t *testing.T, e *env) {
		office := e.office("SECURE", true)
		e.user(office, "ben", "ben-password", nlMobile, true)
		app := e.client("app-one")
		b := newBrowser(t)

		// Three tabs of one browser, each with its own authorization
		// request, all reach the password form before any finishes.
		flows := []flow{app.begin(), app.begin(), app.begin()}
		forms := make([]*page, len(flows))
		for i, f := range flows {
			forms[i] = b.get(f.url)
		}
		first := b.submit(forms[0], "/login", map[string]string{"username": "ben", "password": "ben-password", "office": "SECURE"})
		if first.url.Path != "/login/code" {
			t.Fatalf("first tab: at %s, want the code page", first.url.Path)
		}
		for i := 1; i < len(forms); i++ {
			p := b.submit(forms[i], "/login", map[string]string{"username": "ben", "password": "ben-password", "office": "SECURE"})
			if p.status != http.StatusTooManyRequests || !strings.Contains(alert(p), "another window") {
				t.Errorf("tab %d: status %d, alert %q; want 429 pointing to the other window", i+1, p.status, alert(p))
			}
			retryAfter(t, p)
		}
		// Reloading, re-posting and the code page send nothing either.
		b.get(first.url.String())
		b.submit(forms[0], "/login", map[string]string{"username": "ben", "password": "ben-password", "office": "SECURE"})
		b.get(flows[0].url)
		if n := len(e.codes(nlMobile)); n != 1 {
			t.Fatalf("%d codes sent for three tabs, want 1", n)
		}

		app.redeem(t, flows[0], wantRedirect(t, enterCode(b, first, e.lastCode(nlMobile))))
		// The other tabs finish through the session the first one made.
		for i := 1; i < len(flows); i++ {
			id := forms[i].url.Query().Get("id")
			p := b.get(e.issuer + "/login?id=" + url.QueryEscape(id))
			tok := app.redeem(t, flows[i], wantRedirect(t, p))
			if got := claimStrings(t, tok.claims, "amr"); !strings.Contains(strings.Join(got, " "), "sms") {
				t.Errorf("tab %d: amr %v, want the SMS factor of the session", i+1, got)
			}
		}
		if n := len(e.codes(nlMobile)); n != 1 {
			t.Errorf("%d codes sent after every tab finished, want 1", n)
		}
	})
}

func TestAbandonedTabGetsCodeLater(t *testing.T) {
	eachLimited(t, nil, func(t *testing.T, e *env) {
		office := e.office("SECURE", true)
		e.user(office, "ben", "ben-password", nlMobile, true)
		app := e.client("app-one")
		b := newBrowser(t)
		signIn(b, app.begin(), "ben", "ben-password", "SECURE")
		second := app.begin()
		form := b.get(second.url)
		limited := b.submit(form, "/login", map[string]string{"username": "ben", "password": "ben-password", "office": "SECURE"})
		if limited.status != http.StatusTooManyRequests {
			t.Fatalf("second tab at once: status %d, want 429", limited.status)
		}
		// After the wait, reloading the second tab sends its own code.
		e.clock.Advance(retryAfter(t, limited))
		p := b.get(e.issuer + "/login?id=" + url.QueryEscape(form.url.Query().Get("id")))
		if p.url.Path != "/login/code" {
			t.Fatalf("second tab after the wait: at %s with status %d, want the code page", p.url.Path, p.status)
		}
		if n := len(e.codes(nlMobile)); n != 2 {
			t.Fatalf("%d codes sent, want 2", n)
		}
		app.redeem(t, second, wantRedirect(t, enterCode(b, p, e.lastCode(nlMobile))))
	})
}

func TestConcurrentPasswordPostsSendOneCode(t *testing.T) {
	eachLimited(t, nil, func(t *testing.T, e *env) {
		office := e.office("SECURE", true)
		e.user(office, "ben", "ben-password", nlMobile, true)
		app := e.client("app-one")
		b := newBrowser(t)
		form := b.get(app.begin().url)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				b.submit(form, "/login", map[string]string{"username": "ben", "password": "ben-password", "office": "SECURE"})
			})
		}
		wg.Wait()
		if n := len(e.codes(nlMobile)); n != 1 {
			t.Errorf("%d codes sent for four concurrent posts of one password form, want 1", n)
		}
	})
}

func TestEnrollmentSendsCountAcrossNumbers(t *testing.T) {
	eachLimited(t, nil, func(t *testing.T, e *env) {
		office := e.office("SECURE", true)
		e.user(office, "cleo", "cleo-password", "", false)
		app := e.client("app-one")
		b := newBrowser(t)
		p := signIn(b, app.begin(), "cleo", "cleo-password", "SECURE")
		enroll := p
		for i := range 6 {
			p = b.submit(enroll, "/login/enroll", map[string]string{"country": "NL", "mobile": mobileNumber(i)})
			e.clock.Advance(31 * time.Second)
		}
		if n := e.smsCount(); n != 5 {
			t.Errorf("%d codes sent to six typed numbers in one sign-in, want MaxSends (5)", n)
		}
		if p.status != http.StatusTooManyRequests || !strings.Contains(alert(p), "No more codes") {
			t.Errorf("sixth number: status %d, alert %q; want 429 saying no more codes", p.status, alert(p))
		}
		// A resend after the five does not send either.
		code := b.get(e.issuer + "/login/code?id=" + url.QueryEscape(enroll.url.Query().Get("id")))
		b.submit(code, "/login/code/resend", nil)
		if n := e.smsCount(); n != 5 {
			t.Errorf("%d codes sent after a resend, want 5", n)
		}
	})
}

// TestFlood attempts 200 sends to one number through the real flow: new
// sign-ins and resends of several users who share the number, with the
// clock moving on between attempts. No window may hold more codes than the
// default limits allow.
func TestFlood(t *testing.T) {
	limits := sms.DefaultLimits()
	eachLimited(t, nil, func(t *testing.T, e *env) {
		office := e.office("SECURE", true)
		const users = 4
		for i := range users {
			e.user(office, fmt.Sprintf("user%d", i), "pw", nlMobile, true)
		}
		app := e.client("app-one")
		start := e.clock.Now()
		var (
			sentAt  []time.Time
			b       *browser
			current *page // the code page of the sign-in in progress, or nil
		)
		for attempt := range 200 {
			before := e.smsCount()
			if current != nil && attempt%3 != 0 {
				current = b.submit(current, "/login/code/resend", nil)
			} else {
				b = browserFrom(t, fmt.Sprintf("198.51.100.%d", attempt%200+1))
				current = signInPage(b, app.begin(), fmt.Sprintf("user%d", attempt%users), "pw", "SECURE")
			}
			if findForm(current.doc, "/login/code/resend") == nil {
				// Out of sends, expired or refused: sign in again next.
				current = nil
			}
			if e.smsCount() > before {
				sentAt = append(sentAt, e.clock.Now())
			}
			// 100 attempts at 40 s, then 100 at 14 min: the first half
			// meets the hourly limit, the second the daily one.
			if attempt < 100 {
				e.clock.Advance(40 * time.Second)
			} else {
				e.clock.Advance(14 * time.Minute)
			}
		}
		elapsed := e.clock.Now().Sub(start)
		t.Logf("%d codes sent in %v for 200 attempts", len(sentAt), elapsed.Round(time.Minute))

		if n := e.smsCount(); n != len(sentAt) {
			t.Fatalf("the SMS file has %d messages, the attempts saw %d", n, len(sentAt))
		}
		wantWindow(t, sentAt, time.Hour, limits.PerNumber.PerHour)
		wantWindow(t, sentAt, 24*time.Hour, limits.PerNumber.PerDay)
		if max := limits.PerNumber.PerDay * int(elapsed/(24*time.Hour)+1); len(sentAt) > max {
			t.Errorf("%d codes in %v, want at most %d", len(sentAt), elapsed, max)
		}
		if len(sentAt) < limits.PerNumber.PerHour {
			t.Errorf("%d codes sent, want at least the hourly limit of %d: the flood test sends too little", len(sentAt), limits.PerNumber.PerHour)
		}

		stats, err := e.store.SMSStats(e.ctx, storage.SMSStatsFilter{OfficeID: office.ID})
		if err != nil {
			t.Fatal(err)
		}
		var sent, limited int64
		for _, s := range stats {
			switch s.Outcome {
			case storage.SMSSent:
				sent += s.Messages
			case storage.SMSLimited:
				limited += s.Messages
			}
		}
		if sent != int64(len(sentAt)) || limited == 0 {
			t.Errorf("statistics: %d sent and %d limited, want %d sent and some limited", sent, limited, len(sentAt))
		}
	})
}

// wantWindow fails t when any interval of length holds more than max of
// the times, which are in order.
func wantWindow(t *testing.T, times []time.Time, length time.Duration, max int) {
	t.Helper()
	for i := range times {
		n := 0
		for _, s := range times[i:] {
			if s.Sub(times[i]) < length {
				n++
			}
		}
		if n > max {
			t.Errorf("%d codes within %v from %v, want at most %d", n, length, times[i].Format(time.TimeOnly), max)
			return
		}
	}
}

func TestLimitsSharedByTwoServers(t *testing.T) {
	server := pgtest.Server(t)
	if server == "" {
		t.Skip("needs PostgreSQL: set TWOFOLD_TEST_POSTGRES")
	}
	cfg := limitsConfig(t, pgtest.Schema(t, server), filepath.Join(t.TempDir(), "sms.jsonl"))
	cfg.SMS.Limits.PerNumber = sms.Rate{PerHour: 3, PerDay: 5}
	envs := startServers(t, cfg, 2)
	office := envs[0].office("SECURE", true)
	const users = 8
	for i := range users {
		envs[0].user(office, fmt.Sprintf("user%d", i), "pw", nlMobile, true)
	}
	app := envs[0].client("app-one")

	// Every user signs in at once, half through each server.
	var wg sync.WaitGroup
	statuses := make([]int, users)
	for i := range users {
		wg.Go(func() {
			b := browserFrom(t, fmt.Sprintf("198.51.100.%d", i+1))
			statuses[i] = signInPage(b, beginOn(app, envs[i%2]), fmt.Sprintf("user%d", i), "pw", "SECURE").status
		})
	}
	wg.Wait()
	if n := envs[0].smsCount(); n != 3 {
		t.Errorf("%d codes sent by two servers for 8 concurrent sign-ins, want the hourly limit of 3 (statuses %v)", n, statuses)
	}
	limited := 0
	for _, s := range statuses {
		if s == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited != users-3 {
		t.Errorf("%d sign-ins got 429, want %d (statuses %v)", limited, users-3, statuses)
	}

	// An hour later each server sends one more, and the day's limit of 5
	// then holds on both.
	envs[0].clock.Advance(66 * time.Minute)
	for i, e := range envs {
		signInPage(browserFrom(t, "198.51.100.100"), beginOn(app, e), fmt.Sprintf("user%d", i), "pw", "SECURE")
	}
	for i, e := range envs {
		p := signInPage(browserFrom(t, "198.51.100.101"), beginOn(app, e), fmt.Sprintf("user%d", i+2), "pw", "SECURE")
		if p.status != http.StatusTooManyRequests {
			t.Errorf("server %d after the daily limit: status %d, want 429", i+1, p.status)
		}
	}
	if n := envs[0].smsCount(); n != 5 {
		t.Errorf("%d codes sent in the day, want the daily limit of 5", n)
	}
}

// beginOn starts a flow of app at the server of e instead of the one app
// was registered through.
func beginOn(app *rp, e *env) flow {
	f := app.begin()
	u, _ := url.Parse(f.url)
	issuer, _ := url.Parse(e.issuer)
	u.Host = issuer.Host
	f.url = u.String()
	return f
}
