package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"maps"

	"github.com/cofferhq/coffer/internal/ledger"
)

func loadSettings(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, lock string) (ledger.Settings, error) {
	st := ledger.DefaultSettings()
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
func (s *Store) Settings(ctx context.Context) (ledger.Settings, error) {
	return loadSettings(ctx, s.rdb, "")
}

// UpdateSettings changes the settings with edit, validates the result and
// records the change.
func (s *Store) UpdateSettings(ctx context.Context, actor ledger.Actor, edit func(*ledger.Settings) error) (ledger.Settings, error) {
	var out ledger.Settings
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
		after.ApprovalThresholds = maps.Clone(before.ApprovalThresholds)
		if after.ApprovalThresholds == nil {
			after.ApprovalThresholds = map[string]int64{}
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
		if err := s.audit(ctx, tx, actor, change{action: "settings.update", objectType: "settings", before: before.Redacted(), after: after.Redacted()}); err != nil {
			return err
		}
		if after.PhoneRegion != before.PhoneRegion {
			_, err = s.rewritePhones(ctx, tx, actor, after.PhoneRegion)
		}
		return err
	})
	if err == nil {
		s.spend.Store(nil) // this instance uses a new spending order at once
	}
	return out, err
}

func (s *Store) defaultCreditLimit(ctx context.Context, tx *txn, currency string) (int64, error) {
	st, err := loadSettings(ctx, tx, "")
	if err != nil {
		return 0, err
	}
	return st.DefaultCreditLimit[currency], nil
}
