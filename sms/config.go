package sms

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"
)

// Sender names accepted by Config.Sender and Config.Fallback.
const (
	SenderConsole     = "console"
	SenderFile        = "file"
	SenderTwilio      = "twilio"
	SenderMessageBird = "messagebird"
	SenderVonage      = "vonage"
	SenderWebhook     = "webhook"
)

// Config is the sms section of the configuration file.
type Config struct {
	// Sender names the sender: console, file, twilio, messagebird, vonage or
	// webhook. Empty selects console, the development default.
	Sender string `yaml:"sender"`
	// File is the path that the file sender appends to.
	File string `yaml:"file"`

	Twilio      TwilioConfig      `yaml:"twilio"`
	MessageBird MessageBirdConfig `yaml:"messagebird"`
	Vonage      VonageConfig      `yaml:"vonage"`
	Webhook     WebhookConfig     `yaml:"webhook"`

	// Fallback optionally names a second gateway that sends a message when
	// the Sender gateway fails. It must be a gateway other than Sender.
	Fallback string `yaml:"fallback"`
	// Retry bounds the retries of each gateway.
	Retry RetryConfig `yaml:"retry"`

	// Limits bound how many codes are sent per number, user, client IP,
	// office and installation; see LimitsConfig.
	Limits LimitsConfig `yaml:"limits"`
	// AllowedCountries lists the ISO 3166-1 alpha-2 codes of countries that
	// every office may send codes to besides its own country. An office with
	// a list of its own allows exactly that list instead.
	AllowedCountries []string `yaml:"allowed_countries"`

	// Logger receives retries and switches to the fallback, and a warning at
	// start when a development sender is selected. It is not read from the
	// file. Nil disables logging.
	Logger *slog.Logger `yaml:"-"`
}

// RetryConfig sets the RetryPolicy fields that operators tune. Zero values
// select the defaults: 3 attempts, 5s per attempt and an 8s budget. With a
// fallback, the budget is split evenly between the two gateways, so that the
// whole send stays within it.
type RetryConfig struct {
	MaxAttempts    int           `yaml:"max_attempts"`
	AttemptTimeout time.Duration `yaml:"attempt_timeout"`
	Budget         time.Duration `yaml:"budget"`
}

// maxConfiguredAttempts bounds retry.max_attempts. More attempts than this
// cannot fit a budget that a waiting user accepts.
const maxConfiguredAttempts = 10

// Secret is a credential from the configuration. fmt, slog, JSON and YAML
// output show a non-empty Secret as "[redacted]", so that a printed or dumped
// Config never reveals it. Convert with string(s) where the value is needed.
type Secret string

// String returns "[redacted]", or "" for an empty Secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString keeps %#v as safe as %v.
func (s Secret) GoString() string { return fmt.Sprintf("%q", s.String()) }

// LogValue logs the same text as String.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText writes the same text as String, for JSON and YAML output.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// ConfigError lists every problem that Config.Validate found.
type ConfigError struct {
	Problems []string
}

// Error returns all problems on one line.
func (e *ConfigError) Error() string {
	return "sms: invalid configuration: " + strings.Join(e.Problems, "; ")
}

// Validate reports every missing or malformed setting at once, each with the
// setting's name (for example "sms.twilio.account_sid is missing"). Of the
// gateway sections, only those of Sender and Fallback are checked; limits
// and allowed_countries are always checked. No message repeats the value
// of a credential or URL. The error is a *ConfigError.
func (c Config) Validate() error {
	p := newProblems("sms")
	sender := c.senderName()
	switch {
	case sender == SenderConsole:
	case sender == SenderFile:
		if strings.TrimSpace(c.File) == "" {
			p.add("sms.file is missing")
		}
	case isGatewayName(sender):
		c.validateGateway(sender, p)
	default:
		p.addf("sms.sender %q is not one of console, file, twilio, messagebird, vonage, webhook", c.Sender)
	}
	if c.Fallback != "" {
		switch {
		case !isGatewayName(c.Fallback):
			p.addf("sms.fallback %q is not a gateway; use one of twilio, messagebird, vonage, webhook", c.Fallback)
		case c.Fallback == sender:
			p.add("sms.fallback must differ from sms.sender")
		case !isGatewayName(sender):
			p.addf("sms.fallback is set, but sms.sender %q is not a gateway, and only a gateway can fall back", sender)
		default:
			c.validateGateway(c.Fallback, p)
		}
	}
	p.retry(c.Retry)
	p.limits(c.Limits)
	p.allowedCountries(c.AllowedCountries)
	return p.err()
}

func (c Config) senderName() string {
	if c.Sender == "" {
		return SenderConsole
	}
	return c.Sender
}

func isGatewayName(name string) bool {
	switch name {
	case SenderTwilio, SenderMessageBird, SenderVonage, SenderWebhook:
		return true
	}
	return false
}

