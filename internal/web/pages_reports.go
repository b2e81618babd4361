package web

import (
	"cmp"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/cofferhq/coffer/internal/api"
	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/webhook"
)

type reportsData struct {
	Lines []reportLine
	Sums  []reportLine // the lines' totals, one per currency
	// ShowBonus shows the column of recharge bonus: there is some, and the
	// grouping splits it (bonus has no payment method). By payment method,
	// UnsplitBonus is the period's recharge bonus per currency instead.
	ShowBonus    bool
	UnsplitBonus []string
	Totals       *totalsTable
	Groups       []option
	Chart        string
	Export       string
	Today        bool
	FromDay      string
	ToDay        string
}

// reportLine is one group of the summary as the reports page and the
// dashboard show it. Bonus is
// the recharge bonus (not in Recharge, which is money received);
// ConsumptionBonus the part of Consumption that bonus paid (SPEC 11).
type reportLine struct {
	Label, Link, Currency   string
	Recharge, Consumption   *big.Int
	Bonus, ConsumptionBonus *big.Int
	Count                   int64
}

// reportCells are what the report_cells template shows of a line.
type reportCells struct {
	L         *locale
	Line      reportLine
	ShowBonus bool
}

// reports shows recharge and consumption for a period. Administrators and
// reviewers see today only (SPEC); super admins any period and the totals.
func (web *Web) reports(q *request) {
	p := q.page(q.L.T("nav.reports"), nil)
	query, from, to := web.reportQuery(q, p)
	d := reportsData{Groups: labelled(q.L, "group.", store.ReportGroups), Today: !q.can(auth.ActAnyPeriod)}
	d.FromDay, d.ToDay = q.L.Date(query.From), q.L.Date(query.To.Add(-time.Nanosecond))
	p.Data = d
	if q.queryRefused("reports", p) {
		return
	}
	rows, err := web.store.ReportSummary(q.r.Context(), query)
	if err != nil {
		if q.formErrors(p, err) {
			q.render("reports", http.StatusUnprocessableEntity, p)
			return
		}
		q.internal(err)
		return
	}
	if d.Lines, err = web.reportLines(q, query.GroupBy, rows); err != nil {
		q.internal(err)
		return
	}
	d.Sums = reportSums(d.Lines)
	if err = web.reportBonus(q, query, &d); err != nil {
		q.internal(err)
		return
	}
	if q.can(auth.ActAnyPeriod) {
		totals, err := web.store.ReportTotals(q.r.Context())
		if err != nil {
			q.internal(err)
			return
		}
		d.Totals = newTotalsTable(q.L, totals)
	}
	api := url.Values{"from": {from}, "to": {to}}
	if query.Currency != "" {
		api.Set("currency", query.Currency)
	}
	api.Set("lang", q.L.Lang)
	d.Chart = "/reports/chart.svg?" + api.Encode()
	api.Del("lang")
	api.Set("group_by", query.GroupBy)
	d.Export = "/reports/export?" + api.Encode()
	p.Data = d
	q.render("reports", 200, p)
}

// reportLines labels the summary's groups in the page's language: days as
// dates, payment methods by their (translated) names, consumption as
// consumption, customers by name with a link.
func (web *Web) reportLines(q *request, group string, rows []store.ReportRow) ([]reportLine, error) {
	methods := map[string]store.PaymentMethod{}
	if group == store.GroupPaymentMethod {
		ms, err := web.store.PaymentMethods(q.r.Context())
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			methods[itoa(m.ID)] = m
		}
	}
	out := make([]reportLine, 0, len(rows))
	for _, r := range rows {
		l := reportLine{Label: r.Label, Currency: r.Currency, Recharge: r.Recharge, Consumption: r.Consumption,
			Bonus: r.Bonus, ConsumptionBonus: r.ConsumptionBonus, Count: r.Count}
		switch group {
		case store.GroupDay:
			if day, err := time.ParseInLocation(time.DateOnly, r.Key, q.L.loc); err == nil {
				l.Label = q.L.Date(day)
			}
		case store.GroupPaymentMethod:
			if m, ok := methods[r.Key]; ok {
				l.Label = methodLabel(q.L, m)
			} else if r.Key == "" {
				l.Label = q.L.T("reports.no_method")
			}
		case store.GroupCustomer:
			l.Link = "/customers/" + r.Key
		}
		out = append(out, l)
	}
	return out, nil
}

// reportSums totals the lines per currency, exactly.
func reportSums(lines []reportLine) []reportLine {
	var sums []reportLine
	at := map[string]int{}
	for _, l := range lines {
		i, ok := at[l.Currency]
		if !ok {
			i = len(sums)
			at[l.Currency] = i
			sums = append(sums, reportLine{Currency: l.Currency, Recharge: new(big.Int), Consumption: new(big.Int),
				Bonus: new(big.Int), ConsumptionBonus: new(big.Int)})
		}
		sums[i].Recharge.Add(sums[i].Recharge, l.Recharge)
		sums[i].Consumption.Add(sums[i].Consumption, l.Consumption)
		sums[i].Bonus.Add(sums[i].Bonus, l.Bonus)
		sums[i].ConsumptionBonus.Add(sums[i].ConsumptionBonus, l.ConsumptionBonus)
		sums[i].Count += l.Count
	}
	slices.SortFunc(sums, func(a, b reportLine) int { return cmp.Compare(a.Currency, b.Currency) })
	return sums
}

