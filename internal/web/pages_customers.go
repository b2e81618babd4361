package web

import (
	"net/http"

	"coffer/internal/auth"
	"coffer/internal/ledger"
	"coffer/internal/store"
)

type customersData struct {
	Items []ledger.Customer
	Next  string
}

// customers searches by phone, name or email; with htmx only the results
// table is swapped as the user types.
func (web *Web) customers(q *request) {
	v := q.r.URL.Query()
	p := q.page(q.L.T("nav.customers"), customersData{})
	p.Form = v
	f := store.CustomerFilter{Phone: v.Get("phone"), Name: v.Get("name"), Email: v.Get("email"), Q: v.Get("q"), AfterID: q.cursor(p, "after"), Limit: 50}
	if q.queryRefused("customers", p) {
		return
	}
	if f.Phone != "" {
		// A whole number is searched as stored (E.164); part of one, as
		// typed: not normalizable is not an error here.
		if n, err := ledger.NormalizePhone(f.Phone); err == nil {
			f.Phone = n
		}
	}
	items, err := web.store.Customers(q.r.Context(), f)
	if err != nil {
		q.internal(err)
		return
	}
	d := customersData{Items: items}
	if len(items) == f.Limit {
		v.Set("after", itoa(items[len(items)-1].ID))
		d.Next = "/customers?" + v.Encode()
	}
	p.Data = d
	if q.r.Header.Get("HX-Request") == "true" {
		q.renderBlock("customers", "results", 200, p)
		return
	}
	q.render("customers", 200, p)
}

type customerDetailData struct {
	Customer ledger.Customer
	Accounts []store.AccountRow
}

func (web *Web) customerDetail(q *request) {
	id, ok := q.pathID()
	if !ok {
		return
	}
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
	q.render("customer", 200, q.page(c.Name, customerDetailData{Customer: c, Accounts: accs}))
}

// customerForm creates (no id) or edits a customer.
func (web *Web) customerForm(q *request) {
	if !q.need(auth.ActOperate) {
		return
	}
	p := q.page(q.L.T("customer.new"), nil)
	if q.r.PathValue("id") != "" {
		id, ok := q.pathID()
		if !ok {
			return
		}
		c, err := web.store.Customer(q.r.Context(), id)
		if err != nil {
			q.failErr(err)
			return
		}
		p.Title = q.L.T("customer.edit")
		p.Data = c
		for k, v := range map[string]string{"name": c.Name, "phone": c.Phone, "email": c.Email, "company": c.Company, "remark": c.Remark, "default_currency": c.DefaultCurrency} {
			p.Form.Set(k, v)
		}
	}
	q.render("customer_form", 200, p)
}

func (web *Web) customerSave(q *request) {
	if !q.need(auth.ActOperate) {
		return
	}
	f := q.r.PostForm
	nc := ledger.NewCustomer{Name: f.Get("name"), Phone: f.Get("phone"), Email: f.Get("email"), Company: f.Get("company"),
		Remark: f.Get("remark"), DefaultCurrency: f.Get("default_currency")}
	var c ledger.Customer
	var err error
	p := q.page(q.L.T("customer.new"), nil)
	if q.r.PathValue("id") != "" {
		id, ok := q.pathID()
		if !ok {
			return
		}
		p.Title = q.L.T("customer.edit")
		p.Data = ledger.Customer{ID: id}
		c, err = web.store.UpdateCustomer(q.r.Context(), q.actor(), id, nc)
	} else {
		c, err = web.store.CreateCustomer(q.r.Context(), q.actor(), nc)
	}
	if err != nil {
		p.Form = f
		if q.formErrors(p, err) {
			q.render("customer_form", http.StatusUnprocessableEntity, p)
			return
		}
		q.internal(err)
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
	if _, err := web.store.ArchiveCustomer(q.r.Context(), q.actor(), id); err != nil {
		q.failErr(err)
		return
	}
	q.redirect("/customers?done=archived")
}
