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

// Low-balance alerts. An account is below alert while its balance is under
// its alert amount. Alerts are edge-triggered: the posting that takes a
// balance from at least the alert amount to below it raises one alert, and
// the posting that brings it back to at least the alert amount clears it.
// Debits in between raise nothing more. Both happen in the posting's own
// database transaction, after its balance is written and while the
// account's row is locked (PostgreSQL) or the single writer is held
// (SQLite), so concurrent debits see each other's alert and a crossing is
// raised once. The unique index alerts_open backs this up: an account never
// has two open alerts.
//
// Changing an alert amount (PATCH or a batch) raises and clears nothing by
// itself: no money moved. The account list's below_alert filter shows the
// new state at once; the account's next posting settles its alert: a debit
// that leaves the balance below the alert amount raises one if none is open,
// and any posting that leaves it at or above clears the open one.

// Alert is one low-balance alert.
type Alert struct {
	ID          int64
	AccountID   int64
	CustomerID  int64
	Currency    money.Currency
	Balance     int64 // balance after the posting that raised it
	AlertAmount int64 // the alert amount then
	// TransactionID is the posting that raised it; ClearedTransactionID
	// the one that cleared it (0 while the alert is open).
	TransactionID        int64
	RaisedAt             time.Time
	ClearedAt            *time.Time
	ClearedTransactionID int64
}

// Active reports whether the alert is still open.
func (a Alert) Active() bool { return a.ClearedAt == nil }

// postedEvent is the transaction.posted event of t.
func postedEvent(t *ledger.Transaction) map[string]any {
	d, bonus := t.Currency.Digits(), bonusDelta(t, t.AccountID)
	return map[string]any{
		"id": strconv.FormatInt(t.ID, 10), "type": t.Type, "account_id": strconv.FormatInt(t.AccountID, 10),
		"currency": t.Currency.Code(), "amount": money.FormatMinor(t.Amount, d), "created_at": t.CreatedAt.UTC(),
		"principal": money.FormatMinor(t.Amount-bonus, d), "bonus": money.FormatMinor(bonus, d),
	}
}

// settleAlerts runs in a posting's database transaction once its rows are
// written: it raises or clears the alerts of the customer accounts the
// posting changed.
func (s *Store) settleAlerts(ctx context.Context, tx *txn, t *ledger.Transaction) error {
	for i, e := range t.Entries {
		if e.BalanceAfter == nil || (i > 0 && t.Entries[i-1].AccountID == e.AccountID) {
			continue // a system account (no balance, no alert), or an account settled already
		}
		// A split debit puts two entries on one account, one after the
		// other (bonus.go): the alert follows the balance from before the
		// first to after the last.
		last := e
		for _, next := range t.Entries[i+1:] {
			if next.AccountID != e.AccountID {
				break
			}
			last = next
		}
		if err := s.settleAlert(ctx, tx, t, e.AccountID, *e.BalanceAfter-e.Amount, *last.BalanceAfter); err != nil {
			return err
		}
	}
	return nil
}

// alertMove tells what a posting that takes a balance from before to after
// does to the account's alert: clear the open one, raise a new one, or both.
func alertMove(before, after, alertAmount int64, open bool) (clear, raise bool) {
	if after >= alertAmount {
		return open, false
	}
	if after >= before {
		// A credit that leaves the balance still below: the alert of this
		// stretch below is open already, or (after a change of the alert
		// amount) the next debit raises it.
		return false, false
	}
	crossed := before >= alertAmount
	if open && !crossed {
		return false, false // still below since the open alert was raised
	}
	// Open although the balance was at or above the alert amount: the
	// alert amount was lowered since. That stretch below is over; this
	// debit begins a new one.
	return open, true
}

