package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"

	"twofold/storage"
)

// authMethods are the values of --token-endpoint-auth-method.
var authMethods = []string{storage.AuthMethodBasic, storage.AuthMethodPost, storage.AuthMethodNone}

// clientFlags are the registration flags that client create and client
// update share.
type clientFlags struct {
	name                  *string
	redirects, postLogout listFlag
	clearPostLogout       *bool
	authMethod            *string
	backchannel           *string
	asJSON                *bool
}

func (e *environment) addClientFlags(fs *flag.FlagSet) *clientFlags {
	f := &clientFlags{}
	f.name = fs.String("name", "", "client display `name`")
	fs.Var(&f.redirects, "redirect-uri", "registered redirect `URI`, matched exactly; repeatable")
	fs.Var(&f.postLogout, "post-logout-redirect-uri", "registered post-logout redirect `URI`, matched exactly; repeatable")
	f.authMethod = fs.String("token-endpoint-auth-method", "",
		"how the client authenticates at the token endpoint: client_secret_basic (default), client_secret_post, or none for a public client")
	f.backchannel = fs.String("backchannel-logout-uri", "",
		"`URI` that receives back-channel logout tokens when a session the client signed into ends")
	f.asJSON = fs.Bool("json", false, "print the result as JSON")
	return f
}

// check validates the URIs and the method; every problem is reported.
func (f *clientFlags) check() []error {
	var problems []error
	for _, u := range append(append([]string{}, f.redirects...), f.postLogout...) {
		if err := checkRedirectURI(u); err != nil {
			problems = append(problems, err)
		}
	}
	if *f.backchannel != "" {
		if err := checkRedirectURI(*f.backchannel); err != nil {
			problems = append(problems, fmt.Errorf("--backchannel-logout-uri: %w", err))
		}
	}
	if *f.authMethod != "" && !slices.Contains(authMethods, *f.authMethod) {
		problems = append(problems, fmt.Errorf("--token-endpoint-auth-method must be one of %s", strings.Join(authMethods, ", ")))
	}
	return problems
}

func (e *environment) client(args []string) error {
	sub, rest, err := subcommand(args, "client", "create", "update", "list")
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return err
	}
	switch sub {
	case "update":
		return e.clientUpdate(rest)
	case "list":
		return e.clientList(rest)
	}
	return e.clientCreate(rest)
}

func (e *environment) clientCreate(args []string) error {
	fs, cfgPath := e.flags("client create")
	id := fs.String("id", "", "client `id` (letters, digits, -, _ and .)")
	f := e.addClientFlags(fs)
	public := fs.Bool("public", false, "a public client (no secret; PKCE with S256 required); the same as --token-endpoint-auth-method none")
	secretStdin := fs.Bool("secret-stdin", false, "read the client secret from standard input instead of generating one")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	problems := f.check()
	if !validClientID(*id) {
		problems = append(problems, errors.New("--id must be 1 to 64 letters, digits, -, _ or ."))
	}
	if strings.TrimSpace(*f.name) == "" {
		problems = append(problems, errors.New("--name is required"))
	}
	if len(f.redirects) == 0 {
		problems = append(problems, errors.New("at least one --redirect-uri is required"))
	}
	method := *f.authMethod
	switch {
	case *public && method != "" && method != storage.AuthMethodNone:
		problems = append(problems, errors.New("--public clients authenticate with none; drop --token-endpoint-auth-method or set it to none"))
	case *public:
		method = storage.AuthMethodNone
	case method == "":
		method = storage.AuthMethodBasic
	}
	isPublic := method == storage.AuthMethodNone
	if isPublic && *secretStdin {
		problems = append(problems, errors.New("public clients have no secret; drop --secret-stdin"))
	}
	if len(problems) > 0 {
		return errors.Join(problems...)
	}
	var secret string
	if !isPublic {
		var err error
		if secret, err = e.clientSecret(*secretStdin); err != nil {
			return err
		}
	}
	db, _, err := e.openForCommand(*cfgPath)
	if err != nil {
		return err
	}
	defer db.Close()
	c := &storage.Client{
		ID: *id, Name: strings.TrimSpace(*f.name), Public: isPublic,
		RedirectURIs: f.redirects, PostLogoutRedirectURIs: f.postLogout,
		TokenEndpointAuthMethod: method, BackchannelLogoutURI: *f.backchannel, CreatedAt: e.now(),
	}
	if secret != "" {
		sum := sha256.Sum256([]byte(secret))
		c.SecretHash = sum[:]
	}
	if err := db.CreateClient(e.ctx, c); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return fmt.Errorf("client %s exists already", c.ID)
		}
		return err
	}
	printed := ""
	if !*secretStdin {
		printed = secret
	}
	if *f.asJSON {
		out := clientJSON(c)
		if printed != "" {
			out["secret"] = printed
		}
		return e.printJSON(out)
	}
	fmt.Fprintf(e.stdout, "client %s created\n", c.ID)
	if printed != "" {
		fmt.Fprintf(e.stdout, "secret: %s\n(shown once; only its hash is stored)\n", printed)
	}
	return nil
}

