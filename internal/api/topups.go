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

// Top-up requests (SPEC section 2 "Recharge"): an operator submits one, a
// reviewer other than the submitter approves it, which posts it, or rejects
// it. Their vouchers are in vouchers.go, payment methods in
// payment_methods.go.

// TopUpJSON is a top-up (recharge) request: money a customer says they
// paid, posted to their account only once a reviewer approves it.
type TopUpJSON struct {
	ID             string        `json:"id" example:"42"`
	Number         string        `json:"number" doc:"Recharge number."`
	CustomerID     string        `json:"customer_id" example:"3"`
	AccountID      string        `json:"account_id" example:"7"`
	Currency       string        `json:"currency" example:"CNY"`
	Amount         string        `json:"amount" example:"12.50"`
	PaymentMethod  string        `json:"payment_method" doc:"The payment method's id." example:"2"`
	PaymentAccount string        `json:"payment_account" example:"6222 **** 0042"`
	TransactionNo  string        `json:"transaction_no" example:"TX20261201000042"`
	Remark         string        `json:"remark" example:"Pays on the 1st of each month"`
	PaymentStatus  string        `json:"payment_status" enum:"paid,unpaid"`
	PaidAt         *time.Time    `json:"paid_at"`
	Status         string        `json:"status" enum:"pending,approved,rejected,cancelled"`
	ActualAmount   *string       `json:"actual_amount" example:"1000.00"`
	ExchangeRate   *string       `json:"exchange_rate" example:"1"`
	ReviewRemark   string        `json:"review_remark"`
	ReviewedBy     *string       `json:"reviewed_by"`
	ReviewedAt     *time.Time    `json:"reviewed_at"`
	TransactionID  *string       `json:"transaction_id" doc:"The posting, once approved." example:"1024"`
	Vouchers       []VoucherJSON `json:"vouchers"`
	CreatedBy      string        `json:"created_by" example:"2"`
	CreatedAt      time.Time     `json:"created_at"`
	Version        int64         `json:"version" doc:"Grows with every change of the request: a correction, a voucher, a decision. Send it with approve or reject to have the decision refused (stale_version) if the request changed since you saw it."`
}

func topupJSON(t ledger.TopUpRequest) TopUpJSON {
	cur, _ := money.LookupCurrency(t.Currency)
	j := TopUpJSON{ID: idString(t.ID), Number: t.Number(), CustomerID: idString(t.CustomerID), AccountID: idString(t.AccountID),
		Currency: t.Currency, Amount: fmtAmount(t.Amount, cur), PaymentMethod: idString(t.PaymentMethodID), PaymentAccount: t.PaymentAccount,
		TransactionNo: t.TransactionNo, Remark: t.Remark, PaymentStatus: t.PaymentStatus, PaidAt: optTime(t.PaidAt), Status: string(t.Status),
		ReviewRemark: t.ReviewRemark, ReviewedBy: optID(t.ReviewedBy), ReviewedAt: optTime(t.ReviewedAt), TransactionID: optID(t.TransactionID),
		CreatedBy: idString(t.CreatedBy), CreatedAt: utc(t.CreatedAt), Vouchers: []VoucherJSON{}, Version: t.Version}
	if t.ActualAmount != nil {
		s := fmtAmount(*t.ActualAmount, cur)
		j.ActualAmount = &s
	}
	if t.ExchangeRate != "" {
		r := t.ExchangeRate
		j.ExchangeRate = &r
	}
	for _, v := range t.Vouchers {
		j.Vouchers = append(j.Vouchers, voucherJSON(v))
	}
	return j
}

// TopUpOutput is one top-up request, after a change or a repeat of one
// (Idempotent-Replayed).
type TopUpOutput struct {
	Status   int
	Replayed string `header:"Idempotent-Replayed"`
	Body     TopUpJSON
}

// topupOut answers with the request a change left, status as the operation
// gives it.
func topupOut(r store.TopUpResult, status int) *TopUpOutput {
	out := &TopUpOutput{Status: status, Body: topupJSON(r.TopUp)}
	if r.Replayed {
		out.Replayed = "true"
	}
	return out
}

