package api

import (
	"context"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/store"
)

// Reports (SPEC section 2 "Reports", R 2.6–2.7): recharge and consumption
// for a period, a daily chart of them, and the system-wide cumulative
// totals. What is summed is defined in internal/store/reports.go and
// docs/reports.md.

const reportDefinitions = "recharge = top-ups posted in the period minus reversals of top-ups posted in the period; " +
	"consumption = charges posted in the period minus reversals of charges posted in the period (a positive number); " +
	"count = how many of those transactions. Adjustments are not included (see /reports/totals). " +
	"recharge is money received, without bonus: bonus = the bonus top-ups brought (SPEC 11, transactions of type bonus, not counted in count), " +
	"consumption_bonus = the part of consumption bonus paid, consumption_principal = the rest. " +
	"from and to are dates YYYY-MM-DD (days of the business time zone, the `timezone` setting; to is inclusive) " +
	"or RFC 3339 times (to exclusive). Without from and to the period is today; without to it runs to the end of today; " +
	"without from it is the day that to ends. Admins and reviewers may ask for today (or part of it) only: any other period is 403 forbidden; " +
	"super admins may ask for any period."

// ReportPeriodQuery is the period and currency of a report.
type ReportPeriodQuery struct {
	From     string `query:"from" doc:"First day (YYYY-MM-DD, business time zone) or RFC 3339 time. Default: today."`
	To       string `query:"to" doc:"Last day, inclusive (YYYY-MM-DD), or RFC 3339 time, exclusive. Default: the end of today."`
	Currency string `query:"currency" doc:"ISO 4217 code; all currencies when left out."`
}

// SummaryInput asks for recharge and consumption in a period, grouped.
type SummaryInput struct {
	ReportPeriodQuery
	GroupBy string `query:"group_by" enum:"currency,day,payment_method,customer," doc:"Rows per currency (default), per day of the business time zone, per payment method of the top-ups (charges form one row with key \"\"), or per customer."`
	Accept  string `header:"Accept" doc:"text/csv exports the rows as CSV."`
}

// SummaryRowJSON is one group of a summary in one currency.
type SummaryRowJSON struct {
	Key         string `json:"key" doc:"The group: the currency code, the day (YYYY-MM-DD), the payment method's id (\"\" for consumption, which has no payment method), or the customer's id."`
	Currency    string `json:"currency" example:"CNY"`
	Recharge    string `json:"recharge" doc:"Top-ups minus reversals of top-ups; negative when reversals outweigh top-ups." example:"1000.00"`
	Consumption string `json:"consumption" doc:"Charges minus reversals of charges, as a positive number." example:"880.00"`
	Count       int64  `json:"count" doc:"How many top-ups, charges and reversals of them."`
	Label       string `json:"label" doc:"The group for people: the day, currency, payment method's name or customer's name."`
	// Promotional credit (SPEC 11), after the columns CSV readers know.
	Bonus                string `json:"bonus" doc:"Bonus credited with top-ups, minus what reversals took back; not in recharge, which is money received. Not split by payment method (0 in those rows)." example:"50.00"`
	ConsumptionPrincipal string `json:"consumption_principal" doc:"The part of consumption the customers' own money paid." example:"830.00"`
	ConsumptionBonus     string `json:"consumption_bonus" doc:"The part of consumption bonus paid." example:"50.00"`
}

// SummaryJSON is recharge and consumption in a period.
type SummaryJSON struct {
	From     time.Time        `json:"from" doc:"Start of the period (inclusive)."`
	To       time.Time        `json:"to" doc:"End of the period (exclusive)."`
	Timezone string           `json:"timezone" doc:"The business time zone the days are in." example:"Asia/Shanghai"`
	GroupBy  string           `json:"group_by"`
	Rows     []SummaryRowJSON `json:"rows" doc:"Groups with at least one transaction, by key then currency."`
}

// SummaryOutput is a summary report.
type SummaryOutput struct{ Body SummaryJSON }

// TotalsRowJSON is the cumulative totals of one currency.
type TotalsRowJSON struct {
	Currency         string `json:"currency" example:"CNY"`
	Recharge         string `json:"recharge" doc:"All top-ups minus their reversals." example:"1000.00"`
	Consumption      string `json:"consumption" doc:"All charges minus their reversals, positive." example:"880.00"`
	AdjustmentsIn    string `json:"adjustments_in" doc:"Credit adjustments minus their reversals."`
	AdjustmentsOut   string `json:"adjustments_out" doc:"Debit adjustments minus their reversals, positive."`
	CustomerBalances string `json:"customer_balances" doc:"Sum of the customer accounts' balances: recharge - consumption + adjustments_in - adjustments_out + bonus - bonus_expired."`
	Accounts         int64  `json:"accounts" doc:"Customer accounts in the currency."`
	BelowAlert       int64  `json:"below_alert" doc:"Of those, accounts whose balance is under their alert amount."`
	Transactions     int64  `json:"transactions" doc:"Ledger transactions in the currency, reversals included."`
	// Promotional credit (SPEC 11).
	Bonus             string `json:"bonus" doc:"Bonus credited with top-ups, minus take-backs."`
	ConsumptionBonus  string `json:"consumption_bonus" doc:"The part of consumption bonus paid."`
	BonusAdjusted     string `json:"bonus_adjusted" doc:"Bonus moved by adjustments (reason promotion credits, less take-backs and the bonus debit adjustments spent); inside adjustments_in and adjustments_out too."`
	BonusExpired      string `json:"bonus_expired" doc:"Bonus that ran out, positive."`
	CustomerPrincipal string `json:"customer_principal" doc:"The customers' own money the business holds: customer_balances - customer_bonus."`
	CustomerBonus     string `json:"customer_bonus" doc:"Sum of the customer accounts' bonus: bonus + bonus_adjusted - consumption_bonus - bonus_expired."`
}

