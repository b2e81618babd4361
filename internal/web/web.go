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
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/retention"
	"github.com/cofferhq/coffer/internal/store"
)

//go:embed templates/*.html templates/parts/*.html templates/public/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Web holds what the pages need.
type Web struct {
	store *store.Store
	log   *slog.Logger
	now   func() time.Time
	pages map[string]*template.Template
	// public is the page a statement link opens: not the console's
	// layout, nothing of the console in it.
	public *template.Template
	// api answers CSV exports: the web UI hands them to the API's exporter.
	api http.Handler
	// crossOrigin refuses form posts from other sites (see fromThisSite).
	crossOrigin *http.CrossOriginProtection
	// imports are the checked import files waiting to be imported.
	imports *importChecks
	// archiver runs retention now, for the archives page.
	archiver *retention.Archiver
	// hooksPrivate lets webhooks be registered for private addresses
	// (webhook.CheckRegistration).
	hooksPrivate bool
	// baseURL is where clients reach Coffer (--base-url), or nil; an https
	// one makes cookies Secure, and links in mails will start with it.
	baseURL *url.URL
}

// WithBaseURL sets the address clients reach Coffer at (nil: unknown).
func (w *Web) WithBaseURL(u *url.URL) *Web {
	w.baseURL = u
	return w
}

// New parses the templates; it panics on a broken template, which the tests
// catch before a release.
func New(st *store.Store, arch *retention.Archiver, log *slog.Logger, now func() time.Time, api http.Handler, hooksPrivate bool) *Web {
	if now == nil {
		now = time.Now
	}
	w := &Web{store: st, archiver: arch, log: log, now: now, pages: map[string]*template.Template{}, api: api, hooksPrivate: hooksPrivate,
		crossOrigin: http.NewCrossOriginProtection(), imports: &importChecks{}}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, name := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		w.pages[base] = template.Must(template.New("layout.html").Funcs(templateFuncs).ParseFS(templateFiles, "templates/layout.html",
			"templates/parts/*.html", name))
	}
	w.public = template.Must(template.New("public").Funcs(templateFuncs).ParseFS(templateFiles, "templates/public/*.html", "templates/parts/*.html"))
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
	page("GET /customers/{id}/statement", w.customerStatement)
	page("POST /customers/{id}/statement-links", w.statementLinkCreate)
	page("POST /customers/{id}/statement-links/{link}/revoke", w.statementLinkRevoke)
	mux.HandleFunc("GET /s/{token}", w.statementPublic)

	page("GET /accounts", w.accounts)
	page("GET /accounts/export", w.accountsExport)
	page("GET /accounts/{id}", w.accountDetail)
	page("POST /accounts/{id}/holds", w.holdPlace)
	page("POST /holds/{id}/capture", w.holdEnd(true))
	page("POST /holds/{id}/release", w.holdEnd(false))
	page("POST /accounts/{id}/alert", w.accountAlert)
	page("POST /accounts/{id}/credit", w.accountCredit)
	page("POST /accounts/{id}/status", w.accountStatus)
	page("GET /accounts/{id}/edit", w.accountEditForm)
	page("POST /accounts/{id}/edit", w.accountEdit)
	page("POST /accounts/alert-batch/preview", w.alertBatchPreview)
	page("POST /accounts/alert-batch", w.alertBatch)
	page("GET /alert-batches", w.alertBatches)
	page("POST /alert-batches/{id}/undo", w.alertBatchUndo)

	page("GET /recharge", w.rechargeForm)
	page("POST /recharge", w.rechargeSubmit)
	page("GET /recharge/bonus", w.rechargeBonus)
	page("GET /reviews", w.reviews)
	page("GET /reviews/{id}", w.reviewPage)
	page("GET /approvals", w.approvals)
	page("GET /approvals/{id}", w.approvalPage)
	page("POST /approvals/{id}/approve", w.approvalApprove)
	page("POST /approvals/{id}/reject", w.approvalReject)
	page("POST /approvals/{id}/cancel", w.approvalCancel)
	page("POST /topups/{id}/approve", w.approve)
	page("POST /topups/{id}/reject", w.reject)
	page("POST /topups/{id}/cancel", w.cancelTopUp)
	page("POST /topups/{id}/edit", w.topupEdit)
	page("POST /topups/{id}/vouchers", w.topupVouchers)
	page("GET /topups", w.topups)
	page("GET /topups/{id}", w.topupDetail)
	page("GET /vouchers/{id}", w.voucher)

	page("GET /charge", w.chargeForm)
	page("POST /charge", w.chargeSubmit)
	page("GET /adjust", w.adjustForm)
	page("POST /adjust", w.adjustSubmit)
	page("GET /transactions", w.transactions)
	page("GET /transactions/export", w.transactionsExport)
	page("GET /transactions/{id}", w.transactionDetail)
	page("GET /transactions/{id}/receipt", w.transactionReceipt)
	page("GET /pick", w.pick)
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
	page("POST /webhooks/{id}/ping", w.webhookPing)
	page("POST /webhooks/{id}/rotate-secret", w.webhookRotate)

	page("GET "+importPath, w.importForm)
	page("POST "+importPath, w.importUpload)
	page("POST /import/confirm", w.importConfirm)

	page("GET /archives", w.archives)
	page("GET /archives/{id}", w.archiveFile)
	page("POST /archives/run", w.archiveRun)

	page("GET /admins", w.admins)
	page("POST /admins", w.adminCreate)
	page("POST /admins/{id}", w.adminUpdate)
	page("GET /audit", w.audit)
	page("GET /settings", w.settings)
	page("POST /settings", w.settingsSave)
	page("POST /settings/mail", w.settingsMail)
	page("POST /settings/test-mail", w.settingsTestMail)
	page("GET /notifications", w.notifications)
	page("POST /payment-methods", w.methodCreate)
	page("POST /payment-methods/{id}", w.methodUpdate)
	page("GET /promotions", w.promotions)
	page("POST /promotions", w.promotionCreate)
	page("GET /promotions/{id}", w.promotionPage)
	page("POST /promotions/{id}", w.promotionUpdate)
}

