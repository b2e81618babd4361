package web

import (
	"net/http"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/store"
)

// dashboardData is the first page: what needs attention today.
type dashboardData struct {
	Glance     store.Glance
	BelowAlert []store.AccountRow
	Today      []reportLine // by currency
	TodayDate  string
	Recent     []recordView
}

// dashboard shows, at a glance, the reviews waiting, today's recharge and
// consumption per currency (with the bonus beside recharge and the part of
// consumption bonus paid, SPEC 11), the accounts below their alert amount
// and the latest operation records the reader may see.
func (web *Web) dashboard(q *request) {
	ctx := q.r.Context()
	var d dashboardData
	var err error
	if d.Glance, err = web.store.Glance(ctx); err != nil {
		q.internal(err)
		return
	}
	below := true
	if d.BelowAlert, err = web.store.Accounts(ctx, store.AccountFilter{BelowAlert: &below, Sort: "balance", Limit: 6}); err != nil {
		q.internal(err)
		return
	}
	now := web.now().In(q.L.loc)
	from := store.StartOfDay(now.Year(), now.Month(), now.Day(), q.L.loc)
	to := store.StartOfDay(now.Year(), now.Month(), now.Day()+1, q.L.loc)
	d.TodayDate = q.L.Date(from)
	rows, err := web.store.ReportSummary(ctx, store.ReportQuery{From: from, To: to, Location: q.L.loc})
	if err != nil {
		q.internal(err)
		return
	}
	for _, r := range rows {
		d.Today = append(d.Today, reportLine{Currency: r.Currency, Recharge: r.Recharge, Consumption: r.Consumption,
			Bonus: r.Bonus, ConsumptionBonus: r.ConsumptionBonus, Count: r.Count})
	}
	if d.Recent, err = web.recentRecords(q, 8); err != nil {
		q.internal(err)
		return
	}
	q.render("dashboard", http.StatusOK, q.page(q.L.T("nav.dashboard"), d))
}

// recentRecords are the newest operation records the reader may see
// (their own, unless they see all: SPEC section 3), labelled.
func (web *Web) recentRecords(q *request, n int) ([]recordView, error) {
	f := store.AuditFilter{Limit: n}
	if !q.can(auth.ActAllRecords) {
		f.ActorID = q.p.Admin.ID
	}
	records, err := web.store.AuditRecords(q.r.Context(), f)
	if err != nil {
		return nil, err
	}
	admins, err := web.store.Admins(q.r.Context())
	if err != nil {
		return nil, err
	}
	rc, err := web.recordContext(q, admins)
	if err != nil {
		return nil, err
	}
	out := make([]recordView, len(records))
	for i, r := range records {
		out[i] = rc.view(r)
	}
	return out, nil
}
