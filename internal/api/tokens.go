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

// Program tokens: bearer tokens for other systems, with a role of their
// own. Super admins manage them.

// TokenJSON is a program token without its secret.
type TokenJSON struct {
	ID        string     `json:"id" example:"42"`
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	CreatedBy string     `json:"created_by" example:"2"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at"`
}

func tokenJSON(t store.Token) TokenJSON {
	return TokenJSON{ID: idString(t.ID), Name: t.Name, Role: string(t.Role), CreatedBy: idString(t.AdminID),
		CreatedAt: utc(t.CreatedAt), ExpiresAt: optTime(t.ExpiresAt), RevokedAt: optTime(t.RevokedAt)}
}

// TokensOutput is a page of program tokens, oldest first.
type TokensOutput struct{ Body List[TokenJSON] }

// NewTokenInput is a new program token's name, role and expiry.
type NewTokenInput struct {
	Body struct {
		Name      string     `json:"name" minLength:"1" maxLength:"100"`
		Role      string     `json:"role" enum:"super_admin,admin,reviewer"`
		ExpiresAt *time.Time `json:"expires_at,omitempty" doc:"Omit for a token that does not expire."`
	}
}

// NewTokenOutput is a new program token with its secret, which no later
// answer shows.
type NewTokenOutput struct {
	Body struct {
		TokenJSON
		Token string `json:"token" doc:"The secret, shown this once only."`
	}
}

// TokenIDInput names one program token.
type TokenIDInput struct {
	ID string `path:"id"`
}

func (a *API) registerTokens() {
	tags := []string{"tokens"}
	register(a, huma.Operation{OperationID: "list-tokens", Method: http.MethodGet, Path: "/tokens", Tags: tags,
		Summary: "List program tokens"}, auth.ActSystem, a.listTokens)
	register(a, huma.Operation{OperationID: "create-token", Method: http.MethodPost, Path: "/tokens", Tags: tags,
		Summary: "Create a program token", Description: "The secret is in the answer once; only its hash is stored. " +
			"The token stops working when it expires, is revoked, or its creator is disabled."}, auth.ActSystem, a.createToken)
	register(a, huma.Operation{OperationID: "revoke-token", Method: http.MethodDelete, Path: "/tokens/{id}", Tags: tags,
		Summary: "Revoke a program token", DefaultStatus: http.StatusNoContent}, auth.ActSystem, a.revokeToken)
}

func (a *API) listTokens(ctx context.Context, in *Page) (*TokensOutput, error) {
	l, err := pageOfAll(ctx, *in, a.store.ProgramTokens, func(t store.Token) int64 { return t.ID }, tokenJSON)
	return &TokensOutput{Body: l}, err
}

func (a *API) createToken(ctx context.Context, in *NewTokenInput) (*NewTokenOutput, error) {
	secret, t, err := a.store.CreateProgramToken(ctx, callerOf(ctx).actor(), in.Body.Name, ledger.Role(in.Body.Role), in.Body.ExpiresAt)
	if err != nil {
		return nil, err
	}
	out := &NewTokenOutput{}
	out.Body.TokenJSON, out.Body.Token = tokenJSON(t), secret
	return out, nil
}

func (a *API) revokeToken(ctx context.Context, in *TokenIDInput) (*struct{}, error) {
	id, err := parseID(in.ID, "token")
	if err != nil {
		return nil, err
	}
	return nil, a.store.RevokeToken(ctx, callerOf(ctx).actor(), id, "program")
}
