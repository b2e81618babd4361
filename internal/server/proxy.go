package server

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"github.com/cofferhq/coffer/internal/clientaddr"
)

// Proxies are the addresses of reverse proxies whose X-Forwarded-For and
// X-Forwarded-Proto headers Coffer believes. From any other peer those
// headers are ignored: anyone can send them, and the login rate limit and
// the operation records must not take a forged address.
type Proxies []netip.Prefix

// ParseProxies reads a comma-separated list of IP addresses and CIDR
// prefixes ("10.0.0.0/8, 127.0.0.1, ::1"); an empty list trusts no one.
func ParseProxies(list string) (Proxies, error) {
	var ps Proxies
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			ps = append(ps, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an IP address nor a CIDR prefix", f)
		}
		a = a.Unmap()
		ps = append(ps, netip.PrefixFrom(a, a.BitLen()))
	}
	return ps, nil
}

func (ps Proxies) trusts(addr string) bool {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	a = a.Unmap().WithZone("")
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Client works out the client of r. The TCP peer is the client unless it
// is a trusted proxy; then X-Forwarded-For is read from its right end, the
// hop that proxy saw, leftwards past further trusted proxies, to the first
// address not trusted: entries left of it could be forged by the client.
// A malformed entry ends the walk at the last good hop.
func (ps Proxies) Client(r *http.Request) clientaddr.Client {
	peer := clientaddr.Host(r.RemoteAddr)
	c := clientaddr.Client{Addr: peer, HTTPS: r.TLS != nil}
	if len(ps) == 0 || !ps.trusts(peer) {
		return c
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		h := strings.TrimSpace(hops[i])
		if h == "" && len(hops) == 1 {
			break // no header at all
		}
		a, err := netip.ParseAddr(clientaddr.Host(h))
		if err != nil {
			break
		}
		c.Addr = a.Unmap().String()
		if !ps.trusts(c.Addr) {
			break
		}
	}
	// The nearest proxy's word on the scheme is the last one.
	if protos := strings.Split(strings.Join(r.Header.Values("X-Forwarded-Proto"), ","), ","); len(protos) > 0 {
		if p := strings.ToLower(strings.TrimSpace(protos[len(protos)-1])); p != "" {
			c.HTTPS = c.HTTPS || p == "https"
		}
	}
	return c
}
