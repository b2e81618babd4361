package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"time"

	"github.com/cofferhq/coffer/internal/clientaddr"
)

// RequestIDHeader carries a request's id: taken from the client (or a proxy
// in front) when it sends a usable one, made here otherwise, and answered
// in every response, so that a request can be followed from the client
// through the proxy to this server's log.
const RequestIDHeader = "X-Request-ID"

type requestIDKey struct{}

// RequestID is the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// requestID is the client's id when it is 1 to 128 characters of letters,
// digits and -_.:, else a new random one: an id goes into logs, and a
// client's line breaks or huge values must not.
func requestID(r *http.Request) string {
	if id := r.Header.Get(RequestIDHeader); len(id) > 0 && len(id) <= 128 {
		ok := true
		for _, c := range id {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
				ok = false
				break
			}
		}
		if ok {
			return id
		}
	}
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// recorder notes an answer's status and size for the access log. It keeps
// the writer's Flush (CSV exports stream) and unwraps for
// http.ResponseController.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (rec *recorder) WriteHeader(code int) {
	if rec.status == 0 {
		rec.status = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	n, err := rec.ResponseWriter.Write(b)
	rec.bytes += int64(n)
	return n, err
}

func (rec *recorder) Flush() {
	if f, ok := rec.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// logAccess writes the access log line of one answered request.
// Its request_id comes from the context, as on every line LogHandler
// writes.
func (s *Server) logAccess(r *http.Request, rec *recorder, start time.Time) {
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	s.log.LogAttrs(r.Context(), level, "request", slog.String("method", r.Method),
		slog.String("path", r.URL.Path), slog.Int("status", status), slog.Int64("bytes", rec.bytes),
		slog.Duration("duration", time.Since(start)), slog.String("remote", clientaddr.Of(r).Addr))
}
