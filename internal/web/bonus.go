package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/store"
)

// Principal and bonus in the console (SPEC 11). A customer account's
// balance is its own money (principal) plus bonus, promotional credit held
// in lots that may expire. The console says a bonus's end as the last day
// it may be spent: the adjustment form reads "valid through D" as an
// expiry at the start of the day after D in the business time zone (the
// day ends, the bonus with it), and ValidThrough shows such an expiry as D
// again. An expiry set otherwise (the API takes any moment) shows as that
// moment.

// ValidThrough says until when bonus that expires at t may be spent: the
// day before t when t starts a day of the business time zone, else t
// itself; nil: it never expires.
func (l *locale) ValidThrough(t *time.Time) string {
	if t == nil {
		return l.T("account.lot_never")
	}
	v := t.In(l.loc)
	if store.StartOfDay(v.Year(), v.Month(), v.Day(), l.loc).Equal(v) {
		return l.Date(v.Add(-time.Nanosecond))
	}
	return l.Time(v)
}

// bonusExpiry reads the adjustment form's last day of a bonus (field
// bonus_expires_at, a date): the bonus expires at the start of the next
// day in the business time zone. Empty: it never expires.
func (q *request) bonusExpiry(f url.Values) (*time.Time, error) {
	s := strings.TrimSpace(f.Get("bonus_expires_at"))
	if s == "" {
		return nil, nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil, ledger.Invalid("bonus_expires_at", q.L.T("err.date"))
	}
	// Today is a last day the domain takes (it ends in the future); the
	// domain's "must be in the future" would read wrongly of a day.
	if today := q.web.now().In(q.L.loc).Format(time.DateOnly); s < today {
		return nil, ledger.Invalid("bonus_expires_at", q.L.T("adjust.bonus_past"))
	}
	t := store.StartOfDay(d.Year(), d.Month(), d.Day()+1, q.L.loc) // StartOfDay carries day 32 into the next month
	return &t, nil
}

// lotView is an open lot as the account page lists it.
type lotView struct {
	ledger.Lot
	Expired bool // run out, and not yet posted as bonus_expired by the job
}

// bonusView is what the account page says of an account's bonus: its
// open lots, and the bonus that expires first (NextAmount at NextExpiry)
// among those that may still be spent.
type bonusView struct {
	Lots       []lotView
	NextAmount int64
	NextExpiry *time.Time
}

// newBonusView describes lots (in spending order, as store.Lots gives
// them) at now.
func newBonusView(lots []ledger.Lot, now time.Time) bonusView {
	var v bonusView
	for _, l := range lots {
		v.Lots = append(v.Lots, lotView{Lot: l, Expired: !l.Live(now)})
		if !l.Live(now) || l.ExpiresAt == nil {
			continue
		}
		switch {
		case v.NextExpiry == nil:
			v.NextExpiry, v.NextAmount = l.ExpiresAt, l.Remaining
		case l.ExpiresAt.Equal(*v.NextExpiry):
			v.NextAmount += l.Remaining
		}
	}
	return v
}

// partSums adds up the entries on customer account id by the part of its
// balance they move.
func partSums(entries []ledger.Entry, id int64) (bonus, principal int64) {
	for _, e := range entries {
		if e.AccountID != id {
			continue
		}
		if e.Part == ledger.PartBonus {
			bonus += e.Amount
		} else {
			principal += e.Amount
		}
	}
	return bonus, principal
}

// entryParts reads an account's entries (newest first, as the account
// page lists them): bonusTx are the transactions that move bonus, whose
// entries the page names the part of, since a split debit shows as two
// (SPEC 11); repeat, the entries after the first of their transaction.
func entryParts(rows []store.EntryRow) (bonusTx, repeat map[int64]bool) {
	bonusTx, repeat = map[int64]bool{}, map[int64]bool{}
	seen := map[int64]bool{}
	for _, e := range rows {
		if e.Part == ledger.PartBonus {
			bonusTx[e.TransactionID] = true
		}
		repeat[e.ID] = seen[e.TransactionID]
		seen[e.TransactionID] = true
	}
	return bonusTx, repeat
}

// grant reports whether d's transaction granted bonus: a credit of bonus
// that is no reversal (a reversal of a split debit puts bonus back).
func (d txDetailData) grant() bool { return d.Bonus > 0 && d.T.Type != ledger.TxReversal }

// bonusRefusal is the message of why bonus rules refuse to reverse d's
// transaction (store.Reverse says the same), "" when they do not: a
// top-up's bonus goes back with its top-up, expired bonus stays expired,
// and a grant of which nothing is left has nothing to take back.
func (d txDetailData) bonusRefusal() string {
	switch {
	case d.T.Type == ledger.TxBonus:
		return "why.reverse_bonus"
	case d.T.Type == ledger.TxBonusExpired:
		return "why.reverse_expiry"
	case d.grant() && d.Lot == nil:
		return "why.bonus_spent"
	}
	return ""
}

// reversalTakes is what reversing d's transaction takes off its account's
// balance: of a grant what is left of its bonus (SPEC 11), else its
// amount. A top-up that brought bonus takes that back too; no top-up can
// bring bonus yet (promotion rules are to come), and its preview leaves
// the bonus out until one can.
func reversalTakes(d txDetailData) int64 {
	if d.grant() && d.Lot != nil {
		return d.Lot.Remaining
	}
	return d.T.Amount
}

// bonusHint is the bonus a top-up would bring under today's promotion
// rules (SPEC 11), shown under its amount before it is submitted and on
// the review before it is approved.
type bonusHint struct {
	Bonus    int64
	Currency string
	Rule     string // the rule's name
	Days     int    // how long the bonus lasts; 0: it does not expire
}

// bonusHintFor works the hint out of an amount as typed and its currency;
// nil when either is not (yet) one, or no rule gives a bonus.
func (web *Web) bonusHintFor(q *request, amount, code string) (*bonusHint, error) {
	cur, err := money.LookupCurrency(code)
	if err != nil || strings.TrimSpace(amount) == "" {
		return nil, nil
	}
	a, err := money.ParsePositive(typedAmount(amount), cur)
	if err != nil {
		return nil, nil // the form says what is wrong with it when submitted
	}
	bonus, rule, ok, err := web.store.BonusPreview(q.r.Context(), cur.Code(), a.Minor())
	if err != nil || !ok {
		return nil, err
	}
	return &bonusHint{Bonus: bonus, Currency: cur.Code(), Rule: rule.Name, Days: rule.BonusExpiresInDays}, nil
}

// rechargeBonus answers the recharge form's bonus hint as the amount or
// currency changes (htmx).
func (web *Web) rechargeBonus(q *request) {
	if !q.need(auth.ActOperate) {
		return
	}
	v := q.r.URL.Query()
	amount := v.Get("amount")
	if amount == "" {
		amount = v.Get("actual_amount") // the review form's
	}
	hint, err := web.bonusHintFor(q, amount, chosenCurrency(v))
	if err != nil {
		q.internal(err)
		return
	}
	p := q.page("", nil)
	p.Data = struct{ BonusHint *bonusHint }{hint}
	q.renderBlock("recharge", "bonus_hint", http.StatusOK, p)
}
