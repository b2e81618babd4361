package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
)

// Four-eyes approvals (SPEC section 9). A change that needs a second person
// is written as a pending approval instead of being applied; approving it
// applies it under the rules as they stand then, in the same database
// transaction as the status change, so a change that no longer fits (an
// adjustment past the floor) rolls back whole and leaves it pending. The
// approval row is read FOR UPDATE (PostgreSQL; SQLite has one writer), so
// of concurrent decisions exactly one finds it pending.

const approvalCols = `id, kind, status, request, account_id, currency, amount, version, requested_by, requested_at,
	decided_by, decided_at, remark, transaction_id`

func scanApproval(row scanner) (ledger.Approval, error) {
	var a ledger.Approval
	var req string
	var decidedBy, decidedAt, txID sql.NullInt64
	var requested int64
	err := row.Scan(&a.ID, &a.Kind, &a.Status, &req, &a.AccountID, &a.Currency, &a.Amount, &a.Version, &a.RequestedBy, &requested,
		&decidedBy, &decidedAt, &a.Remark, &txID)
	if errors.Is(err, sql.ErrNoRows) {
		return a, ledger.ErrNotFound
	}
	a.Request, a.RequestedAt, a.DecidedAt = []byte(req), fromMicros(requested), fromNullMicros(decidedAt)
	a.DecidedBy, a.TransactionID = decidedBy.Int64, txID.Int64
	return a, err
}

// AdjustmentRequest is what an approval of kind adjustment applies: the
// adjustment as asked for, on the account it resolved to.
type AdjustmentRequest struct {
	AccountID int64            `json:"account_id"`
	Direction ledger.Direction `json:"direction"`
	Amount    int64            `json:"amount"`
	Reason    ledger.Reason    `json:"reason"`
	Note      string           `json:"note"`
	Corrects  int64            `json:"corrects,omitempty"`
	// Bonus credits promotional credit (SPEC 11), expiring at
	// BonusExpiresAt (nil: never).
	Bonus          bool       `json:"bonus,omitempty"`
	BonusExpiresAt *time.Time `json:"bonus_expires_at,omitempty"`
}

// CreditChangeRequest is what an approval of kind credit_change applies:
// the whole account change as asked for (a PATCH that changes credit waits
// with every field it gave). ClearExpiry removes the overdraft's expiry.
type CreditChangeRequest struct {
	AccountID          int64          `json:"account_id"`
	AlertAmount        *int64         `json:"alert_amount,omitempty"`
	CreditLimit        *int64         `json:"credit_limit,omitempty"`
	Overdraft          *int64         `json:"overdraft,omitempty"`
	OverdraftExpiresAt *time.Time     `json:"overdraft_expires_at,omitempty"`
	ClearExpiry        bool           `json:"clear_expiry,omitempty"`
	Status             *ledger.Status `json:"status,omitempty"`
}

func creditRequest(id int64, c AccountChange) CreditChangeRequest {
	r := CreditChangeRequest{AccountID: id, AlertAmount: c.AlertAmount, CreditLimit: c.CreditLimit, Overdraft: c.Overdraft, Status: c.Status}
	if c.OverdraftExpiresAt != nil {
		r.OverdraftExpiresAt, r.ClearExpiry = *c.OverdraftExpiresAt, *c.OverdraftExpiresAt == nil
	}
	return r
}

// change is the account change r asks for.
func (r CreditChangeRequest) change() AccountChange {
	c := AccountChange{AlertAmount: r.AlertAmount, CreditLimit: r.CreditLimit, Overdraft: r.Overdraft, Status: r.Status}
	if r.OverdraftExpiresAt != nil || r.ClearExpiry {
		at := r.OverdraftExpiresAt
		c.OverdraftExpiresAt = &at
	}
	return c
}

