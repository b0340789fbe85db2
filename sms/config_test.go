package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

func validTwilio() TwilioConfig {
	return TwilioConfig{AccountSID: testAccountSID, AuthToken: testAuthToken, From: "Acme"}
}

func TestValidateAcceptsValidConfigs(t *testing.T) {
	cases := map[string]Config{
		"empty selects console": {},
		"console":               {Sender: "console"},
		"file":                  {Sender: "file", File: "/tmp/sms.jsonl"},
		"twilio with token":     {Sender: "twilio", Twilio: validTwilio()},
		"twilio with api key": {Sender: "twilio", Twilio: TwilioConfig{
			AccountSID: testAccountSID, APIKeySID: testAPIKeySID, APIKeySecret: testKeySecret,
			MessagingServiceSID: "MG0123456789abcdef0123456789abcdef"}},
		"twilio with number": {Sender: "twilio", Twilio: TwilioConfig{
			AccountSID: testAccountSID, AuthToken: testAuthToken, From: "+3197010000000"}},
		"messagebird": {Sender: "messagebird", MessageBird: MessageBirdConfig{AccessKey: testAccessKey, Originator: "Acme"}},
		"vonage":      {Sender: "vonage", Vonage: VonageConfig{APIKey: testVonageKey, APISecret: testVonageSecret, From: "31970100"}},
		"webhook on localhost": {Sender: "webhook", Webhook: WebhookConfig{
			URL: "http://127.0.0.1:8025/sms", Secret: testWebhookSecret}},
		"webhook https": {Sender: "webhook", Webhook: WebhookConfig{
			URL: "https://sms.example.com/hook", Secret: testWebhookSecret}},
		"twilio with fallback": {Sender: "twilio", Twilio: validTwilio(), Fallback: "vonage",
			Vonage: VonageConfig{APIKey: testVonageKey, APISecret: testVonageSecret, From: "Acme"}},
		"retry settings": {Retry: RetryConfig{MaxAttempts: 2, AttemptTimeout: 2 * time.Second, Budget: 6 * time.Second}},
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			if err := cfg.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"unknown sender", Config{Sender: "pigeon"},
			[]string{`sms.sender "pigeon" is not one of console, file, twilio, messagebird, vonage, webhook`}},
		{"file without path", Config{Sender: "file"}, []string{"sms.file is missing"}},
		{"empty twilio", Config{Sender: "twilio"}, []string{
			"sms.twilio.account_sid is missing",
			"sms.twilio.auth_token is missing (or set sms.twilio.api_key_sid and sms.twilio.api_key_secret)",
			"sms.twilio.from or sms.twilio.messaging_service_sid is missing",
		}},
		{"malformed twilio", Config{Sender: "twilio", Twilio: TwilioConfig{
			AccountSID: "SK0123456789abcdef0123456789abcdef", APIKeySID: "SK123", AuthToken: "x",
			From: "Acme Accountants", MessagingServiceSID: "MG1", BaseURL: "http://api.twilio.com"}}, []string{
			"sms.twilio.account_sid must start with AC followed by 32 hexadecimal characters (34 characters in all)",
			"sms.twilio.api_key_sid must start with SK followed by 32 hexadecimal characters (34 characters in all)",
			"sms.twilio.api_key_secret is missing",
			"set either sms.twilio.auth_token or sms.twilio.api_key_sid with sms.twilio.api_key_secret, not both",
			"set either sms.twilio.from or sms.twilio.messaging_service_sid, not both",
			"sms.twilio.base_url must be an https URL (http is allowed only for 127.0.0.1, ::1 and localhost)",
		}},
		{"twilio sender id too long", Config{Sender: "twilio", Twilio: TwilioConfig{
			AccountSID: testAccountSID, AuthToken: testAuthToken, From: "Acme Accountants"}}, []string{
			"sms.twilio.from must be a phone number (3 to 15 digits, optionally after +) or an alphanumeric sender id " +
				"(at most 11 letters, digits and spaces, with at least one letter)",
		}},
		{"twilio key secret without key", Config{Sender: "twilio", Twilio: TwilioConfig{
			AccountSID: testAccountSID, APIKeySecret: testKeySecret, From: "Acme"}}, []string{
			"sms.twilio.api_key_secret is set, but sms.twilio.api_key_sid is missing",
		}},
		{"empty messagebird", Config{Sender: "messagebird"}, []string{
			"sms.messagebird.access_key is missing",
			"sms.messagebird.originator is missing",
		}},
		{"empty vonage", Config{Sender: "vonage"}, []string{
			"sms.vonage.api_key is missing",
			"sms.vonage.api_secret is missing",
			"sms.vonage.from is missing",
		}},
		{"empty webhook", Config{Sender: "webhook"}, []string{
			"sms.webhook.url is missing",
			"sms.webhook.secret is missing",
		}},
		{"webhook over plain http", Config{Sender: "webhook", Webhook: WebhookConfig{
			URL: "http://sms.example.com/hook", Secret: "short"}}, []string{
			"sms.webhook.url must be an https URL (http is allowed only for 127.0.0.1, ::1 and localhost)",
			"sms.webhook.secret must be at least 32 characters",
		}},
		{"webhook with credentials in URL", Config{Sender: "webhook", Webhook: WebhookConfig{
			URL: "https://user:pass@sms.example.com/hook", Secret: testWebhookSecret}}, []string{
			"sms.webhook.url must not contain a user name or password",
		}},
		{"fallback same as sender", Config{Sender: "twilio", Twilio: validTwilio(), Fallback: "twilio"},
			[]string{"sms.fallback must differ from sms.sender"}},
		{"fallback to console", Config{Sender: "twilio", Twilio: validTwilio(), Fallback: "console"},
			[]string{`sms.fallback "console" is not a gateway; use one of twilio, messagebird, vonage, webhook`}},
		{"fallback for console", Config{Fallback: "vonage"},
			[]string{`sms.fallback is set, but sms.sender "console" is not a gateway, and only a gateway can fall back`}},
		{"fallback section checked", Config{Sender: "twilio", Twilio: validTwilio(), Fallback: "messagebird"}, []string{
			"sms.messagebird.access_key is missing",
			"sms.messagebird.originator is missing",
		}},
		{"retry settings", Config{Retry: RetryConfig{MaxAttempts: 50, AttemptTimeout: 10 * time.Second, Budget: 5 * time.Second}}, []string{
			"sms.retry.max_attempts must be between 1 and 10 (0 selects 3)",
			"sms.retry.attempt_timeout must not exceed sms.retry.budget",
		}},
		{"negative durations", Config{Retry: RetryConfig{AttemptTimeout: -time.Second, Budget: -time.Second}}, []string{
			"sms.retry.attempt_timeout must not be negative",
			"sms.retry.budget must not be negative",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			ce, ok := errors.AsType[*ConfigError](err)
			if !ok {
				t.Fatalf("Validate = %v, want a *ConfigError", err)
			}
			if !slices.Equal(ce.Problems, tc.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(ce.Problems, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestValidateNeverEchoesSecrets(t *testing.T) {
	secrets := []string{"token with space", "key\nwith newline", "secret\tvalue", "https://hook.example.com/?t=s3cr3t"}
	cfg := Config{
		Sender:   "twilio",
		Twilio:   TwilioConfig{AccountSID: testAccountSID, AuthToken: Secret(secrets[0]), From: "Acme"},
		Fallback: "webhook",
		Webhook:  WebhookConfig{URL: "http://hook.example.com/?t=s3cr3t", Secret: Secret(secrets[2])},
	}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("Validate accepted credentials with white space")
	}
	for _, s := range append(secrets, "s3cr3t") {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains the value %q", err, s)
		}
	}
	if !strings.Contains(err.Error(), "sms.twilio.auth_token must not contain spaces, line breaks or control characters") {
		t.Errorf("error %q does not name sms.twilio.auth_token", err)
	}
}

func TestConfigFromYAML(t *testing.T) {
	const doc = `
sender: twilio
fallback: webhook
twilio:
  account_sid: AC0123456789abcdef0123456789abcdef
  api_key_sid: SKfedcba9876543210fedcba9876543210
  api_key_secret: twilio-api-key-secret-0123456789ab
  messaging_service_sid: MG0123456789abcdef0123456789abcdef
  base_url: https://api.twilio.com
webhook:
  url: https://sms.example.com/hook
  secret: webhook-secret-0123456789abcdefghijkl
retry:
  max_attempts: 2
  attempt_timeout: 3s
  budget: 6s
`
	var cfg Config
	if err := yaml.Unmarshal([]byte(doc), &cfg); err != nil {
		t.Fatalf("yaml.Unmarshal: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if cfg.Twilio.APIKeySecret != testKeySecret || cfg.Webhook.Secret != testWebhookSecret {
		t.Errorf("secrets were not decoded")
	}
	if cfg.Retry != (RetryConfig{MaxAttempts: 2, AttemptTimeout: 3 * time.Second, Budget: 6 * time.Second}) {
		t.Errorf("retry = %+v", cfg.Retry)
	}
}

func TestSecretIsRedactedInOutput(t *testing.T) {
	cfg := Config{Sender: "twilio", Twilio: TwilioConfig{AccountSID: testAccountSID, AuthToken: testAuthToken}}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "token", cfg.Twilio.AuthToken)
	jsonOut, _ := json.Marshal(cfg)
	yamlOut, _ := yaml.Marshal(cfg)
	outputs := map[string]string{
		"%v":   fmt.Sprintf("%v", cfg),
		"%+v":  fmt.Sprintf("%+v", cfg),
		"%#v":  fmt.Sprintf("%#v", cfg.Twilio),
		"%s":   fmt.Sprintf("%s", cfg.Twilio.AuthToken),
		"slog": logs.String(),
		"json": string(jsonOut),
		"yaml": string(yamlOut),
	}
	for name, out := range outputs {
		if strings.Contains(out, testAuthToken) {
			t.Errorf("%s output reveals the token: %s", name, out)
		}
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("%s output does not mark the redaction: %s", name, out)
		}
	}
}

func TestNewConsoleAndFile(t *testing.T) {
	var stderr bytes.Buffer
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	console, err := New(Config{Logger: logger}, &stderr, nil)
	if err != nil {
		t.Fatalf("New console: %v", err)
	}
	if _, err := console.Send(context.Background(), testMessage()); err != nil {
		t.Fatalf("console Send: %v", err)
	}
	if !strings.Contains(stderr.String(), testCode) {
		t.Errorf("console output %q lacks the code", stderr.String())
	}
	if !strings.Contains(logs.String(), "development only") {
		t.Errorf("no warning about the development sender: %s", logs.String())
	}

	path := filepath.Join(t.TempDir(), "sms.jsonl")
	file, err := New(Config{Sender: "file", File: path}, nil, nil)
	if err != nil {
		t.Fatalf("New file: %v", err)
	}
	if _, err := file.Send(context.Background(), testMessage()); err != nil {
		t.Fatalf("file Send: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("file sender wrote nothing: %v", err)
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	if _, err := New(Config{Sender: "twilio"}, nil, nil); err == nil {
		t.Fatal("New accepted an empty twilio section")
	}
}

func TestNewGatewayWithFallback(t *testing.T) {
	var primaryCalls, fallbackCalls int
	primary := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		primaryCalls++
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}`))
	}))
	defer primary.Close()
	fallback := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fallbackCalls++
		checkWebhookRequest(t, r)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer fallback.Close()

	var logs bytes.Buffer
	tw := validTwilio()
	tw.BaseURL = primary.URL
	cfg := Config{
		Sender:   "twilio",
		Twilio:   tw,
		Fallback: "webhook",
		Webhook:  WebhookConfig{URL: fallback.URL + "/hook", Secret: testWebhookSecret},
		Logger:   slog.New(slog.NewJSONHandler(&logs, nil)),
	}
	sender, err := New(cfg, nil, primary.Client())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	receipt, err := sender.Send(context.Background(), testMessage())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if receipt.Gateway != "webhook" {
		t.Errorf("receipt = %+v, want the webhook's", receipt)
	}
	if primaryCalls != 1 || fallbackCalls != 1 {
		t.Errorf("calls = %d primary, %d fallback; want 1 each (401 is not retried)", primaryCalls, fallbackCalls)
	}
	if !strings.Contains(logs.String(), "sending through the fallback") {
		t.Errorf("the switch to the fallback was not logged: %s", logs.String())
	}
	assertNoLeak(t, "log", logs.String(), testAuthToken, testWebhookSecret)
}
