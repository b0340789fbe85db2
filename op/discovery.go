package op

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	zop "github.com/zitadel/oidc/v3/pkg/op"

	"twofold/login"
)

// Discovery serves /.well-known/openid-configuration (OpenID Connect
// Discovery 1.0, section 3). It starts from the library's document and
// corrects it to list exactly what twofold supports: the library always
// lists the implicit response types and grant and the JWT bearer grant,
// which twofold refuses, and has no field for acr_values_supported, the
// claims parameter, form_post, RFC 9207's iss parameter or back-channel
// logout sessions.
func Discovery(provider *zop.Provider) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := zop.ContextWithIssuer(r.Context(), provider.IssuerFromRequest(r))
		doc, err := discoveryDocument(provider, ctx)
		if err != nil {
			http.Error(w, "Internal error.", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "max-age=300")
		_, _ = w.Write(doc)
	})
}

func discoveryDocument(provider *zop.Provider, ctx context.Context) ([]byte, error) {
	base, err := json.Marshal(zop.CreateDiscoveryConfig(ctx, provider, provider.Storage()))
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(base, &doc); err != nil {
		return nil, err
	}
	for _, k := range []string{
		"device_authorization_endpoint", "check_session_iframe", "registration_endpoint",
		"request_object_signing_alg_values_supported", "token_endpoint_auth_signing_alg_values_supported",
		"introspection_endpoint_auth_signing_alg_values_supported",
		"revocation_endpoint_auth_signing_alg_values_supported",
	} {
		delete(doc, k)
	}
	authMethods := []string{"client_secret_basic", "client_secret_post", "none"}
	set := map[string]any{
		"response_types_supported":                       []string{string(oidc.ResponseTypeCode)},
		"response_modes_supported":                       []string{"query", "fragment", "form_post"},
		"grant_types_supported":                          []string{string(oidc.GrantTypeCode), string(oidc.GrantTypeRefreshToken)},
		"acr_values_supported":                           []string{login.ACRPassword, login.ACRPasswordSMS},
		"subject_types_supported":                        []string{"public"},
		"id_token_signing_alg_values_supported":          []string{"RS256"},
		"token_endpoint_auth_methods_supported":          authMethods,
		"revocation_endpoint_auth_methods_supported":     authMethods,
		"introspection_endpoint_auth_methods_supported":  []string{"client_secret_basic", "client_secret_post"},
		"code_challenge_methods_supported":               []string{string(oidc.CodeChallengeMethodS256)},
		"scopes_supported":                               supportedScopes,
		"claims_supported":                               supportedClaims,
		"claim_types_supported":                          []string{"normal"},
		"claims_parameter_supported":                     true,
		"display_values_supported":                       []string{"page", "popup", "touch", "wap"},
		"ui_locales_supported":                           []string{"en", "nl"},
		"request_parameter_supported":                    false,
		"request_uri_parameter_supported":                false,
		"authorization_response_iss_parameter_supported": true,
		"backchannel_logout_supported":                   true,
		"backchannel_logout_session_supported":           true,
		"frontchannel_logout_supported":                  false,
	}
	for k, v := range set {
		doc[k] = v
	}
	return json.MarshalIndent(doc, "", "  ")
}
