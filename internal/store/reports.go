package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
)

// Reports sum the ledger's transactions; they read, never write.
//
// Over a period [From, To), by the time each transaction was posted:
//   - recharge    = top-ups posted in the period, minus reversals of top-ups
//     posted in the period (whenever the top-up itself was posted);
//   - consumption = charges posted in the period, minus reversals of charges
//     posted in the period, as a positive number;
//   - count       = how many of those transactions there are;
//   - bonus       = bonus credited with top-ups in the period (transactions
//     of type bonus), minus what reversals took back: recharge is the money
//     received, without it (SPEC 11);
//   - consumption_bonus = the part of consumption paid with bonus
//     (transactions.bonus of the charges), so that consumption less it is
//     what real money paid.
//
// Adjustments are neither: they appear in the cumulative totals only. A
// reversal counts in the period it is posted in, so a report of a closed
// period never changes afterwards.
//
// The sums are taken by the database (SUM, COUNT, GROUP BY), exactly: each
// in two halves (see exactSum), so that no number of large amounts can
// overflow a total (SPEC section 7). Days are days
// of the business time zone, whose boundaries Go computes (DayBounds), so
// that a 23- or 25-hour day around a DST change is one day, and no date
// function of either database, which differ, is needed.

// Report groupings.
const (
	GroupCurrency      = "currency"       // one row per currency
	GroupDay           = "day"            // per day of the business time zone
	GroupPaymentMethod = "payment_method" // per payment method of top-ups; charges have none
	GroupCustomer      = "customer"       // per customer
)

// ReportGroups are the groupings a summary can take.
var ReportGroups = []string{GroupCurrency, GroupDay, GroupPaymentMethod, GroupCustomer}

// MaxReportDays bounds the days of a report grouped by day: about ten years.
const MaxReportDays = 3700

// ReportQuery selects a summary.
type ReportQuery struct {
	From, To time.Time // the period; To is exclusive
	Currency string    // "" for every currency
	GroupBy  string    // one of ReportGroups; "" is GroupCurrency
	Location *time.Location
}

// ReportRow is one group of a summary. Amounts are minor units of Currency.
type ReportRow struct {
	// Key identifies the group: the currency code, the day (YYYY-MM-DD),
	// the payment method's id ("" for consumption, which has none), or the
	// customer's id.
	Key         string
	Label       string // for people: the payment method's or customer's name
	Currency    string
	Recharge    *big.Int
	Consumption *big.Int
	Bonus       *big.Int // credited with top-ups, beside Recharge
	// ConsumptionBonus is the part of Consumption that bonus paid.
	ConsumptionBonus *big.Int
	Count            int64
}

// StartOfDay is the first instant of the day y-m-d (normalised, so d may
// run past the month's end) in loc. That is midnight, except in zones whose
// clocks jump over midnight (America/Santiago, America/Havana, …): there
// time.Date gives 23:00 of the day before, and the day really starts at the
// jump.
func StartOfDay(y int, m time.Month, d int, loc *time.Location) time.Time {
	y, m, d = time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Date()
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	if ty, tm, td := t.Date(); ty != y || tm != m || td != d {
		if _, end := t.ZoneBounds(); !end.IsZero() {
			t = end.In(loc)
		}
	}
	return t
}

// DayBounds cuts [from, to) at each start of a day in loc. Bucket i is
// [bounds[i], bounds[i+1]) and is the day labels[i] (YYYY-MM-DD in loc); the
// first bucket starts at from, which need not be the start of a day.
func DayBounds(from, to time.Time, loc *time.Location) (bounds []time.Time, labels []string) {
	if !from.Before(to) {
		return nil, nil
	}
	y, m, d := from.In(loc).Date()
	bounds = []time.Time{from}
	labels = []string{time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)}
	for i := 1; ; i++ {
		next := StartOfDay(y, m, d+i, loc)
		if !next.Before(to) {
			break
		}
		bounds = append(bounds, next)
		labels = append(labels, time.Date(y, m, d+i, 0, 0, 0, 0, time.UTC).Format(time.DateOnly))
		if len(labels) > MaxReportDays {
			break // the caller refuses so many; stop counting
		}
	}
	return append(bounds, to), labels
}

// reportFrom, reportWhere and reportSums say which transactions a summary
// counts, and as what. A reversal counts as the kind of the transaction it
// reverses (o, joined only for reversals); its amount has the opposite
// sign, so it subtracts.
const reportFrom = ` FROM transactions t
	LEFT JOIN transactions o ON t.type = 'reversal' AND o.id = t.corrects`

const reportWhere = `(t.type IN ('topup', 'charge', 'bonus') OR o.type IN ('topup', 'charge', 'bonus'))`

