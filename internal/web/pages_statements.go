package web

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/cofferhq/coffer/internal/api"
	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/clientaddr"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/statement"
	"github.com/cofferhq/coffer/internal/store"
)

// Statements (SPEC 10): a customer's statement in the console (shown, or
// downloaded as PDF or CSV), the links that show it to the customer, and
// the page such a link opens, which needs no login.

// statementView is one statement as the pages show it. With bonus
// (SPEC 11) the opening and closing balances are shown in their two
// parts, the customer's own money and bonus; without, as before.
type statementView struct {
	S                                  statement.Statement
	Credits, Debits                    int64
	Code                               string // the currency's code, for Money
	Bonus                              bool
	OpeningPrincipal, ClosingPrincipal int64
}

func newStatementView(s statement.Statement) (statementView, error) {
	v := statementView{S: s, Code: s.Currency.Code(), Bonus: s.HasBonus(),
		OpeningPrincipal: s.Opening - s.OpeningBonus, ClosingPrincipal: s.Closing - s.ClosingBonus}
	var err error
	v.Credits, v.Debits, err = s.Totals()
	return v, err
}

// statementPageData is the console's statement page.
type statementPageData struct {
	Customer   ledger.Customer
	Currencies []string
	View       *statementView // nil while the form has errors
}

// customerStatement shows customer {id}'s statement for the period of the
// query (default: this month so far), or sends it as a file (format=pdf or
// csv) in the customer's language.
func (web *Web) customerStatement(q *request) {
	id, ok := q.pathID()
	if !ok {
		return
	}
	c, err := web.store.Customer(q.r.Context(), id)
	if err != nil {
		q.failErr(err)
		return
	}
	v := q.r.URL.Query()
	p := q.page(q.L.T("statement.title")+" · "+c.Name, nil)
	p.Form = v
	d := statementPageData{Customer: c}
	if d.Currencies, err = web.customerCurrencies(q, id); err != nil {
		q.internal(err)
		return
	}
	p.Data = &d
	from, to := q.statementPeriod(p, v)
	if len(p.Errs) > 0 {
		p.Error = q.L.T("err.fix_fields")
		q.render("statement", http.StatusUnprocessableEntity, p)
		return
	}
	st, err := web.store.Statement(q.r.Context(), id, v.Get("currency"), from, to)
	if err != nil {
		if !q.formErrors(p, err) {
			q.internal(err)
			return
		}
		q.render("statement", api.StatusOf(err), p)
		return
	}
	if f := v.Get("format"); f == "pdf" || f == "csv" {
		web.sendStatement(q, st, f, c.Locale)
		return
	}
	view, err := newStatementView(st)
	if err != nil {
		q.internal(err)
		return
	}
	d.View = &view
	q.render("statement", http.StatusOK, p)
}

// statementPeriod reads the from and to days of the form (to inclusive),
// filling in this month so far for what is left empty.
func (q *request) statementPeriod(p *page, v url.Values) (time.Time, time.Time) {
	now := q.web.now().In(q.L.loc)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, q.L.loc)
	if v.Get("from") == "" {
		v.Set("from", first.Format(time.DateOnly))
	}
	if v.Get("to") == "" {
		v.Set("to", now.Format(time.DateOnly))
	}
	from, to := q.dayField(p, v, "from", 0), q.dayField(p, v, "to", 1)
	if from == nil || to == nil {
		return time.Time{}, time.Time{}
	}
	if !to.After(*from) {
		p.Errs["to"] = q.L.T("audit.to_before_from")
	}
	return *from, *to
}

func (web *Web) customerCurrencies(q *request, customerID int64) ([]string, error) {
	accs, err := web.store.AccountsOfCustomers(q.r.Context(), []int64{customerID})
	var out []string
	for _, a := range accs[customerID] {
		out = append(out, a.Currency.Code())
	}
	slices.Sort(out)
	return out, err
}

// sendStatement answers with the statement as a PDF or CSV file.
func (web *Web) sendStatement(q *request, st statement.Statement, format, lang string) {
	var b bytes.Buffer
	var err error
	ctype := "application/pdf"
	if format == "csv" {
		ctype = "text/csv; charset=utf-8"
		err = statement.CSV(&b, st, lang)
	} else {
		err = statement.PDF(&b, st, lang)
	}
	if err != nil {
		web.log.ErrorContext(q.r.Context(), "statement", "customer", st.CustomerID, "err", err)
		http.Error(q.w, "internal error", http.StatusInternalServerError)
		return
	}
	h := q.w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", `attachment; filename="`+api.StatementFileName(st, format)+`"`)
	q.w.Write(b.Bytes())
}

