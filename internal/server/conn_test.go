package server_test

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/server"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// TestBodyReadErrorClosesTheConnection sends a request whose body never
// arrives whole, then a second request on the same connection. The second
// must never be answered: after a body that could not be read, the bytes
// that follow are the body's, and reading them as a request would let a
// client behind a streaming proxy smuggle one past it.
func TestBodyReadErrorClosesTheConnection(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			st := testdb.Open(t, d, store.Options{})
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			timeout := 300 * time.Millisecond
			srv := server.HTTPServerWith("", server.New(st, log, server.Options{}), log, server.Timeouts{ReadHeader: timeout, Read: timeout})
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go srv.Serve(ln)
			t.Cleanup(func() { srv.Close() })
			const next = "GET /healthz HTTP/1.1\r\nHost: coffer\r\n\r\n"
			for _, c := range []struct {
				name, first string
				wait        time.Duration
			}{
				{"api body times out", "POST /api/v1/customers HTTP/1.1\r\nHost: coffer\r\nContent-Type: application/json\r\n" +
					"Content-Length: 100\r\n\r\n{\"name\":", 2 * timeout},
				{"web form body times out", "POST /login HTTP/1.1\r\nHost: coffer\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
					"Content-Length: 100\r\n\r\ncsrf=", 2 * timeout},
				{"unread body times out", "POST /healthz HTTP/1.1\r\nHost: coffer\r\nContent-Length: 100\r\n\r\nabc", 2 * timeout},
				{"api chunked body is broken", "POST /api/v1/customers HTTP/1.1\r\nHost: coffer\r\nContent-Type: application/json\r\n" +
					"Transfer-Encoding: chunked\r\n\r\n3\r\n{\"n\r\nzz\r\n", timeout / 3},
			} {
				t.Run(c.name, func(t *testing.T) {
					answers, closed := exchange(t, ln.Addr().String(), c.first, c.wait, next)
					if strings.Count(answers, "HTTP/1.1 ") > 1 || strings.Contains(answers, "\r\n\r\nok\n") {
						t.Errorf("the bytes after the unread body were answered as a request:\n%s", answers)
					}
					if !closed {
						t.Error("the connection stayed open after the body could not be read")
					}
				})
			}
			// The check above must be able to see a second answer: two
			// whole requests on one connection get two.
			answers, _ := exchange(t, ln.Addr().String(), "POST /healthz HTTP/1.1\r\nHost: coffer\r\nContent-Length: 3\r\n\r\nabc", 0, next)
			if strings.Count(answers, "HTTP/1.1 ") != 2 {
				t.Errorf("a kept-alive connection did not answer two whole requests:\n%s", answers)
			}
		})
	}
}

// exchange writes first, waits, writes second on the same connection and
// reads what comes back; closed tells whether the server closed it.
func exchange(t *testing.T, addr, first string, wait time.Duration, second string) (answers string, closed bool) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, first); err != nil {
		t.Fatal(err)
	}
	time.Sleep(wait)
	io.WriteString(conn, second) // the server may have closed the connection already
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	b, err := io.ReadAll(conn)
	return string(b), !errors.Is(err, os.ErrDeadlineExceeded)
}
