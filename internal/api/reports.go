package api

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"coffer/internal/auth"
	"coffer/internal/ledger"
	"coffer/internal/money"
	"coffer/internal/store"
)

// Reports (SPEC section 2 "Reports", R 2.6–2.7): recharge and consumption
// for a period, a daily chart of them, and the system-wide cumulative
// totals. What is summed is defined in internal/store/reports.go and
// docs/reports.md.

const reportDefinitions = "recharge = top-ups posted in the period minus reversals of top-ups posted in the period; " +
	"consumption = charges posted in the period minus reversals of charges posted in the period (a positive number); " +
	"count = how many of those transactions. Adjustments are not included (see /reports/totals). " +
	"from and to are dates YYYY-MM-DD (days of the business time zone, the `timezone` setting; to is inclusive) " +
	"or RFC 3339 times (to exclusive). Without from and to the period is today; without to it runs to the end of today; " +
	"without from it is the day that to ends. Admins and reviewers may ask for today (or part of it) only: any other period is 403 forbidden; " +
	"super admins may ask for any period."

type ReportPeriodQuery struct {
	From     string `query:"from" doc:"First day (YYYY-MM-DD, business time zone) or RFC 3339 time. Default: today."`
	To       string `query:"to" doc:"Last day, inclusive (YYYY-MM-DD), or RFC 3339 time, exclusive. Default: the end of today."`
	Currency string `query:"currency" doc:"ISO 4217 code; all currencies when left out."`
}

type SummaryInput struct {
	ReportPeriodQuery
	GroupBy string `query:"group_by" enum:"currency,day,payment_method,customer," doc:"Rows per currency (default), per day of the business time zone, per payment method of the top-ups (charges form one row with key \"\"), or per customer."`
	Accept  string `header:"Accept" doc:"text/csv exports the rows as CSV."`
}

type SummaryRowJSON struct {
	Key         string `json:"key" doc:"The group: the currency code, the day (YYYY-MM-DD), the payment method's id (\"\" for consumption, which has no payment method), or the customer's id."`
	Currency    string `json:"currency"`
	Recharge    string `json:"recharge" doc:"Top-ups minus reversals of top-ups; negative when reversals outweigh top-ups."`
	Consumption string `json:"consumption" doc:"Charges minus reversals of charges, as a positive number."`
	Count       int64  `json:"count" doc:"How many top-ups, charges and reversals of them."`
	Label       string `json:"label" doc:"The group for people: the day, currency, payment method's name or customer's name."`
}

type SummaryJSON struct {
	From     time.Time        `json:"from" doc:"Start of the period (inclusive)."`
	To       time.Time        `json:"to" doc:"End of the period (exclusive)."`
	Timezone string           `json:"timezone" doc:"The business time zone the days are in."`
	GroupBy  string           `json:"group_by"`
	Rows     []SummaryRowJSON `json:"rows" doc:"Groups with at least one transaction, by key then currency."`
}

type SummaryOutput struct{ Body SummaryJSON }

type TotalsRowJSON struct {
	Currency         string `json:"currency"`
	Recharge         string `json:"recharge" doc:"All top-ups minus their reversals."`
	Consumption      string `json:"consumption" doc:"All charges minus their reversals, positive."`
	AdjustmentsIn    string `json:"adjustments_in" doc:"Credit adjustments minus their reversals."`
	AdjustmentsOut   string `json:"adjustments_out" doc:"Debit adjustments minus their reversals, positive."`
	CustomerBalances string `json:"customer_balances" doc:"Sum of the customer accounts' balances: recharge - consumption + adjustments_in - adjustments_out."`
	Accounts         int64  `json:"accounts" doc:"Customer accounts in the currency."`
	BelowAlert       int64  `json:"below_alert" doc:"Of those, accounts whose balance is under their alert amount."`
	Transactions     int64  `json:"transactions" doc:"Ledger transactions in the currency, reversals included."`
}

type TotalsJSON struct {
	AsOf time.Time       `json:"as_of"`
	Rows []TotalsRowJSON `json:"rows"`
}

