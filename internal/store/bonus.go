package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
)

// Principal and bonus (SPEC 11). Every entry on a customer account names
// its part; accounts.bonus is the sum of the bonus entries, as balance is
// of all of them. Bonus sits in lots (bonus_lots), one per grant: a debit
// of an account with bonus is split into a bonus entry and a principal
// entry (ledger.SplitDebit), and the lots it took from are written down
// (bonus_lot_uses) so that a reversal puts back exactly that. An account
// without bonus posts as it always did: one entry, no lot read.

// querier is what reads need of a transaction or a pool.
type querier interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

const lotCols = "id, account_id, transaction_id, amount, remaining, expires_at, created_at"

func scanLot(row scanner) (ledger.Lot, error) {
	var l ledger.Lot
	var expires sql.NullInt64
	var created int64
	err := row.Scan(&l.ID, &l.AccountID, &l.TransactionID, &l.Amount, &l.Remaining, &expires, &created)
	l.ExpiresAt, l.CreatedAt = fromNullMicros(expires), fromMicros(created)
	return l, err
}

// lotsCol follows accountCols in the lock of a posting: the account's open
// lots as one text ("id:remaining:expires_at:transaction_id,…"), read with
// the row, since the split of a debit needs them; a round trip of its own
// made a charge on PostgreSQL a third slower. An account without bonus
// reads nothing more.
//
// On PostgreSQL the subquery reads the statement's snapshot, taken before
// the row lock was granted: a posting that changed the account meanwhile
// (every change of lots changes the account row too) is not in it, while
// the locked row is the latest. So the lock also reads the row's xmin twice,
// as locked and as in the snapshot; when they differ, the lots are read
// again (lotsStale), which happens only when two postings meet on one
// account. Without bonus there are no lots to check, and the second read
// of the row is left out.
var lotsCol = map[Dialect]string{
	Postgres: lotsOf("string_agg") + ", CASE WHEN bonus <> 0 THEN xmin::text::bigint END" +
		", CASE WHEN bonus <> 0 THEN (SELECT a2.xmin::text::bigint FROM accounts a2 WHERE a2.id = accounts.id) END",
	SQLite: lotsOf("group_concat"),
}

func lotsOf(agg string) string {
	item := "CAST(l.id AS TEXT) || ':' || CAST(l.remaining AS TEXT) || ':' || COALESCE(CAST(l.expires_at AS TEXT), '') || ':' || CAST(l.transaction_id AS TEXT)"
	return ", CASE WHEN bonus <> 0 THEN (SELECT " + agg + "(" + item + ", ',') FROM bonus_lots l WHERE l.account_id = accounts.id AND l.remaining > 0) END"
}

// parseLots reads lotsCol.
func parseLots(accountID int64, text string) ([]ledger.Lot, error) {
	if text == "" {
		return nil, nil
	}
	var lots []ledger.Lot
	for item := range strings.SplitSeq(text, ",") {
		f := strings.Split(item, ":")
		if len(f) != 4 {
			return nil, fmt.Errorf("store: bonus lots of account %d: %q", accountID, item)
		}
		l := ledger.Lot{AccountID: accountID}
		var err error
		l.ID, err = strconv.ParseInt(f[0], 10, 64)
		if err == nil {
			l.Remaining, err = strconv.ParseInt(f[1], 10, 64)
		}
		if err == nil {
			l.TransactionID, err = strconv.ParseInt(f[3], 10, 64)
		}
		if err == nil && f[2] != "" {
			var at int64
			at, err = strconv.ParseInt(f[2], 10, 64)
			l.ExpiresAt = fromNullMicros(sql.NullInt64{Int64: at, Valid: true})
		}
		if err != nil {
			return nil, fmt.Errorf("store: bonus lots of account %d: %q: %w", accountID, item, err)
		}
		lots = append(lots, l)
	}
	return lots, nil
}

