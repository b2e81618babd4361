package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
)

// A posting is carried out in one database transaction:
//  1. claim the idempotency key (a repeat finds the first result and stops);
//  2. lock the customer account and check the ledger's rules;
//  3. write the transaction, its entries and the account's new balance.
// Steps 1–3 commit together or not at all, so a failed posting leaves no
// trace and may be retried with the same key.

// Posted is the result of a posting.
type Posted struct {
	Transaction ledger.Transaction
	// Replayed is true when the idempotency key had already posted this
	// request: Transaction is the first result and nothing new was posted.
	Replayed bool
}

// sysKey names a system account.
type sysKey struct{ code, currency string }

// txState carries what one posting attempt learns inside its transaction.
// The attempt's context goes beside it as a parameter, not in it.
type txState struct {
	tx     *txn
	now    time.Time
	newSys map[sysKey]int64 // system accounts seen; cached once committed
}

func newTxState(tx *txn, now time.Time) *txState {
	return &txState{tx: tx, now: now, newSys: map[sysKey]int64{}}
}

// buildFunc checks a posting's rules inside its transaction and returns the
// transaction to write, or an error that rolls everything back.
type buildFunc func(ctx context.Context, st *txState) (*ledger.Transaction, error)

// Charge posts consumption: the amount leaves the account as revenue.
func (s *Store) Charge(ctx context.Context, r ledger.Charge) (Posted, error) {
	if err := r.Validate(); err != nil {
		return Posted{}, err
	}
	return s.post(ctx, r.Actor, r.Idem, r.Fingerprint(), func(ctx context.Context, st *txState) (*ledger.Transaction, error) {
		a, err := s.lockAccount(ctx, st.tx, r.AccountID)
		if err != nil {
			return nil, err
		}
		if err := a.CheckDebit(r.Amount, st.now); err != nil {
			return nil, err
		}
		rev, err := s.systemAccount(ctx, st, ledger.SystemRevenue, a.Currency)
		if err != nil {
			return nil, err
		}
		return s.debitTransaction(ctx, st, ledger.Transaction{Type: ledger.TxCharge, Reference: r.Reference, Note: r.Note, CreatedBy: r.Actor.AdminID},
			a, r.Amount, rev)
	})
}

// TopUp posts money received through a payment method to the account.
// Top-up requests post through ApproveTopUp; this is the bare posting.
func (s *Store) TopUp(ctx context.Context, r ledger.TopUp) (Posted, error) {
	if err := r.Validate(); err != nil {
		return Posted{}, err
	}
	return s.post(ctx, r.Actor, r.Idem, r.Fingerprint(), s.buildTopUp(r))
}

func (s *Store) buildTopUp(r ledger.TopUp) buildFunc {
	return func(ctx context.Context, st *txState) (*ledger.Transaction, error) {
		var known int
		if err := st.tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM payment_methods WHERE code = $1", r.PaymentMethod).Scan(&known); err != nil {
			return nil, err
		}
		if known == 0 {
			return nil, ledger.InvalidBecause("payment_method", "no_such", "no such payment method")
		}
		a, err := s.lockTarget(ctx, st.tx, r.Target, st.now, true)
		if err != nil {
			return nil, err
		}
		if err := a.CheckCredit(r.Amount); err != nil {
			return nil, err
		}
		fund, err := s.systemAccount(ctx, st, ledger.SystemFundingPfx+r.PaymentMethod, a.Currency)
		if err != nil {
			return nil, err
		}
		return newTransaction(st, ledger.Transaction{Type: ledger.TxTopUp, Note: r.Note, TopUpID: r.TopUpID, CreatedBy: r.Actor.AdminID},
			a, r.Amount, fund), nil
	}
}

// Adjust posts a manual credit or debit with its reason and note.
func (s *Store) Adjust(ctx context.Context, r ledger.Adjustment) (Posted, error) {
	if err := r.Validate(); err != nil {
		return Posted{}, err
	}
	return s.post(ctx, r.Actor, r.Idem, r.Fingerprint(), s.buildAdjust(r))
}

