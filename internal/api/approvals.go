package api

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/store"
)

// Four-eyes approvals (SPEC section 9): an adjustment at or above its
// currency's threshold, and a change of credit while approve_credit_changes
// is on, answer 202 with an approval; someone other than the requester
// approves it (which applies it) or rejects it.

// ApprovalJSON is a change waiting for, or past, a second person's decision.
type ApprovalJSON struct {
	ID            string         `json:"id" example:"12"`
	Kind          string         `json:"kind" enum:"adjustment,credit_change"`
	Status        string         `json:"status" enum:"pending,approved,rejected,cancelled"`
	Request       map[string]any `json:"request" doc:"The change as asked for: an adjustment's account_id, direction, amount, reason, note, corrects; or an account change's account_id with the fields the PATCH gave."`
	AccountID     string         `json:"account_id" example:"7"`
	Currency      string         `json:"currency" example:"USD"`
	Amount        string         `json:"amount" doc:"The adjustment's amount, or the credit limit asked for." example:"1000.00"`
	RequestedBy   string         `json:"requested_by" example:"2"`
	RequestedAt   time.Time      `json:"requested_at"`
	DecidedBy     *string        `json:"decided_by"`
	DecidedAt     *time.Time     `json:"decided_at"`
	Remark        string         `json:"remark"`
	TransactionID *string        `json:"transaction_id" doc:"The adjustment's posting, once approved." example:"1024"`
	Version       int64          `json:"version" doc:"Grows with every change of the approval. Send it with approve or reject to have the decision refused (stale_version) if it changed since you saw it."`
}

// approvalJSON shows an approval, its request's amounts in the major unit
// and its ids as strings, as everywhere in the API.
func approvalJSON(a ledger.Approval) ApprovalJSON {
	cur, _ := money.LookupCurrency(a.Currency)
	return ApprovalJSON{ID: idString(a.ID), Kind: string(a.Kind), Status: string(a.Status), Request: approvalRequest(a, cur),
		AccountID: idString(a.AccountID), Currency: a.Currency, Amount: fmtAmount(a.Amount, cur), RequestedBy: idString(a.RequestedBy),
		RequestedAt: utc(a.RequestedAt), DecidedBy: optID(a.DecidedBy), DecidedAt: optTime(a.DecidedAt), Remark: a.Remark,
		TransactionID: optID(a.TransactionID), Version: a.Version}
}

func approvalRequest(a ledger.Approval, cur money.Currency) map[string]any {
	m := map[string]any{}
	if a.Kind == ledger.ApprovalAdjustment {
		var r store.AdjustmentRequest
		_ = json.Unmarshal(a.Request, &r)
		m["account_id"], m["direction"], m["amount"], m["reason"], m["note"] = idString(r.AccountID), r.Direction, fmtAmount(r.Amount, cur), r.Reason, r.Note
		if r.Corrects != 0 {
			m["corrects"] = idString(r.Corrects)
		}
		if r.Bonus {
			m["bonus"] = true
			if r.BonusExpiresAt != nil {
				m["bonus_expires_at"] = r.BonusExpiresAt.UTC().Format(time.RFC3339)
			}
		}
		return m
	}
	var r store.CreditChangeRequest
	_ = json.Unmarshal(a.Request, &r)
	m["account_id"] = idString(r.AccountID)
	for k, v := range map[string]*int64{"alert_amount": r.AlertAmount, "credit_limit": r.CreditLimit, "overdraft": r.Overdraft} {
		if v != nil {
			m[k] = fmtAmount(*v, cur)
		}
	}
	if r.OverdraftExpiresAt != nil {
		m["overdraft_expires_at"] = r.OverdraftExpiresAt.UTC().Format(time.RFC3339)
	} else if r.ClearExpiry {
		m["overdraft_expires_at"] = ""
	}
	if r.Status != nil {
		m["status"] = *r.Status
	}
	return m
}

// ApprovalOutput is one approval, after a decision or a repeat of one.
type ApprovalOutput struct {
	Status   int
	Replayed string `header:"Idempotent-Replayed"`
	Body     ApprovalJSON
}

// ApprovalIDInput names one approval.
type ApprovalIDInput struct {
	ID string `path:"id"`
}

// DecideApprovalInput approves or rejects an approval.
type DecideApprovalInput struct {
	IdempotencyHeader
	ID   string `path:"id"`
	Body struct {
		Remark  string `json:"remark,omitempty" doc:"Why; required to reject." example:"Checked against ticket 4411"`
		Version *int64 `json:"version,omitempty" doc:"The approval's version the decision was made on; if it is no longer current, nothing changes and the answer is 409 stale_version."`
	}
}

// CancelApprovalInput withdraws the caller's own pending approval.
type CancelApprovalInput struct {
	IdempotencyHeader
	ID string `path:"id"`
}

// ListApprovalsInput finds approvals; its filters combine.
type ListApprovalsInput struct {
	Page
	Status    string `query:"status" enum:"pending,approved,rejected,cancelled,"`
	Kind      string `query:"kind" enum:"adjustment,credit_change,"`
	AccountID string `query:"account_id"`
}

// ApprovalsOutput is a page of approvals, newest first.
type ApprovalsOutput struct{ Body List[ApprovalJSON] }

