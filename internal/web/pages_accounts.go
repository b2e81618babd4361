package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"coffer/internal/auth"
	"coffer/internal/ledger"
	"coffer/internal/money"
	"coffer/internal/store"
)

type accountsData struct {
	Items      []store.AccountRow
	Next       string
	Export     string
	Currencies []string
	Sorts      []string
	FormToken  string
}

// accountFilter reads the list's filters from the query, noting problems
// next to their fields.
func (q *request) accountFilter(v url.Values, p *page) store.AccountFilter {
	f := store.AccountFilter{Q: v.Get("q"), Currency: v.Get("currency"), Status: ledger.Status(v.Get("status")), Sort: v.Get("sort"), Limit: 50}
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
	p.Form = v
	f := q.accountFilter(v, p)
	d := accountsData{Currencies: []string{"USD", "EUR", "CNY", "JPY", "GBP", "HKD"}, Sorts: store.AccountSorts, FormToken: randomToken()}
	if p.Error != "" { // a cursor this list did not give out
		p.Data = d
		q.render("accounts", http.StatusUnprocessableEntity, p)
		return
	}
	rows, err := web.store.Accounts(q.r.Context(), f)
	if err != nil {
		q.internal(err)
		return
	}
	d.Items = rows
	if len(rows) == f.Limit {
		next := url.Values{}
		for k, vs := range v {
			next[k] = vs
		}
		c := rows[len(rows)-1].SortKey(f.Sort)
		next.Set("after_id", itoa(c.ID))
		next.Set("after_n", itoa(c.Num))
		next.Set("after_s", c.Str)
		d.Next = "/accounts?" + next.Encode()
	}
	if p.Form.Get("sort") == "" {
		p.Form.Set("sort", f.Sort) // show the order the list is in
	}
	exp := url.Values{}
	for k, vs := range v {
		if !strings.HasPrefix(k, "after_") {
			exp[k] = vs
		}
	}
	d.Export = "/accounts/export?" + exp.Encode()
	p.Data = d
	q.render("accounts", 200, p)
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
	NextEntry string
	TopUps    []ledger.TopUpRequest
	Overdraft string // the expiry as a datetime-local value
}

func (web *Web) accountDetail(q *request) {
	id, ok := q.pathID()
	if !ok {
		return
	}
	web.accountPage(q, id, q.page("", nil), http.StatusOK)
}

// accountPage shows an account on p. After a form with errors, p holds
// the message, the fields at fault and what was typed.
func (web *Web) accountPage(q *request, id int64, p *page, status int) {
	a, err := web.store.Account(q.r.Context(), id)
	if errors.Is(err, ledger.ErrNotFound) {
		q.fail(http.StatusNotFound, "err.not_found")
		return
	}
	if err != nil {
		q.internal(err)
		return
	}
	c, err := web.store.Customer(q.r.Context(), a.CustomerID)
	if err != nil {
		q.internal(err)
		return
	}
	before, ok := queryID(q.r.URL.Query().Get("before"))
	if !ok { // the first page then, and a word that the link was not one
		p.Error, status = q.L.T("err.bad_cursor"), http.StatusUnprocessableEntity
	}
	entries, err := web.store.Entries(q.r.Context(), id, before, 50)
	if err != nil {
		q.internal(err)
		return
	}
	tops, err := web.store.TopUpRequests(q.r.Context(), store.TopUpFilter{AccountID: id, Limit: 20})
	if err != nil {
		q.internal(err)
		return
	}
	avail, err := a.Available(web.now())
	if err != nil {
		q.internal(err)
		return
	}
	d := accountDetailData{Account: a, Customer: c, Available: avail, Entries: entries, TopUps: tops}
	if len(entries) == 50 {
		d.NextEntry = "/accounts/" + itoa(id) + "?before=" + itoa(entries[len(entries)-1].ID)
	}
	if a.OverdraftExpiresAt != nil {
		d.Overdraft = a.OverdraftExpiresAt.In(q.L.loc).Format("2006-01-02T15:04")
	}
	// What was typed in the form sent stays; the other forms show the
	// settings as they are.
	for k, v := range map[string]string{"alert_amount": money.New(a.AlertAmount, a.Currency).String(),
		"credit_limit": money.New(a.CreditLimit, a.Currency).String(), "overdraft": money.New(a.Overdraft, a.Currency).String(),
		"overdraft_expires_at": d.Overdraft, "status": string(a.Status)} {
		if !p.Form.Has(k) {
			p.Form.Set(k, v)
		}
	}
	p.Title, p.Data = c.Name+" · "+a.Currency.Code(), d
	q.render("account", status, p)
}