// buildAdjust checks and builds adjustment r; an approved approval posts
// through it too, in the transaction of its decision (approvals.go).
func (s *Store) buildAdjust(r ledger.Adjustment) buildFunc {
	return func(ctx context.Context, st *txState) (*ledger.Transaction, error) {
		a, err := s.lockTarget(ctx, st.tx, r.Target, st.now, true)
		if err != nil {
			return nil, err
		}
		if r.Corrects != 0 {
			var acct int64
			err := st.tx.QueryRowContext(ctx, "SELECT account_id FROM transactions WHERE id = $1", r.Corrects).Scan(&acct)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && acct != a.ID) {
				return nil, ledger.InvalidBecause("corrects", "not_on_account", "no such transaction on this account")
			}
			if err != nil {
				return nil, err
			}
		}
		if r.Direction == ledger.Debit {
			err = a.CheckDebit(r.Amount, st.now)
		} else if err = a.CheckCredit(r.Amount); err == nil {
			err = r.CheckExpiry(st.now)
		}
		if err != nil {
			return nil, err
		}
		code := ledger.SystemAdjustments
		if r.Bonus {
			code = ledger.SystemPromotions // promotional credit is a cost of promotions
		}
		sys, err := s.systemAccount(ctx, st, code, a.Currency)
		if err != nil {
			return nil, err
		}
		t := ledger.Transaction{Type: ledger.TxAdjustment, Reason: r.Reason, Note: r.Note, Corrects: r.Corrects, CreatedBy: r.Actor.AdminID}
		switch {
		case r.Direction == ledger.Debit:
			return s.debitTransaction(ctx, st, t, a, r.Amount, sys)
		case r.Bonus:
			return grantTransaction(st, t, a, r.Amount, sys, r.BonusExpiresAt), nil
		}
		return newTransaction(st, t, a, r.Amount, sys), nil
	}
}

// Reverse posts a new transaction that undoes r.TransactionID, entry by
// entry. A transaction is reversed at most once; a reversal is not reversed.
// Reversing a top-up also takes back what is left of its bonus (SPEC 11),
// as a reversal of the bonus in the same database transaction.
func (s *Store) Reverse(ctx context.Context, r ledger.Reversal) (Posted, error) {
	if err := r.Validate(); err != nil {
		return Posted{}, err
	}
	var orig ledger.Transaction
	then := func(ctx context.Context, st *txState, _ *ledger.Transaction) error {
		if orig.Type != ledger.TxTopUp || orig.TopUpID == 0 {
			return nil
		}
		return s.takeBackTopUpBonus(ctx, st, orig, r)
	}
	return s.postThen(ctx, r.Actor, r.Idem, r.Fingerprint(), func(ctx context.Context, st *txState) (*ledger.Transaction, error) {
		var err error
		orig, err = s.reversible(ctx, st.tx, r.TransactionID)
		if err != nil {
			return nil, err
		}
		return s.buildReversal(ctx, st, orig, r)
	}, then)
}

// reversible loads transaction id and says whether it may be reversed.
func (s *Store) reversible(ctx context.Context, tx *txn, id int64) (ledger.Transaction, error) {
	orig, err := s.loadTransaction(ctx, tx, id)
	if errors.Is(err, ledger.ErrNotFound) {
		return orig, ledger.InvalidBecause("transaction_id", "no_such", "no such transaction")
	}
	switch {
	case err != nil:
		return orig, err
	case orig.Type == ledger.TxReversal:
		return orig, ledger.InvalidBecause("transaction_id", "reverse_reversal", "a reversal cannot itself be reversed; post an adjustment instead")
	case orig.Type == ledger.TxBonus:
		return orig, ledger.InvalidBecause("transaction_id", "reverse_bonus", "a top-up's bonus goes back with its top-up: reverse the top-up")
	case orig.Type == ledger.TxBonusExpired:
		return orig, ledger.InvalidBecause("transaction_id", "reverse_expiry", "expired bonus cannot be restored; grant new bonus with an adjustment")
	case len(orig.Entries) == 0:
		// Retention archived its entries: there is nothing to negate here.
		return orig, ledger.InvalidBecause("transaction_id", "archived_entries", "its entries are archived; post a correcting adjustment instead")
	}
	return orig, nil
}

