package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/cofferhq/coffer/internal/ledger"
)

const customerCols = "id, name, phone, email, company, remark, default_currency, locale, " +
	"notify_low_balance, notify_topup, notify_adjustment, notify_statement, created_at, updated_at, archived_at"

func scanCustomer(row interface{ Scan(...any) error }) (ledger.Customer, error) {
	var c ledger.Customer
	var phone, email sql.NullString
	var created, updated int64
	var archived sql.NullInt64
	n := &c.Notify
	err := row.Scan(&c.ID, &c.Name, &phone, &email, &c.Company, &c.Remark, &c.DefaultCurrency, &c.Locale,
		&n.LowBalance, &n.TopUp, &n.Adjustment, &n.Statement, &created, &updated, &archived)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ledger.ErrNotFound
	}
	c.Phone, c.Email = phone.String, email.String
	c.CreatedAt, c.UpdatedAt, c.ArchivedAt = fromMicros(created), fromMicros(updated), fromNullMicros(archived)
	return c, err
}

// normalizeCustomer validates nc and normalises its phone under the
// phone_region setting read in tx.
func (s *Store) normalizeCustomer(ctx context.Context, tx *txn, nc ledger.NewCustomer) (ledger.NewCustomer, error) {
	region, err := s.phoneRegion(ctx, tx)
	if err != nil {
		return nc, err
	}
	return nc.Normalize(region)
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// CreateCustomer validates, normalises and stores a new customer. A phone
// number already held by a live customer is ledger.ErrDuplicatePhone. With a
// default currency, the customer's account in it is opened at once.
func (s *Store) CreateCustomer(ctx context.Context, actor ledger.Actor, nc ledger.NewCustomer) (ledger.Customer, error) {
	var c ledger.Customer
	err := s.write(ctx, func(tx *txn) error {
		nc, err := s.normalizeCustomer(ctx, tx, nc)
		if err != nil {
			return err
		}
		now := s.nowTime()
		n := *nc.Notify
		row := tx.QueryRowContext(ctx, `INSERT INTO customers (name, phone, email, company, remark, default_currency, locale,
			notify_low_balance, notify_topup, notify_adjustment, notify_statement, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING `+customerCols,
			nc.Name, nullString(nc.Phone), nullString(nc.Email), nc.Company, nc.Remark, nc.DefaultCurrency, nc.Locale,
			n.LowBalance, n.TopUp, n.Adjustment, n.Statement, micros(now))
		c, err = scanCustomer(row)
		if unique, _ := uniqueViolation(err); unique {
			return ledger.ErrDuplicatePhone
		}
		if err != nil {
			return err
		}
		if c.DefaultCurrency != "" {
			a, err := s.lockTarget(ctx, tx, ledger.Target{CustomerID: c.ID, Currency: c.DefaultCurrency}, now, false)
			if err != nil {
				return err
			}
			if err := s.audit(ctx, tx, actor, change{action: "account.create", objectType: "account", objectID: a.ID, after: auditAccount(a)}); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, actor, change{action: "customer.create", objectType: "customer", objectID: c.ID, after: auditCustomer(c)})
	})
	return c, err
}

// UpdateCustomer replaces a live customer's fields with nc.
func (s *Store) UpdateCustomer(ctx context.Context, actor ledger.Actor, id int64, nc ledger.NewCustomer) (ledger.Customer, error) {
	var c ledger.Customer
	err := s.write(ctx, func(tx *txn) error {
		nc, err := s.normalizeCustomer(ctx, tx, nc)
		if err != nil {
			return err
		}
		before, err := scanCustomer(tx.QueryRowContext(ctx, "SELECT "+customerCols+" FROM customers WHERE id = $1"+s.forUpdate, id))
		if err != nil {
			return err
		}
		if before.ArchivedAt != nil {
			return ledger.ErrCustomerArchived
		}
		n := *nc.Notify
		c, err = scanCustomer(tx.QueryRowContext(ctx, `UPDATE customers SET name = $2, phone = $3, email = $4, company = $5, remark = $6,
			default_currency = $7, locale = $8, notify_low_balance = $9, notify_topup = $10, notify_adjustment = $11,
			notify_statement = $12, updated_at = $13 WHERE id = $1 RETURNING `+customerCols,
			id, nc.Name, nullString(nc.Phone), nullString(nc.Email), nc.Company, nc.Remark, nc.DefaultCurrency, nc.Locale,
			n.LowBalance, n.TopUp, n.Adjustment, n.Statement, micros(s.nowTime())))
		if unique, _ := uniqueViolation(err); unique {
			return ledger.ErrDuplicatePhone
		}
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, change{action: "customer.update", objectType: "customer", objectID: id,
			before: auditCustomer(before), after: auditCustomer(c)})
	})
	return c, err
}

