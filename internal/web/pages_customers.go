package web

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/api"
	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
)

type customersData struct {
	Items []customerRow
	Pager pager
	Sort  map[string]sortHeader
	Back  string // this list's address, where the dialogs return
}

// customerRow is a customer with their accounts, whose balances the list
// shows (R: a customer is deleted only at zero balance).
type customerRow struct {
	ledger.Customer
	Accounts []ledger.Account
}

// customerKeys are the customer list's filters.
var customerKeys = []string{"phone", "name", "email", "q"}

// customers searches by phone, name, email, or any of them and the account
// number (q, the header's search); with htmx only the results table is
// swapped as the user types. A search from the header that finds exactly
// one customer goes to that customer's page.
func (web *Web) customers(q *request) {
	v := q.r.URL.Query()
	p := q.page(q.L.T("nav.customers"), customersData{Pager: newPager(q.L, "/customers", nil, 0, 0)})
	p.Form = v
	_, size, offset := pageOf(v)
	f := store.CustomerFilter{Phone: v.Get("phone"), Name: v.Get("name"), Email: v.Get("email"), Q: strings.TrimSpace(v.Get("q")),
		AfterID: q.cursor(p, "after"), Limit: size, Offset: offset, Sort: v.Get("sort")}
	if q.queryRefused("customers", p) {
		return
	}
	if !slices.Contains(store.CustomerSorts, f.Sort) {
		f.Sort = store.CustomerSorts[0]
	}
	ctx := q.r.Context()
	items, err := web.store.Customers(ctx, f)
	if err != nil {
		q.internal(err)
		return
	}
	total, err := web.store.CountCustomers(ctx, f)
	if err != nil {
		q.internal(err)
		return
	}
	htmx := q.r.Header.Get("HX-Request") == "true"
	if f.Q != "" && len(listQuery(v, customerKeys...)) == 1 && !htmx && total <= 1 {
		to := ""
		if total == 1 {
			to = "/customers/" + itoa(items[0].ID)
		} else if to, err = web.byAccountNumber(q, f.Q); err != nil {
			q.internal(err)
			return
		}
		if to != "" {
			q.redirect(to)
			return
		}
	}
	d, err := web.customerRows(q, items)
	if err != nil {
		q.internal(err)
		return
	}
	here := listQuery(v, append(customerKeys, "sort", "size")...)
	d.Pager = newPager(q.L, "/customers", listQuery(v, append(customerKeys, "sort", "page", "size")...), total, len(items))
	d.Sort = sortHeaders("/customers", here, f.Sort, "name", "created_at")
	d.Back = "/customers?" + listQuery(v, append(customerKeys, "sort", "page", "size")...).Encode()
	p.Data = d
	if htmx {
		q.renderBlock("customers", "results", 200, p)
		return
	}
	q.render("customers", 200, p)
}

// byAccountNumber is where the header's search goes when no customer's
// name, phone or email holds its text: the customer of the one account
// whose number does, or the account list of several; "" when none does.
func (web *Web) byAccountNumber(q *request, text string) (string, error) {
	if strings.Trim(text, "0123456789") != "" {
		return "", nil // account numbers are digits
	}
	rows, err := web.store.Accounts(q.r.Context(), store.AccountFilter{Q: text, Sort: "number", Limit: 2})
	switch {
	case err != nil || len(rows) == 0:
		return "", err
	case len(rows) == 1:
		return "/customers/" + itoa(rows[0].CustomerID), nil
	}
	return "/accounts?q=" + url.QueryEscape(text), nil
}

// customerRows gives each customer of a page their accounts.
func (web *Web) customerRows(q *request, items []ledger.Customer) (customersData, error) {
	ids := make([]int64, len(items))
	for i, c := range items {
		ids[i] = c.ID
	}
	accs, err := web.store.AccountsOfCustomers(q.r.Context(), ids)
	if err != nil {
		return customersData{}, err
	}
	d := customersData{Items: make([]customerRow, len(items))}
	for i, c := range items {
		d.Items[i] = customerRow{Customer: c, Accounts: accs[c.ID]}
	}
	return d, nil
}

type customerDetailData struct {
	Customer ledger.Customer
	Accounts []store.AccountRow
	// Settled tells whether every account is at zero, which deleting the
	// customer needs (R 3).
	Settled bool
	Back    string
	customerExtras
}

func (web *Web) customerDetail(q *request) {
	id, ok := q.pathID()
	if !ok {
		return
	}
	web.customerPage(q, id, q.page("", nil), http.StatusOK)
}

// customerPage shows a customer on p, with status: an archive refused
// comes back to it with its reason.
func (web *Web) customerPage(q *request, id int64, p *page, status int) {
	web.customerPageWith(q, id, p, status, "")
}

// customerPageWith is customerPage showing, once, the URL of a statement
// link just made.
func (web *Web) customerPageWith(q *request, id int64, p *page, status int, newLink string) {
	c, err := web.store.Customer(q.r.Context(), id)
	if err != nil {
		q.failErr(err) // not found is 404, anything else ours
		return
	}
	accs, err := web.store.Accounts(q.r.Context(), store.AccountFilter{CustomerID: id, Sort: "number", Limit: 100})
	if err != nil {
		q.internal(err)
		return
	}
	d := customerDetailData{Customer: c, Accounts: accs, Settled: true, Back: "/customers/" + itoa(id)}
	if d.customerExtras, err = web.loadCustomerExtras(q, id); err != nil {
		q.internal(err)
		return
	}
	d.NewLink = newLink
	if !p.Form.Has("from") { // the statement card offers this month so far
		now := web.now().In(q.L.loc)
		p.Form.Set("from", time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, q.L.loc).Format(time.DateOnly))
		p.Form.Set("to", now.Format(time.DateOnly))
	}
	for _, a := range accs {
		d.Settled = d.Settled && a.Balance == 0
	}
	p.Title, p.Data = c.Name, d
	q.render("customer", status, p)
}

