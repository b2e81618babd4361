package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"coffer/internal/auth"
	"coffer/internal/ledger"
	"coffer/internal/money"
	"coffer/internal/store"
)

type EntryLineJSON struct {
	AccountID    string  `json:"account_id"`
	Amount       string  `json:"amount"`
	BalanceAfter *string `json:"balance_after" doc:"For the customer account; null for system accounts."`
}

type TransactionJSON struct {
	ID        string          `json:"id"`
	Type      string          `json:"type" enum:"topup,charge,adjustment,reversal"`
	AccountID string          `json:"account_id"`
	Currency  string          `json:"currency"`
	Amount    string          `json:"amount" doc:"Signed effect on the customer account."`
	Reference string          `json:"reference"`
	Note      string          `json:"note"`
	Reason    string          `json:"reason"`
	Corrects  *string         `json:"corrects" doc:"The transaction this one reverses or corrects."`
	TopUpID   *string         `json:"topup_id"`
	CreatedBy *string         `json:"created_by"`
	CreatedAt time.Time       `json:"created_at"`
	Entries   []EntryLineJSON `json:"entries"`
}

func transactionJSON(t ledger.Transaction) TransactionJSON {
	j := TransactionJSON{ID: idString(t.ID), Type: string(t.Type), AccountID: idString(t.AccountID), Currency: t.Currency.Code(),
		Amount: fmtAmount(t.Amount, t.Currency), Reference: t.Reference, Note: t.Note, Reason: string(t.Reason),
		Corrects: optID(t.Corrects), TopUpID: optID(t.TopUpID), CreatedBy: optID(t.CreatedBy), CreatedAt: utc(t.CreatedAt)}
	for _, e := range t.Entries {
		l := EntryLineJSON{AccountID: idString(e.AccountID), Amount: fmtAmount(e.Amount, t.Currency)}
		if e.BalanceAfter != nil {
			s := fmtAmount(*e.BalanceAfter, t.Currency)
			l.BalanceAfter = &s
		}
		j.Entries = append(j.Entries, l)
	}
	return j
}

// IdempotencyHeader is on every request that moves money.
type IdempotencyHeader struct {
	Key string `header:"Idempotency-Key" maxLength:"255" doc:"1 to 255 characters. A repeat with the same key and body answers with the first result and posts nothing; the same key with another body is idempotency_key_reused."`
}

type PostedOutput struct {
	Status   int
	Replayed string `header:"Idempotent-Replayed" doc:"true when this answer repeats the first one for the Idempotency-Key."`
	Body     TransactionJSON
}

type ChargeInput struct {
	IdempotencyHeader
	Body struct {
		AccountID string `json:"account_id"`
		Amount    string `json:"amount" doc:"Decimal string in the major unit, e.g. \"12.50\"; more decimals than the currency has are refused."`
		Reference string `json:"reference,omitempty" doc:"Order, invoice or message batch."`
		Note      string `json:"note,omitempty"`
	}
}

type AdjustmentInput struct {
	IdempotencyHeader
	Body struct {
		AccountID  string `json:"account_id,omitempty" doc:"The account; or give customer_id and currency, which opens the account if needed."`
		CustomerID string `json:"customer_id,omitempty"`
		Currency   string `json:"currency,omitempty"`
		Direction  string `json:"direction" enum:"credit,debit"`
		Amount     string `json:"amount"`
		Reason     string `json:"reason" enum:"refund,promotion,compensation,correction,other"`
		Note       string `json:"note" doc:"Why: required."`
		Corrects   string `json:"corrects,omitempty" doc:"The transaction this adjustment corrects."`
	}
}

type ReverseInput struct {
	IdempotencyHeader
	ID   string `path:"id"`
	Body struct {
		Note string `json:"note,omitempty"`
	}
}

type TransactionIDInput struct {
	ID string `path:"id"`
}

type TransactionOutput struct{ Body TransactionJSON }

type ListTransactionsInput struct {
	Page
	AccountID  string `query:"account_id"`
	CustomerID string `query:"customer_id"`
	Type       string `query:"type" enum:"topup,charge,adjustment,reversal,"`
	From       string `query:"from" doc:"Date (business time zone) or RFC 3339 time."`
	To         string `query:"to" doc:"Date (inclusive) or RFC 3339 time."`
}

type TransactionsOutput struct{ Body List[TransactionJSON] }

