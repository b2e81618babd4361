package web

import (
	"net/http"
	"strconv"

	"coffer/internal/auth"
	"coffer/internal/ledger"
	"coffer/internal/money"
	"coffer/internal/store"
)

func (web *Web) admins(q *request) {
	if !q.need(auth.ActSystem) {
		return
	}
	list, err := web.store.Admins(q.r.Context())
	if err != nil {
		q.internal(err)
		return
	}
	q.render("admins", 200, q.page(q.L.T("nav.admins"), list))
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
	if f.Get("username") == "" {
		p.Errs["username"] = q.L.T("err.required")
	}
	var err error
	if len(p.Errs) == 0 {
		var hash string
		if hash, err = auth.HashPassword(f.Get("password")); err == nil {
			_, err = web.store.AddAdmin(q.r.Context(), q.actor(), ledger.Admin{Username: f.Get("username"), Name: f.Get("name"),
				Role: ledger.Role(f.Get("role")), PasswordHash: hash})
		}
	}
	if len(p.Errs) > 0 || err != nil {
		if err != nil && !q.formErrors(p, err) {
			q.internal(err)
			return
		}
		if p.Error == "" {
			p.Error = q.L.T("err.fix_fields")
		}
		if p.Data, err = web.store.Admins(q.r.Context()); err != nil {
			q.internal(err)
			return
		}
		q.render("admins", http.StatusUnprocessableEntity, p)
		return
	}
	q.redirect("/admins?done=saved")
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
	role := ledger.Role(f.Get("role"))
	disabled := f.Get("disabled") == "1"
	c := store.AdminChange{Role: &role, Disabled: &disabled}
	if pw := f.Get("password"); pw != "" {
		if auth.ValidatePassword(pw) != nil {
			q.fail(http.StatusUnprocessableEntity, "profile.too_short")
			return
		}
		hash, err := auth.HashPassword(pw)
		if err != nil {
			q.internal(err)
			return
		}
		c.PasswordHash = &hash
	}
	if _, err := web.store.UpdateAdmin(q.r.Context(), q.actor(), id, c); err != nil {
		q.failErr(err)
		return
	}
	q.redirect("/admins?done=saved")
}

type settingsData struct {
	Settings ledger.Settings
	Methods  []store.PaymentMethod
	Credit   map[string]string
}

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
	d := settingsData{Settings: s, Methods: ms, Credit: map[string]string{}}
	for code, v := range s.DefaultCreditLimit {
		if c, err := money.LookupCurrency(code); err == nil {
			d.Credit[code] = money.New(v, c).String()
		}
	}
	if len(p.Form) == 0 {
		p.Form.Set("retention_days", itoa(int64(s.RetentionDays)))
		p.Form.Set("timezone", s.Timezone)
		if s.DirectTopUp {
			p.Form.Set("direct_topup", "1")
		}
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
	_, err := web.store.UpdateSettings(q.r.Context(), q.actor(), func(s *ledger.Settings) error {
		days, err := strconv.Atoi(f.Get("retention_days"))
		if err != nil {
			return ledger.Invalid("retention_days", "must be a whole number")
		}
		s.RetentionDays, s.Timezone, s.DirectTopUp = days, f.Get("timezone"), f.Get("direct_topup") == "1"
		if code := f.Get("credit_currency"); code != "" {
			c, err := money.LookupCurrency(code)
			if err != nil {
				return ledger.InvalidBecause("credit_currency", "unknown_currency", err.Error())
			}
			a, err := money.Parse(f.Get("credit_amount"), c)
			if err != nil || a.IsNegative() {
				return ledger.Invalid("credit_amount", "must be an amount of zero or more")
			}
			s.DefaultCreditLimit[code] = a.Minor()
		}
		return nil
	})
	if err != nil {
		if q.formErrors(p, err) {
			web.renderSettings(q, p, http.StatusUnprocessableEntity)
			return
		}
		q.internal(err)
		return
	}
	q.redirect("/settings?done=saved")
}

func (web *Web) methodCreate(q *request) {
	if !q.need(auth.ActSystem) {
		return
	}
	if _, err := web.store.AddPaymentMethod(q.r.Context(), q.actor(), q.r.PostFormValue("name"), true); err != nil {
		p := q.page(q.L.T("nav.settings"), nil)
		if q.formErrors(p, err) {
			web.renderSettings(q, p, http.StatusUnprocessableEntity)
			return
		}
		q.internal(err)
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
