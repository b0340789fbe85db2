package faults

import (
	"context"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"sync"
	"testing"
	"time"

	"twofold/password"
	"twofold/sms"
	"twofold/storage"
)

// stalledGateway never responds before the request gives up.
type stalledGateway struct{}

func (stalledGateway) Send(ctx context.Context, _ sms.Message) (sms.Receipt, error) {
	select {
	case <-ctx.Done():
		return sms.Receipt{}, ctx.Err()
	case <-time.After(20 * time.Second):
		return sms.Receipt{}, errors.New("gateway timed out")
	}
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// signIn runs the password step as a browser and returns the final status
// and whether the browser reached the application.
func (e *env) signIn(t *testing.T, username, office string, timeout time.Duration) (int, bool) {
	jar, _ := cookiejar.New(nil)
	reached := false
	b := &http.Client{Jar: jar, Timeout: timeout, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host == "rp.test.invalid" {
			reached = true
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := b.Get(e.authorizeURL())
	if err != nil {
		t.Fatalf("authorize: %v", err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	form := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(string(raw), -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	form.Set("username", username)
	form.Set("password", "a long password")
	form.Set("office", office)
	resp, err = b.PostForm(e.issuer+"/login", form)
	if err != nil {
		return 0, false
	}
	resp.Body.Close()
	return resp.StatusCode, reached
}

// TestSlowGatewaySparesPasswordOffices stalls the SMS gateway and checks
// that offices without two-factor sign in at full speed meanwhile.
func TestSlowGatewaySparesPasswordOffices(t *testing.T) {
	e := startWith(t, stalledGateway{})
	ctx := context.Background()
	now := time.Now().UTC()
	hash, err := password.NewHasher(password.Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1}, 0).Hash(ctx, "a long password")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []*storage.Office{
		{ID: "plain", Code: "PLAIN", Name: "Plain", CreatedAt: now, UpdatedAt: now},
		{ID: "secure", Code: "SECURE", Name: "Secure", TwoFactor: true, CreatedAt: now, UpdatedAt: now},
	} {
		if err := e.store.CreateOffice(ctx, o); err != nil {
			t.Fatal(err)
		}
		u := &storage.User{ID: "u-" + o.ID, OfficeID: o.ID, Username: "anna", Role: storage.RoleUser, PasswordHash: hash,
			Mobile: "+31612345678", MobileConfirmed: true, CreatedAt: now, UpdatedAt: now}
		if err := e.store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}

	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.signIn(t, "anna", "SECURE", 3*time.Second) // stalls in the gateway
		}()
	}
	time.Sleep(200 * time.Millisecond)
	for i := range 5 {
		start := time.Now()
		status, reached := e.signIn(t, "anna", "PLAIN", 10*time.Second)
		took := time.Since(start)
		if !reached {
			t.Errorf("password-only sign-in %d with the gateway stalled: status %d, did not reach the application", i, status)
		}
		if took > time.Second {
			t.Errorf("password-only sign-in %d took %s with the gateway stalled, want well under a second", i, took)
		}
	}
	wg.Wait()
}
