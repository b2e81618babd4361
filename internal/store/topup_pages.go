package store

import (
	"context"
	"strconv"
	"strings"

	"github.com/cofferhq/coffer/internal/ledger"
)

// The recharge audit queue and the recharge records are lists a person
// pages through by number and reads at a glance: each row carries the names
// of its customer, account and submitter, and the list its total.

// TopUpRow is a top-up request as a list shows it.
type TopUpRow struct {
	ledger.TopUpRequest
	CustomerName  string
	AccountNumber string
	SubmitterName string
	ReviewerName  string // "" while nobody has decided
}

// TopUpQuery selects one page of requests.
type TopUpQuery struct {
	TopUpFilter        // its BeforeID and Limit are not used; Offset and Size page
	ID          int64  // one request only
	Customer    string // part of the customer's name, phone, email or company
	Offset      int
	Size        int
	OldestFirst bool // the review queue: who has waited longest comes first
}

// TopUpPage returns one page of the requests q selects, with their
// vouchers, and how many it selects in all.
func (s *Store) TopUpPage(ctx context.Context, q TopUpQuery) ([]TopUpRow, int64, error) {
	var out []TopUpRow
	var total int64
	err := s.read(ctx, func(tx *txn) error {
		w := where{}
		found := ""
		if q.Customer != "" {
			found = searchCTE("SELECT customer_id FROM customer_search WHERE " + s.contains(&w, "body", q.Customer))
			w.add("t.customer_id IN (SELECT id FROM found)")
		}
		if q.ID != 0 {
			w.add("t.id = ?", q.ID)
		}
		topUpConditions(&w, q.TopUpFilter)
		if err := tx.QueryRowContext(ctx, found+"SELECT COUNT(*) FROM topups t"+w.sql(), w.args...).Scan(&total); err != nil {
			return err
		}
		order := " ORDER BY t.id DESC"
		if q.OldestFirst {
			order = " ORDER BY t.id"
		}
		rows, err := tx.QueryContext(ctx, found+"SELECT "+prefixCols(topupCols, "t.")+`, c.name, a.number, COALESCE(m.username, ''), COALESCE(r.username, '')
			FROM topups t JOIN customers c ON c.id = t.customer_id JOIN accounts a ON a.id = t.account_id
			LEFT JOIN admins m ON m.id = t.created_by LEFT JOIN admins r ON r.id = t.reviewed_by`+w.sql()+order+
			" LIMIT "+strconv.Itoa(q.Size)+" OFFSET "+strconv.Itoa(q.Offset), w.args...)
		if out, err = collect(rows, err, scanTopUpRow); err != nil {
			return err
		}
		return s.rowVouchers(ctx, tx, out)
	})
	return out, total, err
}

// TopUpRowOf returns one request as a list row: the review page shows the
// same names the queue did.
func (s *Store) TopUpRowOf(ctx context.Context, id int64) (TopUpRow, error) {
	rows, _, err := s.TopUpPage(ctx, TopUpQuery{ID: id, Size: 1})
	if err != nil {
		return TopUpRow{}, err
	}
	if len(rows) == 0 {
		return TopUpRow{}, ledger.ErrNotFound
	}
	return rows[0], nil
}

func topUpConditions(w *where, f TopUpFilter) {
	if f.Status != "" {
		w.add("t.status = ?", string(f.Status))
	}
	if f.PaymentMethodID != 0 {
		w.add("t.payment_method_id = ?", f.PaymentMethodID)
	}
	if f.CustomerID != 0 {
		w.add("t.customer_id = ?", f.CustomerID)
	}
	if f.AccountID != 0 {
		w.add("t.account_id = ?", f.AccountID)
	}
	if f.From != nil {
		w.add("t.created_at >= ?", micros(*f.From))
	}
	if f.To != nil {
		w.add("t.created_at < ?", micros(*f.To))
	}
}

func scanTopUpRow(row scanner) (TopUpRow, error) {
	var r TopUpRow
	var err error
	r.TopUpRequest, err = scanTopUp(scanWith{row, []any{&r.CustomerName, &r.AccountNumber, &r.SubmitterName, &r.ReviewerName}})
	return r, err
}

// rowVouchers gives each row its vouchers, read in one query.
func (s *Store) rowVouchers(ctx context.Context, tx *txn, rows []TopUpRow) error {
	ts := make([]ledger.TopUpRequest, len(rows))
	for i := range rows {
		ts[i] = rows[i].TopUpRequest
	}
	if err := s.withVouchers(ctx, tx, ts); err != nil {
		return err
	}
	for i := range rows {
		rows[i].Vouchers = ts[i].Vouchers
	}
	return nil
}

// prefixCols qualifies each column of a column list with a table alias.
func prefixCols(cols, alias string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = alias + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}
