package web

import (
	"errors"
	"net/http"

	"coffer/internal/auth"
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
// for a customer's accounts (?customer_id=). An id that does not parse, or
// names nothing, is marked beside its field (422).
func (web *Web) postingForm(q *request, name, title string, p *page, status int) {
	d := postingData{FormToken: q.formToken(), Reasons: ledger.Reasons}
	if err := web.postingTarget(q, p, &d); err != nil {
		q.internal(err)
		return
	}
	if (len(p.Errs) > 0 || p.Error != "") && status < http.StatusBadRequest {
		status = http.StatusUnprocessableEntity
		if p.Error == "" {
			p.Error = q.L.T("err.fix_fields")
		}
	}
	p.Title = title
	p.Data = d
	q.render(name, status, p)
}

// postingTarget finds the form's account, its customer and their accounts;
// it returns only errors that are not the user's.
func (web *Web) postingTarget(q *request, p *page, d *postingData) error {
	if id := q.formID(p, p.Form, "account_id"); id != 0 {
		a, err := web.store.Account(q.r.Context(), id)
		switch {
		case errors.Is(err, ledger.ErrNotFound):
			p.Errs["account_id"] = q.L.T("charge.pick_account")
		case err != nil:
			return err
		default:
			d.Account = a
			if d.Customer, err = web.store.Customer(q.r.Context(), a.CustomerID); err != nil {
				return err // an account's customer is never missing
			}
		}
	}
	if d.Customer.ID == 0 {
		if cid := q.formID(p, p.Form, "customer_id"); cid != 0 {
			c, err := web.store.Customer(q.r.Context(), cid)
			if errors.Is(err, ledger.ErrNotFound) {
				p.Error = q.L.Tf("err.bad_link", "customer_id")
				return nil
			}
			if err != nil {
				return err
			}
			d.Customer = c
		}
	}
	if d.Customer.ID == 0 {
		return nil
	}
	var err error
	d.Accounts, err = web.store.Accounts(q.r.Context(), store.AccountFilter{CustomerID: d.Customer.ID, Sort: "number", Limit: 100})
	return err
}

func (web *Web) chargeForm(q *request) {
	if !q.need(auth.ActOperate) {
		return
	}
	p := q.page("", nil)
	p.Form = q.r.URL.Query()
	web.postingForm(q, "charge", q.L.T("charge.title"), p, 200)
}

func (web *Web) adjustForm(q *request) {
	if !q.need(auth.ActOperate) {
		return
	}
	p := q.page("", nil)
	p.Form = q.r.URL.Query()
	web.postingForm(q, "adjust", q.L.T("adjust.title"), p, 200)
}

// postingAmount reads the form's account and amount in that account's
// currency; problems go beside their fields, and only an error that is not
// the user's is returned.
func (web *Web) postingAmount(q *request, p *page) (ledger.Account, int64, error) {
	f := q.r.PostForm
	id := q.formID(p, f, "account_id")
	if id == 0 {
		if p.Errs["account_id"] == "" {
			p.Errs["account_id"] = q.L.T("charge.pick_account")
		}
		return ledger.Account{}, 0, nil
	}
	a, err := web.store.Account(q.r.Context(), id)
	if errors.Is(err, ledger.ErrNotFound) {
		p.Errs["account_id"] = q.L.T("charge.pick_account")
		return a, 0, nil
	}
	if err != nil {
		return a, 0, err
	}
	amt, err := money.ParsePositive(f.Get("amount"), a.Currency)
	if err != nil {
		p.Errs["amount"] = q.amountMessage("amount", err)
		return a, 0, nil
	}
	return a, amt.Minor(), nil
}

// postingSubmit reads a consumption or adjustment form's account and
// amount, posts it, and shows the account; a problem goes back to the form
// with everything typed kept and the field marked. fieldErr is a problem
// the caller found in the form's other fields, shown with the rest.
func (web *Web) postingSubmit(q *request, form, titleKey, done string, fieldErr error, post func(a ledger.Account, amount int64) error) {
	if !q.need(auth.ActOperate) {
		return
	}
	p := q.page("", nil)
	p.Form = q.r.PostForm
	a, amount, err := web.postingAmount(q, p)
	if err != nil {
		q.internal(err)
		return
	}
	if fieldErr != nil {
		q.formErrors(p, fieldErr)
	}
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
	web.postingSubmit(q, "charge", "charge.title", "charged", nil, func(a ledger.Account, amount int64) error {
		_, err := web.store.Charge(q.r.Context(), ledger.Charge{AccountID: a.ID, Amount: amount, Reference: f.Get("reference"),
			Note: f.Get("note"), Actor: q.actor(), Idem: q.idem()})
		return err
	})
}

func (web *Web) adjustSubmit(q *request) {
	f := q.r.PostForm
	// The transaction corrected is optional; a typo in it is refused, as
	// the API refuses it, not posted as an adjustment that corrects nothing.
	corrects, badCorrects := q.idField(f, "corrects")
	web.postingSubmit(q, "adjust", "adjust.title", "adjusted", badCorrects, func(a ledger.Account, amount int64) error {
		_, err := web.store.Adjust(q.r.Context(), ledger.Adjustment{Target: ledger.Target{AccountID: a.ID}, Direction: ledger.Direction(f.Get("direction")),
			Amount: amount, Reason: ledger.Reason(f.Get("reason")), Note: f.Get("note"), Corrects: corrects, Actor: q.actor(), Idem: q.idem()})
		return err
	})
}

type reverseData struct {
	txDetailData
	FormToken string
	// Balance is the account's balance now; After, what the reversal
	// leaves (the transaction's amount undone).
	Balance, After int64
}

func (web *Web) reverseConfirm(q *request) {
	if !q.need(auth.ActOperate) {
		return
	}
	d, ok := web.txDetail(q)
	if !ok {
		return
	}
	web.reverseForm(q, d, q.page("", nil), http.StatusOK)
}

// reverseSubmit posts the reversal and shows it; a refusal comes back to
// the confirmation with the note kept and the reason said. A repeat of the
// form (its token is the idempotency key) shows the first reversal.
func (web *Web) reverseSubmit(q *request) {
	if !q.need(auth.ActOperate) {
		return
	}
	d, ok := web.txDetail(q)
	if !ok {
		return
	}
	p := q.page("", nil)
	p.Form = q.r.PostForm
	posted, err := web.store.Reverse(q.r.Context(), ledger.Reversal{TransactionID: d.T.ID, Note: p.Form.Get("note"), Actor: q.actor(), Idem: q.idem()})
	if err != nil {
		web.reverseFailed(q, d, p, err)
		return
	}
	q.redirect("/transactions/" + itoa(posted.Transaction.ID) + "?done=reversed")
}
