package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/store"
)

// batchView is the batch dialog of the account list (G 2.4): the scope and
// amount asked for, their problems, and, once they are sound, the preview
// of what the batch will change, to confirm.
type batchView struct {
	Scope     string     // selected, currency or filter
	Form      url.Values // what was typed: alert_amount, batch_currency
	IDs       []int64    // the accounts ticked in the list
	Checked   map[int64]bool
	Errs      map[string]string
	Error     string
	Preview   *store.AlertBatchPreview // set: the step that confirms
	FormToken string
}

// defaultScope is the scope the dialog starts with when nothing is ticked
// (ticking switches it to the selection): the accounts the list shows when
// it is filtered, else a currency (G 2.4).
func defaultScope(list url.Values) string {
	if len(listQuery(list, filterKeys...)) > 0 {
		return "filter"
	}
	return "currency"
}

// alertBatchPreview is the dialog's first step sent: with a sound scope and
// amount it answers the confirmation, which says how many accounts will
// change; else the form again, each problem beside its field.
func (web *Web) alertBatchPreview(q *request) {
	if !q.need(auth.ActOperate) {
		return
	}
	b := &batchView{Form: q.r.PostForm, Errs: map[string]string{}, Checked: map[int64]bool{}, FormToken: q.formToken()}
	req := web.batchRequest(q, b)
	status := http.StatusUnprocessableEntity
	if b.Error == "" && len(b.Errs) == 0 {
		status = http.StatusOK
		if q.r.PostFormValue("change") == "" { // not the confirmation's "Change" button
			pre, err := web.store.PreviewAlertBatch(q.r.Context(), req)
			if err != nil {
				q.internal(err) // batchRequest found the scope and amount sound
				return
			}
			b.Preview = &pre
		}
	}
	web.renderBatch(q, b, status)
}

// alertBatch applies one alert amount to the scope the dialog confirmed,
// and goes back to the list, which says how many accounts changed.
func (web *Web) alertBatch(q *request) {
	if !q.need(auth.ActOperate) {
		return
	}
	b := &batchView{Form: q.r.PostForm, Errs: map[string]string{}, Checked: map[int64]bool{}, FormToken: q.formToken()}
	req := web.batchRequest(q, b)
	if b.Error != "" || len(b.Errs) > 0 {
		web.renderBatch(q, b, http.StatusUnprocessableEntity)
		return
	}
	res, err := web.store.CreateAlertBatch(q.r.Context(), q.actor(), req, q.idem())
	if err != nil {
		q.failErr(err)
		return
	}
	list, _ := url.ParseQuery(q.r.PostFormValue("filter"))
	list = listQuery(list, filterKeys...)
	list.Set("done", "batch")
	list.Set("changed", itoa(res.Batch.Changed))
	q.redirect("/accounts?" + list.Encode())
}

// renderBatch answers the dialog: with htmx its body alone, else the list
// with the dialog open on it.
func (web *Web) renderBatch(q *request, b *batchView, status int) {
	list, _ := url.ParseQuery(q.r.PostFormValue("filter"))
	list = listQuery(list, append(filterKeys, "sort", "page", "size")...)
	p := q.page(q.L.T("nav.accounts"), nil)
	if q.r.Header.Get("HX-Request") != "true" {
		web.renderAccounts(q, p, list, accountsData{Batch: b}, status)
		return
	}
	cur, err := web.store.CustomerCurrencies(q.r.Context())
	if err != nil {
		q.internal(err)
		return
	}
	filter := listQuery(list, filterKeys...)
	p.Data = accountsData{Batch: b, Currencies: cur, Filter: filter.Encode(), Filtered: len(filter) > 0}
	q.renderBlock("accounts", "batch_body", status, p)
}

