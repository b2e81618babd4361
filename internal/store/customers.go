package store

import (
	"context"
	"database/sql"
	"errors"

	"coffer/internal/ledger"
)

const customerCols = "id, name, phone, email, company, remark, default_currency, created_at, updated_at, archived_at"

func scanCustomer(row interface{ Scan(...any) error }) (ledger.Customer, error) {
	var c ledger.Customer
	var phone, email sql.NullString
	var created, updated int64
	var archived sql.NullInt64
	err := row.Scan(&c.ID, &c.Name, &phone, &email, &c.Company, &c.Remark, &c.DefaultCurrency, &created, &updated, &archived)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ledger.ErrNotFound
	}
	c.Phone, c.Email = phone.String, email.String
	c.CreatedAt, c.UpdatedAt, c.ArchivedAt = fromMicros(created), fromMicros(updated), fromNullMicros(archived)
	return c, err
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// CreateCustomer validates, normalises and stores a new customer. A phone
// number already held by a live customer is ledger.ErrDuplicatePhone.
func (s *Store) CreateCustomer(ctx context.Context, nc ledger.NewCustomer) (ledger.Customer, error) {
	nc, err := nc.Normalize()
	if err != nil {
		return ledger.Customer{}, err
	}
	var c ledger.Customer
	err = s.write(ctx, func(tx *txn) error {
		now := micros(s.nowTime())
		row := tx.QueryRowContext(ctx, `INSERT INTO customers (name, phone, email, company, remark, default_currency, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING `+customerCols,
			nc.Name, nullString(nc.Phone), nullString(nc.Email), nc.Company, nc.Remark, nc.DefaultCurrency, now)
		c, err = scanCustomer(row)
		if unique, _ := uniqueViolation(err); unique {
			return ledger.ErrDuplicatePhone
		}
		return err
	})
	return c, err
}

// Customer returns one customer, archived or not.
func (s *Store) Customer(ctx context.Context, id int64) (ledger.Customer, error) {
	return scanCustomer(s.rdb.QueryRowContext(ctx, "SELECT "+customerCols+" FROM customers WHERE id = $1", id))
}
