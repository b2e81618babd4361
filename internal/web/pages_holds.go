package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/api"
	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/store"
)

// Holds on the account page (SPEC 8): an operator places one for a
// pending sale, captures what was sold or releases it. Programs do the
// same through the API.

// accountHolds are the account's latest holds, the active ones first.
func (web *Web) accountHolds(q *request, id int64) ([]ledger.Hold, error) {
	hs, err := web.store.Holds(q.r.Context(), store.HoldFilter{AccountID: id, Limit: 20})
	active := make([]ledger.Hold, 0, len(hs))
	var closed []ledger.Hold
	for _, h := range hs {
		if h.Status == ledger.HoldActive {
			active = append(active, h)
		} else {
			closed = append(closed, h)
		}
	}
	return append(active, closed...), err
}

// holdPlace places a hold from the account page's form.
func (web *Web) holdPlace(q *request) {
	if !q.need(auth.ActOperate) {
		return
	}
	id, ok := q.pathID()
	if !ok {
		return
	}
	f := q.r.PostForm
	p := q.page("", nil)
	p.Form = f
	a, err := web.store.Account(q.r.Context(), id)
	if err != nil {
		q.failErr(err)
		return
	}
	req := ledger.NewHold{AccountID: id, Reference: strings.TrimSpace(f.Get("hold_reference")), Actor: q.actor(), Idem: q.idem()}
	amount, err := money.ParsePositive(strings.TrimSpace(f.Get("hold_amount")), a.Currency)
	if err != nil {
		p.Errs["hold_amount"] = q.fieldMessage(ledger.AmountProblem("amount", err).(*ledger.ValidationError).Problems[0])
	}
	req.Amount = amount.Minor()
	if s := strings.TrimSpace(f.Get("hold_expires_at")); s != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", s, q.L.loc)
		if err != nil {
			p.Errs["hold_expires_at"] = q.L.Tf("why.hold_expiry", ledger.MaxHoldDays)
		}
		req.ExpiresAt = &t
	}
	if len(p.Errs) == 0 {
		if _, _, err = web.store.PlaceHold(q.r.Context(), req); err == nil {
			q.redirect("/accounts/" + itoa(id) + "?done=hold_placed#holds")
			return
		}
		web.holdFailed(q, p, id, err, map[string]string{"amount": "hold_amount", "expires_at": "hold_expires_at", "reference": "hold_reference"})
		return
	}
	p.Error = q.L.T("err.fix_fields")
	web.accountPage(q, id, p, http.StatusUnprocessableEntity)
}

// holdFailed shows the account page again with what went wrong, the
// domain's fields named as the form names them.
func (web *Web) holdFailed(q *request, p *page, accountID int64, err error, fields map[string]string) {
	if !q.formErrors(p, err) {
		q.internal(err)
		return
	}
	for from, to := range fields {
		if msg, ok := p.Errs[from]; ok {
			delete(p.Errs, from)
			p.Errs[to] = msg
		}
	}
	web.accountPage(q, accountID, p, api.StatusOf(err))
}

// holdEnd captures or releases a hold from the account page.
func (web *Web) holdEnd(capture bool) func(q *request) {
	return func(q *request) {
		if !q.need(auth.ActOperate) {
			return
		}
		id, ok := q.pathID()
		if !ok {
			return
		}
		h, err := web.store.Hold(q.r.Context(), id)
		if err != nil {
			q.failErr(err)
			return
		}
		p := q.page("", nil)
		p.Form = q.r.PostForm
		done := "hold_released"
		if capture {
			done = "hold_captured"
			err = web.capture(q, p, h)
		} else {
			_, err = web.store.ReleaseHold(q.r.Context(), q.actor(), id)
		}
		if err != nil {
			web.holdFailed(q, p, h.AccountID, err, map[string]string{"amount": "capture_amount"})
			return
		}
		q.redirect("/accounts/" + itoa(h.AccountID) + "?done=" + done + "#holds")
	}
}

// capture posts the amount the form names, or the whole hold.
func (web *Web) capture(q *request, p *page, h ledger.Hold) error {
	req := ledger.Capture{HoldID: h.ID, Actor: q.actor(), Idem: q.idem()}
	if s := strings.TrimSpace(q.r.PostForm.Get("capture_amount")); s != "" {
		amount, err := money.ParsePositive(s, h.Currency)
		if err != nil {
			return ledger.AmountProblem("amount", err)
		}
		req.Amount = amount.Minor()
	}
	_, err := web.store.CaptureHold(q.r.Context(), req)
	return err
}
