package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/api"
	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/store"
)

type adminsData struct {
	Items []ledger.Admin
	Roles []string
	// EditID is the administrator whose change was refused: their row's
	// form shows what was typed (p.Form) and why (p.Errs), open. With 0,
	// those belong to the form for a new administrator.
	EditID int64
}

var adminRoles = []string{string(ledger.RoleAdmin), string(ledger.RoleReviewer), string(ledger.RoleSuperAdmin)}

func (web *Web) admins(q *request) {
	if !q.need(auth.ActSystem) {
		return
	}
	web.renderAdmins(q, q.page(q.L.T("nav.admins"), nil), http.StatusOK, 0)
}

func (web *Web) renderAdmins(q *request, p *page, status int, editID int64) {
	list, err := web.store.Admins(q.r.Context())
	if err != nil {
		q.internal(err)
		return
	}
	if status >= http.StatusBadRequest && p.Error == "" {
		p.Error = q.L.T("err.fix_fields")
	}
	p.Data = adminsData{Items: list, Roles: adminRoles, EditID: editID}
	q.render("admins", status, p)
}

func (web *Web) adminCreate(q *request) {
	if !q.need(auth.ActSystem) {
		return
	}
	f := q.r.PostForm
	p := q.page(q.L.T("nav.admins"), nil)
	p.Form = f
	if err := auth.ValidatePassword(f.Get("password")); err != nil {
		p.Errs["password"] = q.L.T("profile.too_short")
	}
	if strings.TrimSpace(f.Get("username")) == "" {
		p.Errs["username"] = q.L.T("err.required")
	}
	if !slices.Contains(adminRoles, f.Get("role")) {
		p.Errs["role"] = q.L.T("err.invalid")
	}
	if len(p.Errs) > 0 {
		web.renderAdmins(q, p, http.StatusUnprocessableEntity, 0)
		return
	}
	hash, err := auth.HashPassword(f.Get("password"))
	if err == nil {
		_, err = web.store.AddAdmin(q.r.Context(), q.actor(), ledger.Admin{Username: f.Get("username"), Name: f.Get("name"),
			Role: ledger.Role(f.Get("role")), PasswordHash: hash})
	}
	if err != nil {
		web.adminRefused(q, p, err, 0)
		return
	}
	q.redirect("/admins?done=saved")
}

// adminRefused shows why a new administrator or a change was refused,
// beside the field at fault: a taken username beside the username.
func (web *Web) adminRefused(q *request, p *page, err error, editID int64) {
	switch {
	case errors.Is(err, ledger.ErrAlreadyExists):
		p.Errs["username"] = q.L.T("admin.taken")
	case !q.formErrors(p, err):
		q.internal(err)
		return
	}
	web.renderAdmins(q, p, api.StatusOf(err), editID)
}

func (web *Web) adminUpdate(q *request) {
	if !q.need(auth.ActSystem) {
		return
	}
	id, ok := q.pathID()
	if !ok {
		return
	}
	f := q.r.PostForm
	p := q.page(q.L.T("nav.admins"), nil)
	p.Form = f
	role, name := ledger.Role(f.Get("role")), f.Get("name")
	disabled := f.Get("disabled") == "1"
	c := store.AdminChange{Role: &role, Disabled: &disabled}
	if f.Has("name") {
		c.Name = &name
	}
	if !slices.Contains(adminRoles, string(role)) {
		p.Errs["role"] = q.L.T("err.invalid")
	}
	if pw := f.Get("password"); pw != "" && auth.ValidatePassword(pw) != nil {
		p.Errs["password"] = q.L.T("profile.too_short")
	} else if pw != "" {
		hash, err := auth.HashPassword(pw)
		if err != nil {
			q.internal(err)
			return
		}
		c.PasswordHash = &hash
	}
	if len(p.Errs) > 0 {
		web.renderAdmins(q, p, http.StatusUnprocessableEntity, id)
		return
	}
	if _, err := web.store.UpdateAdmin(q.r.Context(), q.actor(), id, c); err != nil {
		if errors.Is(err, ledger.ErrNotFound) {
			q.failErr(err)
			return
		}
		web.adminRefused(q, p, err, id)
		return
	}
	q.redirect("/admins?done=saved")
}

type settingsData struct {
	Settings ledger.Settings
	Methods  []methodView
	Credit   []creditView
	// Thresholds are the approval thresholds (SPEC 9), by currency.
	Thresholds []creditView
	Regions    []regionOption
	Phones     *phoneReportView // the last change of the phone region did
	Mail       mailView
}

// methodView is a payment method as the settings list it.
type methodView struct {
	store.PaymentMethod
	Label string
}

// creditView is the credit limit new accounts of one currency start with.
type creditView struct{ Currency, Amount string }

func (web *Web) settings(q *request) {
	if !q.need(auth.ActSystem) {
		return
	}
	web.renderSettings(q, q.page(q.L.T("nav.settings"), nil), 200)
}