// TotalsJSON is the cumulative totals of every currency, from one snapshot.
type TotalsJSON struct {
	AsOf time.Time       `json:"as_of"`
	Rows []TotalsRowJSON `json:"rows"`
}

// TotalsOutput is the totals report.
type TotalsOutput struct{ Body TotalsJSON }

// ChartInput asks for the daily chart of a period, in a language.
type ChartInput struct {
	ReportPeriodQuery
	Lang string `query:"lang" enum:"en,zh-CN," doc:"The language of the chart's titles, legend and axes: en (default) or zh-CN."`
}

// ChartOutput is the SVG chart, with headers that keep a browser from
// running anything in it.
type ChartOutput struct {
	ContentType string `header:"Content-Type"`
	NoSniff     string `header:"X-Content-Type-Options"`
	CSP         string `header:"Content-Security-Policy"`
	Body        []byte
}

func (a *API) registerReports() {
	tags := []string{"reports"}
	register(a, huma.Operation{OperationID: "report-summary", Method: http.MethodGet, Path: "/reports/summary", Tags: tags,
		Summary:     "Recharge and consumption for a period",
		Description: reportDefinitions + " With Accept: text/csv the rows are exported as CSV.", Errors: []int{403, 422}}, auth.ActView,
		a.reportSummary)
	register(a, huma.Operation{OperationID: "report-chart", Method: http.MethodGet, Path: "/reports/chart.svg", Tags: tags,
		Summary: "A daily chart of recharge and consumption (SVG)",
		Description: "One panel per currency (or only the currency asked for), one pair of bars per day of the business time zone. " +
			"The period and who may ask for which period are as for /reports/summary; lang=zh-CN draws its texts in Chinese.",
		Errors: []int{403, 422},
		Responses: map[string]*huma.Response{"200": {Description: "The chart", Content: map[string]*huma.MediaType{
			"image/svg+xml": {Schema: &huma.Schema{Type: "string"}}}}}}, auth.ActView, a.reportChart)
	register(a, huma.Operation{OperationID: "report-totals", Method: http.MethodGet, Path: "/reports/totals", Tags: tags,
		Summary: "System-wide cumulative totals per currency",
		Description: "Since the first posting: recharge, consumption, adjustments in and out (each net of reversals), " +
			"the sum of customer balances and the number of customer accounts, all from one snapshot of the database. " +
			"With Accept: text/csv the rows are exported as CSV."}, auth.ActAnyPeriod, a.reportTotals)
}

func (a *API) reportSummary(ctx context.Context, in *SummaryInput) (*SummaryOutput, error) {
	p, err := a.reportPeriod(ctx, in.ReportPeriodQuery)
	if err != nil {
		return nil, err
	}
	group := in.GroupBy
	if group == "" {
		group = store.GroupCurrency
	}
	if !slices.Contains(store.ReportGroups, group) {
		return nil, invalid("group_by", "must be one of "+strings.Join(store.ReportGroups, ", "))
	}
	if group == store.GroupDay {
		if err := p.checkDays(); err != nil {
			return nil, err
		}
	}
	rows, err := a.store.ReportSummary(ctx, p.query(group))
	if err != nil {
		return nil, err
	}
	out := &SummaryOutput{Body: SummaryJSON{From: utc(p.from), To: utc(p.to), Timezone: p.loc.String(), GroupBy: group, Rows: []SummaryRowJSON{}}}
	for _, r := range rows {
		cur, err := money.LookupCurrency(r.Currency)
		if err != nil {
			return nil, err
		}
		out.Body.Rows = append(out.Body.Rows, SummaryRowJSON{Key: r.Key, Label: r.Label, Currency: r.Currency,
			Recharge: fmtTotal(r.Recharge, cur), Consumption: fmtTotal(r.Consumption, cur), Count: r.Count, Bonus: fmtTotal(r.Bonus, cur),
			ConsumptionPrincipal: fmtTotal(new(big.Int).Sub(r.Consumption, r.ConsumptionBonus), cur), ConsumptionBonus: fmtTotal(r.ConsumptionBonus, cur)})
	}
	return out, nil
}

