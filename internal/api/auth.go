package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"coffer/internal/auth"
	"coffer/internal/ledger"
	"coffer/internal/store"
)

type AdminJSON struct {
	ID        string    `json:"id"`
	Username  string    `json:"username"`
	Name      string    `json:"name"`
	Role      string    `json:"role" enum:"super_admin,admin,reviewer"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func adminJSON(a ledger.Admin) AdminJSON {
	return AdminJSON{ID: idString(a.ID), Username: a.Username, Name: a.Name, Role: string(a.Role), Disabled: a.Disabled,
		CreatedAt: utc(a.CreatedAt), UpdatedAt: utc(a.UpdatedAt)}
}

type LoginInput struct {
	Body struct {
		Username string `json:"username" minLength:"1" maxLength:"100"`
		Password string `json:"password" minLength:"1" maxLength:"256"`
	}
}

type LoginOutput struct {
	Body struct {
		Token     string    `json:"token" doc:"Send as Authorization: Bearer <token>."`
		ExpiresAt time.Time `json:"expires_at"`
		Admin     AdminJSON `json:"admin"`
	}
}

type MeOutput struct{ Body AdminJSON }

type PasswordInput struct {
	Body struct {
		CurrentPassword string `json:"current_password" maxLength:"256"`
		NewPassword     string `json:"new_password" maxLength:"256"`
	}
}

type AdminsOutput struct{ Body List[AdminJSON] }

type AdminIDInput struct {
	ID string `path:"id"`
}

type NewAdminInput struct {
	Body struct {
		Username string `json:"username" minLength:"1" maxLength:"100" pattern:"^[A-Za-z0-9._@-]+$"`
		Name     string `json:"name,omitempty" maxLength:"200"`
		Role     string `json:"role" enum:"super_admin,admin,reviewer"`
		Password string `json:"password" maxLength:"256"`
		Disabled bool   `json:"disabled,omitempty"`
	}
}

type PatchAdminInput struct {
	ID   string `path:"id"`
	Body struct {
		Name     *string `json:"name,omitempty" maxLength:"200"`
		Role     *string `json:"role,omitempty" enum:"super_admin,admin,reviewer"`
		Disabled *bool   `json:"disabled,omitempty"`
		Password *string `json:"password,omitempty" maxLength:"256" doc:"Resets the password and ends the administrator's sessions."`
	}
}

type TokenJSON struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at"`
}

func tokenJSON(t store.Token) TokenJSON {
	return TokenJSON{ID: idString(t.ID), Name: t.Name, Role: string(t.Role), CreatedBy: idString(t.AdminID),
		CreatedAt: utc(t.CreatedAt), ExpiresAt: optTime(t.ExpiresAt), RevokedAt: optTime(t.RevokedAt)}
}

type TokensOutput struct{ Body List[TokenJSON] }

type NewTokenInput struct {
	Body struct {
		Name      string     `json:"name" minLength:"1" maxLength:"100"`
		Role      string     `json:"role" enum:"super_admin,admin,reviewer"`
		ExpiresAt *time.Time `json:"expires_at,omitempty" doc:"Omit for a token that does not expire."`
	}
}

type NewTokenOutput struct {
	Body struct {
		TokenJSON
		Token string `json:"token" doc:"The secret, shown this once only."`
	}
}

type TokenIDInput struct {
	ID string `path:"id"`
}

