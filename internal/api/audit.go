package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"coffer/internal/auth"
	"coffer/internal/money"
	"coffer/internal/store"
)

type AuditJSON struct {
	ID         string          `json:"id"`
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

func rawOrNull(s string) json.RawMessage {
	if s == "" {
		return json.RawMessage("null")
	}
	return json.RawMessage(s)
}

type ListAuditInput struct {
	Page
	ActorID    string `query:"actor_id" doc:"Super admins only; others always see their own records."`
	Action     string `query:"action" doc:"e.g. customer.update, transaction.create, login.failed"`
	ObjectType string `query:"object_type"`
	ObjectID   string `query:"object_id"`
	From       string `query:"from"`
	To         string `query:"to"`
}

type AuditOutput struct{ Body List[AuditJSON] }

type VerifyOutput struct {
	Body struct {
		OK       bool    `json:"ok"`
		Checked  int     `json:"checked" doc:"Records checked."`
		BrokenAt *string `json:"broken_at" doc:"Id of the first record that does not fit; \"end\" when records were cut from the end."`
		Reason   string  `json:"reason,omitempty"`
	}
}

type SettingsJSON struct {
	RetentionDays      int               `json:"retention_days" doc:"Days operation records and entry details are kept (default 183)."`
	DefaultCreditLimit map[string]string `json:"default_credit_limit" doc:"Credit limit a new account starts with, per currency."`
	DirectTopUp        bool              `json:"direct_topup" doc:"Super admins may post top-ups without review."`
	Timezone           string            `json:"timezone" doc:"Business time zone for dates in filters and reports."`
}

func settingsJSON(s store.Settings) SettingsJSON {
	j := SettingsJSON{RetentionDays: s.RetentionDays, DirectTopUp: s.DirectTopUp, Timezone: s.Timezone, DefaultCreditLimit: map[string]string{}}
	for code, v := range s.DefaultCreditLimit {
		if cur, err := money.LookupCurrency(code); err == nil {
			j.DefaultCreditLimit[code] = fmtAmount(v, cur)
		}
	}
	return j
}

type SettingsOutput struct{ Body SettingsJSON }

type PatchSettingsInput struct {
	Body struct {
		RetentionDays      *int              `json:"retention_days,omitempty"`
		DefaultCreditLimit map[string]string `json:"default_credit_limit,omitempty" doc:"Currencies given are set; others keep their value."`
		DirectTopUp        *bool             `json:"direct_topup,omitempty"`
		Timezone           *string           `json:"timezone,omitempty"`
	}
}

func (a *API) registerAudit() {
	register(a, huma.Operation{OperationID: "list-audit", Method: http.MethodGet, Path: "/audit", Tags: []string{"audit"},
		Summary: "Operation records, newest first", Description: "Admins and reviewers see the records of their own actions; a program token with those roles sees what was done with it."}, auth.ActView,
		func(ctx context.Context, in *ListAuditInput) (*AuditOutput, error) {
			c := callerOf(ctx)
			f := store.AuditFilter{Action: in.Action, ObjectType: in.ObjectType, ObjectID: in.ObjectID}
			var err error
			if f.Limit, err = in.limit(); err != nil {
				return nil, err
			}
			if f.BeforeID, err = idCursor(in.Cursor); err != nil {
				return nil, err
			}
			if f.ActorID, err = parseOptID(in.ActorID, "actor_id"); err != nil {
				return nil, err
			}
			if !auth.Can(c.Role(), auth.ActAllRecords) {
				if f.ActorID != 0 && f.ActorID != c.Admin.ID {
					return nil, forbidden("you may read the records of your own actions only")
				}
				f.ActorID = c.Admin.ID
				if c.Token.Kind == "program" {
					// A program's own actions are those made with its token,
					// not everything its creator did.
					f.TokenID = c.Token.ID
				}
			}
			if f.From, f.To, err = a.period(ctx, "from", in.From, "to", in.To); err != nil {
				return nil, err
			}
			recs, err := a.store.AuditRecords(ctx, f)
			if err != nil {
				return nil, err
			}
			out := &AuditOutput{}
			out.Body.Items = []AuditJSON{}
			for _, r := range recs {
				out.Body.Items = append(out.Body.Items, AuditJSON{ID: idString(r.ID), CreatedAt: utc(r.CreatedAt), ActorID: optID(r.ActorID),
					TokenID: optID(r.TokenID), ActorName: r.ActorName, Action: r.Action, ObjectType: r.ObjectType, ObjectID: r.ObjectID,
					Before: rawOrNull(r.Before), After: rawOrNull(r.After), ClientAddr: r.ClientAddr, Hash: r.Hash})
			}
			if len(recs) > 0 {
				out.Body.NextCursor = nextIDCursor(len(recs), f.Limit, recs[len(recs)-1].ID)
			}
			return out, nil
		})

	register(a, huma.Operation{OperationID: "verify-audit", Method: http.MethodGet, Path: "/audit/verify", Tags: []string{"audit"},
		Summary: "Check the operation records' hash chain", Description: "Walks every record and reports the first that was changed or removed."}, auth.ActAllRecords,
		func(ctx context.Context, _ *struct{}) (*VerifyOutput, error) {
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
		})

	register(a, huma.Operation{OperationID: "get-settings", Method: http.MethodGet, Path: "/settings", Tags: []string{"settings"},
		Summary: "System settings"}, auth.ActSystem,
		func(ctx context.Context, _ *struct{}) (*SettingsOutput, error) {
			s, err := a.store.Settings(ctx)
			return &SettingsOutput{Body: settingsJSON(s)}, err
		})

	register(a, huma.Operation{OperationID: "update-settings", Method: http.MethodPatch, Path: "/settings", Tags: []string{"settings"},
		Summary: "Change system settings"}, auth.ActSystem,
		func(ctx context.Context, in *PatchSettingsInput) (*SettingsOutput, error) {
			b := in.Body
			s, err := a.store.UpdateSettings(ctx, callerOf(ctx).actor(), func(s *store.Settings) error {
				if b.RetentionDays != nil {
					s.RetentionDays = *b.RetentionDays
				}
				if b.DirectTopUp != nil {
					s.DirectTopUp = *b.DirectTopUp
				}
				if b.Timezone != nil {
					s.Timezone = *b.Timezone
				}
				for code, v := range b.DefaultCreditLimit {
					cur, err := currency("default_credit_limit."+code, code)
					if err != nil {
						return err
					}
					minor, err := limitAmount("default_credit_limit."+code, v, cur)
					if err != nil {
						return err
					}
					s.DefaultCreditLimit[code] = minor
				}
				return nil
			})
			return &SettingsOutput{Body: settingsJSON(s)}, err
		})
}