// ChangesCredit reports whether c changes a's credit: the credit limit, the
// overdraft or its expiry (what approve_credit_changes sends to approval).
// A field given with the value it has changes nothing: the console's form
// sends every field, and an edit of the alert amount alone must not wait.
func (c AccountChange) ChangesCredit(a ledger.Account) bool {
	return (c.CreditLimit != nil && *c.CreditLimit != a.CreditLimit) || (c.Overdraft != nil && *c.Overdraft != a.Overdraft) ||
		(c.OverdraftExpiresAt != nil && nullMicros(*c.OverdraftExpiresAt) != nullMicros(a.OverdraftExpiresAt))
}

// AdjustOutcome is what submitting an adjustment did: posted it, or queued
// it as an approval (Approval non-nil).
type AdjustOutcome struct {
	Posted   Posted
	Approval *ledger.Approval
	Replayed bool
}

// SubmitAdjustment posts r, or, when its amount is at or above its
// currency's threshold in the settings read in the same transaction,
// records it as a pending approval instead. Doors call this; Adjust is the
// bare posting. A repeat of r's Idempotency-Key answers what the first did.
func (s *Store) SubmitAdjustment(ctx context.Context, r ledger.Adjustment) (AdjustOutcome, error) {
	if err := r.Validate(); err != nil {
		return AdjustOutcome{}, err
	}
	var out AdjustOutcome
	var st *txState
	err := s.write(ctx, func(tx *txn) error {
		st, out = newTxState(tx, s.nowTime()), AdjustOutcome{}
		prev, err := s.claimKey(ctx, tx, r.Idem, r.Fingerprint(), st.now)
		if err != nil {
			return err
		}
		if prev.found {
			out.Replayed = true
			return s.replayAdjustment(ctx, tx, r.Idem, prev.txID, &out)
		}
		code := r.Target.Currency
		if r.Target.AccountID != 0 {
			if err := tx.QueryRowContext(ctx, "SELECT currency FROM accounts WHERE id = $1 AND customer_id IS NOT NULL", r.Target.AccountID).Scan(&code); errors.Is(err, sql.ErrNoRows) {
				return ledger.ErrNotFound
			} else if err != nil {
				return err
			}
		}
		settings, err := loadSettings(ctx, tx, "")
		if err != nil {
			return err
		}
		if !settings.NeedsApproval(code, r.Amount) {
			t, err := s.postIn(ctx, st, r.Actor, s.buildAdjust(r), r.Idem)
			if t != nil {
				out.Posted.Transaction = *t
			}
			return err
		}
		a, err := s.queueAdjustment(ctx, st, r)
		out.Approval = &a
		return err
	})
	if err != nil {
		return AdjustOutcome{}, err
	}
	s.remember(st)
	return out, nil
}

// replayAdjustment fills out with what the key's first request did.
func (s *Store) replayAdjustment(ctx context.Context, tx *txn, idem ledger.Idempotency, txID int64, out *AdjustOutcome) error {
	if txID != 0 {
		var err error
		out.Posted.Transaction, err = s.loadTransaction(ctx, tx, txID)
		return err
	}
	a, err := scanApproval(tx.QueryRowContext(ctx, "SELECT "+approvalCols+" FROM approvals WHERE idem_scope = $1 AND idem_key = $2", idem.Scope, idem.Key))
	out.Approval = &a
	return err
}

// queueAdjustment records r as a pending approval on the account it names
// (opened, for a customer and currency, as the posting would).
func (s *Store) queueAdjustment(ctx context.Context, st *txState, r ledger.Adjustment) (ledger.Approval, error) {
	acc, err := s.lockTarget(ctx, st.tx, r.Target, st.now, false)
	if err != nil {
		return ledger.Approval{}, err
	}
	req := AdjustmentRequest{AccountID: acc.ID, Direction: r.Direction, Amount: r.Amount, Reason: r.Reason, Note: r.Note, Corrects: r.Corrects,
		Bonus: r.Bonus, BonusExpiresAt: r.BonusExpiresAt}
	return s.insertApproval(ctx, st.tx, r.Actor, ledger.ApprovalAdjustment, acc, r.Amount, req, r.Idem)
}