func (c Config) validateGateway(name string, p *problems) {
	sub := p.section(name)
	switch name {
	case SenderTwilio:
		sub.twilio(c.Twilio)
	case SenderMessageBird:
		sub.messageBird(c.MessageBird)
	case SenderVonage:
		sub.vonage(c.Vonage)
	case SenderWebhook:
		sub.webhook(c.Webhook)
	}
}

// New validates cfg and builds the sender that cfg.Sender names. Gateways
// are wrapped in WithRetry and, when cfg.Fallback is set, in WithFallback.
// stderr receives the console sender's lines (nil selects os.Stderr), and
// httpClient carries the gateway requests (nil selects a default client).
func New(cfg Config, stderr io.Writer, httpClient *http.Client) (Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	name := cfg.senderName()
	switch name {
	case SenderConsole:
		if stderr == nil {
			stderr = os.Stderr
		}
		cfg.warnDevelopmentSender(name)
		return NewConsole(stderr), nil
	case SenderFile:
		cfg.warnDevelopmentSender(name)
		return NewFile(cfg.File), nil
	}

	policy := RetryPolicy{
		MaxAttempts:    cfg.Retry.MaxAttempts,
		AttemptTimeout: cfg.Retry.AttemptTimeout,
		Budget:         cfg.Retry.Budget,
		Logger:         cfg.Logger,
	}.withDefaults()
	if cfg.Fallback != "" {
		policy.Budget /= 2
	}
	primary, err := cfg.newGateway(name, httpClient)
	if err != nil {
		return nil, err
	}
	sender := WithRetry(primary, policy)
	if cfg.Fallback == "" {
		return sender, nil
	}
	secondary, err := cfg.newGateway(cfg.Fallback, httpClient)
	if err != nil {
		return nil, err
	}
	return &fallbackSender{primary: sender, fallback: WithRetry(secondary, policy), logger: cfg.Logger}, nil
}

func (c Config) newGateway(name string, client *http.Client) (Sender, error) {
	switch name {
	case SenderTwilio:
		return NewTwilio(c.Twilio, client)
	case SenderMessageBird:
		return NewMessageBird(c.MessageBird, client)
	case SenderVonage:
		return NewVonage(c.Vonage, client)
	case SenderWebhook:
		return NewWebhook(c.Webhook, client)
	}
	return nil, fmt.Errorf("sms: %q is not a gateway", name)
}

func (c Config) warnDevelopmentSender(name string) {
	if c.Logger != nil {
		c.Logger.Warn("sms sender writes one-time codes locally instead of sending them; use it for development only",
			slog.String("sender", name))
	}
}

// problems collects validation messages for one configuration section. The
// sections of one Config share the list.
type problems struct {
	prefix string
	list   *[]string
}

func newProblems(prefix string) *problems {
	return &problems{prefix: prefix, list: new([]string)}
}

// section returns a collector for the subsection name, such as "sms.twilio".
func (p *problems) section(name string) *problems {
	return &problems{prefix: p.prefix + "." + name, list: p.list}
}

func (p *problems) add(msg string) { *p.list = append(*p.list, msg) }

func (p *problems) addf(format string, args ...any) { p.add(fmt.Sprintf(format, args...)) }

// setting returns the full name of a setting in this section.
func (p *problems) setting(key string) string { return p.prefix + "." + key }

func (p *problems) err() error {
	if len(*p.list) == 0 {
		return nil
	}
	return &ConfigError{Problems: append([]string(nil), *p.list...)}
}

// required reports a missing value and returns whether the value is present.
func (p *problems) required(key, value string) bool {
	if strings.TrimSpace(value) == "" {
		p.addf("%s is missing", p.setting(key))
		return false
	}
	return true
}

// secret reports a missing credential or one containing white space, which is
// usually a copy-and-paste accident. It never repeats the value.
func (p *problems) secret(key string, value Secret) {
	if !p.required(key, string(value)) {
		return
	}
	if strings.ContainsFunc(string(value), isSpaceOrControl) {
		p.addf("%s must not contain spaces, line breaks or control characters", p.setting(key))
	}
}

func isSpaceOrControl(r rune) bool {
	return r <= ' ' || r == 0x7f
}

func (p *problems) endpoint(key, value string) {
	if value == "" {
		return
	}
	if problem := checkEndpointURL(value); problem != "" {
		p.addf("%s %s", p.setting(key), problem)
	}
}

// twilioSIDPattern matches a Twilio SID body: 32 hexadecimal characters after
// the two-letter prefix, 34 characters in all.
var twilioSIDPattern = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)

func (p *problems) twilioSID(key, value, prefix string) {
	if !strings.HasPrefix(value, prefix) || !twilioSIDPattern.MatchString(value[len(prefix):]) {
		p.addf("%s must start with %s followed by 32 hexadecimal characters (34 characters in all)", p.setting(key), prefix)
	}
}

