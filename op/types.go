package op

import (
	"log/slog"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	zop "github.com/zitadel/oidc/v3/pkg/op"

	"twofold/storage"
)

// AuthRequest implements zop.AuthRequest over a stored request.
type AuthRequest struct{ *storage.AuthRequest }

func (a *AuthRequest) GetID() string          { return a.ID }
func (a *AuthRequest) GetACR() string         { return a.ACR }
func (a *AuthRequest) GetAMR() []string       { return a.AMR }
func (a *AuthRequest) GetAudience() []string  { return []string{a.ClientID} }
func (a *AuthRequest) GetAuthTime() time.Time { return a.AuthTime }
func (a *AuthRequest) GetClientID() string    { return a.ClientID }
func (a *AuthRequest) GetNonce() string       { return a.Nonce }
func (a *AuthRequest) GetRedirectURI() string { return a.RedirectURI }
func (a *AuthRequest) GetScopes() []string    { return a.Scopes }
func (a *AuthRequest) GetState() string       { return a.State }
func (a *AuthRequest) GetSubject() string     { return a.UserID }
func (a *AuthRequest) Done() bool             { return a.AuthRequest.Done }

func (a *AuthRequest) GetResponseType() oidc.ResponseType { return oidc.ResponseType(a.ResponseType) }
func (a *AuthRequest) GetResponseMode() oidc.ResponseMode { return oidc.ResponseMode(a.ResponseMode) }

func (a *AuthRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{
		Challenge: a.CodeChallenge,
		Method:    oidc.CodeChallengeMethod(a.CodeChallengeMethod),
	}
}

// LogValue lists what the library may log about a request: ids only, never
// state, nonce or the redirect URI's query.
func (a *AuthRequest) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", a.ID),
		slog.String("client_id", a.ClientID),
	)
}

// RefreshRequest implements zop.RefreshTokenRequest over a stored token.
type RefreshRequest struct {
	*storage.RefreshToken
	scopes []string
}

func (r *RefreshRequest) GetAMR() []string                 { return r.AMR }
func (r *RefreshRequest) GetAudience() []string            { return r.Audience }
func (r *RefreshRequest) GetAuthTime() time.Time           { return r.AuthTime }
func (r *RefreshRequest) GetClientID() string              { return r.ClientID }
func (r *RefreshRequest) GetScopes() []string              { return r.scopes }
func (r *RefreshRequest) GetSubject() string               { return r.UserID }
func (r *RefreshRequest) SetCurrentScopes(scopes []string) { r.scopes = scopes }

// Client implements zop.Client. Confidential clients are web applications
// that authenticate with a secret (basic or post); public clients use PKCE
// and no secret. Redirect URIs match exactly, character for character.
type Client struct {
	*storage.Client
	idTokenLifetime time.Duration
}

func (c *Client) GetID() string                    { return c.ID }
func (c *Client) RedirectURIs() []string           { return c.Client.RedirectURIs }
func (c *Client) PostLogoutRedirectURIs() []string { return c.Client.PostLogoutRedirectURIs }
func (c *Client) LoginURL(id string) string        { return "/login?id=" + id }
func (c *Client) AccessTokenType() zop.AccessTokenType {
	return zop.AccessTokenTypeBearer
}
func (c *Client) IDTokenLifetime() time.Duration { return c.idTokenLifetime }
func (c *Client) DevMode() bool                  { return false }
func (c *Client) ClockSkew() time.Duration       { return 0 }

// IDTokenUserinfoClaimsAssertion is true so that ID tokens carry the profile
// claims even when an access token is issued with them.
func (c *Client) IDTokenUserinfoClaimsAssertion() bool { return true }

func (c *Client) IsScopeAllowed(string) bool { return false }

func (c *Client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (c *Client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (c *Client) ApplicationType() zop.ApplicationType {
	if c.Public {
		return zop.ApplicationTypeUserAgent
	}
	return zop.ApplicationTypeWeb
}

// AuthMethod returns the registered token endpoint authentication method.
// The library checks a secret for basic and post alike, so the method
// itself is enforced by RequireAuthMethod in front of the endpoints.
func (c *Client) AuthMethod() oidc.AuthMethod { return oidc.AuthMethod(c.Client.AuthMethod()) }

func (c *Client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

func (c *Client) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
}
