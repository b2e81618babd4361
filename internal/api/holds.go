package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
)

// Holds (SPEC 8): money in flight. A hold reserves an amount on an
// account; a capture posts up to it as a charge; a release or its expiry
// gives it back.

// HoldJSON is one hold.
type HoldJSON struct {
	ID             string     `json:"id" example:"42"`
	AccountID      string     `json:"account_id" example:"7"`
	Currency       string     `json:"currency" example:"CNY"`
	Amount         string     `json:"amount" example:"30.00"`
	CapturedAmount string     `json:"captured_amount" example:"0.00"`
	Status         string     `json:"status" enum:"active,captured,released,expired" doc:"A hold past expires_at is expired, whether or not the expiry job has marked it yet."`
	Reference      string     `json:"reference" example:"campaign-2026-12-01"`
	Note           string     `json:"note" example:"SMS batch of 2026-12-01"`
	ExpiresAt      time.Time  `json:"expires_at"`
	CreatedBy      *string    `json:"created_by" example:"2"`
	CreatedAt      time.Time  `json:"created_at"`
	ClosedAt       *time.Time `json:"closed_at"`
	TransactionID  *string    `json:"transaction_id" doc:"The capture's charge."`
}

func (a *API) holdJSON(h ledger.Hold) HoldJSON {
	if h.Status == ledger.HoldActive && !h.Counts(a.now()) {
		h.Status = ledger.HoldExpired
	}
	return HoldJSON{ID: idString(h.ID), AccountID: idString(h.AccountID), Currency: h.Currency.Code(), Amount: fmtAmount(h.Amount, h.Currency),
		CapturedAmount: fmtAmount(h.CapturedAmount, h.Currency), Status: string(h.Status), Reference: h.Reference, Note: h.Note,
		ExpiresAt: utc(h.ExpiresAt), CreatedBy: optID(h.CreatedBy), CreatedAt: utc(h.CreatedAt), ClosedAt: optTime(h.ClosedAt),
		TransactionID: optID(h.TransactionID)}
}

// NewHoldInput reserves an amount.
type NewHoldInput struct {
	IdempotencyHeader
	Body struct {
		AccountID string     `json:"account_id" example:"7"`
		Amount    string     `json:"amount" doc:"Decimal string in the major unit." example:"30.00"`
		Reference string     `json:"reference,omitempty" example:"campaign-2026-12-01"`
		Note      string     `json:"note,omitempty" example:"SMS batch of 2026-12-01"`
		ExpiresAt *time.Time `json:"expires_at,omitempty" doc:"When the hold stops counting, at most 30 days ahead; default now plus the setting hold_ttl_hours (168)."`
	}
}

// HoldOutput is one hold.
type HoldOutput struct {
	Status   int
	Replayed string `header:"Idempotent-Replayed" doc:"true when this answer repeats the first one for the Idempotency-Key."`
	Body     HoldJSON
}

// HoldIDInput names one hold.
type HoldIDInput struct {
	ID string `path:"id"`
}

// CaptureInput posts up to the whole hold.
type CaptureInput struct {
	IdempotencyHeader
	ID   string `path:"id"`
	Body struct {
		Amount string `json:"amount,omitempty" doc:"At most the hold's amount; left out, the whole hold. The rest is released." example:"12.50"`
		Note   string `json:"note,omitempty" doc:"The charge's note; left out, the hold's."`
	}
}

// ListHoldsInput finds holds.
type ListHoldsInput struct {
	Page
	AccountID  string `query:"account_id"`
	CustomerID string `query:"customer_id"`
	Status     string `query:"status" enum:"active,captured,released,expired,"`
}

// HoldsOutput is a page of holds, newest first.
type HoldsOutput struct{ Body List[HoldJSON] }

