package server_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/cofferhq/coffer/internal/server"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// lockedBuffer is a log destination the server writes from its handlers'
// goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines() []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// Every answer carries a request id (the client's when it is usable, a new
// one otherwise), and the access log has a line per request with that id,
// its status and path.
func TestRequestIDAndAccessLog(t *testing.T) {
	st := testdb.Open(t, store.SQLite, store.Options{})
	var logs lockedBuffer
	srv := httptest.NewServer(server.New(st, slog.New(slog.NewJSONHandler(&logs, nil)), server.Options{}))
	defer srv.Close()
	ask := func(path, id string) string {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if id != "" {
			req.Header.Set("X-Request-ID", id)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.Header.Get("X-Request-ID")
	}
	if got := ask("/healthz", "proxy-7f3a.1:2"); got != "proxy-7f3a.1:2" {
		t.Errorf("a usable client id came back as %q", got)
	}
	generated := regexp.MustCompile(`^[0-9a-f]{24}$`)
	for _, bad := range []string{"", "two words", "line\u2028break", strings.Repeat("x", 129)} {
		if got := ask("/nope", bad); !generated.MatchString(got) {
			t.Errorf("for the client id %q the answer's id is %q, want a new one", bad, got)
		}
	}
	first, second := ask("/healthz", ""), ask("/healthz", "")
	if first == second {
		t.Errorf("two requests got the same id %q", first)
	}
	seen := map[string]map[string]any{}
	for _, l := range logs.lines() {
		if l["msg"] == "request" {
			seen[l["request_id"].(string)] = l
		}
	}
	if l := seen["proxy-7f3a.1:2"]; l == nil || l["path"] != "/healthz" || l["status"] != float64(200) || l["method"] != "GET" {
		t.Errorf("access log of the first request: %v", l)
	}
	if l := seen[second]; l == nil {
		t.Errorf("no access log line for request %s; lines: %v", second, logs.lines())
	}
	if n := len(seen); n != 7 {
		t.Errorf("%d access log lines with distinct ids, want 7", n)
	}
}