// ArchiveCustomer is what deleting a customer does: the customer leaves the
// lists, the phone number is freed, and every account is disabled, while
// the accounts and their history stay. It is refused while any account
// holds a non-zero balance.
func (s *Store) ArchiveCustomer(ctx context.Context, actor ledger.Actor, id int64) (ledger.Customer, error) {
	var c ledger.Customer
	err := s.write(ctx, func(tx *txn) error {
		before, err := scanCustomer(tx.QueryRowContext(ctx, "SELECT "+customerCols+" FROM customers WHERE id = $1"+s.forUpdate, id))
		if err != nil {
			return err
		}
		if before.ArchivedAt != nil {
			return ledger.ErrCustomerArchived
		}
		// Lock the accounts so that no posting changes a balance between
		// this check and the commit.
		// Money reserved by a hold is not yet the customer's to lose either.
		rows, err := tx.QueryContext(ctx, "SELECT ABS(balance) + held FROM accounts WHERE customer_id = $1"+s.forUpdate, id)
		balances, err := collect(rows, err, scanValue[int64])
		if err != nil {
			return err
		}
		if slices.ContainsFunc(balances, func(b int64) bool { return b != 0 }) {
			return ledger.ErrNonzeroBalance
		}
		now := micros(s.nowTime())
		if _, err := tx.ExecContext(ctx, "UPDATE accounts SET status = 'disabled', version = version + 1, updated_at = $2 WHERE customer_id = $1 AND status <> 'disabled'", id, now); err != nil {
			return err
		}
		c, err = scanCustomer(tx.QueryRowContext(ctx, "UPDATE customers SET archived_at = $2, updated_at = $2 WHERE id = $1 RETURNING "+customerCols, id, now))
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, change{action: "customer.archive", objectType: "customer", objectID: id,
			before: auditCustomer(before), after: auditCustomer(c)})
	})
	return c, err
}

// Customer returns one customer, archived or not.
func (s *Store) Customer(ctx context.Context, id int64) (ledger.Customer, error) {
	return scanCustomer(s.rdb.QueryRowContext(ctx, "SELECT "+customerCols+" FROM customers WHERE id = $1", id))
}

// CustomerFilter selects customers; text filters match anywhere, ignoring case.
type CustomerFilter struct {
	Phone, Name, Email, Q string
	Archived              bool // list archived customers instead of live ones
	AfterID               int64
	Limit                 int
	Offset                int    // rows of the order to skip (a numbered page)
	Sort                  string // one of CustomerSorts; "" is newest first

	phoneTerms []string // what Phone looks for (ledger.PhoneTerms)
}

// withPhoneTerms reads what f's phone filter looks for under the
// phone_region setting: however the number was typed, it finds it.
func (s *Store) withPhoneTerms(ctx context.Context, f *CustomerFilter) error {
	if f.Phone == "" {
		return nil
	}
	st, err := s.Settings(ctx)
	f.phoneTerms = ledger.PhoneTerms(f.Phone, st.PhoneRegion)
	return err
}

// CustomerSorts are the orders a customer list can take; '-' is descending.
var CustomerSorts = []string{"-created_at", "created_at", "name", "-name"}

// likeArg makes user text safe inside LIKE: its wildcards match themselves.
func likeArg(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}

// contains is a condition that col, in the search tables of migration
// 00009, contains text; its argument goes to w. SQLite's FTS5 trigram index
// serves GLOB, but not LIKE with ESCAPE; PostgreSQL's pg_trgm index serves
// LIKE. The searched text is lower case, and so is the query.
func (s *Store) contains(w *where, col, text string) string {
	if s.dialect == SQLite {
		r := strings.NewReplacer("*", "[*]", "?", "[?]", "[", "[[]")
		return col + " GLOB " + w.args.ph("*"+r.Replace(strings.ToLower(text))+"*")
	}
	return col + " LIKE " + w.args.ph(likeArg(text)) + ` ESCAPE '\'`
}

