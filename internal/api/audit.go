package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/store"
)

// Operation records (SPEC section 2 "Audit"): every change, in a hash chain
// that verify checks (docs/architecture.md, "Operation records").

// AuditJSON is an operation record: who changed what, when, from where, and
// the object before and after.
type AuditJSON struct {
	ID         string          `json:"id" example:"42"`
	CreatedAt  time.Time       `json:"created_at"`
	ActorID    *string         `json:"actor_id"`
	TokenID    *string         `json:"token_id"`
	ActorName  string          `json:"actor_name"`
	Action     string          `json:"action"`
	ObjectType string          `json:"object_type"`
	ObjectID   string          `json:"object_id"`
	Before     json.RawMessage `json:"before" doc:"The object before the change, or null."`
	After      json.RawMessage `json:"after" doc:"The object after the change, or null."`
	ClientAddr string          `json:"client_addr"`
	Hash       string          `json:"hash" doc:"Empty until the record is sealed into the chain (within a second)."`
}

// rawOrNull is a stored JSON object as it is, or null for none.
func rawOrNull(s string) json.RawMessage {
	if s == "" {
		return json.RawMessage("null")
	}
	return json.RawMessage(s)
}

// ListAuditInput finds operation records; its filters combine.
type ListAuditInput struct {
	Page
	ActorID    string `query:"actor_id" doc:"Super admins only; others always see their own records."`
	Action     string `query:"action" doc:"e.g. customer.update, transaction.create, login.failed"`
	ObjectType string `query:"object_type"`
	ObjectID   string `query:"object_id"`
	From       string `query:"from"`
	To         string `query:"to"`
}

// AuditOutput is a page of operation records, newest first.
type AuditOutput struct{ Body List[AuditJSON] }

// VerifyOutput is what a check of the records' hash chain found.
type VerifyOutput struct {
	Body struct {
		OK       bool    `json:"ok"`
		Checked  int     `json:"checked" doc:"Records checked."`
		BrokenAt *string `json:"broken_at" doc:"Id of the first record that does not fit; \"end\" when records were cut from the end."`
		Reason   string  `json:"reason,omitempty"`
	}
}

func (a *API) registerAudit() {
	tags := []string{"audit"}
	register(a, huma.Operation{OperationID: "list-audit", Method: http.MethodGet, Path: "/audit", Tags: tags,
		Summary: "Operation records, newest first", Description: "Admins and reviewers see the records of their own actions; a program token with those roles sees what was done with it."}, auth.ActView,
		a.listAudit)
	register(a, huma.Operation{OperationID: "verify-audit", Method: http.MethodGet, Path: "/audit/verify", Tags: tags,
		Summary: "Check the operation records' hash chain", Description: "Walks every record and reports the first that was changed or removed."}, auth.ActAllRecords,
		a.verifyAudit)
}

func (a *API) listAudit(ctx context.Context, in *ListAuditInput) (*AuditOutput, error) {
	f := store.AuditFilter{Action: in.Action, ObjectType: in.ObjectType, ObjectID: in.ObjectID}
	var err error
	if f.Limit, f.BeforeID, err = in.window(); err != nil {
		return nil, err
	}
	if f.ActorID, err = parseOptID(in.ActorID, "actor_id"); err != nil {
		return nil, err
	}
	if err := ownRecordsOnly(callerOf(ctx), &f); err != nil {
		return nil, err
	}
	if f.From, f.To, err = a.period(ctx, "from", in.From, "to", in.To); err != nil {
		return nil, err
	}
	recs, err := a.store.AuditRecords(ctx, f)
	return &AuditOutput{Body: pageOf(recs, f.Limit, auditJSON, func() int64 { return recs[len(recs)-1].ID })}, err
}

// ownRecordsOnly narrows f to the caller's own records unless their role
// may read everyone's (SPEC section 3); asking for another's is forbidden.
func ownRecordsOnly(c caller, f *store.AuditFilter) error {
	if auth.Can(c.Role(), auth.ActAllRecords) {
		return nil
	}
	if f.ActorID != 0 && f.ActorID != c.Admin.ID {
		return forbidden("you may read the records of your own actions only")
	}
	f.ActorID = c.Admin.ID
	if c.Token.Kind == "program" {
		// A program's own actions are those made with its token,
		// not everything its creator did.
		f.TokenID = c.Token.ID
	}
	return nil
}

func auditJSON(r store.AuditRecord) AuditJSON {
	return AuditJSON{ID: idString(r.ID), CreatedAt: utc(r.CreatedAt), ActorID: optID(r.ActorID),
		TokenID: optID(r.TokenID), ActorName: r.ActorName, Action: r.Action, ObjectType: r.ObjectType, ObjectID: r.ObjectID,
		Before: rawOrNull(r.Before), After: rawOrNull(r.After), ClientAddr: r.ClientAddr, Hash: r.Hash}
}

func (a *API) verifyAudit(ctx context.Context, _ *struct{}) (*VerifyOutput, error) {
	rep, err := a.store.VerifyAudit(ctx)
	if err != nil {
		return nil, err
	}
	out := &VerifyOutput{}
	out.Body.OK, out.Body.Checked, out.Body.Reason = rep.OK, rep.Checked, rep.Reason
	if rep.BrokenAt > 0 {
		out.Body.BrokenAt = optID(rep.BrokenAt)
	} else if rep.BrokenAt < 0 {
		end := "end"
		out.Body.BrokenAt = &end
	}
	return out, nil
}
