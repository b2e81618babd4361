package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/api"
	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/store"
)

type accountsData struct {
	Items      []store.AccountRow
	Pager      pager
	Sort       map[string]sortHeader
	Export     string
	Currencies []string
	Filtered   bool   // a filter narrows the list: the batch may take "all matching"
	Filter     string // the list's filters as a query, for the batch and the edit dialog
	Back       string // this list's address, where a dialog returns
	Changed    string // accounts a batch just changed
	Batch      *batchView
	Available  map[int64]int64 // what each account can spend now
	FormToken  string          // the batch dialog's, one per showing of the list
}

// filterKeys are the list's filters (not its order or page).
var filterKeys = []string{"q", "currency", "status", "balance_min", "balance_max", "created_from", "created_to", "below_alert"}

// accountFilter reads the list's filters from the query, noting problems
// next to their fields.
func (q *request) accountFilter(v url.Values, p *page) store.AccountFilter {
	_, size, offset := pageOf(v)
	f := store.AccountFilter{Q: v.Get("q"), Currency: v.Get("currency"), Status: ledger.Status(v.Get("status")), Sort: v.Get("sort"),
		Limit: size, Offset: offset}
	if f.Status != "" && !f.Status.Valid() {
		p.Errs["status"] = q.L.T("err.invalid")
		f.Status = ""
	}
	if !slices.Contains(store.AccountSorts, f.Sort) {
		f.Sort = "-created_at"
	}
	var cur money.Currency
	if f.Currency != "" {
		c, err := money.LookupCurrency(f.Currency)
		if err != nil {
			p.Errs["currency"] = q.L.T("err.invalid")
			f.Currency = ""
		}
		cur = c
	}
	q.balanceRange(v, cur, &f, p)
	for _, d := range []struct {
		field string
		dst   **time.Time
		end   bool
	}{{"created_from", &f.CreatedFrom, false}, {"created_to", &f.CreatedTo, true}} {
		s := v.Get(d.field)
		if s == "" {
			continue
		}
		t, err := time.ParseInLocation(time.DateOnly, s, q.L.loc)
		if err != nil {
			p.Errs[d.field] = q.L.T("err.date")
			continue
		}
		if d.end {
			t = t.AddDate(0, 0, 1)
		}
		*d.dst = &t
	}
	if v.Get("below_alert") == "1" {
		t := true
		f.BelowAlert = &t
	}
	if s := v.Get("after_id"); s != "" {
		// The next page's link carries the last row's sort key; anything
		// else is no position in this list.
		id, ok := queryID(s)
		n, err := strconv.ParseInt(v.Get("after_n"), 10, 64)
		if !ok || id == 0 || err != nil && v.Get("after_n") != "" {
			p.Error = q.L.T("err.bad_cursor")
		} else {
			f.After = &store.Cursor{ID: id, Num: n, Str: v.Get("after_s")}
		}
	}
	return f
}

// balanceRange reads the balance filters: amounts of cur when the list
// names a currency, else bounds in each account's own currency (SPEC
// section 7).
func (q *request) balanceRange(v url.Values, cur money.Currency, f *store.AccountFilter, p *page) {
	for _, b := range []struct {
		field string
		dst   **int64
		major **store.MajorBound
	}{{"balance_min", &f.BalanceMin, &f.MajorMin}, {"balance_max", &f.BalanceMax, &f.MajorMax}} {
		s := v.Get(b.field)
		if s == "" {
			continue
		}
		if cur.IsZero() {
			// In each account's own currency (SPEC section 7).
			m, err := store.ParseMajorBound(s)
			if err != nil {
				p.Errs[b.field] = err.Error()
				continue
			}
			*b.major = &m
			continue
		}
		a, err := money.Parse(s, cur)
		if err != nil {
			p.Errs[b.field] = q.amountMessage(b.field, err)
			continue
		}
		m := a.Minor()
		*b.dst = &m
	}
}

func (web *Web) accounts(q *request) {
	v := q.r.URL.Query()
	p := q.page(q.L.T("nav.accounts"), nil)
	d := accountsData{Changed: v.Get("changed")}
	if v.Get("done") == "batch" && d.Changed != "" {
		p.Flash = q.L.Tn("batch.changed_n", d.Changed)
	}
	if v.Has("batch") { // the batch dialog, as a page without scripts
		d.Batch = &batchView{Scope: defaultScope(v)}
	}
	web.renderAccounts(q, p, v, d, http.StatusOK)
}

