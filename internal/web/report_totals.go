package web

import (
	"math/big"
	"slices"
	"strconv"

	"github.com/cofferhq/coffer/internal/store"
)

// totalsTable is the system totals as the reports page shows them: a
// column per currency and a row per figure, so that a dozen figures stay
// readable on a phone (a business has a few currencies, not a dozen).
type totalsTable struct {
	Currencies []string
	Rows       []totalsRow
	Bonus      bool // the bonus rows are shown
}

// totalsRow is one figure in each currency. A Part is a share of the row
// above it, set muted and indented; the Sum is the customer balances,
// which the rows above it add up to.
type totalsRow struct {
	ID, Label string
	Values    []string
	Part, Sum bool
}

// totalsFigure is one row of the totals table: its id, message, the
// figure (a *big.Int amount or an int64 count), whether it is about bonus
// (left out where no currency has any) and how it is set.
type totalsFigure struct {
	id, key          string
	value            func(store.TotalsRow) any
	bonus, part, sum bool
}

// totalsFigures are the rows in order. From recharge to bonus expired
// they add up, with their signs, to the customer balances (the identity of
// store.TotalsRow), so that an accountant can follow the money down the
// column; the bonus parts beside them add up to the customers' bonus.
var totalsFigures = []totalsFigure{
	{id: "recharge", key: "dash.recharge", value: func(r store.TotalsRow) any { return r.Recharge }},
	{id: "bonus", key: "reports.bonus", value: func(r store.TotalsRow) any { return r.Bonus }, bonus: true},
	{id: "consumption", key: "dash.consumption", value: func(r store.TotalsRow) any { return r.Consumption }},
	{id: "consumption-bonus", key: "reports.consumption_bonus", value: func(r store.TotalsRow) any { return r.ConsumptionBonus }, bonus: true, part: true},
	{id: "adj-in", key: "reports.adj_in", value: func(r store.TotalsRow) any { return r.AdjustmentsIn }},
	{id: "adj-out", key: "reports.adj_out", value: func(r store.TotalsRow) any { return r.AdjustmentsOut }},
	{id: "bonus-adjusted", key: "reports.bonus_adjusted", value: func(r store.TotalsRow) any { return r.BonusAdjusted }, bonus: true, part: true},
	{id: "bonus-expired", key: "reports.bonus_expired", value: func(r store.TotalsRow) any { return r.BonusExpired }, bonus: true},
	{id: "balances", key: "reports.balances", value: func(r store.TotalsRow) any { return r.CustomerBalances }, sum: true},
	{id: "principal", key: "reports.customer_principal", value: func(r store.TotalsRow) any { return r.CustomerPrincipal }, bonus: true, part: true},
	{id: "customer-bonus", key: "reports.customer_bonus", value: func(r store.TotalsRow) any { return r.CustomerBonus }, bonus: true, part: true},
	{id: "accounts", key: "nav.accounts", value: func(r store.TotalsRow) any { return r.Accounts }},
	{id: "below-alert", key: "reports.below_alert", value: func(r store.TotalsRow) any { return r.BelowAlert }},
}

// newTotalsTable lays out the totals in l's language; nil when there are
// none. The bonus rows show only if some currency has a bonus figure, so
// that a business without promotions reads its totals as before.
func newTotalsTable(l *locale, rows []store.TotalsRow) *totalsTable {
	if len(rows) == 0 {
		return nil
	}
	t := &totalsTable{}
	for _, r := range rows {
		t.Currencies = append(t.Currencies, r.Currency)
	}
	t.Bonus = slices.ContainsFunc(rows, totalsHaveBonus)
	for _, f := range totalsFigures {
		if f.bonus && !t.Bonus {
			continue
		}
		row := totalsRow{ID: f.id, Label: l.T(f.key), Part: f.part, Sum: f.sum}
		for _, r := range rows {
			switch v := f.value(r).(type) {
			case *big.Int:
				row.Values = append(row.Values, l.Money(v, r.Currency))
			case int64:
				row.Values = append(row.Values, strconv.FormatInt(v, 10))
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// totalsHaveBonus reports whether bonus ever moved in r's currency.
func totalsHaveBonus(r store.TotalsRow) bool {
	for _, v := range []*big.Int{r.Bonus, r.ConsumptionBonus, r.BonusAdjusted, r.BonusExpired, r.CustomerBonus} {
		if v != nil && v.Sign() != 0 {
			return true
		}
	}
	return false
}
