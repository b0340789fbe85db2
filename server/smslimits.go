package server

import (
	"fmt"

	"twofold/clientip"
	"twofold/op"
	"twofold/smslimit"
)

// sendLimits builds the SMS send policy and the client address resolver
// from the configuration, which Validate has checked.
func sendLimits(o Options, kek []byte) (*smslimit.Policy, *clientip.Resolver, error) {
	cfg := o.Config
	trusted, err := clientip.ParsePrefixes(cfg.TrustedProxies)
	if err != nil {
		return nil, nil, fmt.Errorf("trusted_proxies%w", err)
	}
	gateway := cfg.SMS.Sender
	if gateway == "" {
		gateway = "console"
	}
	policy := smslimit.New(smslimit.Options{
		Store:            o.Store,
		Limits:           cfg.SMS.Limits,
		AllowedCountries: cfg.SMS.AllowedCountries,
		SubjectKey:       op.DeriveKey(kek, "sms limit subjects"),
		Gateway:          gateway,
		Now:              o.Now,
		Log:              o.Log,
	})
	return policy, clientip.New(trusted), nil
}
