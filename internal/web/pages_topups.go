package web

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"coffer/internal/auth"
	"coffer/internal/ledger"
	"coffer/internal/money"
	"coffer/internal/store"
	"coffer/internal/voucher"
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
	if err := web.rechargeTarget(q, p, &d); err != nil {
		q.internal(err)
		return
	}
	if err := web.rechargeOptions(q, p, &d); err != nil {
		q.internal(err)
		return
	}
	if (len(p.Errs) > 0 || p.Error != "") && status == http.StatusOK { // a link with a value that is not one
		status = http.StatusUnprocessableEntity
	}
	p.Data = d
	q.render("recharge", status, p)
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

type topupsData struct {
	Items     []ledger.TopUpRequest
	Methods   map[int64]string
	Names     map[int64]string
	Next      string
	Export    string
	FormToken string
}

func (web *Web) topupList(q *request, f store.TopUpFilter) (topupsData, error) {
	items, err := web.store.TopUpRequests(q.r.Context(), f)
	if err != nil {
		return topupsData{}, err
	}
	return web.topupData(q, items)
}

// topupData is what the top-up pages show beside the requests: the names
// of their payment methods and customers.
func (web *Web) topupData(q *request, items []ledger.TopUpRequest) (topupsData, error) {
	d := topupsData{Items: items, Methods: map[int64]string{}, Names: map[int64]string{}, FormToken: randomToken()}
	ms, err := web.store.PaymentMethods(q.r.Context())
	if err != nil {
		return d, err
	}
	for _, m := range ms {
		d.Methods[m.ID] = m.Name
	}
	for _, t := range items {
		if _, ok := d.Names[t.CustomerID]; !ok {
			c, err := web.store.Customer(q.r.Context(), t.CustomerID)
			if err != nil {
				return d, err
			}
			d.Names[t.CustomerID] = c.Name
		}
	}
	return d, nil
}

// reviewsData is the recharge audit page. Each request's forms carry the
// version shown, and the actual amount starts as the amount shown, so that
// a decision is always about what the reviewer saw (SPEC section 7).
type reviewsData struct {
	topupsData
	Amounts map[int64]string // the actual amount box of each request
	Posted  string           // after a refused form: "approve" or "reject"
}

// reviewsPage shows requests with their review forms. After a refused
// form (posted: "approve" or "reject"), p.Form holds what was typed in it,
// and it stays, except that a stale form's amount gives way to the
// request's current one.
func (web *Web) reviewsPage(q *request, p *page, items []ledger.TopUpRequest, posted string, status int) {
	td, err := web.topupData(q, items)
	if err != nil {
		q.internal(err)
		return
	}
	d := reviewsData{topupsData: td, Amounts: map[int64]string{}, Posted: posted}
	for _, t := range items {
		cur, _ := money.LookupCurrency(t.Currency)
		d.Amounts[t.ID] = money.New(t.Amount, cur).String()
		if posted == "approve" && status != http.StatusConflict {
			d.Amounts[t.ID] = p.Form.Get("actual_amount")
		}
	}
	p.Data = d
	q.render("reviews", status, p)
}

// reviews is the recharge audit queue: pending requests, oldest first.
func (web *Web) reviews(q *request) {
	items, err := web.store.TopUpRequests(q.r.Context(), store.TopUpFilter{Status: ledger.TopUpPending, Limit: 200})
	if err != nil {
		q.internal(err)
		return
	}
	slices.Reverse(items)
	web.reviewsPage(q, q.page(q.L.T("nav.reviews"), nil), items, "", http.StatusOK)
}

func (web *Web) approve(q *request) { web.decide(q, true) }

func (web *Web) reject(q *request) { web.decide(q, false) }