func (p *problems) twilio(c TwilioConfig) *problems {
	if p.required("account_sid", c.AccountSID) {
		p.twilioSID("account_sid", c.AccountSID, "AC")
	}
	switch {
	case c.APIKeySID != "":
		p.twilioSID("api_key_sid", c.APIKeySID, "SK")
		p.secret("api_key_secret", c.APIKeySecret)
		if c.AuthToken != "" {
			p.addf("set either %s or %s with %s, not both",
				p.setting("auth_token"), p.setting("api_key_sid"), p.setting("api_key_secret"))
		}
	case c.APIKeySecret != "":
		p.addf("%s is set, but %s is missing", p.setting("api_key_secret"), p.setting("api_key_sid"))
	case c.AuthToken == "":
		p.addf("%s is missing (or set %s and %s)",
			p.setting("auth_token"), p.setting("api_key_sid"), p.setting("api_key_secret"))
	default:
		p.secret("auth_token", c.AuthToken)
	}
	switch {
	case c.From == "" && c.MessagingServiceSID == "":
		p.addf("%s or %s is missing", p.setting("from"), p.setting("messaging_service_sid"))
	case c.From != "" && c.MessagingServiceSID != "":
		p.addf("set either %s or %s, not both", p.setting("from"), p.setting("messaging_service_sid"))
	case c.From != "":
		p.senderID("from", c.From)
	default:
		p.twilioSID("messaging_service_sid", c.MessagingServiceSID, "MG")
	}
	p.endpoint("base_url", c.BaseURL)
	return p
}

func (p *problems) messageBird(c MessageBirdConfig) *problems {
	p.secret("access_key", c.AccessKey)
	if p.required("originator", c.Originator) {
		p.senderID("originator", c.Originator)
	}
	p.endpoint("base_url", c.BaseURL)
	return p
}

func (p *problems) vonage(c VonageConfig) *problems {
	if p.required("api_key", c.APIKey) && strings.ContainsFunc(c.APIKey, isSpaceOrControl) {
		p.addf("%s must not contain spaces, line breaks or control characters", p.setting("api_key"))
	}
	p.secret("api_secret", c.APISecret)
	if p.required("from", c.From) {
		p.senderID("from", c.From)
	}
	p.endpoint("base_url", c.BaseURL)
	return p
}

// minWebhookSecretBytes is the shortest accepted webhook secret: 32 bytes
// match the output size of SHA-256, the HMAC key length that RFC 2104
// recommends as a minimum.
const minWebhookSecretBytes = 32

func (p *problems) webhook(c WebhookConfig) *problems {
	if p.required("url", c.URL) {
		p.endpoint("url", c.URL)
	}
	p.secret("secret", c.Secret)
	if c.Secret != "" && len(c.Secret) < minWebhookSecretBytes {
		p.addf("%s must be at least %d characters", p.setting("secret"), minWebhookSecretBytes)
	}
	return p
}

func (p *problems) retry(c RetryConfig) {
	retry := p.section("retry")
	if c.MaxAttempts < 0 || c.MaxAttempts > maxConfiguredAttempts {
		retry.addf("%s must be between 1 and %d (0 selects %d)", retry.setting("max_attempts"), maxConfiguredAttempts, DefaultMaxAttempts)
	}
	if c.AttemptTimeout < 0 {
		retry.addf("%s must not be negative", retry.setting("attempt_timeout"))
	}
	if c.Budget < 0 {
		retry.addf("%s must not be negative", retry.setting("budget"))
	}
	if c.AttemptTimeout > 0 && c.Budget > 0 && c.AttemptTimeout > c.Budget {
		retry.addf("%s must not exceed %s", retry.setting("attempt_timeout"), retry.setting("budget"))
	}
}

// Sender id forms. A numeric sender is a phone number or short code of 3 to 15
// digits with an optional "+". An alphanumeric sender id has 1 to 11 letters,
// digits and spaces with at least one letter. MessageBird documents the
// 11-character limit of alphanumeric senders.
var (
	numericSenderPattern      = regexp.MustCompile(`^\+?[0-9]{3,15}$`)
	alphanumericSenderPattern = regexp.MustCompile(`^[A-Za-z0-9 ]{1,11}$`)
	letterPattern             = regexp.MustCompile(`[A-Za-z]`)
)

func (p *problems) senderID(key, value string) {
	if numericSenderPattern.MatchString(value) {
		return
	}
	if alphanumericSenderPattern.MatchString(value) && letterPattern.MatchString(value) {
		return
	}
	p.addf("%s must be a phone number (3 to 15 digits, optionally after +) or an alphanumeric sender id "+
		"(at most 11 letters, digits and spaces, with at least one letter)", p.setting(key))
}
