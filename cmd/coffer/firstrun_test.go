package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/store"
)

// demoOutput is what a newcomer reads at the end of `coffer demo`.
type demoOutput struct {
	command, url, user, password string
}

// readDemoOutput finds, in the demo's output, the command it says to run
// next, the URL to open, the first administrator and the password.
func readDemoOutput(t *testing.T, out string) demoOutput {
	t.Helper()
	var d demoOutput
	if m := regexp.MustCompile(`(?m)^Next, start Coffer on this database, from this directory:\n  (.+)\n`).FindStringSubmatch(out); m != nil {
		d.command = m[1]
	}
	if m := regexp.MustCompile(`(?m)^and open (http://\S+) in your browser\.$`).FindStringSubmatch(out); m != nil {
		d.url = m[1]
	}
	if m := regexp.MustCompile(`(?m)^Log in as any of these administrators, with the password (\S+)\n  (\S+) `).FindStringSubmatch(out); m != nil {
		d.password, d.user = m[1], m[2]
	}
	if d.command == "" || d.url == "" || d.user == "" {
		t.Fatalf("the demo does not say what to run next, where to open it and who to log in as:\n%s", out)
	}
	return d
}

// runPrinted runs a command line as the newcomer would paste it into a
// shell, in dir, in its own process group so that all of it (go run and
// the binary it starts) is stopped at the end; it waits for /healthz at url.
func runPrinted(t *testing.T, dir, line, url string, env ...string) *syncBuffer {
	t.Helper()
	cmd := exec.Command("sh", "-c", line)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	logs := &syncBuffer{mu: make(chan struct{}, 1)}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM); cmd.Wait() })
	deadline := time.Now().Add(90 * time.Second) // go run may have to link first
	for {
		if resp, err := http.Get(url + "healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return logs
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer at %s:\n%s", line, url, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// logIn logs in through the API and reports whether it worked.
func logIn(t *testing.T, url, user, password string) bool {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": user, "password": password})
	resp, err := http.Post(url+"api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == 200
}

// TestDemoThenServe follows the README: the demo's last lines say what to
// run next and who to log in as, and that command, pasted into a shell in
// the same directory, serves the demo's database, where that login works.
// Once with the built binary, once with `go run ./cmd/coffer` from the top
// of the checkout, as the README has it.
func TestDemoThenServe(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, dir string
		coffer    []string
		want      string // the command the demo should print
	}{
		{"binary", t.TempDir(), []string{binary}, binary + " serve --db demo.db"},
		{"go run", root, []string{"go", "run", "./cmd/coffer"}, "go run ./cmd/coffer serve --db "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := "demo.db"
			if tc.dir == root {
				db = filepath.Join(t.TempDir(), "demo.db") // not in the checkout
				tc.want += db
			}
			addr := "COFFER_ADDR=" + freeAddr(t)
			args := append(tc.coffer[1:], "demo", "--db", db, "--customers", "8", "--days", "3")
			cmd := exec.Command(tc.coffer[0], args...)
			cmd.Dir, cmd.Env = tc.dir, append(os.Environ(), addr)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("coffer demo: %v\n%s", err, out)
			}
			d := readDemoOutput(t, string(out))
			if d.command != tc.want || d.url != "http://"+strings.TrimPrefix(addr, "COFFER_ADDR=")+"/" {
				t.Errorf("the demo says to run %q and open %q; want %q on %s", d.command, d.url, tc.want, addr)
			}
			logs := runPrinted(t, tc.dir, "exec "+d.command, d.url, addr)
			if !logIn(t, d.url, d.user, d.password) {
				t.Errorf("logging in as %s with %q failed on what %q serves:\n%s", d.user, d.password, d.command, logs.String())
			}
			if strings.Contains(logs.String(), "no administrator exists yet") {
				t.Errorf("%q serves another database than the demo's:\n%s", d.command, logs.String())
			}
			// Running the demo again, on the database it made, says how
			// to look at that one instead.
			cmd = exec.Command(tc.coffer[0], args...)
			cmd.Dir = tc.dir
			again, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(again), "To look at it: "+d.command+" ") {
				t.Errorf("a second demo on %s: %v\n%s", db, err, again)
			}
		})
	}
}