func (a *API) reportChart(ctx context.Context, in *ChartInput) (*ChartOutput, error) {
	p, err := a.reportPeriod(ctx, in.ReportPeriodQuery)
	if err != nil {
		return nil, err
	}
	if err := p.checkDays(); err != nil {
		return nil, err
	}
	rows, err := a.store.ReportSummary(ctx, p.query(store.GroupDay))
	if err != nil {
		return nil, err
	}
	_, days := store.DayBounds(p.from, p.to, p.loc)
	svg := chartIn(in.Lang).draw(chartData(days, rows, p.currency), p.loc.String())
	return &ChartOutput{ContentType: "image/svg+xml; charset=utf-8", NoSniff: "nosniff", CSP: "default-src 'none'; sandbox", Body: svg}, nil
}

func (a *API) reportTotals(ctx context.Context, _ *struct{}) (*TotalsOutput, error) {
	rows, err := a.store.ReportTotals(ctx)
	if err != nil {
		return nil, err
	}
	out := &TotalsOutput{Body: TotalsJSON{AsOf: utc(a.now()), Rows: []TotalsRowJSON{}}}
	for _, r := range rows {
		cur, err := money.LookupCurrency(r.Currency)
		if err != nil {
			return nil, err
		}
		out.Body.Rows = append(out.Body.Rows, TotalsRowJSON{Currency: r.Currency, Recharge: fmtTotal(r.Recharge, cur),
			Consumption: fmtTotal(r.Consumption, cur), AdjustmentsIn: fmtTotal(r.AdjustmentsIn, cur),
			AdjustmentsOut: fmtTotal(r.AdjustmentsOut, cur), CustomerBalances: fmtTotal(r.CustomerBalances, cur),
			Accounts: r.Accounts, BelowAlert: r.BelowAlert, Transactions: r.Transactions, Bonus: fmtTotal(r.Bonus, cur),
			ConsumptionBonus: fmtTotal(r.ConsumptionBonus, cur), BonusAdjusted: fmtTotal(r.BonusAdjusted, cur), BonusExpired: fmtTotal(r.BonusExpired, cur),
			CustomerPrincipal: fmtTotal(r.CustomerPrincipal, cur), CustomerBonus: fmtTotal(r.CustomerBonus, cur)})
	}
	return out, nil
}

// reportPeriodOf is a report's resolved period.
type reportPeriodOf struct {
	from, to time.Time // to exclusive
	loc      *time.Location
	currency money.Currency // zero for all currencies
}

// reportPeriod reads from, to and currency, applies the defaults, and
// refuses admins and reviewers any period that is not (part of) today in
// the business time zone.
func (a *API) reportPeriod(ctx context.Context, in ReportPeriodQuery) (reportPeriodOf, error) {
	settings, err := a.store.Settings(ctx)
	if err != nil {
		return reportPeriodOf{}, err
	}
	p := reportPeriodOf{loc: settings.Location()}
	var problems fieldProblems
	if in.Currency != "" {
		p.currency, err = currency("currency", in.Currency)
		problems.add(err)
	}
	from, to := timeBound(&problems, "from", in.From, false, p.loc), timeBound(&problems, "to", in.To, true, p.loc)
	now := a.now().In(p.loc)
	y, m, d := now.Date()
	todayStart, todayEnd := store.StartOfDay(y, m, d, p.loc), store.StartOfDay(y, m, d+1, p.loc)
	p.from, p.to = defaultPeriod(from, to, todayStart, todayEnd, p.loc)
	if len(problems) == 0 && !p.from.Before(p.to) {
		problems.field("to", "the period must end after it starts")
	}
	if err := problems.err(); err != nil {
		return p, err
	}
	if !auth.Can(callerOf(ctx).Role(), auth.ActAnyPeriod) && (p.from.Before(todayStart) || p.to.After(todayEnd)) {
		return p, forbidden("admins and reviewers see reports of the current day only (" + now.Format(time.DateOnly) + ", " +
			p.loc.String() + "); a super admin sees any period")
	}
	return p, nil
}

// defaultPeriod fills in the bounds a report's period leaves out: with
// neither it is today; without to it runs to the end of today; without from
// it is the day in which it ends.
func defaultPeriod(from, to *time.Time, todayStart, todayEnd time.Time, loc *time.Location) (time.Time, time.Time) {
	switch {
	case from == nil && to == nil:
		return todayStart, todayEnd
	case to == nil:
		return *from, todayEnd
	case from == nil:
		// to is exclusive: the period's last instant is just before it.
		y, m, d := to.Add(-time.Microsecond).In(loc).Date()
		return store.StartOfDay(y, m, d, loc), *to
	default:
		return *from, *to
	}
}

// query is the store's query for the period, grouped by group.
func (p reportPeriodOf) query(group string) store.ReportQuery {
	return store.ReportQuery{From: p.from, To: p.to, Currency: p.currency.Code(), GroupBy: group, Location: p.loc}
}

// checkDays refuses a period of more days than a report by day covers.
func (p reportPeriodOf) checkDays() error {
	if _, days := store.DayBounds(p.from, p.to, p.loc); len(days) > store.MaxReportDays {
		return invalid("to", "a report by day covers at most "+strconv.Itoa(store.MaxReportDays)+" days; choose a shorter period")
	}
	return nil
}
