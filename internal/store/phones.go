package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cofferhq/coffer/internal/ledger"
)

// phoneRegion is the phone_region setting, read in tx so that a change of
// it and a customer written beside it cannot cross: the change holds the
// settings row (FOR UPDATE) while it rewrites the stored numbers, and a
// customer's write reads it FOR SHARE (PostgreSQL; SQLite's one writer
// orders them anyway).
func (s *Store) phoneRegion(ctx context.Context, tx *txn) (string, error) {
	lock := ""
	if s.dialect == Postgres {
		lock = " FOR SHARE"
	}
	st, err := loadSettings(ctx, tx, lock)
	return st.PhoneRegion, err
}

// rewritePhones gives every live customer's phone the form region makes
// (ledger.PlanPhones), inside the transaction that changes the setting,
// leaving alone, and reporting, the numbers that would collide or cannot be
// read. The report is kept for the settings page and the API, and the
// operation record says how many changed.
func (s *Store) rewritePhones(ctx context.Context, tx *txn, actor ledger.Actor, region string) (ledger.PhoneReport, error) {
	rows, err := tx.QueryContext(ctx, "SELECT id, phone FROM customers WHERE archived_at IS NULL AND phone IS NOT NULL ORDER BY id")
	stored, err := collect(rows, err, func(r scanner) (ledger.StoredPhone, error) {
		var sp ledger.StoredPhone
		return sp, r.Scan(&sp.CustomerID, &sp.Phone)
	})
	if err != nil {
		return ledger.PhoneReport{}, err
	}
	changes, rep := ledger.PlanPhones(stored, region)
	now := s.nowTime()
	rep.At = now
	for _, c := range changes {
		if _, err := tx.ExecContext(ctx, "UPDATE customers SET phone = $2, updated_at = $3 WHERE id = $1", c.CustomerID, c.To, micros(now)); err != nil {
			return rep, fmt.Errorf("store: rewriting customer %d's phone: %w", c.CustomerID, err)
		}
	}
	raw, err := json.Marshal(rep)
	if err != nil {
		return rep, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value, updated_at) VALUES ('phone_report', $1, $2)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, string(raw), micros(now)); err != nil {
		return rep, err
	}
	return rep, s.audit(ctx, tx, actor, change{action: "customer.rewrite_phones", objectType: "settings",
		after: map[string]any{"phone_region": region, "changed": rep.Changed, "collisions": len(rep.Collisions), "unreadable": len(rep.Unreadable)}})
}

// PhoneReport is the report of the last change of phone_region; ok is
// false when the setting was never changed.
func (s *Store) PhoneReport(ctx context.Context) (rep ledger.PhoneReport, ok bool, err error) {
	var raw string
	err = s.rdb.QueryRowContext(ctx, "SELECT value FROM settings WHERE name = 'phone_report'").Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return rep, false, nil
	}
	if err != nil {
		return rep, false, err
	}
	return rep, true, json.Unmarshal([]byte(raw), &rep)
}
