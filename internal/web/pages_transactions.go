package web

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/api"
	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/store"
)

// The transactions pages: every account's transactions under one combined
// query (seeds G 3.1 and R 4), one transaction with its entries and the
// transactions that reverse or correct it, and its printable receipt.
// Everyone who may view transactions (auth.ActView: every role, as the
// API's GET /transactions) sees them all; reversing is ActOperate.

// txTypes are the transaction types in the order the filter offers them.
var txTypes = []ledger.TxType{ledger.TxTopUp, ledger.TxBonus, ledger.TxCharge, ledger.TxAdjustment, ledger.TxReversal, ledger.TxBonusExpired}

// txTones colour a transaction's type: money in (a recharge and its
// bonus), money out, by hand, undone, bonus run out.
var txTones = map[ledger.TxType]string{ledger.TxTopUp: "success", ledger.TxBonus: "success", ledger.TxCharge: "primary",
	ledger.TxAdjustment: "info", ledger.TxReversal: "warning", ledger.TxBonusExpired: "secondary"}

// txBadge is a transaction type as a badge in the page's language.
func txBadge(l *locale, t ledger.TxType) badgeView {
	return badgeView{Label: l.T("type." + string(t)), Tone: txTones[t]}
}

// txView is one row of the list.
type txView struct {
	store.TxRow
	Badge badgeView
}

// sortLink is a column header that sorts the list: its link and, for
// aria-sort, how the list is sorted by it now.
type sortLink struct {
	Href  string
	State string // "ascending", "descending" or "none"
}

type txListData struct {
	Rows       []txView
	Pager      pager
	Types      []ledger.TxType
	Reasons    []ledger.Reason
	Currencies []string
	SortTime   sortLink
	SortAmount sortLink
	Export     string
}

// txFilter reads the list's combined query from v into a store filter; a
// value that does not parse is marked beside its field, never dropped.
func (q *request) txFilter(v url.Values, p *page) store.TxFilter {
	f := store.TxFilter{Q: strings.TrimSpace(v.Get("q")), Type: ledger.TxType(v.Get("type")), Reason: ledger.Reason(v.Get("reason")),
		Currency: v.Get("currency"), Operator: strings.TrimSpace(v.Get("operator")), Reference: strings.TrimSpace(v.Get("reference")),
		Sort: v.Get("sort")}
	if f.Type != "" && !slices.Contains(txTypes, f.Type) {
		p.Errs["type"] = q.L.T("why.choose")
	}
	if f.Reason != "" && !f.Reason.Valid() {
		p.Errs["reason"] = q.L.T("why.choose")
	}
	if f.Currency != "" {
		if _, err := money.LookupCurrency(f.Currency); err != nil {
			p.Errs["currency"] = q.L.T("err.currency")
		}
	}
	if f.Sort != "" && !slices.Contains(store.TxSorts, f.Sort) {
		p.Error = q.L.Tf("err.bad_link", "sort")
	}
	f.From = q.txDay(v, p, "from", false)
	f.To = q.txDay(v, p, "to", true)
	if f.From != nil && f.To != nil && !f.To.After(*f.From) {
		p.Errs["to"] = q.L.T("err.invalid")
	}
	f.AmountMin = q.txAmountBound(v, p, "amount_min")
	f.AmountMax = q.txAmountBound(v, p, "amount_max")
	return f
}

