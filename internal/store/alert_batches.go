package store

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
)

// Batch changes of alert amounts (SPEC section 2, "Batch adjust alert
// amount"): for chosen accounts, for every customer account in one
// currency, or for all of them. Each batch keeps, per account it changed,
// the value it replaced and the value it set (alert_batch_items), and can be
// undone as a whole while none of those accounts' alert amounts has changed
// since.
//
// Everything is set-based: one INSERT … SELECT records the items and one
// UPDATE applies them, so a batch over 100,000 accounts is a few statements,
// not 100,000. Only chosen account ids go to the database in chunks, because
// the number of parameters a statement may take is bounded.

// idChunk is how many account ids one statement takes.
const idChunk = 1000

// UndoConflictError tells how many of a batch's accounts no longer have the
// alert amount the batch set, and names a few.
type UndoConflictError struct {
	Count  int64
	Sample []int64
}

// Error says how many accounts changed since, and which, in English.
func (e *UndoConflictError) Error() string {
	ids := make([]string, len(e.Sample))
	for i, id := range e.Sample {
		ids[i] = strconv.FormatInt(id, 10)
	}
	return fmt.Sprintf("%d of the batch's accounts have had their alert amount changed since (accounts %s); nothing was undone",
		e.Count, strings.Join(ids, ", "))
}

// Unwrap makes it an undo_conflict of the domain, with this message.
func (e *UndoConflictError) Unwrap() error { return ledger.ErrUndoConflict }

// AlertBatch is a batch change of alert amounts.
type AlertBatch struct {
	ID          int64
	Scope       string // accounts, currency or all
	Currency    string // for the currency scope
	AlertAmount string // as given
	Matched     int64  // accounts in the scope
	Changed     int64  // accounts whose alert amount the batch changed
	CreatedBy   int64
	CreatedAt   time.Time
	UndoneBy    int64
	UndoneAt    *time.Time
}

// AlertBatchResult is a batch after an operation on it.
type AlertBatchResult struct {
	Batch    AlertBatch
	Replayed bool // the idempotency key had already done this
}

func alertBatchFingerprint(r ledger.AlertBatchRequest) string {
	b, _ := json.Marshal(r)
	h := sha256.Sum256(append([]byte("alert-batch:"), b...))
	return hex.EncodeToString(h[:])
}

// alertAmountIn reads the batch's alert amount in one currency.
func alertAmountIn(s string, cur money.Currency) (int64, *ledger.FieldProblem) {
	a, err := money.Parse(s, cur)
	if err != nil {
		msg := err.Error()
		if errors.Is(err, money.ErrTooManyDecimals) {
			msg = "has more decimals than " + cur.Code() + ", a currency of the chosen accounts, allows (" + msg + ")"
		}
		return 0, &ledger.FieldProblem{Field: "alert_amount", Message: msg}
	}
	if a.IsNegative() || a.Minor() > ledger.MaxLimit {
		return 0, &ledger.FieldProblem{Field: "alert_amount", Message: "must be zero or more and within range"}
	}
	return a.Minor(), nil
}

