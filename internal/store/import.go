package store

import (
	"context"
	"database/sql"
	"strconv"

	"github.com/cofferhq/coffer/internal/ledger"
)

// Import (SPEC 12) persists a file that ledger.ReadImport checked and
// ledger.PlanImport planned. What the store adds is only the database:
// what exists already, read in the same transaction as the writes, and the
// writes themselves, all in that one transaction, so that an import is all
// or nothing and a second run, planned against the first's rows, creates
// nothing new.

// importChunk is how many phones or customer ids one lookup names: far
// below both databases' limits on parameters (SQLite: 32766).
const importChunk = 500

// PlanImport plans imp against the database as it is now, writing
// nothing: what a dry run shows.
func (s *Store) PlanImport(ctx context.Context, imp *ledger.Import) (ledger.ImportPlan, error) {
	var plan ledger.ImportPlan
	err := s.read(ctx, func(tx *txn) error {
		if err := s.sameRegion(ctx, tx, imp, false); err != nil {
			return err
		}
		existing, err := s.importExisting(ctx, tx, imp.Rows)
		plan = ledger.PlanImport(imp.Rows, existing)
		return err
	})
	return plan, err
}

// ApplyImport carries out imp in one database transaction: it creates the
// new customers and accounts, posts the opening balances as adjustments
// (reason opening_balance) from the system account opening, and writes the
// operation record import.run naming file. An import with problems is
// refused (ledger.ErrImportProblems) and changes nothing.
func (s *Store) ApplyImport(ctx context.Context, actor ledger.Actor, file string, imp *ledger.Import) (ledger.ImportPlan, error) {
	if len(imp.Problems) > 0 {
		return ledger.ImportPlan{}, ledger.ErrImportProblems
	}
	var plan ledger.ImportPlan
	var st *txState
	err := s.write(ctx, func(tx *txn) error {
		tx.prepareOwn()
		st = newTxState(tx, s.nowTime())
		restore, err := s.largeCache(ctx, tx)
		if err != nil {
			return err
		}
		defer restore()
		if err := s.sameRegion(ctx, tx, imp, true); err != nil {
			return err
		}
		existing, err := s.importExisting(ctx, tx, imp.Rows)
		if err != nil {
			return err
		}
		plan = ledger.PlanImport(imp.Rows, existing)
		if err := s.applyImportSteps(ctx, st, actor, file, plan.Steps); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, change{action: "import.run", objectType: "import", after: auditImport(file, len(imp.Rows), plan)})
	})
	if err != nil {
		return ledger.ImportPlan{}, err
	}
	s.remember(st)
	return plan, nil
}

// largeCache gives SQLite's writer connection a page cache large enough
// for an import's transaction, which with the default 2 MB spills its pages
// to the WAL file (a third of its time); restore gives the connection back
// with its cache as it was.
func (s *Store) largeCache(ctx context.Context, tx *txn) (restore func(), err error) {
	if s.dialect != SQLite {
		return func() {}, nil
	}
	var was int64
	if err := tx.Tx.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&was); err != nil {
		return nil, err
	}
	if _, err := tx.Tx.ExecContext(ctx, "PRAGMA cache_size = -262144"); err != nil { // 256 MiB at most
		return nil, err
	}
	return func() { tx.Tx.ExecContext(ctx, "PRAGMA cache_size = "+strconv.FormatInt(was, 10)) }, nil
}

// importExisting reads the live customers with the rows' phones and the
// currencies they have accounts in.
func (s *Store) importExisting(ctx context.Context, tx *txn, rows []ledger.ImportRow) (ledger.ImportExisting, error) {
	ex := ledger.ImportExisting{Customers: map[string]int64{}, Accounts: map[int64]map[string]bool{}}
	seen := map[string]bool{}
	var phones []any
	for _, r := range rows {
		if !seen[r.Customer.Phone] {
			seen[r.Customer.Phone] = true
			phones = append(phones, r.Customer.Phone)
		}
	}
	var ids []any
	err := inChunks(phones, func(chunk []any) error {
		rows, err := tx.QueryContext(ctx, "SELECT id, phone FROM customers WHERE archived_at IS NULL AND phone IN ("+placeholders(1, len(chunk))+")", chunk...)
		return eachRow(rows, err, func(row scanner) error {
			var id int64
			var phone string
			err := row.Scan(&id, &phone)
			ex.Customers[phone] = id
			ids = append(ids, id)
			return err
		})
	})
	if err != nil {
		return ex, err
	}
	err = inChunks(ids, func(chunk []any) error {
		rows, err := tx.QueryContext(ctx, "SELECT customer_id, currency FROM accounts WHERE customer_id IN ("+placeholders(1, len(chunk))+")", chunk...)
		return eachRow(rows, err, func(row scanner) error {
			var id int64
			var cur string
			err := row.Scan(&id, &cur)
			if ex.Accounts[id] == nil {
				ex.Accounts[id] = map[string]bool{}
			}
			ex.Accounts[id][cur] = true
			return err
		})
	})
	return ex, err
}

// inChunks calls fn with vs importChunk at a time.
func inChunks(vs []any, fn func([]any) error) error {
	for len(vs) > 0 {
		n := min(len(vs), importChunk)
		if err := fn(vs[:n]); err != nil {
			return err
		}
		vs = vs[n:]
	}
	return nil
}

// eachRow calls fn for every row of a query, then closes it.
func eachRow(rows *sql.Rows, err error, fn func(scanner) error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// importReference names the file and line an opening balance came from.
// A reference holds at most 200 characters: a long name keeps its end.
func importReference(file string, line int) string {
	if r := []rune(file); len(r) > 150 {
		file = string(r[len(r)-150:])
	}
	return "import " + file + " line " + strconv.Itoa(line)
}

// auditImport is the operation record of an import: the file and what it
// did, so that the records list shows the import as one operation.
func auditImport(file string, rows int, p ledger.ImportPlan) map[string]any {
	totals := map[string]string{}
	for _, t := range p.Totals() {
		totals[t.Currency] = t.Total
	}
	return map[string]any{"file_name": file, "rows": rows, "customers_created": p.NewCustomers,
		"customers_matched": p.MatchedCustomers, "accounts_created": p.NewAccounts, "accounts_skipped": p.SkippedAccounts,
		"opening_balances": totals}
}

// sameRegion refuses an import whose phones were read under another
// phone_region than the customers' are stored under: it would not find
// the customers it should match. A writing import holds the setting
// (phoneRegion); a dry run reads it.
func (s *Store) sameRegion(ctx context.Context, tx *txn, imp *ledger.Import, writing bool) error {
	region, err := "", error(nil)
	if writing {
		region, err = s.phoneRegion(ctx, tx)
	} else {
		var st ledger.Settings
		st, err = loadSettings(ctx, tx, "")
		region = st.PhoneRegion
	}
	if err == nil && region != imp.Region {
		err = ledger.ErrStaleVersion
	}
	return err
}