// customerExtras are what the customer page shows of their mail: the
// log, the statement links and, once, the URL of a link just made.
type customerExtras struct {
	Mail       []ledger.Notification
	Links      []store.StatementLink
	NewLink    string
	Currencies []string
}

func (web *Web) loadCustomerExtras(q *request, id int64) (customerExtras, error) {
	var x customerExtras
	var err error
	if x.Mail, err = web.store.Notifications(q.r.Context(), store.NotificationFilter{CustomerID: id, Limit: 10}); err != nil {
		return x, err
	}
	if x.Links, err = web.store.StatementLinks(q.r.Context(), id, 20); err != nil {
		return x, err
	}
	x.Currencies, err = web.customerCurrencies(q, id)
	return x, err
}

// statementLinkCreate makes a link and shows its URL this once, on the
// customer's page: no redirect, as it is not kept.
func (web *Web) statementLinkCreate(q *request) {
	if !q.need(auth.ActOperate) {
		return
	}
	id, ok := q.pathID()
	if !ok {
		return
	}
	days := 30
	switch q.r.PostFormValue("days") {
	case "7":
		days = 7
	case "90":
		days = 90
	}
	_, token, err := web.store.CreateStatementLink(q.r.Context(), q.actor(), id, days)
	if err != nil {
		q.failErr(err)
		return
	}
	p := q.page("", nil)
	p.Flash = q.L.T("links.made")
	web.customerPageWith(q, id, p, http.StatusCreated, web.origin(q.r)+StatementPath(token))
}

func (web *Web) statementLinkRevoke(q *request) {
	if !q.need(auth.ActOperate) {
		return
	}
	id, ok := q.pathID()
	if !ok {
		return
	}
	var linkID int64
	if q.r.PathValue("link") != "" {
		var err error
		if linkID, err = q.idField(url.Values{"link": {q.r.PathValue("link")}}, "link"); err != nil || linkID == 0 {
			q.fail(http.StatusNotFound, "err.not_found")
			return
		}
	}
	if _, err := web.store.RevokeStatementLink(q.r.Context(), q.actor(), id, linkID); err != nil {
		q.failErr(err)
		return
	}
	q.redirect("/customers/" + itoa(id) + "?done=revoked#links")
}

// StatementPath is where a statement link's page is.
func StatementPath(token string) string { return api.StatementPagePath(token) }

