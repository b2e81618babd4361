package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/store"
)

// postingData is the consumption or adjustment form: the picker until a
// customer is chosen, then the customer's accounts and the form itself.
type postingData struct {
	Today     string // the business time zone's, the first day a bonus may end
	Pick      pickData
	Account   ledger.Account // the account chosen, if one is
	Customer  ledger.Customer
	Accounts  []store.AccountRow // the customer's accounts to choose from
	Currency  currencyChoice     // adjustment: a first one opens an account
	FormToken string
	Reasons   []ledger.Reason
	Posted    *postedView // the posting just made, after a success
}

// postedView is a posting just made, as the form shows it after success.
type postedView struct {
	Tx       ledger.Transaction
	Account  ledger.Account
	Customer ledger.Customer
	Done     string // what the flash would have said: "Consumption posted."
}

// AmountCurrency is the currency of the account chosen (choice is the
// form's account_id), which the amount is in; "" before one is chosen.
func (d postingData) AmountCurrency(choice string) string {
	if choice == newAccount {
		return d.Currency.Selected
	}
	for _, a := range d.Accounts {
		if itoa(a.ID) == choice {
			return a.Currency.Code()
		}
	}
	return ""
}

// Amount is the posting's amount without its sign; the type says which way.
func (v postedView) Amount() int64 {
	if v.Tx.Amount < 0 {
		return -v.Tx.Amount
	}
	return v.Tx.Amount
}

// Bonus is what the posting moved of the account's bonus (SPEC 11): a
// bonus credit, or the part of a debit that bonus paid.
func (v postedView) Bonus() int64 {
	b, _ := partSums(v.Tx.Entries, v.Tx.AccountID)
	return b
}

// postingForm shows the consumption or adjustment form (name) for an
// account (?account_id=), a customer's accounts (?customer_id=), or what
// the picker found (?q=). An id that does not parse, or names nothing, is
// marked beside its field (422).
func (web *Web) postingForm(q *request, name string, p *page, status int) {
	d := postingData{FormToken: q.formToken(), Reasons: ledger.Reasons, Today: web.now().In(q.L.loc).Format(time.DateOnly)}
	if err := web.postingPage(q, name, p, &d); err != nil {
		q.internal(err)
		return
	}
	if (len(p.Errs) > 0 || p.Error != "") && status < http.StatusBadRequest {
		status = http.StatusUnprocessableEntity
		if p.Error == "" {
			p.Error = q.L.T("err.fix_fields")
		}
	}
	p.Title = q.L.T("charge.title")
	if name == "adjust" {
		p.Title = q.L.T("adjust.title")
	}
	p.Data = d
	q.render(name, status, p)
}

// postingPage gathers what the form shows; it returns only errors that
// are not the user's.
func (web *Web) postingPage(q *request, name string, p *page, d *postingData) error {
	var err error
	if d.Posted, err = web.postedView(q, p); err != nil {
		return err
	}
	if d.Pick, err = web.pickSearch(q, name, p.Form.Get("q")); err != nil {
		return err
	}
	if a, ok := d.Pick.exactAccount(); ok && p.Form.Get("account_id") == "" {
		p.Form.Set("account_id", itoa(a.ID)) // the account number typed is that account
	}
	if err := web.postingTarget(q, p, d); err != nil {
		return err
	}
	if name == "adjust" && d.Customer.ID != 0 {
		// A first adjustment is in a currency the customer has no account
		// in: the others in use, or any code.
		d.Currency, err = web.currencyChoice(q, p.Form, d.Accounts, "")
		d.Currency.Own = nil
	}
	return err
}

