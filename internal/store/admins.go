package store

import (
	"context"
	"database/sql"
	"errors"

	"coffer/internal/ledger"
)

const adminCols = "id, username, name, role, password_hash, disabled, created_at, updated_at"

func scanAdmin(row interface{ Scan(...any) error }) (ledger.Admin, error) {
	var a ledger.Admin
	var created, updated int64
	err := row.Scan(&a.ID, &a.Username, &a.Name, &a.Role, &a.PasswordHash, &a.Disabled, &created, &updated)
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
	if !a.Role.Valid() {
		return a, ledger.Invalid("role", "must be super_admin, admin or reviewer")
	}
	if a.Username == "" {
		return a, ledger.Invalid("username", "is required")
	}
	var out ledger.Admin
	err := s.write(ctx, func(tx *txn) error {
		now := micros(s.nowTime())
		var err error
		out, err = scanAdmin(tx.QueryRowContext(ctx, `INSERT INTO admins (username, name, role, password_hash, disabled, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING `+adminCols,
			a.Username, a.Name, string(a.Role), a.PasswordHash, a.Disabled, now))
		if unique, _ := uniqueViolation(err); unique {
			return ledger.ErrAlreadyExists
		}
		return err
	})
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
	return scanAdmin(s.rdb.QueryRowContext(ctx, "SELECT "+adminCols+" FROM admins WHERE username = $1", username))
}