// origin is where customers reach Coffer: --base-url, else the address
// this request came to.
func (web *Web) origin(r *http.Request) string {
	if web.baseURL != nil {
		return strings.TrimRight(web.baseURL.String(), "/")
	}
	scheme := "http"
	if clientaddr.Of(r).HTTPS {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// publicPage is the page a statement link opens.
type publicPage struct {
	L        *locale
	Business string
	Customer ledger.Customer
	Accounts []ledger.Account
	Months   []string // YYYY-MM, newest first
	Month    string
	Currency string
	View     *statementView
	Error    string
	Link     store.StatementLink
	Base     string // the page's own path, for its links
	PDF      string // the statement's PDF, for this month and currency
	Langs    []string
}

// statementPublic serves /s/{token}: the customer's balances and the
// statement of one month, read-only, without a login. Any token that does
// not open a live link is the same 404 page.
func (web *Web) statementPublic(w http.ResponseWriter, r *http.Request) {
	publicHeaders(w)
	ctx := r.Context()
	settings, err := web.store.Settings(ctx)
	if err != nil {
		web.publicFail(w, r, newLocale("", time.UTC), err)
		return
	}
	link, err := web.store.OpenStatementLink(ctx, r.PathValue("token"))
	if err != nil {
		web.publicFail(w, r, newLocale(visitorLanguage(r), settings.Location()), err)
		return
	}
	c, err := web.store.Customer(ctx, link.CustomerID)
	if err != nil {
		web.publicFail(w, r, newLocale("", settings.Location()), err)
		return
	}
	lang := r.URL.Query().Get("lang")
	if !slices.Contains(languages, lang) {
		lang = c.Locale
	}
	l := newLocale(lang, settings.Location())
	pp := &publicPage{L: l, Business: settings.BusinessName, Customer: c, Link: link, Base: StatementPath(r.PathValue("token")), Langs: languages}
	st, ok := web.publicStatement(w, r, pp)
	if !ok {
		return
	}
	if r.URL.Query().Get("format") == "pdf" && st != nil {
		web.publicPDF(w, *st, lang)
		return
	}
	web.renderPublic(w, r, pp, http.StatusOK)
}

// publicStatement picks the month (default this one, within the last
// year) and the account (default the first) of the query and reads that
// statement into pp; false when it answered the request itself.
func (web *Web) publicStatement(w http.ResponseWriter, r *http.Request, pp *publicPage) (*statement.Statement, bool) {
	ctx := r.Context()
	l := pp.L
	accs, err := web.store.AccountsOfCustomers(ctx, []int64{pp.Customer.ID})
	if err != nil {
		web.publicFail(w, r, l, err)
		return nil, false
	}
	pp.Accounts = accs[pp.Customer.ID]
	now := web.now().In(l.loc)
	this := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, l.loc)
	for i := 0; i < 12; i++ {
		m := this.AddDate(0, -i, 0)
		if m.AddDate(0, 1, 0).Before(pp.Customer.CreatedAt) {
			break
		}
		pp.Months = append(pp.Months, m.Format("2006-01"))
	}
	pp.Month = r.URL.Query().Get("month")
	if !slices.Contains(pp.Months, pp.Month) {
		pp.Month = pp.Months[0]
	}
	pp.Currency = r.URL.Query().Get("currency")
	if len(pp.Accounts) == 0 {
		return nil, true
	}
	if !slices.ContainsFunc(pp.Accounts, func(a ledger.Account) bool { return a.Currency.Code() == pp.Currency }) {
		pp.Currency = pp.Accounts[0].Currency.Code()
	}
	from, _ := time.ParseInLocation("2006-01", pp.Month, l.loc)
	to := from.AddDate(0, 1, 0)
	if now := upToNow(web.now()); to.After(now) {
		to = now
	}
	st, err := web.store.Statement(ctx, pp.Customer.ID, pp.Currency, from, to)
	var ve *ledger.ValidationError
	if errors.As(err, &ve) {
		pp.Error = l.Tf("why."+ve.Problems[0].Reason, ve.Problems[0].Params...)
		return nil, true
	}
	if err != nil {
		web.publicFail(w, r, l, err)
		return nil, false
	}
	view, err := newStatementView(st)
	if err != nil {
		web.publicFail(w, r, l, err)
		return nil, false
	}
	pp.View = &view
	q := url.Values{"month": {pp.Month}, "currency": {pp.Currency}, "lang": {l.Lang}, "format": {"pdf"}}
	pp.PDF = pp.Base + "?" + q.Encode()
	return &st, true
}

func (web *Web) publicPDF(w http.ResponseWriter, st statement.Statement, lang string) {
	var b bytes.Buffer
	if err := statement.PDF(&b, st, lang); err != nil {
		web.log.Error("statement page: PDF", "customer", st.CustomerID, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+api.StatementFileName(st, "pdf")+`"`)
	w.Write(b.Bytes())
}

// publicFail answers a statement page that cannot be shown: not found
// (whatever is wrong with the link) or, for a fault of ours, an error.
func (web *Web) publicFail(w http.ResponseWriter, r *http.Request, l *locale, err error) {
	pp := &publicPage{L: l, Langs: languages}
	if errors.Is(err, ledger.ErrNotFound) {
		pp.Error = l.T("public.not_found")
		web.renderPublic(w, r, pp, http.StatusNotFound)
		return
	}
	web.log.ErrorContext(r.Context(), "statement page", "err", err)
	pp.Error = l.T("err.internal")
	web.renderPublic(w, r, pp, http.StatusInternalServerError)
}

func (web *Web) renderPublic(w http.ResponseWriter, r *http.Request, pp *publicPage, status int) {
	var b bytes.Buffer
	if err := web.public.ExecuteTemplate(&b, "public", pp); err != nil {
		web.log.ErrorContext(r.Context(), "render statement page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// publicHeaders are the console's security headers, and more: the page's
// address is its key, so it is never sent on as a referrer, and no search
// engine keeps it.
func publicHeaders(w http.ResponseWriter) {
	securityHeaders(w)
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("X-Robots-Tag", "noindex, nofollow")
}

// upToNow is the end of a period that runs to now: just after it, so that
// a posting of this very microsecond is in.
func upToNow(now time.Time) time.Time { return now.Add(time.Microsecond) }

// visitorLanguage is the language of a page for someone Coffer does not
// know: the one the page's switch asked for, else the first of the
// browser's that the console speaks.
func visitorLanguage(r *http.Request) string {
	if lang := r.URL.Query().Get("lang"); slices.Contains(languages, lang) {
		return lang
	}
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return languages[0]
	}
	_, i, _ := language.NewMatcher([]language.Tag{language.English, language.SimplifiedChinese}).Match(tags...)
	return languages[i]
}
