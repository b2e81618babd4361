// Package clientaddr carries, in a request's context, who the client is:
// its address and whether it reached Coffer over HTTPS. The server works
// them out once per request (server.Proxies, which trusts X-Forwarded-For
// and X-Forwarded-Proto from configured proxies only); everything that
// records or limits by address reads them here, so all agree.
package clientaddr

import (
	"context"
	"net"
	"net/http"
)

// Client is the far end of a request as Coffer sees it.
type Client struct {
	Addr  string // an IP address, without port
	HTTPS bool   // the client's connection is TLS (here or at a trusted proxy)
}

type key struct{}

// With returns ctx carrying c.
func With(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, key{}, c)
}

// Of is the client of r: what the server put in its context, or else
// (a handler served without the server in front, as in some tests) the
// TCP peer and the request's own TLS state.
func Of(r *http.Request) Client {
	if c, ok := r.Context().Value(key{}).(Client); ok {
		return c
	}
	return Client{Addr: Host(r.RemoteAddr), HTTPS: r.TLS != nil}
}

// Host is the host part of a host:port address, or addr itself.
func Host(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}