// takeBackTopUpBonus reverses what is left of the bonus top-up orig
// brought, if it brought one.
func (s *Store) takeBackTopUpBonus(ctx context.Context, st *txState, orig ledger.Transaction, r ledger.Reversal) error {
	var id int64
	err := st.tx.QueryRowContext(ctx, "SELECT id FROM transactions WHERE topup_id = $1 AND type = 'bonus'", orig.TopUpID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	bonus, err := s.loadTransaction(ctx, st.tx, id)
	if err != nil {
		return err
	}
	if lot, ok, err := grantLot(ctx, st.tx, bonus.ID); err != nil || !ok || lot.Remaining == 0 {
		return err // nothing is left of it to take back
	}
	_, err = s.postIn(ctx, st, r.Actor, func(ctx context.Context, st *txState) (*ledger.Transaction, error) {
		return s.buildReversal(ctx, st, bonus, r)
	}, ledger.Idempotency{})
	return err
}

// buildReversal builds the reversal of orig, which reversible allowed.
func (s *Store) buildReversal(ctx context.Context, st *txState, orig ledger.Transaction, r ledger.Reversal) (*ledger.Transaction, error) {
	// Lock the account first: it serialises concurrent reversals of one
	// transaction, so the check below sees any earlier one.
	a, err := s.lockAccount(ctx, st.tx, orig.AccountID)
	if err != nil {
		return nil, err
	}
	var n int
	if err := st.tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM transactions WHERE corrects = $1 AND type = 'reversal'", orig.ID).Scan(&n); err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, ledger.ErrAlreadyReversed
	}
	if lot, ok, err := grantLot(ctx, st.tx, orig.ID); err != nil || ok {
		if err != nil {
			return nil, err
		}
		return takeBack(st, orig, a, lot, r.Note, r.Actor.AdminID)
	}
	uses, err := lotUsesOf(ctx, st.tx, orig.ID)
	if err != nil {
		return nil, err
	}
	if err := checkReversal(a, orig, st.now); err != nil {
		return nil, err
	}
	t := &ledger.Transaction{Type: ledger.TxReversal, AccountID: a.ID, Currency: a.Currency, Amount: -orig.Amount,
		Reference: orig.Reference, Note: r.Note, Corrects: orig.ID, CreatedBy: r.Actor.AdminID, CreatedAt: st.now}
	for _, u := range uses {
		t.LotUses = append(t.LotUses, ledger.LotUse{LotID: u.LotID, Amount: -u.Amount}) // put back
	}
	if len(uses) > 0 {
		closed, err := reopened(ctx, st.tx, a, uses)
		if err != nil {
			return nil, err
		}
		st.setBonusUntil(a.ID, slices.Concat(a.Lots, closed), t.LotUses)
	}
	for _, e := range orig.Entries {
		ne := ledger.Entry{AccountID: e.AccountID, Amount: -e.Amount, Part: e.Part, CreatedAt: st.now}
		if e.AccountID == a.ID {
			after := a.Balance - e.Amount // checked above
			ne.BalanceAfter = &after
			a.Balance = after
		}
		t.Entries = append(t.Entries, ne)
	}
	return t, nil
}

// checkReversal says whether a may take the reversal of orig. Undoing a
// credit takes principal (a credit's bonus goes back through takeBack), and
// it must fit in the principal alone: promotional credit does not pay back
// money received, and would leave the principal under the floor once it
// expired.
func checkReversal(a ledger.Account, orig ledger.Transaction, now time.Time) error {
	if orig.Amount < 0 {
		return a.CheckCredit(-orig.Amount)
	}
	own := a
	own.Balance, own.Bonus, own.ExpiredBonus, own.Lots = a.Principal(), 0, 0, nil
	return own.CheckDebit(orig.Amount, now)
}

// newTransaction builds a two-entry transaction moving delta (signed, as
// seen by the customer) between customer account a and system account sys.
// The caller has checked that a may take delta.
func newTransaction(st *txState, t ledger.Transaction, a ledger.Account, delta int64, sys int64) *ledger.Transaction {
	after := a.Balance + delta
	t.AccountID, t.Currency, t.Amount, t.CreatedAt = a.ID, a.Currency, delta, st.now
	t.Entries = []ledger.Entry{
		{AccountID: a.ID, Amount: delta, BalanceAfter: &after, Part: ledger.PartPrincipal, CreatedAt: st.now},
		{AccountID: sys, Amount: -delta, Part: ledger.PartPrincipal, CreatedAt: st.now},
	}
	return &t
}

