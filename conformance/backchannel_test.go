package conformance

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"twofold/config"
	"twofold/internal/testenv"
	"twofold/server"
	"twofold/storage"
)

// quietSender runs the back-channel sender only when a sign-out wakes it,
// so that a test can run the later attempts itself with DeliverDue.
func quietSender(o *server.Options) { o.BackChannelPoll = time.Hour }

// TestBackChannelRetries: a client that fails is retried after the backoff
// until it accepts.
func TestBackChannelRetries(t *testing.T) {
	for name, dbURL := range testenv.Backends(t) {
		t.Run(name, func(t *testing.T) {
			p := startProviderWith(t, dbURL(t), func(_ *config.Config, o *server.Options) { quietSender(o) })
			rcv := newReceiver(t)
			rcv.fail = 2
			m := &run{p: p, rp: p.client(clientOptions{backchannel: rcv.uri()}), b: newBrowser(t)}
			_, tok := m.login(t)
			sid := liveSession(t, m, tok)
			m.endSession(url.Values{"id_token_hint": {tok.raw}})
			if got := rcv.wait(t, 1); len(got) != 0 {
				t.Fatalf("the first, failed attempt was counted as delivered")
			}
			waitDelivery(t, p, sid, func(d storage.LogoutDelivery) bool { return d.Attempts == 1 && d.LastError != "" })
			if n, err := p.srv.BackChannel.DeliverDue(p.ctx); err != nil || n != 0 {
				t.Errorf("DeliverDue before the backoff: %d attempts (%v), want none", n, err)
			}
			for attempt := 2; attempt <= 3; attempt++ {
				m.after(time.Minute) // past the backoff
				if n, err := p.srv.BackChannel.DeliverDue(p.ctx); err != nil || n != 1 {
					t.Fatalf("attempt %d: DeliverDue made %d attempts (%v), want 1", attempt, n, err)
				}
			}
			if got := rcv.wait(t, 2); len(got) != 1 {
				t.Fatalf("after two failures the third attempt delivered %d tokens, want 1", len(got))
			}
			list, err := p.store.LogoutDeliveries(p.ctx, sid)
			if err != nil || len(list) != 1 || list[0].DeliveredAt == nil || list[0].Attempts != 3 {
				t.Errorf("delivery record %+v (%v), want delivered on the third attempt", list, err)
			}
		})
	}
}

// TestBackChannelGivesUp: a client that never accepts gets five attempts.
func TestBackChannelGivesUp(t *testing.T) {
	for name, dbURL := range testenv.Backends(t) {
		t.Run(name, func(t *testing.T) {
			p := startProviderWith(t, dbURL(t), func(_ *config.Config, o *server.Options) { quietSender(o) })
			rcv := newReceiver(t)
			rcv.fail = 100
			m := &run{p: p, rp: p.client(clientOptions{backchannel: rcv.uri()}), b: newBrowser(t)}
			_, tok := m.login(t)
			sid := liveSession(t, m, tok)
			m.endSession(url.Values{"id_token_hint": {tok.raw}})
			waitDelivery(t, p, sid, func(d storage.LogoutDelivery) bool { return d.Attempts == 1 && d.LastError != "" })
			for range 6 {
				m.after(time.Hour)
				if _, err := p.srv.BackChannel.DeliverDue(p.ctx); err != nil {
					t.Fatal(err)
				}
			}
			list, err := p.store.LogoutDeliveries(p.ctx, sid)
			if err != nil || len(list) != 1 || list[0].FailedAt == nil || list[0].Attempts != 5 {
				t.Errorf("delivery record %+v (%v), want given up after 5 attempts", list, err)
			}
		})
	}
}

