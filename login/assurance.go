package login

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/zitadel/oidc/v3/pkg/oidc"
)

// MaxClaimsRequest bounds the claims parameter, which names a handful of
// claims; anything longer is rejected before it is parsed.
const MaxClaimsRequest = 4 << 10

// ErrUnmetAuthenticationRequirements is the error code of OpenID Connect
// Core Error Code unmet_authentication_requirements 1.0: the request demands
// an authentication that twofold cannot perform (an essential acr or amr
// that no factor twofold has can produce).
const ErrUnmetAuthenticationRequirements = "unmet_authentication_requirements"

// ClaimRequest is one member of the claims parameter (OpenID Connect Core
// 1.0, section 5.5.1): null, or an object with essential, value and values.
type ClaimRequest struct {
	Essential bool            `json:"essential"`
	Value     json.RawMessage `json:"value"`
	Values    json.RawMessage `json:"values"`
}

// Claims is the parsed claims parameter. Members for other targets than
// the ID token and userinfo are ignored.
type Claims struct {
	IDToken  map[string]*ClaimRequest `json:"id_token"`
	Userinfo map[string]*ClaimRequest `json:"userinfo"`
}

// ParseClaims parses and validates the claims parameter; an empty string is
// no claims request. The error text is safe to return to the client.
func ParseClaims(raw string) (*Claims, error) {
	if raw == "" {
		return &Claims{}, nil
	}
	if len(raw) > MaxClaimsRequest {
		return nil, errors.New("the claims parameter is too long")
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	var c Claims
	if err := dec.Decode(&c); err != nil {
		return nil, errors.New("the claims parameter is not a valid JSON object")
	}
	if dec.More() {
		return nil, errors.New("the claims parameter is not a single JSON object")
	}
	for _, set := range []map[string]*ClaimRequest{c.IDToken, c.Userinfo} {
		for _, req := range set {
			if req == nil {
				continue
			}
			if _, err := req.strings(); err != nil {
				return nil, err
			}
		}
	}
	return &c, nil
}

// strings returns the requested values of a claim, value first, in order of
// preference. Values that are not strings are skipped, because acr and amr
// values are strings and other claims' values are not used.
func (r *ClaimRequest) strings() ([]string, error) {
	var out []string
	if len(r.Value) > 0 && string(r.Value) != "null" {
		var s string
		if json.Unmarshal(r.Value, &s) == nil {
			out = append(out, s)
		}
	}
	if len(r.Values) > 0 && string(r.Values) != "null" {
		var list []json.RawMessage
		if err := json.Unmarshal(r.Values, &list); err != nil {
			return nil, errors.New("the values of a claim in the claims parameter must be an array")
		}
		for _, v := range list {
			var s string
			if json.Unmarshal(v, &s) == nil {
				out = append(out, s)
			}
		}
	}
	return out, nil
}

// Requested returns the names of the claims requested for the ID token or
// for userinfo (target "id_token" or "userinfo").
func (c *Claims) Requested(target string) []string {
	set := c.IDToken
	if target == "userinfo" {
		set = c.Userinfo
	}
	names := make([]string, 0, len(set))
	for name := range set {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Assurance is the strength of sign-in an authorization request demands
// beyond the office's policy.
type Assurance struct {
	// SMS requires a verified SMS code in this sign-in's session, even in
	// an office that does not require one.
	SMS bool
}

// RequiredAssurance derives the assurance an authorization request asks
// for from acr_values and the claims parameter:
//
//   - acr_values (voluntary, OpenID Connect Core 1.0, section 3.1.2.1) and a
//     voluntary acr claim: the first value twofold knows, in order of
//     preference, decides; ACRPasswordSMS requires the code, unknown values
//     are ignored.
//   - an essential acr claim (section 5.5.1.1): its first known value
//     decides, and without values the stronger class is required; values
//     that are all unknown cannot be met.
//   - an essential amr claim: without values, or with sms or mfa among
//     them, the code is required; pwd alone asks for nothing more; values
//     that are all unknown cannot be met.
//
// An *oidc.Error with ErrUnmetAuthenticationRequirements reports a demand
// twofold cannot meet.
func RequiredAssurance(acrValues []string, claims *Claims) (Assurance, error) {
	var a Assurance
	if acr := firstKnownACR(acrValues); acr == ACRPasswordSMS {
		a.SMS = true
	}
	if claims == nil {
		return a, nil
	}
	if req := claims.IDToken["acr"]; req != nil {
		values, _ := req.strings()
		acr := firstKnownACR(values)
		switch {
		case req.Essential && len(values) == 0:
			a.SMS = true
		case req.Essential && acr == "":
			return a, unmet("none of the requested acr values can be met")
		case acr == ACRPasswordSMS:
			a.SMS = true
		}
	}
	if req := claims.IDToken["amr"]; req != nil && req.Essential {
		values, _ := req.strings()
		switch {
		case len(values) == 0, slices.Contains(values, AMRSMS), slices.Contains(values, AMRMFA):
			a.SMS = true
		case !slices.Contains(values, AMRPassword):
			return a, unmet("none of the requested amr values can be met")
		}
	}
	return a, nil
}

func firstKnownACR(values []string) string {
	for _, v := range values {
		if v == ACRPassword || v == ACRPasswordSMS {
			return v
		}
	}
	return ""
}

func unmet(description string) *oidc.Error {
	return &oidc.Error{ErrorType: ErrUnmetAuthenticationRequirements, Description: description}
}

// Meets reports whether a sign-in with these factors satisfies both the
// office's policy and the request's assurance.
func (a Assurance) Meets(officeRequiresSMS bool, amr []string) bool {
	if (officeRequiresSMS || a.SMS) && !PassedSMS(amr) {
		return false
	}
	return true
}

// String describes the assurance for logs.
func (a Assurance) String() string {
	return fmt.Sprintf("sms=%t", a.SMS)
}