// postedView reads the posting a success sent the browser back with
// (?tx=), to show it above a fresh form.
func (web *Web) postedView(q *request, p *page) (*postedView, error) {
	id := q.linkID(p, "tx")
	if id == 0 || p.Error != "" {
		return nil, nil
	}
	v := postedView{Done: p.Flash}
	var err error
	if v.Tx, err = web.store.Transaction(q.r.Context(), id); errors.Is(err, ledger.ErrNotFound) {
		p.Error = q.L.Tf("err.bad_link", "tx")
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if v.Account, err = web.store.Account(q.r.Context(), v.Tx.AccountID); err != nil {
		return nil, err
	}
	if v.Customer, err = web.store.Customer(q.r.Context(), v.Account.CustomerID); err != nil {
		return nil, err
	}
	p.Flash = "" // the view says it, with the details
	p.Form.Del("tx")
	return &v, nil
}

// postingTarget finds the form's account, its customer and their accounts;
// it returns only errors that are not the user's.
func (web *Web) postingTarget(q *request, p *page, d *postingData) error {
	if p.Form.Get("account_id") != newAccount {
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
	if d.Account.ID == 0 && len(d.Accounts) == 1 && p.Form.Get("account_id") == "" && !d.Pick.Closed(d.Accounts[0].Account) {
		p.Form.Set("account_id", itoa(d.Accounts[0].ID)) // the only one: chosen
	}
	return err
}

// newAccount is the account choice of a first adjustment in a currency.
const newAccount = "new"

func (web *Web) chargeForm(q *request) {
	if !q.need(auth.ActOperate) {
		return
	}
	p := q.page("", nil)
	p.Form = q.r.URL.Query()
	web.postingForm(q, "charge", p, http.StatusOK)
}

func (web *Web) adjustForm(q *request) {
	if !q.need(auth.ActOperate) {
		return
	}
	p := q.page("", nil)
	p.Form = q.r.URL.Query()
	web.postingForm(q, "adjust", p, http.StatusOK)
}

// postingAmount reads the form's target and its amount in the target's
// currency: an account of the customer's, or (a first adjustment) the
// customer and a currency, whose account the store opens. Problems go
// beside their fields; only an error that is not the user's is returned.
func (web *Web) postingAmount(q *request, p *page, opening bool) (ledger.Target, ledger.Account, int64, error) {
	f := q.r.PostForm
	if opening && f.Get("account_id") == newAccount {
		cid := q.formID(p, f, "customer_id")
		code := q.formCurrency(p, f)
		if cid == 0 || code == "" {
			if cid == 0 && p.Errs["customer_id"] == "" {
				p.Errs["account_id"] = q.L.T("charge.pick_account")
			}
			return ledger.Target{}, ledger.Account{}, 0, nil
		}
		cur, _ := money.LookupCurrency(code)
		return ledger.Target{CustomerID: cid, Currency: code}, ledger.Account{}, q.formAmount(p, "amount", f.Get("amount"), cur), nil
	}
	id := q.formID(p, f, "account_id")
	if id == 0 {
		if p.Errs["account_id"] == "" {
			p.Errs["account_id"] = q.L.T("charge.pick_account")
		}
		return ledger.Target{}, ledger.Account{}, 0, nil
	}
	a, err := web.store.Account(q.r.Context(), id)
	if errors.Is(err, ledger.ErrNotFound) {
		p.Errs["account_id"] = q.L.T("charge.pick_account")
		return ledger.Target{}, a, 0, nil
	}
	if err != nil {
		return ledger.Target{}, a, 0, err
	}
	return ledger.Target{AccountID: a.ID}, a, q.formAmount(p, "amount", f.Get("amount"), a.Currency), nil
}

// postingSubmit reads a consumption or adjustment form's target and
// amount, posts it, and sends the browser back to the form with the
// posting shown; a problem goes back to the form with everything typed
// kept and the field marked. fieldErrs are the problems (nil: none) the
// caller found in the form's other fields, shown with the rest.
func (web *Web) postingSubmit(q *request, form, done string, fieldErrs []error, post func(t ledger.Target, amount int64) (store.AdjustOutcome, error)) {
	if !q.need(auth.ActOperate) {
		return
	}
	p := q.page("", nil)
	p.Form = q.r.PostForm
	t, a, amount, err := web.postingAmount(q, p, form == "adjust")
	if err != nil {
		q.internal(err)
		return
	}
	for _, err := range fieldErrs {
		if err != nil {
			q.formErrors(p, err)
		}
	}
	if len(p.Errs) > 0 {
		p.Error = q.L.T("err.fix_fields")
		web.postingForm(q, form, p, http.StatusUnprocessableEntity)
		return
	}
	res, err := post(t, amount)
	if errors.Is(err, ledger.ErrInsufficientFunds) {
		web.refusedDebit(q, p, a.ID)
		web.postingForm(q, form, p, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		if q.formErrors(p, err) {
			web.postingForm(q, form, p, http.StatusUnprocessableEntity)
			return
		}
		q.internal(err)
		return
	}
	if res.Approval != nil { // nothing was posted: it waits for a second person (SPEC 9)
		q.redirect(queuedTo("/"+form, res.Approval))
		return
	}
	q.redirect("/" + form + "?done=" + done + "&tx=" + itoa(res.Posted.Transaction.ID))
}

// refusedDebit says beside the amount that the account cannot pay it, and
// how much it can: the account as it is now, after the refusal.
func (web *Web) refusedDebit(q *request, p *page, id int64) {
	p.Error = q.L.T("err.insufficient_funds")
	a, err := web.store.Account(q.r.Context(), id)
	if err != nil {
		p.Errs["amount"] = p.Error
		return
	}
	avail, _ := a.Available(web.now())
	p.Errs["amount"] = q.L.Tf("charge.insufficient", q.L.Money(avail, a.Currency.Code()))
}

func (web *Web) chargeSubmit(q *request) {
	f := q.r.PostForm
	web.postingSubmit(q, "charge", "charged", nil, func(t ledger.Target, amount int64) (store.AdjustOutcome, error) {
		p, err := web.store.Charge(q.r.Context(), ledger.Charge{AccountID: t.AccountID, Amount: amount, Reference: f.Get("reference"),
			Note: f.Get("note"), Actor: q.actor(), Idem: q.idem()})
		return store.AdjustOutcome{Posted: p}, err
	})
}

func (web *Web) adjustSubmit(q *request) {
	f := q.r.PostForm
	// The transaction corrected is optional; a typo in it is refused, as
	// the API refuses it, not posted as an adjustment that corrects nothing.
	corrects, badCorrects := q.idField(f, "corrects")
	// A promotion's credit may be bonus (SPEC 11), valid through a day.
	expires, badExpiry := q.bonusExpiry(f)
	web.postingSubmit(q, "adjust", "adjusted", []error{badCorrects, badExpiry}, func(t ledger.Target, amount int64) (store.AdjustOutcome, error) {
		r := ledger.Adjustment{Target: t, Direction: ledger.Direction(f.Get("direction")), Amount: amount, Reason: ledger.Reason(f.Get("reason")),
			Note: f.Get("note"), Corrects: corrects, Bonus: f.Get("bonus") == "1", BonusExpiresAt: expires, Actor: q.actor(), Idem: q.idem()}
		return web.store.SubmitAdjustment(q.r.Context(), r)
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
