// Package op adapts twofold's storage to the zitadel/oidc provider: clients,
// authorization requests and codes, tokens, claims and signing keys.
//
// The library leaves expiry and single use to the storage. Here every lookup
// passes the clock's "now" to SQL that rejects expired, used and revoked
// rows, authorization codes and refresh tokens are consumed atomically, and
// every path that issues a token checks the office's two-factor policy as
// stored at that moment (login.Satisfies).
package op

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	zop "github.com/zitadel/oidc/v3/pkg/op"

	"twofold/config"
	"twofold/login"
	"twofold/storage"
)

// Storage implements zop.Storage over a storage.Store.
type Storage struct {
	store     storage.Store
	keys      *Keys
	lifetimes config.Lifetimes
	now       func() time.Time
	log       *slog.Logger
}

// NewStorage returns the adapter.
func NewStorage(store storage.Store, keys *Keys, lifetimes config.Lifetimes, now func() time.Time, log *slog.Logger) *Storage {
	return &Storage{store: store, keys: keys, lifetimes: lifetimes, now: now, log: log}
}

// authCodeLifetime bounds the time between the redirect and the code exchange
// (RFC 6749, section 4.1.2 recommends at most ten minutes).
const authCodeLifetime = 2 * time.Minute

// supportedScopes are the scopes twofold honours; the library passes others
// through, so CreateAuthRequest drops them. There is no phone scope: mobile
// numbers are only used to send codes.
var supportedScopes = []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopeOfflineAccess}

// randomID returns a URL-safe identifier of 256 random bits with a prefix
// that tells the kinds apart. It never contains ':', which opaque access
// tokens use as a separator.
func randomID(prefix string) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// storageError maps a storage failure to an OAuth error: not-found kinds
// become invalid_grant, everything else server_error with the cause kept
// only as the parent, so its text never reaches the client.
func storageError(err error) error {
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrReused) {
		return oidc.ErrInvalidGrant().WithParent(err)
	}
	return oidc.ErrServerError().WithParent(err)
}

// CreateAuthRequest stores a validated authorization request. Policy that
// the library does not enforce is applied here: openid is required, PKCE
// must use S256, and public clients must send PKCE.
func (s *Storage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, hintSubject string) (zop.AuthRequest, error) {
	if !slices.Contains(req.Scopes, oidc.ScopeOpenID) {
		return nil, oidc.ErrInvalidScope().WithDescription("the openid scope is required")
	}
	client, err := s.store.ClientByID(ctx, req.ClientID)
	if err != nil {
		return nil, oidc.ErrInvalidRequest().WithDescription("unknown client").WithParent(err)
	}
	if req.CodeChallenge != "" && req.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	}
	if client.Public && req.CodeChallenge == "" {
		return nil, oidc.ErrInvalidRequest().WithDescription("public clients must send a PKCE code_challenge with S256")
	}
	rawClaims := claimsParameter(ctx)
	claims, err := login.ParseClaims(rawClaims)
	if err != nil {
		return nil, oidc.ErrInvalidRequest().WithDescription("%s", err.Error())
	}
	if _, err := login.RequiredAssurance(req.ACRValues, claims); err != nil {
		return nil, err
	}
	scopes := slices.DeleteFunc(slices.Clone(req.Scopes), func(sc string) bool {
		return !slices.Contains(supportedScopes, sc)
	})
	now := s.now()
	ar := &storage.AuthRequest{
		ID:                  randomID("ar_"),
		ClientID:            req.ClientID,
		RedirectURI:         req.RedirectURI,
		State:               req.State,
		Nonce:               req.Nonce,
		Scopes:              scopes,
		ResponseType:        string(req.ResponseType),
		ResponseMode:        string(req.ResponseMode),
		CodeChallenge:       req.CodeChallenge,
		CodeChallengeMethod: string(req.CodeChallengeMethod),
		Prompt:              req.Prompt,
		LoginHint:           req.LoginHint,
		UILocales:           localeStrings(req.UILocales),
		ACRValues:           req.ACRValues,
		HintSubject:         hintSubject,
		Claims:              rawClaims,
		CreatedAt:           now,
		ExpiresAt:           now.Add(s.lifetimes.AuthRequest),
	}
	if req.MaxAge != nil {
		v := int64(*req.MaxAge)
		ar.MaxAge = &v
	}
	if err := s.store.CreateAuthRequest(ctx, ar); err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	return &AuthRequest{ar}, nil
}

