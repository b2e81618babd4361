package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/store"
)

// System settings: retention, default credit limits, direct top-ups and the
// business time zone. Super admins only.

// SettingsJSON are the system settings.
type SettingsJSON struct {
	RetentionDays        int               `json:"retention_days" doc:"Days operation records and entry details are kept (default 183)."`
	DefaultCreditLimit   map[string]string `json:"default_credit_limit" doc:"Credit limit a new account starts with, per currency."`
	DirectTopUp          bool              `json:"direct_topup" doc:"Super admins may post top-ups without review."`
	Timezone             string            `json:"timezone" doc:"Business time zone for dates in filters and reports." example:"Asia/Shanghai"`
	HoldTTLHours         int               `json:"hold_ttl_hours" doc:"How long a hold placed without expires_at lasts, 1 to 720 hours (default 168)." example:"168"`
	PhoneRegion          string            `json:"phone_region" doc:"ISO 3166 code (CN, US, GB) whose national numbers phones without + are; they are stored in E.164. Empty: phones are stored as typed, less spacing." example:"CN"`
	ApprovalThresholds   map[string]string `json:"approval_thresholds" doc:"Per currency, the amount from which an adjustment waits for a second person (202 with an approval). A currency not named has none; none by default." example:"{\"USD\": \"1000.00\"}"`
	ApproveCreditChanges bool              `json:"approve_credit_changes" doc:"Every change of credit limit or overdraft waits for another super admin (default false)."`
	BusinessName         string            `json:"business_name" doc:"How customers know the business: it heads their mail, statements and statement pages." example:"Mingde Logistics"`
	SMTP                 SMTPJSON          `json:"smtp" doc:"The mail server customer notifications go through; without a host no mail is sent."`
	SpendOrder           string            `json:"spend_order" enum:"bonus_first,principal_first" doc:"What a debit takes first (SPEC 11): bonus (the lot that expires first, then the next), or principal down to zero. Default bonus_first."`
}

// SMTPJSON is the mail server, without its password.
type SMTPJSON struct {
	Host        string `json:"host" example:"smtp.mingde.example"`
	Port        int    `json:"port" example:"587"`
	Username    string `json:"username" example:"billing@mingde.example"`
	PasswordSet bool   `json:"password_set" doc:"A password is stored; it is never shown."`
	From        string `json:"from" example:"Mingde Logistics <billing@mingde.example>"`
	StartTLS    bool   `json:"starttls" doc:"Require STARTTLS (port 465 is TLS from the start)."`
}

// SMTPPatch changes the mail server fields it gives.
type SMTPPatch struct {
	Host     *string `json:"host,omitempty" example:"smtp.mingde.example"`
	Port     *int    `json:"port,omitempty" example:"587"`
	Username *string `json:"username,omitempty" example:"billing@mingde.example"`
	Password *string `json:"password,omitempty" writeOnly:"true" doc:"Write-only; \"\" removes it."`
	From     *string `json:"from,omitempty" example:"Mingde Logistics <billing@mingde.example>"`
	StartTLS *bool   `json:"starttls,omitempty"`
}

func (p *SMTPPatch) apply(m *ledger.SMTP) {
	if p == nil {
		return
	}
	setGiven(&m.Host, p.Host)
	setGiven(&m.Port, p.Port)
	setGiven(&m.Username, p.Username)
	setGiven(&m.Password, p.Password)
	setGiven(&m.From, p.From)
	setGiven(&m.StartTLS, p.StartTLS)
}

func settingsJSON(s ledger.Settings) SettingsJSON {
	j := SettingsJSON{RetentionDays: s.RetentionDays, DirectTopUp: s.DirectTopUp, Timezone: s.Timezone, PhoneRegion: s.PhoneRegion,
		HoldTTLHours: int(s.HoldTTL().Hours()), DefaultCreditLimit: map[string]string{}, ApprovalThresholds: map[string]string{},
		ApproveCreditChanges: s.ApproveCreditChanges, BusinessName: s.BusinessName, SpendOrder: string(s.Spending()),
		SMTP: SMTPJSON{Host: s.SMTP.Host, Port: s.SMTP.Port, Username: s.SMTP.Username, PasswordSet: s.SMTP.Password != "",
			From: s.SMTP.From, StartTLS: s.SMTP.StartTLS}}
	for code, v := range s.DefaultCreditLimit {
		if cur, err := money.LookupCurrency(code); err == nil {
			j.DefaultCreditLimit[code] = fmtAmount(v, cur)
		}
	}
	for code, v := range s.ApprovalThresholds {
		if cur, err := money.LookupCurrency(code); err == nil {
			j.ApprovalThresholds[code] = fmtAmount(v, cur)
		}
	}
	return j
}