// TopUpFieldsJSON are the fields of a top-up request its submitter fills in.
type TopUpFieldsJSON struct {
	Amount         string     `json:"amount" example:"12.50"`
	PaymentMethod  string     `json:"payment_method" doc:"A payment method's id; it must be enabled." example:"2"`
	PaymentAccount string     `json:"payment_account,omitempty" example:"6222 **** 0042"`
	TransactionNo  string     `json:"transaction_no,omitempty" example:"TX20261201000042"`
	Remark         string     `json:"remark,omitempty" example:"Pays on the 1st of each month"`
	PaymentStatus  string     `json:"payment_status,omitempty" enum:"paid,unpaid" doc:"Default unpaid."`
	PaidAt         *time.Time `json:"paid_at,omitempty"`
}

// CreateTopUpInput submits a top-up request for a customer in a currency.
type CreateTopUpInput struct {
	IdempotencyHeader
	Body struct {
		CustomerID string `json:"customer_id" example:"3"`
		Currency   string `json:"currency" example:"CNY"`
		TopUpFieldsJSON
		Direct bool `json:"direct,omitempty" doc:"Post at once without review: super admins, while the direct_topup setting is on."`
	}
}

// PatchTopUpInput corrects the fields it gives of a pending request.
type PatchTopUpInput struct {
	ID   string `path:"id"`
	Body struct {
		Amount         *string    `json:"amount,omitempty" example:"12.50"`
		PaymentMethod  *string    `json:"payment_method,omitempty" example:"2"`
		PaymentAccount *string    `json:"payment_account,omitempty" example:"6222 **** 0042"`
		TransactionNo  *string    `json:"transaction_no,omitempty" example:"TX20261201000042"`
		Remark         *string    `json:"remark,omitempty" example:"Pays on the 1st of each month"`
		PaymentStatus  *string    `json:"payment_status,omitempty" enum:"paid,unpaid"`
		PaidAt         *time.Time `json:"paid_at,omitempty"`
	}
}

// TopUpIDInput names one top-up request.
type TopUpIDInput struct {
	ID string `path:"id"`
}

// ApproveInput approves a request, with what was really received.
type ApproveInput struct {
	IdempotencyHeader
	ID   string `path:"id"`
	Body struct {
		ActualAmount string `json:"actual_amount,omitempty" doc:"What was really received; default the requested amount (of version, when given)." example:"1000.00"`
		ExchangeRate string `json:"exchange_rate,omitempty" doc:"Positive decimal, kept exactly as given; default 1." example:"1"`
		Remark       string `json:"remark,omitempty" example:"Pays on the 1st of each month"`
		Version      *int64 `json:"version,omitempty" doc:"The request's version the decision was made on; if it is no longer current, nothing changes and the answer is 409 stale_version."`
	}
}

// RejectInput rejects a request.
type RejectInput struct {
	IdempotencyHeader
	ID   string `path:"id"`
	Body struct {
		Remark  string `json:"remark,omitempty" example:"Pays on the 1st of each month"`
		Version *int64 `json:"version,omitempty" doc:"The request's version the decision was made on; if it is no longer current, nothing changes and the answer is 409 stale_version."`
	}
}

// CancelInput withdraws the caller's own pending request.
type CancelInput struct {
	IdempotencyHeader
	ID string `path:"id"`
}

// ListTopUpsInput finds top-up requests; its filters combine.
type ListTopUpsInput struct {
	Page
	Status        string `query:"status" enum:"pending,approved,rejected,cancelled,"`
	PaymentMethod string `query:"payment_method"`
	CustomerID    string `query:"customer_id"`
	AccountID     string `query:"account_id"`
	From          string `query:"from"`
	To            string `query:"to"`
}

// TopUpsOutput is a page of top-up requests, newest first.
type TopUpsOutput struct{ Body List[TopUpJSON] }

// topupFields reads the fields of a top-up request in the account's currency.
func topupFields(b TopUpFieldsJSON, cur money.Currency) (ledger.TopUpFields, error) {
	f := ledger.TopUpFields{PaymentAccount: b.PaymentAccount, TransactionNo: b.TransactionNo, Remark: b.Remark,
		PaymentStatus: b.PaymentStatus, PaidAt: b.PaidAt}
	if f.PaymentStatus == "" {
		f.PaymentStatus = "unpaid"
	}
	var problems fieldProblems
	var err error
	f.Amount, err = positiveAmount("amount", b.Amount, cur)
	problems.add(err)
	f.PaymentMethodID, err = parseOptID(b.PaymentMethod, "payment_method")
	problems.add(err)
	return f, problems.err()
}