// TestDemoIsUpToNow: after `coffer demo`, today (in the business time
// zone) has charges and top-ups, and nothing is later than the moment the
// demo finished.
func TestDemoIsUpToNow(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	began := time.Now() // the demo's now: today is the day it began
	if out, err := exec.Command(binary, "demo", "--db", db, "--customers", "150", "--days", "5").CombinedOutput(); err != nil {
		t.Fatalf("coffer demo: %v\n%s", err, out)
	}
	now := time.Now()
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	settings, err := st.Settings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	at := began.In(settings.Location())
	today := store.StartOfDay(at.Year(), at.Month(), at.Day(), settings.Location())
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := st.DB().QueryRow(q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, typ := range []string{"charge", "topup"} {
		if n := count("SELECT COUNT(*) FROM transactions WHERE type = $1 AND created_at >= $2", typ, today.UnixMicro()); n == 0 {
			t.Errorf("no %s since %s, the start of today", typ, today)
		}
	}
	if n := count("SELECT COUNT(*) FROM transactions WHERE created_at > $1", now.UnixMicro()); n != 0 {
		t.Errorf("%d transactions after now", n)
	}
	if n := count("SELECT COUNT(*) FROM topups WHERE created_at > $1 OR reviewed_at > $1", now.UnixMicro()); n != 0 {
		t.Errorf("%d top-up requests made or reviewed after now", n)
	}
}

// underTerminal runs `coffer serve args…` with its output on a
// pseudo-terminal, by util-linux's script(1), until it has said it is
// running or has stopped; it returns what the terminal showed.
func underTerminal(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("no script(1) to give coffer serve a terminal (Debian: util-linux)")
	}
	addr := freeAddr(t)
	line := strings.Join(append([]string{shellQuote(binary), "serve"}, quoteAll(args)...), " ")
	cmd := exec.Command(script, "-qec", line, "/dev/null")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append(env, "COFFER_ADDR="+addr)...)
	out := &syncBuffer{mu: make(chan struct{}, 1)}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(30 * time.Second)
	for !strings.Contains(out.String(), `"msg":"coffer is serving"`) || !strings.Contains(out.String(), "Stop ") {
		select {
		case <-done:
			t.Fatalf("coffer serve stopped:\n%s", out.String())
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("coffer serve said nothing in plain words:\n%s", out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	// script passes SIGTERM on to coffer serve, which stops cleanly.
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("coffer serve did not stop:\n%s", out.String())
	}
	return strings.ReplaceAll(out.String(), "\r\n", "\n")
}

// TestServeGreetsTerminal: on a terminal, coffer serve says in plain words
// where to open it and who can log in, or how to create the first
// administrator; never a password. To a pipe it writes only its JSON log.
func TestServeGreetsTerminal(t *testing.T) {
	dir := t.TempDir()
	const secret = "a long secret"
	owner := []string{"COFFER_ADMIN_USER=owner", "COFFER_ADMIN_PASSWORD=" + secret}
	nobody := []string{"COFFER_ADMIN_USER=", "COFFER_ADMIN_PASSWORD="}
	for _, tc := range []struct {
		name string
		env  []string
		db   string
		want []string
	}{
		{"no administrator", nobody, "empty.db", []string{"No administrator can log in yet",
			"COFFER_ADMIN_USER=admin COFFER_ADMIN_PASSWORD='a long password of yours' " + shellQuote(binary) + " serve --db empty.db"}},
		{"first start", owner, "shop.db", []string{"Log in as owner (super_admin), with the password you set in COFFER_ADMIN_PASSWORD."}},
		{"later starts", nobody, "shop.db", []string{"Log in as one of this database's administrators, with their password: owner (super_admin)."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := underTerminal(t, dir, tc.env, "--db", tc.db)
			addr := regexp.MustCompile(`"msg":"coffer is serving","addr":"([^"]+)"`).FindStringSubmatch(out)
			if addr == nil || !strings.Contains(out, "\nCoffer is running: open http://"+addr[1]+"/ in your browser.\n") {
				t.Errorf("the terminal is not told the URL:\n%s", out)
			}
			for _, want := range tc.want {
				if !strings.Contains(out, want) {
					t.Errorf("the terminal lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, secret) {
				t.Errorf("the password is on the terminal:\n%s", out)
			}
		})
	}
	t.Run("pipe", func(t *testing.T) {
		_, cmd, logs := start(t, dir, owner, "--db", "shop.db")
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			if !json.Valid([]byte(line)) {
				t.Errorf("to a pipe, coffer serve writes %q, not a JSON log line", line)
			}
		}
	})
}

func TestConsoleURL(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080/",
		":8080":          "http://localhost:8080/",
		"0.0.0.0:80":     "http://localhost:80/",
		"[::]:8080":      "http://localhost:8080/",
		"[::1]:8080":     "http://[::1]:8080/",
		"shop.lan:9000":  "http://shop.lan:9000/",
	} {
		if got := consoleURL(addr); got != want {
			t.Errorf("consoleURL(%q) = %q, want %q", addr, got, want)
		}
	}
}

func TestShellQuote(t *testing.T) {
	for s, want := range map[string]string{
		"demo.db":          "demo.db",
		"/tmp/a b/demo.db": "'/tmp/a b/demo.db'",
		"it's":             `'it'\''s'`,
		"":                 "''",
		"postgres://u:xxxxx@h/db?sslmode=disable": "'postgres://u:xxxxx@h/db?sslmode=disable'",
	} {
		if got := shellQuote(s); got != want {
			t.Errorf("shellQuote(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestBuiltByGoRun(t *testing.T) {
	t.Setenv("GOCACHE", "/srv/cache")
	for path, want := range map[string]bool{
		"/tmp/go-build2741/b001/exe/coffer":              true, // go run's temporary build
		"/root/.cache/go-build/b1/b114d2402c71-d/coffer": true, // go run's cached build (Go 1.24 on)
		"/srv/cache/b1/b114d2402c71-d/coffer":            true, // the same in a GOCACHE elsewhere
		"/usr/local/bin/coffer":                          false,
		"/home/ops/coffer/coffer":                        false,
		"/tmp/coffer-bin123/coffer":                      false, // the tests' go build -o
	} {
		if got := builtByGoRun(path); got != want {
			t.Errorf("builtByGoRun(%q) = %v, want %v", path, got, want)
		}
	}
}

// TestQuoteAllHidesPasswords: a command shown on the terminal never
// carries the database password the person typed.
func TestQuoteAllHidesPasswords(t *testing.T) {
	got := strings.Join(quoteAll([]string{"--db", "postgres://coffer:s3cret@db.lan/coffer", "--addr", ":8080"}), " ")
	if want := "--db postgres://coffer:xxxxx@db.lan/coffer --addr :8080"; got != want {
		t.Errorf("quoteAll = %q, want %q", got, want)
	}
}
