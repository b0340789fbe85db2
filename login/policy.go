package login

import (
	"slices"

	"twofold/storage"
)

// Authentication method references (RFC 8176, section 2).
const (
	AMRPassword = "pwd"
	AMRSMS      = "sms"
	AMRMFA      = "mfa"
)

// Authentication context class references that ID tokens carry in acr.
const (
	// ACRPassword means the user proved a password only.
	ACRPassword = "urn:twofold:acr:password"
	// ACRPasswordSMS means the user proved a password and a code sent by SMS.
	ACRPasswordSMS = "urn:twofold:acr:password+sms"
)

// AMRPasswordOnly and AMRPasswordSMS are the two factor sets a sign-in ends with.
var (
	AMRPasswordOnly = []string{AMRPassword}
	AMRPasswordSMS  = []string{AMRPassword, AMRSMS, AMRMFA}
)

// PassedSMS reports whether the factors include a verified SMS code.
func PassedSMS(amr []string) bool { return slices.Contains(amr, AMRSMS) }

// Satisfies reports whether a sign-in with these factors meets the office's
// policy as stored now. Every path that issues a code or token calls it with
// an office read in the same request, so a policy change made by another
// process applies at once.
func Satisfies(office *storage.Office, amr []string) bool {
	return !office.TwoFactor || PassedSMS(amr)
}

// ACRFor returns the acr value for a set of factors.
func ACRFor(amr []string) string {
	if PassedSMS(amr) {
		return ACRPasswordSMS
	}
	return ACRPassword
}
