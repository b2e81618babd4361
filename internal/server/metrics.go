package server

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/cofferhq/coffer/internal/store"
)

// Build names the running build for coffer_build_info.
type Build struct {
	Version, Commit, Time, Go string
	Dirty                     bool
}

// metrics are the server's own series beside the API's (api.Metrics): the
// console's requests, webhook attempts, the database pools and the state
// of the background work, read from the database at each scrape.
type metrics struct {
	web      *prometheus.CounterVec
	webTime  *prometheus.HistogramVec
	attempts *prometheus.CounterVec
	mail     *prometheus.CounterVec
}

// newRegistry is the registry /metrics serves, with the runtime's, the
// process's, the build's and the database's series on it.
func newRegistry(st *store.Store, log *slog.Logger, b Build) (*prometheus.Registry, *metrics) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for name, db := range st.Pools() {
		reg.MustRegister(collectors.NewDBStatsCollector(db, name))
	}
	info := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "coffer_build_info",
		Help: "Always 1; the labels name the running build."}, []string{"version", "commit", "goversion"})
	info.WithLabelValues(b.Version, b.Commit, b.Go).Set(1)
	m := &metrics{
		web: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "coffer_web_requests_total",
			Help: "Console requests answered (pages, forms, assets), by route and status code."}, []string{"method", "route", "code"}),
		webTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "coffer_web_request_duration_seconds",
			Help: "Time to answer console requests, by route.", Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}},
			[]string{"method", "route"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "coffer_webhook_attempts_total",
			Help: "Webhook delivery attempts this instance made, by outcome: delivered, retry (will be tried again) or failed (no attempts left)."},
			[]string{"outcome"}),
		mail: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "coffer_notification_attempts_total",
			Help: "Customer mail this instance tried to send, by outcome: sent, retry (will be tried again), failed (refused or no attempts left) or skipped (no mail server set up, or nothing to tell)."},
			[]string{"outcome"}),
	}
	reg.MustRegister(info, m.web, m.webTime, m.attempts, m.mail, &stateCollector{st: st, log: log})
	registerGroupCommits(reg, st)
	return reg, m
}

// registerGroupCommits adds the SQLite writer's series: its busy seconds
// per second near 1 mean that postings queue for it.
func registerGroupCommits(reg *prometheus.Registry, st *store.Store) {
	if _, ok := st.GroupCommits(); !ok {
		return
	}
	counter := func(name, help string, value func(store.GroupCommitStats) float64) prometheus.CounterFunc {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 {
			g, _ := st.GroupCommits()
			return value(g)
		})
	}
	reg.MustRegister(
		counter("coffer_sqlite_group_commits_total", "Transactions the SQLite writer committed for postings, top-ups and holds (each one fsync).",
			func(g store.GroupCommitStats) float64 { return float64(g.Batches) }),
		counter("coffer_sqlite_group_commit_jobs_total", "Postings, top-ups and holds written in those transactions.",
			func(g store.GroupCommitStats) float64 { return float64(g.Jobs) }),
		counter("coffer_sqlite_writer_busy_seconds_total", "Time the SQLite writer spent writing and committing them.",
			func(g store.GroupCommitStats) float64 { return g.Busy.Seconds() }),
	)
}

// ObserveWebhook counts one webhook attempt's outcome (webhook.Options.Attempted).
func (s *Server) ObserveWebhook(outcome string) { s.metrics.attempts.WithLabelValues(outcome).Inc() }

// ObserveMail counts one customer mail attempt's outcome (notify.Options.Sent).
func (s *Server) ObserveMail(outcome string) { s.metrics.mail.WithLabelValues(outcome).Inc() }

// counted wraps a console handler to count its answers by pattern; the API
// counts its own (api.Metrics), and /metrics and the health checks are not
// worth a series.
func (m *metrics) counted(pattern string, h http.Handler) http.Handler {
	method, route, _ := strings.Cut(pattern, " ")
	if route == "" || strings.HasPrefix(route, "/api/") || route == "/metrics" || route == "/healthz" || route == "/readyz" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h.ServeHTTP(w, r)
		code := http.StatusOK
		if rec, ok := w.(*recorder); ok && rec.status != 0 {
			code = rec.status
		}
		m.web.WithLabelValues(method, route, strconv.Itoa(code)).Inc()
		m.webTime.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
	})
}

// stateCollector reads store.Gauges at each scrape. Every instance on one
// database reports the same values: alert on their max, not their sum.
type stateCollector struct {
	st  *store.Store
	log *slog.Logger
}

var (
	descPending = prometheus.NewDesc("coffer_webhook_deliveries_pending",
		"Webhook deliveries waiting to be sent or retried (database-wide).", nil, nil)
	descMailPending = prometheus.NewDesc("coffer_notifications_pending",
		"Customer mail waiting to be sent or retried (database-wide).", nil, nil)
	descUnsealed = prometheus.NewDesc("coffer_audit_unsealed_records",
		"Operation records not yet sealed into the hash chain (database-wide).", nil, nil)
	descSealLag = prometheus.NewDesc("coffer_audit_seal_lag_seconds",
		"Age of the oldest operation record not yet sealed; 0 when all are.", nil, nil)
	descAlerts = prometheus.NewDesc("coffer_alerts_open",
		"Accounts below their low-balance alert amount (database-wide).", nil, nil)
	descRetention = prometheus.NewDesc("coffer_retention_last_run_timestamp_seconds",
		"When retention last finished a run, as Unix time; 0 if it never has.", nil, nil)
	descHolds = prometheus.NewDesc("coffer_holds_active",
		"Holds that count against their accounts now (database-wide).", nil, nil)
	descHoldsOverdue = prometheus.NewDesc("coffer_holds_overdue",
		"Holds that ran out but are not marked expired yet; more than a few seconds' worth means the expiry job is stuck.", nil, nil)
	descStateUp = prometheus.NewDesc("coffer_state_scrape_success",
		"1 when the database answered this scrape's queries, else 0.", nil, nil)
)

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descPending, descMailPending, descUnsealed, descSealLag, descAlerts, descRetention, descHolds, descHoldsOverdue, descStateUp} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	g, err := c.st.ReadGauges(ctx)
	if err != nil {
		c.log.Warn("metrics: reading the database's state", "err", err)
		ch <- prometheus.MustNewConstMetric(descStateUp, prometheus.GaugeValue, 0)
		return
	}
	lag, last := 0.0, 0.0
	if !g.OldestUnsealed.IsZero() {
		lag = max(0, c.st.Now().Sub(g.OldestUnsealed).Seconds())
	}
	if !g.RetentionLastRun.IsZero() {
		last = float64(g.RetentionLastRun.UnixMicro()) / 1e6
	}
	for _, m := range []struct {
		d *prometheus.Desc
		v float64
	}{{descPending, float64(g.WebhooksPending)}, {descMailPending, float64(g.MailPending)}, {descUnsealed, float64(g.Unsealed)}, {descSealLag, lag},
		{descAlerts, float64(g.OpenAlerts)}, {descRetention, last}, {descHolds, float64(g.HoldsActive)},
		{descHoldsOverdue, float64(g.HoldsOverdue)}, {descStateUp, 1}} {
		ch <- prometheus.MustNewConstMetric(m.d, prometheus.GaugeValue, m.v)
	}
}
