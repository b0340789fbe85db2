package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"twofold/password"
	"twofold/sms"
	"twofold/storage"
	"twofold/storage/backend"
)

const (
	loadPassword = "load-test-password"
	loadRedirect = "https://load.test.invalid/callback"
)

func newTransport(workers int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = workers * 2
	t.MaxIdleConnsPerHost = workers * 2
	return t
}

func discovery(o options) func(context.Context, int) error {
	client := &http.Client{Transport: newTransport(o.workers), Timeout: 10 * time.Second}
	paths := []string{"/.well-known/openid-configuration", "/keys"}
	return func(ctx context.Context, worker int) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, o.issuer+paths[worker%2], nil)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: status %d", req.URL.Path, resp.StatusCode)
		}
		return nil
	}
}

// fixture is the office, users and client a load run signs in with.
type fixture struct {
	officeCode string
	clientID   string
	secret     string
	users      []string // usernames, one per worker
	mobiles    []string
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// setup creates a fresh office with one user per worker, and a client.
func setup(ctx context.Context, o options) (*fixture, error) {
	if o.databaseURL == "" {
		return nil, errors.New("-database-url is required for this scenario")
	}
	db, err := backend.Open(ctx, o.databaseURL)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	now := time.Now().UTC()
	suffix := strings.ToUpper(randomToken(4))
	suffix = strings.NewReplacer("-", "X", "_", "Y").Replace(suffix)
	f := &fixture{officeCode: "LOAD" + suffix, clientID: "load-" + strings.ToLower(suffix), secret: randomToken(32)}
	office := &storage.Office{ID: randomToken(16), Code: f.officeCode, Name: "Load test", TwoFactor: o.twoFactor, CreatedAt: now, UpdatedAt: now}
	if err := db.CreateOffice(ctx, office); err != nil {
		return nil, err
	}
	hash, err := password.NewHasher(password.DefaultParams, 0).Hash(ctx, loadPassword)
	if err != nil {
		return nil, err
	}
	for i := range o.users {
		u := &storage.User{
			ID: randomToken(16), OfficeID: office.ID, Username: fmt.Sprintf("load%d", i), Name: "Load user",
			Role: storage.RoleUser, PasswordHash: hash, CreatedAt: now, UpdatedAt: now,
		}
		if o.twoFactor {
			u.Mobile, u.MobileConfirmed = fmt.Sprintf("+3161%07d", i), true
		}
		if err := db.CreateUser(ctx, u); err != nil {
			return nil, err
		}
		f.users = append(f.users, u.Username)
		f.mobiles = append(f.mobiles, u.Mobile)
	}
	sum := sha256.Sum256([]byte(f.secret))
	c := &storage.Client{ID: f.clientID, Name: "Load test", SecretHash: sum[:], RedirectURIs: []string{loadRedirect}, CreatedAt: now}
	if err := db.CreateClient(ctx, c); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *fixture) oauth(issuer string, scopes ...string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: f.clientID, ClientSecret: f.secret, RedirectURL: loadRedirect,
		Endpoint: oauth2.Endpoint{AuthURL: issuer + "/authorize", TokenURL: issuer + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader},
		Scopes:   append([]string{"openid", "profile"}, scopes...),
	}
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

func hiddenFields(body string) url.Values {
	v := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(body, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	return v
}

// signInOnce runs one full sign-in and returns the token response.
func signInOnce(ctx context.Context, o options, f *fixture, cfg *oauth2.Config, transport http.RoundTripper, user int) (*oauth2.Token, error) {
	jar, _ := cookiejar.New(nil)
	var final *url.URL
	browser := &http.Client{Jar: jar, Transport: transport, Timeout: 30 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), loadRedirect) {
				final = req.URL
				return http.ErrUseLastResponse
			}
			return nil
		}}
	verifier := oauth2.GenerateVerifier()
	state := randomToken(12)
	body, err := fetch(ctx, browser, http.MethodGet, cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), nil)
	if err != nil {
		return nil, err
	}
	form := hiddenFields(body)
	form.Set("username", f.users[user])
	form.Set("password", loadPassword)
	form.Set("office", f.officeCode)
	body, err = fetch(ctx, browser, http.MethodPost, o.issuer+"/login", form)
	if err != nil {
		return nil, err
	}
	if o.twoFactor {
		code, err := latestCode(o.smsFile, f.mobiles[user])
		if err != nil {
			return nil, err
		}
		form = hiddenFields(body)
		form.Set("code", code)
		if _, err = fetch(ctx, browser, http.MethodPost, o.issuer+"/login/code", form); err != nil {
			return nil, err
		}
	}
	if final == nil {
		return nil, errors.New("the sign-in did not end at the relying party")
	}
	if final.Query().Get("state") != state {
		return nil, errors.New("state mismatch")
	}
	tctx := context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Transport: transport, Timeout: 10 * time.Second})
	return cfg.Exchange(tctx, final.Query().Get("code"), oauth2.VerifierOption(verifier))
}

func fetch(ctx context.Context, c *http.Client, method, u string, form url.Values) (string, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 {
		return "", fmt.Errorf("%s %s: status %d", method, req.URL.Path, resp.StatusCode)
	}
	return string(b), nil
}

// latestCode returns the newest code sent to number.
func latestCode(path, number string) (string, error) {
	recs, err := sms.ReadMessageFile(path)
	if err != nil {
		return "", err
	}
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].To == number {
			if _, code, ok := sms.ParseOneTimeCode(recs[i].Body); ok {
				return code, nil
			}
		}
	}
	return "", fmt.Errorf("no code found for worker number in %s", path)
}

func signin(ctx context.Context, o options) (func(context.Context, int) error, error) {
	if o.twoFactor && o.smsFile == "" {
		return nil, errors.New("-two-factor needs -sms-file, the path twofold's file sender writes")
	}
	f, err := setup(ctx, o)
	if err != nil {
		return nil, err
	}
	cfg := f.oauth(o.issuer)
	transport := newTransport(o.workers)
	var next atomic.Int64
	return func(ctx context.Context, worker int) error {
		user := int(next.Add(1)-1) % len(f.users)
		_, err := signInOnce(ctx, o, f, cfg, transport, user)
		return err
	}, nil
}

func refresh(ctx context.Context, o options) (func(context.Context, int) error, error) {
	o.twoFactor = false
	f, err := setup(ctx, o)
	if err != nil {
		return nil, err
	}
	cfg := f.oauth(o.issuer, "offline_access")
	transport := newTransport(o.workers)
	tokens := make([]string, o.workers)
	for w := range o.workers {
		tok, err := signInOnce(ctx, o, f, cfg, transport, w)
		if err != nil {
			return nil, fmt.Errorf("sign in worker %d: %w", w, err)
		}
		tokens[w] = tok.RefreshToken
	}
	client := &http.Client{Transport: transport, Timeout: 10 * time.Second}
	return func(ctx context.Context, worker int) error {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tokens[worker]}}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, o.issuer+"/oauth/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(f.clientID), url.QueryEscape(f.secret))
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var body struct {
			RefreshToken string `json:"refresh_token"`
			Error        string `json:"error"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK || body.RefreshToken == "" {
			return fmt.Errorf("refresh: status %d %s", resp.StatusCode, body.Error)
		}
		tokens[worker] = body.RefreshToken
		return nil
	}, nil
}
