package main

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"

	"twofold/op"
	"twofold/password"
	"twofold/phone"
	"twofold/storage"
	"twofold/storage/backend"
)

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// onOff is a flag that takes on or off.
type onOff struct {
	set, on bool
}

func (o *onOff) String() string {
	if o.on {
		return "on"
	}
	return "off"
}

func (o *onOff) Set(v string) error {
	switch v {
	case "on":
		o.on = true
	case "off":
		o.on = false
	default:
		return errors.New("must be on or off")
	}
	o.set = true
	return nil
}

// openForCommand loads the configuration and opens the database for an
// administrative command.
func (e *environment) openForCommand(cfgPath string) (backend.Database, *slog.Logger, error) {
	cfg, err := e.loadConfig(cfgPath)
	if err != nil {
		return nil, nil, err
	}
	log := e.logger(cfg)
	if cfg.IsSQLite() {
		// A command run in the wrong directory would otherwise work on a
		// new, empty database without a word.
		path := strings.TrimPrefix(cfg.DatabaseURL, "sqlite:")
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(e.stderr, "twofold: %s did not exist; creating a new database there (set TWOFOLD_DATABASE_URL to use another)\n", path)
		}
	}
	db, err := e.openDB(cfg, log)
	return db, log, err
}

func (e *environment) migrate(args []string) error {
	fs, cfgPath := e.flags("migrate")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := e.loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	db, err := backend.Open(e.ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.Migrate(e.ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "applied %d migrations\n", n)
	return nil
}

func (e *environment) printJSON(v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func subcommand(args []string, group string, names ...string) (string, []string, error) {
	if len(args) == 0 {
		return "", nil, usageError{fmt.Errorf("twofold %s needs a subcommand: %s", group, strings.Join(names, ", "))}
	}
	for _, n := range names {
		if args[0] == n {
			return n, args[1:], nil
		}
	}
	return "", nil, usageError{fmt.Errorf("twofold %s: unknown subcommand %q (want %s)", group, args[0], strings.Join(names, ", "))}
}

func (e *environment) office(args []string) error {
	sub, rest, err := subcommand(args, "office", "create", "update")
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return err
	}
	fs, cfgPath := e.flags("office " + sub)
	code := fs.String("code", "", "office `code` users type at sign-in (letters, digits, - and _)")
	name := fs.String("name", "", "office display `name`")
	var twoFactor onOff
	fs.Var(&twoFactor, "two-factor", "require a code by SMS for every user: on or off")
	country := fs.String("country", "", "the office's `country` (ISO 3166-1 alpha-2, default NL): preselected where numbers are typed")
	allowedFlag := fs.String("allowed-countries", "", "comma-separated `countries` (ISO 3166-1 alpha-2) that SMS codes may go to, "+
		"instead of the office's country and sms.allowed_countries; default restores those")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	c := strings.ToUpper(strings.TrimSpace(*code))
	if !validCode(c) {
		return errors.New("--code must be 1 to 32 letters, digits, - or _")
	}
	var allowed []string
	if *allowedFlag != "" {
		if allowed, err = parseCountryList(*allowedFlag); err != nil {
			return err
		}
	}
	cc := strings.ToUpper(strings.TrimSpace(*country))
	if cc != "" && phone.CallingCode(cc) == 0 {
		return fmt.Errorf("--country %q is not a known ISO 3166-1 alpha-2 country code", *country)
	}
	db, _, err := e.openForCommand(*cfgPath)
	if err != nil {
		return err
	}
	defer db.Close()
	now := e.now()
	var o *storage.Office
	if sub == "create" {
		if strings.TrimSpace(*name) == "" || len(*name) > 200 {
			return errors.New("--name is required (at most 200 characters)")
		}
		o = &storage.Office{ID: newID(), Code: c, Name: strings.TrimSpace(*name), TwoFactor: twoFactor.on, Country: cc, CreatedAt: now, UpdatedAt: now}
		if err := db.CreateOffice(e.ctx, o); err != nil {
			if errors.Is(err, storage.ErrConflict) {
				return fmt.Errorf("office %s exists already", c)
			}
			return err
		}
	} else {
		if !twoFactor.set && cc == "" && *allowedFlag == "" {
			return errors.New("office update needs --two-factor on|off, --country or --allowed-countries")
		}
		if o, err = db.OfficeByCode(e.ctx, c); err != nil {
			return notFound(err, "office "+c)
		}
		if twoFactor.set {
			if o, err = switchTwoFactor(e.ctx, db, o, twoFactor.on, now); err != nil {
				return err
			}
		}
		if cc != "" {
			if o, err = db.SetOfficeCountry(e.ctx, o.ID, cc, now); err != nil {
				return err
			}
		}
	}
	if *allowedFlag != "" {
		if err := db.SetOfficeSMSCountries(e.ctx, o.ID, allowed, now); err != nil {
			return err
		}
	}
	smsCountries, err := e.allowedCountries(*cfgPath, db, o)
	if err != nil {
		return err
	}
	if *asJSON {
		return e.printJSON(map[string]any{"id": o.ID, "code": o.Code, "name": o.Name, "two_factor": o.TwoFactor, "country": o.Country,
			"allowed_countries": smsCountries})
	}
	fmt.Fprintf(e.stdout, "office %s (%s): two-factor %s, country %s, SMS codes to %s\n", o.Code, o.Name, onOffText(o.TwoFactor), o.Country,
		strings.Join(smsCountries, ", "))
	return nil
}

func onOffText(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func validCode(c string) bool {
	if c == "" || len(c) > 32 {
		return false
	}
	for _, r := range c {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func notFound(err error, what string) error {
	if errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("%s not found", what)
	}
	return err
}

// readSecret reads one line from stdin, without its line ending.
func readSecret(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, password.MaxLength+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func (e *environment) user(args []string) error {
	_, rest, err := subcommand(args, "user", "create")
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return err
	}
	fs, cfgPath := e.flags("user create")
	officeCode := fs.String("office", "", "`code` of the user's office")
	username := fs.String("username", "", "the `name` the user signs in with")
	role := fs.String("role", "", "superuser, accountant or user")
	name := fs.String("name", "", "display `name`")
	email := fs.String("email", "", "email `address`")
	mobile := fs.String("mobile", "", "mobile `number`, with a country code such as +31")
	region := fs.String("country", "NL", "`country` code applied to a mobile number typed without one")
	confirmed := fs.Bool("confirmed", false, "save the mobile number as confirmed")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	var problems []error
	r := storage.Role(*role)
	u := strings.TrimSpace(*username)
	switch {
	case !r.Valid():
		problems = append(problems, errors.New("--role must be superuser, accountant or user"))
	}
	if !validUsername(u) {
		problems = append(problems, errors.New("--username must be 1 to 128 ASCII letters, digits, '.', '_', '-' or '@'"))
	}
	if len(*name) > 200 || len(*email) > 254 {
		problems = append(problems, errors.New("--name and --email are at most 200 and 254 characters"))
	}
	if !*pwStdin {
		problems = append(problems, errors.New("--password-stdin is required; pass the password on standard input"))
	}
	if *confirmed && *mobile == "" {
		problems = append(problems, errors.New("--confirmed needs --mobile"))
	}
	var e164 string
	if *mobile != "" {
		num, err := phone.Parse(*mobile, strings.ToUpper(*region))
		if err != nil {
			problems = append(problems, fmt.Errorf("--mobile: %w", err))
		}
		e164 = num.E164
	}
	if len(problems) > 0 {
		return errors.Join(problems...)
	}
	pw, err := readSecret(e.stdin)
	if err != nil {
		return err
	}
	if len(pw) < password.MinLength || len(pw) > password.MaxLength {
		return fmt.Errorf("the password on standard input must be %d to %d bytes", password.MinLength, password.MaxLength)
	}
	db, _, err := e.openForCommand(*cfgPath)
	if err != nil {
		return err
	}
	defer db.Close()
	office, err := db.OfficeByCode(e.ctx, strings.ToUpper(strings.TrimSpace(*officeCode)))
	if err != nil {
		return notFound(err, "office "+*officeCode)
	}
	if e164 != "" {
		if err := e.checkMobileCountry(*cfgPath, db, office, e164); err != nil {
			return err
		}
	}
	hash, err := password.NewHasher(password.DefaultParams, 0).Hash(e.ctx, pw)
	if err != nil {
		return err
	}
	now := e.now()
	user := &storage.User{
		ID: newID(), OfficeID: office.ID, Username: u, Name: strings.TrimSpace(*name), Email: strings.TrimSpace(*email),
		Role: r, PasswordHash: hash, Mobile: e164, MobileConfirmed: *confirmed, CreatedAt: now, UpdatedAt: now,
	}
	if err := db.CreateOfficeUser(e.ctx, user, creationEvents(office, user)...); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return fmt.Errorf("user %s exists already in office %s", u, office.Code)
		}
		return err
	}
	if *asJSON {
		return e.printJSON(map[string]any{"id": user.ID, "office": office.Code, "username": user.Username, "role": user.Role})
	}
	fmt.Fprintf(e.stdout, "user %s created in office %s (id %s)\n", user.Username, office.Code, user.ID)
	return nil
}

// validUsername accepts ASCII letters, digits and . _ - @, so two
// usernames cannot look alike while differing in look-alike letters from
// other scripts.
func validUsername(u string) bool {
	if u == "" || len(u) > 128 {
		return false
	}
	for _, r := range u {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-@", r)) {
			return false
		}
	}
	return true
}

