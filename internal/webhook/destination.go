package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
)

// ErrPrivateDestination is a webhook address refused because it is not on
// the public internet. A URL that resolves to the server's own loopback, a
// link-local address (the cloud's metadata service at 169.254.169.254) or a
// private network would let whoever registers webhooks make Coffer send
// requests into the network it runs in (server-side request forgery). An
// operator whose receivers do live there allows them (AllowPrivate; the
// COFFER_ALLOW_PRIVATE_WEBHOOKS setting of coffer serve).
var ErrPrivateDestination = errors.New("webhook: the address is not a public one")

// privateAddr reports whether ip is loopback, link-local, private (RFC 1918,
// IPv6 unique local), unspecified, multicast or otherwise not a public
// unicast address.
func privateAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	return !ip.IsGlobalUnicast() || ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(ip) // carrier-grade NAT, private in practice
}

// CheckDestination resolves a webhook URL's host and refuses it when any of
// its addresses is not public, unless allowPrivate. It gives the operator
// registering a webhook a clear answer at once; the worker checks again at
// every connection (the name may resolve elsewhere later). A name that does
// not resolve yet is let through: its DNS may be set up after the webhook,
// and the worker's check stands at every attempt.
func CheckDestination(ctx context.Context, rawURL string, allowPrivate bool) error {
	if allowPrivate {
		return nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", u.Hostname())
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if privateAddr(a) {
			return fmt.Errorf("%w: %s is %s", ErrPrivateDestination, u.Hostname(), a)
		}
	}
	return nil
}

// guardedDial dials only public addresses, unless allowPrivate. The check
// runs on the address actually dialed, after the name was resolved, so a
// name that resolves to a public address when registered and to a private
// one later is still refused. A proxy from the environment is the
// operator's own choice and is dialed as it is; the target behind it is
// checked by name before the request (send).
func guardedDial(timeout time.Duration, allowPrivate bool) func(ctx context.Context, network, addr string) (net.Conn, error) {
	plain := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if allowPrivate {
		return plain.DialContext
	}
	guarded := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || privateAddr(ap.Addr()) {
				return fmt.Errorf("%w: %s", ErrPrivateDestination, address)
			}
			return nil
		}}
	proxies := map[string]bool{}
	for _, scheme := range []string{"http", "https"} {
		probe := &http.Request{URL: &url.URL{Scheme: scheme, Host: "receiver.example"}}
		if u, err := http.ProxyFromEnvironment(probe); err == nil && u != nil {
			proxies[u.Host] = true
			proxies[net.JoinHostPort(u.Hostname(), defaultPort(u))] = true
		}
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if proxies[addr] {
			return plain.DialContext(ctx, network, addr)
		}
		return guarded.DialContext(ctx, network, addr)
	}
}

func defaultPort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

// viaProxy reports whether the client sends req through a proxy.
func viaProxy(client *http.Client, req *http.Request) bool {
	t, ok := client.Transport.(*http.Transport)
	if !ok || t.Proxy == nil {
		return false
	}
	p, err := t.Proxy(req)
	return err == nil && p != nil
}

// CheckRegistration is CheckDestination for a webhook being registered, its
// refusal as a validation problem of the url field, which both the API and
// the console show beside the field.
func CheckRegistration(ctx context.Context, rawURL string, allowPrivate bool) error {
	err := CheckDestination(ctx, rawURL, allowPrivate)
	if errors.Is(err, ErrPrivateDestination) {
		return ledger.InvalidBecause("url", "private_address", err.Error()+
			"; webhooks go to public addresses unless the server is started with --allow-private-webhooks")
	}
	return err
}
