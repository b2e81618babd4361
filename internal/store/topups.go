package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
)

// Top-up requests: submitted by an administrator, reviewed by another,
// posted to the ledger only on approval, in the same database transaction
// as the status change.

const topupCols = `id, customer_id, account_id, currency, amount, payment_method_id, payment_account, transaction_no, remark,
	payment_status, paid_at, status, actual_amount, exchange_rate, review_remark, reviewed_by, reviewed_at, transaction_id,
	created_by, created_at, updated_at, version`

func scanTopUp(row interface{ Scan(...any) error }) (ledger.TopUpRequest, error) {
	var t ledger.TopUpRequest
	var paid, actual, reviewedBy, reviewedAt, txID sql.NullInt64
	var rate sql.NullString
	var created, updated int64
	err := row.Scan(&t.ID, &t.CustomerID, &t.AccountID, &t.Currency, &t.Amount, &t.PaymentMethodID, &t.PaymentAccount,
		&t.TransactionNo, &t.Remark, &t.PaymentStatus, &paid, &t.Status, &actual, &rate, &t.ReviewRemark, &reviewedBy,
		&reviewedAt, &txID, &t.CreatedBy, &created, &updated, &t.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return t, ledger.ErrNotFound
	}
	if actual.Valid {
		t.ActualAmount = &actual.Int64
	}
	t.PaidAt, t.ReviewedAt = fromNullMicros(paid), fromNullMicros(reviewedAt)
	t.ExchangeRate, t.ReviewedBy, t.TransactionID = rate.String, reviewedBy.Int64, txID.Int64
	t.CreatedAt, t.UpdatedAt = fromMicros(created), fromMicros(updated)
	return t, err
}

// TopUpResult is a top-up request after an operation on it.
type TopUpResult struct {
	TopUp    ledger.TopUpRequest
	Replayed bool // the idempotency key had already done this
}

// event writes an event for the webhooks, in the caller's transaction.
func (s *Store) event(ctx context.Context, tx *txn, typ string, payload any) error {
	args, err := s.eventArgs(typ, payload)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO events "+eventInsertCols+" VALUES ($1, $2, $3)", args...)
	return err
}

const eventInsertCols = "(type, payload, created_at)"

// eventArgs are the values of a new event, in the order of eventInsertCols.
func (s *Store) eventArgs(typ string, payload any) ([]any, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	return []any{typ, string(b), micros(s.nowTime())}, nil
}

// PaymentMethod is a way customers pay in: Alipay, a bank transfer, ….
type PaymentMethod struct {
	ID        int64
	Code      string
	Name      string
	Enabled   bool
	CreatedAt time.Time
}

func scanMethod(row interface{ Scan(...any) error }) (PaymentMethod, error) {
	var m PaymentMethod
	var created int64
	err := row.Scan(&m.ID, &m.Code, &m.Name, &m.Enabled, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return m, ledger.ErrNotFound
	}
	m.CreatedAt = fromMicros(created)
	return m, err
}

// PaymentMethods lists every payment method, disabled ones too.
func (s *Store) PaymentMethods(ctx context.Context) ([]PaymentMethod, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT id, code, name, enabled, created_at FROM payment_methods ORDER BY id")
	return collect(rows, err, scanMethod)
}

// AddPaymentMethod adds a payment method; its code is derived from nothing
// the user can change later, so funding accounts keep their names.
func (s *Store) AddPaymentMethod(ctx context.Context, actor ledger.Actor, name string, enabled bool) (PaymentMethod, error) {
	if err := validMethodName(name); err != nil {
		return PaymentMethod{}, err
	}
	var m PaymentMethod
	err := s.write(ctx, func(tx *txn) error {
		var n int64
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM payment_methods WHERE LOWER(name) = LOWER($1)", name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ledger.ErrAlreadyExists
		}
		var err error
		m, err = scanMethod(tx.QueryRowContext(ctx, `INSERT INTO payment_methods (code, name, enabled, created_at)
			VALUES ($1, $2, $3, $4) RETURNING id, code, name, enabled, created_at`,
			"m"+strconv.FormatInt(time.Now().UnixNano(), 36), name, enabled, micros(s.nowTime())))
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, change{action: "payment_method.create", objectType: "payment_method", objectID: m.ID,
			after: map[string]any{"name": m.Name, "enabled": m.Enabled}})
	})
	return m, err
}

