package web

import (
	"encoding/json"
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

// The recharge records (G 2.3): every request with its review, a list
// with filters and a page per request, where its submitter corrects it
// while it waits (the payment status and pay date included, T) and adds
// vouchers, and everyone reads its history.

type topupsData struct {
	Rows     []store.TopUpRow
	Methods  map[int64]string
	All      []store.PaymentMethod
	Customer ledger.Customer // the customer a link chose (customer_id)
	Pager    pager
}

// topupStatuses are the review statuses a list may be filtered by.
var topupStatuses = []ledger.TopUpStatus{ledger.TopUpPending, ledger.TopUpApproved, ledger.TopUpRejected, ledger.TopUpCancelled}

// pageParam refuses a page number that the pager did not write, rather
// than quietly show the first page in its place.
func (q *request) pageParam(p *page, v url.Values) {
	if s := v.Get("page"); s != "" {
		if n, err := strconv.Atoi(s); err != nil || n < 1 || strconv.Itoa(n) != s {
			p.Error = q.L.T("err.bad_cursor")
		}
	}
}

// dateRange reads the list's from and to dates (to is inclusive on screen,
// exclusive in the filter), each problem beside its field.
func (q *request) dateRange(p *page, v url.Values, f *store.TopUpFilter) {
	for _, d := range []struct {
		field string
		dst   **time.Time
		days  int
	}{{"from", &f.From, 0}, {"to", &f.To, 1}} {
		if s := v.Get(d.field); s != "" {
			t, err := time.ParseInLocation(time.DateOnly, s, q.L.loc)
			if err != nil {
				p.Errs[d.field] = q.L.T("err.date")
				continue
			}
			t = t.AddDate(0, 0, d.days)
			*d.dst = &t
		}
	}
}

// topups lists recharge records, newest first, with filters and a pager.
func (web *Web) topups(q *request) {
	v := queryWithoutDone(q)
	p := q.page(q.L.T("nav.topups"), nil)
	p.Form = v
	tq := store.TopUpQuery{TopUpFilter: store.TopUpFilter{Status: ledger.TopUpStatus(v.Get("status"))}, Customer: strings.TrimSpace(v.Get("customer"))}
	tq.PaymentMethodID = q.formID(p, v, "payment_method")
	tq.CustomerID = q.linkID(p, "customer_id")
	q.pageParam(p, v)
	if tq.Status != "" && !slices.Contains(topupStatuses, tq.Status) {
		p.Errs["status"] = q.L.T("err.invalid")
	}
	q.dateRange(p, v, &tq.TopUpFilter)
	ms, err := web.store.PaymentMethods(q.r.Context())
	if err != nil {
		q.internal(err)
		return
	}
	d := topupsData{All: ms, Methods: map[int64]string{}, Pager: newPager(q.L, "/topups", v, 0, 0)}
	for _, m := range ms {
		d.Methods[m.ID] = methodLabel(q.L, m)
	}
	if tq.CustomerID != 0 {
		if d.Customer, err = web.store.Customer(q.r.Context(), tq.CustomerID); err != nil && !errors.Is(err, ledger.ErrNotFound) {
			q.internal(err)
			return
		}
	}
	p.Data = d
	if q.queryRefused("topups", p) {
		return
	}
	_, tq.Size, tq.Offset = pageOf(v)
	var total int64
	if d.Rows, total, err = web.store.TopUpPage(q.r.Context(), tq); err != nil {
		q.internal(err)
		return
	}
	d.Pager = newPager(q.L, "/topups", v, total, len(d.Rows))
	p.Data = d
	q.render("topups", http.StatusOK, p)
}

// topupData is a request's page: the request, what its submitter may do
// with it, and its history.
type topupData struct {
	T         store.TopUpRow
	Methods   map[int64]string
	All       []store.PaymentMethod
	CanEdit   bool // the submitter, while it is pending (CheckEdit)
	CanReview bool // a reviewer other than the submitter, while it is pending
	Room      int  // how many more vouchers it takes
	History   []historyStep
	FormToken string
}

// historyStep is one change of a request, from its operation records.
type historyStep struct {
	At      time.Time
	Who     string
	Action  string // the record's action: topup.create, topup.update, voucher.create, topup.approve, …
	Remark  string // the recharge remark of a submission, the review remark of a decision
	Version int64  // the version the change made; 0 for records older than versions in them
}

func (web *Web) topupDetail(q *request) {
	id, ok := q.pathID()
	if !ok {
		return
	}
	t, err := web.store.TopUpRowOf(q.r.Context(), id)
	if err != nil {
		q.failErr(err)
		return
	}
	web.renderTopUp(q, q.page(t.Number(), nil), t, true, http.StatusOK)
}

// renderTopUp writes the page of request t. A fresh correction form holds
// the request as it is; a refused one what was typed.
func (web *Web) renderTopUp(q *request, p *page, t store.TopUpRow, fresh bool, status int) {
	ms, err := web.store.PaymentMethods(q.r.Context())
	if err != nil {
		q.internal(err)
		return
	}
	history, err := web.topupHistory(q, t.ID)
	if err != nil {
		q.internal(err)
		return
	}
	d := topupData{T: t, All: ms, Methods: map[int64]string{}, History: history, FormToken: randomToken(),
		CanEdit:   q.can(auth.ActOperate) && t.CheckEdit(q.actor()) == nil,
		CanReview: q.can(auth.ActReview) && t.Status == ledger.TopUpPending && t.CheckReviewer(q.actor(), false) == nil,
		Room:      ledger.MaxVouchers - len(t.Vouchers)}
	for _, m := range ms {
		d.Methods[m.ID] = methodLabel(q.L, m)
	}
	if fresh {
		p.Form = topupForm(q, t.TopUpRequest)
	}
	p.Path = "/topups/" + itoa(t.ID) // after a refused form too, for the language buttons
	p.Data = d
	q.render("topup", status, p)
}

// topupForm is the correction form filled in with the request as it is.
func topupForm(q *request, t ledger.TopUpRequest) url.Values {
	cur, _ := money.LookupCurrency(t.Currency)
	f := url.Values{"amount": {money.New(t.Amount, cur).String()}, "payment_method": {itoa(t.PaymentMethodID)},
		"payment_account": {t.PaymentAccount}, "transaction_no": {t.TransactionNo}, "remark": {t.Remark},
		"payment_status": {t.PaymentStatus}, "paid_at": {""}}
	if t.PaidAt != nil {
		f.Set("paid_at", t.PaidAt.In(q.L.loc).Format(time.DateOnly))
	}
	return f
}

// topupHistory reads a request's changes from the operation records,
// oldest first.
func (web *Web) topupHistory(q *request, id int64) ([]historyStep, error) {
	recs, err := web.store.AuditRecords(q.r.Context(), store.AuditFilter{ObjectType: "topup", ObjectID: itoa(id), Limit: 200})
	if err != nil {
		return nil, err
	}
	steps := make([]historyStep, 0, len(recs))
	for _, r := range slices.Backward(recs) {
		var after struct {
			Version      int64  `json:"version"`
			Remark       string `json:"remark"`
			ReviewRemark string `json:"review_remark"`
		}
		json.Unmarshal([]byte(r.After), &after) // a record without these fields shows none
		s := historyStep{At: r.CreatedAt, Who: r.ActorName, Action: r.Action, Version: after.Version}
		switch r.Action {
		case "topup.create":
			s.Remark = after.Remark
		case "topup.approve", "topup.reject":
			s.Remark = after.ReviewRemark
		}
		steps = append(steps, s)
	}
	return steps, nil
}

// topupEdit lets the submitter correct a pending request; a field the form
// does not send stays as it is.
func (web *Web) topupEdit(q *request) {
	t, p, ok := web.postedTopUp(q, auth.ActOperate)
	if !ok {
		return
	}
	id, f := t.ID, q.r.PostForm
	edit := q.topupEdits(p, t.TopUpRequest, f)
	if len(p.Errs) > 0 {
		p.Error = q.L.T("err.fix_fields")
		web.renderTopUp(q, p, t, false, http.StatusUnprocessableEntity)
		return
	}
	_, err := web.store.UpdateTopUp(q.r.Context(), q.actor(), id, edit)
	if q.formErrors(p, err) {
		web.renderTopUp(q, p, t, false, api.StatusOf(err))
		return
	}
	if err != nil {
		q.internal(err)
		return
	}
	q.redirect("/topups/" + itoa(id) + "?done=saved")
}

// topupEdits reads the correction form into an edit of the request's
// fields, each problem beside its field.
func (q *request) topupEdits(p *page, t ledger.TopUpRequest, f url.Values) func(*ledger.TopUpFields) {
	fl := ledger.TopUpFields{Amount: t.Amount, PaymentMethodID: t.PaymentMethodID, PaymentAccount: t.PaymentAccount,
		TransactionNo: t.TransactionNo, Remark: t.Remark, PaymentStatus: t.PaymentStatus, PaidAt: t.PaidAt}
	if f.Has("amount") {
		cur, _ := money.LookupCurrency(t.Currency)
		a, err := money.ParsePositive(strings.TrimSpace(f.Get("amount")), cur)
		if err != nil {
			p.Errs["amount"] = q.amountMessage("amount", err)
		}
		fl.Amount = a.Minor()
	}
	if f.Has("payment_method") {
		fl.PaymentMethodID = q.formID(p, f, "payment_method")
	}
	for field, dst := range map[string]*string{"payment_account": &fl.PaymentAccount, "transaction_no": &fl.TransactionNo,
		"remark": &fl.Remark, "payment_status": &fl.PaymentStatus} {
		if f.Has(field) {
			*dst = f.Get(field)
		}
	}
	if f.Has("paid_at") {
		fl.PaidAt = nil
		if s := f.Get("paid_at"); s != "" {
			d, err := time.ParseInLocation(time.DateOnly, s, q.L.loc)
			if err != nil {
				p.Errs["paid_at"] = q.L.T("err.date")
			}
			fl.PaidAt = &d
		}
	}
	return func(into *ledger.TopUpFields) { *into = fl }
}

// topupVouchers adds vouchers to a pending request of the caller's: a
// payment slip often arrives after the request (T). Every file is judged
// before any is stored.
func (web *Web) topupVouchers(q *request) {
	t, p, ok := web.postedTopUp(q, auth.ActOperate)
	if !ok {
		return
	}
	id := t.ID
	files, err := q.voucherFiles(p)
	if err != nil {
		q.internal(err)
		return
	}
	switch {
	case p.Errs["vouchers"] != "":
	case len(files) == 0:
		p.Errs["vouchers"] = q.L.T("err.required")
	case len(t.Vouchers)+len(files) > ledger.MaxVouchers:
		p.Errs["vouchers"] = q.L.Tf("why.too_many_vouchers", ledger.MaxVouchers)
	}
	for _, fl := range files {
		if len(p.Errs) > 0 {
			break
		}
		_, err = web.store.AddVoucher(q.r.Context(), q.actor(), id, fl.contentType, fl.data)
		if q.formErrors(p, err) {
			if m := p.Errs["file"]; m != "" { // the domain names the one file it refused
				p.Errs["vouchers"] = m
			}
			web.renderTopUp(q, p, t, true, api.StatusOf(err))
			return
		}
		if err != nil {
			q.internal(err)
			return
		}
	}
	if len(p.Errs) > 0 {
		p.Error = q.L.T("err.fix_fields")
		web.renderTopUp(q, p, t, true, http.StatusUnprocessableEntity)
		return
	}
	q.redirect("/topups/" + itoa(id) + "?done=saved")
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

// postedTopUp is the request a form was posted about (the path's id), once
// the caller may do a; its page starts with what was posted. ok is false
// when an answer (403, 404) has been sent instead.
func (web *Web) postedTopUp(q *request, a auth.Action) (store.TopUpRow, *page, bool) {
	if !q.need(a) {
		return store.TopUpRow{}, nil, false
	}
	id, ok := q.pathID()
	if !ok {
		return store.TopUpRow{}, nil, false
	}
	t, err := web.store.TopUpRowOf(q.r.Context(), id)
	if err != nil {
		q.failErr(err)
		return store.TopUpRow{}, nil, false
	}
	p := q.page(t.Number(), nil)
	p.Form = q.r.PostForm
	return t, p, true
}
