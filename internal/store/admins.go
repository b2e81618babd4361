package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/cofferhq/coffer/internal/ledger"
)

const adminCols = "id, username, name, role, password_hash, disabled, locale, created_at, updated_at"

func scanAdmin(row interface{ Scan(...any) error }) (ledger.Admin, error) {
	var a ledger.Admin
	var created, updated int64
	err := row.Scan(&a.ID, &a.Username, &a.Name, &a.Role, &a.PasswordHash, &a.Disabled, &a.Locale, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return a, ledger.ErrNotFound
	}
	a.CreatedAt, a.UpdatedAt = fromMicros(created), fromMicros(updated)
	return a, err
}

// CountAdmins returns how many administrators exist, disabled ones included.
func (s *Store) CountAdmins(ctx context.Context) (int, error) {
	var n int
	err := s.rdb.QueryRowContext(ctx, "SELECT COUNT(*) FROM admins").Scan(&n)
	return n, err
}

// CreateAdmin stores an administrator whose password is already hashed.
// A taken username is ledger.ErrAlreadyExists.
func (s *Store) CreateAdmin(ctx context.Context, a ledger.Admin) (ledger.Admin, error) {
	if err := validAdmin(a); err != nil {
		return a, err
	}
	var out ledger.Admin
	err := s.write(ctx, func(tx *txn) error {
		var err error
		out, err = s.insertAdmin(ctx, tx, a)
		return err
	})
	return out, err
}

func validAdmin(a ledger.Admin) error {
	if !a.Role.Valid() {
		return ledger.InvalidBecause("role", "choose", "must be super_admin, admin or reviewer")
	}
	return ledger.ValidUsername(a.Username)
}

// insertAdmin stores a new administrator; a taken username is
// ledger.ErrAlreadyExists.
func (s *Store) insertAdmin(ctx context.Context, tx *txn, a ledger.Admin) (ledger.Admin, error) {
	out, err := scanAdmin(tx.QueryRowContext(ctx, `INSERT INTO admins (username, name, role, password_hash, disabled, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING `+adminCols,
		a.Username, a.Name, string(a.Role), a.PasswordHash, a.Disabled, micros(s.nowTime())))
	if unique, _ := uniqueViolation(err); unique {
		return out, ledger.ErrAlreadyExists
	}
	return out, err
}

// CreateFirstAdmin creates a super admin only if there is no administrator
// yet, in one transaction, so that two instances starting together on one
// PostgreSQL create one. It reports whether it created one.
func (s *Store) CreateFirstAdmin(ctx context.Context, username, passwordHash string) (bool, error) {
	created := false
	err := s.write(ctx, func(tx *txn) error {
		now := micros(s.nowTime())
		res, err := tx.ExecContext(ctx, `INSERT INTO admins (username, name, role, password_hash, disabled, created_at, updated_at)
			SELECT $1, $1, 'super_admin', $2, FALSE, $3, $3 WHERE NOT EXISTS (SELECT 1 FROM admins)
			ON CONFLICT DO NOTHING`, username, passwordHash, now)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		created = n == 1
		return err
	})
	return created, err
}

// AdminByUsername finds an administrator for login.
func (s *Store) AdminByUsername(ctx context.Context, username string) (ledger.Admin, error) {
	// Any case finds the administrator (SPEC section 7); the unique index
	// on LOWER(username) makes it at most one.
	return scanAdmin(s.rdb.QueryRowContext(ctx, "SELECT "+adminCols+" FROM admins WHERE LOWER(username) = LOWER($1)", username))
}

// Admin returns one administrator.
func (s *Store) Admin(ctx context.Context, id int64) (ledger.Admin, error) {
	return scanAdmin(s.rdb.QueryRowContext(ctx, "SELECT "+adminCols+" FROM admins WHERE id = $1", id))
}

// Admins lists every administrator, oldest first.
func (s *Store) Admins(ctx context.Context) ([]ledger.Admin, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+adminCols+" FROM admins ORDER BY id")
	return collect(rows, err, scanAdmin)
}

// AddAdmin creates an administrator and records who did it.
func (s *Store) AddAdmin(ctx context.Context, actor ledger.Actor, a ledger.Admin) (ledger.Admin, error) {
	if err := validAdmin(a); err != nil {
		return a, err
	}
	var out ledger.Admin
	err := s.write(ctx, func(tx *txn) error {
		var err error
		if out, err = s.insertAdmin(ctx, tx, a); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, change{action: "admin.create", objectType: "admin", objectID: out.ID, after: auditAdmin(out)})
	})
	return out, err
}