// CreateAlertBatch sets the alert amount of every account in the request's
// scope, in one database transaction, and records what it replaced.
func (s *Store) CreateAlertBatch(ctx context.Context, actor ledger.Actor, r ledger.AlertBatchRequest, idem ledger.Idempotency) (AlertBatchResult, error) {
	scope, err := r.Validate()
	if err != nil {
		return AlertBatchResult{}, err
	}
	fp := alertBatchFingerprint(r)
	ids := slices.Clone(r.AccountIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var out AlertBatchResult
	err = s.write(ctx, func(tx *txn) error {
		now := s.nowTime()
		out = AlertBatchResult{}
		prev, err := s.claimKey(ctx, tx, idem, fp, now)
		if err != nil {
			return err
		}
		if prev.found {
			out, err = s.replayAlertBatch(ctx, tx, idem)
			return err
		}
		currencies, amounts, err := s.alertAmounts(ctx, tx, r, scope, ids)
		if err != nil {
			return err
		}
		b := AlertBatch{Scope: scope, Currency: r.Currency, AlertAmount: r.AlertAmount, CreatedBy: actor.AdminID, CreatedAt: now}
		if err := tx.QueryRowContext(ctx, `INSERT INTO alert_batches (scope, currency, alert_amount, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, b.Scope, b.Currency, b.AlertAmount, nullID(b.CreatedBy), micros(now)).Scan(&b.ID); err != nil {
			return err
		}
		if len(currencies) > 0 {
			if err := s.recordAlertItems(ctx, tx, &b, ids, currencies, amounts); err != nil {
				return err
			}
		}
		if err := setAlertAmounts(ctx, tx, b.ID, "new_amount", now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE alert_batches SET matched = $2, changed = $3 WHERE id = $1", b.ID, b.Matched, b.Changed); err != nil {
			return err
		}
		// One operation record for the batch; the values per account are
		// its items.
		after := auditAlertBatch(b)
		if scope == "accounts" && len(ids) <= 100 {
			after["account_ids"] = ids
		}
		if err := s.audit(ctx, tx, actor, change{action: "alert_batch.create", objectType: "alert_batch", objectID: b.ID, after: after}); err != nil {
			return err
		}
		out.Batch = b
		return s.settleAlertBatchKey(ctx, tx, idem, b.ID)
	})
	if err != nil {
		return AlertBatchResult{}, err
	}
	return out, nil
}

// alertAmounts returns the currencies in a batch's scope and the alert
// amount in each. They are read in the batch's transaction, so that a bad
// amount or an unknown account leaves nothing behind.
func (s *Store) alertAmounts(ctx context.Context, tx *txn, r ledger.AlertBatchRequest, scope string, ids []int64) ([]string, map[string]int64, error) {
	var currencies []string
	var err error
	switch scope {
	case "currency":
		currencies = []string{r.Currency}
	case "all":
		currencies, err = s.customerCurrencies(ctx, tx)
	case "accounts":
		currencies, err = s.currenciesOf(ctx, tx, ids)
	}
	if err != nil {
		return nil, nil, err
	}
	var problems []ledger.FieldProblem
	amounts := map[string]int64{}
	for _, code := range currencies {
		cur, err := money.LookupCurrency(code)
		if err != nil {
			return nil, nil, err
		}
		v, p := alertAmountIn(r.AlertAmount, cur)
		if p != nil {
			problems = append(problems, *p)
			continue
		}
		amounts[code] = v
	}
	if len(currencies) == 0 {
		// Nothing in scope: still refuse what is no amount in any
		// currency (CLF has 4 decimals, as many as any currency has).
		if _, p := alertAmountIn(r.AlertAmount, money.MustCurrency("CLF")); p != nil {
			problems = append(problems, *p)
		}
	}
	if problems != nil {
		return nil, nil, &ledger.ValidationError{Problems: problems}
	}
	return currencies, amounts, nil
}

// recordAlertItems records each account in b's scope whose alert amount
// changes, with the value it had, and counts b's Matched and Changed. On
// PostgreSQL FOR UPDATE locks those accounts until commit and reads their
// latest values, so that what is recorded as replaced is what was replaced.
// (These statements vary with the scope: they run unprepared, so that
// SQLite's statement cache keeps only fixed ones.)
func (s *Store) recordAlertItems(ctx context.Context, tx *txn, b *AlertBatch, ids []int64, currencies []string, amounts map[string]int64) error {
	insert := func(idIn string, args sqlArgs) (int64, error) {
		batchPH := args.ph(b.ID)
		newAmount := "CASE currency"
		var in []string
		for _, code := range currencies {
			c := args.ph(code)
			newAmount += " WHEN " + c + " THEN CAST(" + args.ph(amounts[code]) + " AS BIGINT)"
			in = append(in, c)
		}
		newAmount += " END"
		res, err := tx.Tx.ExecContext(ctx, `INSERT INTO alert_batch_items (batch_id, account_id, old_amount, new_amount)
			SELECT `+batchPH+`, id, alert_amount, `+newAmount+` FROM accounts
			WHERE customer_id IS NOT NULL AND currency IN (`+strings.Join(in, ", ")+`)`+idIn+`
			AND alert_amount <> `+newAmount+s.forUpdate, args...)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}
	if b.Scope == "accounts" {
		b.Matched = int64(len(ids))
		for chunk := range slices.Chunk(ids, idChunk) {
			var args sqlArgs
			n, err := insert(" AND id IN ("+args.list(anys(chunk)...)+")", args)
			if err != nil {
				return err
			}
			b.Changed += n
		}
		return nil
	}
	var err error
	if b.Changed, err = insert("", nil); err != nil {
		return err
	}
	var args sqlArgs
	return tx.Tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM accounts WHERE customer_id IS NOT NULL AND currency IN ("+
		args.list(anys(currencies)...)+")", args...).Scan(&b.Matched)
}

// customerCurrencies lists the currencies that customer accounts hold.
func (s *Store) customerCurrencies(ctx context.Context, tx *txn) ([]string, error) {
	rows, err := tx.QueryContext(ctx, "SELECT DISTINCT currency FROM accounts WHERE customer_id IS NOT NULL ORDER BY currency")
	return collect(rows, err, scanValue[string])
}

// currenciesOf returns the currencies of the given customer accounts (ids
// sorted, without repeats), or a validation error naming ids that are no
// customer account.
func (s *Store) currenciesOf(ctx context.Context, tx *txn, ids []int64) ([]string, error) {
	seen := map[string]bool{}
	found := 0
	var missing []string
	for chunk := range slices.Chunk(ids, idChunk) {
		var args sqlArgs
		rows, err := tx.Tx.QueryContext(ctx, "SELECT id, currency FROM accounts WHERE customer_id IS NOT NULL AND id IN ("+
			args.list(anys(chunk)...)+") ORDER BY id", args...)
		got, err := collect(rows, err, scanAccountCurrency)
		if err != nil {
			return nil, err
		}
		for _, a := range got {
			seen[a.currency] = true
		}
		found += len(got)
		for _, id := range chunk {
			if _, ok := slices.BinarySearchFunc(got, id, accountCurrency.cmpID); !ok && len(missing) < 10 {
				missing = append(missing, strconv.FormatInt(id, 10))
			}
		}
	}
	if found < len(ids) {
		msg := "no such account: " + strings.Join(missing, ", ")
		if n := len(ids) - found; n > len(missing) {
			msg += fmt.Sprintf(" (%d in all)", n)
		}
		return nil, ledger.InvalidBecause("account_ids", "no_such", msg)
	}
	out := make([]string, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	slices.Sort(out)
	return out, nil
}

// accountCurrency is an account's id and currency.
type accountCurrency struct {
	id       int64
	currency string
}

func scanAccountCurrency(row scanner) (accountCurrency, error) {
	var a accountCurrency
	err := row.Scan(&a.id, &a.currency)
	return a, err
}

// cmpID orders by id, for a binary search.
func (a accountCurrency) cmpID(id int64) int { return cmp.Compare(a.id, id) }

// UndoAlertBatch restores the alert amounts a batch replaced, all or none:
// if any of its accounts no longer has the value the batch set, nothing
// changes and the error is an *UndoConflictError.
func (s *Store) UndoAlertBatch(ctx context.Context, actor ledger.Actor, id int64, idem ledger.Idempotency) (AlertBatchResult, error) {
	var out AlertBatchResult
	err := s.write(ctx, func(tx *txn) error {
		now := s.nowTime()
		out = AlertBatchResult{}
		prev, err := s.claimKey(ctx, tx, idem, "alert-batch-undo:"+strconv.FormatInt(id, 10), now)
		if err != nil {
			return err
		}
		if prev.found {
			out, err = s.replayAlertBatch(ctx, tx, idem)
			return err
		}
		// The batch's row lock makes a concurrent undo wait, then see this one.
		before, err := s.loadAlertBatch(ctx, tx, id, s.forUpdate)
		if err != nil {
			return err
		}
		if before.UndoneAt != nil {
			return ledger.ErrAlertBatchUndone
		}
		if err := s.lockUndo(ctx, tx, id); err != nil {
			return err
		}
		if err := setAlertAmounts(ctx, tx, id, "old_amount", now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE alert_batches SET undone_at = $2, undone_by = $3 WHERE id = $1",
			id, micros(now), nullID(actor.AdminID)); err != nil {
			return err
		}
		after := before
		after.UndoneAt, after.UndoneBy = &now, actor.AdminID
		if err := s.audit(ctx, tx, actor, change{action: "alert_batch.undo", objectType: "alert_batch", objectID: id,
			before: auditAlertBatch(before), after: auditAlertBatch(after)}); err != nil {
			return err
		}
		out.Batch = after
		return s.settleAlertBatchKey(ctx, tx, idem, id)
	})
	if err != nil {
		return AlertBatchResult{}, err
	}
	return out, nil
}

// lockUndo locks the accounts of batch id (PostgreSQL), so that no change
// slips in between this check and the restore, and returns an
// *UndoConflictError if any no longer has the alert amount the batch set.
func (s *Store) lockUndo(ctx context.Context, tx *txn, id int64) error {
	var locked int64
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT id FROM accounts
		WHERE id IN (SELECT account_id FROM alert_batch_items WHERE batch_id = $1)`+s.forUpdate+`) locked`, id).Scan(&locked); err != nil {
		return err
	}
	var conflict UndoConflictError
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM alert_batch_items i JOIN accounts a ON a.id = i.account_id
		WHERE i.batch_id = $1 AND a.alert_amount <> i.new_amount`, id).Scan(&conflict.Count); err != nil {
		return err
	}
	if conflict.Count == 0 {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT i.account_id FROM alert_batch_items i JOIN accounts a ON a.id = i.account_id
		WHERE i.batch_id = $1 AND a.alert_amount <> i.new_amount ORDER BY i.account_id LIMIT 5`, id)
	if conflict.Sample, err = collect(rows, err, scanID); err != nil {
		return err
	}
	return &conflict
}

// setAlertAmounts gives each account of batch id the alert amount its item
// holds in col: new_amount applies the batch, old_amount undoes it, in one
// statement. Each is a change of the account's alert amount, so each
// account gets a new version: an edit form opened before is then refused as
// stale instead of putting back the value the batch replaced.
func setAlertAmounts(ctx context.Context, tx *txn, id int64, col string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE accounts SET updated_at = $2, version = version + 1,
		alert_amount = (SELECT i.`+col+` FROM alert_batch_items i WHERE i.batch_id = $1 AND i.account_id = accounts.id)
		WHERE id IN (SELECT account_id FROM alert_batch_items WHERE batch_id = $1)`, id, micros(now))
	return err
}

// replayAlertBatch is the result of a claimed idempotency key's first
// request, which made or undid a batch.
func (s *Store) replayAlertBatch(ctx context.Context, tx *txn, idem ledger.Idempotency) (AlertBatchResult, error) {
	id, err := s.keyAlertBatch(ctx, tx, idem)
	if err != nil {
		return AlertBatchResult{}, err
	}
	b, err := s.loadAlertBatch(ctx, tx, id, "")
	return AlertBatchResult{Batch: b, Replayed: true}, err
}

// keyAlertBatch returns the batch a claimed idempotency key's first request
// made or undid.
func (s *Store) keyAlertBatch(ctx context.Context, tx *txn, idem ledger.Idempotency) (int64, error) {
	var id sql.NullInt64
	if err := tx.QueryRowContext(ctx, "SELECT alert_batch_id FROM idempotency_keys WHERE scope = $1 AND idem_key = $2",
		idem.Scope, idem.Key).Scan(&id); err != nil {
		return 0, err
	}
	if !id.Valid {
		return 0, fmt.Errorf("store: idempotency key %q has no alert batch", idem.Key)
	}
	return id.Int64, nil
}

// settleAlertBatchKey records the batch a claimed key's request produced.
func (s *Store) settleAlertBatchKey(ctx context.Context, tx *txn, idem ledger.Idempotency, batchID int64) error {
	if idem.Key == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, "UPDATE idempotency_keys SET alert_batch_id = $1 WHERE scope = $2 AND idem_key = $3",
		batchID, idem.Scope, idem.Key)
	return err
}

const alertBatchCols = "id, scope, currency, alert_amount, matched, changed, created_by, created_at, undone_by, undone_at"

func scanAlertBatch(row interface{ Scan(...any) error }) (AlertBatch, error) {
	var b AlertBatch
	var created int64
	var by, undoneBy, undone sql.NullInt64
	err := row.Scan(&b.ID, &b.Scope, &b.Currency, &b.AlertAmount, &b.Matched, &b.Changed, &by, &created, &undoneBy, &undone)
	if errors.Is(err, sql.ErrNoRows) {
		return b, ledger.ErrNotFound
	}
	b.CreatedBy, b.CreatedAt, b.UndoneBy, b.UndoneAt = by.Int64, fromMicros(created), undoneBy.Int64, fromNullMicros(undone)
	return b, err
}

func (s *Store) loadAlertBatch(ctx context.Context, tx *txn, id int64, lock string) (AlertBatch, error) {
	return scanAlertBatch(tx.QueryRowContext(ctx, "SELECT "+alertBatchCols+" FROM alert_batches WHERE id = $1"+lock, id))
}

// AlertBatch returns one batch.
func (s *Store) AlertBatch(ctx context.Context, id int64) (AlertBatch, error) {
	return scanAlertBatch(s.rdb.QueryRowContext(ctx, "SELECT "+alertBatchCols+" FROM alert_batches WHERE id = $1", id))
}

// AlertBatches lists batches newest first, before id beforeID (0: from the
// newest).
func (s *Store) AlertBatches(ctx context.Context, beforeID int64, limit int) ([]AlertBatch, error) {
	w := where{}
	if beforeID != 0 {
		w.add("id < ?", beforeID)
	}
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+alertBatchCols+" FROM alert_batches"+w.sql()+" ORDER BY id DESC LIMIT "+strconv.Itoa(limit), w.args...)
	return collect(rows, err, scanAlertBatch)
}

// AlertBatchItem is one account a batch changed.
type AlertBatchItem struct {
	AccountID int64
	Currency  money.Currency
	OldAmount int64
	NewAmount int64
}

// AlertBatchItems lists the accounts a batch changed, by account id, after
// account id afterID (0: from the first).
func (s *Store) AlertBatchItems(ctx context.Context, batchID, afterID int64, limit int) ([]AlertBatchItem, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT i.account_id, a.currency, i.old_amount, i.new_amount
		FROM alert_batch_items i JOIN accounts a ON a.id = i.account_id
		WHERE i.batch_id = $1 AND i.account_id > $2 ORDER BY i.account_id LIMIT `+strconv.Itoa(limit), batchID, afterID)
	return collect(rows, err, scanAlertBatchItem)
}

func scanAlertBatchItem(row scanner) (AlertBatchItem, error) {
	var it AlertBatchItem
	var cur string
	if err := row.Scan(&it.AccountID, &cur, &it.OldAmount, &it.NewAmount); err != nil {
		return it, err
	}
	var err error
	it.Currency, err = money.LookupCurrency(cur)
	return it, err
}

func auditAlertBatch(b AlertBatch) map[string]any {
	m := map[string]any{"scope": b.Scope, "alert_amount": b.AlertAmount, "matched": b.Matched, "changed": b.Changed}
	if b.Currency != "" {
		m["currency"] = b.Currency
	}
	if b.UndoneAt != nil {
		m["undone_at"] = b.UndoneAt.UTC()
	}
	return m
}