// decide records a reviewer's decision from the recharge audit page. A
// form whose version is no longer current (or that has none) changes
// nothing: the reviewer gets the request as it is now, to decide again.
func (web *Web) decide(q *request, approve bool) {
	if !q.need(auth.ActReview) {
		return
	}
	id, ok := q.pathID()
	if !ok {
		return
	}
	t, err := web.store.TopUpRequest(q.r.Context(), id)
	if err != nil {
		q.failErr(err)
		return
	}
	f := q.r.PostForm
	p := q.page(q.L.T("nav.reviews"), nil)
	p.Form = f
	d := store.TopUpDecision{Approve: approve, Remark: f.Get("remark")}
	posted := "reject"
	if approve {
		posted = "approve"
	}
	version, err := strconv.ParseInt(f.Get("version"), 10, 64)
	if err == nil {
		d.Version = &version
		err = web.readApproval(q, t, &d)
	} else {
		err = ledger.ErrStaleVersion
	}
	if err == nil {
		_, err = web.store.ReviewTopUp(q.r.Context(), q.actor(), id, d, q.idem())
	}
	var ve *ledger.ValidationError
	switch {
	case err == nil && approve:
		q.redirect("/reviews?done=approved")
	case err == nil:
		q.redirect("/reviews?done=rejected")
	case errors.Is(err, ledger.ErrStaleVersion):
		web.redecide(q, p, id, posted)
	case errors.As(err, &ve):
		q.formErrors(p, err)
		web.reviewsPage(q, p, []ledger.TopUpRequest{t}, posted, http.StatusUnprocessableEntity)
	default:
		q.failErr(err)
	}
}

// readApproval reads the approve form's amount and rate into d, noting
// problems beside their fields. The amount is required: the form starts
// with the amount it showed, and an empty box must not mean "whatever the
// request says by the time it is approved".
func (web *Web) readApproval(q *request, t ledger.TopUpRequest, d *store.TopUpDecision) error {
	if !d.Approve {
		return nil
	}
	d.ExchangeRate = q.r.PostFormValue("exchange_rate")
	cur, _ := money.LookupCurrency(t.Currency)
	s := q.r.PostFormValue("actual_amount")
	if s == "" {
		return ledger.Invalid("actual_amount", q.L.T("err.required"))
	}
	a, err := money.ParsePositive(s, cur)
	if err != nil {
		return ledger.AmountProblem("actual_amount", err)
	}
	m := a.Minor()
	d.ActualAmount = &m
	return nil
}

// redecide answers a stale form with the request as it is now, its amount
// and version in fresh forms, and says why.
func (web *Web) redecide(q *request, p *page, id int64, posted string) {
	t, err := web.store.TopUpRequest(q.r.Context(), id)
	if err != nil {
		q.failErr(err)
		return
	}
	if t.Status != ledger.TopUpPending {
		q.failErr(ledger.ErrNotPending)
		return
	}
	p.Error = q.L.T(ledger.ErrStaleVersion.Key())
	p.Errs = map[string]string{}
	web.reviewsPage(q, p, []ledger.TopUpRequest{t}, posted, http.StatusConflict)
}

func (web *Web) cancelTopUp(q *request) {
	if !q.need(auth.ActOperate) {
		return
	}
	id, ok := q.pathID()
	if !ok {
		return
	}
	if _, err := web.store.CancelTopUp(q.r.Context(), q.actor(), id, q.idem()); err != nil {
		q.failErr(err)
		return
	}
	q.redirect("/topups/" + itoa(id) + "?done=cancelled")
}