// renderAccounts shows the list that the filters v select, with d's
// dialogs; status is the answer's (a batch's errors are 422).
func (web *Web) renderAccounts(q *request, p *page, v url.Values, d accountsData, status int) {
	p.Form = v
	f := q.accountFilter(v, p)
	ctx := q.r.Context()
	cur, err := web.store.CustomerCurrencies(ctx)
	if err != nil {
		q.internal(err)
		return
	}
	d.Currencies = cur
	list := listQuery(v, filterKeys...)
	d.Filter, d.Filtered = list.Encode(), len(list) > 0
	d.Back = "/accounts"
	if here := listQuery(v, append(filterKeys, "sort", "page", "size")...); len(here) > 0 {
		d.Back += "?" + here.Encode()
	}
	d.Export = "/accounts/export?" + listQuery(v, append(filterKeys, "sort")...).Encode()
	d.FormToken = randomToken()
	if d.Batch != nil && d.Batch.Form == nil {
		d.Batch.Form, d.Batch.Errs, d.Batch.FormToken = url.Values{}, map[string]string{}, d.FormToken
	}
	if p.Error != "" { // a link this list did not give out
		d.Pager = newPager(q.L, "/accounts", nil, 0, 0)
		p.Data = d
		q.render("accounts", http.StatusUnprocessableEntity, p)
		return
	}
	rows, err := web.store.Accounts(ctx, f)
	if err != nil {
		q.internal(err)
		return
	}
	total, err := web.store.CountAccounts(ctx, f)
	if err != nil {
		q.internal(err)
		return
	}
	d.Items, d.Available = rows, map[int64]int64{}
	for _, r := range rows {
		if d.Available[r.ID], err = r.Available(web.now()); err != nil {
			q.internal(err)
			return
		}
	}
	d.Pager = newPager(q.L, "/accounts", listQuery(v, append(filterKeys, "sort", "page", "size")...), total, len(rows))
	d.Sort = sortHeaders("/accounts", listQuery(v, append(filterKeys, "size")...), f.Sort, "number", "balance", "created_at")
	p.Data = d
	q.render("accounts", status, p)
}

// listQuery keeps of v the keys given: a list's own parameters, without
// the one-off ones (done, changed) that a link onwards must not repeat.
func listQuery(v url.Values, keys ...string) url.Values {
	out := url.Values{}
	for _, k := range keys {
		if s := v.Get(k); s != "" {
			out.Set(k, s)
		}
	}
	return out
}

// sortHeader is a column head that orders its list: the link gives the
// column's ascending order, or, when the list is in it already, the
// descending one.
type sortHeader struct {
	Href         string
	Aria         string // the aria-sort of the head: ascending, descending or none
	Label, Class string // set by the template (sortCol)
}

// sortHeaders makes the heads of the sortable columns of the list at path,
// whose filters are v and whose order is current.
func sortHeaders(path string, v url.Values, current string, cols ...string) map[string]sortHeader {
	out := map[string]sortHeader{}
	for _, c := range cols {
		h := sortHeader{Aria: "none"}
		next := c
		switch current {
		case c:
			h.Aria, next = "ascending", "-"+c
		case "-" + c:
			h.Aria = "descending"
		}
		q := url.Values{}
		for k, vs := range v {
			q[k] = vs
		}
		q.Set("sort", next)
		h.Href = path + "?" + q.Encode()
		out[c] = h
	}
	return out
}

// accountsExport hands the list's filters to the API's CSV exporter, which
// streams every matching account.
func (web *Web) accountsExport(q *request) {
	v := q.r.URL.Query()
	api := url.Values{}
	for _, k := range []string{"q", "currency", "status", "balance_min", "balance_max", "created_from", "created_to", "sort"} {
		if s := v.Get(k); s != "" {
			api.Set(k, s)
		}
	}
	if v.Get("below_alert") == "1" {
		api.Set("below_alert", "true")
	}
	web.callAPI(q, "/api/v1/accounts", api.Encode(), "text/csv")
}

