package web

import (
	"net/http"
	"strconv"

	"coffer/internal/ledger"
	"coffer/internal/money"
	"coffer/internal/store"
)

type postingData struct {
	Account   ledger.Account
	Customer  ledger.Customer
	Accounts  []store.AccountRow // the customer's accounts to choose from
	FormToken string
	Reasons   []ledger.Reason
}

// postingForm shows the consumption or adjustment form for an account, or
// for a customer's accounts (?customer_id=).
func (web *Web) postingForm(q *request, name, title string, p *page, status int) {
	d := postingData{FormToken: q.formToken(), Reasons: ledger.Reasons}
	if id, err := strconv.ParseInt(p.Form.Get("account_id"), 10, 64); err == nil {
		if a, err := web.store.Account(q.ctx, id); err == nil {
			d.Account = a
			d.Customer, _ = web.store.Customer(q.ctx, a.CustomerID)
		}
	}
	cid := d.Customer.ID
	if cid == 0 {
		cid, _ = strconv.ParseInt(p.Form.Get("customer_id"), 10, 64)
		if cid != 0 {
			d.Customer, _ = web.store.Customer(q.ctx, cid)
		}
	}
	if cid != 0 {
		d.Accounts, _ = web.store.Accounts(q.ctx, store.AccountFilter{CustomerID: cid, Sort: "number", Limit: 100})
	}
	p.Title = title
	p.Data = d
	q.render(name, status, p)
}

func (web *Web) chargeForm(q *request) {
	if !q.need(actOperate) {
		return
	}
	p := q.page("", nil)
	p.Form = q.r.URL.Query()
	web.postingForm(q, "charge", q.L.T("charge.title"), p, 200)
}

func (web *Web) adjustForm(q *request) {
	if !q.need(actOperate) {
		return
	}
	p := q.page("", nil)
	p.Form = q.r.URL.Query()
	web.postingForm(q, "adjust", q.L.T("adjust.title"), p, 200)
}

// postingAmount reads the form's account and amount in that account's currency.
func (web *Web) postingAmount(q *request, p *page) (ledger.Account, int64) {
	f := q.r.PostForm
	id, _ := strconv.ParseInt(f.Get("account_id"), 10, 64)
	a, err := web.store.Account(q.ctx, id)
	if err != nil {
		p.Errs["account_id"] = q.L.T("charge.pick_account")
		return a, 0
	}
	amt, err := money.ParsePositive(f.Get("amount"), a.Currency)
	if err != nil {
		p.Errs["amount"] = err.Error()
		return a, 0
	}
	return a, amt.Minor()
}

// postingSubmit reads a consumption or adjustment form's account and
// amount, posts it, and shows the account; a problem goes back to the form
// with everything typed kept and the field marked.
func (web *Web) postingSubmit(q *request, form, titleKey, done string, post func(a ledger.Account, amount int64) error) {
	if !q.need(actOperate) {
		return
	}
	p := q.page("", nil)
	p.Form = q.r.PostForm
	a, amount := web.postingAmount(q, p)
	if len(p.Errs) > 0 {
		p.Error = q.L.T("err.fix_fields")
		web.postingForm(q, form, q.L.T(titleKey), p, http.StatusUnprocessableEntity)
		return
	}
	if err := post(a, amount); err != nil {
		if q.formErrors(p, err) {
			web.postingForm(q, form, q.L.T(titleKey), p, http.StatusUnprocessableEntity)
			return
		}
		q.internal(err)
		return
	}
	q.redirect("/accounts/" + itoa(a.ID) + "?done=" + done)
}

func (web *Web) chargeSubmit(q *request) {
	f := q.r.PostForm
	web.postingSubmit(q, "charge", "charge.title", "charged", func(a ledger.Account, amount int64) error {
		_, err := web.store.Charge(q.ctx, ledger.Charge{AccountID: a.ID, Amount: amount, Reference: f.Get("reference"),
			Note: f.Get("note"), Actor: q.actor(), Idem: q.idem()})
		return err
	})
}

func (web *Web) adjustSubmit(q *request) {
	f := q.r.PostForm
	web.postingSubmit(q, "adjust", "adjust.title", "adjusted", func(a ledger.Account, amount int64) error {
		corrects, _ := strconv.ParseInt(f.Get("corrects"), 10, 64)
		_, err := web.store.Adjust(q.ctx, ledger.Adjustment{Target: ledger.Target{AccountID: a.ID}, Direction: ledger.Direction(f.Get("direction")),
			Amount: amount, Reason: ledger.Reason(f.Get("reason")), Note: f.Get("note"), Corrects: corrects, Actor: q.actor(), Idem: q.idem()})
		return err
	})
}

type reverseData struct {
	Tx        ledger.Transaction
	FormToken string
}

func (web *Web) reverseConfirm(q *request) {
	if !q.need(actOperate) {
		return
	}
	id, ok := q.pathID()
	if !ok {
		return
	}
	t, err := web.store.Transaction(q.ctx, id)
	if err != nil {
		q.fail(http.StatusNotFound, "err.not_found")
		return
	}
	q.render("reverse", 200, q.page(q.L.T("reverse.title"), reverseData{Tx: t, FormToken: randomToken()}))
}

func (web *Web) reverseSubmit(q *request) {
	if !q.need(actOperate) {
		return
	}
	id, ok := q.pathID()
	if !ok {
		return
	}
	p, err := web.store.Reverse(q.ctx, ledger.Reversal{TransactionID: id, Note: q.r.PostFormValue("note"), Actor: q.actor(), Idem: q.idem()})
	if err != nil {
		q.failErr(err)
		return
	}
	q.redirect("/accounts/" + itoa(p.Transaction.AccountID) + "?done=reversed")
}