func localeStrings(locales oidc.Locales) []string {
	out := make([]string, 0, len(locales))
	for _, l := range locales {
		out = append(out, l.String())
	}
	return out
}

// AuthRequestByID returns an unexpired request.
func (s *Storage) AuthRequestByID(ctx context.Context, id string) (zop.AuthRequest, error) {
	ar, err := s.store.AuthRequestByID(ctx, id, s.now())
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, errors.New("the sign-in request was not found or has expired")
		}
		return nil, oidc.ErrServerError().WithParent(err)
	}
	return &AuthRequest{ar}, nil
}

// SaveAuthCode stores the hash of the code the library made for a done request.
func (s *Storage) SaveAuthCode(ctx context.Context, id, code string) error {
	err := s.store.SaveAuthCode(ctx, id, hashToken(code), s.now().Add(authCodeLifetime))
	if errors.Is(err, storage.ErrConflict) {
		// The callback was opened twice, as after a reload: the code was
		// issued once and is not sent again, nor is an error redirected.
		return oidc.ErrInvalidRequestRedirectURI().WithDescription("this sign-in has already finished; go back to the application")
	}
	if err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	return nil
}

// AuthRequestByCode consumes the code. A second use returns invalid_grant
// after the storage has revoked every token issued from the first.
func (s *Storage) AuthRequestByCode(ctx context.Context, code string) (zop.AuthRequest, error) {
	ar, err := s.store.ConsumeAuthCode(ctx, hashToken(code), s.now())
	if err != nil {
		if errors.Is(err, storage.ErrReused) {
			s.log.WarnContext(ctx, "authorization code reused; tokens issued from it revoked")
		}
		return nil, storageError(err)
	}
	if !ar.Done {
		return nil, oidc.ErrInvalidGrant()
	}
	if err := s.checkPolicy(ctx, ar.UserID, ar.AMR); err != nil {
		return nil, err
	}
	return &AuthRequest{ar}, nil
}

// checkPolicy rejects a grant whose factors no longer meet the user's
// office policy, reading the office as stored now.
func (s *Storage) checkPolicy(ctx context.Context, userID string, amr []string) error {
	user, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return storageError(err)
	}
	office, err := s.store.OfficeByID(ctx, user.OfficeID)
	if err != nil {
		return storageError(err)
	}
	if !login.Satisfies(office, amr) {
		return oidc.ErrInvalidGrant().WithDescription("the office requires a code by SMS; sign in again")
	}
	return nil
}

// DeleteAuthRequest keeps the request: its consumed code must stay known so
// that a replay is detected. Expired requests are purged by DeleteExpired.
func (s *Storage) DeleteAuthRequest(context.Context, string) error { return nil }

// CreateAccessToken stores an access token issued without a refresh token.
func (s *Storage) CreateAccessToken(ctx context.Context, req zop.TokenRequest) (string, time.Time, error) {
	t := s.newAccessToken(req)
	if err := s.store.CreateToken(ctx, t); err != nil {
		return "", time.Time{}, oidc.ErrServerError().WithParent(err)
	}
	return t.ID, t.ExpiresAt, nil
}