// post runs one posting with idempotency.
func (s *Store) post(ctx context.Context, actor ledger.Actor, idem ledger.Idempotency, fp string, build buildFunc) (Posted, error) {
	return s.postThen(ctx, actor, idem, fp, build, nil)
}

// postThen is post with a step that runs, in the same database
// transaction, once the transaction is written (its id known): a capture
// closes its hold there.
//
// The idempotency key is claimed as the posting is written, in its last
// statement, rather than first: a round trip less per posting. A key used
// before shows there as a conflict (on PostgreSQL once the request that
// holds it has committed); that, or any refusal while a key was given,
// sends the request to the key's first result (replayKey), which wins over
// whatever this attempt found: a replay answers as the first request did,
// even when the account could no longer take it.
func (s *Store) postThen(ctx context.Context, actor ledger.Actor, idem ledger.Idempotency, fp string, build buildFunc,
	then func(ctx context.Context, st *txState, t *ledger.Transaction) error) (Posted, error) {
	var out Posted
	var st *txState
	body := func(ctx context.Context, tx *txn) error {
		st = newTxState(tx, s.nowTime())
		if idem.Key != "" {
			tx.claim = &lateClaim{fingerprint: fp, at: st.now}
		}
		out = Posted{}
		t, err := s.postIn(ctx, st, actor, build, idem)
		if err != nil {
			return err
		}
		if then != nil {
			if err := then(ctx, st, t); err != nil {
				return err
			}
		}
		out.Transaction = *t
		return nil
	}
	for attempt := 1; ; attempt++ {
		err := s.grouped(ctx, body)
		if err != nil && idem.Key != "" {
			replay, err := s.replayKey(ctx, idem, fp, err)
			if errors.Is(err, errKeyFreed) && attempt < 3 {
				continue
			}
			return replay, err
		}
		if err != nil {
			return Posted{}, err
		}
		s.remember(st)
		return out, nil
	}
}

// errKeyFreed is a late claim that met a key taken which is gone by the
// time it is read: the posting runs again.
var errKeyFreed = errors.New("store: the idempotency key was freed meanwhile")

// lateClaim is an idempotency key that a posting claims as it writes.
type lateClaim struct {
	fingerprint string
	at          time.Time
}

// replayKey answers a posting with a key that did not post: with the
// key's first result if it has one, else with the posting's own error.
func (s *Store) replayKey(ctx context.Context, idem ledger.Idempotency, fp string, failed error) (Posted, error) {
	var out Posted
	err := s.write(ctx, func(tx *txn) error {
		prev, err := s.findKey(ctx, tx, idem, fp)
		if err != nil || !prev.found {
			return err
		}
		if prev.txID == 0 {
			return fmt.Errorf("store: idempotency key %q has no transaction", idem.Key)
		}
		out.Transaction, err = s.loadTransaction(ctx, tx, prev.txID)
		out.Replayed = true
		return err
	})
	switch {
	case err != nil:
		return Posted{}, err
	case !out.Replayed && isKeyConflict(failed):
		return Posted{}, errKeyFreed
	case !out.Replayed:
		return Posted{}, failed
	}
	return out, nil
}

// postIn builds, checks and writes a transaction inside st's database
// transaction, with its operation record, and settles idem (if any) with it.
func (s *Store) postIn(ctx context.Context, st *txState, actor ledger.Actor, build buildFunc, idem ledger.Idempotency) (*ledger.Transaction, error) {
	t, err := build(ctx, st)
	if err != nil {
		return nil, err
	}
	return t, s.writePosting(ctx, st.tx, actor, t, idem)
}

