package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
)

// Promotion rules (SPEC section 11): super admins write them, every role
// reads them. How the best rule is chosen and how a percentage rounds is
// in docs/promotions.md; crediting the bonus belongs to the top-ups.

// PromotionJSON is a rule for a bonus on top-ups.
type PromotionJSON struct {
	ID                 string     `json:"id" example:"3"`
	Name               string     `json:"name" example:"Winter top-up"`
	Currency           string     `json:"currency" example:"USD"`
	MinAmount          string     `json:"min_amount" doc:"The smallest top-up that earns the bonus; 0: any." example:"100.00"`
	BonusFixed         *string    `json:"bonus_fixed" doc:"A fixed bonus in the currency; null when the bonus is a percentage." example:"10.00"`
	BonusPercent       *string    `json:"bonus_percent" doc:"The bonus as a percentage of the top-up, rounded down to the minor unit; null when the bonus is fixed." example:"12.5"`
	ValidFrom          time.Time  `json:"valid_from"`
	ValidTo            *time.Time `json:"valid_to" doc:"When the rule stops applying (a top-up at this time gets nothing); null: no end."`
	BonusExpiresInDays int        `json:"bonus_expires_in_days" doc:"How many days of 24 hours a bonus credited under the rule lasts; 0: it never expires." example:"90"`
	Version            int64      `json:"version" doc:"Grows with every change; send it with a change to have it refused (stale_version) if the rule changed since you saw it."`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
}

func promotionJSON(p ledger.Promotion) PromotionJSON {
	j := PromotionJSON{ID: idString(p.ID), Name: p.Name, Currency: p.Currency.Code(), MinAmount: fmtAmount(p.MinAmount, p.Currency),
		ValidFrom: utc(p.ValidFrom), ValidTo: optTime(p.ValidTo), BonusExpiresInDays: p.BonusExpiresInDays, Version: p.Version,
		CreatedAt: utc(p.CreatedAt), UpdatedAt: utc(p.UpdatedAt)}
	if p.BonusFixed > 0 {
		s := fmtAmount(p.BonusFixed, p.Currency)
		j.BonusFixed = &s
	}
	if p.BonusPercentBP > 0 {
		s := ledger.FormatBonusPercent(p.BonusPercentBP)
		j.BonusPercent = &s
	}
	return j
}

// PromotionsOutput is a page of rules, oldest first.
type PromotionsOutput struct{ Body List[PromotionJSON] }

// PromotionOutput is one rule.
type PromotionOutput struct{ Body PromotionJSON }

// PromotionIDInput names one rule.
type PromotionIDInput struct {
	ID string `path:"id"`
}

// NewPromotionInput makes a rule.
type NewPromotionInput struct {
	Body struct {
		Name               string     `json:"name" doc:"1 to 200 characters." example:"Winter top-up"`
		Currency           string     `json:"currency" doc:"The currency of the top-ups it applies to; it cannot be changed later." example:"USD"`
		MinAmount          string     `json:"min_amount,omitempty" doc:"The smallest top-up that earns the bonus; default 0, any top-up." example:"100.00"`
		BonusFixed         *string    `json:"bonus_fixed,omitempty" doc:"A fixed bonus in the currency. Give this or bonus_percent, not both." example:"10.00"`
		BonusPercent       *string    `json:"bonus_percent,omitempty" doc:"The bonus as a percentage of the top-up, 0.01 to 100 with at most two decimals." example:"12.5"`
		ValidFrom          time.Time  `json:"valid_from" doc:"From when the rule applies."`
		ValidTo            *time.Time `json:"valid_to,omitempty" doc:"When it stops applying (exclusive), after valid_from; left out, it has no end."`
		BonusExpiresInDays int        `json:"bonus_expires_in_days,omitempty" doc:"0 to 3650 days; default 0, the bonus never expires." example:"90"`
	}
}

// PatchPromotionInput changes a rule; what it leaves out stays as it is.
type PatchPromotionInput struct {
	ID   string `path:"id"`
	Body struct {
		Version            int64      `json:"version" doc:"The version you saw. When the rule has changed since, nothing changes and the answer is 409 stale_version." example:"1"`
		Name               *string    `json:"name,omitempty" example:"Winter top-up"`
		MinAmount          *string    `json:"min_amount,omitempty" example:"100.00"`
		BonusFixed         *string    `json:"bonus_fixed,omitempty" doc:"Makes the bonus fixed (the percentage goes)." example:"10.00"`
		BonusPercent       *string    `json:"bonus_percent,omitempty" doc:"Makes the bonus a percentage (the fixed bonus goes)." example:"12.5"`
		ValidFrom          *time.Time `json:"valid_from,omitempty"`
		ValidTo            *string    `json:"valid_to,omitempty" doc:"An RFC 3339 time, or \"\" for no end."`
		BonusExpiresInDays *int       `json:"bonus_expires_in_days,omitempty" example:"90"`
	}
}