// clientSecret reads the secret from standard input or generates 256
// random bits.
func (e *environment) clientSecret(fromStdin bool) (string, error) {
	if fromStdin {
		secret, err := readSecret(e.stdin)
		if err != nil {
			return "", err
		}
		if len(secret) < 32 {
			return "", errors.New("the secret on standard input must be at least 32 characters")
		}
		return secret, nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// clientUpdate changes what the flags name and keeps the rest. The secret
// and whether the client is public stay as registered: a confidential
// client can switch between client_secret_basic and client_secret_post,
// and a public one keeps none.
func (e *environment) clientUpdate(args []string) error {
	fs, cfgPath := e.flags("client update")
	id := fs.String("id", "", "`id` of the client to change")
	f := e.addClientFlags(fs)
	f.clearPostLogout = fs.Bool("clear-post-logout-redirect-uris", false, "remove every registered post-logout redirect URI")
	clearBackchannel := fs.Bool("clear-backchannel-logout-uri", false, "stop sending back-channel logout tokens to the client")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	problems := f.check()
	if *id == "" {
		problems = append(problems, errors.New("--id is required"))
	}
	if *clearBackchannel && *f.backchannel != "" {
		problems = append(problems, errors.New("--clear-backchannel-logout-uri and --backchannel-logout-uri contradict each other"))
	}
	if len(problems) > 0 {
		return errors.Join(problems...)
	}
	db, _, err := e.openForCommand(*cfgPath)
	if err != nil {
		return err
	}
	defer db.Close()
	c, err := db.ClientByID(e.ctx, *id)
	if err != nil {
		return notFound(err, "client "+*id)
	}
	if *f.authMethod != "" {
		if c.Public != (*f.authMethod == storage.AuthMethodNone) {
			return fmt.Errorf("client %s is %s; --token-endpoint-auth-method %s would change that, so register a new client instead",
				c.ID, publicText(c.Public), *f.authMethod)
		}
		c.TokenEndpointAuthMethod = *f.authMethod
	}
	if name := strings.TrimSpace(*f.name); name != "" {
		c.Name = name
	}
	if len(f.redirects) > 0 {
		c.RedirectURIs = f.redirects
	}
	if *f.clearPostLogout {
		c.PostLogoutRedirectURIs = nil
	}
	if len(f.postLogout) > 0 {
		c.PostLogoutRedirectURIs = f.postLogout
	}
	if *f.backchannel != "" {
		c.BackchannelLogoutURI = *f.backchannel
	}
	if *clearBackchannel {
		c.BackchannelLogoutURI = ""
	}
	if err := db.UpdateClient(e.ctx, c); err != nil {
		return err
	}
	if *f.asJSON {
		return e.printJSON(clientJSON(c))
	}
	fmt.Fprintf(e.stdout, "client %s updated\n", c.ID)
	return nil
}

func (e *environment) clientList(args []string) error {
	fs, cfgPath := e.flags("client list")
	asJSON := fs.Bool("json", false, "print the clients as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	db, _, err := e.openForCommand(*cfgPath)
	if err != nil {
		return err
	}
	defer db.Close()
	clients, err := db.ListClients(e.ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]map[string]any, 0, len(clients))
		for i := range clients {
			out = append(out, clientJSON(&clients[i]))
		}
		return e.printJSON(out)
	}
	for _, c := range clients {
		fmt.Fprintf(e.stdout, "%s (%s): %s, %s\n", c.ID, c.Name, publicText(c.Public), c.AuthMethod())
		for _, u := range c.RedirectURIs {
			fmt.Fprintf(e.stdout, "  redirect URI             %s\n", u)
		}
		for _, u := range c.PostLogoutRedirectURIs {
			fmt.Fprintf(e.stdout, "  post-logout redirect URI %s\n", u)
		}
		if c.BackchannelLogoutURI != "" {
			fmt.Fprintf(e.stdout, "  back-channel logout URI  %s\n", c.BackchannelLogoutURI)
		}
	}
	return nil
}

// clientJSON is a client's registration as the commands print it; the
// secret hash is never printed.
func clientJSON(c *storage.Client) map[string]any {
	return map[string]any{
		"id": c.ID, "name": c.Name, "public": c.Public,
		"redirect_uris":              nonNil(c.RedirectURIs),
		"post_logout_redirect_uris":  nonNil(c.PostLogoutRedirectURIs),
		"token_endpoint_auth_method": c.AuthMethod(),
		"backchannel_logout_uri":     c.BackchannelLogoutURI,
	}
}

func nonNil(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

func publicText(public bool) string {
	if public {
		return "public"
	}
	return "confidential"
}