// writePosting writes a checked transaction with everything that goes with
// it: its entries, the customer account's new balance, the
// transaction.posted event for webhooks, the operation record, the result of
// its idempotency key, and the account's low-balance alert (alerts.go). It
// sets the ids of t and its entries.
func (s *Store) writePosting(ctx context.Context, tx *txn, actor ledger.Actor, t *ledger.Transaction, idem ledger.Idempotency) error {
	var sum int64
	for _, e := range t.Entries {
		sum += e.Amount
	}
	if sum != 0 || len(t.Entries) < 2 {
		// A bug, not bad input: refuse to write an unbalanced transaction.
		return fmt.Errorf("store: refusing unbalanced transaction (%d entries, sum %d)", len(t.Entries), sum)
	}
	var err error
	if s.dialect == Postgres {
		err = s.writePostingAtOnce(ctx, tx, actor, t, idem)
	} else {
		err = s.writePostingByStatements(ctx, tx, actor, t, idem)
	}
	if err != nil {
		return err
	}
	if err := s.notifyPosting(ctx, tx, t); err != nil {
		return err
	}
	return s.settleAlerts(ctx, tx, t)
}

func auditPosting(t *ledger.Transaction) change {
	return change{action: "transaction.create", objectType: "transaction", objectID: t.ID, after: AuditTransaction(t)}
}

// writePostingByStatements writes a posting one row at a time (SQLite,
// where a statement costs no round trip).
func (s *Store) writePostingByStatements(ctx context.Context, tx *txn, actor ledger.Actor, t *ledger.Transaction, idem ledger.Idempotency) error {
	// Exec and the last rowid rather than RETURNING id, which SQLite runs
	// through a table of its results (no gain measurable over HTTP; see
	// docs/performance.md, "Checkpoints beside the writer").
	var err error
	t.ID, err = tx.insert(ctx, "INSERT INTO transactions "+txInsertCols+" VALUES ("+placeholders(1, 13)+")", txArgs(t)...)
	if unique, _ := uniqueViolation(err); unique && t.Type == ledger.TxReversal {
		return ledger.ErrAlreadyReversed
	}
	if err != nil {
		return err
	}
	bonus, touched, err := bonusOf(tx, t)
	if err != nil {
		return err
	}
	for i := range t.Entries {
		e := &t.Entries[i]
		e.TransactionID = t.ID
		if e.ID, err = tx.insert(ctx, "INSERT INTO entries "+entryInsertCols+" VALUES ("+placeholders(1, 6)+")", entryArgs(t.ID, e)...); err != nil {
			return err
		}
		if e.BalanceAfter == nil || laterEntryOn(t.Entries[i+1:], e.AccountID) {
			continue
		}
		if touched && e.AccountID == t.AccountID {
			_, err = tx.ExecContext(ctx, "UPDATE accounts SET balance = $1, updated_at = $2, bonus = bonus + $4, bonus_until = $5 WHERE id = $3",
				*e.BalanceAfter, micros(t.CreatedAt), e.AccountID, bonus.delta, nullMicros(bonus.until))
		} else {
			_, err = tx.ExecContext(ctx, "UPDATE accounts SET balance = $1, updated_at = $2 WHERE id = $3", *e.BalanceAfter, micros(t.CreatedAt), e.AccountID)
		}
		if err != nil {
			return err
		}
	}
	if touched {
		if err := s.writeLots(ctx, tx, t, bonus.delta); err != nil {
			return err
		}
	}
	if err := s.event(ctx, tx, "transaction.posted", postedEvent(t)); err != nil {
		return err
	}
	if err := s.audit(ctx, tx, actor, auditPosting(t)); err != nil {
		return err
	}
	return s.settleKey(ctx, tx, idem, t.ID, 0)
}