func (a *API) registerTopUps() {
	tags := []string{"top-ups"}
	register(a, huma.Operation{OperationID: "list-topups", Method: http.MethodGet, Path: "/topups", Tags: tags,
		Summary: "Recharge records, newest first", Description: "Filter by status, payment method, customer, account and date range. Accept: text/csv exports them."}, auth.ActView,
		a.listTopUps)
	register(a, huma.Operation{OperationID: "create-topup", Method: http.MethodPost, Path: "/topups", Tags: tags,
		Summary:     "Submit a top-up request for review",
		Description: "Opens the customer's account in the currency if needed. The balance changes only when the request is approved."}, auth.ActOperate,
		a.createTopUp)
	register(a, huma.Operation{OperationID: "get-topup", Method: http.MethodGet, Path: "/topups/{id}", Tags: tags,
		Summary: "One top-up request"}, auth.ActView, a.getTopUp)
	register(a, huma.Operation{OperationID: "update-topup", Method: http.MethodPatch, Path: "/topups/{id}", Tags: tags,
		Summary: "Correct a pending top-up request", Description: "Only its submitter, and only while it is pending (not_pending)."}, auth.ActOperate,
		a.updateTopUp)
	register(a, huma.Operation{OperationID: "approve-topup", Method: http.MethodPost, Path: "/topups/{id}/approve", Tags: tags,
		Summary:       "Approve a top-up request and post it",
		Description:   "Posts actual_amount (default amount) to the account in the same transaction. Nobody approves their own request (self_approval). With version, a request changed since is refused (stale_version) and nothing changes.",
		DefaultStatus: http.StatusOK}, auth.ActReview, a.approveTopUp)
	register(a, huma.Operation{OperationID: "reject-topup", Method: http.MethodPost, Path: "/topups/{id}/reject", Tags: tags,
		Summary: "Reject a top-up request", DefaultStatus: http.StatusOK}, auth.ActReview, a.rejectTopUp)
	register(a, huma.Operation{OperationID: "cancel-topup", Method: http.MethodPost, Path: "/topups/{id}/cancel", Tags: tags,
		Summary: "Withdraw your own pending top-up request", DefaultStatus: http.StatusOK}, auth.ActOperate, a.cancelTopUp)
}

func (a *API) listTopUps(ctx context.Context, in *ListTopUpsInput) (*TopUpsOutput, error) {
	f := store.TopUpFilter{Status: ledger.TopUpStatus(in.Status)}
	var err error
	if f.Limit, f.BeforeID, err = in.window(); err != nil {
		return nil, err
	}
	if err := readIDs(idField{"payment_method", in.PaymentMethod, &f.PaymentMethodID}, idField{"customer_id", in.CustomerID, &f.CustomerID},
		idField{"account_id", in.AccountID, &f.AccountID}); err != nil {
		return nil, err
	}
	if f.From, f.To, err = a.period(ctx, "from", in.From, "to", in.To); err != nil {
		return nil, err
	}
	ts, err := a.store.TopUpRequests(ctx, f)
	return &TopUpsOutput{Body: pageOf(ts, f.Limit, topupJSON, func() int64 { return ts[len(ts)-1].ID })}, err
}

func (a *API) createTopUp(ctx context.Context, in *CreateTopUpInput) (*TopUpOutput, error) {
	c := callerOf(ctx)
	t, err := newTopUp(in)
	if err != nil {
		return nil, err
	}
	if t.Direct && !auth.Can(c.Role(), auth.ActDirectTopUp) {
		return nil, forbidden("only a super admin may post a top-up without review")
	}
	r, err := a.store.SubmitTopUp(ctx, c.actor(), t, c.idempotency(in.Key))
	if err != nil {
		return nil, err
	}
	return topupOut(r, http.StatusCreated), nil
}

// newTopUp reads a new top-up request, naming every field at fault; the
// amount's decimals are the currency's, so an unknown currency is answered
// alone.
func newTopUp(in *CreateTopUpInput) (store.NewTopUp, error) {
	b := in.Body
	var problems fieldProblems
	cid, err := parseOptID(b.CustomerID, "customer_id")
	if err != nil {
		problems.add(err)
	} else if cid == 0 {
		problems.field("customer_id", "is required")
	}
	cur, err := currency("currency", b.Currency)
	if err != nil {
		return store.NewTopUp{}, err
	}
	f, err := topupFields(b.TopUpFieldsJSON, cur)
	problems.add(err)
	if err := problems.err(); err != nil {
		return store.NewTopUp{}, err
	}
	return store.NewTopUp{CustomerID: cid, Currency: b.Currency, TopUpFields: f, Direct: b.Direct}, nil
}

