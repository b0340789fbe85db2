package sms

import "strings"

// gsm7Characters is the GSM 03.38 (3GPP TS 23.038) default alphabet and its
// extension table, without the escape character.
const gsm7Characters = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà" +
	"\f^{}\\[~]|€"

// isGSM7 reports whether every character of s can be sent in the GSM 7-bit
// encoding. Gateways that do not detect the encoding themselves must be sent
// a UCS-2 flag for any other body.
func isGSM7(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune(gsm7Characters, r) {
			return false
		}
	}
	return true
}