func (s *Store) insertApproval(ctx context.Context, tx *txn, actor ledger.Actor, kind ledger.ApprovalKind, acc ledger.Account,
	amount int64, req any, idem ledger.Idempotency) (ledger.Approval, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return ledger.Approval{}, err
	}
	var scope, key sql.NullString
	if idem.Key != "" {
		scope, key = sql.NullString{String: idem.Scope, Valid: true}, sql.NullString{String: idem.Key, Valid: true}
	}
	a, err := scanApproval(tx.QueryRowContext(ctx, `INSERT INTO approvals (kind, request, account_id, currency, amount, requested_by, requested_at, idem_scope, idem_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING `+approvalCols,
		string(kind), string(b), acc.ID, acc.Currency.Code(), amount, actor.AdminID, micros(s.nowTime()), scope, key))
	if err != nil {
		return a, err
	}
	return a, s.audit(ctx, tx, actor, change{action: "approval.create", objectType: "approval", objectID: a.ID, after: auditApproval(a)})
}

// SubmitAccountChange applies c to account id, or, when c changes credit
// and approve_credit_changes is on (read in the same transaction), records
// the whole change as a pending approval instead (Approval non-nil). A
// version in c is checked against the account either way.
func (s *Store) SubmitAccountChange(ctx context.Context, actor ledger.Actor, id int64, c AccountChange) (ledger.Account, *ledger.Approval, error) {
	if err := c.validate(); err != nil {
		return ledger.Account{}, nil, err
	}
	var acc ledger.Account
	var queued *ledger.Approval
	err := s.write(ctx, func(tx *txn) error {
		queued = nil
		settings, err := loadSettings(ctx, tx, "")
		if err != nil {
			return err
		}
		if acc, err = scanAccount(tx.QueryRowContext(ctx, "SELECT "+accountCols+" FROM accounts WHERE id = $1 AND customer_id IS NOT NULL"+s.forUpdate, id)); err != nil {
			return err
		}
		if !settings.ApproveCreditChanges || !c.ChangesCredit(acc) {
			return s.changeAccount(ctx, actor, id, c, &acc)(tx)
		}
		if c.Version != nil && *c.Version != acc.Version {
			return ledger.ErrStaleVersion.With("the account's settings changed since you saw them; look at them again")
		}
		amount := acc.CreditLimit
		if c.CreditLimit != nil {
			amount = *c.CreditLimit
		}
		a, err := s.insertApproval(ctx, tx, actor, ledger.ApprovalCreditChange, acc, amount, creditRequest(id, c), ledger.Idempotency{})
		queued = &a
		return err
	})
	return acc, queued, err
}

// ApprovalResult is an approval after a decision, or a repeat of one.
type ApprovalResult struct {
	Approval ledger.Approval
	Replayed bool
}

// ApprovalDecision is a decision on a pending approval. Version is the
// version the decider saw; nil decides on whatever is current.
type ApprovalDecision struct {
	Version *int64
	Remark  string
}

func (d ApprovalDecision) fingerprint(id int64, what string) string {
	fp := "approval:" + strconv.FormatInt(id, 10) + ":" + what + ":" + d.Remark
	if d.Version != nil {
		fp += ":v" + strconv.FormatInt(*d.Version, 10)
	}
	return fp
}

