package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
)

// Holds (SPEC 8). Every change of a hold locks its account first, then
// the hold: a hold, a capture, a release, the expiry job and any posting on
// the account are serialised on the account's row, so that the floor check
// sees every hold that counts and one hold has exactly one end.

const holdCols = "h.id, h.account_id, a.currency, h.amount, h.captured_amount, h.status, h.reference, h.note, h.expires_at, " +
	"h.created_by, h.created_at, h.closed_at, h.transaction_id"

const holdFrom = " FROM holds h JOIN accounts a ON a.id = h.account_id"

func scanHold(row scanner) (ledger.Hold, error) {
	var h ledger.Hold
	var cur string
	var expires, created int64
	var by, closed, txID sql.NullInt64
	err := row.Scan(&h.ID, &h.AccountID, &cur, &h.Amount, &h.CapturedAmount, &h.Status, &h.Reference, &h.Note, &expires,
		&by, &created, &closed, &txID)
	if errors.Is(err, sql.ErrNoRows) {
		return h, ledger.ErrNotFound
	}
	if err != nil {
		return h, err
	}
	if h.Currency, err = money.LookupCurrency(cur); err != nil {
		return h, err
	}
	h.ExpiresAt, h.CreatedAt, h.ClosedAt = fromMicros(expires), fromMicros(created), fromNullMicros(closed)
	h.CreatedBy, h.TransactionID = by.Int64, txID.Int64
	return h, nil
}

// Hold returns one hold.
func (s *Store) Hold(ctx context.Context, id int64) (ledger.Hold, error) {
	return scanHold(s.readRow(ctx, "SELECT "+holdCols+holdFrom+" WHERE h.id = $1", id))
}

// HoldFilter selects holds, newest first.
type HoldFilter struct {
	AccountID, CustomerID int64
	Status                ledger.HoldStatus
	BeforeID              int64
	Limit                 int
}

// Holds lists holds. A hold that ran out but is not marked yet is listed
// as expired: that is what it is.
func (s *Store) Holds(ctx context.Context, f HoldFilter) ([]ledger.Hold, error) {
	w := where{}
	now := micros(s.nowTime())
	if f.AccountID != 0 {
		w.add("h.account_id = ?", f.AccountID)
	}
	if f.CustomerID != 0 {
		w.add("a.customer_id = ?", f.CustomerID)
	}
	switch f.Status {
	case "":
	case ledger.HoldActive:
		w.add("h.status = 'active' AND h.expires_at > ?", now)
	case ledger.HoldExpired:
		w.add("(h.status = 'expired' OR (h.status = 'active' AND h.expires_at <= ?))", now)
	default:
		w.add("h.status = ?", string(f.Status))
	}
	if f.BeforeID != 0 {
		w.add("h.id < ?", f.BeforeID)
	}
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+holdCols+holdFrom+w.sql()+" ORDER BY h.id DESC LIMIT "+strconv.Itoa(f.Limit), w.args...)
	hs, err := collect(rows, err, scanHold)
	for i := range hs {
		hs[i] = shownAt(hs[i], s.nowTime())
	}
	return hs, err
}

// shownAt is h as it stands at now: active past its expiry is expired.
func shownAt(h ledger.Hold, now time.Time) ledger.Hold {
	if h.Status == ledger.HoldActive && !h.Counts(now) {
		h.Status = ledger.HoldExpired
	}
	return h
}

// PlaceHold reserves r.Amount on an account, if its floor allows it with
// every hold that counts. A repeat of its idempotency key answers with the
// first hold (replayed).
func (s *Store) PlaceHold(ctx context.Context, r ledger.NewHold) (h ledger.Hold, replayed bool, err error) {
	now := s.nowTime()
	if err := r.Validate(now); err != nil {
		return h, false, err
	}
	err = s.grouped(ctx, func(ctx context.Context, tx *txn) error {
		now, replayed = s.nowTime(), false
		prev, err := s.claimKey(ctx, tx, r.Idem, r.Fingerprint(), now)
		if err != nil {
			return err
		}
		if prev.found {
			replayed = true
			h, err = scanHold(tx.QueryRowContext(ctx, "SELECT "+holdCols+holdFrom+" WHERE h.id = $1", prev.holdID))
			return err
		}
		h, err = s.placeHold(ctx, tx, r, now)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE idempotency_keys SET hold_id = $1 WHERE scope = $2 AND idem_key = $3", h.ID, r.Idem.Scope, r.Idem.Key)
		return err
	})
	return h, replayed, err
}