var reportSums = exactSum("CASE WHEN COALESCE(o.type, t.type) = 'topup' THEN t.amount ELSE 0 END") + ",\n\t" +
	exactSum("CASE WHEN COALESCE(o.type, t.type) = 'charge' THEN -t.amount ELSE 0 END") + ",\n\t" +
	exactSum("CASE WHEN COALESCE(o.type, t.type) = 'bonus' THEN t.amount ELSE 0 END") + ",\n\t" +
	exactSum("CASE WHEN COALESCE(o.type, t.type) = 'charge' THEN -t.bonus ELSE 0 END")

// reportCount counts the top-ups and charges of a summary (its bonus
// transactions go with their top-ups).
const reportCount = "COUNT(CASE WHEN COALESCE(o.type, t.type) IN ('topup', 'charge') THEN 1 END)"

// exactSum sums an integer expression exactly, as two columns: the sum of
// its high parts (v / 2^32) and of its low parts (v % 2^32). Both databases
// divide integers toward zero and give the remainder the dividend's sign, so
// v = high·2^32 + low for every v, and each partial sum stays far inside
// int64 for any number of rows below 2^31, where one SUM of amounts would
// pass it after a few thousand large ones (SQLite fails with "integer
// overflow", PostgreSQL returns a numeric that does not fit).
func exactSum(expr string) string {
	return "CAST(COALESCE(SUM((" + expr + ") / 4294967296), 0) AS BIGINT), " +
		"CAST(COALESCE(SUM((" + expr + ") % 4294967296), 0) AS BIGINT)"
}

// halves scans the two columns of an exactSum.
type halves struct{ high, low int64 }

func (h *halves) dest() []any { return []any{&h.high, &h.low} }

// total is the exact sum the halves stand for.
func (h halves) total() *big.Int {
	t := big.NewInt(h.high)
	t.Lsh(t, 32)
	return t.Add(t, big.NewInt(h.low))
}

// scanSums scans a row of lead columns, one exactSum per total, then the
// trail columns.
func scanSums(row scanner, lead, trail []any, totals ...**big.Int) error {
	hs := make([]halves, len(totals))
	dest := lead
	for i := range hs {
		dest = append(dest, hs[i].dest()...)
	}
	if err := row.Scan(append(dest, trail...)...); err != nil {
		return err
	}
	for i, h := range hs {
		*totals[i] = h.total()
	}
	return nil
}

// ReportSummary sums recharge and consumption over a period, by currency
// and the chosen grouping, in one statement (one consistent snapshot).
// Rows come sorted by key, then currency; groups without any transaction
// are left out.
func (s *Store) ReportSummary(ctx context.Context, q ReportQuery) ([]ReportRow, error) {
	if q.GroupBy == "" {
		q.GroupBy = GroupCurrency
	}
	if q.Location == nil {
		q.Location = time.UTC
	}
	g, err := reportGrouping(q)
	if err != nil {
		return nil, err
	}
	if q.GroupBy == GroupDay && len(g.labels) == 0 {
		return []ReportRow{}, nil
	}
	w := where{}
	w.add("t.created_at >= ?", micros(q.From))
	w.add("t.created_at < ?", micros(q.To))
	w.add(reportWhere)
	if q.Currency != "" {
		w.add("t.currency = ?", q.Currency)
	}
	if q.GroupBy == GroupPaymentMethod {
		w.add("t.type <> 'bonus' AND COALESCE(o.type, '') <> 'bonus'") // bonus has no payment method
	}
	label := "''"
	if q.GroupBy == GroupCustomer {
		label = "c.name"
	}
	sqlText := g.with + "SELECT " + g.key + ", " + label + ", t.currency, " + reportSums + ", " + reportCount + reportFrom + g.join + w.sql() + " GROUP BY " + g.group
	rows, err := s.rdb.QueryContext(ctx, sqlText, w.args...)
	out, err := collect(rows, err, func(row scanner) (ReportRow, error) {
		var r ReportRow
		err := scanSums(row, []any{&r.Key, &r.Label, &r.Currency}, []any{&r.Count}, &r.Recharge, &r.Consumption, &r.Bonus, &r.ConsumptionBonus)
		return r, err
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []ReportRow{} // an empty report is a list, not nothing
	}
	switch q.GroupBy {
	case GroupCurrency:
		for i := range out {
			out[i].Label = out[i].Currency
		}
	case GroupDay:
		for i := range out {
			n, _ := strconv.Atoi(out[i].Key)
			out[i].Key, out[i].Label = g.labels[n], g.labels[n]
		}
	case GroupPaymentMethod:
		if err := s.labelPaymentMethods(ctx, out); err != nil {
			return nil, err
		}
	}
	sortReportRows(out)
	return out, nil
}

// reportGroup is the SQL of a summary's grouping: a common table expression
// before the SELECT, joins, the group's key and its GROUP BY.
type reportGroup struct {
	with, join, key, group string
	labels                 []string // by day: the day (YYYY-MM-DD) of each key
}

func reportGrouping(q ReportQuery) (reportGroup, error) {
	var g reportGroup
	switch q.GroupBy {
	case GroupCurrency:
		g.key, g.group = "t.currency", "t.currency"
	case GroupDay:
		// The days are a small table of literal integers that Go computed:
		// every transaction joins the day whose [lo, hi) holds its time.
		var bounds []time.Time
		bounds, g.labels = DayBounds(q.From, q.To, q.Location)
		if len(g.labels) > MaxReportDays {
			return g, ledger.InvalidBecause("to", "report_days", fmt.Sprintf("a report by day covers at most %d days; choose a shorter period", MaxReportDays), MaxReportDays)
		}
		var b strings.Builder
		b.WriteString("WITH days (dn, lo, hi) AS (VALUES ")
		for i := range g.labels {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "(%d, %d, %d)", i, micros(bounds[i]), micros(bounds[i+1]))
		}
		b.WriteString(") ")
		g.with = b.String()
		g.join = " JOIN days d ON t.created_at >= d.lo AND t.created_at < d.hi"
		g.key, g.group = "d.dn", "d.dn, t.currency"
	case GroupPaymentMethod:
		// The payment method is the funding system account the ledger moved
		// the money from: it is known for every top-up, with or without a
		// request. Charges go to revenue, which has no payment method.
		g.join = ` JOIN entries se ON se.transaction_id = t.id
			JOIN accounts sa ON sa.id = se.account_id AND sa.system_code IS NOT NULL`
		g.key, g.group = "sa.system_code", "sa.system_code, t.currency"
	case GroupCustomer:
		g.join = ` JOIN accounts ca ON ca.id = t.account_id
			JOIN customers c ON c.id = ca.customer_id`
		g.key, g.group = "c.id", "c.id, c.name, t.currency"
	default:
		return g, fmt.Errorf("store: unknown report grouping %q", q.GroupBy)
	}
	return g, nil
}