// settleAlert compares the balance before and after a posting with the
// account's alert amount and raises or clears its alert. The caller holds
// the account's row lock, and has usually read the alert with it.
func (s *Store) settleAlert(ctx context.Context, tx *txn, t *ledger.Transaction, accountID, before, after int64) error {
	info, ok := tx.locked[accountID]
	if !ok {
		var open sql.NullInt64
		if err := tx.QueryRowContext(ctx, "SELECT customer_id, alert_amount, open_alert_id FROM accounts WHERE id = $1", accountID).
			Scan(&info.customerID, &info.alertAmount, &open); err != nil {
			return err
		}
		info.openAlert = open.Int64
	}
	clear, raise := alertMove(before, after, info.alertAmount, info.openAlert != 0)
	if clear {
		// cleared_at IS NULL: should the row have named an alert that is
		// closed already (see below), that one keeps its record.
		if _, err := tx.ExecContext(ctx, "UPDATE alerts SET cleared_at = $2, cleared_transaction_id = $3 WHERE id = $1 AND cleared_at IS NULL",
			info.openAlert, micros(t.CreatedAt), t.ID); err != nil {
			return err
		}
		info.openAlert = 0
		if err := s.notify(ctx, tx, accountID, ledger.NotifyRecovered, alertNotice(t, accountID, after, info.alertAmount)); err != nil {
			return err
		}
	}
	if raise {
		a := Alert{AccountID: accountID, CustomerID: info.customerID, Currency: t.Currency, Balance: after, AlertAmount: info.alertAmount,
			TransactionID: t.ID, RaisedAt: t.CreatedAt}
		err := tx.QueryRowContext(ctx, `INSERT INTO alerts (account_id, customer_id, currency, balance, alert_amount, transaction_id, raised_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id`, a.AccountID, a.CustomerID, a.Currency.Code(), a.Balance,
			a.AlertAmount, a.TransactionID, micros(a.RaisedAt)).Scan(&a.ID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			// The account has an open alert that its row did not name: an
			// instance older than open_alert_id raised it during a rolling
			// upgrade. That alert stands for this stretch below; the row
			// learns of it, and the posting goes on.
			if err := tx.QueryRowContext(ctx, "SELECT id FROM alerts WHERE account_id = $1 AND cleared_at IS NULL", accountID).Scan(&info.openAlert); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			info.openAlert = a.ID
			if err := s.event(ctx, tx, "account.below_alert", alertEvent(a)); err != nil {
				return err
			}
			if err := s.notify(ctx, tx, accountID, ledger.NotifyLowBalance, alertNotice(t, accountID, after, info.alertAmount)); err != nil {
				return err
			}
		}
	}
	if clear || raise {
		if _, err := tx.ExecContext(ctx, "UPDATE accounts SET open_alert_id = $1 WHERE id = $2", nullID(info.openAlert), accountID); err != nil {
			return err
		}
	}
	if ok {
		tx.locked[accountID] = info
	}
	return nil
}

// alertNotice is the payload of a customer's low-balance or recovered
// notification.
func alertNotice(t *ledger.Transaction, accountID, balance, alertAmount int64) map[string]any {
	d := t.Currency.Digits()
	return map[string]any{"account_id": strconv.FormatInt(accountID, 10), "transaction_id": strconv.FormatInt(t.ID, 10),
		"currency": t.Currency.Code(), "balance": money.FormatMinor(balance, d), "alert_amount": money.FormatMinor(alertAmount, d),
		"at": t.CreatedAt.UTC()}
}

func alertEvent(a Alert) map[string]any {
	d := a.Currency.Digits()
	return map[string]any{"id": strconv.FormatInt(a.ID, 10), "account_id": strconv.FormatInt(a.AccountID, 10),
		"customer_id": strconv.FormatInt(a.CustomerID, 10), "currency": a.Currency.Code(),
		"balance": money.FormatMinor(a.Balance, d), "alert_amount": money.FormatMinor(a.AlertAmount, d),
		"transaction_id": strconv.FormatInt(a.TransactionID, 10), "raised_at": a.RaisedAt.UTC()}
}

const alertCols = "id, account_id, customer_id, currency, balance, alert_amount, transaction_id, raised_at, cleared_at, cleared_transaction_id"

func scanAlert(row interface{ Scan(...any) error }) (Alert, error) {
	var a Alert
	var cur string
	var raised int64
	var cleared, clearedTx sql.NullInt64
	if err := row.Scan(&a.ID, &a.AccountID, &a.CustomerID, &cur, &a.Balance, &a.AlertAmount, &a.TransactionID,
		&raised, &cleared, &clearedTx); err != nil {
		return a, err
	}
	var err error
	a.Currency, err = money.LookupCurrency(cur)
	a.RaisedAt, a.ClearedAt, a.ClearedTransactionID = fromMicros(raised), fromNullMicros(cleared), clearedTx.Int64
	return a, err
}

// AlertFilter selects alerts; From and To bound the time they were raised
// (To exclusive).
type AlertFilter struct {
	AccountID  int64
	CustomerID int64
	Currency   string
	Active     *bool // true: open ones; false: cleared ones
	From, To   *time.Time
	BeforeID   int64 // keyset cursor: alerts with smaller ids
	Limit      int
}

// Alerts lists alerts, newest first.
func (s *Store) Alerts(ctx context.Context, f AlertFilter) ([]Alert, error) {
	w := where{}
	if f.AccountID != 0 {
		w.add("account_id = ?", f.AccountID)
	}
	if f.CustomerID != 0 {
		w.add("customer_id = ?", f.CustomerID)
	}
	if f.Currency != "" {
		w.add("currency = ?", f.Currency)
	}
	if f.Active != nil {
		if *f.Active {
			w.add("cleared_at IS NULL")
		} else {
			w.add("cleared_at IS NOT NULL")
		}
	}
	if f.From != nil {
		w.add("raised_at >= ?", micros(*f.From))
	}
	if f.To != nil {
		w.add("raised_at < ?", micros(*f.To))
	}
	if f.BeforeID != 0 {
		w.add("id < ?", f.BeforeID)
	}
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+alertCols+" FROM alerts"+w.sql()+" ORDER BY id DESC LIMIT "+strconv.Itoa(f.Limit), w.args...)
	return collect(rows, err, scanAlert)
}
