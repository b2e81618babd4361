package server_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/server"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// A line a handler logs while answering a request carries that request's
// id, once, as the access line does: a form posted without its CSRF token
// is refused with a warning, and both lines name the client's id.
func TestRequestIDInEveryLine(t *testing.T) {
	st := testdb.Open(t, store.SQLite, store.Options{})
	var logs lockedBuffer
	srv := httptest.NewServer(server.New(st, slog.New(slog.NewJSONHandler(&logs, nil)), server.Options{}))
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/login", strings.NewReader(url.Values{"username": {"root"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Request-ID", "trace-42")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var warned, accessed bool
	for _, l := range logs.lines() {
		switch l["msg"] {
		case "request":
			accessed = l["request_id"] == "trace-42"
		default:
			if strings.HasPrefix(l["msg"].(string), "refused a") {
				warned = l["request_id"] == "trace-42"
			}
		}
	}
	if !warned || !accessed {
		t.Errorf("warning with the id %v, access line with it %v; logs:\n%v", warned, accessed, logs.lines())
	}
	if n := strings.Count(logs.String(), `"request_id"`); n != 2 {
		t.Errorf("%d request_id members in two lines", n)
	}
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