// waitDelivery waits until the session's one delivery satisfies ok, as the
// sender records it after each attempt.
func waitDelivery(t *testing.T, p *provider, sessionID string, ok func(storage.LogoutDelivery) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		list, err := p.store.LogoutDeliveries(p.ctx, sessionID)
		if err == nil && len(list) == 1 && ok(list[0]) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery %+v (%v) did not reach the expected state", list, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// liveSession returns the id of the live session an ID token's sid names.
func liveSession(t *testing.T, m *run, tok tokens) string {
	t.Helper()
	sessions, err := m.p.store.UserSessions(m.p.ctx, tok.id.Subject, m.p.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sessions {
		if sidOf(s.ID) == tok.claims["sid"] {
			return s.ID
		}
	}
	t.Fatalf("no live session has the sid %v", tok.claims["sid"])
	return ""
}

// TestBackChannelTimeout: a client that does not answer in time counts as
// a failure and is retried; the sign-out itself does not wait for it.
func TestBackChannelTimeout(t *testing.T) {
	for name, dbURL := range testenv.Backends(t) {
		t.Run(name, func(t *testing.T) {
			p := startProviderWith(t, dbURL(t), func(_ *config.Config, o *server.Options) {
				quietSender(o)
				o.BackChannelClient = &http.Client{Timeout: 200 * time.Millisecond}
			})
			rcv := newReceiver(t)
			rcv.hang = 2 * time.Second
			m := &run{p: p, rp: p.client(clientOptions{backchannel: rcv.uri()}), b: newBrowser(t)}
			_, tok := m.login(t)
			sid := liveSession(t, m, tok)
			start := time.Now()
			pg := m.endSession(url.Values{"id_token_hint": {tok.raw}, "post_logout_redirect_uri": {m.rp.postLogout}})
			if took := time.Since(start); took > time.Second || pg.rp == nil {
				t.Errorf("sign-out took %v (redirect %v); it must not wait for the back-channel", took, pg.rp)
			}
			waitDelivery(t, p, sid, func(d storage.LogoutDelivery) bool { return d.Attempts == 1 && d.LastError != "" })
			rcv.wait(t, 1)
			rcv.mu.Lock()
			rcv.hang = 0
			rcv.mu.Unlock()
			m.after(time.Minute)
			if n, err := p.srv.BackChannel.DeliverDue(p.ctx); err != nil || n != 1 {
				t.Fatalf("retry after the timeout: %d attempts (%v), want 1", n, err)
			}
			if got := rcv.wait(t, 1); len(got) != 1 {
				t.Errorf("the retry after a timeout delivered %d tokens, want 1", len(got))
			}
		})
	}
}

// TestAccountSessionsSignOut: the user's own page lists their sessions and
// their applications, and signing out of another session tells its
// applications.
func TestAccountSessionsSignOut(t *testing.T) {
	each(t, func(t *testing.T, m *run) {
		rcv := newReceiver(t)
		app := m.p.client(clientOptions{backchannel: rcv.uri()})
		laptop := &run{p: m.p, rp: app, b: newBrowser(t)}
		_, laptopTok := laptop.login(t)
		phone := &run{p: m.p, rp: m.rp, b: newBrowser(t)}
		phone.login(t)

		page := phone.b.get(m.p.issuer + "/account/sessions")
		if page.status != http.StatusOK {
			t.Fatalf("/account/sessions: status %d", page.status)
		}
		row := byID(page.doc, "session-"+laptopTok.claims["sid"].(string))
		if row == nil {
			t.Fatalf("the sessions page does not list the laptop's session:\n%s", page.body)
		}
		if !containsText(row, "App "+app.id) {
			t.Errorf("the laptop's row does not name its application: %q", text(row))
		}
		var form *nodeT
		walk(row, func(n *nodeT) bool {
			if n.Data == "form" {
				form = n
			}
			return form != nil
		})
		data := url.Values{}
		for _, in := range inputs(form) {
			data.Set(attr(in, "name"), attr(in, "value"))
		}
		after := phone.b.post(m.p.issuer+"/account/sessions/end", data)
		if after.status != http.StatusOK || after.url.Path != "/account/sessions" {
			t.Fatalf("after signing out the laptop: at %s with status %d", after.url.Path, after.status)
		}
		if got := rcv.wait(t, 1); len(got) != 1 {
			t.Fatalf("back-channel logouts: %d, want 1", len(got))
		} else {
			checkLogoutToken(t, laptop, got[0], laptopTok)
		}
		laptop.wantSignedOut(t)
		none := phone.auth("prompt", "none")
		if atRP(t, phone.b.get(phone.rp.url(none))).Get("error") != "" {
			t.Error("signing out the laptop signed out the phone too")
		}

		all := phone.b.submit(phone.b.get(m.p.issuer+"/account/sessions"), "/account/sessions/end", nil)
		wantSignedOutPage(t, all)
		phone.wantSignedOut(t)
		forged := newBrowser(t).post(m.p.issuer+"/account/sessions/end", url.Values{"all": {"1"}})
		if forged.status < 400 || forged.status >= 500 {
			t.Errorf("a forged sign-out: status %d, want 4xx", forged.status)
		}
	})
}

func containsText(n *nodeT, s string) bool { return strings.Contains(text(n), s) }

// TestBackChannelOnPolicySwitch: switching an office to two-factor ends its
// sessions made without the code, and their applications are told.
func TestBackChannelOnPolicySwitch(t *testing.T) {
	each(t, func(t *testing.T, m *run) {
		rcv := newReceiver(t)
		m.rp = m.p.client(clientOptions{backchannel: rcv.uri()})
		_, tok := m.login(t)
		if _, err := m.p.store.SetOfficeTwoFactor(m.p.ctx, m.p.plain.ID, true, m.p.clock.Now()); err != nil {
			t.Fatal(err)
		}
		defer m.p.store.SetOfficeTwoFactor(m.p.ctx, m.p.plain.ID, false, m.p.clock.Now())
		got := rcv.wait(t, 1)
		if len(got) != 1 {
			t.Fatalf("back-channel logouts after the switch: %d, want 1", len(got))
		}
		checkLogoutToken(t, m, got[0], tok)
		m.wantSignedOut(t)
	})
}
