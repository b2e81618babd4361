package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
)

// System settings: retention, default credit limits, direct top-ups and the
// business time zone. Super admins only.

// SettingsJSON are the system settings.
type SettingsJSON struct {
	RetentionDays      int               `json:"retention_days" doc:"Days operation records and entry details are kept (default 183)."`
	DefaultCreditLimit map[string]string `json:"default_credit_limit" doc:"Credit limit a new account starts with, per currency."`
	DirectTopUp        bool              `json:"direct_topup" doc:"Super admins may post top-ups without review."`
	Timezone           string            `json:"timezone" doc:"Business time zone for dates in filters and reports." example:"Asia/Shanghai"`
}

func settingsJSON(s ledger.Settings) SettingsJSON {
	j := SettingsJSON{RetentionDays: s.RetentionDays, DirectTopUp: s.DirectTopUp, Timezone: s.Timezone, DefaultCreditLimit: map[string]string{}}
	for code, v := range s.DefaultCreditLimit {
		if cur, err := money.LookupCurrency(code); err == nil {
			j.DefaultCreditLimit[code] = fmtAmount(v, cur)
		}
	}
	return j
}

// SettingsOutput is the system settings.
type SettingsOutput struct{ Body SettingsJSON }

// PatchSettingsInput changes the settings it gives.
type PatchSettingsInput struct {
	Body struct {
		RetentionDays      *int              `json:"retention_days,omitempty"`
		DefaultCreditLimit map[string]string `json:"default_credit_limit,omitempty" doc:"Currencies given are set; others keep their value."`
		DirectTopUp        *bool             `json:"direct_topup,omitempty"`
		Timezone           *string           `json:"timezone,omitempty" example:"Asia/Shanghai"`
	}
}

func (a *API) registerSettings() {
	tags := []string{"settings"}
	register(a, huma.Operation{OperationID: "get-settings", Method: http.MethodGet, Path: "/settings", Tags: tags,
		Summary: "System settings"}, auth.ActSystem, a.getSettings)
	register(a, huma.Operation{OperationID: "update-settings", Method: http.MethodPatch, Path: "/settings", Tags: tags,
		Summary: "Change system settings"}, auth.ActSystem, a.updateSettings)
}

func (a *API) getSettings(ctx context.Context, _ *struct{}) (*SettingsOutput, error) {
	s, err := a.store.Settings(ctx)
	return &SettingsOutput{Body: settingsJSON(s)}, err
}

func (a *API) updateSettings(ctx context.Context, in *PatchSettingsInput) (*SettingsOutput, error) {
	s, err := a.store.UpdateSettings(ctx, callerOf(ctx).actor(), settingsChange(in))
	return &SettingsOutput{Body: settingsJSON(s)}, err
}

// settingsChange is the change a PATCH makes. The store applies it to the
// settings as they are inside its transaction, so two changes of different
// fields do not undo each other.
func settingsChange(in *PatchSettingsInput) func(*ledger.Settings) error {
	b := in.Body
	return func(s *ledger.Settings) error {
		setGiven(&s.RetentionDays, b.RetentionDays)
		setGiven(&s.DirectTopUp, b.DirectTopUp)
		setGiven(&s.Timezone, b.Timezone)
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
	}
}
