package web

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/voucher"
)

// rechargeData is the recharge form (G's "Account Recharge" dialog): the
// picker until a customer is chosen, then the request's fields.
type rechargeData struct {
	Pick         pickData
	Customer     ledger.Customer
	Accounts     []store.AccountRow
	Currency     currencyChoice
	Methods      []store.PaymentMethod
	Direct       bool // a direct top-up is offered: the setting is on and the role may
	FormToken    string
	Submitted    *ledger.TopUpRequest // the request just submitted, after a success
	SubmittedFor ledger.Customer      // its customer
	Done         string               // and what the flash would have said of it
	// Back is the list the form was opened over, as a dialog: where a
	// submitted request returns ("" on the form's own page).
	Back string
	// Account is the account the form was opened for (?account_id=), which
	// the dialog names.
	Account ledger.Account
	// BonusHint is the bonus the amount typed would bring (SPEC 11).
	BonusHint *bonusHint
}

// formToken is the idempotency key of one rendering of a money form: a
// double click, a refresh or the back button sends it again, and the store
// answers with the first result instead of posting twice.
func (q *request) formToken() string {
	if t := q.r.PostFormValue("form_token"); t != "" {
		return t
	}
	return randomToken()
}

func (q *request) idem() ledger.Idempotency {
	return ledger.Idempotency{Scope: q.actor().IdempotencyScope(), Key: "web:" + q.r.PostFormValue("form_token")}
}

func (web *Web) rechargeForm(q *request) {
	if !q.need(auth.ActOperate) {
		return
	}
	p := q.page(q.L.T("recharge.title"), nil)
	p.Form = q.r.URL.Query()
	web.renderRecharge(q, p, http.StatusOK)
}

func (web *Web) renderRecharge(q *request, p *page, status int) {
	d := rechargeData{FormToken: q.formToken(), Back: dialogBack(p.Form.Get("back"))}
	if err := web.rechargeTarget(q, p, &d); err != nil {
		q.internal(err)
		return
	}
	if err := web.rechargeOptions(q, p, &d); err != nil {
		q.internal(err)
		return
	}
	hint, err := web.bonusHintFor(q, p.Form.Get("amount"), chosenCurrency(p.Form))
	if err != nil {
		q.internal(err)
		return
	}
	d.BonusHint = hint
	if (len(p.Errs) > 0 || p.Error != "") && status == http.StatusOK { // a link with a value that is not one
		status = http.StatusUnprocessableEntity
	}
	p.Data = d
	if q.r.Header.Get("HX-Request") == "true" && d.Back != "" && status == http.StatusOK {
		q.renderBlock("recharge", "recharge_dialog", status, p)
		return
	}
	q.render("recharge", status, p)
}

// dialogBack is the list a recharge dialog was opened over, if back names
// one: the accounts list, with its filters. Anything else is no dialog's.
func dialogBack(back string) string {
	if b := safeNext(back); b == "/accounts" || strings.HasPrefix(b, "/accounts?") {
		return b
	}
	return ""
}

// rechargeTarget finds whom the form is for: the customer chosen
// (?customer_id=), the customer of an account (?account_id=, which also
// chooses its currency), or what the picker found (?q=); and the request
// just submitted (?topup=).
func (web *Web) rechargeTarget(q *request, p *page, d *rechargeData) error {
	var err error
	if d.Pick, err = web.pickSearch(q, "recharge", p.Form.Get("q")); err != nil {
		return err
	}
	if a, ok := d.Pick.exactAccount(); ok {
		p.Form.Set("account_id", itoa(a.ID))
	}
	if id := q.formID(p, p.Form, "account_id"); id != 0 {
		a, err := web.store.Account(q.r.Context(), id)
		switch {
		case errors.Is(err, ledger.ErrNotFound):
			p.Error = q.L.Tf("err.bad_link", "account_id")
		case err != nil:
			return err
		default:
			d.Account = a
			p.Form.Set("customer_id", itoa(a.CustomerID))
			if p.Form.Get("currency") == "" {
				p.Form.Set("currency", a.Currency.Code())
			}
		}
	}
	if err := web.submittedView(q, p, d); err != nil {
		return err
	}
	if id := q.formID(p, p.Form, "customer_id"); id != 0 {
		c, err := web.store.Customer(q.r.Context(), id)
		switch {
		case errors.Is(err, ledger.ErrNotFound):
			p.Errs["customer_id"] = q.L.T("err.not_found")
		case err != nil:
			return err
		}
		d.Customer = c
	}
	if d.Customer.ID == 0 {
		return nil
	}
	d.Accounts, err = web.store.Accounts(q.r.Context(), store.AccountFilter{CustomerID: d.Customer.ID, Sort: "number", Limit: 100})
	return err
}

// submittedView reads the request a success sent the browser back with
// (?topup=), to show it above a fresh form.
func (web *Web) submittedView(q *request, p *page, d *rechargeData) error {
	tid := q.linkID(p, "topup")
	if tid == 0 {
		return nil
	}
	t, err := web.store.TopUpRequest(q.r.Context(), tid)
	if errors.Is(err, ledger.ErrNotFound) {
		p.Error = q.L.Tf("err.bad_link", "topup")
		return nil
	}
	if err != nil {
		return err
	}
	if d.SubmittedFor, err = web.store.Customer(q.r.Context(), t.CustomerID); err != nil {
		return err
	}
	d.Submitted, d.Done = &t, p.Flash
	p.Flash = "" // the form says it, with a link to the request
	return nil
}