// writePostingAtOnce writes a posting in one statement of data-modifying
// common table expressions (PostgreSQL). Over a network every statement is a
// round trip, and a posting written row by row made eight of them: the
// round trips, not the rows, were what limited postings per second. The
// transaction's id was taken from its sequence when the account was locked
// (lockCols), so that the event and the operation record can name it.
func (s *Store) writePostingAtOnce(ctx context.Context, tx *txn, actor ledger.Actor, t *ledger.Transaction, idem ledger.Idempotency) error {
	if info, ok := tx.locked[t.AccountID]; ok {
		t.ID, info.nextTxID = info.nextTxID, 0 // an id serves one transaction
		tx.locked[t.AccountID] = info
	}
	if t.ID == 0 {
		if err := tx.QueryRowContext(ctx, "SELECT nextval(pg_get_serial_sequence('transactions', 'id'))").Scan(&t.ID); err != nil {
			return err
		}
	}
	var args sqlArgs
	values := func(vals ...any) string { return "(" + args.list(vals...) + ")" }
	var q strings.Builder
	q.WriteString("WITH t AS (INSERT INTO transactions (id, " + txInsertCols[1:] + " VALUES " + values(append([]any{t.ID}, txArgs(t)...)...) + ")")
	q.WriteString(", e AS (INSERT INTO entries " + entryInsertCols + " VALUES ")
	for i := range t.Entries {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(values(entryArgs(t.ID, &t.Entries[i])...))
	}
	q.WriteString(" RETURNING id)")
	bonus, touched, err := bonusOf(tx, t)
	if err != nil {
		return err
	}
	for i, e := range t.Entries {
		// A statement updates a row once (PostgreSQL keeps one of two
		// updates): the last entry on an account sets its balance.
		if e.BalanceAfter == nil || laterEntryOn(t.Entries[i+1:], e.AccountID) {
			continue
		}
		set := ""
		if touched && e.AccountID == t.AccountID {
			set = ", bonus = bonus + " + args.ph(bonus.delta) + ", bonus_until = " + args.ph(nullMicros(bonus.until))
		}
		fmt.Fprintf(&q, ", b%d AS (UPDATE accounts SET balance = %s, updated_at = %s%s WHERE id = %s)",
			i, args.ph(*e.BalanceAfter), args.ph(micros(t.CreatedAt)), set, args.ph(e.AccountID))
	}
	if touched {
		lotsAtOnce(&q, &args, t, bonus.delta)
	}
	ev, err := s.eventArgs("transaction.posted", postedEvent(t))
	if err != nil {
		return err
	}
	q.WriteString(", ev AS (INSERT INTO events " + eventInsertCols + " VALUES " + values(ev...) + ")")
	au, err := s.auditArgs(actor, auditPosting(t))
	if err != nil {
		return err
	}
	q.WriteString(", au AS (INSERT INTO audit_log " + auditInsertCols + " VALUES " + values(au...) + ")")
	if c := tx.claim; idem.Key != "" && c != nil {
		tx.claim = nil
		fmt.Fprintf(&q, ", k AS (INSERT INTO idempotency_keys (scope, idem_key, fingerprint, created_at, transaction_id) VALUES (%s, %s, %s, %s, %s))",
			args.ph(idem.Scope), args.ph(idem.Key), args.ph(c.fingerprint), args.ph(micros(c.at)), args.ph(t.ID))
	} else if idem.Key != "" {
		fmt.Fprintf(&q, ", k AS (UPDATE idempotency_keys SET transaction_id = %s, topup_id = NULL WHERE scope = %s AND idem_key = %s)",
			args.ph(t.ID), args.ph(idem.Scope), args.ph(idem.Key))
	}
	q.WriteString(" SELECT id FROM e ORDER BY id")
	rows, err := tx.QueryContext(ctx, q.String(), args...)
	ids, err := collect(rows, err, scanID)
	if unique, name := uniqueViolation(err); unique && name == "transactions_one_reversal" {
		return ledger.ErrAlreadyReversed
	}
	if err != nil {
		return err
	}
	if len(ids) != len(t.Entries) {
		return fmt.Errorf("store: %d entries written for %d", len(ids), len(t.Entries))
	}
	// One INSERT numbers its rows in the order of its VALUES.
	for i := range t.Entries {
		t.Entries[i].ID, t.Entries[i].TransactionID = ids[i], t.ID
	}
	return nil
}

// laterEntryOn reports whether one of entries is on account id.
func laterEntryOn(entries []ledger.Entry, id int64) bool {
	for _, e := range entries {
		if e.AccountID == id {
			return true
		}
	}
	return false
}

const (
	txInsertCols    = "(type, account_id, currency, amount, reference, note, reason, corrects, topup_id, created_by, created_at, hold_id, bonus)"
	entryInsertCols = "(transaction_id, account_id, amount, balance_after, created_at, part)"
)