func (web *Web) renderSettings(q *request, p *page, status int) {
	s, err := web.store.Settings(q.r.Context())
	if err != nil {
		q.internal(err)
		return
	}
	ms, err := web.store.PaymentMethods(q.r.Context())
	if err != nil {
		q.internal(err)
		return
	}
	d := settingsData{Settings: s, Regions: phoneRegionOptions(q.L.Lang), Mail: newMailView(s, p.Form)}
	if d.Phones, err = web.phoneReport(q); err != nil {
		q.internal(err)
		return
	}
	for _, m := range ms {
		d.Methods = append(d.Methods, methodView{PaymentMethod: m, Label: methodLabel(q.L, m)})
	}
	for code, v := range s.DefaultCreditLimit {
		d.Credit = append(d.Credit, creditView{Currency: code, Amount: q.L.Money(v, code)})
	}
	slices.SortFunc(d.Credit, func(a, b creditView) int { return strings.Compare(a.Currency, b.Currency) })
	for code, v := range s.ApprovalThresholds {
		d.Thresholds = append(d.Thresholds, creditView{Currency: code, Amount: q.L.Money(v, code)})
	}
	slices.SortFunc(d.Thresholds, func(a, b creditView) int { return strings.Compare(a.Currency, b.Currency) })
	if !p.Form.Has("retention_days") { // not the settings form coming back: show what is saved
		p.Form.Set("retention_days", itoa(int64(s.RetentionDays)))
		p.Form.Set("timezone", s.Timezone)
		p.Form.Set("phone_region", s.PhoneRegion)
		p.Form.Set("hold_ttl_hours", itoa(int64(s.HoldTTL().Hours())))
		p.Form.Set("spend_order", string(s.Spending()))
		if s.DirectTopUp {
			p.Form.Set("direct_topup", "1")
		}
		if s.ApproveCreditChanges {
			p.Form.Set("approve_credit_changes", "1")
		}
	}
	if status >= http.StatusBadRequest && p.Error == "" {
		p.Error = q.L.T("err.fix_fields")
	}
	p.Data = d
	q.render("settings", status, p)
}

func (web *Web) settingsSave(q *request) {
	if !q.need(auth.ActSystem) {
		return
	}
	f := q.r.PostForm
	p := q.page(q.L.T("nav.settings"), nil)
	p.Form = f
	form := q.readSettings(p, f)
	if len(p.Errs) > 0 {
		web.renderSettings(q, p, http.StatusUnprocessableEntity)
		return
	}
	before, err := web.store.Settings(q.r.Context())
	if err != nil {
		q.internal(err)
		return
	}
	after, err := web.store.UpdateSettings(q.r.Context(), q.actor(), form.apply)
	if err != nil {
		if q.formErrors(p, err) {
			web.renderSettings(q, p, http.StatusUnprocessableEntity)
			return
		}
		q.internal(err)
		return
	}
	if after.PhoneRegion != before.PhoneRegion {
		api.LogPhoneReport(q.r.Context(), web.log, web.store)
	}
	q.redirect("/settings?done=saved")
}

// settingsForm is what the settings form asks for, read field by field.
type settingsForm struct {
	f                 url.Values
	days, ttl         int // ttl 0: a form from before the setting keeps it as it is
	tz                string
	credit, threshold *money.Amount // a currency's, when one is typed
}

// apply makes s what the form asks for. The domain checks the whole
// (Settings.Validate), the spending order's value among it.
func (v settingsForm) apply(s *ledger.Settings) error {
	f := v.f
	s.RetentionDays, s.Timezone, s.DirectTopUp = v.days, v.tz, f.Get("direct_topup") == "1"
	s.PhoneRegion = strings.TrimSpace(f.Get("phone_region"))
	if v.ttl > 0 {
		s.HoldTTLHours = v.ttl
	}
	if v.credit != nil {
		s.DefaultCreditLimit[v.credit.Currency().Code()] = v.credit.Minor()
	}
	s.ApproveCreditChanges = f.Get("approve_credit_changes") == "1"
	switch {
	case v.threshold == nil:
	case v.threshold.IsZero():
		delete(s.ApprovalThresholds, v.threshold.Currency().Code())
	default:
		s.ApprovalThresholds[v.threshold.Currency().Code()] = v.threshold.Minor()
	}
	// The default chosen again stays unset, so that a save of the other
	// settings records no change of this one.
	if order := ledger.SpendOrder(f.Get("spend_order")); f.Has("spend_order") && order != s.Spending() {
		s.SpendOrder = order
	}
	return nil
}

