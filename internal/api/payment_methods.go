package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/store"
)

// Payment methods: what a top-up request says the customer paid with.

// PaymentMethodJSON is a way customers pay (a bank account, a wallet): each
// has a funding account of its own in the ledger.
type PaymentMethodJSON struct {
	ID      string `json:"id" example:"42"`
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
}

// PaymentMethodsOutput is a page of payment methods, oldest first.
type PaymentMethodsOutput struct{ Body List[PaymentMethodJSON] }

// PaymentMethodOutput is one payment method.
type PaymentMethodOutput struct{ Body PaymentMethodJSON }

// NewPaymentMethodInput adds a payment method.
type NewPaymentMethodInput struct {
	Body struct {
		Name    string `json:"name"`
		Enabled *bool  `json:"enabled,omitempty" doc:"Default true."`
	}
}

// PatchPaymentMethodInput renames, enables or disables a payment method.
type PatchPaymentMethodInput struct {
	ID   string `path:"id"`
	Body struct {
		Name    *string `json:"name,omitempty"`
		Enabled *bool   `json:"enabled,omitempty"`
	}
}

func methodJSON(m store.PaymentMethod) PaymentMethodJSON {
	return PaymentMethodJSON{ID: idString(m.ID), Name: m.Name, Enabled: m.Enabled}
}

func (a *API) registerPaymentMethods() {
	tags := []string{"top-ups"}
	register(a, huma.Operation{OperationID: "list-payment-methods", Method: http.MethodGet, Path: "/payment-methods", Tags: tags,
		Summary: "Payment methods, disabled ones too"}, auth.ActView, a.listPaymentMethods)
	register(a, huma.Operation{OperationID: "create-payment-method", Method: http.MethodPost, Path: "/payment-methods", Tags: tags,
		Summary: "Add a payment method"}, auth.ActSystem, a.createPaymentMethod)
	register(a, huma.Operation{OperationID: "update-payment-method", Method: http.MethodPatch, Path: "/payment-methods/{id}", Tags: tags,
		Summary: "Rename, enable or disable a payment method", Description: "A disabled method cannot be chosen for new requests; requests that chose it keep it."}, auth.ActSystem,
		a.updatePaymentMethod)
}

func (a *API) listPaymentMethods(ctx context.Context, in *Page) (*PaymentMethodsOutput, error) {
	l, err := pageOfAll(ctx, *in, a.store.PaymentMethods, func(m store.PaymentMethod) int64 { return m.ID }, methodJSON)
	return &PaymentMethodsOutput{Body: l}, err
}

func (a *API) createPaymentMethod(ctx context.Context, in *NewPaymentMethodInput) (*PaymentMethodOutput, error) {
	enabled := in.Body.Enabled == nil || *in.Body.Enabled
	m, err := a.store.AddPaymentMethod(ctx, callerOf(ctx).actor(), in.Body.Name, enabled)
	return &PaymentMethodOutput{Body: methodJSON(m)}, err
}

func (a *API) updatePaymentMethod(ctx context.Context, in *PatchPaymentMethodInput) (*PaymentMethodOutput, error) {
	id, err := parseID(in.ID, "payment method")
	if err != nil {
		return nil, err
	}
	m, err := a.store.UpdatePaymentMethod(ctx, callerOf(ctx).actor(), id, in.Body.Name, in.Body.Enabled)
	return &PaymentMethodOutput{Body: methodJSON(m)}, err
}