func (s *Storage) newAccessToken(req zop.TokenRequest) *storage.Token {
	now := s.now()
	t := &storage.Token{
		ID:        randomID("at_"),
		UserID:    req.GetSubject(),
		Scopes:    req.GetScopes(),
		Audience:  req.GetAudience(),
		CreatedAt: now,
		ExpiresAt: now.Add(s.lifetimes.AccessToken),
	}
	switch r := req.(type) {
	case *AuthRequest:
		t.ClientID, t.AuthRequestID, t.Claims = r.ClientID, r.ID, r.Claims
	case *RefreshRequest:
		t.ClientID, t.AuthRequestID, t.Claims = r.ClientID, r.AuthRequestID, r.RefreshToken.Claims
	}
	return t
}

// CreateAccessAndRefreshTokens issues a refresh token after a code grant, or
// rotates the presented one on a refresh grant.
func (s *Storage) CreateAccessAndRefreshTokens(ctx context.Context, req zop.TokenRequest, current string) (string, string, time.Time, error) {
	access := s.newAccessToken(req)
	now := s.now()
	token := randomID("")
	next := &storage.RefreshToken{
		ID:        randomID("rt_"),
		TokenHash: hashToken(token),
		UserID:    req.GetSubject(),
		Scopes:    req.GetScopes(),
		Audience:  req.GetAudience(),
		CreatedAt: now,
		ExpiresAt: now.Add(s.lifetimes.RefreshToken),
	}
	access.RefreshTokenID = next.ID

	switch r := req.(type) {
	case *AuthRequest:
		if current != "" {
			return "", "", time.Time{}, oidc.ErrInvalidGrant()
		}
		next.FamilyID = randomID("rf_")
		next.ClientID, next.SessionID, next.AuthRequestID = r.ClientID, r.SessionID, r.ID
		next.AMR, next.ACR, next.AuthTime, next.Claims = r.AMR, r.ACR, r.AuthTime, r.Claims
		if err := s.store.CreateRefreshToken(ctx, next); err != nil {
			return "", "", time.Time{}, oidc.ErrServerError().WithParent(err)
		}
		if err := s.store.CreateToken(ctx, access); err != nil {
			return "", "", time.Time{}, oidc.ErrServerError().WithParent(err)
		}
	case *RefreshRequest:
		next.FamilyID, next.ClientID, next.SessionID, next.AuthRequestID = r.FamilyID, r.ClientID, r.SessionID, r.AuthRequestID
		next.AMR, next.ACR, next.AuthTime, next.Claims = r.AMR, r.ACR, r.AuthTime, r.RefreshToken.Claims
		if err := s.store.RotateRefreshToken(ctx, hashToken(current), next, access, now); err != nil {
			if errors.Is(err, storage.ErrReused) {
				s.log.WarnContext(ctx, "refresh token reused; token family revoked", "client_id", r.ClientID, "user_id", r.UserID)
			}
			return "", "", time.Time{}, storageError(err)
		}
	default:
		return "", "", time.Time{}, oidc.ErrUnsupportedGrantType()
	}
	return access.ID, token, access.ExpiresAt, nil
}

// TokenRequestByRefreshToken returns the grant a refresh token stands for,
// provided the user's office policy is still met by the factors it was
// issued for.
func (s *Storage) TokenRequestByRefreshToken(ctx context.Context, token string) (zop.RefreshTokenRequest, error) {
	rt, err := s.store.RefreshTokenByHash(ctx, hashToken(token), s.now())
	if errors.Is(err, storage.ErrNotFound) {
		// A used token presented again is a replay: whoever holds its
		// successor may be an attacker, so the whole family is revoked.
		err = s.store.RevokeReusedRefreshToken(ctx, hashToken(token), s.now())
		if errors.Is(err, storage.ErrReused) {
			s.log.WarnContext(ctx, "refresh token reused; token family revoked")
		}
		return nil, storageError(err)
	}
	if err != nil {
		return nil, storageError(err)
	}
	if err := s.checkPolicy(ctx, rt.UserID, rt.AMR); err != nil {
		return nil, err
	}
	return &RefreshRequest{RefreshToken: rt, scopes: rt.Scopes}, nil
}

