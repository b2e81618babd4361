// Package server is Coffer's HTTP side: it puts the health endpoints, the
// metrics and the API v1 on one handler, with the timeouts every listener
// needs.
package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cofferhq/coffer/internal/api"
	"github.com/cofferhq/coffer/internal/clientaddr"
	"github.com/cofferhq/coffer/internal/notify"
	"github.com/cofferhq/coffer/internal/retention"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/web"
)

// Server holds what the handlers need.
type Server struct {
	store   *store.Store
	log     *slog.Logger
	mux     *routes
	proxies Proxies
	API     *api.API
	// guarded is the mux behind the API's JSON checks.
	guarded http.Handler
	metrics *metrics
}

// routes is a ServeMux that remembers its patterns, so that a test can hold
// the OpenAPI document against what is really served.
type routes struct {
	*http.ServeMux
	patterns []string
	metrics  *metrics
}

func (m *routes) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(h))
}

func (m *routes) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, m.metrics.counted(pattern, h))
}

// Routes lists every pattern the server serves, e.g. "GET /api/v1/me".
func (s *Server) Routes() []string { return append([]string(nil), s.mux.patterns...) }

// Options tune the server; the zero value is right for production.
type Options struct {
	Now func() time.Time // the clock, for tests
	// Archiver runs retention and serves the archive files (default: one
	// with no archive directory, whose runs and downloads are
	// archives_unavailable).
	Archiver *retention.Archiver
	// WebhooksAllowPrivate lets webhooks be registered for private
	// addresses (see webhook.ErrPrivateDestination).
	WebhooksAllowPrivate bool
	// TrustedProxies may say who the client is (X-Forwarded-For) and
	// whether it used HTTPS (X-Forwarded-Proto); see Proxies.Client.
	TrustedProxies Proxies
	// BaseURL is the address clients reach Coffer at (--base-url), for
	// links that leave the site; https makes session cookies Secure.
	BaseURL *url.URL
	// Build names the running build in coffer_build_info.
	Build Build
}

// New returns the HTTP handler of a Coffer instance.
func New(st *store.Store, log *slog.Logger, opt Options) *Server {
	log = slog.New(LogHandler(log.Handler()))
	reg, m := newRegistry(st, log, opt.Build)
	s := &Server{store: st, log: log, mux: &routes{ServeMux: http.NewServeMux(), metrics: m}, proxies: opt.TrustedProxies, metrics: m}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if opt.Archiver == nil {
		opt.Archiver = retention.New(st, "")
	}
	s.API = api.New(st, log, s.mux, api.Options{Now: opt.Now, Metrics: api.NewMetrics(reg), Archiver: opt.Archiver,
		WebhooksAllowPrivate: opt.WebhooksAllowPrivate, BaseURL: opt.BaseURL, TestMail: notify.TestMail(st)})
	web.New(st, opt.Archiver, log, opt.Now, s.mux, opt.WebhooksAllowPrivate).WithBaseURL(opt.BaseURL).Register(s.mux)
	s.guarded = api.GuardJSON(s.mux)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := requestID(r)
	ctx := context.WithValue(r.Context(), requestIDKey{}, id)
	r = r.WithContext(clientaddr.With(ctx, s.proxies.Client(r)))
	w.Header().Set(RequestIDHeader, id)
	rec := &recorder{ResponseWriter: w}
	w = rec
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				s.logAccess(r, rec, start)
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "handler panic", "method", r.Method, "path", r.URL.Path, "panic", v)
			http.Error(w, "internal server error", http.StatusInternalServerError)
		}
		s.logAccess(r, rec, start)
	}()
	// Safe defaults for every answer; the web UI's pages and the voucher
	// images set their own policy on top.
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	// No request body needs more than a voucher image and its envelope,
	// but for the import page's file (web.UploadLimit).
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, web.UploadLimit(r))
	}
	// Accept: text/csv on a list exports every page of it as CSV; a
	// statement writes its own.
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/v1/") && api.WantsCSV(r) && !api.OwnCSV(r.URL.Path) {
		api.ExportCSV(w, r, s.mux)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		s.guarded.ServeHTTP(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// healthz answers as soon as the process serves HTTP.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// readyz answers 200 only while the database answers a query.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.store.Ping(ctx); err != nil {
		s.log.WarnContext(r.Context(), "readiness check failed", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("database unavailable\n"))
		return
	}
	w.Write([]byte("ok\n"))
}

// Timeouts bound how long one connection may take over each part of its
// life; a zero field takes the production value.
type Timeouts struct {
	ReadHeader time.Duration // the request line and headers
	Read       time.Duration // the whole request, body included
	Write      time.Duration // the answer
	Idle       time.Duration // between requests on a kept-alive connection
}

func (t Timeouts) orDefault() Timeouts {
	or := func(v, d time.Duration) time.Duration {
		if v == 0 {
			return d
		}
		return v
	}
	return Timeouts{ReadHeader: or(t.ReadHeader, 5*time.Second), Read: or(t.Read, 30*time.Second),
		Write: or(t.Write, 5*time.Minute), // long enough for a large CSV export
		Idle:  or(t.Idle, 120*time.Second)}
}

// HTTPServer wraps h with the timeouts and limits every listener needs, so
// that a slow or hostile client cannot hold a connection forever.
func HTTPServer(addr string, h http.Handler, log *slog.Logger) *http.Server {
	return HTTPServerWith(addr, h, log, Timeouts{})
}

// HTTPServerWith is HTTPServer with other timeouts, for tests.
func HTTPServerWith(addr string, h http.Handler, log *slog.Logger, t Timeouts) *http.Server {
	t = t.orDefault()
	return &http.Server{
		Addr:              addr,
		Handler:           closeOnBodyError(h),
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// closeOnBodyError closes the connection after the answer to a request
// whose body could not be read to its end (a read timeout, broken chunked
// encoding, a client gone): whatever is still on the wire is the rest of
// that body, and reading it as the next request would let a client behind
// a streaming proxy smuggle one in.
//
// net/http closes such connections itself, but it judges by the request's
// Body as it finds it after the handler: once a handler has read and closed
// the body and put another in its place (the API's JSON guard does, and
// Server puts a size limit around it), a body closed after an error looks
// finished. So handlers get a copy of the request, leaving net/http's own
// Body where it looks, and their body reports its errors as well.
func closeOnBodyError(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			h.ServeHTTP(w, r)
			return
		}
		inner := r.WithContext(r.Context())
		inner.Body = &bodyGuard{ReadCloser: r.Body, header: w.Header()}
		h.ServeHTTP(w, inner)
	})
}

// bodyGuard asks for "Connection: close" on the first error other than the
// body's end. Handlers answer after the read fails, so the header is still
// theirs to change; net/http closes the connection after such an answer.
type bodyGuard struct {
	io.ReadCloser
	header http.Header
}

func (b *bodyGuard) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		b.header.Set("Connection", "close")
	}
	return n, err
}

// Close reports the errors of net/http's own early close, which reads what
// is left of a small body to keep the connection.
func (b *bodyGuard) Close() error {
	err := b.ReadCloser.Close()
	if err != nil {
		b.header.Set("Connection", "close")
	}
	return err
}
