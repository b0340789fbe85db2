// Package clientip finds the address of the client that sent an HTTP
// request.
//
// The address is the TCP peer (http.Request.RemoteAddr) unless that peer is
// a trusted proxy. Only then is X-Forwarded-For read, from right to left:
// each proxy appends the address it received the request from, so the
// rightmost entries were written by the proxies closest to twofold. The
// first entry that is not a trusted proxy is the client. The entries to its
// left were written by the client or by untrusted proxies. They are
// ignored, so a client cannot choose its address by sending the header
// itself.
package clientip

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// maxHops bounds how many X-Forwarded-For entries Resolver reads. Real
// chains have a few proxies; a longer list is a client padding the header.
const maxHops = 32

// Resolver finds client addresses. The zero Resolver trusts no proxy.
type Resolver struct {
	trusted []netip.Prefix
}

// New returns a Resolver that trusts proxies in the given prefixes.
func New(trusted []netip.Prefix) *Resolver {
	return &Resolver{trusted: trusted}
}

// ParsePrefixes parses CIDR prefixes such as "10.0.0.0/8" or "fd00::/8".
// A bare address stands for itself (/32 or /128). The error names the
// position and value of every entry that is neither.
func ParsePrefixes(list []string) ([]netip.Prefix, error) {
	var (
		prefixes []netip.Prefix
		invalid  []string
	)
	for i, s := range list {
		s = strings.TrimSpace(s)
		p, err := parsePrefix(s)
		if err != nil {
			invalid = append(invalid, fmt.Sprintf("[%d] %q", i, s))
			continue
		}
		prefixes = append(prefixes, p)
	}
	if len(invalid) > 0 {
		return nil, fmt.Errorf("%s: not a CIDR prefix such as 10.0.0.0/8 or fd00::/8, nor an IP address",
			strings.Join(invalid, ", "))
	}
	return prefixes, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap().WithZone("")
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Trusted reports whether a is in one of the trusted prefixes.
func (r *Resolver) Trusted(a netip.Addr) bool {
	if r == nil {
		return false
	}
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientIP returns the client address of req, or the zero Addr when
// RemoteAddr is not an address (net/http always sets one; hand-built
// requests may not).
//
// Walking X-Forwarded-For stops at the first entry that is not a trusted
// proxy and returns it. It also stops, returning the hop that wrote the
// entry, at an entry that is not an address (such as "unknown"), and after
// maxHops entries. When every entry is a trusted proxy, the leftmost one is
// the client.
func (r *Resolver) ClientIP(req *http.Request) netip.Addr {
	addr, ok := parseHost(req.RemoteAddr)
	if !ok {
		return netip.Addr{}
	}
	if !r.Trusted(addr) {
		return addr
	}
	entries := forwardedFor(req.Header)
	for i := len(entries) - 1; i >= 0 && len(entries)-i <= maxHops; i-- {
		hop, ok := parseHost(entries[i])
		if !ok {
			return addr
		}
		addr = hop
		if !r.Trusted(addr) {
			return addr
		}
	}
	return addr
}

// forwardedFor returns the X-Forwarded-For entries of every header line in
// order, as one list (RFC 9110, section 5.3).
func forwardedFor(h http.Header) []string {
	var entries []string
	for _, line := range h.Values("X-Forwarded-For") {
		for _, e := range strings.Split(line, ",") {
			entries = append(entries, strings.TrimSpace(e))
		}
	}
	return entries
}

// parseHost parses an address with or without a port: "192.0.2.1",
// "192.0.2.1:443", "2001:db8::1" and "[2001:db8::1]:443". IPv4-mapped IPv6
// addresses become IPv4 and zones are dropped, so one client has one form.
func parseHost(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return netip.Addr{}, false
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

// Key returns the form under which limits count a client: the address
// itself for IPv4, and its /64 prefix for IPv6, because one subscriber
// usually gets a whole /64 and can use any address in it. The zero Addr
// gives "".
func Key(a netip.Addr) string {
	switch {
	case !a.IsValid():
		return ""
	case a.Is4():
		return a.String()
	}
	return netip.PrefixFrom(a, 64).Masked().String()
}
