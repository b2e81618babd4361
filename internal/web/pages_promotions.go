package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/api"
	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
)

// Promotion rules (SPEC 11, docs/promotions.md): every role reads the list
// with each rule's status, so that whoever takes a top-up can tell the
// customer what it earns; super admins make rules and change them, each
// change made on the version its form showed.

// localMinute is what a datetime-local field sends, in the business time
// zone.
const localMinute = "2006-01-02T15:04"

// promotionView is a rule as the list shows it.
type promotionView struct {
	ledger.Promotion
	Status string // upcoming, active or ended, now
	Min    string // the minimum top-up, or "any amount"
	Bonus  string // "10%" or the amount in its currency
}

func (web *Web) promotionView(q *request, p ledger.Promotion) promotionView {
	v := promotionView{Promotion: p, Status: string(p.StatusAt(web.now())), Min: q.L.Money(p.MinAmount, p.Currency.Code())}
	if p.MinAmount == 0 {
		v.Min = q.L.T("promotions.any_amount")
	}
	if p.BonusPercentBP > 0 {
		v.Bonus = ledger.FormatBonusPercent(p.BonusPercentBP) + "%"
	} else {
		v.Bonus = q.L.Money(p.BonusFixed, p.Currency.Code())
	}
	return v
}

type promotionsData struct {
	Items    []promotionView
	Currency currencyChoice // the new rule's
}

// promotionData is the edit page's: the rule, and on a stale edit the rule
// as saved now, beside what the editor typed.
type promotionData struct {
	Rule  promotionView
	Saved *promotionView
}

func (web *Web) promotions(q *request) {
	p := q.page(q.L.T("nav.promotions"), nil)
	p.Form.Set("bonus_kind", "percent")
	p.Form.Set("valid_from", web.now().In(q.L.loc).Format(localMinute))
	web.renderPromotions(q, p, http.StatusOK)
}

func (web *Web) renderPromotions(q *request, p *page, status int) {
	rules, err := web.store.Promotions(q.r.Context())
	if err != nil {
		q.internal(err)
		return
	}
	d := promotionsData{}
	for _, r := range rules {
		d.Items = append(d.Items, web.promotionView(q, r))
	}
	if d.Currency, err = web.currencyChoice(q, p.Form, nil, ""); err != nil {
		q.internal(err)
		return
	}
	p.Data = d
	q.render("promotions", status, p)
}

func (web *Web) promotionCreate(q *request) {
	if !q.need(auth.ActPromotions) {
		return
	}
	f := q.r.PostForm
	p := q.page(q.L.T("nav.promotions"), nil)
	p.Form = f
	var rule ledger.Promotion
	if code := q.formCurrency(p, f); code != "" {
		rule.Currency = money.MustCurrency(code) // formCurrency looked it up
	}
	q.readPromotion(p, f, &rule)
	status := http.StatusUnprocessableEntity
	if len(p.Errs) == 0 {
		_, err := web.store.CreatePromotion(q.r.Context(), q.actor(), rule)
		if err == nil {
			q.redirect("/promotions?done=saved")
			return
		}
		if !q.promotionRefused(p, err) {
			return
		}
		status = api.StatusOf(err)
	}
	p.Error = q.L.T("err.fix_fields")
	web.renderPromotions(q, p, status)
}

// readPromotion reads the form's fields into rule, in rule's currency (a
// rule without one has its amounts left unread); a field that does not
// parse gets its message beside it.
func (q *request) readPromotion(p *page, f url.Values, rule *ledger.Promotion) {
	rule.Name = strings.TrimSpace(f.Get("name"))
	if cur := rule.Currency; !cur.IsZero() {
		rule.MinAmount = q.formMinor(p, "min_amount", f.Get("min_amount"), cur, false)
		rule.BonusFixed, rule.BonusPercentBP = 0, 0
		switch f.Get("bonus_kind") {
		case "fixed":
			rule.BonusFixed = q.formMinor(p, "bonus", f.Get("bonus"), cur, true)
		case "percent":
			typed := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(halfWidth(f.Get("bonus"))), "%"))
			bp, err := ledger.ParseBonusPercent("bonus", typed)
			if err != nil {
				p.Errs["bonus"] = q.fieldMessage(err.(*ledger.ValidationError).Problems[0])
			}
			rule.BonusPercentBP = bp
		default:
			p.Errs["bonus_kind"] = q.L.T("why.choose")
		}
	}
	if from := q.formTime(p, "valid_from", f.Get("valid_from"), true); from != nil {
		rule.ValidFrom = *from
	}
	rule.ValidTo = q.formTime(p, "valid_to", f.Get("valid_to"), false)
	days := strings.TrimSpace(halfWidth(f.Get("bonus_expires_in_days")))
	rule.BonusExpiresInDays = 0
	if days != "" {
		n, err := strconv.Atoi(days)
		if err != nil {
			p.Errs["bonus_expires_in_days"] = q.L.Tf("why.bonus_days", ledger.MaxBonusExpiresInDays)
		}
		rule.BonusExpiresInDays = n
	}
}