func validMethodName(name string) error {
	if name == "" || len([]rune(name)) > 100 {
		return ledger.InvalidBecause("name", "name_length", "is required, at most 100 characters", 100)
	}
	return nil
}

// UpdatePaymentMethod renames, enables or disables a payment method.
// Requests that chose it before keep it.
func (s *Store) UpdatePaymentMethod(ctx context.Context, actor ledger.Actor, id int64, name *string, enabled *bool) (PaymentMethod, error) {
	if name != nil {
		if err := validMethodName(*name); err != nil {
			return PaymentMethod{}, err
		}
	}
	var m PaymentMethod
	err := s.write(ctx, func(tx *txn) error {
		before, err := scanMethod(tx.QueryRowContext(ctx, "SELECT id, code, name, enabled, created_at FROM payment_methods WHERE id = $1"+s.forUpdate, id))
		if err != nil {
			return err
		}
		after := before
		if name != nil {
			after.Name = *name
		}
		if enabled != nil {
			after.Enabled = *enabled
		}
		m, err = scanMethod(tx.QueryRowContext(ctx, "UPDATE payment_methods SET name = $2, enabled = $3 WHERE id = $1 RETURNING id, code, name, enabled, created_at",
			id, after.Name, after.Enabled))
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, change{action: "payment_method.update", objectType: "payment_method", objectID: id,
			before: map[string]any{"name": before.Name, "enabled": before.Enabled}, after: map[string]any{"name": m.Name, "enabled": m.Enabled}})
	})
	return m, err
}

// NewTopUp is a top-up request to submit.
type NewTopUp struct {
	CustomerID int64
	Currency   string
	ledger.TopUpFields
	// Direct asks to post at once, approved by the submitter: allowed to a
	// super admin while the direct_topup setting is on.
	Direct bool
}

func (n NewTopUp) fingerprint() string {
	b, _ := json.Marshal(n)
	h := sha256.Sum256(append([]byte("topup-request:"), b...))
	return hex.EncodeToString(h[:])
}

// SubmitTopUp records a top-up request; the customer's account in the
// currency is opened if needed, but its balance does not change until the
// request is approved.
func (s *Store) SubmitTopUp(ctx context.Context, actor ledger.Actor, n NewTopUp, idem ledger.Idempotency) (TopUpResult, error) {
	if err := n.validate(s.nowTime()); err != nil {
		return TopUpResult{}, err
	}
	var out TopUpResult
	var st *txState
	err := s.grouped(ctx, func(ctx context.Context, tx *txn) error {
		now := s.nowTime()
		st = newTxState(tx, now)
		out = TopUpResult{}
		prev, err := s.claimKey(ctx, tx, idem, n.fingerprint(), now)
		if err != nil {
			return err
		}
		if prev.found {
			out.TopUp, err = s.loadTopUp(ctx, tx, prev.topupID, "")
			out.Replayed = true
			return err
		}
		if err := s.checkMethod(ctx, tx, n.PaymentMethodID, true); err != nil {
			return err
		}
		if n.Direct {
			if err := directAllowed(ctx, tx, actor); err != nil {
				return err
			}
		}
		t, err := s.insertTopUp(ctx, tx, actor, n, now)
		if err != nil {
			return err
		}
		if n.Direct {
			if t, err = s.review(ctx, st, actor, t, true, &n.Amount, "1", "direct top-up", true); err != nil {
				return err
			}
		}
		out.TopUp = t
		return s.settleKey(ctx, tx, idem, t.TransactionID, t.ID)
	})
	if err != nil {
		return TopUpResult{}, err
	}
	s.remember(st)
	return out, nil
}

// validate checks what a new request needs no database for.
func (n NewTopUp) validate(now time.Time) error {
	var p []ledger.FieldProblem
	if err := n.TopUpFields.Validate(now); err != nil {
		p = append(p, err.(*ledger.ValidationError).Problems...)
	}
	if n.CustomerID == 0 {
		p = append(p, ledger.FieldProblem{Field: "customer_id", Message: "is required", Reason: "required"})
	}
	if _, err := money.LookupCurrency(n.Currency); err != nil {
		p = append(p, ledger.FieldProblem{Field: "currency", Message: err.Error(), Reason: "unknown_currency"})
	}
	if p != nil {
		return &ledger.ValidationError{Problems: p}
	}
	return nil
}

