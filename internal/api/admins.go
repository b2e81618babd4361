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

// Administrators: the people who log in. Super admins manage them.

// AdminJSON is an administrator; the password hash never leaves the store.
type AdminJSON struct {
	ID        string    `json:"id" example:"42"`
	Username  string    `json:"username" example:"li.wei"`
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

// AdminsOutput is a page of administrators, oldest first.
type AdminsOutput struct{ Body List[AdminJSON] }

// AdminIDInput names one administrator.
type AdminIDInput struct {
	ID string `path:"id"`
}

// NewAdminInput is a new administrator with their first password.
type NewAdminInput struct {
	Body struct {
		Username string `json:"username" minLength:"1" maxLength:"100" pattern:"^[A-Za-z0-9._@-]+$" example:"li.wei"`
		Name     string `json:"name,omitempty" maxLength:"200"`
		Role     string `json:"role" enum:"super_admin,admin,reviewer"`
		Password string `json:"password" maxLength:"256"`
		Disabled bool   `json:"disabled,omitempty"`
	}
}

// PatchAdminInput changes the fields it gives of one administrator.
type PatchAdminInput struct {
	ID   string `path:"id"`
	Body struct {
		Name     *string `json:"name,omitempty" maxLength:"200"`
		Role     *string `json:"role,omitempty" enum:"super_admin,admin,reviewer"`
		Disabled *bool   `json:"disabled,omitempty"`
		Password *string `json:"password,omitempty" maxLength:"256" doc:"Resets the password and ends the administrator's sessions."`
	}
}

func (a *API) registerAdmins() {
	tags := []string{"admins"}
	register(a, huma.Operation{OperationID: "list-admins", Method: http.MethodGet, Path: "/admins", Tags: tags,
		Summary: "List administrators"}, auth.ActSystem, a.listAdmins)
	register(a, huma.Operation{OperationID: "create-admin", Method: http.MethodPost, Path: "/admins", Tags: tags,
		Summary: "Create an administrator"}, auth.ActSystem, a.createAdmin)
	register(a, huma.Operation{OperationID: "get-admin", Method: http.MethodGet, Path: "/admins/{id}", Tags: tags,
		Summary: "One administrator"}, auth.ActSystem, a.getAdmin)
	register(a, huma.Operation{OperationID: "update-admin", Method: http.MethodPatch, Path: "/admins/{id}", Tags: tags,
		Summary:     "Change an administrator's name, role or password, or disable them",
		Description: "Disabling an administrator ends their sessions and program tokens at once."}, auth.ActSystem, a.updateAdmin)
}

func (a *API) listAdmins(ctx context.Context, in *Page) (*AdminsOutput, error) {
	l, err := pageOfAll(ctx, *in, a.store.Admins, func(ad ledger.Admin) int64 { return ad.ID }, adminJSON)
	return &AdminsOutput{Body: l}, err
}

func (a *API) createAdmin(ctx context.Context, in *NewAdminInput) (*MeOutput, error) {
	hash, err := newPasswordHash("password", in.Body.Password)
	if err != nil {
		return nil, err
	}
	ad, err := a.store.AddAdmin(ctx, callerOf(ctx).actor(), ledger.Admin{Username: in.Body.Username, Name: in.Body.Name,
		Role: ledger.Role(in.Body.Role), PasswordHash: hash, Disabled: in.Body.Disabled})
	return &MeOutput{Body: adminJSON(ad)}, err
}

func (a *API) getAdmin(ctx context.Context, in *AdminIDInput) (*MeOutput, error) {
	ad, err := byID(ctx, in.ID, "administrator", a.store.Admin)
	return &MeOutput{Body: adminJSON(ad)}, err
}

func (a *API) updateAdmin(ctx context.Context, in *PatchAdminInput) (*MeOutput, error) {
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
		hash, err := newPasswordHash("password", *in.Body.Password)
		if err != nil {
			return nil, err
		}
		c.PasswordHash = &hash
	}
	ad, err := a.store.UpdateAdmin(ctx, callerOf(ctx).actor(), id, c)
	return &MeOutput{Body: adminJSON(ad)}, err
}