// rechargeOptions lists the currencies, the payment methods switched on,
// and whether a direct top-up is offered: only while the setting is on and
// to a role that may (SPEC section 2, T).
func (web *Web) rechargeOptions(q *request, p *page, d *rechargeData) error {
	var err error
	if d.Currency, err = web.currencyChoice(q, p.Form, d.Accounts, d.Customer.DefaultCurrency); err != nil {
		return err
	}
	ms, err := web.store.PaymentMethods(q.r.Context())
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.Enabled {
			d.Methods = append(d.Methods, m)
		}
	}
	if q.can(auth.ActDirectTopUp) {
		settings, err := web.store.Settings(q.r.Context())
		if err != nil {
			return err
		}
		d.Direct = settings.DirectTopUp
	}
	return nil
}

func (web *Web) rechargeSubmit(q *request) {
	if !q.need(auth.ActOperate) {
		return
	}
	f := q.r.PostForm
	p := q.page(q.L.T("recharge.title"), nil)
	p.Form = f
	files, err := q.voucherFiles(p)
	if err != nil {
		q.internal(err)
		return
	}
	cid := q.formID(p, f, "customer_id")
	code := q.formCurrency(p, f)
	fields := q.topUpFields(p, f, code)
	if cid == 0 && p.Errs["customer_id"] == "" {
		p.Errs["customer_id"] = q.L.T("recharge.pick_customer")
	}
	if len(p.Errs) > 0 {
		p.Error = q.L.T("err.fix_fields")
		web.renderRecharge(q, p, http.StatusUnprocessableEntity)
		return
	}
	res, err := web.store.SubmitTopUp(q.r.Context(), q.actor(), store.NewTopUp{CustomerID: cid, Currency: code, TopUpFields: fields,
		Direct: f.Get("direct") == "1"}, q.idem())
	if q.formErrors(p, err) {
		web.renderRecharge(q, p, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		q.internal(err)
		return
	}
	if !res.Replayed {
		for _, fl := range files {
			if _, err := web.store.AddVoucher(q.r.Context(), q.actor(), res.TopUp.ID, fl.contentType, fl.data); err != nil {
				q.internal(err)
				return
			}
		}
	}
	done := "submitted"
	if res.TopUp.Status == ledger.TopUpApproved {
		done = "approved" // a direct top-up, posted at once
	}
	if back := dialogBack(q.r.PostFormValue("back")); back != "" {
		// From the dialog over the list: the list again, saying what was done.
		sep := "?"
		if strings.Contains(back, "?") {
			sep = "&"
		}
		q.redirect(back + sep + "done=" + done)
		return
	}
	q.redirect("/recharge?done=" + done + "&topup=" + itoa(res.TopUp.ID))
}

// voucherFile is an uploaded voucher image, judged by its bytes.
type voucherFile struct {
	contentType string
	data        []byte
}

// voucherFiles reads and judges every voucher of the form before anything
// is stored; a file too large or not an image is the user's to fix, beside
// the field. The error is a fault of reading the upload.
func (q *request) voucherFiles(p *page) ([]voucherFile, error) {
	if q.r.MultipartForm == nil {
		return nil, nil
	}
	var files []voucherFile
	for _, fh := range q.r.MultipartForm.File["vouchers"] {
		if fh.Size == 0 && fh.Filename == "" {
			continue
		}
		rd, err := fh.Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(rd, voucher.MaxBytes+1))
		rd.Close()
		if err != nil {
			return nil, err
		}
		if len(data) > voucher.MaxBytes {
			p.Errs["vouchers"] = q.L.Tf("recharge.voucher_too_large", fh.Filename)
			break
		}
		ct, err := voucher.Sniff(data)
		if err != nil {
			p.Errs["vouchers"] = q.L.Tf("recharge.voucher_bad", fh.Filename)
			break
		}
		files = append(files, voucherFile{ct, data})
	}
	return files, nil
}

// topUpFields reads what the recharge form says of the money, each problem
// beside its field; code is the currency chosen ("" when it is not one).
// No payment method is chosen for the user: an empty one is required.
func (q *request) topUpFields(p *page, f url.Values, code string) ledger.TopUpFields {
	var fields ledger.TopUpFields
	if cur, err := money.LookupCurrency(code); err == nil {
		fields.Amount = q.formAmount(p, "amount", f.Get("amount"), cur)
	}
	if f.Get("payment_method") == "" {
		p.Errs["payment_method"] = q.L.T("why.required")
	}
	fields.PaymentMethodID = q.formID(p, f, "payment_method")
	fields.PaymentAccount, fields.TransactionNo, fields.Remark = f.Get("payment_account"), f.Get("transaction_no"), f.Get("remark")
	fields.PaymentStatus = "unpaid"
	if f.Get("paid") == "1" {
		fields.PaymentStatus = "paid"
	}
	if s := f.Get("paid_at"); s != "" {
		t, err := time.ParseInLocation(time.DateOnly, s, q.L.loc)
		if err != nil {
			p.Errs["paid_at"] = q.L.T("err.date")
		}
		fields.PaidAt = &t
	}
	return fields
}