// directAllowed reads the settings in the transaction that posts, so that a
// direct top-up cannot slip past the setting being turned off.
func directAllowed(ctx context.Context, tx *txn, actor ledger.Actor) error {
	settings, err := loadSettings(ctx, tx, "")
	if err != nil {
		return err
	}
	return ledger.CheckDirectTopUp(settings, actor)
}

// insertTopUp records a new pending request on the customer's account in
// its currency (opened if need be), with its event and operation record.
func (s *Store) insertTopUp(ctx context.Context, tx *txn, actor ledger.Actor, n NewTopUp, now time.Time) (ledger.TopUpRequest, error) {
	acc, err := s.lockTarget(ctx, tx, ledger.Target{CustomerID: n.CustomerID, Currency: n.Currency}, now, false)
	if err != nil {
		return ledger.TopUpRequest{}, err
	}
	if acc.Status == ledger.StatusDisabled {
		return ledger.TopUpRequest{}, ledger.ErrAccountDisabled
	}
	t, err := scanTopUp(tx.QueryRowContext(ctx, `INSERT INTO topups (customer_id, account_id, currency, amount, payment_method_id,
		payment_account, transaction_no, remark, payment_status, paid_at, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING `+topupCols,
		n.CustomerID, acc.ID, n.Currency, n.Amount, n.PaymentMethodID, n.PaymentAccount, n.TransactionNo, n.Remark,
		n.PaymentStatus, nullMicros(n.PaidAt), actor.AdminID, micros(now)))
	if err != nil {
		return t, err
	}
	if err := s.event(ctx, tx, "topup.submitted", topupEvent(t)); err != nil {
		return t, err
	}
	return t, s.audit(ctx, tx, actor, change{action: "topup.create", objectType: "topup", objectID: t.ID, after: auditTopUp(t)})
}

func (s *Store) checkMethod(ctx context.Context, tx *txn, id int64, mustBeEnabled bool) error {
	m, err := scanMethod(tx.QueryRowContext(ctx, "SELECT id, code, name, enabled, created_at FROM payment_methods WHERE id = $1", id))
	if errors.Is(err, ledger.ErrNotFound) {
		return ledger.InvalidBecause("payment_method", "no_such", "no such payment method")
	}
	if err != nil {
		return err
	}
	if mustBeEnabled && !m.Enabled {
		return ledger.InvalidBecause("payment_method", "method_disabled", "is disabled; choose another")
	}
	return nil
}

// UpdateTopUp lets the submitter correct a pending request.
func (s *Store) UpdateTopUp(ctx context.Context, actor ledger.Actor, id int64, edit func(*ledger.TopUpFields)) (ledger.TopUpRequest, error) {
	var out ledger.TopUpRequest
	err := s.write(ctx, func(tx *txn) error {
		before, err := s.lockOwnPending(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		f := fieldsOf(before)
		edit(&f)
		if err := f.Validate(s.nowTime()); err != nil {
			return err
		}
		if f.PaymentMethodID != before.PaymentMethodID {
			if err := s.checkMethod(ctx, tx, f.PaymentMethodID, true); err != nil {
				return err
			}
		}
		// A correction that changes nothing leaves the version alone, so that
		// it does not send a reviewer back for nothing.
		version := before.Version
		if !sameTopUpFields(f, fieldsOf(before)) {
			version++
		}
		if _, err := tx.ExecContext(ctx, `UPDATE topups SET amount = $2, payment_method_id = $3, payment_account = $4, transaction_no = $5,
			remark = $6, payment_status = $7, paid_at = $8, updated_at = $9, version = $10 WHERE id = $1`,
			id, f.Amount, f.PaymentMethodID, f.PaymentAccount, f.TransactionNo, f.Remark, f.PaymentStatus, nullMicros(f.PaidAt), micros(s.nowTime()), version); err != nil {
			return err
		}
		if out, err = s.loadTopUp(ctx, tx, id, ""); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, change{action: "topup.update", objectType: "topup", objectID: id, before: auditTopUp(before), after: auditTopUp(out)})
	})
	return out, err
}

// lockOwnPending reads a request under its row lock for a change that only
// its submitter may make, and only while it is pending.
func (s *Store) lockOwnPending(ctx context.Context, tx *txn, actor ledger.Actor, id int64) (ledger.TopUpRequest, error) {
	t, err := s.loadTopUp(ctx, tx, id, s.forUpdate)
	if err != nil {
		return t, err
	}
	return t, t.CheckEdit(actor)
}

