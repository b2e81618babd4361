package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/store"
)

// Postings: charges, adjustments and reversals, and the transactions they
// write. Top-ups are posted when they are approved (topups.go).

// EntryLineJSON is one entry of a transaction: an account and what it
// gained (positive) or gave (negative).
type EntryLineJSON struct {
	AccountID    string  `json:"account_id" example:"7"`
	Amount       string  `json:"amount" example:"12.50"`
	BalanceAfter *string `json:"balance_after" doc:"For the customer account; null for system accounts." example:"107.50"`
	Part         string  `json:"part" enum:"principal,bonus" doc:"On the customer account, which part of the balance the entry moves (SPEC 11); principal on system accounts."`
}

// TransactionJSON is a ledger transaction: its entries sum to zero, one of
// them on the customer account.
type TransactionJSON struct {
	ID        string          `json:"id" example:"42"`
	Type      string          `json:"type" enum:"topup,charge,adjustment,reversal,bonus,bonus_expired" doc:"bonus: a top-up's bonus (topup_id names it); bonus_expired: what was left of a bonus lot at its expiry."`
	AccountID string          `json:"account_id" example:"7"`
	Currency  string          `json:"currency" example:"CNY"`
	Amount    string          `json:"amount" doc:"Signed effect on the customer account." example:"12.50"`
	Reference string          `json:"reference" example:"INV-2026-0042"`
	Note      string          `json:"note" example:"SMS batch of 2026-12-01"`
	Reason    string          `json:"reason"`
	Corrects  *string         `json:"corrects" doc:"The transaction this one reverses or corrects." example:"1023"`
	TopUpID   *string         `json:"topup_id" example:"88"`
	HoldID    *string         `json:"hold_id" doc:"The hold a charge captured."`
	CreatedBy *string         `json:"created_by" example:"2"`
	CreatedAt time.Time       `json:"created_at"`
	Entries   []EntryLineJSON `json:"entries"`
}

func transactionJSON(t ledger.Transaction) TransactionJSON {
	j := TransactionJSON{ID: idString(t.ID), Type: string(t.Type), AccountID: idString(t.AccountID), Currency: t.Currency.Code(),
		Amount: fmtAmount(t.Amount, t.Currency), Reference: t.Reference, Note: t.Note, Reason: string(t.Reason),
		Corrects: optID(t.Corrects), TopUpID: optID(t.TopUpID), HoldID: optID(t.HoldID), CreatedBy: optID(t.CreatedBy), CreatedAt: utc(t.CreatedAt)}
	for _, e := range t.Entries {
		l := EntryLineJSON{AccountID: idString(e.AccountID), Amount: fmtAmount(e.Amount, t.Currency), Part: string(e.Part)}
		if e.BalanceAfter != nil {
			s := fmtAmount(*e.BalanceAfter, t.Currency)
			l.BalanceAfter = &s
		}
		j.Entries = append(j.Entries, l)
	}
	return j
}

// PostedOutput is the transaction a posting wrote, or the one a repeat of
// its Idempotency-Key replays.
type PostedOutput struct {
	Status   int
	Replayed string `header:"Idempotent-Replayed" doc:"true when this answer repeats the first one for the Idempotency-Key."`
	Body     TransactionJSON
}

// ChargeInput is consumption to debit from an account.
type ChargeInput struct {
	IdempotencyHeader
	Body struct {
		AccountID string `json:"account_id" example:"7"`
		Amount    string `json:"amount" doc:"Decimal string in the major unit, e.g. \"12.50\"; more decimals than the currency has are refused." example:"12.50"`
		Reference string `json:"reference,omitempty" doc:"Order, invoice or message batch." example:"INV-2026-0042"`
		Note      string `json:"note,omitempty" example:"SMS batch of 2026-12-01"`
	}
}

// AdjustmentInput is a correction of a balance by hand, with its reason.
type AdjustmentInput struct {
	IdempotencyHeader
	Body struct {
		AccountID  string `json:"account_id,omitempty" doc:"The account; or give customer_id and currency, which opens the account if needed." example:"7"`
		CustomerID string `json:"customer_id,omitempty" example:"3"`
		Currency   string `json:"currency,omitempty" example:"CNY"`
		Direction  string `json:"direction" enum:"credit,debit"`
		Amount     string `json:"amount" example:"12.50"`
		Reason     string `json:"reason" enum:"refund,promotion,compensation,correction,other"`
		Note       string `json:"note" doc:"Why: required." example:"SMS batch of 2026-12-01"`
		Corrects   string `json:"corrects,omitempty" doc:"The transaction this adjustment corrects." example:"1023"`
		Bonus      bool   `json:"bonus,omitempty" doc:"A credit with reason promotion only: credit it as bonus (SPEC 11), in a lot of its own, instead of principal."`
		// A pointer: an absent expiry is "never", and huma reads an RFC 3339 time.
		BonusExpiresAt *time.Time `json:"bonus_expires_at,omitempty" doc:"With bonus: when the bonus runs out (in the future); absent, it never does."`
	}
}