// ConsumptionLabel names the payment-method group of charges.
const ConsumptionLabel = "consumption (no payment method)"

// labelPaymentMethods turns funding account codes into payment methods.
func (s *Store) labelPaymentMethods(ctx context.Context, rows []ReportRow) error {
	methods, err := s.PaymentMethods(ctx)
	if err != nil {
		return err
	}
	byCode := map[string]PaymentMethod{}
	for _, m := range methods {
		byCode[m.Code] = m
	}
	for i := range rows {
		code := rows[i].Key
		if m, ok := byCode[strings.TrimPrefix(code, "funding:")]; ok && strings.HasPrefix(code, "funding:") {
			rows[i].Key, rows[i].Label = strconv.FormatInt(m.ID, 10), m.Name
		} else if code == "revenue" {
			rows[i].Key, rows[i].Label = "", ConsumptionLabel
		} else {
			rows[i].Label = code // not expected: show the account as it is
		}
	}
	return nil
}

// sortReportRows orders rows by key (ids as numbers, so "9" comes before
// "10"), then currency.
func sortReportRows(rows []ReportRow) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Key != b.Key {
			an, aerr := strconv.ParseInt(a.Key, 10, 64)
			bn, berr := strconv.ParseInt(b.Key, 10, 64)
			if aerr == nil && berr == nil {
				return an < bn
			}
			return a.Key < b.Key
		}
		return a.Currency < b.Currency
	})
}

// TotalsRow is the system-wide cumulative picture of one currency since the
// first posting. Amounts are minor units.
type TotalsRow struct {
	Currency       string
	Recharge       *big.Int // top-ups minus their reversals
	Consumption    *big.Int // charges minus their reversals, positive
	AdjustmentsIn  *big.Int // credit adjustments minus their reversals
	AdjustmentsOut *big.Int // debit adjustments minus their reversals, positive
	Transactions   int64    // every ledger transaction, reversals included
	// Promotional credit (SPEC 11): Bonus is what top-ups brought (net of
	// take-backs), ConsumptionBonus the part of Consumption bonus paid,
	// BonusAdjusted the bonus adjustments moved (grants less take-backs and
	// debits' bonus parts; in AdjustmentsIn/Out too), BonusExpired what ran
	// out, positive.
	Bonus, ConsumptionBonus, BonusAdjusted, BonusExpired *big.Int
	// CustomerBalances is the sum of the customer accounts' stored
	// balances. It equals Recharge - Consumption + AdjustmentsIn -
	// AdjustmentsOut + Bonus - BonusExpired, since every transaction is one
	// of those kinds. CustomerBonus, the sum of their bonus, equals Bonus +
	// BonusAdjusted - ConsumptionBonus - BonusExpired; CustomerPrincipal is
	// the rest: the customers' own money the business holds.
	CustomerBalances, CustomerPrincipal, CustomerBonus *big.Int
	Accounts                                           int64 // customer accounts
	BelowAlert                                         int64 // customer accounts whose balance is under their alert amount
}