// readSettings checks the settings form field by field, in the user's
// language (the domain's bounds, Settings.Validate, say them in English
// only): the retention days, the time zone, how long holds last, and a
// credit limit for new accounts and an approval threshold of a currency
// when one is typed.
func (q *request) readSettings(p *page, f url.Values) settingsForm {
	v := settingsForm{f: f, threshold: q.readThreshold(p, f), credit: q.readCredit(p, f)}
	var err error
	v.days, err = strconv.Atoi(strings.TrimSpace(f.Get("retention_days")))
	if err != nil || v.days < 30 || v.days > 3650 {
		p.Errs["retention_days"] = q.L.Tf("settings.retention_range", 30, 3650)
	}
	v.tz = strings.TrimSpace(f.Get("timezone"))
	if _, err := time.LoadLocation(v.tz); err != nil || v.tz == "" || v.tz == "Local" {
		p.Errs["timezone"] = q.L.T("settings.timezone_bad")
	}
	if f.Has("hold_ttl_hours") {
		v.ttl, err = strconv.Atoi(strings.TrimSpace(f.Get("hold_ttl_hours")))
		if err != nil || v.ttl < 1 || v.ttl > ledger.MaxHoldDays*24 {
			p.Errs["hold_ttl_hours"] = q.L.Tf("why.hold_ttl", 1, ledger.MaxHoldDays*24)
		}
	}
	return v
}

// readCredit reads the credit limit typed for new accounts of one
// currency, if any.
func (q *request) readCredit(p *page, f url.Values) *money.Amount {
	code, amount := strings.ToUpper(strings.TrimSpace(f.Get("credit_currency"))), strings.TrimSpace(f.Get("credit_amount"))
	if code == "" && amount == "" {
		return nil
	}
	c, err := money.LookupCurrency(code)
	if err != nil {
		p.Errs["credit_currency"] = q.L.T("err.currency")
		return nil
	}
	a, err := money.Parse(amount, c)
	switch {
	case err != nil:
		p.Errs["credit_amount"] = q.amountMessage("credit_amount", err)
	case a.IsNegative() || a.Minor() > ledger.MaxLimit:
		p.Errs["credit_amount"] = q.L.T("settings.credit_range")
	default:
		return &a
	}
	return nil
}

// readThreshold reads the approval threshold typed for one currency, if
// any: a positive amount sets it, 0 removes it (SPEC 9).
func (q *request) readThreshold(p *page, f url.Values) *money.Amount {
	code, amount := strings.ToUpper(strings.TrimSpace(f.Get("threshold_currency"))), strings.TrimSpace(f.Get("threshold_amount"))
	if code == "" && amount == "" {
		return nil
	}
	c, err := money.LookupCurrency(code)
	if err != nil {
		p.Errs["threshold_currency"] = q.L.T("err.currency")
		return nil
	}
	a, err := money.Parse(amount, c)
	switch {
	case amount == "":
		p.Errs["threshold_amount"] = q.L.T("why.required")
	case err != nil:
		p.Errs["threshold_amount"] = q.amountMessage("threshold_amount", err)
	case a.IsNegative() || a.Minor() > ledger.MaxAmount:
		p.Errs["threshold_amount"] = q.L.T("settings.threshold_range")
	default:
		return &a
	}
	return nil
}

func (web *Web) methodCreate(q *request) {
	if !q.need(auth.ActSystem) {
		return
	}
	name := strings.TrimSpace(q.r.PostFormValue("name"))
	if _, err := web.store.AddPaymentMethod(q.r.Context(), q.actor(), name, true); err != nil {
		// The settings form shows the settings as saved; the name typed
		// stays in its own field, with why it was refused.
		p := q.page(q.L.T("nav.settings"), nil)
		switch {
		case errors.Is(err, ledger.ErrAlreadyExists):
			p.Errs["method_name"] = q.L.T("settings.method_taken")
		case !q.formErrors(p, err):
			q.internal(err)
			return
		default:
			p.Errs["method_name"] = p.Errs["name"]
		}
		p.Form.Set("method_name", name)
		web.renderSettings(q, p, api.StatusOf(err))
		return
	}
	q.redirect("/settings?done=saved")
}

func (web *Web) methodUpdate(q *request) {
	if !q.need(auth.ActSystem) {
		return
	}
	id, ok := q.pathID()
	if !ok {
		return
	}
	enabled := q.r.PostFormValue("enabled") == "1"
	if _, err := web.store.UpdatePaymentMethod(q.r.Context(), q.actor(), id, nil, &enabled); err != nil {
		q.failErr(err) // not found is 404, anything else ours
		return
	}
	q.redirect("/settings?done=saved")
}

// builtinMethods are the payment methods every database starts with (the
// first migration), by code, with the name they start with.
var builtinMethods = map[string]string{"alipay": "Alipay", "wechat_pay": "WeChat Pay", "bank_transfer": "Bank Transfer"}

// methodLabel names a payment method: a built-in one that still has its
// first name is said in the page's language (支付宝); a name an operator
// gave is theirs, and shown as they wrote it.
func methodLabel(l *locale, m store.PaymentMethod) string {
	if name, ok := builtinMethods[m.Code]; ok && name == m.Name {
		return l.T("method." + m.Code)
	}
	return m.Name
}