type accountDetailData struct {
	Account   ledger.Account
	Customer  ledger.Customer
	Available int64
	Entries   []store.EntryRow
	Pager     pager
	TopUps    []ledger.TopUpRequest
	Holds     []ledger.Hold // the latest, active ones first
	FormToken string        // the idempotency key of the hold forms
	// OverdraftActive tells whether the overdraft counts now (set, and not
	// past its end).
	OverdraftActive bool
	// Editing shows the edit form on the page instead of in a dialog: the
	// page without scripts, and a form that came back with errors.
	Editing bool
	Back    string // where the edit form returns
	// Bonus is the account's open bonus lots (SPEC 11). BonusTx are the
	// transactions among Entries that move bonus, whose entries name their
	// part; Repeat, the entries after the first of their transaction (a
	// split debit's second), which offer no reversal of their own.
	Bonus   bonusView
	BonusTx map[int64]bool
	Repeat  map[int64]bool
}

func (web *Web) accountDetail(q *request) {
	id, ok := q.pathID()
	if !ok {
		return
	}
	web.accountPage(q, id, q.page("", nil), http.StatusOK)
}

// accountEditForm is the "Edit customer account" dialog's form: with htmx
// only the form, for the dialog; without, the account page with the form
// open on it.
func (web *Web) accountEditForm(q *request) {
	if !q.need(auth.ActOperate) {
		return
	}
	id, ok := q.pathID()
	if !ok {
		return
	}
	p := q.page("", nil)
	p.Form.Set("back", q.r.URL.Query().Get("back"))
	if q.r.Header.Get("HX-Request") == "true" {
		web.editFragment(q, id, p, http.StatusOK)
		return
	}
	p.Form.Set("editing", "1")
	web.accountPage(q, id, p, http.StatusOK)
}

// editFragment answers the dialog's form alone, for htmx to put in place.
func (web *Web) editFragment(q *request, id int64, p *page, status int) {
	d, ok := web.accountData(q, id, p, false)
	if !ok {
		return
	}
	p.Data = d
	q.renderBlock("account", "edit_form", status, p)
}

// accountPage shows an account on p. After a form with errors, p holds
// the message, the fields at fault and what was typed.
func (web *Web) accountPage(q *request, id int64, p *page, status int) {
	d, ok := web.accountData(q, id, p, true)
	if !ok {
		return
	}
	before, ok := queryID(q.r.URL.Query().Get("before"))
	if !ok { // the first page then, and a word that the link was not one
		p.Error, status = q.L.T("err.bad_cursor"), http.StatusUnprocessableEntity
	}
	ctx := q.r.Context()
	v := listQuery(q.r.URL.Query(), "page", "size")
	_, size, offset := pageOf(v)
	var err error
	if before != 0 { // a link of the older keyset pages
		d.Entries, err = web.store.Entries(ctx, id, before, size)
	} else {
		d.Entries, err = web.store.EntriesPage(ctx, id, offset, size)
	}
	if err != nil {
		q.internal(err)
		return
	}
	total, err := web.store.CountEntries(ctx, id)
	if err != nil {
		q.internal(err)
		return
	}
	d.Pager = newPager(q.L, "/accounts/"+itoa(id), v, total, len(d.Entries))
	if d.TopUps, err = web.store.TopUpRequests(ctx, store.TopUpFilter{AccountID: id, Limit: 20}); err != nil {
		q.internal(err)
		return
	}
	if d.Holds, err = web.accountHolds(q, id); err != nil {
		q.internal(err)
		return
	}
	if err := web.accountBonus(q, &d); err != nil {
		q.internal(err)
		return
	}
	d.FormToken = q.formToken()
	d.Editing = p.Form.Get("editing") == "1" || len(p.Errs) > 0 || status == http.StatusConflict
	p.Title, p.Data = d.Customer.Name+" · "+d.Account.Currency.Code(), d
	q.render("account", status, p)
}

// accountBonus reads d's account's open bonus lots, when it holds bonus,
// and marks its entries that move bonus.
func (web *Web) accountBonus(q *request, d *accountDetailData) error {
	d.BonusTx, d.Repeat = entryParts(d.Entries)
	if d.Account.Bonus == 0 {
		return nil // never had bonus, or spent it all: no lot is open
	}
	lots, err := web.store.Lots(q.r.Context(), d.Account.ID)
	d.Bonus = newBonusView(lots, web.now())
	return err
}