func (s *Store) placeHold(ctx context.Context, tx *txn, r ledger.NewHold, now time.Time) (ledger.Hold, error) {
	a, err := s.lockByID(ctx, tx, r.AccountID, false)
	if err != nil {
		return ledger.Hold{}, err
	}
	if err := a.CheckHold(r.Amount, now); err != nil {
		return ledger.Hold{}, err
	}
	expires := now
	if r.ExpiresAt != nil {
		expires = *r.ExpiresAt
	} else {
		st, err := loadSettings(ctx, tx, "")
		if err != nil {
			return ledger.Hold{}, err
		}
		expires = now.Add(st.HoldTTL())
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO holds (account_id, amount, status, reference, note, expires_at, created_by, created_at)
		VALUES ($1, $2, 'active', $3, $4, $5, $6, $7) RETURNING id`, a.ID, r.Amount, r.Reference, r.Note, micros(expires),
		nullID(r.Actor.AdminID), micros(now)).Scan(&id); err != nil {
		return ledger.Hold{}, err
	}
	if err := s.keepHeld(ctx, tx, a.ID, now); err != nil {
		return ledger.Hold{}, err
	}
	h, err := scanHold(tx.QueryRowContext(ctx, "SELECT "+holdCols+holdFrom+" WHERE h.id = $1", id))
	if err != nil {
		return h, err
	}
	return h, s.holdChanged(ctx, tx, r.Actor, "hold.create", "hold.created", h)
}

// keepHeld sets an account's held and held_until from its active holds,
// after one of them changed: the sum of those still counting at now, and
// the earliest of their expiries. Holds that ran out do not count,
// whether or not the expiry job has marked them yet.
func (s *Store) keepHeld(ctx context.Context, tx *txn, accountID int64, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE accounts SET
		held = (SELECT COALESCE(SUM(amount), 0) FROM holds WHERE account_id = $1 AND status = 'active' AND expires_at > $2),
		held_until = (SELECT MIN(expires_at) FROM holds WHERE account_id = $1 AND status = 'active' AND expires_at > $2)
		WHERE id = $1`, accountID, micros(now))
	return err
}

// holdChanged writes the operation record and the webhook event of a
// change of h.
func (s *Store) holdChanged(ctx context.Context, tx *txn, actor ledger.Actor, action, event string, h ledger.Hold) error {
	if err := s.event(ctx, tx, event, holdEvent(h)); err != nil {
		return err
	}
	return s.audit(ctx, tx, actor, change{action: action, objectType: "hold", objectID: h.ID, after: auditHold(h)})
}

func auditHold(h ledger.Hold) map[string]any {
	m := map[string]any{"account_id": h.AccountID, "currency": h.Currency.Code(), "status": string(h.Status),
		"amount": money.FormatMinor(h.Amount, h.Currency.Digits()), "expires_at": h.ExpiresAt.UTC().Format(time.RFC3339)}
	if h.CapturedAmount != 0 {
		m["captured_amount"] = money.FormatMinor(h.CapturedAmount, h.Currency.Digits())
	}
	if h.Reference != "" {
		m["reference"] = h.Reference
	}
	if h.TransactionID != 0 {
		m["transaction_id"] = h.TransactionID
	}
	return m
}

// holdEvent is the data of a hold's webhook events, as the API shows it.
func holdEvent(h ledger.Hold) map[string]any {
	d := h.Currency.Digits()
	m := map[string]any{"id": strconv.FormatInt(h.ID, 10), "account_id": strconv.FormatInt(h.AccountID, 10), "currency": h.Currency.Code(),
		"amount": money.FormatMinor(h.Amount, d), "captured_amount": money.FormatMinor(h.CapturedAmount, d), "status": string(h.Status),
		"reference": h.Reference, "expires_at": h.ExpiresAt.UTC()}
	if h.TransactionID != 0 {
		m["transaction_id"] = strconv.FormatInt(h.TransactionID, 10)
	}
	return m
}

// lockHold locks a hold's account, then the hold, and checks that the hold
// still counts at now: otherwise ledger.ErrHoldNotActive.
func (s *Store) lockHold(ctx context.Context, tx *txn, id int64, posting bool, now time.Time) (ledger.Account, ledger.Hold, error) {
	var accountID int64
	err := tx.QueryRowContext(ctx, "SELECT account_id FROM holds WHERE id = $1", id).Scan(&accountID)
	if errors.Is(err, sql.ErrNoRows) {
		return ledger.Account{}, ledger.Hold{}, ledger.ErrNotFound
	}
	if err != nil {
		return ledger.Account{}, ledger.Hold{}, err
	}
	a, err := s.lockByID(ctx, tx, accountID, posting)
	if err != nil {
		return a, ledger.Hold{}, err
	}
	h, err := scanHold(tx.QueryRowContext(ctx, "SELECT "+holdCols+holdFrom+" WHERE h.id = $1", id))
	if err == nil && !h.Counts(now) {
		err = ledger.ErrHoldNotActive
	}
	return a, h, err
}

