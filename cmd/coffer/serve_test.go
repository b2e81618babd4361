package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

var binary string

// TestMain builds the real coffer binary once; the tests start it as a
// child process, as an operator would.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "coffer-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "coffer")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type syncBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.String()
}

// start runs `coffer serve` and waits until /healthz answers.
func start(t *testing.T, dir string, env []string, args ...string) (string, *exec.Cmd, *syncBuffer) {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(binary, append([]string{"serve"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append(env, "COFFER_ADDR="+addr)...)
	logs := &syncBuffer{mu: make(chan struct{}, 1)}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return addr, cmd, logs
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("coffer serve did not answer /healthz in time; logs:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServe(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			dir := t.TempDir()
			var dsn string
			var args []string
			env := []string{"COFFER_ADMIN_USER=owner", "COFFER_ADMIN_PASSWORD=a long secret"}
			if d == store.SQLite {
				// No --db: the default is coffer.db in the working directory.
				dsn = filepath.Join(dir, "coffer.db")
			} else {
				dsn = testdb.PostgresDSN(t)
				args = []string{"--db", dsn}
			}
			addr, cmd, logs := start(t, dir, env, args...)
			if code, body := get(t, "http://"+addr+"/readyz"); code != 200 || body != "ok\n" {
				t.Errorf("/readyz = %d %q", code, body)
			}
			if code, _ := get(t, "http://"+addr+"/nope"); code != 404 {
				t.Errorf("unknown path answered %d", code)
			}
			st, err := store.Open(context.Background(), dsn, store.Options{})
			if err != nil {
				t.Fatalf("open the served database: %v", err)
			}
			admin, err := st.AdminByUsername(context.Background(), "owner")
			st.Close()
			if err != nil || admin.Role != "super_admin" || auth.CheckPassword(admin.PasswordHash, "a long secret") != nil {
				t.Errorf("first admin = %+v, %v", admin, err)
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("exit after SIGTERM: %v\n%s", err, logs.String())
				}
			case <-time.After(15 * time.Second):
				t.Fatalf("coffer serve did not stop after SIGTERM\n%s", logs.String())
			}
			out := logs.String()
			for _, want := range []string{`"msg":"created the first super admin"`, `"msg":"stopped"`} {
				if !strings.Contains(out, want) {
					t.Errorf("logs lack %s:\n%s", want, out)
				}
			}
			if strings.Contains(out, "a long secret") {
				t.Error("the admin password appears in the logs")
			}
		})
	}
}

func TestServeWithoutAdminSaysHow(t *testing.T) {
	dir := t.TempDir()
	_, _, logs := start(t, dir, []string{"COFFER_ADMIN_USER=", "COFFER_ADMIN_PASSWORD="}, "--db", filepath.Join(dir, "x.db"))
	if !strings.Contains(logs.String(), "COFFER_ADMIN_USER and COFFER_ADMIN_PASSWORD") {
		t.Errorf("first start without an admin does not say how to create one:\n%s", logs.String())
	}
}

func TestServeRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  []string
		want string
	}{
		{[]string{"serve", "--port", "1"}, nil, "flag provided but not defined"},
		{[]string{"serve", "extra"}, nil, "unexpected argument"},
		{[]string{"launch"}, nil, "unknown command"},
		{[]string{"serve", "--db", "x.db"}, []string{"COFFER_ADMIN_USER=a", "COFFER_ADMIN_PASSWORD=short"}, "at least 10 characters"},
		{[]string{"serve", "--db", "postgres://nobody@127.0.0.1:1/none?connect_timeout=2"}, nil, "connect"},
	} {
		cmd := exec.Command(binary, tc.args...)
		cmd.Dir = t.TempDir()
		cmd.Env = append(os.Environ(), tc.env...)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("coffer %v: err %v, output %q; want a failure mentioning %q", tc.args, err, out, tc.want)
		}
	}
}