// formMinor reads an amount of cur typed into a form field, zero or more
// (the domain says what is out of range); empty is 0 unless required.
func (q *request) formMinor(p *page, field, typed string, cur money.Currency, required bool) int64 {
	s := typedAmount(typed)
	if s == "" && !required {
		return 0
	}
	a, err := money.Parse(s, cur)
	switch {
	case errors.Is(err, money.ErrSyntax):
		p.Errs[field] = q.L.T("charge.amount_syntax") // separators are read here, unlike the API
	case err != nil:
		p.Errs[field] = q.amountMessage(field, err)
	}
	return a.Minor()
}

// formTime reads a datetime-local field in the business time zone; empty
// is nil, or required.
func (q *request) formTime(p *page, field, typed string, required bool) *time.Time {
	s := strings.TrimSpace(typed)
	if s == "" {
		if required {
			p.Errs[field] = q.L.T("why.required")
		}
		return nil
	}
	t, err := time.ParseInLocation(localMinute, s, q.L.loc)
	if err != nil {
		p.Errs[field] = q.L.T("accounts.bad_end")
		return nil
	}
	return &t
}

// promotionRefused puts the domain's problems beside the form's fields
// (the form has one bonus field for both kinds), or answers an error of
// ours itself; it reports whether the form is to be shown again.
func (q *request) promotionRefused(p *page, err error) bool {
	if !q.formErrors(p, err) {
		q.internal(err)
		return false
	}
	for _, field := range []string{"bonus_fixed", "bonus_percent"} {
		if msg, ok := p.Errs[field]; ok {
			delete(p.Errs, field)
			p.Errs["bonus"] = msg
		}
	}
	return true
}

// promotionForm is a rule as its edit form shows it.
func (q *request) promotionForm(r ledger.Promotion) url.Values {
	f := url.Values{"name": {r.Name}, "version": {strconv.FormatInt(r.Version, 10)},
		"min_amount": {q.L.Plain(r.MinAmount, r.Currency.Code())}, "valid_from": {r.ValidFrom.In(q.L.loc).Format(localMinute)},
		"bonus_expires_in_days": {strconv.Itoa(r.BonusExpiresInDays)}}
	if r.BonusPercentBP > 0 {
		f.Set("bonus_kind", "percent")
		f.Set("bonus", ledger.FormatBonusPercent(r.BonusPercentBP))
	} else {
		f.Set("bonus_kind", "fixed")
		f.Set("bonus", q.L.Plain(r.BonusFixed, r.Currency.Code()))
	}
	if r.ValidTo != nil {
		f.Set("valid_to", r.ValidTo.In(q.L.loc).Format(localMinute))
	}
	return f
}

// promotionToEdit is the rule a super admin's edit names; ok is false
// when it has been answered already (not theirs to edit, not found).
func (web *Web) promotionToEdit(q *request) (r ledger.Promotion, ok bool) {
	if !q.need(auth.ActPromotions) {
		return r, false
	}
	id, ok := q.pathID()
	if !ok {
		return r, false
	}
	r, err := web.store.Promotion(q.r.Context(), id)
	if err != nil {
		q.failErr(err)
		return r, false
	}
	return r, true
}

func (web *Web) promotionPage(q *request) {
	r, ok := web.promotionToEdit(q)
	if !ok {
		return
	}
	p := q.page(r.Name, nil)
	p.Form = q.promotionForm(r)
	p.Data = promotionData{Rule: web.promotionView(q, r)}
	q.render("promotion", http.StatusOK, p)
}

func (web *Web) promotionUpdate(q *request) {
	rule, ok := web.promotionToEdit(q)
	if !ok {
		return
	}
	f := q.r.PostForm
	p := q.page(rule.Name, nil)
	p.Form = f
	d := promotionData{Rule: web.promotionView(q, rule)}
	q.readPromotion(p, f, &rule)
	if len(p.Errs) > 0 {
		p.Error = q.L.T("err.fix_fields")
		p.Data = d
		q.render("promotion", http.StatusUnprocessableEntity, p)
		return
	}
	version, verr := strconv.ParseInt(f.Get("version"), 10, 64)
	rule.Version = version
	var err error
	if verr != nil {
		err = ledger.ErrStaleVersion // a form that does not say what it showed
	} else {
		_, err = web.store.UpdatePromotion(q.r.Context(), q.actor(), rule)
	}
	web.afterPromotionUpdate(q, p, d, err)
}

// afterPromotionUpdate sends the browser on after a saved change, or shows
// the form again with what was typed and why it was refused. On a stale
// version the rule as saved now stands beside the form, whose version
// becomes the current one: saving again is then a choice made knowingly.
func (web *Web) afterPromotionUpdate(q *request, p *page, d promotionData, err error) {
	status := api.StatusOf(err)
	switch {
	case err == nil:
		q.redirect("/promotions?done=saved")
		return
	case errors.Is(err, ledger.ErrStaleVersion):
		now, rerr := web.store.Promotion(q.r.Context(), d.Rule.ID)
		if rerr != nil {
			q.failErr(rerr)
			return
		}
		saved := web.promotionView(q, now)
		d.Saved = &saved
		p.Form.Set("version", strconv.FormatInt(now.Version, 10))
		p.Error = q.L.T(ledger.ErrStaleVersion.Key())
	case !q.promotionRefused(p, err):
		return
	default:
		p.Error = q.L.T("err.fix_fields")
	}
	p.Data = d
	q.render("promotion", status, p)
}
