// Package web is Coffer's admin web UI: server-rendered pages
// (html/template, embedded), progressively enhanced with htmx, in English
// and Simplified Chinese. It works on the store directly, with the same
// rules as the API, and keeps its session in a cookie.
package web

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"coffer/internal/store"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Web holds what the pages need.
type Web struct {
	store *store.Store
	log   *slog.Logger
	now   func() time.Time
	pages map[string]*template.Template
	// api answers CSV exports: the web UI hands them to the API's exporter.
	api http.Handler
	// crossOrigin refuses form posts from other sites (see fromThisSite).
	crossOrigin *http.CrossOriginProtection
}

// New parses the templates; it panics on a broken template, which the tests
// catch before a release.
func New(st *store.Store, log *slog.Logger, now func() time.Time, api http.Handler) *Web {
	if now == nil {
		now = time.Now
	}
	w := &Web{store: st, log: log, now: now, pages: map[string]*template.Template{}, api: api,
		crossOrigin: http.NewCrossOriginProtection()}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, name := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		w.pages[base] = template.Must(template.New("layout.html").Funcs(templateFuncs).ParseFS(templateFiles, "templates/layout.html", name))
	}
	return w
}

// Register adds the UI's routes to mux.
func (w *Web) Register(mux interface {
	Handle(string, http.Handler)
	HandleFunc(string, func(http.ResponseWriter, *http.Request))
}) {
	static, _ := fs.Sub(staticFiles, "static")
	files := http.FileServerFS(static)
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheFor(24*time.Hour, files)))

	mux.HandleFunc("GET /login", w.loginPage)
	mux.HandleFunc("POST /login", w.loginSubmit)
	page := func(pattern string, h func(*request)) { mux.HandleFunc(pattern, w.authed(h)) }
	page("POST /logout", w.logout)
	page("GET /{$}", w.dashboard)
	page("GET /profile", w.profile)
	page("POST /profile/password", w.changePassword)
	page("POST /lang", w.setLanguage)

	page("GET /customers", w.customers)
	page("GET /customers/new", w.customerForm)
	page("POST /customers/new", w.customerSave)
	page("GET /customers/{id}", w.customerDetail)
	page("GET /customers/{id}/edit", w.customerForm)
	page("POST /customers/{id}/edit", w.customerSave)
	page("POST /customers/{id}/archive", w.customerArchive)

	page("GET /accounts", w.accounts)
	page("GET /accounts/export", w.accountsExport)
	page("GET /accounts/{id}", w.accountDetail)
	page("POST /accounts/{id}/alert", w.accountAlert)
	page("POST /accounts/{id}/credit", w.accountCredit)
	page("POST /accounts/{id}/status", w.accountStatus)
	page("POST /accounts/alert-batch", w.alertBatch)
	page("GET /alert-batches", w.alertBatches)
	page("POST /alert-batches/{id}/undo", w.alertBatchUndo)

	page("GET /recharge", w.rechargeForm)
	page("POST /recharge", w.rechargeSubmit)
	page("GET /reviews", w.reviews)
	page("POST /topups/{id}/approve", w.approve)
	page("POST /topups/{id}/reject", w.reject)
	page("POST /topups/{id}/cancel", w.cancelTopUp)
	page("POST /topups/{id}/edit", w.topupEdit)
	page("GET /topups", w.topups)
	page("GET /topups/{id}", w.topupDetail)
	page("GET /vouchers/{id}", w.voucher)

	page("GET /charge", w.chargeForm)
	page("POST /charge", w.chargeSubmit)
	page("GET /adjust", w.adjustForm)
	page("POST /adjust", w.adjustSubmit)
	page("GET /transactions/{id}/reverse", w.reverseConfirm)
	page("POST /transactions/{id}/reverse", w.reverseSubmit)

	page("GET /reports", w.reports)
	page("GET /reports/chart.svg", w.reportFile("/api/v1/reports/chart.svg", ""))
	page("GET /reports/export", w.reportFile("/api/v1/reports/summary", "text/csv"))
	page("GET /alerts", w.alerts)
	page("GET /webhooks", w.webhooks)
	page("POST /webhooks", w.webhookCreate)
	page("POST /webhooks/{id}/delete", w.webhookDelete)
	page("POST /webhooks/{id}/deliveries/{delivery}/redeliver", w.webhookRedeliver)

	page("GET /archives", w.archives)
	page("GET /archives/{id}", w.archiveFile)
	page("POST /archives/run", w.archiveRun)

	page("GET /admins", w.admins)
	page("POST /admins", w.adminCreate)
	page("POST /admins/{id}", w.adminUpdate)
	page("GET /audit", w.audit)
	page("GET /settings", w.settings)
	page("POST /settings", w.settingsSave)
	page("POST /payment-methods", w.methodCreate)
	page("POST /payment-methods/{id}", w.methodUpdate)
}

func cacheFor(d time.Duration, h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Cache-Control", "public, max-age="+itoa(int64(d.Seconds())))
		h.ServeHTTP(rw, r)
	})
}
