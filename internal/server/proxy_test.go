package server_test

import (
	"net/http/httptest"
	"testing"

	"github.com/cofferhq/coffer/internal/server"
)

// TestForwardedHeadersFromTrustedProxiesOnly: the login rate limit and the
// operation records take the address Proxies.Client gives, so a header a
// client sent itself must never move it.
func TestForwardedHeadersFromTrustedProxiesOnly(t *testing.T) {
	proxies, err := server.ParseProxies("10.0.0.0/8, 127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, peer, xff, proto string
		trust                  server.Proxies
		addr                   string
		https                  bool
	}{
		{"no proxies trusted", "203.0.113.9:4000", "198.51.100.1", "https", nil, "203.0.113.9", false},
		{"untrusted peer forges", "203.0.113.9:4000", "198.51.100.1", "https", proxies, "203.0.113.9", false},
		{"trusted proxy", "127.0.0.1:4000", "198.51.100.1", "https", proxies, "198.51.100.1", true},
		{"client prepends a forged hop", "127.0.0.1:4000", "192.0.2.66, 198.51.100.1", "http", proxies, "198.51.100.1", false},
		{"two trusted proxies", "127.0.0.1:4000", "198.51.100.1, 10.1.2.3", "", proxies, "198.51.100.1", false},
		{"trusted proxy sends no header", "127.0.0.1:4000", "", "", proxies, "127.0.0.1", false},
		{"malformed hop ends the walk", "127.0.0.1:4000", "198.51.100.1, not-an-ip", "", proxies, "127.0.0.1", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.peer
			if c.xff != "" {
				r.Header.Set("X-Forwarded-For", c.xff)
			}
			if c.proto != "" {
				r.Header.Set("X-Forwarded-Proto", c.proto)
			}
			got := c.trust.Client(r)
			if got.Addr != c.addr || got.HTTPS != c.https {
				t.Errorf("client = %+v, want addr %s https %v", got, c.addr, c.https)
			}
		})
	}
	if _, err := server.ParseProxies("10.0.0.0/8, nonsense"); err == nil {
		t.Error("a list with a bad entry is accepted")
	}
}
