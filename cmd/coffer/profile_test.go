package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/audit"
	"github.com/cofferhq/coffer/internal/server"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/webhook"
)

// TestProfileServer is not a test but a harness for profiling: it serves
// Coffer as `coffer serve` does, plus net/http/pprof on a second, loopback
// listener, so that a load (coffer bench) can be profiled without pprof on
// the real server. It runs only when asked and until SIGINT or SIGTERM:
//
//	COFFER_PROFILE_DB=/tmp/bench.db COFFER_PROFILE_ADDR=127.0.0.1:8080 COFFER_PROFILE_PPROF=127.0.0.1:6060 \
//	COFFER_ADMIN_USER=root COFFER_ADMIN_PASSWORD='…' go test ./cmd/coffer -run TestProfileServer -timeout 0
//	go tool pprof -top 'http://127.0.0.1:6060/debug/pprof/profile?seconds=10'
func TestProfileServer(t *testing.T) {
	dsn, addr, pprofAddr := os.Getenv("COFFER_PROFILE_DB"), os.Getenv("COFFER_PROFILE_ADDR"), os.Getenv("COFFER_PROFILE_PPROF")
	if dsn == "" || addr == "" || pprofAddr == "" {
		t.Skip("a profiling harness: set COFFER_PROFILE_DB, COFFER_PROFILE_ADDR and COFFER_PROFILE_PPROF to run it")
	}
	if host, _, err := net.SplitHostPort(pprofAddr); err != nil || !net.ParseIP(host).IsLoopback() {
		t.Fatalf("COFFER_PROFILE_PPROF must be a loopback address, not %q", pprofAddr)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var opt store.Options
	if n, err := strconv.Atoi(os.Getenv("COFFER_PROFILE_MAXCONNS")); err == nil {
		opt.MaxConns = n // to try other PostgreSQL pool sizes than serve's
	}
	st, err := store.Open(ctx, dsn, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := firstAdmin(ctx, st, log); err != nil {
		t.Fatal(err)
	}
	pm := http.NewServeMux()
	pm.HandleFunc("/debug/pprof/", pprof.Index)
	pm.HandleFunc("/debug/pprof/profile", pprof.Profile)
	go http.ListenAndServe(pprofAddr, pm)

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := server.HTTPServer(addr, server.New(st, log, server.Options{}), log)
	bg, cancel := context.WithCancel(context.Background())
	defer cancel()
	go audit.SealEvery(bg, st, time.Second, log)
	go webhook.New(st, log, webhook.Options{AllowPrivate: true}).Run(bg)
	go func() { <-ctx.Done(); srv.Close() }()
	t.Logf("serving on %s, pprof on %s", addr, pprofAddr)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		t.Fatal(err)
	}
}
