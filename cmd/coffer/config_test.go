package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/testdb"
)

var owner = []string{"COFFER_ADMIN_USER=owner", "COFFER_ADMIN_PASSWORD=a long secret"}

// A config file sets what neither a flag nor the environment sets: its
// log level quiets the access log until a flag says otherwise, and its
// database gives way to COFFER_DB.
func TestConfigFilePrecedence(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "coffer.conf")
	os.WriteFile(conf, []byte("# Coffer\nlog-level = warn\ndb = "+filepath.Join(dir, "file.db")+"\n\ntrusted-proxies = 127.0.0.1/32\n"), 0o600)
	addr, _, logs := start(t, dir, owner, "--config", conf)
	get(t, "http://"+addr+"/healthz")
	if strings.Contains(logs.String(), `"msg":"request"`) {
		t.Errorf("log-level = warn in the file still logs requests:\n%s", logs.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "file.db")); err != nil {
		t.Errorf("the file's db was not used: %v", err)
	}

	env := append([]string{"COFFER_DB=" + filepath.Join(dir, "env.db"), "COFFER_CONFIG=" + conf}, owner...)
	addr, _, logs = start(t, dir, env, "--log-level", "info")
	get(t, "http://"+addr+"/healthz")
	waitLog(logs, `"path":"/healthz"`)
	if !strings.Contains(logs.String(), `"msg":"request"`) {
		t.Errorf("--log-level info does not win over the file:\n%s", logs.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "env.db")); err != nil {
		t.Errorf("COFFER_DB does not win over the file: %v", err)
	}
}

// Behind a trusted proxy the client's address is the one the proxy
// forwards, and --base-url https makes the cookies Secure; without the
// setting a forwarded address is not believed.
func TestTrustedProxiesAndBaseURL(t *testing.T) {
	for _, trusted := range []bool{false, true} {
		args := []string{"--db", filepath.Join(t.TempDir(), "c.db")}
		if trusted {
			args = append(args, "--trusted-proxies", "127.0.0.1", "--base-url", "https://coffer.example.com/")
		}
		addr, _, logs := start(t, t.TempDir(), owner, args...)
		req, _ := http.NewRequest("GET", "http://"+addr+"/login", nil)
		req.Header.Set("X-Forwarded-For", "198.51.100.7")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		secure := strings.Contains(res.Header.Get("Set-Cookie"), "Secure")
		waitLog(logs, `"path":"/login"`)
		forwarded := strings.Contains(logs.String(), `"remote":"198.51.100.7"`)
		if secure != trusted || forwarded != trusted {
			t.Errorf("trusted %v: Secure cookie %v, forwarded address logged %v; logs:\n%s", trusted, secure, forwarded, logs.String())
		}
	}
}

// Settings that cannot be right are refused before anything starts, each
// naming where it came from.
func TestServeRefusesBadSettings(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o600)
		return p
	}
	for _, c := range []struct {
		args []string
		env  []string
		want string
	}{
		{[]string{"--db-max-conns", "0"}, nil, "1 to 1000"},
		{[]string{"--db-max-conns", "many"}, nil, "1 to 1000"},
		{nil, []string{"COFFER_DB_MAX_CONNS=5000"}, "COFFER_DB_MAX_CONNS"},
		{[]string{"--trusted-proxies", "10.0.0.0/8, nonsense"}, nil, "nonsense"},
		{[]string{"--base-url", "ftp://coffer.example.com"}, nil, "http:// or https://"},
		{[]string{"--base-url", "https://coffer.example.com/?next=evil"}, nil, "at most a path"},
		{nil, []string{"COFFER_LOG_LEVEL=loud"}, "COFFER_LOG_LEVEL"},
		{[]string{"--config", write("typo.conf", "addr = 127.0.0.1:0\nlog_level = debug\n")}, nil, "typo.conf:2: no setting \"log_level\""},
		{[]string{"--config", write("bad.conf", "just words\n")}, nil, "bad.conf:1: want name = value"},
		{[]string{"--config", write("twice.conf", "db = a.db\ndb = b.db\n")}, nil, "twice.conf:2: db is set on line 1"},
		{[]string{"--config", write("value.conf", "db-max-conns = -3\n")}, nil, "value.conf:1: db-max-conns"},
		{[]string{"--config", filepath.Join(dir, "missing.conf")}, nil, "missing.conf"},
	} {
		cmd := exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "x.db")}, c.args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), c.env...)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), c.want) {
			t.Errorf("serve %v %v: %v, %q; want a refusal naming %q", c.args, c.env, err, out, c.want)
		}
	}
}

// waitLog waits a little for a line the server writes once an answer is
// sent.
func waitLog(logs *syncBuffer, substr string) {
	for i := 0; i < 100 && !strings.Contains(logs.String(), substr); i++ {
		time.Sleep(20 * time.Millisecond)
	}
}

// --db-max-conns sizes the PostgreSQL pool, as /metrics shows.
func TestDBMaxConns(t *testing.T) {
	dsn := testdb.PostgresDSN(t)
	addr, _, _ := start(t, t.TempDir(), owner, "--db", dsn, "--db-max-conns", "7")
	_, body := get(t, "http://"+addr+"/metrics")
	if !strings.Contains(body, `go_sql_max_open_connections{db_name="main"} 7`) {
		t.Errorf("/metrics does not show a pool of 7:\n%s", grepLines(body, "go_sql_max_open"))
	}
}

func grepLines(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
