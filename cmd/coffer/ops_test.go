package main

import (
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// coffer version names the build: its version, commit and Go release.
func TestVersion(t *testing.T) {
	out, err := exec.Command(binary, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("coffer version: %v\n%s", err, out)
	}
	if s := string(out); !strings.HasPrefix(s, "coffer ") || !strings.Contains(s, runtime.Version()) || !strings.Contains(s, "commit ") {
		t.Errorf("coffer version printed %q", s)
	}
}

// --log-level sets the least severe line written: at warn the access log's
// lines (info) are gone, by default they are there; a level that does not
// exist is refused before anything starts.
func TestLogLevel(t *testing.T) {
	env := []string{"COFFER_ADMIN_USER=owner", "COFFER_ADMIN_PASSWORD=a long secret"}
	for _, c := range []struct {
		level  string
		access bool
	}{{"", true}, {"warn", false}, {"debug", true}} {
		args := []string{"--db", t.TempDir() + "/c.db"}
		if c.level != "" {
			args = append(args, "--log-level", c.level)
		}
		addr, _, logs := start(t, t.TempDir(), env, args...)
		get(t, "http://"+addr+"/healthz")
		if got := strings.Contains(logs.String(), `"msg":"request"`); got != c.access {
			t.Errorf("--log-level %q: access lines %v, want %v; logs:\n%s", c.level, got, c.access, logs.String())
		}
	}
	out, err := exec.Command(binary, "serve", "--log-level", "loud", "--db", t.TempDir()+"/c.db").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "log-level") {
		t.Errorf("--log-level loud: %v\n%s", err, out)
	}
}