// fieldsOf returns what the submitter filled in on t.
func fieldsOf(t ledger.TopUpRequest) ledger.TopUpFields {
	return ledger.TopUpFields{Amount: t.Amount, PaymentMethodID: t.PaymentMethodID, PaymentAccount: t.PaymentAccount,
		TransactionNo: t.TransactionNo, Remark: t.Remark, PaymentStatus: t.PaymentStatus, PaidAt: t.PaidAt}
}

// sameTopUpFields reports whether a and b say the same; paid-at times are
// compared as stored, to the microsecond.
func sameTopUpFields(a, b ledger.TopUpFields) bool {
	pa, pb := nullMicros(a.PaidAt), nullMicros(b.PaidAt)
	a.PaidAt, b.PaidAt = nil, nil
	return a == b && pa == pb
}

// CancelTopUp withdraws a pending request; only its submitter may.
func (s *Store) CancelTopUp(ctx context.Context, actor ledger.Actor, id int64, idem ledger.Idempotency) (TopUpResult, error) {
	return s.decide(ctx, actor, id, nil, idem, "cancel", func(ctx context.Context, st *txState, t ledger.TopUpRequest) (ledger.TopUpRequest, error) {
		if err := t.CheckEdit(actor); err != nil {
			return t, err
		}
		if _, err := st.tx.ExecContext(ctx, "UPDATE topups SET status = 'cancelled', updated_at = $2, version = version + 1 WHERE id = $1", id, micros(st.now)); err != nil {
			return t, err
		}
		after := t
		after.Status = ledger.TopUpCancelled
		after.Version++
		return after, s.audit(ctx, st.tx, actor, change{action: "topup.cancel", objectType: "topup", objectID: id, before: auditTopUp(t), after: auditTopUp(after)})
	})
}

// TopUpDecision is a reviewer's decision on a pending request.
type TopUpDecision struct {
	Approve bool
	// Version is the version of the request the reviewer saw; nil decides
	// on whatever is current. When it is not current the decision is
	// ledger.ErrStaleVersion and nothing changes (SPEC section 7).
	Version *int64
	// ActualAmount is what to post on approval; nil posts the request's
	// amount (the amount of Version, when given).
	ActualAmount *int64
	ExchangeRate string // on approval; default "1"
	Remark       string
}

// ApproveTopUp approves a pending request, whatever its version, and posts
// actual (default: the requested amount); see ReviewTopUp.
func (s *Store) ApproveTopUp(ctx context.Context, actor ledger.Actor, id int64, actual *int64, rate, remark string, idem ledger.Idempotency) (TopUpResult, error) {
	return s.ReviewTopUp(ctx, actor, id, TopUpDecision{Approve: true, ActualAmount: actual, ExchangeRate: rate, Remark: remark}, idem)
}

// RejectTopUp turns a pending request down, whatever its version; nothing
// is posted.
func (s *Store) RejectTopUp(ctx context.Context, actor ledger.Actor, id int64, remark string, idem ledger.Idempotency) (TopUpResult, error) {
	return s.ReviewTopUp(ctx, actor, id, TopUpDecision{Remark: remark}, idem)
}

// ReviewTopUp records a reviewer's decision on a pending request. Approving
// posts to the account in the same database transaction as the status
// change: two reviewers approving at once post once, and the second is told
// the request is no longer pending.
func (s *Store) ReviewTopUp(ctx context.Context, actor ledger.Actor, id int64, d TopUpDecision, idem ledger.Idempotency) (TopUpResult, error) {
	fp, err := d.check()
	if err != nil {
		return TopUpResult{}, err
	}
	return s.decide(ctx, actor, id, d.Version, idem, fp, func(ctx context.Context, st *txState, t ledger.TopUpRequest) (ledger.TopUpRequest, error) {
		if !d.Approve {
			return s.review(ctx, st, actor, t, false, nil, "", d.Remark, false)
		}
		return s.review(ctx, st, actor, t, true, d.ActualAmount, d.ExchangeRate, d.Remark, false)
	})
}