// ApproveApproval applies a pending approval and marks it approved, in one
// transaction: a change that no longer fits the rules (insufficient_funds,
// a frozen account, …) is refused and the approval stays pending. Nobody
// approves what they requested (self_approval).
func (s *Store) ApproveApproval(ctx context.Context, actor ledger.Actor, id int64, d ApprovalDecision, idem ledger.Idempotency) (ApprovalResult, error) {
	if err := ledger.ValidRemark(d.Remark, false); err != nil {
		return ApprovalResult{}, err
	}
	return s.decideApproval(ctx, actor, id, idem, d.fingerprint(id, "approve"), func(ctx context.Context, st *txState, a ledger.Approval) error {
		if err := a.CheckDecision(actor, d.Version); err != nil {
			return err
		}
		txID, err := s.applyApproval(ctx, st, actor, a)
		if err != nil {
			return err
		}
		return s.closeApproval(ctx, st, actor, a, ledger.ApprovalApproved, d.Remark, txID, "approval.approve")
	})
}

// RejectApproval turns a pending approval down; the remark says why and is
// required. Nothing is applied.
func (s *Store) RejectApproval(ctx context.Context, actor ledger.Actor, id int64, d ApprovalDecision, idem ledger.Idempotency) (ApprovalResult, error) {
	if err := ledger.ValidRemark(d.Remark, true); err != nil {
		return ApprovalResult{}, err
	}
	return s.decideApproval(ctx, actor, id, idem, d.fingerprint(id, "reject"), func(ctx context.Context, st *txState, a ledger.Approval) error {
		if err := a.CheckDecision(actor, d.Version); err != nil {
			return err
		}
		return s.closeApproval(ctx, st, actor, a, ledger.ApprovalRejected, d.Remark, 0, "approval.reject")
	})
}

// CancelApproval withdraws a pending approval; only its requester may.
func (s *Store) CancelApproval(ctx context.Context, actor ledger.Actor, id int64, idem ledger.Idempotency) (ApprovalResult, error) {
	return s.decideApproval(ctx, actor, id, idem, "approval:"+strconv.FormatInt(id, 10)+":cancel", func(ctx context.Context, st *txState, a ledger.Approval) error {
		if err := a.CheckCancel(actor); err != nil {
			return err
		}
		return s.closeApproval(ctx, st, actor, a, ledger.ApprovalCancelled, "", 0, "approval.cancel")
	})
}

// decideApproval runs fn on approval id under its row lock and an
// idempotency key; the version and status are checked by fn under that
// lock, in the transaction that makes the change.
func (s *Store) decideApproval(ctx context.Context, actor ledger.Actor, id int64, idem ledger.Idempotency, fp string,
	fn func(ctx context.Context, st *txState, a ledger.Approval) error) (ApprovalResult, error) {
	var out ApprovalResult
	var st *txState
	err := s.write(ctx, func(tx *txn) error {
		st, out = newTxState(tx, s.nowTime()), ApprovalResult{}
		prev, err := s.claimKey(ctx, tx, idem, fp, st.now)
		if err != nil {
			return err
		}
		if !prev.found {
			a, err := scanApproval(tx.QueryRowContext(ctx, "SELECT "+approvalCols+" FROM approvals WHERE id = $1"+s.forUpdate, id))
			if err != nil {
				return err
			}
			if err := fn(ctx, st, a); err != nil {
				return err
			}
		}
		out.Replayed = prev.found
		out.Approval, err = scanApproval(tx.QueryRowContext(ctx, "SELECT "+approvalCols+" FROM approvals WHERE id = $1", id))
		if err != nil {
			return err
		}
		return s.settleKey(ctx, tx, idem, out.Approval.TransactionID, 0)
	})
	if err != nil {
		return ApprovalResult{}, err
	}
	s.remember(st)
	return out, nil
}