func (a *API) registerAuth() {
	huma.Register(a.huma, huma.Operation{
		OperationID: "login", Method: http.MethodPost, Path: prefix + "/auth/login", Tags: []string{"auth"},
		Summary:  "Log in and get a session token",
		Security: []map[string][]string{}, Metadata: map[string]any{metaPublic: true},
		Errors: []int{401, 422, 429},
	}, func(ctx context.Context, in *LoginInput) (*LoginOutput, error) {
		out, err := a.login(ctx, in)
		if err != nil {
			return nil, a.problem(ctx, err)
		}
		return out, nil
	})

	register(a, huma.Operation{OperationID: "logout", Method: http.MethodPost, Path: "/auth/logout", Tags: []string{"auth"},
		Summary: "End the session token used for this request", DefaultStatus: http.StatusNoContent}, auth.ActView,
		func(ctx context.Context, _ *struct{}) (*struct{}, error) {
			c := callerOf(ctx)
			if c.Token.Kind != "session" {
				return nil, forbidden("a program token is revoked with DELETE /api/v1/tokens/{id}")
			}
			return nil, a.store.RevokeToken(ctx, c.actor(), c.Token.ID, "session")
		})

	register(a, huma.Operation{OperationID: "me", Method: http.MethodGet, Path: "/me", Tags: []string{"auth"},
		Summary: "Your own profile"}, auth.ActView,
		func(ctx context.Context, _ *struct{}) (*MeOutput, error) {
			return &MeOutput{Body: adminJSON(callerOf(ctx).Admin)}, nil
		})

	register(a, huma.Operation{OperationID: "change-password", Method: http.MethodPost, Path: "/me/password", Tags: []string{"auth"},
		Summary: "Change your own password", Description: "Needs the current password. Ends your other sessions.",
		DefaultStatus: http.StatusNoContent}, auth.ActView,
		func(ctx context.Context, in *PasswordInput) (*struct{}, error) {
			c := callerOf(ctx)
			if c.Token.Kind != "session" {
				return nil, forbidden("a program token has no password")
			}
			if auth.CheckPassword(c.Admin.PasswordHash, in.Body.CurrentPassword) != nil {
				return nil, invalid("current_password", "is not your current password")
			}
			if err := auth.ValidatePassword(in.Body.NewPassword); err != nil {
				return nil, invalid("new_password", err.Error())
			}
			hash, err := auth.HashPassword(in.Body.NewPassword)
			if err != nil {
				return nil, err
			}
			_, err = a.store.UpdateAdmin(ctx, c.actor(), c.Admin.ID, store.AdminChange{PasswordHash: &hash})
			return nil, err
		})

	register(a, huma.Operation{OperationID: "list-admins", Method: http.MethodGet, Path: "/admins", Tags: []string{"admins"},
		Summary: "List administrators"}, auth.ActSystem,
		func(ctx context.Context, in *Page) (*AdminsOutput, error) {
			admins, err := a.store.Admins(ctx)
			if err != nil {
				return nil, err
			}
			l, err := pageOfAll(admins, *in, func(ad ledger.Admin) int64 { return ad.ID }, adminJSON)
			return &AdminsOutput{Body: l}, err
		})

	register(a, huma.Operation{OperationID: "create-admin", Method: http.MethodPost, Path: "/admins", Tags: []string{"admins"},
		Summary: "Create an administrator"}, auth.ActSystem,
		func(ctx context.Context, in *NewAdminInput) (*MeOutput, error) {
			if err := auth.ValidatePassword(in.Body.Password); err != nil {
				return nil, invalid("password", err.Error())
			}
			hash, err := auth.HashPassword(in.Body.Password)
			if err != nil {
				return nil, err
			}
			ad, err := a.store.AddAdmin(ctx, callerOf(ctx).actor(), ledger.Admin{Username: in.Body.Username, Name: in.Body.Name,
				Role: ledger.Role(in.Body.Role), PasswordHash: hash, Disabled: in.Body.Disabled})
			return &MeOutput{Body: adminJSON(ad)}, err
		})

	register(a, huma.Operation{OperationID: "get-admin", Method: http.MethodGet, Path: "/admins/{id}", Tags: []string{"admins"},
		Summary: "One administrator"}, auth.ActSystem,
		func(ctx context.Context, in *AdminIDInput) (*MeOutput, error) {
			id, err := parseID(in.ID, "administrator")
			if err != nil {
				return nil, err
			}
			ad, err := a.store.Admin(ctx, id)
			return &MeOutput{Body: adminJSON(ad)}, err
		})

	register(a, huma.Operation{OperationID: "update-admin", Method: http.MethodPatch, Path: "/admins/{id}", Tags: []string{"admins"},
		Summary:     "Change an administrator's name, role or password, or disable them",
		Description: "Disabling an administrator ends their sessions and program tokens at once."}, auth.ActSystem,
		func(ctx context.Context, in *PatchAdminInput) (*MeOutput, error) {
			id, err := parseID(in.ID, "administrator")
			if err != nil {
				return nil, err
			}
			c := store.AdminChange{Name: in.Body.Name, Disabled: in.Body.Disabled}
			if in.Body.Role != nil {
				r := ledger.Role(*in.Body.Role)
				c.Role = &r
			}
			if in.Body.Password != nil {
				if err := auth.ValidatePassword(*in.Body.Password); err != nil {
					return nil, invalid("password", err.Error())
				}
				hash, err := auth.HashPassword(*in.Body.Password)
				if err != nil {
					return nil, err
				}
				c.PasswordHash = &hash
			}
			ad, err := a.store.UpdateAdmin(ctx, callerOf(ctx).actor(), id, c)
			return &MeOutput{Body: adminJSON(ad)}, err
		})

	register(a, huma.Operation{OperationID: "list-tokens", Method: http.MethodGet, Path: "/tokens", Tags: []string{"tokens"},
		Summary: "List program tokens"}, auth.ActSystem,
		func(ctx context.Context, in *Page) (*TokensOutput, error) {
			toks, err := a.store.ProgramTokens(ctx)
			if err != nil {
				return nil, err
			}
			l, err := pageOfAll(toks, *in, func(t store.Token) int64 { return t.ID }, tokenJSON)
			return &TokensOutput{Body: l}, err
		})

	register(a, huma.Operation{OperationID: "create-token", Method: http.MethodPost, Path: "/tokens", Tags: []string{"tokens"},
		Summary: "Create a program token", Description: "The secret is in the answer once; only its hash is stored. " +
			"The token stops working when it expires, is revoked, or its creator is disabled."}, auth.ActSystem,
		func(ctx context.Context, in *NewTokenInput) (*NewTokenOutput, error) {
			secret, t, err := a.store.CreateProgramToken(ctx, callerOf(ctx).actor(), in.Body.Name, ledger.Role(in.Body.Role), in.Body.ExpiresAt)
			if err != nil {
				return nil, err
			}
			out := &NewTokenOutput{}
			out.Body.TokenJSON, out.Body.Token = tokenJSON(t), secret
			return out, nil
		})

	register(a, huma.Operation{OperationID: "revoke-token", Method: http.MethodDelete, Path: "/tokens/{id}", Tags: []string{"tokens"},
		Summary: "Revoke a program token", DefaultStatus: http.StatusNoContent}, auth.ActSystem,
		func(ctx context.Context, in *TokenIDInput) (*struct{}, error) {
			id, err := parseID(in.ID, "token")
			if err != nil {
				return nil, err
			}
			return nil, a.store.RevokeToken(ctx, callerOf(ctx).actor(), id, "program")
		})
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
