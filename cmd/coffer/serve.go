package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/cofferhq/coffer/internal/audit"
	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/expiry"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/notify"
	"github.com/cofferhq/coffer/internal/retention"
	"github.com/cofferhq/coffer/internal/server"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/webhook"
)

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var c serveConfig
	configFile := serveFlags(fs, &c)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	if err := settings(fs, *configFile); err != nil {
		return err
	}
	log := slog.New(server.LogHandler(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: c.level})))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	st, err := store.Open(ctx, c.dsn, store.Options{MaxConns: c.maxConns})
	if err != nil {
		return err
	}
	defer st.Close()
	log.Info("database ready", "dialect", st.Dialect(), "db", redactDSN(c.dsn))
	dir, err := archiveDir(c.archives, c.dsn)
	if err != nil {
		return err
	}
	arch := retention.New(st, dir)
	created, err := createFirstAdmin(ctx, st, log)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	if c.pprof != "" {
		if err := serveProfiles(c.pprof, log); err != nil {
			return err
		}
	}
	handler := server.New(st, log, server.Options{Archiver: arch, WebhooksAllowPrivate: c.hooksPrivate,
		TrustedProxies: c.proxies, BaseURL: c.baseURL, Build: build()})
	srv := server.HTTPServer(c.addr, handler, log)
	stopBackground := startBackground(st, arch, log, webhook.Options{AllowPrivate: c.hooksPrivate, Attempted: handler.ObserveWebhook},
		notify.Options{Sent: handler.ObserveMail, BaseURL: baseURLString(c.baseURL)})
	defer stopBackground()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("coffer is serving", "addr", ln.Addr().String())
	if err := greet(ctx, os.Stdout, st, ln.Addr(), created, args); err != nil {
		return err
	}

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
//     under way (at most its HTTP timeout);
//   - marking the holds that ran out, every second (internal/expiry);
//   - customer mail, and the monthly statements (internal/notify): on
//     shutdown the worker finishes the messages under way.
func startBackground(st *store.Store, arch *retention.Archiver, log *slog.Logger, hooks webhook.Options, mail notify.Options) (stop func()) {
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
	start(func(ctx context.Context) { expiry.Every(ctx, st, time.Second, log) })
	start(func(ctx context.Context) { notify.New(st, log, mail).Run(ctx) })
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
	_, err := createFirstAdmin(ctx, st, log)
	return err
}