// topups lists recharge records with filters.
func (web *Web) topups(q *request) {
	v := q.r.URL.Query()
	p := q.page(q.L.T("nav.topups"), nil)
	p.Form = v
	f := store.TopUpFilter{Status: ledger.TopUpStatus(v.Get("status")), Limit: 50}
	f.PaymentMethodID = q.formID(p, v, "payment_method")
	f.CustomerID = q.linkID(p, "customer_id")
	f.BeforeID = q.cursor(p, "before")
	if f.Status != "" && !slices.Contains([]ledger.TopUpStatus{ledger.TopUpPending, ledger.TopUpApproved, ledger.TopUpRejected, ledger.TopUpCancelled}, f.Status) {
		p.Errs["status"] = q.L.T("err.invalid")
	}
	for _, d := range []struct {
		field string
		dst   **time.Time
		end   bool
	}{{"from", &f.From, false}, {"to", &f.To, true}} {
		if s := v.Get(d.field); s != "" {
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
	}
	ms, err := web.store.PaymentMethods(q.r.Context())
	if err != nil {
		q.internal(err)
		return
	}
	type listData struct {
		topupsData
		AllMethods []store.PaymentMethod
	}
	p.Data = listData{AllMethods: ms}
	if q.queryRefused("topups", p) {
		return
	}
	d, err := web.topupList(q, f)
	if err != nil {
		q.internal(err)
		return
	}
	if len(d.Items) == f.Limit {
		next := url.Values{}
		for k, vs := range v {
			next[k] = vs
		}
		next.Set("before", itoa(d.Items[len(d.Items)-1].ID))
		d.Next = "/topups?" + next.Encode()
	}
	p.Data = listData{d, ms}
	q.render("topups", 200, p)
}

func (web *Web) topupDetail(q *request) {
	id, ok := q.pathID()
	if !ok {
		return
	}
	t, err := web.store.TopUpRequest(q.r.Context(), id)
	if errors.Is(err, ledger.ErrNotFound) {
		q.fail(http.StatusNotFound, "err.not_found")
		return
	}
	if err != nil {
		q.internal(err)
		return
	}
	d, err := web.topupData(q, []ledger.TopUpRequest{t})
	if err != nil {
		q.internal(err)
		return
	}
	ms, err := web.store.PaymentMethods(q.r.Context())
	if err != nil {
		q.internal(err)
		return
	}
	p := q.page(t.Number(), struct {
		topupsData
		AllMethods []store.PaymentMethod
	}{d, ms})
	cur, _ := money.LookupCurrency(t.Currency)
	p.Form.Set("amount", money.New(t.Amount, cur).String())
	q.render("topup", 200, p)
}

// voucher serves an image to a logged-in administrator, with its stored
// type and no way for a browser to take it for anything else.
func (web *Web) voucher(q *request) {
	id, ok := q.pathID()
	if !ok {
		return
	}
	ct, data, err := web.store.VoucherData(q.r.Context(), id)
	if err != nil {
		q.fail(http.StatusNotFound, "err.not_found")
		return
	}
	h := q.w.Header()
	h.Set("Content-Type", ct)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age=3600")
	q.w.Write(data)
}

// topupEdit lets the submitter correct a pending request.
func (web *Web) topupEdit(q *request) {
	if !q.need(auth.ActOperate) {
		return
	}
	id, ok := q.pathID()
	if !ok {
		return
	}
	t, err := web.store.TopUpRequest(q.r.Context(), id)
	if err != nil {
		q.fail(http.StatusNotFound, "err.not_found")
		return
	}
	f := q.r.PostForm
	cur, _ := money.LookupCurrency(t.Currency)
	amount, err := money.ParsePositive(f.Get("amount"), cur)
	if err == nil {
		var method int64
		method, err = strconv.ParseInt(f.Get("payment_method"), 10, 64)
		if err == nil {
			_, err = web.store.UpdateTopUp(q.r.Context(), q.actor(), id, func(fl *ledger.TopUpFields) {
				fl.Amount, fl.PaymentMethodID = amount.Minor(), method
				fl.PaymentAccount, fl.TransactionNo, fl.Remark = f.Get("payment_account"), f.Get("transaction_no"), f.Get("remark")
			})
		}
	} else {
		err = ledger.AmountProblem("amount", err)
	}
	if err != nil {
		q.failErr(err)
		return
	}
	q.redirect("/topups/" + itoa(id) + "?done=saved")
}