// txDay reads a date of the business time zone; the end of a range is
// inclusive, so it becomes the start of the day after.
func (q *request) txDay(v url.Values, p *page, field string, end bool) *time.Time {
	s := v.Get(field)
	if s == "" {
		return nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		p.Errs[field] = q.L.T("err.date")
		return nil
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	t := store.StartOfDay(d.Year(), d.Month(), d.Day(), q.L.loc)
	return &t
}

// txAmountBound reads a bound of the amount's size: a decimal in the major
// unit of each transaction's currency, without a sign (a consumption of 5
// and a recharge of 5 are both of size 5).
func (q *request) txAmountBound(v url.Values, p *page, field string) *store.MajorBound {
	s := strings.TrimSpace(v.Get(field))
	if s == "" {
		return nil
	}
	b, err := store.ParseMajorBound(s)
	if err != nil || strings.HasPrefix(s, "-") {
		p.Errs[field] = q.L.T("why.not_decimal")
		return nil
	}
	return &b
}

func (web *Web) transactions(q *request) {
	v := q.r.URL.Query()
	p := q.page(q.L.T("nav.transactions"), nil)
	p.Form = v
	d := txListData{Types: txTypes, Reasons: ledger.Reasons}
	var err error
	if d.Currencies, err = web.store.TxCurrencies(q.r.Context()); err != nil {
		q.internal(err)
		return
	}
	f := q.txFilter(v, p)
	d.SortTime, d.SortAmount = sortLinks(v, "created_at"), sortLinks(v, "amount")
	p.Data = d
	if q.queryRefused("transactions", p) {
		return
	}
	_, size, offset := pageOf(v)
	f.Limit, f.Offset = size, offset
	rows, total, err := web.store.TxRows(q.r.Context(), f)
	if err != nil {
		q.internal(err)
		return
	}
	for _, r := range rows {
		d.Rows = append(d.Rows, txView{TxRow: r, Badge: txBadge(q.L, r.Type)})
	}
	d.Pager = newPager(q.L, "/transactions", v, total, len(rows))
	d.Export = "/transactions/export?" + withoutPaging(v).Encode()
	p.Data = d
	q.render("transactions", 200, p)
}

// sortLinks is the header link of column col ("created_at" or "amount"):
// the first click sorts by it, newest or largest first; the next turns it.
func sortLinks(v url.Values, col string) sortLink {
	cur := v.Get("sort")
	if cur == "" {
		cur = "-created_at"
	}
	next, state := "-"+col, "none"
	switch cur {
	case "-" + col:
		next, state = col, "descending"
	case col:
		state = "ascending"
	}
	q := withoutPaging(v)
	q.Set("sort", next)
	return sortLink{Href: "/transactions?" + q.Encode(), State: state}
}

// withoutPaging is the query v without its page number, for a link that
// changes what the list holds or how it is ordered (back to page one).
func withoutPaging(v url.Values) url.Values {
	q := url.Values{}
	for k, vs := range v {
		if k != "page" {
			q[k] = vs
		}
	}
	return q
}

// txExportPage is how many rows the export reads at a time.
const txExportPage = 500

// transactionsExport writes the list's rows, every page of them, as CSV,
// with the columns the table shows. It is written here rather than by the
// API's exporter because the API's transaction filters lack most of the
// combined query (customer text, reason, currency, amounts, operator,
// reference).
func (web *Web) transactionsExport(q *request) {
	v := q.r.URL.Query()
	p := q.page(q.L.T("nav.transactions"), txListData{Types: txTypes, Reasons: ledger.Reasons})
	p.Form = v
	f := q.txFilter(v, p)
	if q.queryRefused("transactions", p) {
		return
	}
	h := q.w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="transactions.csv"`)
	h.Set("X-Content-Type-Options", "nosniff")
	out := csv.NewWriter(q.w)
	out.Write(txCSVHeader(q.L))
	f.Limit = txExportPage
	for {
		rows, _, err := web.store.TxRows(q.r.Context(), f)
		if err != nil {
			// The header is gone: cut the body short, so that the download
			// is seen to be incomplete rather than taken for all of it.
			web.log.ErrorContext(q.r.Context(), "transactions export", "err", err)
			panic(http.ErrAbortHandler)
		}
		for _, r := range rows {
			out.Write(txCSVRow(q.L, r))
		}
		out.Flush()
		if len(rows) < f.Limit {
			return
		}
		f.Offset += f.Limit
	}
}

func txCSVHeader(l *locale) []string {
	return []string{l.T("common.time"), l.T("txns.number"), l.T("common.customer"), l.T("account.number"), l.T("common.currency"),
		l.T("common.type"), l.T("adjust.reason"), l.T("common.amount"), l.T("account.balance_after"), l.T("charge.reference"),
		l.T("charge.note"), l.T("txns.operator")}
}

// txCSVRow is a row of the export: amounts as plain decimal strings, times
// in the business time zone.
func txCSVRow(l *locale, r store.TxRow) []string {
	digits := r.Currency.Digits()
	after, reason := "", ""
	if r.BalanceAfter != nil {
		after = money.FormatMinor(*r.BalanceAfter, digits)
	}
	if r.Reason != "" {
		reason = l.T("reason." + string(r.Reason))
	}
	row := []string{r.CreatedAt.In(l.loc).Format("2006-01-02 15:04:05"), itoa(r.ID), r.CustomerName, r.AccountNumber, r.Currency.Code(),
		l.T("type." + string(r.Type)), reason, money.FormatMinor(r.Amount, digits), after, r.Reference, r.Note, r.Operator}
	for i, c := range row {
		row[i] = spreadsheetSafe(c)
	}
	return row
}

var plainNumber = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?$`)

// spreadsheetSafe keeps a spreadsheet from reading a cell as a formula, as
// the API's CSV exporter does: text that starts with = + - @ or a control
// character gets a leading quote, unless it is a plain number ("-12.50").
func spreadsheetSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r\n", rune(s[0])) && !plainNumber.MatchString(s) {
		return "'" + s
	}
	return s
}