// accountData reads the account and its customer, and fills the edit
// form's fields the user did not type with the account's settings.
func (web *Web) accountData(q *request, id int64, p *page, page bool) (accountDetailData, bool) {
	a, err := web.store.Account(q.r.Context(), id)
	if errors.Is(err, ledger.ErrNotFound) {
		q.fail(http.StatusNotFound, "err.not_found")
		return accountDetailData{}, false
	}
	if err != nil {
		q.internal(err)
		return accountDetailData{}, false
	}
	c, err := web.store.Customer(q.r.Context(), a.CustomerID)
	if err != nil {
		q.internal(err)
		return accountDetailData{}, false
	}
	avail, err := a.Available(web.now())
	if err != nil {
		q.internal(err)
		return accountDetailData{}, false
	}
	d := accountDetailData{Account: a, Customer: c, Available: avail,
		OverdraftActive: a.Overdraft > 0 && (a.OverdraftExpiresAt == nil || a.OverdraftExpiresAt.After(web.now()))}
	d.Back = safeNext(p.Form.Get("back"))
	if d.Back == "/" || p.Form.Get("back") == "" {
		d.Back = "/accounts/" + itoa(id)
	}
	expires := ""
	if a.OverdraftExpiresAt != nil {
		expires = a.OverdraftExpiresAt.In(q.L.loc).Format("2006-01-02T15:04")
	}
	// What was typed in the form sent stays; the other fields show the
	// settings as they are.
	for k, v := range map[string]string{"alert_amount": money.New(a.AlertAmount, a.Currency).String(),
		"credit_limit": money.New(a.CreditLimit, a.Currency).String(), "overdraft": money.New(a.Overdraft, a.Currency).String(),
		"overdraft_expires_at": expires, "status": string(a.Status)} {
		if !p.Form.Has(k) {
			p.Form.Set(k, v)
		}
	}
	return d, true
}

// modifiedFlash is the message after an account's settings were saved
// (G 2.5: "Modified successfully").
const modifiedFlash = "done.modified"

// accountEdit applies the "Edit customer account" form, or one of the
// account page's older single-purpose forms: it changes the fields the
// form sent. The alert amount is an operator's to change; credit, overdraft
// and status a super admin's (SPEC section 3). The form carries the
// account's version it showed: if another change came in between, nothing
// changes and the form comes back as the account is now, so that nobody
// overwrites what they never saw.
func (web *Web) accountEdit(q *request) {
	f := q.r.PostForm
	need := auth.ActOperate
	for _, k := range []string{"credit_limit", "overdraft", "overdraft_expires_at", "status"} {
		if f.Has(k) {
			need = auth.ActCredit
		}
	}
	if !q.need(need) {
		return
	}
	id, ok := q.pathID()
	if !ok {
		return
	}
	a, err := web.store.Account(q.r.Context(), id)
	if errors.Is(err, ledger.ErrNotFound) {
		q.fail(http.StatusNotFound, "err.not_found")
		return
	}
	if err != nil {
		q.internal(err)
		return
	}
	p := q.page("", nil)
	c := q.accountChangeOf(p, f, a.Currency)
	var queued *ledger.Approval
	if len(p.Errs) == 0 {
		queued, err = web.submitAccountEdit(q, id, f, c)
	}
	status := http.StatusUnprocessableEntity
	switch {
	case len(p.Errs) > 0:
		p.Error, p.Form = q.L.T("err.fix_fields"), f
	case err == nil:
		back := safeNext(f.Get("back"))
		if back == "/" {
			back = "/accounts/" + itoa(id)
		}
		if queued != nil { // applied only once another super admin approves (SPEC 9)
			web.afterEdit(q, queuedTo(back, queued))
			return
		}
		web.afterEdit(q, withDone(back, strings.TrimPrefix(modifiedFlash, "done.")))
		return
	case errors.Is(err, ledger.ErrStaleVersion):
		p.Error, status = q.L.T(ledger.ErrStaleVersion.Key()), http.StatusConflict
		p.Form.Set("back", f.Get("back"))
	case q.formErrors(p, err):
		p.Form, status = f, api.StatusOf(err)
	default:
		q.internal(err)
		return
	}
	if q.r.Header.Get("HX-Request") == "true" {
		web.editFragment(q, id, p, status)
		return
	}
	web.accountPage(q, id, p, status)
}