// TerminateSession ends the user's sessions at end_session.
func (s *Storage) TerminateSession(ctx context.Context, userID, clientID string) error {
	if userID == "" {
		return nil
	}
	return s.store.EndUserSessions(ctx, userID, clientID, s.now())
}

// GetRefreshTokenInfo identifies a refresh token presented to /revoke.
func (s *Storage) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	rt, err := s.store.RefreshTokenByHash(ctx, hashToken(token), s.now())
	if err != nil || rt.ClientID != clientID {
		return "", "", zop.ErrInvalidRefreshToken
	}
	return rt.UserID, rt.ID, nil
}

// RevokeToken revokes an access token or a refresh token by id. The library
// passes a user id only for tokens it identified as the client's own (an
// access token it decrypted, or a refresh token GetRefreshTokenInfo matched
// to the client); anything else is unknown and, per RFC 7009 section 2.2,
// answered with success.
func (s *Storage) RevokeToken(ctx context.Context, id, userID, clientID string) *oidc.Error {
	if userID == "" {
		return nil
	}
	now := s.now()
	if rest, ok := strings.CutPrefix(id, "rt_"); ok && rest != "" {
		if err := s.store.RevokeRefreshToken(ctx, id, now); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return oidc.ErrServerError().WithParent(err)
		}
		return nil
	}
	t, err := s.store.TokenByID(ctx, id, now)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	if t.ClientID != clientID || t.UserID != userID {
		return oidc.ErrInvalidClient().WithDescription("the token was not issued to this client")
	}
	if err := s.store.RevokeToken(ctx, id, now); err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	return nil
}

// SigningKey returns the key that signs new tokens.
func (s *Storage) SigningKey(ctx context.Context) (zop.SigningKey, error) {
	return s.keys.SigningKey(ctx)
}

// SignatureAlgorithms lists the algorithms of the published keys.
func (s *Storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

// KeySet returns the published public keys.
func (s *Storage) KeySet(ctx context.Context) ([]zop.Key, error) {
	return s.keys.KeySet(ctx)
}

// GetClientByClientID loads a client. An unknown client is invalid_client
// (401), because the library turns a plain error into server_error on some
// token endpoint paths; a database fault is a server_error.
func (s *Storage) GetClientByClientID(ctx context.Context, id string) (zop.Client, error) {
	c, err := s.store.ClientByID(ctx, id)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, oidc.ErrInvalidClient().WithDescription("unknown client")
		}
		return nil, oidc.ErrServerError().WithParent(err)
	}
	return &Client{c, s.lifetimes.IDToken}, nil
}

// AuthorizeClientIDSecret checks a confidential client's secret against its
// stored SHA-256 in constant time.
func (s *Storage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	c, err := s.store.ClientByID(ctx, id)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return errors.New("invalid client credentials")
		}
		return oidc.ErrServerError().WithParent(err)
	}
	if c.Public || len(c.SecretHash) == 0 || subtle.ConstantTimeCompare(hashToken(secret), c.SecretHash) != 1 {
		return errors.New("invalid client credentials")
	}
	return nil
}