// batchRequest reads the dialog's scope and amount into a request, and
// notes on b each problem beside its field, in the user's language.
func (web *Web) batchRequest(q *request, b *batchView) ledger.AlertBatchRequest {
	f := q.r.PostForm
	req := ledger.AlertBatchRequest{AlertAmount: strings.TrimSpace(f.Get("alert_amount"))}
	for _, s := range f["ids"] {
		// The list's tick boxes hold account ids; anything else was not
		// ticked there, and is refused rather than dropped.
		id, ok := queryID(s)
		if !ok || id == 0 {
			b.Error = q.L.T("batch.bad_selection")
			return req
		}
		if !b.Checked[id] { // a tick box may be sent twice: by the list and by the confirmation
			b.IDs = append(b.IDs, id)
		}
		b.Checked[id] = true
	}
	b.Scope = f.Get("scope")
	if b.Scope == "" {
		b.Scope = "selected"
	}
	switch b.Scope {
	case "selected":
		if len(b.IDs) == 0 {
			b.Errs["scope"] = q.L.T("batch.none_selected")
		}
		req.AccountIDs = b.IDs
	case "currency", "all":
		if c := f.Get("batch_currency"); c != "" && c != "all" {
			if _, err := money.LookupCurrency(c); err != nil {
				b.Errs["batch_currency"] = q.L.T("err.currency")
			}
			req.Currency = c
		} else {
			req.All = true
		}
	case "filter":
		req.AccountIDs = web.filterScope(q, b)
	default: // a currency code as the scope, as the first form of the list sent it
		if _, err := money.LookupCurrency(b.Scope); err != nil {
			b.Errs["scope"] = q.L.T("err.invalid")
		}
		req.Currency = b.Scope
	}
	if req.AlertAmount == "" {
		b.Errs["alert_amount"] = q.L.T("why.required")
	}
	if len(b.Errs) > 0 {
		return req
	}
	web.checkBatchAmount(q, b, req)
	return req
}

// filterScope is the accounts the list's filters match, as the batch's
// selection; too many, or none, is the scope's problem.
func (web *Web) filterScope(q *request, b *batchView) []int64 {
	list, err := url.ParseQuery(q.r.PostFormValue("filter"))
	tmp := q.page("", nil)
	f := q.accountFilter(list, tmp)
	if err != nil || tmp.Error != "" || len(tmp.Errs) > 0 {
		b.Errs["scope"] = q.L.T("batch.bad_filter")
		return nil
	}
	ids, more, err := web.store.AccountIDs(q.r.Context(), f, ledger.MaxAlertBatchAccounts)
	switch {
	case err != nil:
		b.Error = q.L.T("err.internal")
		web.log.ErrorContext(q.r.Context(), "batch scope", "err", err)
	case more:
		b.Errs["scope"] = q.L.Tf("why.batch_size", ledger.MaxAlertBatchAccounts)
	case len(ids) == 0:
		b.Errs["scope"] = q.L.T("batch.nothing_in_scope")
	}
	return ids
}

// checkBatchAmount holds the amount to each currency in the scope, which
// it reads in each account's own currency ("100" is 100.00 USD and 100
// JPY), and finds the scope empty or unknown accounts in it.
func (web *Web) checkBatchAmount(q *request, b *batchView, req ledger.AlertBatchRequest) {
	probe := req
	probe.AlertAmount = "0" // an amount every currency takes: the scope alone
	pre, err := web.store.PreviewAlertBatch(q.r.Context(), probe)
	var ve *ledger.ValidationError
	switch {
	case errors.As(err, &ve):
		for _, fp := range ve.Problems {
			b.Errs["scope"] = q.fieldMessage(fp)
		}
		return
	case err != nil:
		b.Error = q.L.T("err.internal")
		web.log.ErrorContext(q.r.Context(), "batch preview", "err", err)
		return
	case len(pre.Currencies) == 0:
		b.Errs["scope"] = q.L.T("batch.nothing_in_scope")
		return
	}
	p := q.page("", nil)
	for _, code := range pre.Currencies {
		if _, ok := q.limitField(p, "alert_amount", req.AlertAmount, money.MustCurrency(code)); !ok {
			b.Errs["alert_amount"] = p.Errs["alert_amount"] + " (" + code + ")"
			return
		}
	}
}

type batchesData struct {
	Items     []store.AlertBatch
	Changed   string
	FormToken string
}

func (web *Web) alertBatches(q *request) {
	items, err := web.store.AlertBatches(q.r.Context(), 0, 100)
	if err != nil {
		q.internal(err)
		return
	}
	p := q.page(q.L.T("batch.title"), batchesData{Items: items, Changed: q.r.URL.Query().Get("changed"), FormToken: randomToken()})
	q.render("alert_batches", 200, p)
}

func (web *Web) alertBatchUndo(q *request) {
	if !q.need(auth.ActOperate) {
		return
	}
	id, ok := q.pathID()
	if !ok {
		return
	}
	if _, err := web.store.UndoAlertBatch(q.r.Context(), q.actor(), id, q.idem()); err != nil {
		q.failErr(err)
		return
	}
	q.redirect("/alert-batches?done=undone")
}