func (a *API) registerHolds() {
	tags := []string{"holds"}
	register(a, huma.Operation{OperationID: "place-hold", Method: http.MethodPost, Path: "/holds", Tags: tags,
		Summary: "Reserve an amount on an account", Description: "The hold counts against the account's floor as a charge " +
			"would (insufficient_funds), until it is captured, released or runs out.", Errors: []int{404, 409, 422}},
		auth.ActOperate, a.placeHold)
	register(a, huma.Operation{OperationID: "list-holds", Method: http.MethodGet, Path: "/holds", Tags: tags,
		Summary: "Find holds, newest first"}, auth.ActView, a.listHolds)
	register(a, huma.Operation{OperationID: "get-hold", Method: http.MethodGet, Path: "/holds/{id}", Tags: tags,
		Summary: "One hold"}, auth.ActView, a.getHold)
	register(a, huma.Operation{OperationID: "capture-hold", Method: http.MethodPost, Path: "/holds/{id}/capture", Tags: tags,
		Summary: "Post a hold as a charge", Description: "Posts amount (default the whole hold) as a charge naming the hold; " +
			"the rest is released. A capture always fits within its own hold. hold_not_active when it is no longer active.",
		Errors: []int{409, 422}}, auth.ActOperate, a.captureHold)
	register(a, huma.Operation{OperationID: "release-hold", Method: http.MethodPost, Path: "/holds/{id}/release", Tags: tags,
		Summary: "Give a hold back", Description: "Ends an active hold without posting; hold_not_active otherwise.",
		DefaultStatus: http.StatusOK, Errors: []int{409}}, auth.ActOperate, a.releaseHold)
}

func (a *API) placeHold(ctx context.Context, in *NewHoldInput) (*HoldOutput, error) {
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
	req := ledger.NewHold{AccountID: id, Amount: amount, Reference: in.Body.Reference, Note: in.Body.Note, ExpiresAt: in.Body.ExpiresAt,
		Actor: c.actor(), Idem: c.idempotency(in.Key)}
	if err := a.oneAtATime(req.Idem); err != nil {
		return nil, err
	}
	defer a.done(req.Idem)
	h, replayed, err := a.store.PlaceHold(ctx, req)
	if err != nil {
		return nil, err
	}
	out := &HoldOutput{Status: http.StatusCreated, Body: a.holdJSON(h)}
	if replayed {
		out.Replayed = "true"
	}
	return out, nil
}

func (a *API) listHolds(ctx context.Context, in *ListHoldsInput) (*HoldsOutput, error) {
	f := store.HoldFilter{Status: ledger.HoldStatus(in.Status)}
	var err error
	if err = readIDs(idField{"account_id", in.AccountID, &f.AccountID}, idField{"customer_id", in.CustomerID, &f.CustomerID}); err != nil {
		return nil, err
	}
	if f.Limit, f.BeforeID, err = in.window(); err != nil {
		return nil, err
	}
	hs, err := a.store.Holds(ctx, f)
	return &HoldsOutput{Body: pageOf(hs, f.Limit, a.holdJSON, func() int64 { return hs[len(hs)-1].ID })}, err
}

func (a *API) getHold(ctx context.Context, in *HoldIDInput) (*HoldOutput, error) {
	id, err := parseID(in.ID, "hold")
	if err != nil {
		return nil, err
	}
	h, err := a.store.Hold(ctx, id)
	return &HoldOutput{Status: http.StatusOK, Body: a.holdJSON(h)}, err
}

func (a *API) captureHold(ctx context.Context, in *CaptureInput) (*PostedOutput, error) {
	c := callerOf(ctx)
	id, err := parseID(in.ID, "hold")
	if err != nil {
		return nil, err
	}
	h, err := a.store.Hold(ctx, id)
	if err != nil {
		return nil, err
	}
	req := ledger.Capture{HoldID: id, Note: in.Body.Note, Actor: c.actor(), Idem: c.idempotency(in.Key)}
	if in.Body.Amount != "" {
		if req.Amount, err = positiveAmount("amount", in.Body.Amount, h.Currency); err != nil {
			return nil, err
		}
	}
	return a.posted(req.Idem, func() (store.Posted, error) { return a.store.CaptureHold(ctx, req) })
}

func (a *API) releaseHold(ctx context.Context, in *HoldIDInput) (*HoldOutput, error) {
	id, err := parseID(in.ID, "hold")
	if err != nil {
		return nil, err
	}
	h, err := a.store.ReleaseHold(ctx, callerOf(ctx).actor(), id)
	return &HoldOutput{Status: http.StatusOK, Body: a.holdJSON(h)}, err
}