// customerFormData is what the customer form offers besides the fields:
// the customer edited (ID 0 for a new one) and the currencies in use, to
// choose the default currency from (any other ISO code may be typed).
type customerFormData struct {
	ID         int64
	Currencies []string
}

// customerForm creates (no id) or edits a customer.
func (web *Web) customerForm(q *request) {
	if !q.need(auth.ActOperate) {
		return
	}
	p := q.page(q.L.T("customer.new"), nil)
	var id int64
	if q.r.PathValue("id") != "" {
		var ok bool
		if id, ok = q.pathID(); !ok {
			return
		}
		c, err := web.store.Customer(q.r.Context(), id)
		if err != nil {
			q.failErr(err)
			return
		}
		p.Title = q.L.T("customer.edit")
		for k, v := range map[string]string{"name": c.Name, "phone": c.Phone, "email": c.Email, "company": c.Company, "remark": c.Remark,
			"default_currency": c.DefaultCurrency, "locale": c.Locale} {
			p.Form.Set(k, v)
		}
		setNotifyForm(p.Form, c.Notify)
	} else {
		// A new customer is written to in the language of whoever enters
		// them, most often the customers' own, and hears of everything.
		p.Form.Set("locale", q.L.Lang)
		setNotifyForm(p.Form, ledger.AllNotify)
	}
	web.renderCustomerForm(q, p, id, http.StatusOK)
}

// notifyFields are the form's check boxes of ledger.Notify, in its order.
func notifyFields(n *ledger.Notify) map[string]*bool {
	return map[string]*bool{"notify_low_balance": &n.LowBalance, "notify_topup": &n.TopUp, "notify_adjustment": &n.Adjustment,
		"notify_statement": &n.Statement}
}

func setNotifyForm(f url.Values, n ledger.Notify) {
	for k, v := range notifyFields(&n) {
		if *v {
			f.Set(k, "on")
		}
	}
}

// notifyForm reads the check boxes: one left unticked is absent. A form
// without them (one from before they existed) gives nil: no change.
func notifyForm(f url.Values) *ledger.Notify {
	if f.Get("notify_form") != "1" {
		return nil
	}
	var n ledger.Notify
	for k, v := range notifyFields(&n) {
		*v = f.Get(k) == "on"
	}
	return &n
}

func (web *Web) renderCustomerForm(q *request, p *page, id int64, status int) {
	cur, err := web.store.CustomerCurrencies(q.r.Context())
	if err != nil {
		q.internal(err)
		return
	}
	p.Data = customerFormData{ID: id, Currencies: cur}
	q.render("customer_form", status, p)
}

func (web *Web) customerSave(q *request) {
	if !q.need(auth.ActOperate) {
		return
	}
	f := q.r.PostForm
	nc := ledger.NewCustomer{Name: f.Get("name"), Phone: f.Get("phone"), Email: f.Get("email"), Company: f.Get("company"),
		Remark: f.Get("remark"), DefaultCurrency: strings.ToUpper(strings.TrimSpace(f.Get("default_currency"))),
		Locale: f.Get("locale"), Notify: notifyForm(f)}
	var c ledger.Customer
	var err error
	var id int64
	p := q.page(q.L.T("customer.new"), nil)
	if q.r.PathValue("id") != "" {
		var ok bool
		if id, ok = q.pathID(); !ok {
			return
		}
		p.Title = q.L.T("customer.edit")
		if nc.Notify == nil || nc.Locale == "" {
			// A form without them keeps what the customer has.
			if c, err = web.store.Customer(q.r.Context(), id); err != nil {
				q.failErr(err)
				return
			}
			nc.Notify = cmp.Or(nc.Notify, &c.Notify)
			nc.Locale = cmp.Or(nc.Locale, c.Locale)
		}
		c, err = web.store.UpdateCustomer(q.r.Context(), q.actor(), id, nc)
	} else {
		c, err = web.store.CreateCustomer(q.r.Context(), q.actor(), nc)
	}
	if err != nil {
		p.Form = f
		if !q.formErrors(p, err) {
			q.internal(err)
			return
		}
		if errors.Is(err, ledger.ErrDuplicatePhone) { // said beside the phone
			p.Errs["phone"], p.Error = p.Error, q.L.T("err.fix_fields")
		}
		web.renderCustomerForm(q, p, id, http.StatusUnprocessableEntity)
		return
	}
	q.redirect("/customers/" + itoa(c.ID) + "?done=saved")
}

func (web *Web) customerArchive(q *request) {
	if !q.need(auth.ActArchive) {
		return
	}
	id, ok := q.pathID()
	if !ok {
		return
	}
	_, err := web.store.ArchiveCustomer(q.r.Context(), q.actor(), id)
	if errors.Is(err, ledger.ErrNonzeroBalance) || errors.Is(err, ledger.ErrCustomerArchived) {
		// Back to the customer, whose balances show what to settle.
		p := q.page("", nil)
		q.formErrors(p, err) // the domain's message, in the user's language
		web.customerPage(q, id, p, api.StatusOf(err))
		return
	}
	if err != nil {
		q.failErr(err)
		return
	}
	q.redirect("/customers?done=archived")
}