// check validates the decision, fills in the default exchange rate, and
// returns its idempotency fingerprint. Without a version the fingerprint is
// what it was before versions, so that keys given then still replay.
func (d *TopUpDecision) check() (string, error) {
	if len([]rune(d.Remark)) > 1000 {
		return "", ledger.InvalidBecause("remark", "too_long", "is longer than 1000 characters", 1000)
	}
	fp := "reject:" + d.Remark
	if d.Approve {
		if d.ExchangeRate == "" {
			d.ExchangeRate = "1"
		}
		if err := ledger.ValidExchangeRate(d.ExchangeRate); err != nil {
			return "", err
		}
		if d.ActualAmount != nil && *d.ActualAmount <= 0 {
			return "", ledger.InvalidBecause("actual_amount", "not_positive", "must be greater than zero")
		}
		fp = "approve:" + d.ExchangeRate + ":" + d.Remark
		if d.ActualAmount != nil {
			fp += ":" + strconv.FormatInt(*d.ActualAmount, 10)
		}
	}
	if d.Version != nil {
		fp += ":v" + strconv.FormatInt(*d.Version, 10)
	}
	return fp, nil
}

// decide runs a state change of a pending request under its row lock and
// an idempotency key. The version is compared under that lock, in the
// transaction that makes the change, so that a correction committed between
// the check and the posting is impossible: it either commits before the
// lock is taken (and the version no longer matches) or waits for the
// decision (and then finds the request no longer pending).
func (s *Store) decide(ctx context.Context, actor ledger.Actor, id int64, version *int64, idem ledger.Idempotency, what string,
	fn func(ctx context.Context, st *txState, t ledger.TopUpRequest) (ledger.TopUpRequest, error)) (TopUpResult, error) {
	var out TopUpResult
	var st *txState
	err := s.grouped(ctx, func(ctx context.Context, tx *txn) error {
		st = newTxState(tx, s.nowTime())
		out = TopUpResult{}
		prev, err := s.claimKey(ctx, tx, idem, "topup:"+strconv.FormatInt(id, 10)+":"+what, st.now)
		if err != nil {
			return err
		}
		if prev.found {
			out.TopUp, err = s.loadTopUp(ctx, tx, prev.topupID, "")
			out.Replayed = true
			return err
		}
		t, err := s.loadTopUp(ctx, tx, id, s.forUpdate)
		if err != nil {
			return err
		}
		if err := t.CheckDecision(version); err != nil {
			return err
		}
		if _, err := fn(ctx, st, t); err != nil {
			return err
		}
		if out.TopUp, err = s.loadTopUp(ctx, tx, id, ""); err != nil {
			return err
		}
		return s.settleKey(ctx, tx, idem, out.TopUp.TransactionID, id)
	})
	if err != nil {
		return TopUpResult{}, err
	}
	s.remember(st)
	return out, nil
}

// review records a reviewer's decision on a pending request t; approving
// posts the top-up. Nobody reviews a request they submitted; a direct
// top-up (checked by the caller) is a super admin's own, approved at once.
func (s *Store) review(ctx context.Context, st *txState, actor ledger.Actor, t ledger.TopUpRequest, approve bool, actual *int64, rate, remark string, direct bool) (ledger.TopUpRequest, error) {
	if err := t.CheckReviewer(actor, direct); err != nil {
		return t, err
	}
	status, event, action := ledger.TopUpRejected, "topup.rejected", "topup.reject"
	var txID sql.NullInt64
	var actualAmount sql.NullInt64
	var exRate sql.NullString
	var posting *ledger.Transaction
	if approve {
		status, event, action = ledger.TopUpApproved, "topup.approved", "topup.approve"
		amount := t.Amount
		if actual != nil {
			amount = *actual
		}
		var code string
		if err := st.tx.QueryRowContext(ctx, "SELECT code FROM payment_methods WHERE id = $1", t.PaymentMethodID).Scan(&code); err != nil {
			return t, err
		}
		posted, err := s.postIn(ctx, st, actor, s.buildTopUp(ledger.TopUp{Target: ledger.Target{AccountID: t.AccountID}, Amount: amount,
			PaymentMethod: code, TopUpID: t.ID, Note: "top-up " + t.Number(), Actor: actor}), ledger.Idempotency{})
		if err != nil {
			return t, err
		}
		if err := s.topUpBonus(ctx, st, actor, posted, t.ID); err != nil {
			return t, err
		}
		txID, posting = sql.NullInt64{Int64: posted.ID, Valid: true}, posted
		actualAmount = sql.NullInt64{Int64: amount, Valid: true}
		exRate = sql.NullString{String: rate, Valid: true}
	}
	if _, err := st.tx.ExecContext(ctx, `UPDATE topups SET status = $2, actual_amount = $3, exchange_rate = $4, review_remark = $5,
		reviewed_by = $6, reviewed_at = $7, transaction_id = $8, updated_at = $7, version = version + 1 WHERE id = $1`,
		t.ID, string(status), actualAmount, exRate, remark, actor.AdminID, micros(st.now), txID); err != nil {
		return t, err
	}
	after, err := s.loadTopUp(ctx, st.tx, t.ID, "")
	if err != nil {
		return t, err
	}
	if err := s.event(ctx, st.tx, event, topupEvent(after)); err != nil {
		return t, err
	}
	if err := s.notifyTopUp(ctx, st.tx, after, posting); err != nil {
		return t, err
	}
	return after, s.audit(ctx, st.tx, actor, change{action: action, objectType: "topup", objectID: t.ID, before: auditTopUp(t), after: auditTopUp(after)})
}