func txArgs(t *ledger.Transaction) []any {
	return []any{string(t.Type), t.AccountID, t.Currency.Code(), t.Amount, t.Reference, t.Note, string(t.Reason),
		nullID(t.Corrects), nullID(t.TopUpID), nullID(t.CreatedBy), micros(t.CreatedAt), nullID(t.HoldID), bonusDelta(t, t.AccountID)}
}

func entryArgs(txID int64, e *ledger.Entry) []any {
	var after sql.NullInt64
	if e.BalanceAfter != nil {
		after = sql.NullInt64{Int64: *e.BalanceAfter, Valid: true}
	}
	if e.Part == "" {
		e.Part = ledger.PartPrincipal
	}
	return []any{txID, e.AccountID, e.Amount, after, micros(e.CreatedAt), string(e.Part)}
}

// remember caches the system accounts a committed transaction found.
func (s *Store) remember(st *txState) {
	s.sysMu.Lock()
	for k, id := range st.newSys {
		s.sysCache[k] = id
	}
	s.sysMu.Unlock()
}

// keyUse is what an idempotency key's first request left behind.
type keyUse struct {
	found   bool
	txID    int64
	topupID int64
	holdID  int64
}

// claimKey claims an idempotency key inside tx. Inserting it first makes a
// concurrent request with the same key wait on it (PostgreSQL) until this
// one commits or rolls back; it then finds the result, or claims the key
// itself. A key used before for a request with another fingerprint is
// ledger.ErrIdempotencyKeyReused.
func (s *Store) claimKey(ctx context.Context, tx *txn, idem ledger.Idempotency, fp string, now time.Time) (keyUse, error) {
	if idem.Key == "" {
		return keyUse{}, nil
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (scope, idem_key, fingerprint, created_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, idem.Scope, idem.Key, fp, micros(now))
	if err != nil {
		return keyUse{}, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return keyUse{}, err
	}
	return s.findKey(ctx, tx, idem, fp)
}

// findKey reads what a key's first request left behind; found is false
// for a key not used yet.
func (s *Store) findKey(ctx context.Context, tx *txn, idem ledger.Idempotency, fp string) (keyUse, error) {
	var prevFP string
	var txID, topupID, holdID sql.NullInt64
	err := tx.QueryRowContext(ctx, "SELECT fingerprint, transaction_id, topup_id, hold_id FROM idempotency_keys WHERE scope = $1 AND idem_key = $2",
		idem.Scope, idem.Key).Scan(&prevFP, &txID, &topupID, &holdID)
	if errors.Is(err, sql.ErrNoRows) {
		return keyUse{}, nil
	}
	if err != nil {
		return keyUse{}, err
	}
	if prevFP != fp {
		return keyUse{}, ledger.ErrIdempotencyKeyReused
	}
	return keyUse{found: true, txID: txID.Int64, topupID: topupID.Int64, holdID: holdID.Int64}, nil
}

// settleKey records what a claimed key's request produced; a key claimed
// late (lateClaim) is written here, with its result.
func (s *Store) settleKey(ctx context.Context, tx *txn, idem ledger.Idempotency, txID, topupID int64) error {
	if idem.Key == "" {
		return nil
	}
	if c := tx.claim; c != nil {
		tx.claim = nil
		_, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (scope, idem_key, fingerprint, created_at, transaction_id, topup_id)
			VALUES ($1, $2, $3, $4, $5, $6)`, idem.Scope, idem.Key, c.fingerprint, micros(c.at), nullID(txID), nullID(topupID))
		return err
	}
	_, err := tx.ExecContext(ctx, "UPDATE idempotency_keys SET transaction_id = $1, topup_id = $2 WHERE scope = $3 AND idem_key = $4",
		nullID(txID), nullID(topupID), idem.Scope, idem.Key)
	return err
}

// isKeyConflict tells whether err is a late claim meeting a key taken.
func isKeyConflict(err error) bool {
	// PostgreSQL names the constraint, SQLite the columns.
	unique, name := uniqueViolation(err)
	return unique && strings.HasPrefix(name, "idempotency_keys")
}

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// systemAccount returns the id of a system account, creating it on first use.
func (s *Store) systemAccount(ctx context.Context, st *txState, code string, cur money.Currency) (int64, error) {
	k := sysKey{code, cur.Code()}
	s.sysMu.Lock()
	id, ok := s.sysCache[k]
	s.sysMu.Unlock()
	if ok {
		return id, nil
	}
	for range 2 {
		err := st.tx.QueryRowContext(ctx, "SELECT id FROM accounts WHERE system_code = $1 AND currency = $2", code, cur.Code()).Scan(&id)
		if err == nil {
			st.newSys[k] = id
			return id, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, err
		}
		_, err = st.tx.ExecContext(ctx, `INSERT INTO accounts (number, system_code, currency, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING`, "S-"+code+"-"+cur.Code(), code, cur.Code(), micros(st.now))
		if err != nil {
			return 0, err
		}
	}
	return 0, fmt.Errorf("store: system account %s %s not found after creating it", code, cur)
}

// Transaction returns one transaction with its entries.
func (s *Store) Transaction(ctx context.Context, id int64) (ledger.Transaction, error) {
	var t ledger.Transaction
	err := s.read(ctx, func(tx *txn) error {
		var err error
		t, err = s.loadTransaction(ctx, tx, id)
		return err
	})
	return t, err
}

func (s *Store) loadTransaction(ctx context.Context, tx *txn, id int64) (ledger.Transaction, error) {
	var t ledger.Transaction
	var cur string
	var corrects, topup, by, hold sql.NullInt64
	var created int64
	err := tx.QueryRowContext(ctx, `SELECT id, type, account_id, currency, amount, reference, note, reason, corrects, topup_id, created_by, created_at, hold_id
		FROM transactions WHERE id = $1`, id).Scan(&t.ID, &t.Type, &t.AccountID, &cur, &t.Amount, &t.Reference, &t.Note,
		&t.Reason, &corrects, &topup, &by, &created, &hold)
	if errors.Is(err, sql.ErrNoRows) {
		return t, ledger.ErrNotFound
	}
	if err != nil {
		return t, err
	}
	if t.Currency, err = money.LookupCurrency(cur); err != nil {
		return t, err
	}
	t.Corrects, t.TopUpID, t.CreatedBy, t.CreatedAt, t.HoldID = corrects.Int64, topup.Int64, by.Int64, fromMicros(created), hold.Int64
	rows, err := tx.QueryContext(ctx, "SELECT "+entryCols+" FROM entries WHERE transaction_id = $1 ORDER BY id", id)
	t.Entries, err = collect(rows, err, scanEntry)
	return t, err
}

const entryCols = "id, transaction_id, account_id, amount, balance_after, created_at, part"

func scanEntry(row scanner) (ledger.Entry, error) {
	var e ledger.Entry
	var after sql.NullInt64
	var created int64
	err := row.Scan(&e.ID, &e.TransactionID, &e.AccountID, &e.Amount, &after, &created, &e.Part)
	if after.Valid {
		e.BalanceAfter = &after.Int64
	}
	e.CreatedAt = fromMicros(created)
	return e, err
}

// AuditTransaction is how a transaction appears in the operation record.
func AuditTransaction(t *ledger.Transaction) map[string]any {
	m := map[string]any{"type": t.Type, "account_id": t.AccountID, "currency": t.Currency.Code(),
		"amount": money.FormatMinor(t.Amount, t.Currency.Digits())}
	for k, v := range map[string]string{"reference": t.Reference, "note": t.Note, "reason": string(t.Reason)} {
		if v != "" {
			m[k] = v
		}
	}
	if t.Corrects != 0 {
		m["corrects"] = t.Corrects
	}
	if t.TopUpID != 0 {
		m["topup_id"] = t.TopUpID
	}
	if t.HoldID != 0 {
		m["hold_id"] = t.HoldID
	}
	if b := bonusDelta(t, t.AccountID); b != 0 { // the part of amount that is bonus (SPEC 11)
		m["bonus"] = money.FormatMinor(b, t.Currency.Digits())
	}
	if t.Grant != nil && t.Grant.ExpiresAt != nil {
		m["bonus_expires_at"] = t.Grant.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return m
}
