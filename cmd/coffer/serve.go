package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"coffer/internal/audit"
	"coffer/internal/auth"
	"coffer/internal/retention"
	"coffer/internal/server"
	"coffer/internal/store"
	"coffer/internal/webhook"
)

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", envOr("COFFER_ADDR", "127.0.0.1:8080"), "address to listen on (env COFFER_ADDR)")
	dsn := fs.String("db", envOr("COFFER_DB", "coffer.db"), "SQLite file, or postgres://… URL (env COFFER_DB)")
	archives := fs.String("archive-dir", envOr("COFFER_ARCHIVE_DIR", ""), "directory for retention's archive files (env COFFER_ARCHIVE_DIR; default: archives next to the SQLite file, or in the working directory)")
	hooksPrivate := fs.Bool("webhooks-allow-private", envOr("COFFER_WEBHOOKS_ALLOW_PRIVATE", "") == "1",
		"let webhooks reach loopback, link-local and private addresses (env COFFER_WEBHOOKS_ALLOW_PRIVATE=1); off, they are refused")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	st, err := store.Open(ctx, *dsn, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	log.Info("database ready", "dialect", st.Dialect(), "db", redactDSN(*dsn))
	dir, err := archiveDir(*archives, *dsn)
	if err != nil {
		return err
	}
	arch := retention.New(st, dir)
	if err := firstAdmin(ctx, st, log); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := server.HTTPServer(*addr, server.New(st, log, server.Options{Archiver: arch, WebhooksAllowPrivate: *hooksPrivate}), log)
	stopBackground := startBackground(st, arch, log, webhook.Options{AllowPrivate: *hooksPrivate})
	defer stopBackground()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("coffer is serving", "addr", ln.Addr().String())

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// startBackground starts the work every instance does beside answering
// requests, and returns the function that stops it, to be called before the
// store closes:
//   - sealing operation records into the hash chain, every second;
//   - retention, a minute after start, then daily (docs/retention.md): on
//     shutdown a run under way stops before its commit, removing its file,
//     or finishes the commit;
//   - webhook deliveries: on shutdown the worker finishes the attempts
//     under way (at most its HTTP timeout).
func startBackground(st *store.Store, arch *retention.Archiver, log *slog.Logger, hooks webhook.Options) (stop func()) {
	var stops []func()
	start := func(run func(ctx context.Context)) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); run(ctx) }()
		stops = append(stops, func() { cancel(); <-done })
	}
	start(func(ctx context.Context) { audit.SealEvery(ctx, st, time.Second, log) })
	start(func(ctx context.Context) { arch.Loop(ctx, log, retention.Schedule{}) })
	start(func(ctx context.Context) { webhook.New(st, log, hooks).Run(ctx) })
	// In reverse order: deliveries, then retention, and the sealer last,
	// once nothing else writes operation records.
	return func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
}

// firstAdmin creates the first super admin from COFFER_ADMIN_USER and
// COFFER_ADMIN_PASSWORD when the database has none, or says how to.
func firstAdmin(ctx context.Context, st *store.Store, log *slog.Logger) error {
	n, err := st.CountAdmins(ctx)
	if err != nil || n > 0 {
		return err
	}
	user, pass := os.Getenv("COFFER_ADMIN_USER"), os.Getenv("COFFER_ADMIN_PASSWORD")
	if user == "" || pass == "" {
		log.Warn("no administrator exists yet: restart with COFFER_ADMIN_USER and COFFER_ADMIN_PASSWORD set to create the first super admin")
		return nil
	}
	if err := auth.ValidatePassword(pass); err != nil {
		return fmt.Errorf("COFFER_ADMIN_PASSWORD %v", err)
	}
	hash, err := auth.HashPassword(pass)
	if err != nil {
		return err
	}
	created, err := st.CreateFirstAdmin(ctx, user, hash)
	if err != nil {
		return err
	}
	if created {
		log.Info("created the first super admin", "username", user)
	}
	return nil
}

// redactDSN is a database address fit for logs: url.URL.Redacted hides
// the password of a PostgreSQL URL, and a password given as a query
// parameter is hidden too. An SQLite path is shown as it is; a URL that does
// not parse is shown by its scheme only, since its password cannot be found.
func redactDSN(dsn string) string {
	i := strings.Index(dsn, "://")
	if i < 0 {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn[:i+3] + "…"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
