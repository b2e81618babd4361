package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"coffer/internal/store"
)

type reportsData struct {
	Rows    []store.ReportRow
	Totals  []store.TotalsRow
	Groups  []string
	Chart   string
	Export  string
	Today   bool
	FromDay string
	ToDay   string
}

// reports shows recharge and consumption for a period. Administrators and
// reviewers see today only (SPEC); super admins any period and the totals.
func (web *Web) reports(q *request) {
	v := q.r.URL.Query()
	p := q.page(q.L.T("nav.reports"), nil)
	now := web.now().In(q.L.loc)
	today := now.Format(time.DateOnly)
	from, to := v.Get("from"), v.Get("to")
	if from == "" || !q.can(actAnyPeriod) {
		from = today
	}
	if to == "" || !q.can(actAnyPeriod) {
		to = from
	}
	day := func(field, s string) (time.Time, bool) {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			p.Errs[field] = q.L.T("err.date")
			return time.Time{}, false
		}
		return d, true
	}
	f, ok1 := day("from", from)
	t, ok2 := day("to", to)
	if !ok1 || !ok2 || t.Before(f) {
		if ok1 && ok2 {
			p.Errs["to"] = q.L.T("err.invalid")
		}
		from, to, f, t = today, today, now, now
	}
	group := v.Get("group_by")
	if !slices.Contains(store.ReportGroups, group) {
		group = "day"
	}
	query := store.ReportQuery{From: store.StartOfDay(f.Year(), f.Month(), f.Day(), q.L.loc),
		To: store.StartOfDay(t.Year(), t.Month(), t.Day()+1, q.L.loc), Currency: v.Get("currency"), GroupBy: group, Location: q.L.loc}
	rows, err := web.store.ReportSummary(q.ctx, query)
	if err != nil {
		p.Errs["currency"] = err.Error()
	}
	d := reportsData{Rows: rows, Groups: store.ReportGroups, Today: !q.can(actAnyPeriod), FromDay: from, ToDay: to}
	if q.can(actAnyPeriod) {
		if d.Totals, err = web.store.ReportTotals(q.ctx); err != nil {
			q.internal(err)
			return
		}
	}
	api := url.Values{"from": {from}, "to": {to}}
	if c := v.Get("currency"); c != "" {
		api.Set("currency", c)
	}
	d.Chart = "/reports/chart.svg?" + api.Encode()
	api.Set("group_by", group)
	d.Export = "/reports/export?" + api.Encode()
	p.Form = v
	p.Form.Set("from", from)
	p.Form.Set("to", to)
	p.Form.Set("group_by", group)
	p.Data = d
	q.render("reports", 200, p)
}

// reportFile hands the chart or a CSV export to the API, which applies the
// same period rule, with the session as the bearer token.
func (web *Web) reportFile(path, accept string) func(q *request) {
	return func(q *request) {
		inner := q.r.Clone(q.ctx)
		inner.URL.Path = path
		inner.Header.Set("Authorization", "Bearer "+q.secret)
		if accept != "" {
			inner.Header.Set("Accept", accept)
		}
		web.api.ServeHTTP(q.w, inner)
	}
}

type alertsData struct {
	Items []store.Alert
	Names map[int64]string
	Next  string
}

func (web *Web) alerts(q *request) {
	v := q.r.URL.Query()
	f := store.AlertFilter{Currency: v.Get("currency"), Limit: 100}
	f.BeforeID, _ = strconv.ParseInt(v.Get("before"), 10, 64)
	if a := v.Get("active"); a == "1" || a == "0" {
		active := a == "1"
		f.Active = &active
	}
	items, err := web.store.Alerts(q.ctx, f)
	if err != nil {
		q.internal(err)
		return
	}
	d := alertsData{Items: items, Names: map[int64]string{}}
	for _, a := range items {
		if _, ok := d.Names[a.CustomerID]; !ok {
			c, err := web.store.Customer(q.ctx, a.CustomerID)
			if err != nil {
				q.internal(err)
				return
			}
			d.Names[a.CustomerID] = c.Name
		}
	}
	if len(items) == f.Limit {
		v.Set("before", itoa(items[len(items)-1].ID))
		d.Next = "/alerts?" + v.Encode()
	}
	p := q.page(q.L.T("nav.alerts"), d)
	p.Form = v
	q.render("alerts", 200, p)
}

type webhooksData struct {
	Items      []store.Webhook
	EventTypes []string
	Secret     string
	Deliveries []store.Delivery
	Selected   int64
}

func (web *Web) webhooks(q *request) {
	if !q.need(actSystem) {
		return
	}
	web.renderWebhooks(q, q.page(q.L.T("nav.webhooks"), nil), "", http.StatusOK)
}

func (web *Web) renderWebhooks(q *request, p *page, secret string, status int) {
	items, err := web.store.Webhooks(q.ctx, 0, 100)
	if err != nil {
		q.internal(err)
		return
	}
	d := webhooksData{Items: items, EventTypes: store.WebhookEventTypes, Secret: secret}
	if id, err := strconv.ParseInt(q.r.URL.Query().Get("deliveries"), 10, 64); err == nil {
		d.Selected = id
		if d.Deliveries, err = web.store.WebhookDeliveries(q.ctx, store.DeliveryFilter{WebhookID: id, Limit: 50}); err != nil {
			q.internal(err)
			return
		}
	}
	p.Data = d
	q.render("webhooks", status, p)
}

func (web *Web) webhookCreate(q *request) {
	if !q.need(actSystem) {
		return
	}
	f := q.r.PostForm
	p := q.page(q.L.T("nav.webhooks"), nil)
	p.Form = f
	_, secret, err := web.store.CreateWebhook(q.ctx, q.actor(), store.NewWebhook{URL: f.Get("url"), Events: f["events"], Description: f.Get("description")})
	if err != nil {
		if q.formErrors(p, err) {
			web.renderWebhooks(q, p, "", http.StatusUnprocessableEntity)
			return
		}
		q.internal(err)
		return
	}
	// The secret is shown this once, on this page: no redirect.
	p.Flash = q.L.T("done.saved")
	p.Form = url.Values{}
	web.renderWebhooks(q, p, secret, http.StatusCreated)
}

func (web *Web) webhookDelete(q *request) {
	if !q.need(actSystem) {
		return
	}
	id, ok := q.pathID()
	if !ok {
		return
	}
	if err := web.store.DeleteWebhook(q.ctx, q.actor(), id); err != nil {
		q.fail(http.StatusNotFound, "err.not_found")
		return
	}
	q.redirect("/webhooks?done=saved")
}

func (web *Web) webhookRedeliver(q *request) {
	if !q.need(actSystem) {
		return
	}
	id, ok := q.pathID()
	if !ok {
		return
	}
	did, err := strconv.ParseInt(q.r.PathValue("delivery"), 10, 64)
	if err != nil {
		q.fail(http.StatusNotFound, "err.not_found")
		return
	}
	if _, err := web.store.Redeliver(q.ctx, q.actor(), id, did); err != nil {
		q.fail(http.StatusNotFound, "err.not_found")
		return
	}
	q.redirect("/webhooks?deliveries=" + itoa(id) + "&done=saved")
}