// createFirstAdmin is firstAdmin that also returns the username it
// created, if it did, for the greeting on a terminal.
func createFirstAdmin(ctx context.Context, st *store.Store, log *slog.Logger) (string, error) {
	n, err := st.CountAdmins(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	user, pass := os.Getenv("COFFER_ADMIN_USER"), os.Getenv("COFFER_ADMIN_PASSWORD")
	if user == "" || pass == "" {
		log.Warn("no administrator exists yet: restart with COFFER_ADMIN_USER and COFFER_ADMIN_PASSWORD set to create the first super admin")
		return "", nil
	}
	if err := auth.ValidatePassword(pass); err != nil {
		return "", fmt.Errorf("COFFER_ADMIN_PASSWORD %v", err)
	}
	hash, err := auth.HashPassword(pass)
	if err != nil {
		return "", err
	}
	created, err := st.CreateFirstAdmin(ctx, user, hash)
	if err != nil || !created {
		return "", err
	}
	log.Info("created the first super admin", "username", user)
	return user, nil
}

// greet tells the person at the terminal, if out is one, in plain words
// beside the JSON log, where the web UI is and who can log in. It names
// administrators but never prints a password: the only one it could know
// is the one the person just put in COFFER_ADMIN_PASSWORD themselves.
func greet(ctx context.Context, out *os.File, st *store.Store, addr net.Addr, created string, args []string) error {
	if !isTerminal(out) {
		return nil
	}
	w := bufio.NewWriter(out) // one write: not cut by log lines of the background work
	defer w.Flush()
	admins, err := st.Admins(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nCoffer is running: open %s in your browser.\n", consoleURL(addr.String()))
	var active []string
	for _, a := range admins {
		if !a.Disabled {
			active = append(active, fmt.Sprintf("%s (%s)", a.Username, a.Role))
		}
	}
	switch {
	case created != "":
		fmt.Fprintf(w, "Log in as %s (%s), with the password you set in COFFER_ADMIN_PASSWORD.\n", created, ledger.RoleSuperAdmin)
	case len(active) == 0:
		again := strings.Join(append([]string{selfCommand(), "serve"}, quoteAll(args)...), " ")
		fmt.Fprintf(w, "No administrator can log in yet. Stop Coffer (Ctrl-C) and start it again with the first super admin, for example:\n  COFFER_ADMIN_USER=admin COFFER_ADMIN_PASSWORD='a long password of yours' %s\n", again)
		if strings.Contains(again, "xxxxx@") || strings.Contains(again, "password=xxxxx") {
			fmt.Fprintln(w, "(with your database password in place of xxxxx)")
		}
		fmt.Fprintln(w)
		return nil
	default:
		const shown = 7
		more := ""
		if len(active) > shown {
			more = fmt.Sprintf(" and %d more", len(active)-shown)
			active = active[:shown]
		}
		fmt.Fprintf(w, "Log in as one of this database's administrators, with their password: %s%s.\n", strings.Join(active, ", "), more)
	}
	fmt.Fprintln(w, "Stop it with Ctrl-C.")
	fmt.Fprintln(w)
	return nil
}

// consoleURL is the address to open in a browser for a listening address
// host:port. A wildcard host (":8080", "0.0.0.0", "[::]") listens on every
// interface; the browser on this machine reaches it as localhost.
func consoleURL(hostport string) string {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return "http://" + hostport + "/"
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// isTerminal tells whether f is a terminal. Without golang.org/x/term the
// file's mode says it: a terminal is a character device, and so is
// /dev/null, which output thrown away goes to and nobody reads.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(fi, null)
}

// selfCommand is how the person who started this process runs coffer
// again from the same directory: `go run` of this package again if that is
// how it was started, else the name or path they called it by, which a
// shell finds the same way again.
func selfCommand() string {
	if exe, err := os.Executable(); err == nil && builtByGoRun(exe) {
		return "go run " + packageDir()
	}
	return shellQuote(os.Args[0])
}

// builtByGoRun tells whether the executable at path is one that `go run`
// made: a file in the build's temporary directory
// (…/go-build123/b001/exe/coffer) or, since Go 1.24, in the build cache
// (GOCACHE, by default …/go-build/ab/…-d/coffer). A binary someone built
// and installed lives in neither.
func builtByGoRun(path string) bool {
	for _, dir := range strings.Split(filepath.ToSlash(filepath.Dir(path)), "/") {
		if strings.HasPrefix(dir, "go-build") {
			return true
		}
	}
	cache := os.Getenv("GOCACHE")
	if cache == "" {
		return false
	}
	rel, err := filepath.Rel(cache, path)
	return err == nil && !strings.HasPrefix(rel, "..")
}

// packageDir is the path of cmd/coffer from the working directory, as
// `go run` takes it ("./cmd/coffer" at the top of the checkout), found by
// looking upwards for the go.mod of module coffer.
func packageDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return "./cmd/coffer"
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if mod, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(mod), "module coffer\n") {
			rel, err := filepath.Rel(wd, filepath.Join(dir, "cmd", "coffer"))
			if err != nil {
				break
			}
			if rel == "." || strings.HasPrefix(rel, "..") {
				return shellQuote(rel)
			}
			return shellQuote("./" + rel)
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	return "./cmd/coffer"
}

// shellQuote is s as one word of a POSIX shell command: as it is when it
// holds nothing the shell would read specially, else in single quotes.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// quoteAll is args as words of a shell command, with the password of a
// database URL among them hidden (redactDSN): they are shown on a screen.
func quoteAll(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = shellQuote(redactDSN(a))
	}
	return out
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

// levelOr reads a log level name for a flag's default; a bad one in the
// environment is refused by the flag when parsed, so it falls back here.
func levelOr(name string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(name)); err != nil {
		return slog.LevelInfo
	}
	return l
}

// baseURLString is --base-url as text, "" when it is not given.
func baseURLString(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.String()
}

// serveProfiles serves net/http/pprof's handlers on a loopback address of
// their own, apart from the API's: profiles show the program's insides and
// cost CPU, so they are for someone measuring on the machine itself.
func serveProfiles(addr string, log *slog.Logger) error {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--pprof %q: want a loopback address with a port, e.g. 127.0.0.1:6060", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	log.Info("serving profiles", "addr", ln.Addr().String())
	return nil
}