// accountChange applies a change from one of the account page's forms.
// Each form carries the account's version it showed: if another change of
// the settings came in between, nothing changes and the page comes back
// as the account is now, so that nobody overwrites what they never saw.
func (web *Web) accountChange(q *request, need auth.Action, build func(a ledger.Account) (store.AccountChange, error)) {
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
	c, err := build(a)
	if err == nil {
		var version int64
		if version, err = strconv.ParseInt(q.r.PostFormValue("version"), 10, 64); err != nil {
			err = ledger.ErrStaleVersion // a form that does not say what it showed
		}
		c.Version = &version
	}
	if err == nil {
		_, err = web.store.UpdateAccount(q.r.Context(), q.actor(), id, c)
	}
	var ve *ledger.ValidationError
	switch {
	case err == nil:
		q.redirect("/accounts/" + itoa(id) + "?done=saved")
	case errors.Is(err, ledger.ErrStaleVersion):
		p := q.page("", nil)
		p.Error = q.L.T(ledger.ErrStaleVersion.Key())
		web.accountPage(q, id, p, http.StatusConflict)
	case errors.As(err, &ve):
		p := q.page("", nil)
		q.formErrors(p, err)
		p.Form = q.r.PostForm
		web.accountPage(q, id, p, http.StatusUnprocessableEntity)
	default:
		q.failErr(err)
	}
}

func parseLimit(field, s string, cur money.Currency) (int64, error) {
	a, err := money.Parse(s, cur)
	if err != nil {
		return 0, ledger.AmountProblem(field, err)
	}
	if a.IsNegative() {
		return 0, ledger.Invalid(field, "must be zero or more")
	}
	return a.Minor(), nil
}

func (web *Web) accountAlert(q *request) {
	web.accountChange(q, auth.ActOperate, func(a ledger.Account) (store.AccountChange, error) {
		v, err := parseLimit("alert_amount", q.r.PostFormValue("alert_amount"), a.Currency)
		return store.AccountChange{AlertAmount: &v}, err
	})
}

func (web *Web) accountCredit(q *request) {
	web.accountChange(q, auth.ActCredit, func(a ledger.Account) (store.AccountChange, error) {
		f := q.r.PostForm
		credit, err := parseLimit("credit_limit", f.Get("credit_limit"), a.Currency)
		if err != nil {
			return store.AccountChange{}, err
		}
		over, err := parseLimit("overdraft", f.Get("overdraft"), a.Currency)
		if err != nil {
			return store.AccountChange{}, err
		}
		var exp *time.Time
		if s := f.Get("overdraft_expires_at"); s != "" {
			t, err := time.ParseInLocation("2006-01-02T15:04", s, q.L.loc)
			if err != nil {
				return store.AccountChange{}, ledger.Invalid("overdraft_expires_at", "is not a date and time")
			}
			exp = &t
		}
		return store.AccountChange{CreditLimit: &credit, Overdraft: &over, OverdraftExpiresAt: &exp}, nil
	})
}

func (web *Web) accountStatus(q *request) {
	web.accountChange(q, auth.ActCredit, func(a ledger.Account) (store.AccountChange, error) {
		st := ledger.Status(q.r.PostFormValue("status"))
		return store.AccountChange{Status: &st}, nil
	})
}