// readBonus completes a's bonus figures at now: what of its bonus has run
// out. A posting's lock read the open lots (lotsCol), unless stale; other
// reads ask only when a lot may have run out (ledger.BonusKnown).
func (s *Store) readBonus(ctx context.Context, q querier, a *ledger.Account, now time.Time, locked, stale bool) error {
	if a.Bonus == 0 {
		a.Lots = nil // no lot holds anything (lots the lock read before a change are gone)
		return nil
	}
	if !locked {
		if a.BonusKnown(now) {
			return nil
		}
		return q.QueryRowContext(ctx, "SELECT COALESCE(SUM(remaining), 0) FROM bonus_lots WHERE account_id = $1 AND remaining > 0 AND expires_at <= $2",
			a.ID, micros(now)).Scan(&a.ExpiredBonus)
	}
	if stale {
		rows, err := q.QueryContext(ctx, "SELECT "+lotCols+" FROM bonus_lots WHERE account_id = $1 AND remaining > 0", a.ID)
		if a.Lots, err = collect(rows, err, scanLot); err != nil {
			return err
		}
	}
	var open int64
	for _, l := range a.Lots {
		open += l.Remaining
	}
	a.ExpiredBonus = open - ledger.LiveBonus(a.Lots, now)
	return nil
}

// Lots returns the account's lots that still hold bonus, in the order a
// debit spends them.
func (s *Store) Lots(ctx context.Context, accountID int64) ([]ledger.Lot, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+lotCols+" FROM bonus_lots WHERE account_id = $1 AND remaining > 0", accountID)
	lots, err := collect(rows, err, scanLot)
	ledger.SpendingOrder(lots)
	return lots, err
}

// spendRead is the setting spend_order as read at a time.
type spendRead struct {
	order ledger.SpendOrder
	at    time.Time
}

// spendTTL is how long a read of spend_order serves the debits after it:
// reading the settings for every debit of an account with bonus was a
// round trip per charge. A change made here applies at once
// (UpdateSettings forgets the read); one made on another instance within
// this time. The order says only which part pays, never whether a debit
// fits.
const spendTTL = 2 * time.Second

// spendOrder is the setting spend_order.
func (s *Store) spendOrder(ctx context.Context, tx *txn) (ledger.SpendOrder, error) {
	if r := s.spend.Load(); r != nil && time.Since(r.at) < spendTTL {
		return r.order, nil
	}
	set, err := loadSettings(ctx, tx, "")
	if err != nil {
		return "", err
	}
	s.spend.Store(&spendRead{order: set.Spending(), at: time.Now()})
	return set.Spending(), nil
}

// setBonusUntil records what a posting leaves the account's bonus_until
// at, given the lots it read and what it does to them.
func (st *txState) setBonusUntil(accountID int64, lots []ledger.Lot, uses []ledger.LotUse) {
	_, until := ledger.ApplyUses(lots, uses)
	if st.tx.bonusUntil == nil {
		st.tx.bonusUntil = map[int64]*time.Time{}
	}
	st.tx.bonusUntil[accountID] = until
}

// debitTransaction builds a debit of amount (> 0) from customer account a
// to system account sys: one entry when a has no bonus to spend, else a
// bonus entry and a principal entry as the spending order divides it. The
// caller has checked that a may take amount.
func (s *Store) debitTransaction(ctx context.Context, st *txState, t ledger.Transaction, a ledger.Account, amount, sys int64) (*ledger.Transaction, error) {
	if len(a.Lots) == 0 {
		return newTransaction(st, t, a, -amount, sys), nil
	}
	order, err := s.spendOrder(ctx, st.tx)
	if err != nil {
		return nil, err
	}
	bonus, uses := ledger.SplitDebit(amount, a.Principal(), a.Lots, order, st.now)
	if bonus == 0 {
		return newTransaction(st, t, a, -amount, sys), nil
	}
	t.AccountID, t.Currency, t.Amount, t.CreatedAt, t.LotUses = a.ID, a.Currency, -amount, st.now, uses
	st.setBonusUntil(a.ID, a.Lots, uses)
	after := a.Balance - bonus
	t.Entries = []ledger.Entry{{AccountID: a.ID, Amount: -bonus, BalanceAfter: &after, Part: ledger.PartBonus, CreatedAt: st.now}}
	if rest := amount - bonus; rest > 0 {
		after2 := after - rest
		t.Entries = append(t.Entries, ledger.Entry{AccountID: a.ID, Amount: -rest, BalanceAfter: &after2, Part: ledger.PartPrincipal, CreatedAt: st.now})
	}
	t.Entries = append(t.Entries, ledger.Entry{AccountID: sys, Amount: amount, Part: ledger.PartPrincipal, CreatedAt: st.now})
	return &t, nil
}