func cacheFor(d time.Duration, h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Cache-Control", "public, max-age="+itoa(int64(d.Seconds())))
		h.ServeHTTP(rw, r)
	})
}

// idField reads an id typed into field of v (a form, or the query string
// of a page that has the field): empty is 0; anything but a whole positive
// number is the user's to fix, a validation error naming the field, so a
// typo never reaches the store as "no id".
func (q *request) idField(v url.Values, field string) (int64, error) {
	s := strings.TrimSpace(v.Get(field))
	if s == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, ledger.Invalid(field, q.L.T("err.not_an_id"))
	}
	return id, nil
}

// formID is idField with its problem put beside the field, unless the
// field has one already.
func (q *request) formID(p *page, v url.Values, field string) int64 {
	id, err := q.idField(v, field)
	if err != nil && p.Errs[field] == "" {
		p.Errs[field] = q.L.T("err.not_an_id")
	}
	return id
}

// cursor reads a list's paging position from the query string: empty is
// the first page; anything else must be an id the list gave out, or the
// page says so rather than start again at the first page unasked.
func (q *request) cursor(p *page, name string) int64 {
	id, ok := queryID(q.r.URL.Query().Get(name))
	if !ok {
		p.Error = q.L.T("err.bad_cursor")
	}
	return id
}

// linkID reads an id that only links put in the query string (there is no
// field to mark): one that does not parse is said at the top of the page.
func (q *request) linkID(p *page, name string) int64 {
	id, ok := queryID(q.r.URL.Query().Get(name))
	if !ok {
		p.Error = q.L.Tf("err.bad_link", name)
	}
	return id
}

// queryID parses an id as the site writes it in links: empty is 0.
func queryID(s string) (int64, bool) {
	if s == "" {
		return 0, true
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != s {
		return 0, false
	}
	return id, true
}

// queryRefused renders a list page without results when its query string
// held a value that does not parse (see cursor, linkID, formID), and
// reports whether it did. p.Data must be the page's empty data.
func (q *request) queryRefused(name string, p *page) bool {
	if p.Error == "" && len(p.Errs) == 0 {
		return false
	}
	if p.Error == "" {
		p.Error = q.L.T("err.fix_fields")
	}
	q.render(name, http.StatusUnprocessableEntity, p)
	return true
}
