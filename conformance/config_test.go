package conformance

import (
	"slices"
	"strings"
	"testing"

	"twofold/login"
)

// configModules are the modules of oidcc-config-certification-test-plan.
var configModules = []module{
	{"oidcc-discovery-endpoint-verification", moduleDiscovery},
}

func TestConfigOP(t *testing.T) { runPlan(t, configModules, "", nil) }

// moduleDiscovery checks the discovery document as the suite's
// OIDCCDiscoveryEndpointVerification does, and that it lists exactly what
// twofold supports. The suite also requires https endpoints; these tests
// run twofold on http://127.0.0.1, which config.Validate allows for
// loopback issuers only.
func moduleDiscovery(t *testing.T, m *run) {
	doc := discovery(t, m.p)
	if doc["issuer"] != m.p.issuer {
		t.Errorf("issuer = %v, want %s", doc["issuer"], m.p.issuer)
	}
	for k, path := range map[string]string{
		"authorization_endpoint": "/authorize", "token_endpoint": "/oauth/token", "userinfo_endpoint": "/userinfo",
		"jwks_uri": "/keys", "end_session_endpoint": "/end_session", "revocation_endpoint": "/revoke",
		"introspection_endpoint": "/oauth/introspect",
	} {
		if doc[k] != m.p.issuer+path {
			t.Errorf("%s = %v, want %s", k, doc[k], m.p.issuer+path)
		}
	}
	exact := map[string][]string{
		"response_types_supported":              {"code"},
		"response_modes_supported":              {"query", "fragment", "form_post"},
		"grant_types_supported":                 {"authorization_code", "refresh_token"},
		"subject_types_supported":               {"public"},
		"id_token_signing_alg_values_supported": {"RS256"},
		"code_challenge_methods_supported":      {"S256"},
		"acr_values_supported":                  {login.ACRPassword, login.ACRPasswordSMS},
		"token_endpoint_auth_methods_supported": {"client_secret_basic", "client_secret_post", "none"},
		"scopes_supported":                      {"openid", "profile", "email", "offline_access"},
	}
	for k, want := range exact {
		got := stringList(doc[k])
		slices.Sort(got)
		sorted := slices.Clone(want)
		slices.Sort(sorted)
		if !slices.Equal(got, sorted) {
			t.Errorf("%s = %v, want exactly %v", k, doc[k], want)
		}
	}
	claims := stringList(doc["claims_supported"])
	for _, c := range []string{"sub", "iss", "auth_time", "acr", "amr", "sid", "name", "email"} {
		if !slices.Contains(claims, c) {
			t.Errorf("claims_supported lacks %s", c)
		}
	}
	for _, c := range claims {
		if strings.HasPrefix(c, "phone") || c == "address" {
			t.Errorf("claims_supported lists %s, which twofold never issues", c)
		}
	}
	for k, want := range map[string]any{
		"claims_parameter_supported":                     true,
		"request_parameter_supported":                    false,
		"request_uri_parameter_supported":                false,
		"authorization_response_iss_parameter_supported": true,
		"backchannel_logout_supported":                   true,
		"backchannel_logout_session_supported":           true,
	} {
		if doc[k] != want {
			t.Errorf("%s = %v, want %v", k, doc[k], want)
		}
	}
	for _, k := range []string{"request_object_signing_alg_values_supported", "device_authorization_endpoint", "registration_endpoint", "check_session_iframe"} {
		if _, ok := doc[k]; ok {
			t.Errorf("discovery lists %s, which twofold does not support", k)
		}
	}
	fetchJWKS(t, m.p)
}
