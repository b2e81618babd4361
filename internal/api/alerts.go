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

// Low-balance alerts and batch changes of alert amounts with undo.

// AlertJSON is a low-balance alert of an account.
type AlertJSON struct {
	ID                   string     `json:"id" example:"42"`
	AccountID            string     `json:"account_id" example:"7"`
	CustomerID           string     `json:"customer_id" example:"3"`
	Currency             string     `json:"currency" example:"CNY"`
	Balance              string     `json:"balance" doc:"The balance after the posting that raised the alert." example:"120.00"`
	AlertAmount          string     `json:"alert_amount" doc:"The account's alert amount when the alert was raised." example:"50.00"`
	TransactionID        string     `json:"transaction_id" doc:"The posting that took the balance below the alert amount." example:"1024"`
	RaisedAt             time.Time  `json:"raised_at"`
	Active               bool       `json:"active" doc:"True until a posting brings the balance back to at least the alert amount."`
	ClearedAt            *time.Time `json:"cleared_at"`
	ClearedTransactionID *string    `json:"cleared_transaction_id" doc:"The posting that brought the balance back."`
}

func alertJSON(a store.Alert) AlertJSON {
	return AlertJSON{ID: idString(a.ID), AccountID: idString(a.AccountID), CustomerID: idString(a.CustomerID), Currency: a.Currency.Code(),
		Balance: fmtAmount(a.Balance, a.Currency), AlertAmount: fmtAmount(a.AlertAmount, a.Currency), TransactionID: idString(a.TransactionID),
		RaisedAt: utc(a.RaisedAt), Active: a.Active(), ClearedAt: optTime(a.ClearedAt), ClearedTransactionID: optID(a.ClearedTransactionID)}
}

// ListAlertsInput finds alerts; its filters combine.
type ListAlertsInput struct {
	Page
	AccountID string `query:"account_id"`
	Currency  string `query:"currency"`
	Active    string `query:"active" enum:"true,false," doc:"true: open alerts only; false: cleared ones only."`
	From      string `query:"from" doc:"Raised from: date (business time zone) or RFC 3339 time."`
	To        string `query:"to" doc:"Raised until: date (inclusive) or RFC 3339 time."`
}

// AlertsOutput is a page of alerts, newest first.
type AlertsOutput struct{ Body List[AlertJSON] }

// AlertBatchJSON is a batch change of alert amounts.
type AlertBatchJSON struct {
	ID          string     `json:"id" example:"42"`
	Scope       string     `json:"scope" enum:"accounts,currency,all"`
	Currency    *string    `json:"currency" doc:"For the currency scope." example:"CNY"`
	AlertAmount string     `json:"alert_amount" doc:"As given; read in each account's currency." example:"50.00"`
	Matched     int64      `json:"matched" doc:"Accounts in the scope."`
	Changed     int64      `json:"changed" doc:"Accounts whose alert amount the batch changed (the others had it already)."`
	CreatedBy   *string    `json:"created_by" example:"2"`
	CreatedAt   time.Time  `json:"created_at"`
	UndoneAt    *time.Time `json:"undone_at"`
	UndoneBy    *string    `json:"undone_by"`
}

func alertBatchJSON(b store.AlertBatch) AlertBatchJSON {
	j := AlertBatchJSON{ID: idString(b.ID), Scope: b.Scope, AlertAmount: b.AlertAmount, Matched: b.Matched, Changed: b.Changed,
		CreatedBy: optID(b.CreatedBy), CreatedAt: utc(b.CreatedAt), UndoneAt: optTime(b.UndoneAt), UndoneBy: optID(b.UndoneBy)}
	if b.Currency != "" {
		c := b.Currency
		j.Currency = &c
	}
	return j
}

// AlertBatchOutput is one batch, after a change or a repeat of one
// (Idempotent-Replayed).
type AlertBatchOutput struct {
	Status   int
	Replayed string `header:"Idempotent-Replayed" doc:"true when this answer repeats the first one for the Idempotency-Key."`
	Body     AlertBatchJSON
}

// alertBatchOut answers with the batch a change left, status as the
// operation gives it.
func alertBatchOut(r store.AlertBatchResult, status int) *AlertBatchOutput {
	out := &AlertBatchOutput{Status: status, Body: alertBatchJSON(r.Batch)}
	if r.Replayed {
		out.Replayed = "true"
	}
	return out
}

