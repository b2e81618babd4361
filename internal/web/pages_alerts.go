package web

import (
	"net/http"

	"coffer/internal/auth"
	"coffer/internal/ledger"
	"coffer/internal/store"
)

// alertBatch applies one alert amount to the accounts ticked in the list,
// or, with none ticked, to every account in one currency or in all.
func (web *Web) alertBatch(q *request) {
	if !q.need(auth.ActOperate) {
		return
	}
	f := q.r.PostForm
	req := ledger.AlertBatchRequest{AlertAmount: f.Get("alert_amount")}
	for _, s := range f["ids"] {
		// The list's tick boxes hold account ids; anything else was not
		// ticked there, and is refused rather than dropped.
		id, ok := queryID(s)
		if !ok || id == 0 {
			q.fail(http.StatusUnprocessableEntity, "batch.bad_selection")
			return
		}
		req.AccountIDs = append(req.AccountIDs, id)
	}
	if len(req.AccountIDs) == 0 {
		switch scope := f.Get("scope"); scope {
		case "", "selected":
			q.fail(http.StatusUnprocessableEntity, "batch.none_selected")
			return
		case "all":
			req.All = true
		default:
			req.Currency = scope
		}
	}
	res, err := web.store.CreateAlertBatch(q.r.Context(), q.actor(), req, q.idem())
	if err != nil {
		q.failErr(err)
		return
	}
	q.redirect("/alert-batches?done=batch&changed=" + itoa(res.Batch.Changed))
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
