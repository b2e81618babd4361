// Package testsmtp runs a real SMTP server on loopback for tests: Debian's
// aiosmtpd with a small handler that keeps every message as a file this
// package reads back and parses. It also gives a listener that never
// answers, for timeouts. It is a test helper, imported only by _test files.
package testsmtp

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// aiosmtpd is Debian's python3-aiosmtpd script. Its #! line names
// /usr/bin/python3, so a python3 elsewhere on PATH (pyenv, without the
// module) is never used.
const aiosmtpd = "/usr/bin/aiosmtpd"

//go:embed coffer_testsmtp.py
var handlerSource []byte

// Modes of the server, read by the handler at every RCPT.
const (
	Accept   = ""         // accept and keep every message
	TempFail = "tempfail" // 451 to every RCPT: try again later
	Reject   = "reject"   // 550 to every RCPT: refused for good
)

// Server is a real SMTP server (aiosmtpd) on a free loopback port, for tests.
// Its methods are for the test's goroutine: they fail the test through t.
type Server struct {
	Host     string
	Port     int
	CertFile string // StartTLS only: PEM of the server's self-signed certificate

	t   testing.TB
	dir string // where the handler writes messages and reads its mode
}

// Start runs aiosmtpd on 127.0.0.1 until the test ends; t.Cleanup kills it
// and waits for it. mode is Accept, TempFail or Reject. Without
// /usr/bin/aiosmtpd the test is skipped, or fails when COFFER_REQUIRE_TOOLS
// is set (as in CI, where a skip would hide that mail went untested).
func Start(t testing.TB, mode string) *Server {
	t.Helper()
	return start(t, mode, false)
}

// StartTLS is Start with STARTTLS offered and required before MAIL FROM
// (aiosmtpd answers 530 until then). Its certificate, for 127.0.0.1 and
// localhost, is self-signed in CertFile; a client has to trust it.
func StartTLS(t testing.TB, mode string) *Server {
	t.Helper()
	return start(t, mode, true)
}

func start(t testing.TB, mode string, withTLS bool) *Server {
	t.Helper()
	if _, err := os.Stat(aiosmtpd); err != nil {
		if os.Getenv("COFFER_REQUIRE_TOOLS") != "" {
			t.Fatalf("%s is missing (apt-get install python3-aiosmtpd)", aiosmtpd)
		}
		t.Skipf("%s is missing: apt-get install python3-aiosmtpd to run the mail tests (set COFFER_REQUIRE_TOOLS to make this a failure)", aiosmtpd)
	}
	root := t.TempDir()
	s := &Server{Host: "127.0.0.1", t: t, dir: filepath.Join(root, "messages")}
	pyDir := filepath.Join(root, "python")
	for _, d := range []string{s.dir, pyDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(pyDir, "coffer_testsmtp.py"), handlerSource, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-n", "-c", "coffer_testsmtp.Store", s.dir}
	if withTLS {
		var keyFile string
		s.CertFile, keyFile = selfSigned(t, root)
		args = append([]string{"--tlscert", s.CertFile, "--tlskey", keyFile}, args...)
	}
	s.SetMode(mode)
	// The free port is found by binding and closing it, so another process
	// may take it before aiosmtpd binds; then aiosmtpd exits and we retry.
	var errs []string
	for range 3 {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		if err := s.run(pyDir, port, args); err != nil {
			errs = append(errs, err.Error())
			continue
		}
		s.Port = port
		return s
	}
	t.Fatalf("aiosmtpd did not start:\n%s", strings.Join(errs, "\n"))
	return nil
}

// run starts aiosmtpd on port and waits until it greets; the process is
// stopped at cleanup.
func (s *Server) run(pyDir string, port int, args []string) error {
	addr := net.JoinHostPort(s.Host, fmt.Sprint(port))
	cmd := exec.Command(aiosmtpd, append([]string{"-l", addr}, args...)...)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+pyDir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("aiosmtpd on %s exited (%v): %s", addr, err, out.Bytes())
		default:
		}
		if greets(addr) {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-exited
			return fmt.Errorf("aiosmtpd on %s did not greet within 15s: %s", addr, out.Bytes())
		}
		time.Sleep(25 * time.Millisecond)
	}
	s.t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if s.t.Failed() && out.Len() > 0 {
			s.t.Logf("aiosmtpd output:\n%s", out.Bytes())
		}
	})
	return nil
}

// greets reports whether an SMTP server answers 220 on addr. Reading the
// greeting, not just connecting, proves aiosmtpd is ready to talk.
func greets(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "220") {
		return false
	}
	fmt.Fprint(c, "QUIT\r\n")
	return true
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// SetMode switches the server to Accept, TempFail or Reject; it holds from
// the next RCPT on. The file is replaced by a rename so that the handler
// never reads it half written.
func (s *Server) SetMode(mode string) {
	s.t.Helper()
	if !slices.Contains([]string{Accept, TempFail, Reject}, mode) {
		s.t.Fatalf("testsmtp: unknown mode %q", mode)
	}
	tmp := filepath.Join(s.dir, "mode.tmp")
	if err := os.WriteFile(tmp, []byte(mode), 0o644); err != nil {
		s.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, "mode")); err != nil {
		s.t.Fatal(err)
	}
}

// record is what the handler writes for one message.
type record struct {
	MailFrom string   `json:"mail_from"`
	RcptTos  []string `json:"rcpt_tos"`
	Data     string   `json:"data"` // base64 of the raw message
}

// Messages returns the messages received so far, in arrival order, parsed.
func (s *Server) Messages() []Received {
	s.t.Helper()
	names, err := filepath.Glob(filepath.Join(s.dir, "*.json"))
	if err != nil {
		s.t.Fatal(err)
	}
	slices.Sort(names) // the handler numbers them with leading zeros
	msgs := make([]Received, 0, len(names))
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			s.t.Fatal(err)
		}
		var rec record
		if err := json.Unmarshal(b, &rec); err != nil {
			s.t.Fatalf("%s: %v", name, err)
		}
		raw, err := base64.StdEncoding.DecodeString(rec.Data)
		if err != nil {
			s.t.Fatalf("%s: %v", name, err)
		}
		r, err := Parse(raw)
		if err != nil {
			s.t.Fatalf("testsmtp: message %s does not parse: %v\n%s", filepath.Base(name), err, raw)
		}
		r.EnvelopeFrom, r.EnvelopeTo = rec.MailFrom, rec.RcptTos
		msgs = append(msgs, r)
	}
	return msgs
}

// Wait waits until at least n messages arrived or timeout passed, and
// returns those that arrived: the test then asserts how many.
func (s *Server) Wait(n int, timeout time.Duration) []Received {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msgs := s.Messages()
		if len(msgs) >= n || time.Now().After(deadline) {
			return msgs
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stalling listens on a loopback port, accepts connections and never says
// anything, so that a client's timeouts can be tested. Listener and
// connections are closed at cleanup.
func Stalling(t testing.TB) (host string, port int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed at cleanup
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "127.0.0.1", ln.Addr().(*net.TCPAddr).Port
}