type TotalsOutput struct{ Body TotalsJSON }

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
		func(ctx context.Context, in *SummaryInput) (*SummaryOutput, error) {
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
			rows, err := a.store.ReportSummary(ctx, store.ReportQuery{From: p.from, To: p.to, Currency: p.currency.Code(), GroupBy: group, Location: p.loc})
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
					Recharge: fmtTotal(r.Recharge, cur), Consumption: fmtTotal(r.Consumption, cur), Count: r.Count})
			}
			return out, nil
		})

	register(a, huma.Operation{OperationID: "report-chart", Method: http.MethodGet, Path: "/reports/chart.svg", Tags: tags,
		Summary: "A daily chart of recharge and consumption (SVG)",
		Description: "One panel per currency (or only the currency asked for), one pair of bars per day of the business time zone. " +
			"The period and who may ask for which period are as for /reports/summary.",
		Errors: []int{403, 422},
		Responses: map[string]*huma.Response{"200": {Description: "The chart", Content: map[string]*huma.MediaType{
			"image/svg+xml": {Schema: &huma.Schema{Type: "string"}}}}}}, auth.ActView,
		func(ctx context.Context, in *ReportPeriodQuery) (*ChartOutput, error) {
			p, err := a.reportPeriod(ctx, *in)
			if err != nil {
				return nil, err
			}
			if err := p.checkDays(); err != nil {
				return nil, err
			}
			rows, err := a.store.ReportSummary(ctx, store.ReportQuery{From: p.from, To: p.to, Currency: p.currency.Code(), GroupBy: store.GroupDay, Location: p.loc})
			if err != nil {
				return nil, err
			}
			_, days := store.DayBounds(p.from, p.to, p.loc)
			svg := drawChart(chartData(days, rows, p.currency), p.loc.String())
			return &ChartOutput{ContentType: "image/svg+xml; charset=utf-8", NoSniff: "nosniff", CSP: "default-src 'none'; sandbox", Body: svg}, nil
		})

	register(a, huma.Operation{OperationID: "report-totals", Method: http.MethodGet, Path: "/reports/totals", Tags: tags,
		Summary: "System-wide cumulative totals per currency",
		Description: "Since the first posting: recharge, consumption, adjustments in and out (each net of reversals), " +
			"the sum of customer balances and the number of customer accounts, all from one snapshot of the database. " +
			"With Accept: text/csv the rows are exported as CSV."}, auth.ActAnyPeriod,
		func(ctx context.Context, _ *struct{}) (*TotalsOutput, error) {
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
					Accounts: r.Accounts, BelowAlert: r.BelowAlert, Transactions: r.Transactions})
			}
			return out, nil
		})
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
	var problems []ledger.FieldProblem
	if in.Currency != "" {
		if p.currency, err = currency("currency", in.Currency); err != nil {
			problems = append(problems, err.(*ledger.ValidationError).Problems...)
		}
	}
	// Dates are parsed here rather than with timeRange so that a day starts
	// at its true first instant (store.StartOfDay) in every time zone.
	parse := func(field, v string, end bool) *time.Time {
		if v == "" {
			return nil
		}
		if d, err := time.Parse(time.DateOnly, v); err == nil {
			y, m, day := d.Date()
			if end {
				day++
			}
			t := store.StartOfDay(y, m, day, p.loc)
			return &t
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return &t
		}
		problems = append(problems, ledger.FieldProblem{Field: field, Message: "must be a date YYYY-MM-DD or an RFC 3339 time"})
		return nil
	}
	from, to := parse("from", in.From, false), parse("to", in.To, true)
	now := a.now().In(p.loc)
	y, m, d := now.Date()
	todayStart, todayEnd := store.StartOfDay(y, m, d, p.loc), store.StartOfDay(y, m, d+1, p.loc)
	switch {
	case from == nil && to == nil:
		p.from, p.to = todayStart, todayEnd
	case to == nil:
		p.from, p.to = *from, todayEnd
	case from == nil:
		// The day in which the period ends.
		ty, tm, td := to.Add(-time.Microsecond).In(p.loc).Date()
		p.from, p.to = store.StartOfDay(ty, tm, td, p.loc), *to
	default:
		p.from, p.to = *from, *to
	}
	if len(problems) == 0 && !p.from.Before(p.to) {
		problems = append(problems, ledger.FieldProblem{Field: "to", Message: "the period must end after it starts"})
	}
	if problems != nil {
		return p, &ledger.ValidationError{Problems: problems}
	}
	if !auth.Can(callerOf(ctx).Role(), auth.ActAnyPeriod) && (p.from.Before(todayStart) || p.to.After(todayEnd)) {
		return p, forbidden("admins and reviewers see reports of the current day only (" + now.Format(time.DateOnly) + ", " +
			p.loc.String() + "); a super admin sees any period")
	}
	return p, nil
}

// checkDays refuses a period of more days than a report by day covers.
func (p reportPeriodOf) checkDays() error {
	if _, days := store.DayBounds(p.from, p.to, p.loc); len(days) > store.MaxReportDays {
		return invalid("to", "a report by day covers at most "+strconv.Itoa(store.MaxReportDays)+" days; choose a shorter period")
	}
	return nil
}