// SettingsOutput is the system settings.
type SettingsOutput struct{ Body SettingsJSON }

// PatchSettingsInput changes the settings it gives.
type PatchSettingsInput struct {
	Body struct {
		RetentionDays        *int              `json:"retention_days,omitempty"`
		DefaultCreditLimit   map[string]string `json:"default_credit_limit,omitempty" doc:"Currencies given are set; others keep their value."`
		DirectTopUp          *bool             `json:"direct_topup,omitempty"`
		Timezone             *string           `json:"timezone,omitempty" example:"Asia/Shanghai"`
		HoldTTLHours         *int              `json:"hold_ttl_hours,omitempty" doc:"1 to 720." example:"168"`
		PhoneRegion          *string           `json:"phone_region,omitempty" maxLength:"2" doc:"Changing it rewrites every live customer's phone in the new form, in the same transaction, except numbers that would then be shared by several customers or cannot be read: those stay as they were and are listed by GET /settings/phone-report." example:"CN"`
		ApprovalThresholds   map[string]string `json:"approval_thresholds,omitempty" doc:"Currencies given are set, \"\" removes one's threshold; others keep theirs." example:"{\"USD\": \"1000.00\"}"`
		ApproveCreditChanges *bool             `json:"approve_credit_changes,omitempty"`
		BusinessName         *string           `json:"business_name,omitempty" maxLength:"200" example:"Mingde Logistics"`
		SMTP                 *SMTPPatch        `json:"smtp,omitempty" doc:"Fields given are set; others keep their value."`
		SpendOrder           *string           `json:"spend_order,omitempty" enum:"bonus_first,principal_first"`
	}
}

func (a *API) registerSettings() {
	tags := []string{"settings"}
	register(a, huma.Operation{OperationID: "get-settings", Method: http.MethodGet, Path: "/settings", Tags: tags,
		Summary: "System settings"}, auth.ActSystem, a.getSettings)
	register(a, huma.Operation{OperationID: "update-settings", Method: http.MethodPatch, Path: "/settings", Tags: tags,
		Summary: "Change system settings"}, auth.ActSystem, a.updateSettings)
	register(a, huma.Operation{OperationID: "get-phone-report", Method: http.MethodGet, Path: "/settings/phone-report", Tags: tags,
		Summary: "What the last change of phone_region did to the stored phones",
		Description: "How many numbers were rewritten, and those left as they were: numbers several customers would share " +
			"(someone decides which customer keeps it) and numbers the region cannot read. Before any change, at is null and the lists are empty."},
		auth.ActSystem, a.phoneReport)
}

// PhoneReportJSON is ledger.PhoneReport with ids as strings.
type PhoneReportJSON struct {
	Region     string                `json:"region" example:"CN"`
	At         *time.Time            `json:"at" doc:"When the change was made; null before any."`
	Changed    int                   `json:"changed" doc:"Numbers rewritten." example:"1200"`
	Collisions []PhoneCollisionJSON  `json:"collisions" doc:"Numbers several live customers would share; none of them was changed."`
	Unreadable []UnreadablePhoneJSON `json:"unreadable" doc:"Numbers the region cannot read; left as they were."`
}

// PhoneCollisionJSON is one number several customers would share.
type PhoneCollisionJSON struct {
	Phone       string   `json:"phone" example:"+8613800138000"`
	CustomerIDs []string `json:"customer_ids"`
}

// UnreadablePhoneJSON is a stored number the region refuses, and why.
type UnreadablePhoneJSON struct {
	CustomerID string `json:"customer_id" example:"3"`
	Phone      string `json:"phone" example:"12345"`
	Reason     string `json:"reason" doc:"phone_impossible or phone_country." example:"phone_impossible"`
}