func (s *Store) loadTopUp(ctx context.Context, tx *txn, id int64, lock string) (ledger.TopUpRequest, error) {
	t, err := scanTopUp(tx.QueryRowContext(ctx, "SELECT "+topupCols+" FROM topups WHERE id = $1"+lock, id))
	if err != nil {
		return t, err
	}
	t.Vouchers, err = s.vouchersOf(ctx, tx, []int64{id})
	return t, err
}

func (s *Store) vouchersOf(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, ids []int64) ([]ledger.Voucher, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var args sqlArgs
	in := args.list(anys(ids)...)
	rows, err := q.QueryContext(ctx, "SELECT id, topup_id, content_type, size, sha256, created_at FROM vouchers WHERE topup_id IN ("+in+") ORDER BY id", args...)
	return collect(rows, err, scanVoucher)
}

func scanVoucher(row scanner) (ledger.Voucher, error) {
	var v ledger.Voucher
	var created int64
	err := row.Scan(&v.ID, &v.TopUpID, &v.ContentType, &v.Size, &v.SHA256, &created)
	v.CreatedAt = fromMicros(created)
	return v, err
}

// withVouchers gives each request its vouchers, read in one query.
func (s *Store) withVouchers(ctx context.Context, tx *txn, ts []ledger.TopUpRequest) error {
	byID := make(map[int64]int, len(ts))
	ids := make([]int64, len(ts))
	for i, t := range ts {
		byID[t.ID], ids[i] = i, t.ID
	}
	vs, err := s.vouchersOf(ctx, tx, ids)
	for _, v := range vs {
		i := byID[v.TopUpID]
		ts[i].Vouchers = append(ts[i].Vouchers, v)
	}
	return err
}

// TopUpRequest returns one request with its vouchers.
func (s *Store) TopUpRequest(ctx context.Context, id int64) (ledger.TopUpRequest, error) {
	var t ledger.TopUpRequest
	err := s.read(ctx, func(tx *txn) error {
		var err error
		t, err = s.loadTopUp(ctx, tx, id, "")
		return err
	})
	return t, err
}

// TopUpFilter selects top-up requests; To is exclusive.
type TopUpFilter struct {
	Status          ledger.TopUpStatus
	PaymentMethodID int64
	CustomerID      int64
	AccountID       int64
	From, To        *time.Time
	BeforeID        int64
	Limit           int
}

// TopUpRequests lists requests, newest first, with their vouchers.
func (s *Store) TopUpRequests(ctx context.Context, f TopUpFilter) ([]ledger.TopUpRequest, error) {
	var out []ledger.TopUpRequest
	err := s.read(ctx, func(tx *txn) error {
		w := where{}
		if f.Status != "" {
			w.add("status = ?", string(f.Status))
		}
		if f.PaymentMethodID != 0 {
			w.add("payment_method_id = ?", f.PaymentMethodID)
		}
		if f.CustomerID != 0 {
			w.add("customer_id = ?", f.CustomerID)
		}
		if f.AccountID != 0 {
			w.add("account_id = ?", f.AccountID)
		}
		if f.From != nil {
			w.add("created_at >= ?", micros(*f.From))
		}
		if f.To != nil {
			w.add("created_at < ?", micros(*f.To))
		}
		if f.BeforeID != 0 {
			w.add("id < ?", f.BeforeID)
		}
		rows, err := tx.QueryContext(ctx, "SELECT "+topupCols+" FROM topups"+w.sql()+" ORDER BY id DESC LIMIT "+strconv.Itoa(f.Limit), w.args...)
		if out, err = collect(rows, err, scanTopUp); err != nil {
			return err
		}
		return s.withVouchers(ctx, tx, out)
	})
	return out, err
}