// ReverseInput names the transaction to reverse.
type ReverseInput struct {
	IdempotencyHeader
	ID   string `path:"id"`
	Body struct {
		Note string `json:"note,omitempty" example:"SMS batch of 2026-12-01"`
	}
}

// TransactionIDInput names one transaction.
type TransactionIDInput struct {
	ID string `path:"id"`
}

// TransactionOutput is one transaction with its entries.
type TransactionOutput struct{ Body TransactionJSON }

// ListTransactionsInput finds transactions; its filters combine.
type ListTransactionsInput struct {
	Page
	AccountID  string `query:"account_id"`
	CustomerID string `query:"customer_id"`
	Type       string `query:"type" enum:"topup,charge,adjustment,reversal,bonus,bonus_expired,"`
	From       string `query:"from" doc:"Date (business time zone) or RFC 3339 time."`
	To         string `query:"to" doc:"Date (inclusive) or RFC 3339 time."`
}

// TransactionsOutput is a page of transactions, newest first.
type TransactionsOutput struct{ Body List[TransactionJSON] }

func (a *API) registerPostings() {
	tags := []string{"postings"}
	register(a, huma.Operation{OperationID: "post-charge", Method: http.MethodPost, Path: "/charges", Tags: tags,
		Summary: "Post consumption: debit an account", Errors: []int{404, 409, 422}}, auth.ActOperate, a.postCharge)
	register(a, a.orApproval(huma.Operation{OperationID: "post-adjustment", Method: http.MethodPost, Path: "/adjustments", Tags: tags,
		Summary: "Adjust a balance by hand, with a reason and a note",
		Description: "At or above its currency's threshold (setting approval_thresholds) nothing is posted: the answer is 202 with an approval " +
			"that a super admin or reviewer other than the requester approves (see /approvals).",
		Errors: []int{404, 409, 422}}, http.StatusCreated, TransactionJSON{}), auth.ActOperate, a.postAdjustment)
	register(a, huma.Operation{OperationID: "reverse-transaction", Method: http.MethodPost, Path: "/transactions/{id}/reverse", Tags: tags,
		Summary: "Undo a transaction with a new one", Description: "A transaction is reversed at most once (already_reversed).",
		Errors: []int{404, 409, 422}}, auth.ActOperate, a.reverseTransaction)
	register(a, huma.Operation{OperationID: "list-transactions", Method: http.MethodGet, Path: "/transactions", Tags: tags,
		Summary: "Find transactions, newest first"}, auth.ActView, a.listTransactions)
	register(a, huma.Operation{OperationID: "get-transaction", Method: http.MethodGet, Path: "/transactions/{id}", Tags: tags,
		Summary: "One transaction with its entries"}, auth.ActView, a.getTransaction)
}

func (a *API) postCharge(ctx context.Context, in *ChargeInput) (*PostedOutput, error) {
	c := callerOf(ctx)
	id, err := parseOptID(in.Body.AccountID, "account_id")
	if err != nil {
		return nil, err
	}
	cur, err := a.postingCurrency(ctx, id)
	if err != nil {
		return nil, err
	}
	amount, err := positiveAmount("amount", in.Body.Amount, cur)
	if err != nil {
		return nil, err
	}
	req := ledger.Charge{AccountID: id, Amount: amount, Reference: in.Body.Reference, Note: in.Body.Note, Actor: c.actor(),
		Idem: c.idempotency(in.Key)}
	return a.posted(req.Idem, func() (store.Posted, error) { return a.store.Charge(ctx, req) })
}

func (a *API) postAdjustment(ctx context.Context, in *AdjustmentInput) (*AdjustmentOutput, error) {
	req, err := a.adjustment(ctx, in)
	if err != nil {
		return nil, err
	}
	var queued *ledger.Approval
	var replayed bool
	p, err := a.posted(req.Idem, func() (store.Posted, error) {
		out, err := a.store.SubmitAdjustment(ctx, req)
		queued, replayed = out.Approval, out.Replayed
		if queued != nil {
			// Nothing was posted: the approval is the answer (SPEC 9).
			return store.Posted{Replayed: true}, err
		}
		return store.Posted{Transaction: out.Posted.Transaction, Replayed: out.Replayed}, err
	})
	if err != nil {
		return nil, err
	}
	if queued != nil {
		out := &AdjustmentOutput{Status: http.StatusAccepted, Body: approvalJSON(*queued)}
		if replayed {
			out.Replayed = "true"
		}
		return out, nil
	}
	return &AdjustmentOutput{Status: p.Status, Replayed: p.Replayed, Body: p.Body}, nil
}

// AdjustmentOutput is the posted transaction (201), or the approval the
// adjustment waits as (202) when its amount is at or above its currency's
// threshold (setting approval_thresholds).
type AdjustmentOutput struct {
	Status   int
	Replayed string `header:"Idempotent-Replayed" doc:"true when this answer repeats the first one for the Idempotency-Key."`
	Body     any    `doc:"201: the transaction (TransactionJSON); 202: the approval (ApprovalJSON)."`
}

