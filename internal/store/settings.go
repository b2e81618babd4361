package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	_ "time/tzdata" // business time zones work on machines without tzdata

	"coffer/internal/ledger"
	"coffer/internal/money"
)

// Settings are the operator's choices that apply to the whole system.
type Settings struct {
	// RetentionDays is how long operation records and entry details are
	// kept before they are archived (SPEC: 6 months).
	RetentionDays int `json:"retention_days"`
	// DefaultCreditLimit is the credit limit, in minor units, that a new
	// account in each currency starts with.
	DefaultCreditLimit map[string]int64 `json:"default_credit_limit"`
	// DirectTopUp lets super admins post a top-up without review.
	DirectTopUp bool `json:"direct_topup"`
	// Timezone is the business time zone: dates in filters and reports are
	// days in this zone.
	Timezone string `json:"timezone"`
}

// DefaultSettings apply until a super admin changes them.
func DefaultSettings() Settings {
	return Settings{RetentionDays: 183, DefaultCreditLimit: map[string]int64{}, Timezone: "UTC"}
}

// Location is the business time zone.
func (s Settings) Location() *time.Location {
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Validate says which setting is out of bounds.
func (s Settings) Validate() error {
	var p []ledger.FieldProblem
	if s.RetentionDays < 30 || s.RetentionDays > 3650 {
		p = append(p, ledger.FieldProblem{Field: "retention_days", Message: "must be between 30 and 3650"})
	}
	if _, err := time.LoadLocation(s.Timezone); err != nil || s.Timezone == "" || s.Timezone == "Local" {
		p = append(p, ledger.FieldProblem{Field: "timezone", Message: "must be an IANA time zone such as UTC or Asia/Shanghai"})
	}
	for cur, v := range s.DefaultCreditLimit {
		if _, err := money.LookupCurrency(cur); err != nil {
			p = append(p, ledger.FieldProblem{Field: "default_credit_limit." + cur, Message: err.Error()})
		} else if v < 0 || v > ledger.MaxLimit {
			p = append(p, ledger.FieldProblem{Field: "default_credit_limit." + cur, Message: "must be zero or more and within range"})
		}
	}
	if p != nil {
		return &ledger.ValidationError{Problems: p}
	}
	return nil
}

func loadSettings(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, lock string) (Settings, error) {
	st := DefaultSettings()
	var raw string
	err := q.QueryRowContext(ctx, "SELECT value FROM settings WHERE name = 'settings'"+lock).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		return st, err
	}
	if st.DefaultCreditLimit == nil {
		st.DefaultCreditLimit = map[string]int64{}
	}
	return st, nil
}

// Settings returns the current settings.
func (s *Store) Settings(ctx context.Context) (Settings, error) {
	return loadSettings(ctx, s.rdb, "")
}

// UpdateSettings changes the settings with edit, validates the result and
// records the change.
func (s *Store) UpdateSettings(ctx context.Context, actor ledger.Actor, edit func(*Settings) error) (Settings, error) {
	var out Settings
	err := s.write(ctx, func(tx *txn) error {
		before, err := loadSettings(ctx, tx, s.forUpdate)
		if err != nil {
			return err
		}
		after := before
		after.DefaultCreditLimit = map[string]int64{}
		for k, v := range before.DefaultCreditLimit {
			after.DefaultCreditLimit[k] = v
		}
		if err := edit(&after); err != nil {
			return err
		}
		if err := after.Validate(); err != nil {
			return err
		}
		raw, err := json.Marshal(after)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value, updated_at) VALUES ('settings', $1, $2)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, string(raw), micros(s.nowTime())); err != nil {
			return err
		}
		out = after
		return s.audit(ctx, tx, actor, change{action: "settings.update", objectType: "settings", before: before, after: after})
	})
	return out, err
}

func (s *Store) defaultCreditLimit(ctx context.Context, tx *txn, currency string) (int64, error) {
	st, err := loadSettings(ctx, tx, "")
	if err != nil {
		return 0, err
	}
	return st.DefaultCreditLimit[currency], nil
}