type txDetailData struct {
	T          store.TxDetail
	Badge      badgeView
	CanReverse bool
	Methods    map[string]string // payment method code → name, for funding accounts
	// Bonus and Principal are what the transaction moves of each part of
	// its customer account's balance (SPEC 11); Parts, that it moves
	// bonus at all, and so that the page names the parts.
	Bonus, Principal int64
	Parts            bool
	// Lot is the bonus a grant opened, while some of it is left.
	Lot *ledger.Lot
}

// txDetail reads the transaction of the path for its page; it answers
// the request itself (404, 500) when it cannot.
func (web *Web) txDetail(q *request) (txDetailData, bool) {
	id, ok := q.pathID()
	if !ok {
		return txDetailData{}, false
	}
	t, err := web.store.TransactionDetail(q.r.Context(), id)
	if err != nil {
		q.failErr(err) // not found is 404, anything else ours
		return txDetailData{}, false
	}
	methods, err := web.store.PaymentMethods(q.r.Context())
	if err != nil {
		q.internal(err)
		return txDetailData{}, false
	}
	d := txDetailData{T: t, Badge: txBadge(q.L, t.Type), Methods: map[string]string{}}
	if err := web.txParts(q, &d); err != nil {
		q.internal(err)
		return txDetailData{}, false
	}
	for _, m := range methods {
		d.Methods[ledger.SystemFundingPfx+m.Code] = m.Name
	}
	// A reversal is not reversed, nor a transaction twice, nor one whose
	// entries retention archived (store.Reverse refuses each).
	d.CanReverse = q.can(auth.ActOperate) && t.Type != ledger.TxReversal && t.ReversedBy == 0 && len(t.Lines) > 0 && d.bonusRefusal() == ""
	return d, true
}

// txParts fills in what d's transaction moves of bonus and principal, and
// the lot it granted. The balance after is the one its last entry on the
// customer account left: a split debit has two, the first of which is
// only a step between.
func (web *Web) txParts(q *request, d *txDetailData) error {
	var entries []ledger.Entry
	for _, l := range d.T.Lines {
		entries = append(entries, l.Entry)
		if l.AccountID == d.T.AccountID && l.BalanceAfter != nil {
			d.T.BalanceAfter = l.BalanceAfter
		}
	}
	d.Bonus, d.Principal = partSums(entries, d.T.AccountID)
	d.Parts = d.Bonus != 0
	if d.Bonus <= 0 || d.T.Type == ledger.TxReversal {
		return nil
	}
	lots, err := web.store.Lots(q.r.Context(), d.T.AccountID)
	for i := range lots {
		if lots[i].TransactionID == d.T.ID {
			d.Lot = &lots[i]
		}
	}
	return err
}

func (web *Web) transactionDetail(q *request) {
	d, ok := web.txDetail(q)
	if !ok {
		return
	}
	q.render("transaction", 200, q.page(q.L.Tf("txns.title_one", d.T.ID), d))
}

func (web *Web) transactionReceipt(q *request) {
	d, ok := web.txDetail(q)
	if !ok {
		return
	}
	q.render("receipt", 200, q.page(q.L.T("txns.receipt"), d))
}

// reverseForm shows the reversal's confirmation, or why the transaction
// cannot be reversed, with the note typed kept and its problem beside it.
func (web *Web) reverseForm(q *request, d txDetailData, p *page, status int) {
	a, err := web.store.Account(q.r.Context(), d.T.AccountID)
	if err != nil {
		q.internal(err) // a transaction's account is never missing
		return
	}
	p.Title = q.L.T("reverse.title")
	p.Data = reverseData{txDetailData: d, FormToken: q.formToken(), Balance: a.Balance, After: a.Balance - reversalTakes(d)}
	switch refusal := d.bonusRefusal(); {
	case d.T.ReversedBy != 0:
		p.Error, status = q.L.T("err.already_reversed"), max(status, http.StatusConflict)
	case d.T.Type == ledger.TxReversal:
		p.Error, status = q.L.T("why.reverse_reversal"), max(status, http.StatusConflict)
	case len(d.T.Lines) == 0:
		p.Error, status = q.L.T("why.archived_entries"), max(status, http.StatusConflict)
	case refusal != "":
		p.Error, status = q.L.T(refusal), max(status, http.StatusConflict)
	}
	q.render("reverse", status, p)
}

// reverseFailed shows the confirmation again after store.Reverse refused,
// with the transaction read anew: a reversal that won a race is then
// linked. An error that is not the user's is ours (500).
func (web *Web) reverseFailed(q *request, d txDetailData, p *page, err error) {
	if !q.formErrors(p, err) {
		q.internal(err)
		return
	}
	if t, rerr := web.store.TransactionDetail(q.r.Context(), d.T.ID); rerr == nil {
		d.T = t
		d.CanReverse = d.CanReverse && t.ReversedBy == 0
	}
	web.reverseForm(q, d, p, api.StatusOf(err))
}