// searchCTE makes the ids a search finds a common table expression named
// found. MATERIALIZED runs the search once: inlined, a planner that
// misjudged how many rows it finds (PostgreSQL, on tables not yet
// analysed) ran it again for every row of the list, for minutes.
func searchCTE(search string) string {
	return "WITH found(id) AS MATERIALIZED (" + search + ") "
}

// Customers lists customers, newest first, after the cursor AfterID.
func (s *Store) Customers(ctx context.Context, f CustomerFilter) ([]ledger.Customer, error) {
	if err := s.withPhoneTerms(ctx, &f); err != nil {
		return nil, err
	}
	found, w := s.customerWhere(f)
	order := customerOrder(f.Sort)
	q := found + "SELECT " + customerCols + " FROM customers" + w.sql() + " ORDER BY " + order + " LIMIT " + strconv.Itoa(f.Limit)
	if f.Offset > 0 {
		q += " OFFSET " + strconv.Itoa(f.Offset)
	}
	rows, err := s.rdb.QueryContext(ctx, q, w.args...)
	return collect(rows, err, scanCustomer)
}

// customerOrder is the ORDER BY of a sort; ids break ties, and ids are in
// the order customers were created.
func customerOrder(sort string) string {
	switch sort {
	case "created_at":
		return "id ASC"
	case "name":
		return "LOWER(name) ASC, id ASC"
	case "-name":
		return "LOWER(name) DESC, id DESC"
	}
	return "id DESC"
}

// customerWhere is the search (a common table expression, or "") and the
// conditions of f, which the list and its count share.
func (s *Store) customerWhere(f CustomerFilter) (string, where) {
	w := where{}
	found := ""
	if f.Q != "" {
		found = searchCTE("SELECT customer_id FROM customer_search WHERE " + s.contains(&w, "body", f.Q))
		w.add("id IN (SELECT id FROM found)")
	}
	if f.Archived {
		w.add("archived_at IS NOT NULL")
	} else {
		w.add("archived_at IS NULL")
	}
	if len(f.phoneTerms) > 0 {
		var or []string
		var args []any
		for _, t := range f.phoneTerms {
			or = append(or, `phone LIKE ? ESCAPE '\'`)
			args = append(args, likeArg(t))
		}
		w.add("("+strings.Join(or, " OR ")+")", args...)
	}
	if f.Name != "" {
		w.add(`LOWER(name) LIKE ? ESCAPE '\'`, likeArg(f.Name))
	}
	if f.Email != "" {
		w.add(`email LIKE ? ESCAPE '\'`, likeArg(f.Email))
	}
	if f.AfterID != 0 {
		w.add("id < ?", f.AfterID)
	}
	return found, w
}

func auditCustomer(c ledger.Customer) map[string]any {
	m := map[string]any{"name": c.Name, "phone": c.Phone, "email": c.Email, "company": c.Company, "remark": c.Remark,
		"default_currency": c.DefaultCurrency, "locale": c.Locale,
		"notify_low_balance": c.Notify.LowBalance, "notify_topup": c.Notify.TopUp, "notify_adjustment": c.Notify.Adjustment,
		"notify_statement": c.Notify.Statement}
	if c.ArchivedAt != nil {
		m["archived_at"] = c.ArchivedAt
	}
	return m
}

// CustomerNames returns the names of the customers ids name, in one query:
// the lists that show a customer beside each row (alerts, mail) ask it once
// a page.
func (s *Store) CustomerNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	in, args := inList(ids, 0)
	rows, err := s.rdb.QueryContext(ctx, "SELECT id, name FROM customers WHERE id IN ("+in+")", args...)
	type named struct {
		id   int64
		name string
	}
	found, err := collect(rows, err, func(r scanner) (named, error) {
		var n named
		return n, r.Scan(&n.id, &n.name)
	})
	for _, n := range found {
		out[n.id] = n.name
	}
	return out, err
}