// AdminChange lists the administrator fields to change; nil leaves one as is.
type AdminChange struct {
	Name         *string
	Role         *ledger.Role
	Disabled     *bool
	PasswordHash *string
}

// UpdateAdmin changes an administrator. Disabling one, or changing their
// password, ends their sessions at once.
func (s *Store) UpdateAdmin(ctx context.Context, actor ledger.Actor, id int64, c AdminChange) (ledger.Admin, error) {
	if c.Role != nil && !c.Role.Valid() {
		return ledger.Admin{}, ledger.InvalidBecause("role", "choose", "must be super_admin, admin or reviewer")
	}
	var out ledger.Admin
	defer s.principals.forget() // after the commit: see principalCache
	err := s.write(ctx, func(tx *txn) error {
		before, err := scanAdmin(tx.QueryRowContext(ctx, "SELECT "+adminCols+" FROM admins WHERE id = $1"+s.forUpdate, id))
		if err != nil {
			return err
		}
		after := before
		if c.Name != nil {
			after.Name = *c.Name
		}
		if c.Role != nil {
			after.Role = *c.Role
		}
		if c.Disabled != nil {
			after.Disabled = *c.Disabled
		}
		if c.PasswordHash != nil {
			after.PasswordHash = *c.PasswordHash
		}
		if before.Role == ledger.RoleSuperAdmin && !before.Disabled {
			var others int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM admins WHERE role = 'super_admin' AND disabled = FALSE AND id <> $1", id).Scan(&others); err != nil {
				return err
			}
			if err := ledger.CheckAdminChange(before, after, others); err != nil {
				return err
			}
		}
		now := micros(s.nowTime())
		out, err = scanAdmin(tx.QueryRowContext(ctx, `UPDATE admins SET name = $2, role = $3, disabled = $4, password_hash = $5, updated_at = $6
			WHERE id = $1 RETURNING `+adminCols, id, after.Name, string(after.Role), after.Disabled, after.PasswordHash, now))
		if err != nil {
			return err
		}
		if after.Disabled || c.PasswordHash != nil {
			// A new password ends every session but the one that set it
			// (a reset by someone else ends them all).
			if _, err := tx.ExecContext(ctx, "UPDATE tokens SET revoked_at = $2 WHERE admin_id = $1 AND kind = 'session' AND revoked_at IS NULL AND id <> $3",
				id, now, actor.SessionID); err != nil {
				return err
			}
		}
		action := "admin.update"
		if c.PasswordHash != nil && c.Name == nil && c.Role == nil && c.Disabled == nil {
			action = "admin.password"
		}
		return s.audit(ctx, tx, actor, change{action: action, objectType: "admin", objectID: id, before: auditAdmin(before), after: auditAdmin(out)})
	})
	return out, err
}

// auditAdmin leaves the password hash out of the record.
func auditAdmin(a ledger.Admin) map[string]any {
	return map[string]any{"username": a.Username, "name": a.Name, "role": a.Role, "disabled": a.Disabled}
}

// Locales are the languages of the web UI.
var Locales = []string{"en", "zh-CN"}

// SetAdminLocale remembers an administrator's language.
func (s *Store) SetAdminLocale(ctx context.Context, actor ledger.Actor, id int64, locale string) error {
	ok := false
	for _, l := range Locales {
		ok = ok || l == locale
	}
	if !ok {
		return ledger.InvalidBecause("locale", "choose", "must be en or zh-CN")
	}
	defer s.principals.forget() // after the commit: see principalCache
	return s.write(ctx, func(tx *txn) error {
		var before string
		if err := tx.QueryRowContext(ctx, "SELECT locale FROM admins WHERE id = $1"+s.forUpdate, id).Scan(&before); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ledger.ErrNotFound
			}
			return err
		}
		if before == locale {
			return nil
		}
		if _, err := tx.ExecContext(ctx, "UPDATE admins SET locale = $2, updated_at = $3 WHERE id = $1", id, locale, micros(s.nowTime())); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, change{action: "admin.locale", objectType: "admin", objectID: id,
			before: map[string]string{"locale": before}, after: map[string]string{"locale": locale}})
	})
}