func (a *API) registerApprovals() {
	tags := []string{"approvals"}
	register(a, huma.Operation{OperationID: "list-approvals", Method: http.MethodGet, Path: "/approvals", Tags: tags,
		Summary: "Changes waiting for, or past, a second person's decision", Description: "Newest first; filter by status, kind and account."},
		auth.ActView, a.listApprovals)
	register(a, huma.Operation{OperationID: "get-approval", Method: http.MethodGet, Path: "/approvals/{id}", Tags: tags,
		Summary: "One approval"}, auth.ActView, a.getApproval)
	register(a, huma.Operation{OperationID: "approve-approval", Method: http.MethodPost, Path: "/approvals/{id}/approve", Tags: tags,
		Summary: "Approve a change and apply it",
		Description: "Applies the change under the rules as they stand now, in the transaction of the decision: an adjustment that no longer fits the floor " +
			"is insufficient_funds and the approval stays pending. Adjustments: super admins and reviewers; credit changes: super admins. " +
			"Never the requester (self_approval).",
		DefaultStatus: http.StatusOK, Errors: []int{403, 404, 409, 422}}, auth.ActReview, a.approveApproval)
	register(a, huma.Operation{OperationID: "reject-approval", Method: http.MethodPost, Path: "/approvals/{id}/reject", Tags: tags,
		Summary: "Reject a change; remark required", DefaultStatus: http.StatusOK, Errors: []int{403, 404, 409, 422}}, auth.ActReview, a.rejectApproval)
	register(a, huma.Operation{OperationID: "cancel-approval", Method: http.MethodPost, Path: "/approvals/{id}/cancel", Tags: tags,
		Summary: "Withdraw a change you requested", DefaultStatus: http.StatusOK, Errors: []int{403, 404, 409}}, auth.ActOperate, a.cancelApproval)
}

func (a *API) listApprovals(ctx context.Context, in *ListApprovalsInput) (*ApprovalsOutput, error) {
	f := store.ApprovalFilter{Status: ledger.ApprovalStatus(in.Status), Kind: ledger.ApprovalKind(in.Kind)}
	var err error
	if f.Limit, f.BeforeID, err = in.window(); err != nil {
		return nil, err
	}
	if err := readIDs(idField{"account_id", in.AccountID, &f.AccountID}); err != nil {
		return nil, err
	}
	as, err := a.store.Approvals(ctx, f)
	return &ApprovalsOutput{Body: pageOf(as, f.Limit, approvalJSON, func() int64 { return as[len(as)-1].ID })}, err
}

func (a *API) getApproval(ctx context.Context, in *ApprovalIDInput) (*ApprovalOutput, error) {
	ap, err := byID(ctx, in.ID, "approval", a.store.Approval)
	return &ApprovalOutput{Status: http.StatusOK, Body: approvalJSON(ap)}, err
}

// decider finds the approval and checks the caller's role may decide its
// kind: credit changes are for super admins only.
func (a *API) decider(ctx context.Context, id string) (ledger.Approval, error) {
	ap, err := byID(ctx, id, "approval", a.store.Approval)
	if err != nil {
		return ap, err
	}
	if !auth.Can(callerOf(ctx).Role(), auth.ApprovalAction(ap.Kind)) {
		return ap, forbidden("only a super admin may decide a change of credit")
	}
	return ap, nil
}

func (a *API) approveApproval(ctx context.Context, in *DecideApprovalInput) (*ApprovalOutput, error) {
	ap, err := a.decider(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	c := callerOf(ctx)
	r, err := a.store.ApproveApproval(ctx, c.actor(), ap.ID, store.ApprovalDecision{Version: in.Body.Version, Remark: in.Body.Remark}, c.idempotency(in.Key))
	if err != nil {
		return nil, err
	}
	if !r.Replayed && r.Approval.TransactionID != 0 {
		a.metrics.posted(string(ledger.TxAdjustment))
	}
	return approvalOut(r), nil
}

func (a *API) rejectApproval(ctx context.Context, in *DecideApprovalInput) (*ApprovalOutput, error) {
	ap, err := a.decider(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	c := callerOf(ctx)
	r, err := a.store.RejectApproval(ctx, c.actor(), ap.ID, store.ApprovalDecision{Version: in.Body.Version, Remark: in.Body.Remark}, c.idempotency(in.Key))
	if err != nil {
		return nil, err
	}
	return approvalOut(r), nil
}

func (a *API) cancelApproval(ctx context.Context, in *CancelApprovalInput) (*ApprovalOutput, error) {
	c := callerOf(ctx)
	id, err := parseID(in.ID, "approval")
	if err != nil {
		return nil, err
	}
	r, err := a.store.CancelApproval(ctx, c.actor(), id, c.idempotency(in.Key))
	if err != nil {
		return nil, err
	}
	return approvalOut(r), nil
}

// orApproval documents an operation that answers ok with okBody, or 202
// with the approval when the change waits for a second person (SPEC 9):
// its Go output is untyped, so the document says which is which.
func (a *API) orApproval(op huma.Operation, ok int, okBody any) huma.Operation {
	reg := a.huma.OpenAPI().Components.Schemas
	content := func(v any) map[string]*huma.MediaType {
		return map[string]*huma.MediaType{"application/json": {Schema: reg.Schema(reflect.TypeOf(v), true, "")}}
	}
	op.Responses = map[string]*huma.Response{
		strconv.Itoa(ok): {Description: http.StatusText(ok), Content: content(okBody)},
		"202":            {Description: "Not applied: it waits for a second person's approval, which is the answer.", Content: content(ApprovalJSON{})},
	}
	return op
}

func approvalOut(r store.ApprovalResult) *ApprovalOutput {
	out := &ApprovalOutput{Status: http.StatusOK, Body: approvalJSON(r.Approval)}
	if r.Replayed {
		out.Replayed = "true"
	}
	return out
}