// CaptureHold posts r.Amount (0: the whole hold) of an active hold as a
// charge naming the hold, and closes the hold: the rest is released. A
// repeat of its idempotency key answers with the first charge.
func (s *Store) CaptureHold(ctx context.Context, r ledger.Capture) (Posted, error) {
	if err := r.Validate(); err != nil {
		return Posted{}, err
	}
	var h ledger.Hold
	build := func(ctx context.Context, st *txState) (*ledger.Transaction, error) {
		a, hold, err := s.lockHold(ctx, st.tx, r.HoldID, true, st.now)
		if err != nil {
			return nil, err
		}
		h = hold
		amount, err := h.CaptureAmount(r.Amount)
		if err != nil {
			return nil, err
		}
		if err := a.CheckCapture(amount); err != nil {
			return nil, err
		}
		rev, err := s.systemAccount(ctx, st, ledger.SystemRevenue, a.Currency)
		if err != nil {
			return nil, err
		}
		note := r.Note
		if note == "" {
			note = h.Note
		}
		h.CapturedAmount = amount
		return s.debitTransaction(ctx, st, ledger.Transaction{Type: ledger.TxCharge, Reference: h.Reference, Note: note, HoldID: h.ID,
			CreatedBy: r.Actor.AdminID}, a, amount, rev)
	}
	then := func(ctx context.Context, st *txState, t *ledger.Transaction) error {
		h.Status, h.TransactionID, h.ClosedAt = ledger.HoldCaptured, t.ID, &st.now
		return s.closeHold(ctx, st.tx, r.Actor, h, st.now, "hold.capture", "hold.captured")
	}
	return s.postThen(ctx, r.Actor, r.Idem, r.Fingerprint(), build, then)
}

// ReleaseHold ends an active hold without posting anything.
func (s *Store) ReleaseHold(ctx context.Context, actor ledger.Actor, id int64) (ledger.Hold, error) {
	var h ledger.Hold
	err := s.grouped(ctx, func(ctx context.Context, tx *txn) error {
		now := s.nowTime()
		a, hold, err := s.lockHold(ctx, tx, id, false, now)
		if err != nil {
			return err
		}
		if a.Status == ledger.StatusDisabled {
			return ledger.ErrAccountDisabled
		}
		h = hold
		h.Status, h.ClosedAt = ledger.HoldReleased, &now
		return s.closeHold(ctx, tx, actor, h, now, "hold.release", "hold.released")
	})
	return h, err
}

// closeHold writes the end of a hold that lockHold found active, and keeps
// its account's held.
func (s *Store) closeHold(ctx context.Context, tx *txn, actor ledger.Actor, h ledger.Hold, now time.Time, action, event string) error {
	res, err := tx.ExecContext(ctx, `UPDATE holds SET status = $2, captured_amount = $3, closed_at = $4, transaction_id = $5
		WHERE id = $1 AND status = 'active'`, h.ID, string(h.Status), h.CapturedAmount, micros(now), nullID(h.TransactionID))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		if err == nil {
			err = ledger.ErrHoldNotActive // cannot happen under the account's lock
		}
		return err
	}
	if err := s.keepHeld(ctx, tx, h.AccountID, now); err != nil {
		return err
	}
	return s.holdChanged(ctx, tx, actor, action, event, h)
}

// ExpireHolds marks up to limit holds that ran out by now as expired, each
// under its account's lock, with its event and operation record; it
// returns how many. Holds stopped counting when they ran out: this only
// writes it down, and tells the webhooks.
func (s *Store) ExpireHolds(ctx context.Context, actor ledger.Actor, limit int) (int, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT id FROM holds WHERE status = 'active' AND expires_at <= $1 ORDER BY expires_at, id LIMIT "+
		strconv.Itoa(limit), micros(s.nowTime()))
	ids, err := collect(rows, err, scanID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		expired := false
		err := s.write(ctx, func(tx *txn) error {
			now := s.nowTime()
			_, h, err := s.lockHold(ctx, tx, id, false, now)
			if err == nil || !errors.Is(err, ledger.ErrHoldNotActive) {
				return err // nil: it still counts, so it was not due
			}
			if h.Status != ledger.HoldActive {
				return nil // captured or released meanwhile
			}
			h.Status, h.ClosedAt = ledger.HoldExpired, &now
			expired = true
			return s.closeHold(ctx, tx, actor, h, now, "hold.expire", "hold.expired")
		})
		if err != nil {
			return n, err
		}
		if expired {
			n++
		}
	}
	return n, nil
}