// PhoneReportOutput is the report.
type PhoneReportOutput struct{ Body PhoneReportJSON }

func (a *API) phoneReport(ctx context.Context, _ *struct{}) (*PhoneReportOutput, error) {
	rep, ok, err := a.store.PhoneReport(ctx)
	if err != nil {
		return nil, err
	}
	j := PhoneReportJSON{Region: rep.Region, Changed: rep.Changed, Collisions: []PhoneCollisionJSON{}, Unreadable: []UnreadablePhoneJSON{}}
	if ok {
		at := utc(rep.At)
		j.At = &at
	}
	for _, c := range rep.Collisions {
		ids := make([]string, len(c.CustomerIDs))
		for i, id := range c.CustomerIDs {
			ids[i] = idString(id)
		}
		j.Collisions = append(j.Collisions, PhoneCollisionJSON{Phone: c.Phone, CustomerIDs: ids})
	}
	for _, u := range rep.Unreadable {
		j.Unreadable = append(j.Unreadable, UnreadablePhoneJSON{CustomerID: idString(u.CustomerID), Phone: u.Phone, Reason: u.Reason})
	}
	return &PhoneReportOutput{Body: j}, nil
}

func (a *API) getSettings(ctx context.Context, _ *struct{}) (*SettingsOutput, error) {
	s, err := a.store.Settings(ctx)
	return &SettingsOutput{Body: settingsJSON(s)}, err
}

func (a *API) updateSettings(ctx context.Context, in *PatchSettingsInput) (*SettingsOutput, error) {
	before, err := a.store.Settings(ctx)
	if err != nil {
		return nil, err
	}
	s, err := a.store.UpdateSettings(ctx, callerOf(ctx).actor(), settingsChange(in))
	if err == nil && s.PhoneRegion != before.PhoneRegion {
		LogPhoneReport(ctx, a.log, a.store)
	}
	return &SettingsOutput{Body: settingsJSON(s)}, err
}

// LogPhoneReport logs what a change of phone_region did, a warning when
// it left numbers for someone to decide on.
func LogPhoneReport(ctx context.Context, log *slog.Logger, st *store.Store) {
	rep, ok, err := st.PhoneReport(ctx)
	switch {
	case err != nil || !ok:
		log.ErrorContext(ctx, "reading the phone report", "err", err)
	case len(rep.Collisions) > 0 || len(rep.Unreadable) > 0:
		log.WarnContext(ctx, "phone region changed: numbers left as they were; see GET /api/v1/settings/phone-report or the settings page",
			"region", rep.Region, "changed", rep.Changed, "collisions", len(rep.Collisions), "unreadable", len(rep.Unreadable))
	default:
		log.InfoContext(ctx, "phone region changed", "region", rep.Region, "changed", rep.Changed)
	}
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
		setGiven(&s.PhoneRegion, b.PhoneRegion)
		if b.HoldTTLHours != nil {
			if *b.HoldTTLHours < 1 { // 0 is the stored "default"; refuse it rather than read it so
				return ledger.InvalidBecause("hold_ttl_hours", "hold_ttl", "must be 1 to 720 hours", 1, ledger.MaxHoldDays*24)
			}
			s.HoldTTLHours = *b.HoldTTLHours
		}
		setGiven(&s.ApproveCreditChanges, b.ApproveCreditChanges)
		setGiven(&s.BusinessName, b.BusinessName)
		if b.SpendOrder != nil {
			s.SpendOrder = ledger.SpendOrder(*b.SpendOrder)
		}
		b.SMTP.apply(&s.SMTP)
		if err := setThresholds(s, b.ApprovalThresholds); err != nil {
			return err
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
	}
}

// setThresholds applies the approval thresholds a PATCH gives: a positive
// amount in the currency's decimals, or "" to remove it.
func setThresholds(s *ledger.Settings, given map[string]string) error {
	for code, v := range given {
		field := "approval_thresholds." + code
		cur, err := currency(field, code)
		if err != nil {
			return err
		}
		if v == "" {
			delete(s.ApprovalThresholds, code)
			continue
		}
		minor, err := positiveAmount(field, v, cur)
		if err != nil {
			return err
		}
		s.ApprovalThresholds[code] = minor
	}
	return nil
}