// grantTransaction builds a credit of amount as bonus to a from sys,
// opening a lot that expires at expires (nil: never).
func grantTransaction(st *txState, t ledger.Transaction, a ledger.Account, amount, sys int64, expires *time.Time) *ledger.Transaction {
	g := newTransaction(st, t, a, amount, sys)
	g.Entries[0].Part = ledger.PartBonus
	g.Grant = &ledger.Grant{ExpiresAt: expires}
	st.setBonusUntil(a.ID, slices.Concat(a.Lots, []ledger.Lot{{Remaining: amount, ExpiresAt: expires}}), nil)
	return g
}

// bonusDelta is what t changes the bonus of customer account id by.
func bonusDelta(t *ledger.Transaction, id int64) int64 {
	var d int64
	for _, e := range t.Entries {
		if e.AccountID == id && e.Part == ledger.PartBonus {
			d += e.Amount
		}
	}
	return d
}

// bonusWrite is what a posting does to its account's bonus, worked out by
// its build: the change of accounts.bonus and the new bonus_until.
type bonusWrite struct {
	delta int64
	until *time.Time
}

// bonusOf is t's bonusWrite; ok is false when t touches no bonus.
func bonusOf(tx *txn, t *ledger.Transaction) (w bonusWrite, ok bool, err error) {
	w.delta = bonusDelta(t, t.AccountID)
	if w.delta == 0 && t.Grant == nil && len(t.LotUses) == 0 {
		return w, false, nil
	}
	until, known := tx.bonusUntil[t.AccountID]
	if !known { // a bug: every build that touches bonus sets it
		return w, false, fmt.Errorf("store: transaction of account %d touches bonus without its bonus_until", t.AccountID)
	}
	return bonusWrite{delta: w.delta, until: until}, true, nil
}

// writeLots writes, once t and its entries are written (SQLite), the lot
// a grant opens and what t takes from or puts back into lots: each use,
// which the database applies to its lot (migration 00020), refusing a lot
// below zero or above its amount.
func (s *Store) writeLots(ctx context.Context, tx *txn, t *ledger.Transaction, delta int64) error {
	if t.Grant != nil {
		if _, err := tx.ExecContext(ctx, "INSERT INTO bonus_lots (account_id, transaction_id, amount, remaining, expires_at, created_at) VALUES ($1, $2, $3, $3, $4, $5)",
			t.AccountID, t.ID, delta, nullMicros(t.Grant.ExpiresAt), micros(t.CreatedAt)); err != nil {
			return err
		}
	}
	for _, u := range t.LotUses {
		if _, err := tx.ExecContext(ctx, "INSERT INTO bonus_lot_uses (lot_id, transaction_id, amount) VALUES ($1, $2, $3)", u.LotID, t.ID, u.Amount); err != nil {
			return err
		}
	}
	return nil
}

// lotsAtOnce adds to a posting's statement of common table expressions
// (PostgreSQL, writePostingAtOnce) what writeLots writes.
func lotsAtOnce(q *strings.Builder, args *sqlArgs, t *ledger.Transaction, delta int64) {
	if t.Grant != nil {
		fmt.Fprintf(q, ", g AS (INSERT INTO bonus_lots (account_id, transaction_id, amount, remaining, expires_at, created_at) VALUES (%s, %s, %s, %s, %s, %s))",
			args.ph(t.AccountID), args.ph(t.ID), args.ph(delta), args.ph(delta), args.ph(nullMicros(t.Grant.ExpiresAt)), args.ph(micros(t.CreatedAt)))
	}
	if len(t.LotUses) == 0 {
		return
	}
	q.WriteString(", lx AS (INSERT INTO bonus_lot_uses (lot_id, transaction_id, amount) VALUES ")
	for i, u := range t.LotUses {
		if i > 0 {
			q.WriteString(", ")
		}
		fmt.Fprintf(q, "(%s, %s, %s)", args.ph(u.LotID), args.ph(t.ID), args.ph(u.Amount))
	}
	q.WriteString(")")
}