// CreateAlertBatchInput sets the alert amount of the accounts in one scope.
type CreateAlertBatchInput struct {
	IdempotencyHeader
	Body struct {
		AlertAmount string   `json:"alert_amount" doc:"Decimal string in the major unit, read in each account's currency; more decimals than a currency in scope allows are refused." example:"50.00"`
		AccountIDs  []string `json:"account_ids,omitempty" maxItems:"100000" doc:"The chosen accounts. Give exactly one of account_ids, currency and all."`
		Currency    string   `json:"currency,omitempty" doc:"Every customer account in this currency." example:"CNY"`
		All         bool     `json:"all,omitempty" doc:"Every customer account, in every currency."`
	}
}

// AlertBatchIDInput names one batch.
type AlertBatchIDInput struct {
	ID string `path:"id"`
}

// UndoAlertBatchInput names the batch to undo.
type UndoAlertBatchInput struct {
	IdempotencyHeader
	ID string `path:"id"`
}

// ListAlertBatchesInput is a page of the batches.
type ListAlertBatchesInput struct {
	Page
}

// AlertBatchesOutput is a page of batches, newest first.
type AlertBatchesOutput struct{ Body List[AlertBatchJSON] }

// AlertBatchItemJSON is one account a batch changed.
type AlertBatchItemJSON struct {
	AccountID string `json:"account_id" example:"7"`
	Currency  string `json:"currency" example:"CNY"`
	Before    string `json:"before" doc:"The alert amount the batch replaced."`
	After     string `json:"after" doc:"The alert amount the batch set."`
}

// AlertBatchItemsInput names the batch whose accounts to list.
type AlertBatchItemsInput struct {
	ID string `path:"id"`
	Page
}

// AlertBatchItemsOutput is a page of the accounts a batch changed, by
// account id.
type AlertBatchItemsOutput struct{ Body List[AlertBatchItemJSON] }

func (a *API) registerAlerts() {
	tags := []string{"alerts"}
	register(a, huma.Operation{OperationID: "list-alerts", Method: http.MethodGet, Path: "/alerts", Tags: tags,
		Summary: "Low-balance alerts, newest first",
		Description: "An alert is raised by the posting that takes a balance below the account's alert amount (one per crossing, " +
			"not one per debit) and cleared by the posting that brings it back. Accept: text/csv exports them."}, auth.ActView, a.listAlerts)
	register(a, huma.Operation{OperationID: "create-alert-batch", Method: http.MethodPost, Path: "/alert-batches", Tags: tags,
		Summary: "Set the alert amount of many accounts at once",
		Description: "For the chosen account_ids, for every customer account in one currency, or for all (exactly one). " +
			"The batch keeps the values it replaced and can be undone as a whole. changed counts the accounts whose value changed.",
		Errors: []int{422}, MaxBodyBytes: 3 << 20}, auth.ActOperate, a.createAlertBatch)
	register(a, huma.Operation{OperationID: "undo-alert-batch", Method: http.MethodPost, Path: "/alert-batches/{id}/undo", Tags: tags,
		Summary: "Undo a batch: restore the alert amounts it replaced",
		Description: "All or nothing: if any of the batch's accounts has had its alert amount changed since, nothing changes (undo_conflict). " +
			"A batch is undone once (already_undone).",
		DefaultStatus: http.StatusOK, Errors: []int{404, 409}}, auth.ActOperate, a.undoAlertBatch)
	register(a, huma.Operation{OperationID: "list-alert-batches", Method: http.MethodGet, Path: "/alert-batches", Tags: tags,
		Summary: "Batch changes of alert amounts, newest first"}, auth.ActView, a.listAlertBatches)
	register(a, huma.Operation{OperationID: "get-alert-batch", Method: http.MethodGet, Path: "/alert-batches/{id}", Tags: tags,
		Summary: "One batch change of alert amounts"}, auth.ActView, a.getAlertBatch)
	register(a, huma.Operation{OperationID: "list-alert-batch-items", Method: http.MethodGet, Path: "/alert-batches/{id}/items", Tags: tags,
		Summary:     "The accounts a batch changed, with the alert amount before and after",
		Description: "By account id. Accept: text/csv exports them, to check the changes later."}, auth.ActView, a.listAlertBatchItems)
}