func validClientID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.", r)) {
			return false
		}
	}
	return true
}

// checkRedirectURI accepts absolute https URIs, and http only on a loopback
// host, without a fragment (OpenID Connect Core 1.0, section 3.1.2.1).
func checkRedirectURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || len(raw) > 2048 {
		return fmt.Errorf("redirect URI %q must be an absolute URL", raw)
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return fmt.Errorf("redirect URI %q must not have a fragment", raw)
	}
	host := u.Hostname()
	loopback := host == "localhost" || host == "127.0.0.1" || host == "::1"
	if u.Scheme != "https" && !(u.Scheme == "http" && loopback) {
		return fmt.Errorf("redirect URI %q must use https (http only for localhost)", raw)
	}
	return nil
}

func (e *environment) keys(args []string) error {
	_, rest, err := subcommand(args, "keys", "rotate")
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return err
	}
	fs, cfgPath := e.flags("keys rotate")
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	cfg, err := e.loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	log := e.logger(cfg)
	if err := e.ensureSecrets(&cfg, log); err != nil {
		return err
	}
	db, err := e.openDB(cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	keys, err := op.NewKeys(db, cfg.KEK(), op.KeyRetention(cfg.Lifetimes), e.now)
	if err != nil {
		return err
	}
	if err := keys.Rotate(e.ctx); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "new signing key added; it signs from now on, older keys stay published for %s\n",
		op.KeyRetention(cfg.Lifetimes))
	return nil
}

func newID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