func (a *API) getTopUp(ctx context.Context, in *TopUpIDInput) (*TopUpOutput, error) {
	t, err := byID(ctx, in.ID, "top-up request", a.store.TopUpRequest)
	return &TopUpOutput{Status: 200, Body: topupJSON(t)}, err
}

func (a *API) updateTopUp(ctx context.Context, in *PatchTopUpInput) (*TopUpOutput, error) {
	t, err := byID(ctx, in.ID, "top-up request", a.store.TopUpRequest)
	if err != nil {
		return nil, err
	}
	cur, _ := money.LookupCurrency(t.Currency)
	change, err := topupChange(in, cur)
	if err != nil {
		return nil, err
	}
	t, err = a.store.UpdateTopUp(ctx, callerOf(ctx).actor(), t.ID, change)
	return &TopUpOutput{Status: 200, Body: topupJSON(t)}, err
}

// topupChange reads a correction, its amount in the request's currency, as
// the change to make to the request's fields.
func topupChange(in *PatchTopUpInput, cur money.Currency) (func(*ledger.TopUpFields), error) {
	b := in.Body
	var amount, method int64
	var err error
	if b.Amount != nil {
		if amount, err = positiveAmount("amount", *b.Amount, cur); err != nil {
			return nil, err
		}
	}
	if b.PaymentMethod != nil {
		if method, err = parseOptID(*b.PaymentMethod, "payment_method"); err != nil {
			return nil, err
		}
	}
	return func(f *ledger.TopUpFields) {
		if b.Amount != nil {
			f.Amount = amount
		}
		if b.PaymentMethod != nil {
			f.PaymentMethodID = method
		}
		setGiven(&f.PaymentAccount, b.PaymentAccount)
		setGiven(&f.TransactionNo, b.TransactionNo)
		setGiven(&f.Remark, b.Remark)
		setGiven(&f.PaymentStatus, b.PaymentStatus)
		if b.PaidAt != nil {
			f.PaidAt = b.PaidAt
		}
	}, nil
}

func (a *API) approveTopUp(ctx context.Context, in *ApproveInput) (*TopUpOutput, error) {
	c := callerOf(ctx)
	t, err := byID(ctx, in.ID, "top-up request", a.store.TopUpRequest)
	if err != nil {
		return nil, err
	}
	actual, err := actualAmount(in.Body.ActualAmount, t.Currency)
	if err != nil {
		return nil, err
	}
	r, err := a.store.ReviewTopUp(ctx, c.actor(), t.ID, store.TopUpDecision{Approve: true, Version: in.Body.Version, ActualAmount: actual,
		ExchangeRate: in.Body.ExchangeRate, Remark: in.Body.Remark}, c.idempotency(in.Key))
	if err != nil {
		return nil, err
	}
	if !r.Replayed {
		a.metrics.posted(string(ledger.TxTopUp))
	}
	return topupOut(r, http.StatusOK), nil
}

// actualAmount reads what was really received, in the request's currency
// (code); nil, when not given, posts the amount requested.
func actualAmount(s, code string) (*int64, error) {
	if s == "" {
		return nil, nil
	}
	cur, _ := money.LookupCurrency(code)
	v, err := positiveAmount("actual_amount", s, cur)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func (a *API) rejectTopUp(ctx context.Context, in *RejectInput) (*TopUpOutput, error) {
	c := callerOf(ctx)
	id, err := parseID(in.ID, "top-up request")
	if err != nil {
		return nil, err
	}
	r, err := a.store.ReviewTopUp(ctx, c.actor(), id, store.TopUpDecision{Version: in.Body.Version, Remark: in.Body.Remark},
		c.idempotency(in.Key))
	if err != nil {
		return nil, err
	}
	return topupOut(r, http.StatusOK), nil
}

func (a *API) cancelTopUp(ctx context.Context, in *CancelInput) (*TopUpOutput, error) {
	c := callerOf(ctx)
	id, err := parseID(in.ID, "top-up request")
	if err != nil {
		return nil, err
	}
	r, err := a.store.CancelTopUp(ctx, c.actor(), id, c.idempotency(in.Key))
	if err != nil {
		return nil, err
	}
	return topupOut(r, http.StatusOK), nil
}