// submitAccountEdit applies c on the version the form showed; a change of
// credit may go to approval instead (SPEC 9), which it returns.
func (web *Web) submitAccountEdit(q *request, id int64, f url.Values, c store.AccountChange) (*ledger.Approval, error) {
	version, err := strconv.ParseInt(f.Get("version"), 10, 64)
	if err != nil {
		return nil, ledger.ErrStaleVersion // a form that does not say what it showed
	}
	c.Version = &version
	_, queued, err := web.store.SubmitAccountChange(q.r.Context(), q.actor(), id, c)
	return queued, err
}

// afterEdit goes to where the dialog was opened, which shows the change:
// htmx is told to load that page whole, the page without scripts is sent.
func (web *Web) afterEdit(q *request, to string) {
	if q.r.Header.Get("HX-Request") == "true" {
		q.w.Header().Set("HX-Redirect", to)
		q.w.WriteHeader(http.StatusOK)
		return
	}
	q.redirect(to)
}

// withDone adds the message of a finished action (?done=) to a path.
func withDone(path, done string) string {
	u, err := url.Parse(path)
	if err != nil {
		return path
	}
	v := u.Query()
	v.Set("done", done)
	u.RawQuery = v.Encode()
	return u.String()
}

// accountChangeOf reads the fields the form sent, each in the account's
// currency, and puts each problem beside its field in the user's language.
func (q *request) accountChangeOf(p *page, f url.Values, cur money.Currency) store.AccountChange {
	var c store.AccountChange
	for _, l := range []struct {
		field string
		dst   **int64
	}{{"alert_amount", &c.AlertAmount}, {"credit_limit", &c.CreditLimit}, {"overdraft", &c.Overdraft}} {
		if !f.Has(l.field) {
			continue
		}
		if v, ok := q.limitField(p, l.field, f.Get(l.field), cur); ok {
			*l.dst = &v
		}
	}
	if f.Has("overdraft_expires_at") {
		var exp *time.Time
		if s := strings.TrimSpace(f.Get("overdraft_expires_at")); s != "" {
			t, err := time.ParseInLocation("2006-01-02T15:04", s, q.L.loc)
			if err != nil {
				p.Errs["overdraft_expires_at"] = q.L.T("accounts.bad_end")
			}
			exp = &t
		}
		c.OverdraftExpiresAt = &exp
	}
	if f.Has("status") {
		st := ledger.Status(f.Get("status"))
		if !st.Valid() {
			p.Errs["status"] = q.L.T("err.invalid")
		}
		c.Status = &st
	}
	return c
}

// limitField reads an alert amount, credit limit or overdraft: an amount
// of the currency, zero or more, within what Coffer holds.
func (q *request) limitField(p *page, field, s string, cur money.Currency) (int64, bool) {
	a, err := money.Parse(strings.TrimSpace(s), cur)
	switch {
	case err != nil:
		p.Errs[field] = q.amountMessage(field, err)
	case a.IsNegative():
		p.Errs[field] = q.L.T("accounts.not_negative")
	case a.Minor() > ledger.MaxLimit:
		p.Errs[field] = q.L.T("why.too_large")
	default:
		return a.Minor(), true
	}
	return 0, false
}

// The account page's older forms, one per setting, are the edit form with
// fewer fields.
func (web *Web) accountAlert(q *request)  { web.accountEdit(q) }
func (web *Web) accountCredit(q *request) { web.accountEdit(q) }
func (web *Web) accountStatus(q *request) { web.accountEdit(q) }

// The account pages' template functions, added to the common ones before
// New parses the templates.
func init() {
	templateFuncs["sortCol"] = func(h sortHeader, label, class string) sortHeader {
		h.Label, h.Class = label, class
		return h
	}
	templateFuncs["editField"] = func(p *page, name, label, cur string) editField {
		return editField{Name: name, Label: label, Value: p.Form.Get(name), Err: p.Errs[name], Currency: cur}
	}
	templateFuncs["rowActions"] = func(p *page, a ledger.Account, back string) accountActions {
		return accountActions{L: p.L, Can: p.Can, A: a, Back: back, BackQ: url.QueryEscape(back)}
	}
}

// accountActions is what a list row's actions need (template
// "account_actions" in layout.html).
type accountActions struct {
	L           *locale
	Can         map[string]bool
	A           ledger.Account
	Back, BackQ string // where the edit dialog returns; BackQ query-escaped, for hx-get
}

// editField is an amount field of the edit form (template "edit_amount").
type editField struct{ Name, Label, Value, Err, Currency string }