// SetUserinfoFromScopes is deprecated in the library; SetUserinfoFromRequest
// does the work.
func (s *Storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's claims: sub, profile claims,
// the office, sid, the claims the claims parameter asked for in the ID
// token, and acr for ID tokens issued from a refresh token (the library
// sets acr only for authorization requests).
func (s *Storage) SetUserinfoFromRequest(ctx context.Context, ui *oidc.UserInfo, req zop.IDTokenRequest, scopes []string) error {
	var sessionID, rawClaims string
	switch r := req.(type) {
	case *AuthRequest:
		sessionID, rawClaims = r.SessionID, r.Claims
	case *RefreshRequest:
		sessionID, rawClaims = r.SessionID, r.RefreshToken.Claims
		ui.AppendClaims("acr", r.ACR)
	}
	if err := s.setUserinfo(ctx, ui, req.GetSubject(), req.GetScopes(), requestedClaims(rawClaims, "id_token")); err != nil {
		return err
	}
	if sessionID != "" {
		ui.AppendClaims("sid", login.SessionSID(sessionID))
	}
	return nil
}

// requestedClaims returns the claim names that a stored claims request
// asks for in target ("id_token" or "userinfo"). A stored request was
// validated when the authorization request was made, so one that does not
// parse asks for nothing.
func requestedClaims(raw, target string) []string {
	c, err := login.ParseClaims(raw)
	if err != nil {
		return nil
	}
	return c.Requested(target)
}

// setUserinfo fills the user's claims: profile claims with the profile
// scope or when requested by name, email likewise, and always the office.
func (s *Storage) setUserinfo(ctx context.Context, ui *oidc.UserInfo, userID string, scopes, requested []string) error {
	user, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return storageError(err)
	}
	office, err := s.store.OfficeByID(ctx, user.OfficeID)
	if err != nil {
		return storageError(err)
	}
	wants := func(scope, claim string) bool {
		return slices.Contains(scopes, scope) || slices.Contains(requested, claim)
	}
	ui.Subject = user.ID
	if wants(oidc.ScopeProfile, "name") {
		ui.Name = user.Name
	}
	if wants(oidc.ScopeProfile, "preferred_username") {
		ui.PreferredUsername = user.Username
	}
	if (wants(oidc.ScopeEmail, "email") || wants(oidc.ScopeEmail, "email_verified")) && user.Email != "" {
		ui.Email = user.Email
		ui.EmailVerified = false
	}
	ui.AppendClaims("office", map[string]string{"id": office.ID, "code": office.Code})
	return nil
}

// SetUserinfoFromToken serves /userinfo for an active access token.
func (s *Storage) SetUserinfoFromToken(ctx context.Context, ui *oidc.UserInfo, tokenID, subject, _ string) error {
	t, err := s.store.TokenByID(ctx, tokenID, s.now())
	if err != nil {
		return fmt.Errorf("access token is not active: %w", err)
	}
	if t.UserID != subject {
		return errors.New("access token is not active")
	}
	return s.setUserinfo(ctx, ui, t.UserID, t.Scopes, requestedClaims(t.Claims, "userinfo"))
}

// SetIntrospectionFromToken serves /introspect. Only a client the token was
// issued to may see it as active.
func (s *Storage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	t, err := s.store.TokenByID(ctx, tokenID, s.now())
	if err != nil || t.UserID != subject {
		return errors.New("token is not active")
	}
	if t.ClientID != clientID && !slices.Contains(t.Audience, clientID) {
		return errors.New("token is not active")
	}
	ui := new(oidc.UserInfo)
	if err := s.setUserinfo(ctx, ui, t.UserID, t.Scopes, nil); err != nil {
		return err
	}
	resp.SetUserInfo(ui)
	resp.Active = true
	resp.Scope = t.Scopes
	resp.ClientID = t.ClientID
	resp.TokenType = oidc.BearerToken
	resp.Expiration = oidc.FromTime(t.ExpiresAt)
	resp.IssuedAt = oidc.FromTime(t.CreatedAt)
	resp.Audience = t.Audience
	return nil
}

// GetPrivateClaimsFromScopes adds nothing: access tokens are opaque.
func (s *Storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID rejects: private_key_jwt, the JWT bearer grant and
// request objects are not supported.
func (s *Storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("client keys are not supported")
}

// ValidateJWTProfileScopes rejects the JWT bearer grant, which the library
// always routes to the storage.
func (s *Storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, oidc.ErrUnauthorizedClient().WithDescription("the JWT bearer grant is not supported")
}

// Health checks the database.
func (s *Storage) Health(ctx context.Context) error { return s.store.Ping(ctx) }