// reportBonus decides how the summary shows recharge bonus: a column when
// the period has some and the grouping splits it. By payment method the
// store leaves bonus out of the rows, as it has no payment method, so the
// page says the period's bonus per currency under the table instead of
// letting the rows hide it.
func (web *Web) reportBonus(q *request, query store.ReportQuery, d *reportsData) error {
	if query.GroupBy != store.GroupPaymentMethod {
		// The rows, not the sums: a day's bonus and a later day's reversal
		// of it cancel out in the sum only.
		d.ShowBonus = slices.ContainsFunc(d.Lines, func(l reportLine) bool { return l.Bonus.Sign() != 0 })
		return nil
	}
	query.GroupBy = store.GroupCurrency
	rows, err := web.store.ReportSummary(q.r.Context(), query)
	for _, r := range rows {
		if r.Bonus.Sign() != 0 {
			d.UnsplitBonus = append(d.UnsplitBonus, q.L.Money(r.Bonus, r.Currency))
		}
	}
	return err
}

// reportQuery reads the period, currency and grouping of the reports page
// into p.Form; a value that does not parse is marked beside its field,
// never replaced by a default. Only an absent value takes one: today, and
// by day.
func (web *Web) reportQuery(q *request, p *page) (query store.ReportQuery, from, to string) {
	v := q.r.URL.Query()
	today := web.now().In(q.L.loc).Format(time.DateOnly)
	from, to = v.Get("from"), v.Get("to")
	if from == "" || !q.can(auth.ActAnyPeriod) {
		from = today
	}
	if to == "" || !q.can(auth.ActAnyPeriod) {
		to = from
	}
	day := func(field, s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			p.Errs[field] = q.L.T("err.date")
		}
		return d
	}
	f, t := day("from", from), day("to", to)
	group := cmp.Or(v.Get("group_by"), store.GroupDay)
	query = store.ReportQuery{From: store.StartOfDay(f.Year(), f.Month(), f.Day(), q.L.loc),
		To: store.StartOfDay(t.Year(), t.Month(), t.Day()+1, q.L.loc), Currency: v.Get("currency"), GroupBy: group, Location: q.L.loc}
	switch {
	case len(p.Errs) > 0:
	case t.Before(f):
		p.Errs["to"] = q.L.T("err.invalid")
	// Calendar days, counted on the dates (Sub saturates, never wraps),
	// not by making a list of ten thousand years of them.
	case group == store.GroupDay && t.Sub(f).Hours()/24 >= store.MaxReportDays:
		p.Errs["to"] = q.L.Tn("err.report_days", store.MaxReportDays)
	}
	if !slices.Contains(store.ReportGroups, group) {
		p.Errs["group_by"] = q.L.T("err.invalid")
	}
	if c := v.Get("currency"); c != "" {
		if _, err := money.LookupCurrency(c); err != nil {
			p.Errs["currency"] = q.L.T("err.currency")
		}
	}
	p.Form = v
	p.Form.Set("from", from)
	p.Form.Set("to", to)
	p.Form.Set("group_by", group)
	return query, from, to
}

// reportFile hands the chart or a CSV export to the API, which applies the
// caller's permissions and the report's rules.
func (web *Web) reportFile(path, accept string) func(q *request) {
	return func(q *request) { web.callAPI(q, path, q.r.URL.RawQuery, accept) }
}

// callAPI answers q with the API's answer to path?query, asked as the
// signed-in administrator (their session is a bearer token to the API). A
// CSV export goes through the API's CSV exporter, as it does for API
// clients (server.ServeHTTP): the API itself answers JSON only.
func (web *Web) callAPI(q *request, path, query, accept string) {
	inner := q.r.Clone(q.r.Context())
	inner.URL.Path = path
	inner.URL.RawQuery = query
	inner.Header.Set("Authorization", "Bearer "+q.secret)
	if accept != "" {
		inner.Header.Set("Accept", accept)
	}
	if api.WantsCSV(inner) {
		api.ExportCSV(q.w, inner, web.api)
		return
	}
	web.api.ServeHTTP(q.w, inner)
}

type alertsData struct {
	Items []store.Alert
	Names map[int64]string
	Next  string
}

