package server_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/server"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// /metrics has what an operator alerts on, each series present from the
// first scrape, and passes Prometheus's own linter (promlint, which
// promtool check metrics runs; promtool too when it is installed).
func TestMetrics(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, st *store.Store) {
		srv := server.New(st, slog.New(slog.NewTextHandler(io.Discard, nil)), server.Options{
			Build: server.Build{Version: "v1.2.3", Commit: "abc123", Go: "go1.26"}})
		hs := httptest.NewServer(srv)
		defer hs.Close()
		// Work for the gauges: a record waiting to be sealed, a webhook
		// delivery waiting; and a console page and a webhook attempt to count.
		root := ledger.Actor{Name: "root"}
		hook, _, err := st.CreateWebhook(context.Background(), root, ledger.NewWebhook{URL: "https://hooks.example.com/m", Events: []string{"topup.approved"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.PingWebhook(context.Background(), root, hook.ID); err != nil {
			t.Fatal(err)
		}
		http.Get(hs.URL + "/login")
		srv.ObserveWebhook("retry")
		body := scrape(t, hs.URL)
		for _, want := range []string{
			`coffer_build_info{commit="abc123",goversion="go1.26",version="v1.2.3"} 1`,
			"coffer_webhook_deliveries_pending 1",
			"coffer_audit_unsealed_records 2",
			"coffer_audit_seal_lag_seconds ",
			"coffer_alerts_open 0",
			"coffer_retention_last_run_timestamp_seconds 0",
			"coffer_state_scrape_success 1",
			"coffer_holds_active 0",
			"coffer_holds_overdue 0",
			`coffer_web_requests_total{code="200",method="GET",route="/login"} 1`,
			`coffer_webhook_attempts_total{outcome="retry"} 1`,
			"go_sql_max_open_connections{db_name=",
			"go_goroutines ",
			"process_cpu_seconds_total ",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %q", want)
			}
		}
		problems, err := promlint.New(strings.NewReader(body)).Lint()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("promlint: %s: %s", p.Metric, p.Text)
		}
		if st.Dialect() == store.SQLite {
			testdb.Funded(t, st, "+8613900000003", 500) // a top-up, in a group commit
			body := scrape(t, hs.URL)
			for _, name := range []string{"coffer_sqlite_group_commits_total", "coffer_sqlite_group_commit_jobs_total", "coffer_sqlite_writer_busy_seconds_total"} {
				if v := metricValue(t, body, name); v <= 0 {
					t.Errorf("%s is %v after a top-up", name, v)
				}
			}
		} else if strings.Contains(body, "coffer_sqlite_") {
			t.Error("/metrics on PostgreSQL has SQLite's writer series")
		}
		promtool(t, body)
	})
}

// metricValue is the value of an unlabelled series in a scrape.
func metricValue(t *testing.T, body, name string) float64 {
	t.Helper()
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatalf("/metrics lacks %s", name)
	return 0
}

// promtool runs promtool check metrics on body when it is installed
// (Debian's prometheus package has it; .ci/run installs it).
func promtool(t *testing.T, body string) {
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Log("promtool is not installed; promlint above ran its checks")
		return
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

func scrape(t *testing.T, base string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/metrics", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// The example alert rules in docs/ are valid rules (promtool check rules,
// when installed) and name only series that Coffer serves, or Prometheus's
// own up.
func TestAlertRules(t *testing.T) {
	const rules = "../../docs/alerts.yml"
	text, err := os.ReadFile(rules)
	if err != nil {
		t.Fatal(err)
	}
	st := testdb.Open(t, store.SQLite, store.Options{})
	srv := server.New(st, slog.New(slog.NewTextHandler(io.Discard, nil)), server.Options{})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	srv.ObserveWebhook("failed")
	http.Get(hs.URL + "/api/v1/me") // an API request, answered 401
	served := scrape(t, hs.URL)
	for _, name := range regexp.MustCompile(`\b(?:coffer|go_sql)_[a-z_]+\b`).FindAllString(string(text), -1) {
		if !strings.Contains(served, "\n"+name) {
			t.Errorf("%s names %s, which /metrics does not serve", rules, name)
		}
	}
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Log("promtool is not installed: the rules' syntax is not checked")
		return
	}
	if out, err := exec.Command(path, "check", "rules", rules).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules: %v\n%s", err, out)
	}
}