// applyApproval makes the change a asks for, as the approver, under the
// rules checked now; it returns the posting's id for an adjustment.
func (s *Store) applyApproval(ctx context.Context, st *txState, actor ledger.Actor, a ledger.Approval) (int64, error) {
	switch a.Kind {
	case ledger.ApprovalAdjustment:
		var req AdjustmentRequest
		if err := json.Unmarshal(a.Request, &req); err != nil {
			return 0, err
		}
		r := ledger.Adjustment{Target: ledger.Target{AccountID: req.AccountID}, Direction: req.Direction, Amount: req.Amount,
			Reason: req.Reason, Note: req.Note, Corrects: req.Corrects, Bonus: req.Bonus, BonusExpiresAt: req.BonusExpiresAt, Actor: actor}
		if err := r.Validate(); err != nil {
			return 0, err
		}
		t, err := s.postIn(ctx, st, actor, s.buildAdjust(r), ledger.Idempotency{})
		if err != nil {
			return 0, err
		}
		return t.ID, nil
	case ledger.ApprovalCreditChange:
		var req CreditChangeRequest
		if err := json.Unmarshal(a.Request, &req); err != nil {
			return 0, err
		}
		c := req.change()
		if err := c.validate(); err != nil {
			return 0, err
		}
		var acc ledger.Account
		return 0, s.changeAccount(ctx, actor, req.AccountID, c, &acc)(st.tx)
	}
	return 0, errors.New("store: unknown approval kind " + string(a.Kind))
}

// closeApproval records the decision on a, with its operation record.
func (s *Store) closeApproval(ctx context.Context, st *txState, actor ledger.Actor, a ledger.Approval, status ledger.ApprovalStatus,
	remark string, txID int64, action string) error {
	if _, err := st.tx.ExecContext(ctx, `UPDATE approvals SET status = $2, decided_by = $3, decided_at = $4, remark = $5,
		transaction_id = $6, version = version + 1 WHERE id = $1`, a.ID, string(status), actor.AdminID, micros(st.now), remark, nullID(txID)); err != nil {
		return err
	}
	after := a
	after.Status, after.DecidedBy, after.DecidedAt, after.Remark, after.TransactionID = status, actor.AdminID, &st.now, remark, txID
	after.Version++
	return s.audit(ctx, st.tx, actor, change{action: action, objectType: "approval", objectID: a.ID, before: auditApproval(a), after: auditApproval(after)})
}

// Approval returns one approval.
func (s *Store) Approval(ctx context.Context, id int64) (ledger.Approval, error) {
	return scanApproval(s.rdb.QueryRowContext(ctx, "SELECT "+approvalCols+" FROM approvals WHERE id = $1", id))
}

// ApprovalFilter selects approvals; BeforeID is the cursor.
type ApprovalFilter struct {
	Status    ledger.ApprovalStatus
	Kind      ledger.ApprovalKind
	AccountID int64
	BeforeID  int64
	Limit     int
}

// Approvals lists approvals, newest first.
func (s *Store) Approvals(ctx context.Context, f ApprovalFilter) ([]ledger.Approval, error) {
	w := where{}
	if f.Status != "" {
		w.add("status = ?", string(f.Status))
	}
	if f.Kind != "" {
		w.add("kind = ?", string(f.Kind))
	}
	if f.AccountID != 0 {
		w.add("account_id = ?", f.AccountID)
	}
	if f.BeforeID != 0 {
		w.add("id < ?", f.BeforeID)
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+approvalCols+" FROM approvals"+w.sql()+" ORDER BY id DESC LIMIT "+strconv.Itoa(f.Limit), w.args...)
	return collect(rows, err, scanApproval)
}

// auditApproval is an approval in operation records: amounts in the major
// unit, the request as it was asked for.
func auditApproval(a ledger.Approval) map[string]any {
	cur, _ := money.LookupCurrency(a.Currency)
	m := map[string]any{"kind": a.Kind, "status": a.Status, "account_id": a.AccountID, "currency": a.Currency,
		"amount": money.FormatMinor(a.Amount, cur.Digits()), "version": a.Version, "request": json.RawMessage(a.Request)}
	if a.Remark != "" {
		m["remark"] = a.Remark
	}
	if a.TransactionID != 0 {
		m["transaction_id"] = a.TransactionID
	}
	return m
}