// ReportTotals returns the cumulative totals per currency, all read from one
// snapshot of the database, so that they agree with each other while
// postings go on.
func (s *Store) ReportTotals(ctx context.Context) ([]TotalsRow, error) {
	var moved, held []TotalsRow
	err := s.snapshot(ctx, func(tx *sql.Tx) error {
		// The kind and sign of a reversal are those of what it reverses.
		rows, err := tx.QueryContext(ctx, `SELECT t.currency, `+reportSums+`,
			`+exactSum("CASE WHEN COALESCE(o.type, t.type) = 'adjustment' AND COALESCE(o.amount, t.amount) > 0 THEN t.amount ELSE 0 END")+`,
			`+exactSum("CASE WHEN COALESCE(o.type, t.type) = 'adjustment' AND COALESCE(o.amount, t.amount) < 0 THEN -t.amount ELSE 0 END")+`,
			`+exactSum("CASE WHEN COALESCE(o.type, t.type) = 'adjustment' THEN t.bonus ELSE 0 END")+`,
			`+exactSum("CASE WHEN t.type = 'bonus_expired' THEN -t.amount ELSE 0 END")+`,
			COUNT(*)`+reportFrom+` GROUP BY t.currency`)
		if moved, err = collect(rows, err, scanMoved); err != nil {
			return err
		}
		rows, err = tx.QueryContext(ctx, `SELECT currency, `+exactSum("balance")+`, `+exactSum("bonus")+`, COUNT(*),
			COUNT(CASE WHEN balance < alert_amount THEN 1 END)
			FROM accounts WHERE customer_id IS NOT NULL GROUP BY currency`)
		held, err = collect(rows, err, scanHeld)
		return err
	})
	if err != nil {
		return nil, err
	}
	// One row per currency of either query: a currency can have accounts
	// and no transaction yet.
	byCur := map[string]*TotalsRow{}
	for i := range moved {
		byCur[moved[i].Currency] = &moved[i]
	}
	for _, h := range held {
		r := byCur[h.Currency]
		if r == nil {
			r = &TotalsRow{Currency: h.Currency, Recharge: new(big.Int), Consumption: new(big.Int), AdjustmentsIn: new(big.Int), AdjustmentsOut: new(big.Int),
				Bonus: new(big.Int), ConsumptionBonus: new(big.Int), BonusAdjusted: new(big.Int), BonusExpired: new(big.Int)}
			byCur[h.Currency] = r
		}
		r.CustomerBalances, r.CustomerBonus, r.Accounts, r.BelowAlert = h.CustomerBalances, h.CustomerBonus, h.Accounts, h.BelowAlert
		r.CustomerPrincipal = new(big.Int).Sub(h.CustomerBalances, h.CustomerBonus)
	}
	out := []TotalsRow{}
	for _, r := range byCur {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out, nil
}

// scanMoved reads a currency's transaction totals into a TotalsRow.
func scanMoved(row scanner) (TotalsRow, error) {
	r := TotalsRow{CustomerBalances: new(big.Int), CustomerPrincipal: new(big.Int), CustomerBonus: new(big.Int)}
	err := scanSums(row, []any{&r.Currency}, []any{&r.Transactions}, &r.Recharge, &r.Consumption, &r.Bonus, &r.ConsumptionBonus,
		&r.AdjustmentsIn, &r.AdjustmentsOut, &r.BonusAdjusted, &r.BonusExpired)
	return r, err
}

// scanHeld reads a currency's customer accounts' totals into a TotalsRow.
func scanHeld(row scanner) (TotalsRow, error) {
	var r TotalsRow
	err := scanSums(row, []any{&r.Currency}, []any{&r.Accounts, &r.BelowAlert}, &r.CustomerBalances, &r.CustomerBonus)
	return r, err
}

// snapshot runs fn in a read-only transaction whose statements all see one
// snapshot: REPEATABLE READ on PostgreSQL (whose default, READ COMMITTED,
// takes a new snapshot per statement); on SQLite a read transaction in WAL
// mode already keeps the snapshot of its first read.
func (s *Store) snapshot(ctx context.Context, fn func(tx *sql.Tx) error) error {
	var opts *sql.TxOptions
	if s.dialect == Postgres {
		opts = &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}
	}
	tx, err := s.rdb.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}
