package web

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"

	"coffer/internal/auth"
	"coffer/internal/ledger"
	"coffer/internal/money"
	"coffer/internal/store"
	"coffer/internal/voucher"
)

type rechargeData struct {
	Customer  ledger.Customer
	Methods   []store.PaymentMethod
	FormToken string
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
	d := rechargeData{FormToken: q.formToken()}
	if id := q.formID(p, p.Form, "customer_id"); id != 0 {
		c, err := web.store.Customer(q.r.Context(), id)
		switch {
		case errors.Is(err, ledger.ErrNotFound):
			p.Errs["customer_id"] = q.L.T("err.not_found")
		case err != nil:
			q.internal(err)
			return
		}
		d.Customer = c
	}
	ms, err := web.store.PaymentMethods(q.r.Context())
	if err != nil {
		q.internal(err)
		return
	}
	for _, m := range ms {
		if m.Enabled {
			d.Methods = append(d.Methods, m)
		}
	}
	if p.Form.Get("currency") == "" && d.Customer.DefaultCurrency != "" {
		p.Form.Set("currency", d.Customer.DefaultCurrency)
	}
	if len(p.Errs) > 0 && status == http.StatusOK { // a link with a customer that is not one
		status = http.StatusUnprocessableEntity
	}
	p.Data = d
	q.render("recharge", status, p)
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
	cur, fields := q.topUpFields(p, f)
	if cid == 0 && p.Errs["customer_id"] == "" {
		p.Errs["customer_id"] = q.L.T("recharge.pick_customer")
	}
	if len(p.Errs) > 0 {
		p.Error = q.L.T("err.fix_fields")
		web.renderRecharge(q, p, http.StatusUnprocessableEntity)
		return
	}
	res, err := web.store.SubmitTopUp(q.r.Context(), q.actor(), store.NewTopUp{CustomerID: cid, Currency: cur.Code(), TopUpFields: fields,
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
	q.redirect("/topups/" + itoa(res.TopUp.ID) + "?done=submitted")
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
// beside its field.
func (q *request) topUpFields(p *page, f url.Values) (money.Currency, ledger.TopUpFields) {
	cur, err := money.LookupCurrency(f.Get("currency"))
	if err != nil {
		p.Errs["currency"] = q.L.T("err.invalid")
	}
	var fields ledger.TopUpFields
	if !cur.IsZero() {
		a, err := money.ParsePositive(f.Get("amount"), cur)
		if err != nil {
			p.Errs["amount"] = q.amountMessage("amount", err)
		}
		fields.Amount = a.Minor()
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
	return cur, fields
}