func (a *API) listAlerts(ctx context.Context, in *ListAlertsInput) (*AlertsOutput, error) {
	var f store.AlertFilter
	var err error
	if f.Limit, f.BeforeID, err = in.window(); err != nil {
		return nil, err
	}
	if f.AccountID, err = parseOptID(in.AccountID, "account_id"); err != nil {
		return nil, err
	}
	if in.Currency != "" {
		if _, err := currency("currency", in.Currency); err != nil {
			return nil, err
		}
		f.Currency = in.Currency
	}
	if in.Active != "" {
		v := in.Active == "true"
		f.Active = &v
	}
	if f.From, f.To, err = a.period(ctx, "from", in.From, "to", in.To); err != nil {
		return nil, err
	}
	alerts, err := a.store.Alerts(ctx, f)
	return &AlertsOutput{Body: pageOf(alerts, f.Limit, alertJSON, func() int64 { return alerts[len(alerts)-1].ID })}, err
}

func (a *API) createAlertBatch(ctx context.Context, in *CreateAlertBatchInput) (*AlertBatchOutput, error) {
	c := callerOf(ctx)
	b := in.Body
	r := ledger.AlertBatchRequest{AlertAmount: b.AlertAmount, Currency: b.Currency, All: b.All}
	for _, s := range b.AccountIDs {
		id, err := parseOptID(s, "account_ids")
		if err != nil || id == 0 {
			return nil, invalid("account_ids", "holds "+quoteShort(s)+", which is not an account id")
		}
		r.AccountIDs = append(r.AccountIDs, id)
	}
	res, err := a.store.CreateAlertBatch(ctx, c.actor(), r, c.idempotency(in.Key))
	if err != nil {
		return nil, err
	}
	return alertBatchOut(res, http.StatusCreated), nil
}

func (a *API) undoAlertBatch(ctx context.Context, in *UndoAlertBatchInput) (*AlertBatchOutput, error) {
	c := callerOf(ctx)
	id, err := parseID(in.ID, "alert batch")
	if err != nil {
		return nil, err
	}
	res, err := a.store.UndoAlertBatch(ctx, c.actor(), id, c.idempotency(in.Key))
	if err != nil {
		return nil, err
	}
	return alertBatchOut(res, http.StatusOK), nil
}

func (a *API) listAlertBatches(ctx context.Context, in *ListAlertBatchesInput) (*AlertBatchesOutput, error) {
	l, err := pageBefore(ctx, in.Page, a.store.AlertBatches, func(b store.AlertBatch) int64 { return b.ID }, alertBatchJSON)
	return &AlertBatchesOutput{Body: l}, err
}

func (a *API) getAlertBatch(ctx context.Context, in *AlertBatchIDInput) (*AlertBatchOutput, error) {
	b, err := byID(ctx, in.ID, "alert batch", a.store.AlertBatch)
	return &AlertBatchOutput{Status: http.StatusOK, Body: alertBatchJSON(b)}, err
}

func (a *API) listAlertBatchItems(ctx context.Context, in *AlertBatchItemsInput) (*AlertBatchItemsOutput, error) {
	id, err := parseID(in.ID, "alert batch")
	if err != nil {
		return nil, err
	}
	limit, after, err := in.window()
	if err != nil {
		return nil, err
	}
	if _, err := a.store.AlertBatch(ctx, id); err != nil {
		return nil, err
	}
	items, err := a.store.AlertBatchItems(ctx, id, after, limit)
	if err != nil {
		return nil, err
	}
	// The items are by account id, so that is what the cursor holds.
	return &AlertBatchItemsOutput{Body: pageOf(items, limit, alertBatchItemJSON, func() int64 { return items[len(items)-1].AccountID })}, nil
}

func alertBatchItemJSON(it store.AlertBatchItem) AlertBatchItemJSON {
	return AlertBatchItemJSON{AccountID: idString(it.AccountID), Currency: it.Currency.Code(),
		Before: fmtAmount(it.OldAmount, it.Currency), After: fmtAmount(it.NewAmount, it.Currency)}
}

// quoteShort quotes a value for an error message, cut to a readable length.
func quoteShort(s string) string {
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return `"` + s + `"`
}