func (a *API) registerPromotions() {
	tags := []string{"promotions"}
	register(a, huma.Operation{OperationID: "list-promotions", Method: http.MethodGet, Path: "/promotions", Tags: tags,
		Summary: "Promotion rules, ended ones too", Description: "Oldest first."}, auth.ActView, a.listPromotions)
	register(a, huma.Operation{OperationID: "create-promotion", Method: http.MethodPost, Path: "/promotions", Tags: tags,
		Summary: "Make a promotion rule", Description: "A top-up in the currency of at least min_amount, made while the rule is valid, " +
			"earns its bonus; of several rules the one that gives the most (the oldest of equals)."}, auth.ActPromotions, a.createPromotion)
	register(a, huma.Operation{OperationID: "get-promotion", Method: http.MethodGet, Path: "/promotions/{id}", Tags: tags,
		Summary: "One promotion rule"}, auth.ActView, a.getPromotion)
	register(a, huma.Operation{OperationID: "update-promotion", Method: http.MethodPatch, Path: "/promotions/{id}", Tags: tags,
		Summary: "Change a promotion rule", Description: "Bonuses already credited stay as they were; the change applies to top-ups from now on.",
		Errors: []int{409}}, auth.ActPromotions, a.updatePromotion)
}

func (a *API) listPromotions(ctx context.Context, in *Page) (*PromotionsOutput, error) {
	l, err := pageOfAll(ctx, *in, a.store.Promotions, func(p ledger.Promotion) int64 { return p.ID }, promotionJSON)
	return &PromotionsOutput{Body: l}, err
}

func (a *API) getPromotion(ctx context.Context, in *PromotionIDInput) (*PromotionOutput, error) {
	p, err := byID(ctx, in.ID, "promotion", a.store.Promotion)
	return &PromotionOutput{Body: promotionJSON(p)}, err
}

func (a *API) createPromotion(ctx context.Context, in *NewPromotionInput) (*PromotionOutput, error) {
	b := in.Body
	cur, err := currency("currency", b.Currency)
	if err != nil {
		return nil, err
	}
	p := ledger.Promotion{Name: b.Name, Currency: cur, ValidFrom: b.ValidFrom, ValidTo: b.ValidTo, BonusExpiresInDays: b.BonusExpiresInDays}
	minAmount := &b.MinAmount
	if b.MinAmount == "" {
		minAmount = nil
	}
	if err := (promotionAmounts{minAmount, b.BonusFixed, b.BonusPercent}).apply(&p); err != nil {
		return nil, err
	}
	out, err := a.store.CreatePromotion(ctx, callerOf(ctx).actor(), p)
	return &PromotionOutput{Body: promotionJSON(out)}, err
}

func (a *API) updatePromotion(ctx context.Context, in *PatchPromotionInput) (*PromotionOutput, error) {
	p, err := byID(ctx, in.ID, "promotion", a.store.Promotion)
	if err != nil {
		return nil, err
	}
	b := in.Body
	// The change is laid over the rule as read here; the store checks the
	// version again as it writes, so a change between the two is refused
	// too rather than undone.
	if b.Version != p.Version {
		return nil, ledger.ErrStaleVersion.With(fmt.Sprintf("the promotion is at version %d, not %d: it changed since you saw it; look at it again", p.Version, b.Version))
	}
	setGiven(&p.Name, b.Name)
	setGiven(&p.ValidFrom, b.ValidFrom)
	setGiven(&p.BonusExpiresInDays, b.BonusExpiresInDays)
	var problems fieldProblems
	if b.ValidTo != nil {
		to, err := optionalTime("valid_to", *b.ValidTo)
		problems.add(err)
		p.ValidTo = to
	}
	problems.add((promotionAmounts{b.MinAmount, b.BonusFixed, b.BonusPercent}).apply(&p))
	if err := problems.err(); err != nil {
		return nil, err
	}
	out, err := a.store.UpdatePromotion(ctx, callerOf(ctx).actor(), p)
	return &PromotionOutput{Body: promotionJSON(out)}, err
}

// promotionAmounts are a request's amounts and percentage as sent; nil:
// not given.
type promotionAmounts struct{ min, fixed, percent *string }

// apply reads the amounts given into p, in its currency. Giving one kind
// of bonus alone replaces the other: a rule has one kind (both at once is
// left for Validate to refuse).
func (f promotionAmounts) apply(p *ledger.Promotion) error {
	var problems fieldProblems
	amount := func(field string, s string) int64 {
		a, err := money.Parse(s, p.Currency)
		if err != nil {
			problems.add(amountProblem(field, err))
		}
		return a.Minor()
	}
	if f.min != nil {
		p.MinAmount = amount("min_amount", *f.min)
	}
	if f.fixed != nil || f.percent != nil {
		p.BonusFixed, p.BonusPercentBP = 0, 0
	}
	if f.fixed != nil {
		p.BonusFixed = amount("bonus_fixed", *f.fixed)
	}
	if f.percent != nil {
		bp, err := ledger.ParseBonusPercent("bonus_percent", *f.percent)
		problems.add(err)
		p.BonusPercentBP = bp
	}
	return problems.err()
}