// grantLot is the lot transaction id opened, if it opened one.
func grantLot(ctx context.Context, tx *txn, id int64) (ledger.Lot, bool, error) {
	l, err := scanLot(tx.QueryRowContext(ctx, "SELECT "+lotCols+" FROM bonus_lots WHERE transaction_id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return l, false, nil
	}
	return l, err == nil, err
}

// reopened are the lots uses put bonus back into that a's open lots do not
// hold: spent or expired since, they open again.
func reopened(ctx context.Context, tx *txn, a ledger.Account, uses []ledger.LotUse) ([]ledger.Lot, error) {
	var ids []int64
	for _, u := range uses {
		if !slices.ContainsFunc(a.Lots, func(l ledger.Lot) bool { return l.ID == u.LotID }) {
			ids = append(ids, u.LotID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	list, args := inList(ids, 0)
	rows, err := tx.QueryContext(ctx, "SELECT "+lotCols+" FROM bonus_lots WHERE id IN ("+list+")", args...)
	return collect(rows, err, scanLot)
}

// lotUsesOf is what transaction id took from lots.
func lotUsesOf(ctx context.Context, tx *txn, id int64) ([]ledger.LotUse, error) {
	rows, err := tx.QueryContext(ctx, "SELECT lot_id, amount FROM bonus_lot_uses WHERE transaction_id = $1 ORDER BY lot_id", id)
	return collect(rows, err, func(row scanner) (ledger.LotUse, error) {
		var u ledger.LotUse
		err := row.Scan(&u.LotID, &u.Amount)
		return u, err
	})
}

// takeBack builds the reversal of grant orig: what is left of its lot
// leaves the account again. What was spent of it stays spent.
func takeBack(st *txState, orig ledger.Transaction, a ledger.Account, lot ledger.Lot, note string, by int64) (*ledger.Transaction, error) {
	if lot.Remaining == 0 {
		return nil, ledger.InvalidBecause("transaction_id", "bonus_spent", "nothing is left of its bonus: it was spent or expired")
	}
	if err := a.CheckCapture(lot.Remaining); err != nil { // the status; bonus leaving never breaks the floor
		return nil, err
	}
	var sys int64
	for _, e := range orig.Entries {
		if e.AccountID != a.ID {
			sys = e.AccountID
		}
	}
	after := a.Balance - lot.Remaining
	uses := []ledger.LotUse{{LotID: lot.ID, Amount: lot.Remaining}}
	st.setBonusUntil(a.ID, a.Lots, uses)
	return &ledger.Transaction{Type: ledger.TxReversal, AccountID: a.ID, Currency: a.Currency, Amount: -lot.Remaining,
		Reference: orig.Reference, Note: note, Corrects: orig.ID, CreatedBy: by, CreatedAt: st.now,
		LotUses: uses,
		Entries: []ledger.Entry{
			{AccountID: a.ID, Amount: -lot.Remaining, BalanceAfter: &after, Part: ledger.PartBonus, CreatedAt: st.now},
			{AccountID: sys, Amount: lot.Remaining, Part: ledger.PartPrincipal, CreatedAt: st.now},
		}}, nil
}

// ExpireBonus posts, as bonus_expired transactions, what is left of at
// most limit lots whose expiry has passed, one database transaction each;
// it returns how many it posted.
func (s *Store) ExpireBonus(ctx context.Context, actor ledger.Actor, limit int) (int, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT id FROM bonus_lots WHERE remaining > 0 AND expires_at IS NOT NULL AND expires_at <= $1 ORDER BY expires_at, id LIMIT $2",
		micros(s.nowTime()), limit)
	ids, err := collect(rows, err, scanID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		posted, err := s.post(ctx, actor, ledger.Idempotency{}, "", s.buildExpiry(id))
		if errors.Is(err, errNothingToExpire) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("store: expiring bonus lot %d: %w", id, err)
		}
		if posted.Transaction.ID != 0 {
			n++
		}
	}
	return n, nil
}

// errNothingToExpire: the lot was spent or taken back since it was found.
var errNothingToExpire = errors.New("store: nothing left to expire")

// buildExpiry builds the bonus_expired transaction of lot id, read again
// under its account's lock: a charge that raced the job either spent the
// lot before it expired or finds it gone.
func (s *Store) buildExpiry(id int64) buildFunc {
	return func(ctx context.Context, st *txState) (*ledger.Transaction, error) {
		var accountID int64
		if err := st.tx.QueryRowContext(ctx, "SELECT account_id FROM bonus_lots WHERE id = $1", id).Scan(&accountID); err != nil {
			return nil, err
		}
		a, err := s.lockAccount(ctx, st.tx, accountID)
		if err != nil {
			return nil, err
		}
		var lot *ledger.Lot
		for i := range a.Lots {
			if a.Lots[i].ID == id {
				lot = &a.Lots[i]
			}
		}
		if lot == nil || lot.Live(st.now) || lot.ExpiresAt == nil {
			return nil, errNothingToExpire
		}
		sys, err := s.systemAccount(ctx, st, ledger.SystemBonusExpire, a.Currency)
		if err != nil {
			return nil, err
		}
		after := a.Balance - lot.Remaining
		uses := []ledger.LotUse{{LotID: lot.ID, Amount: lot.Remaining}}
		st.setBonusUntil(a.ID, a.Lots, uses)
		return &ledger.Transaction{Type: ledger.TxBonusExpired, AccountID: a.ID, Currency: a.Currency, Amount: -lot.Remaining,
			CreatedAt: st.now, LotUses: uses,
			Entries: []ledger.Entry{
				{AccountID: a.ID, Amount: -lot.Remaining, BalanceAfter: &after, Part: ledger.PartBonus, CreatedAt: st.now},
				{AccountID: sys, Amount: lot.Remaining, Part: ledger.PartPrincipal, CreatedAt: st.now},
			}}, nil
	}
}

// topUpBonus posts, beside the posting t of top-up request topupID, the
// bonus of the best promotion rule valid now (SPEC 11), if one gives any:
// a bonus transaction from the promotions account that names the top-up
// and opens a lot expiring as the rule says. It runs in the top-up's
// database transaction: the bonus is credited with the top-up or not at all.
func (s *Store) topUpBonus(ctx context.Context, st *txState, actor ledger.Actor, t *ledger.Transaction, topupID int64) error {
	rules, err := s.promotionsAt(ctx, st.tx, t.Currency.Code(), st.now)
	if err != nil {
		return err
	}
	bonus, rule, ok := ledger.BonusFor(rules, t.Currency, t.Amount, st.now)
	if !ok {
		return nil
	}
	_, err = s.postIn(ctx, st, actor, func(ctx context.Context, st *txState) (*ledger.Transaction, error) {
		a, err := s.lockAccount(ctx, st.tx, t.AccountID)
		if err != nil {
			return nil, err
		}
		if err := a.CheckCredit(bonus); err != nil {
			return nil, err
		}
		sys, err := s.systemAccount(ctx, st, ledger.SystemPromotions, a.Currency)
		if err != nil {
			return nil, err
		}
		return grantTransaction(st, ledger.Transaction{Type: ledger.TxBonus, TopUpID: topupID, Note: rule.Name, CreatedBy: actor.AdminID},
			a, bonus, sys, rule.BonusExpiry(st.now)), nil
	}, ledger.Idempotency{})
	return err
}

// BonusPreview is the bonus a top-up of amount in currency would bring if
// it were credited now, and the rule that gives it; ok is false when no
// rule gives any.
func (s *Store) BonusPreview(ctx context.Context, currency string, amount int64) (bonus int64, rule ledger.Promotion, ok bool, err error) {
	cur, err := money.LookupCurrency(currency)
	if err != nil {
		return 0, rule, false, err
	}
	now := s.nowTime()
	rules, err := s.promotionsAt(ctx, s.rdb, currency, now)
	if err != nil {
		return 0, rule, false, err
	}
	bonus, rule, ok = ledger.BonusFor(rules, cur, amount, now)
	return bonus, rule, ok, nil
}