func (a *API) registerPostings() {
	tags := []string{"postings"}
	register(a, huma.Operation{OperationID: "post-charge", Method: http.MethodPost, Path: "/charges", Tags: tags,
		Summary: "Post consumption: debit an account", Errors: []int{404, 409, 422}}, auth.ActOperate,
		func(ctx context.Context, in *ChargeInput) (*PostedOutput, error) {
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
				Idem: ledger.Idempotency{Scope: c.actor().IdempotencyScope(), Key: in.Key}}
			return a.posted(req.Idem, func() (store.Posted, error) { return a.store.Charge(ctx, req) })
		})

	register(a, huma.Operation{OperationID: "post-adjustment", Method: http.MethodPost, Path: "/adjustments", Tags: tags,
		Summary: "Adjust a balance by hand, with a reason and a note", Errors: []int{404, 409, 422}}, auth.ActOperate,
		func(ctx context.Context, in *AdjustmentInput) (*PostedOutput, error) {
			c := callerOf(ctx)
			b := in.Body
			req := ledger.Adjustment{Direction: ledger.Direction(b.Direction), Reason: ledger.Reason(b.Reason), Note: b.Note, Actor: c.actor(),
				Idem: ledger.Idempotency{Scope: c.actor().IdempotencyScope(), Key: in.Key}}
			var err error
			if req.Target.AccountID, err = parseOptID(b.AccountID, "account_id"); err != nil {
				return nil, err
			}
			if req.Target.CustomerID, err = parseOptID(b.CustomerID, "customer_id"); err != nil {
				return nil, err
			}
			if req.Corrects, err = parseOptID(b.Corrects, "corrects"); err != nil {
				return nil, err
			}
			// The amount's decimals depend on the currency: the account's, or the one named.
			code := b.Currency
			if req.Target.AccountID != 0 {
				if b.CustomerID != "" || b.Currency != "" {
					return nil, invalid("account_id", "give either account_id or customer_id with currency, not both")
				}
				cur, err := a.postingCurrency(ctx, req.Target.AccountID)
				if err != nil {
					return nil, err
				}
				code = cur.Code()
			} else if req.Target.CustomerID == 0 {
				return nil, invalid("account_id", "give account_id, or customer_id with currency")
			}
			cur, err := currency("currency", code)
			if err != nil {
				return nil, err
			}
			req.Target.Currency = b.Currency
			if req.Amount, err = positiveAmount("amount", b.Amount, cur); err != nil {
				return nil, err
			}
			return a.posted(req.Idem, func() (store.Posted, error) { return a.store.Adjust(ctx, req) })
		})

	register(a, huma.Operation{OperationID: "reverse-transaction", Method: http.MethodPost, Path: "/transactions/{id}/reverse", Tags: tags,
		Summary: "Undo a transaction with a new one", Description: "A transaction is reversed at most once (already_reversed).",
		Errors: []int{404, 409, 422}}, auth.ActOperate,
		func(ctx context.Context, in *ReverseInput) (*PostedOutput, error) {
			c := callerOf(ctx)
			id, err := parseID(in.ID, "transaction")
			if err != nil {
				return nil, err
			}
			if _, err := a.store.Transaction(ctx, id); err != nil {
				return nil, err
			}
			req := ledger.Reversal{TransactionID: id, Note: in.Body.Note, Actor: c.actor(),
				Idem: ledger.Idempotency{Scope: c.actor().IdempotencyScope(), Key: in.Key}}
			return a.posted(req.Idem, func() (store.Posted, error) { return a.store.Reverse(ctx, req) })
		})

	register(a, huma.Operation{OperationID: "list-transactions", Method: http.MethodGet, Path: "/transactions", Tags: tags,
		Summary: "Find transactions, newest first"}, auth.ActView,
		func(ctx context.Context, in *ListTransactionsInput) (*TransactionsOutput, error) {
			f := store.TxFilter{Type: ledger.TxType(in.Type)}
			var err error
			if f.Limit, err = in.limit(); err != nil {
				return nil, err
			}
			if f.AccountID, err = parseOptID(in.AccountID, "account_id"); err != nil {
				return nil, err
			}
			if f.CustomerID, err = parseOptID(in.CustomerID, "customer_id"); err != nil {
				return nil, err
			}
			if f.BeforeID, err = idCursor(in.Cursor); err != nil {
				return nil, err
			}
			if f.From, f.To, err = a.period(ctx, "from", in.From, "to", in.To); err != nil {
				return nil, err
			}
			txs, err := a.store.Transactions(ctx, f)
			if err != nil {
				return nil, err
			}
			return &TransactionsOutput{Body: pageOf(txs, f.Limit, transactionJSON, func() int64 { return txs[len(txs)-1].ID })}, nil
		})

	register(a, huma.Operation{OperationID: "get-transaction", Method: http.MethodGet, Path: "/transactions/{id}", Tags: tags,
		Summary: "One transaction with its entries"}, auth.ActView,
		func(ctx context.Context, in *TransactionIDInput) (*TransactionOutput, error) {
			id, err := parseID(in.ID, "transaction")
			if err != nil {
				return nil, err
			}
			t, err := a.store.Transaction(ctx, id)
			return &TransactionOutput{Body: transactionJSON(t)}, err
		})
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
	if idem.Key != "" {
		k := idem.Scope + "\x00" + idem.Key
		if _, busy := a.inFlight.LoadOrStore(k, true); busy {
			return nil, ledger.ErrRequestInProgress
		}
		defer a.inFlight.Delete(k)
	}
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
