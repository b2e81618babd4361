package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/store"
)

// Logging in and out, and the caller's own profile and password. The login
// procedure itself, with its rate limits, is auth.Login's, shared with the
// web UI.

// LoginInput is a username and password.
type LoginInput struct {
	Body struct {
		Username string `json:"username" minLength:"1" maxLength:"100" example:"li.wei"`
		Password string `json:"password" minLength:"1" maxLength:"256"`
	}
}

// LoginOutput is a new session token and the administrator it is for.
type LoginOutput struct {
	Body struct {
		Token     string    `json:"token" doc:"Send as Authorization: Bearer <token>."`
		ExpiresAt time.Time `json:"expires_at"`
		Admin     AdminJSON `json:"admin"`
	}
}

// MeOutput is one administrator: the caller, or the one a super admin asked
// for, created or changed.
type MeOutput struct{ Body AdminJSON }

// PasswordInput changes the caller's own password.
type PasswordInput struct {
	Body struct {
		CurrentPassword string `json:"current_password" maxLength:"256"`
		NewPassword     string `json:"new_password" maxLength:"256"`
	}
}

func (a *API) registerAuth() {
	tags := []string{"auth"}
	registerPublic(a, huma.Operation{OperationID: "login", Method: http.MethodPost, Path: "/auth/login", Tags: tags,
		Summary: "Log in and get a session token", Errors: []int{401, 422, 429}}, a.login)
	register(a, huma.Operation{OperationID: "logout", Method: http.MethodPost, Path: "/auth/logout", Tags: tags,
		Summary: "End the session token used for this request", DefaultStatus: http.StatusNoContent}, auth.ActView, a.logout)
	register(a, huma.Operation{OperationID: "me", Method: http.MethodGet, Path: "/me", Tags: tags,
		Summary: "Your own profile"}, auth.ActView, a.me)
	register(a, huma.Operation{OperationID: "change-password", Method: http.MethodPost, Path: "/me/password", Tags: tags,
		Summary: "Change your own password", Description: "Needs the current password. Ends your other sessions.",
		DefaultStatus: http.StatusNoContent}, auth.ActView, a.changePassword)
}

func (a *API) login(ctx context.Context, in *LoginInput) (*LoginOutput, error) {
	secret, tok, admin, err := auth.Login(ctx, a.store, a.log, a.now(), in.Body.Username, in.Body.Password, callerOf(ctx).addr)
	if err != nil {
		return nil, err
	}
	out := &LoginOutput{}
	out.Body.Token, out.Body.ExpiresAt, out.Body.Admin = secret, utc(*tok.ExpiresAt), adminJSON(admin)
	return out, nil
}

func (a *API) logout(ctx context.Context, _ *struct{}) (*struct{}, error) {
	c := callerOf(ctx)
	if c.Token.Kind != "session" {
		return nil, forbidden("a program token is revoked with DELETE /api/v1/tokens/{id}")
	}
	return nil, a.store.RevokeToken(ctx, c.actor(), c.Token.ID, "session")
}

func (a *API) me(ctx context.Context, _ *struct{}) (*MeOutput, error) {
	return &MeOutput{Body: adminJSON(callerOf(ctx).Admin)}, nil
}

func (a *API) changePassword(ctx context.Context, in *PasswordInput) (*struct{}, error) {
	c := callerOf(ctx)
	if c.Token.Kind != "session" {
		return nil, forbidden("a program token has no password")
	}
	if auth.CheckPassword(c.Admin.PasswordHash, in.Body.CurrentPassword) != nil {
		return nil, invalid("current_password", "is not your current password")
	}
	hash, err := newPasswordHash("new_password", in.Body.NewPassword)
	if err != nil {
		return nil, err
	}
	_, err = a.store.UpdateAdmin(ctx, c.actor(), c.Admin.ID, store.AdminChange{PasswordHash: &hash})
	return nil, err
}

// newPasswordHash checks a new password against the password rules, a
// problem of field when it breaks one, and hashes it.
func newPasswordHash(field, password string) (string, error) {
	if err := auth.ValidatePassword(password); err != nil {
		return "", invalid(field, err.Error())
	}
	return auth.HashPassword(password)
}
