package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
)

// Promotion rules (SPEC section 11; the rules themselves are
// ledger.Promotion's). Super admins write them, with an operation record
// in the transaction of each change; a top-up's posting reads the rules of
// its currency valid at its time in its own transaction (promotionsAt).

const promotionCols = `id, name, currency, min_amount, bonus_fixed, bonus_percent_bp, valid_from, valid_to,
	bonus_expires_in_days, version, created_at, updated_at`

func scanPromotion(row scanner) (ledger.Promotion, error) {
	var p ledger.Promotion
	var code string
	var from, created, updated int64
	var to sql.NullInt64
	err := row.Scan(&p.ID, &p.Name, &code, &p.MinAmount, &p.BonusFixed, &p.BonusPercentBP, &from, &to,
		&p.BonusExpiresInDays, &p.Version, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return p, ledger.ErrNotFound
	}
	if err != nil {
		return p, err
	}
	p.ValidFrom, p.ValidTo, p.CreatedAt, p.UpdatedAt = fromMicros(from), fromNullMicros(to), fromMicros(created), fromMicros(updated)
	p.Currency, err = money.LookupCurrency(code)
	return p, err
}

// CreatePromotion stores a new rule at version 1; p's ID, Version and
// times are not read.
func (s *Store) CreatePromotion(ctx context.Context, actor ledger.Actor, p ledger.Promotion) (ledger.Promotion, error) {
	if err := p.Validate(); err != nil {
		return ledger.Promotion{}, err
	}
	var out ledger.Promotion
	err := s.write(ctx, func(tx *txn) error {
		now := micros(s.nowTime())
		var err error
		out, err = scanPromotion(tx.QueryRowContext(ctx, `INSERT INTO promotions (name, currency, min_amount, bonus_fixed, bonus_percent_bp,
			valid_from, valid_to, bonus_expires_in_days, version, created_at, updated_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9, $10) RETURNING `+promotionCols,
			p.Name, p.Currency.Code(), p.MinAmount, p.BonusFixed, p.BonusPercentBP, micros(p.ValidFrom), nullMicros(p.ValidTo),
			p.BonusExpiresInDays, now, nullID(actor.AdminID)))
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, change{action: "promotion.create", objectType: "promotion", objectID: out.ID, after: auditPromotion(out)})
	})
	return out, err
}

// UpdatePromotion replaces rule p.ID with p. p.Version is the version the
// editor saw: when the rule has changed since, the answer is
// ledger.ErrStaleVersion and nothing changes, so that one super admin's
// edit never silently undoes another's. A change that changes nothing
// leaves the version (and other open forms) as they are.
func (s *Store) UpdatePromotion(ctx context.Context, actor ledger.Actor, p ledger.Promotion) (ledger.Promotion, error) {
	if err := p.Validate(); err != nil {
		return ledger.Promotion{}, err
	}
	var out ledger.Promotion
	err := s.write(ctx, func(tx *txn) error {
		before, err := scanPromotion(tx.QueryRowContext(ctx, "SELECT "+promotionCols+" FROM promotions WHERE id = $1"+s.forUpdate, p.ID))
		if err != nil {
			return err
		}
		if p.Version != before.Version {
			return ledger.ErrStaleVersion.With(fmt.Sprintf("the promotion is at version %d, not %d: it changed since you saw it; look at it again", before.Version, p.Version))
		}
		if samePromotion(before, p) {
			out = before
			return nil
		}
		out, err = scanPromotion(tx.QueryRowContext(ctx, `UPDATE promotions SET name = $2, currency = $3, min_amount = $4, bonus_fixed = $5,
			bonus_percent_bp = $6, valid_from = $7, valid_to = $8, bonus_expires_in_days = $9, version = version + 1, updated_at = $10
			WHERE id = $1 RETURNING `+promotionCols,
			p.ID, p.Name, p.Currency.Code(), p.MinAmount, p.BonusFixed, p.BonusPercentBP, micros(p.ValidFrom), nullMicros(p.ValidTo),
			p.BonusExpiresInDays, micros(s.nowTime())))
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, change{action: "promotion.update", objectType: "promotion", objectID: p.ID,
			before: auditPromotion(before), after: auditPromotion(out)})
	})
	return out, err
}

// samePromotion reports whether a and b are the same rule as stored:
// times compared in microseconds, as the table keeps them.
func samePromotion(a, b ledger.Promotion) bool {
	return a.Name == b.Name && a.Currency.Code() == b.Currency.Code() && a.MinAmount == b.MinAmount && a.BonusFixed == b.BonusFixed &&
		a.BonusPercentBP == b.BonusPercentBP && micros(a.ValidFrom) == micros(b.ValidFrom) && nullMicros(a.ValidTo) == nullMicros(b.ValidTo) &&
		a.BonusExpiresInDays == b.BonusExpiresInDays
}

// auditPromotion is a rule as its operation records show it: amounts in
// the major unit, the percentage as typed, and only the kind of bonus it
// has, so that a change of kind reads as one field going and one coming.
func auditPromotion(p ledger.Promotion) map[string]any {
	d := p.Currency.Digits()
	m := map[string]any{"name": p.Name, "currency": p.Currency.Code(), "min_amount": money.FormatMinor(p.MinAmount, d),
		"valid_from": p.ValidFrom.UTC().Format(time.RFC3339), "bonus_expires_in_days": p.BonusExpiresInDays, "version": p.Version}
	if p.BonusFixed > 0 {
		m["bonus_fixed"] = money.FormatMinor(p.BonusFixed, d)
	}
	if p.BonusPercentBP > 0 {
		m["bonus_percent"] = ledger.FormatBonusPercent(p.BonusPercentBP)
	}
	if p.ValidTo != nil {
		m["valid_to"] = p.ValidTo.UTC().Format(time.RFC3339)
	}
	return m
}

// Promotion returns one rule.
func (s *Store) Promotion(ctx context.Context, id int64) (ledger.Promotion, error) {
	var p ledger.Promotion
	err := s.read(ctx, func(tx *txn) error {
		var err error
		p, err = scanPromotion(tx.QueryRowContext(ctx, "SELECT "+promotionCols+" FROM promotions WHERE id = $1", id))
		return err
	})
	return p, err
}

// Promotions lists every rule, oldest first: a business keeps a handful,
// ended ones included, which the list shows as such.
func (s *Store) Promotions(ctx context.Context) ([]ledger.Promotion, error) {
	var out []ledger.Promotion
	err := s.read(ctx, func(tx *txn) error {
		rows, err := tx.QueryContext(ctx, "SELECT "+promotionCols+" FROM promotions ORDER BY id")
		out, err = collect(rows, err, scanPromotion)
		return err
	})
	return out, err
}

// promotionsAt lists, inside a posting's transaction, the rules of
// currency valid at at (valid_from <= at < valid_to), oldest first, for
// ledger.BonusFor. It takes no lock: a rule edited while the top-up posts
// applies to the top-ups after it, as though the edit had come a moment
// later.
func (s *Store) promotionsAt(ctx context.Context, q querier, currency string, at time.Time) ([]ledger.Promotion, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+promotionCols+` FROM promotions
		WHERE currency = $1 AND valid_from <= $2 AND (valid_to IS NULL OR valid_to > $2) ORDER BY id`, currency, micros(at))
	return collect(rows, err, scanPromotion)
}