// AddVoucher stores a voucher image, already checked to be a PNG or JPEG,
// on a pending request of the caller's.
func (s *Store) AddVoucher(ctx context.Context, actor ledger.Actor, topupID int64, contentType string, data []byte) (ledger.Voucher, error) {
	var v ledger.Voucher
	err := s.write(ctx, func(tx *txn) error {
		t, err := s.lockOwnPending(ctx, tx, actor, topupID)
		if err != nil {
			return err
		}
		if err := ledger.CheckVoucherCount(len(t.Vouchers)); err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		v = ledger.Voucher{TopUpID: topupID, ContentType: contentType, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), CreatedAt: s.nowTime()}
		if err := tx.QueryRowContext(ctx, `INSERT INTO vouchers (topup_id, content_type, size, sha256, data, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, topupID, contentType, v.Size, v.SHA256, data, actor.AdminID, micros(v.CreatedAt)).Scan(&v.ID); err != nil {
			return err
		}
		// A voucher is part of what the reviewer judges: it makes a new version.
		if _, err := tx.ExecContext(ctx, "UPDATE topups SET version = version + 1, updated_at = $2 WHERE id = $1", topupID, micros(v.CreatedAt)); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, change{action: "voucher.create", objectType: "topup", objectID: topupID,
			after: map[string]any{"voucher_id": v.ID, "content_type": contentType, "size": v.Size, "sha256": v.SHA256, "version": t.Version + 1}})
	})
	return v, err
}

// VoucherData returns a voucher's stored type and bytes.
func (s *Store) VoucherData(ctx context.Context, id int64) (contentType string, data []byte, err error) {
	err = s.rdb.QueryRowContext(ctx, "SELECT content_type, data FROM vouchers WHERE id = $1", id).Scan(&contentType, &data)
	if errors.Is(err, sql.ErrNoRows) {
		err = ledger.ErrNotFound
	}
	return contentType, data, err
}

func auditTopUp(t ledger.TopUpRequest) map[string]any {
	cur, _ := money.LookupCurrency(t.Currency)
	m := map[string]any{"number": t.Number(), "account_id": t.AccountID, "currency": t.Currency, "amount": money.FormatMinor(t.Amount, cur.Digits()),
		"payment_method_id": t.PaymentMethodID, "payment_account": t.PaymentAccount, "transaction_no": t.TransactionNo,
		"remark": t.Remark, "payment_status": t.PaymentStatus, "status": t.Status,
		"version": t.Version} // so that a request's history says which version each step made
	if t.ActualAmount != nil {
		m["actual_amount"] = money.FormatMinor(*t.ActualAmount, cur.Digits())
		m["exchange_rate"] = t.ExchangeRate
	}
	if t.ReviewRemark != "" {
		m["review_remark"] = t.ReviewRemark
	}
	return m
}

// topupEvent is what webhooks receive: ids are opaque strings, as in the API.
// notifyTopUp queues the customer's notice of a decision on top-up t:
// approved with posting (its credit and the new balance), or rejected with
// the reviewer's remark.
func (s *Store) notifyTopUp(ctx context.Context, tx *txn, t ledger.TopUpRequest, posting *ledger.Transaction) error {
	kind, m := ledger.NotifyTopUpRejected, map[string]any{}
	if posting != nil {
		kind, m = ledger.NotifyTopUpApproved, postingNotice(posting)
	} else {
		cur, err := money.LookupCurrency(t.Currency)
		if err != nil {
			return err
		}
		m["currency"], m["amount"], m["at"] = t.Currency, money.FormatMinor(t.Amount, cur.Digits()), s.nowTime().UTC()
	}
	m["topup_id"], m["reference"], m["note"] = strconv.FormatInt(t.ID, 10), t.Number(), t.ReviewRemark
	return s.notify(ctx, tx, t.AccountID, kind, m)
}

func topupEvent(t ledger.TopUpRequest) map[string]any {
	m := auditTopUp(t)
	for k, v := range map[string]int64{"id": t.ID, "customer_id": t.CustomerID, "account_id": t.AccountID, "payment_method_id": t.PaymentMethodID} {
		m[k] = strconv.FormatInt(v, 10)
	}
	return m
}
