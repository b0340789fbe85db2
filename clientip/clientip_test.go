package clientip

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

func mustPrefixes(t *testing.T, list ...string) []netip.Prefix {
	t.Helper()
	p, err := ParsePrefixes(list)
	if err != nil {
		t.Fatalf("ParsePrefixes(%q): %v", list, err)
	}
	return p
}

func TestClientIP(t *testing.T) {
	proxies := New(mustPrefixes(t, "10.0.0.0/8", "2001:db8:ffff::/48", "192.0.2.7"))
	none := New(nil)
	tests := []struct {
		name     string
		resolver *Resolver
		remote   string
		xff      []string // one entry per header line
		want     string
	}{
		{"no proxy configured", none, "198.51.100.4:5000", nil, "198.51.100.4"},
		{"untrusted peer spoofs header", none, "198.51.100.4:5000", []string{"203.0.113.9"}, "198.51.100.4"},
		{"untrusted peer with proxies configured", proxies, "198.51.100.4:5000", []string{"203.0.113.9"}, "198.51.100.4"},
		{"trusted peer, one hop", proxies, "10.1.2.3:443", []string{"203.0.113.9"}, "203.0.113.9"},
		{"trusted peer without header", proxies, "10.1.2.3:443", nil, "10.1.2.3"},
		{"client prepends a fake entry", proxies, "10.1.2.3:443", []string{"1.1.1.1, 203.0.113.9"}, "203.0.113.9"},
		{"two trusted hops skipped", proxies, "10.1.2.3:443", []string{"203.0.113.9, 10.9.9.9, 192.0.2.7"}, "203.0.113.9"},
		{"several header lines form one list", proxies, "10.1.2.3:443", []string{"1.1.1.1, 203.0.113.9", "10.9.9.9"}, "203.0.113.9"},
		{"every entry trusted", proxies, "10.1.2.3:443", []string{"10.0.0.1, 10.0.0.2"}, "10.0.0.1"},
		{"garbage stops at the hop that wrote it", proxies, "10.1.2.3:443", []string{"203.0.113.9, unknown"}, "10.1.2.3"},
		{"empty entry stops the walk", proxies, "10.1.2.3:443", []string{"203.0.113.9,"}, "10.1.2.3"},
		{"entry with a port", proxies, "10.1.2.3:443", []string{"203.0.113.9:61000"}, "203.0.113.9"},
		{"bracketed IPv6 entry", proxies, "10.1.2.3:443", []string{"[2001:db8:1::5]:443"}, "2001:db8:1::5"},
		{"bare IPv6 entry", proxies, "10.1.2.3:443", []string{"2001:db8:1::5"}, "2001:db8:1::5"},
		{"IPv6 proxy peer", proxies, "[2001:db8:ffff::1]:443", []string{"203.0.113.9"}, "203.0.113.9"},
		{"IPv4-mapped peer is IPv4", proxies, "[::ffff:10.1.2.3]:443", []string{"203.0.113.9"}, "203.0.113.9"},
		{"IPv4-mapped entry is IPv4", proxies, "10.1.2.3:443", []string{"::ffff:203.0.113.9"}, "203.0.113.9"},
		{"zone dropped", none, "[fe80::1%eth0]:443", nil, "fe80::1"},
		{"single trusted address", proxies, "192.0.2.7:443", []string{"203.0.113.9"}, "203.0.113.9"},
		{"neighbour of a trusted address", proxies, "192.0.2.8:443", []string{"203.0.113.9"}, "192.0.2.8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, "http://twofold.test/", nil)
			req.RemoteAddr = tc.remote
			for _, line := range tc.xff {
				req.Header.Add("X-Forwarded-For", line)
			}
			got := tc.resolver.ClientIP(req)
			if got.String() != tc.want {
				t.Errorf("ClientIP = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestClientIPMaxHops(t *testing.T) {
	r := New(mustPrefixes(t, "10.0.0.0/8"))
	req, _ := http.NewRequest(http.MethodGet, "http://twofold.test/", nil)
	req.RemoteAddr = "10.0.0.1:443"
	hops := []string{"203.0.113.9"}
	for range maxHops + 5 {
		hops = append(hops, "10.0.0.2")
	}
	req.Header.Set("X-Forwarded-For", strings.Join(hops, ", "))
	if got := r.ClientIP(req).String(); got != "10.0.0.2" {
		t.Errorf("ClientIP past %d hops = %s, want the last trusted hop read, 10.0.0.2", maxHops, got)
	}
}

func TestClientIPInvalidRemoteAddr(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "http://twofold.test/", nil)
	req.RemoteAddr = "pipe"
	if got := New(nil).ClientIP(req); got.IsValid() {
		t.Errorf("ClientIP of RemoteAddr %q = %s, want the zero Addr", req.RemoteAddr, got)
	}
}

func TestNilResolverTrustsNothing(t *testing.T) {
	var r *Resolver
	req, _ := http.NewRequest(http.MethodGet, "http://twofold.test/", nil)
	req.RemoteAddr = "10.0.0.1:443"
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	if got := r.ClientIP(req).String(); got != "10.0.0.1" {
		t.Errorf("nil Resolver: ClientIP = %s, want 10.0.0.1", got)
	}
}

func TestParsePrefixes(t *testing.T) {
	got := mustPrefixes(t, "10.1.2.3/8", " 192.0.2.1 ", "2001:db8::1", "::ffff:10.0.0.0/104")
	want := []string{"10.0.0.0/8", "192.0.2.1/32", "2001:db8::1/128", "10.0.0.0/8"}
	if len(got) != len(want) {
		t.Fatalf("ParsePrefixes: %d prefixes, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("prefix %d = %s, want %s", i, got[i], want[i])
		}
	}

	_, err := ParsePrefixes([]string{"10.0.0.0/8", "10.0.0.0/33", "proxy.example.com"})
	if err == nil {
		t.Fatal("ParsePrefixes accepted an invalid prefix and a host name")
	}
	for _, want := range []string{`[1] "10.0.0.0/33"`, `[2] "proxy.example.com"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

func TestKey(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"203.0.113.9", "203.0.113.9"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
	}
	for _, tc := range tests {
		if got := Key(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("Key(%s) = %q, want %q", tc.addr, got, tc.want)
		}
	}
	if got := Key(netip.Addr{}); got != "" {
		t.Errorf("Key of the zero Addr = %q, want empty", got)
	}
}