func (web *Web) alerts(q *request) {
	v := q.r.URL.Query()
	p := q.page(q.L.T("nav.alerts"), alertsData{})
	p.Form = v
	f := store.AlertFilter{Currency: v.Get("currency"), BeforeID: q.cursor(p, "before"), Limit: 100}
	switch a := v.Get("active"); a {
	case "":
	case "1", "0":
		active := a == "1"
		f.Active = &active
	default:
		p.Errs["active"] = q.L.T("err.invalid")
	}
	if f.Currency != "" {
		if _, err := money.LookupCurrency(f.Currency); err != nil {
			p.Errs["currency"] = q.L.T("err.currency")
		}
	}
	if q.queryRefused("alerts", p) {
		return
	}
	items, err := web.store.Alerts(q.r.Context(), f)
	if err != nil {
		q.internal(err)
		return
	}
	d := alertsData{Items: items}
	ids := make([]int64, len(items))
	for i, a := range items {
		ids[i] = a.CustomerID
	}
	if d.Names, err = web.store.CustomerNames(q.r.Context(), ids); err != nil {
		q.internal(err)
		return
	}
	if len(items) == f.Limit {
		v.Set("before", itoa(items[len(items)-1].ID))
		d.Next = "/alerts?" + v.Encode()
	}
	p.Data = d
	q.render("alerts", 200, p)
}

type webhooksData struct {
	Items      []store.Webhook
	EventTypes []string
	Secret     string
	Deliveries []store.Delivery
	Selected   int64
	// Graces are the choices of how long a replaced secret still signs.
	Graces []int
}

// webhookGraces are the grace periods the rotation form offers, in hours.
var webhookGraces = []int{0, 1, ledger.DefaultWebhookGraceHours, 72, ledger.MaxWebhookGraceHours}

func (web *Web) webhooks(q *request) {
	if !q.need(auth.ActSystem) {
		return
	}
	web.renderWebhooks(q, q.page(q.L.T("nav.webhooks"), nil), "", http.StatusOK)
}

func (web *Web) renderWebhooks(q *request, p *page, secret string, status int) {
	items, err := web.store.Webhooks(q.r.Context(), 0, 100)
	if err != nil {
		q.internal(err)
		return
	}
	d := webhooksData{Items: items, EventTypes: ledger.WebhookEventTypes, Secret: secret, Graces: webhookGraces}
	if id := q.linkID(p, "deliveries"); id != 0 {
		d.Selected = id
		if d.Deliveries, err = web.store.WebhookDeliveries(q.r.Context(), store.DeliveryFilter{WebhookID: id, Limit: 50}); err != nil {
			q.internal(err)
			return
		}
	} else if p.Error != "" && status < http.StatusBadRequest {
		status = http.StatusUnprocessableEntity
	}
	p.Data = d
	q.render("webhooks", status, p)
}

func (web *Web) webhookCreate(q *request) {
	if !q.need(auth.ActSystem) {
		return
	}
	f := q.r.PostForm
	p := q.page(q.L.T("nav.webhooks"), nil)
	p.Form = f
	n := ledger.NewWebhook{URL: f.Get("url"), Events: f["events"], Description: f.Get("description")}
	_, err := n.Validate()
	if err == nil {
		err = webhook.CheckRegistration(q.r.Context(), n.URL, web.hooksPrivate)
	}
	var secret string
	if err == nil {
		_, secret, err = web.store.CreateWebhook(q.r.Context(), q.actor(), n)
	}
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
	if !q.need(auth.ActSystem) {
		return
	}
	id, ok := q.pathID()
	if !ok {
		return
	}
	if err := web.store.DeleteWebhook(q.r.Context(), q.actor(), id); err != nil {
		q.failErr(err) // not found is 404, anything else ours
		return
	}
	q.redirect("/webhooks?done=saved")
}

func (web *Web) webhookRedeliver(q *request) {
	if !q.need(auth.ActSystem) {
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
	if _, err := web.store.Redeliver(q.r.Context(), q.actor(), id, did); err != nil {
		q.failErr(err)
		return
	}
	q.redirect("/webhooks?deliveries=" + itoa(id) + "&done=saved")
}

// webhookPing sends a test event to one webhook and shows its delivery.
func (web *Web) webhookPing(q *request) {
	if !q.need(auth.ActSystem) {
		return
	}
	id, ok := q.pathID()
	if !ok {
		return
	}
	if _, err := web.store.PingWebhook(q.r.Context(), q.actor(), id); err != nil {
		q.failErr(err)
		return
	}
	q.redirect("/webhooks?deliveries=" + itoa(id) + "&done=pinged")
}

// webhookRotate gives a webhook a new secret and shows it, this once, with
// the time until which the old one still signs.
func (web *Web) webhookRotate(q *request) {
	if !q.need(auth.ActSystem) {
		return
	}
	id, ok := q.pathID()
	if !ok {
		return
	}
	p := q.page(q.L.T("nav.webhooks"), nil)
	grace, err := strconv.Atoi(q.r.PostForm.Get("grace_hours"))
	if err != nil {
		grace = -1 // refused below, as the API refuses it
	}
	secret, until, err := web.store.RotateWebhookSecret(q.r.Context(), q.actor(), id, ledger.WebhookRotation{GraceHours: grace})
	if err != nil {
		if q.formErrors(p, err) {
			p.Error = p.Errs["grace_hours"]
			web.renderWebhooks(q, p, "", http.StatusUnprocessableEntity)
			return
		}
		q.failErr(err)
		return
	}
	p.Flash = q.L.Tf("webhooks.rotated", q.L.Time(until))
	web.renderWebhooks(q, p, secret, http.StatusOK)
}