// oneAtATime claims idem for this instance's request (see API.inFlight),
// request_in_progress when another is being answered; done frees it.
func (a *API) oneAtATime(idem ledger.Idempotency) error {
	if idem.Key != "" {
		if _, busy := a.inFlight.LoadOrStore(idem.Scope+"\x00"+idem.Key, true); busy {
			return ledger.ErrRequestInProgress
		}
	}
	return nil
}

func (a *API) done(idem ledger.Idempotency) {
	if idem.Key != "" {
		a.inFlight.Delete(idem.Scope + "\x00" + idem.Key)
	}
}

// adjustment reads an adjustment's body into the domain's request.
func (a *API) adjustment(ctx context.Context, in *AdjustmentInput) (ledger.Adjustment, error) {
	c := callerOf(ctx)
	b := in.Body
	req := ledger.Adjustment{Direction: ledger.Direction(b.Direction), Reason: ledger.Reason(b.Reason), Note: b.Note, Actor: c.actor(),
		Bonus: b.Bonus, BonusExpiresAt: b.BonusExpiresAt, Idem: c.idempotency(in.Key)}
	if err := readIDs(idField{"account_id", b.AccountID, &req.Target.AccountID}, idField{"customer_id", b.CustomerID, &req.Target.CustomerID},
		idField{"corrects", b.Corrects, &req.Corrects}); err != nil {
		return req, err
	}
	cur, err := a.adjustmentCurrency(ctx, req.Target, in)
	if err != nil {
		return req, err
	}
	req.Target.Currency = b.Currency
	req.Amount, err = positiveAmount("amount", b.Amount, cur)
	return req, err
}

// adjustmentCurrency is the currency an adjustment's amount is read in,
// which tells its decimals: the account's, or the one named beside the
// customer.
func (a *API) adjustmentCurrency(ctx context.Context, t ledger.Target, in *AdjustmentInput) (money.Currency, error) {
	code := in.Body.Currency
	if t.AccountID != 0 {
		if in.Body.CustomerID != "" || in.Body.Currency != "" {
			return money.Currency{}, invalid("account_id", "give either account_id or customer_id with currency, not both")
		}
		cur, err := a.postingCurrency(ctx, t.AccountID)
		if err != nil {
			return money.Currency{}, err
		}
		code = cur.Code()
	} else if t.CustomerID == 0 {
		return money.Currency{}, invalid("account_id", "give account_id, or customer_id with currency")
	}
	return currency("currency", code)
}

func (a *API) reverseTransaction(ctx context.Context, in *ReverseInput) (*PostedOutput, error) {
	c := callerOf(ctx)
	t, err := byID(ctx, in.ID, "transaction", a.store.Transaction)
	if err != nil {
		return nil, err
	}
	req := ledger.Reversal{TransactionID: t.ID, Note: in.Body.Note, Actor: c.actor(), Idem: c.idempotency(in.Key)}
	return a.posted(req.Idem, func() (store.Posted, error) { return a.store.Reverse(ctx, req) })
}

func (a *API) listTransactions(ctx context.Context, in *ListTransactionsInput) (*TransactionsOutput, error) {
	f := store.TxFilter{Type: ledger.TxType(in.Type)}
	var err error
	if f.Limit, err = in.limit(); err != nil {
		return nil, err
	}
	if err := readIDs(idField{"account_id", in.AccountID, &f.AccountID}, idField{"customer_id", in.CustomerID, &f.CustomerID}); err != nil {
		return nil, err
	}
	if f.BeforeID, err = idCursor(in.Cursor); err != nil {
		return nil, err
	}
	if f.From, f.To, err = a.period(ctx, "from", in.From, "to", in.To); err != nil {
		return nil, err
	}
	txs, err := a.store.Transactions(ctx, f)
	return &TransactionsOutput{Body: pageOf(txs, f.Limit, transactionJSON, func() int64 { return txs[len(txs)-1].ID })}, err
}

func (a *API) getTransaction(ctx context.Context, in *TransactionIDInput) (*TransactionOutput, error) {
	t, err := byID(ctx, in.ID, "transaction", a.store.Transaction)
	return &TransactionOutput{Body: transactionJSON(t)}, err
}

// postingCurrency finds the currency of the account a posting names, which
// tells how many decimals its amount may have: a missing account is 404.
func (a *API) postingCurrency(ctx context.Context, id int64) (money.Currency, error) {
	if id == 0 {
		return money.Currency{}, invalid("account_id", "is required")
	}
	return a.store.AccountCurrency(ctx, id)
}

// posted runs a posting under its idempotency key. While the key's first
// request is running on this instance, a repeat is request_in_progress; on
// another instance the repeat waits for the first and replays its answer.
func (a *API) posted(idem ledger.Idempotency, post func() (store.Posted, error)) (*PostedOutput, error) {
	if err := a.oneAtATime(idem); err != nil {
		return nil, err
	}
	defer a.done(idem)
	p, err := post()
	if err != nil {
		return nil, err
	}
	out := &PostedOutput{Status: http.StatusCreated, Body: transactionJSON(p.Transaction)}
	if p.Replayed {
		out.Replayed = "true"
	} else {
		a.metrics.posted(string(p.Transaction.Type))
	}
	return out, nil
}
