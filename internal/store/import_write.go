package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cofferhq/coffer/internal/ledger"
)

// An import writes its rows many to a statement: customers, then their
// accounts, then the opening balances, each with their operation records
// and events, as a posting would write them one by one. One row a
// statement cost 0.7 ms a row on SQLite (the search index of customers and
// accounts, FTS5, flushes at every statement), too slow for SPEC 12's
// 100,000 rows in a minute; on PostgreSQL it would be a round trip each.

// importBatch is how many rows one INSERT writes: 100 rows of the widest
// table (audit_log, 10 values) stay far below either database's limit on
// parameters; more gained nothing measurable.
const importBatch = 100

// insertRows inserts rows (each a list of values for cols) into table,
// importBatch to a statement, with suffix (ON CONFLICT, RETURNING) after
// the values; scan, if given, reads each row the statement returns.
func (s *Store) insertRows(ctx context.Context, tx *txn, table, cols, suffix string, rows [][]any, scan func(scanner) error) error {
	for len(rows) > 0 {
		n := min(len(rows), importBatch)
		var args sqlArgs
		var q strings.Builder
		q.WriteString("INSERT INTO " + table + " " + cols + " VALUES ")
		for i, r := range rows[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(" + s.valueList(&args, r) + ")")
		}
		q.WriteString(suffix)
		var err error
		if scan == nil {
			_, err = tx.ExecContext(ctx, q.String(), args...)
		} else {
			rs, qerr := tx.QueryContext(ctx, q.String(), args...)
			err = eachRow(rs, qerr, scan)
		}
		if err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// valueList adds vs to args and returns their placeholders. SQLite gets
// bare '?': the driver looks up each numbered parameter's name in a list as
// long as the statement's, which made binding a long INSERT quadratic.
func (s *Store) valueList(args *sqlArgs, vs []any) string {
	if s.dialect != SQLite {
		return args.list(vs...)
	}
	*args = append(*args, vs...)
	return strings.Repeat("?, ", len(vs)-1) + "?"
}

// insertAudits writes the operation records of changes, all by actor.
func (s *Store) insertAudits(ctx context.Context, tx *txn, actor ledger.Actor, changes []change) error {
	rows := make([][]any, 0, len(changes))
	for _, c := range changes {
		args, err := s.auditArgs(actor, c)
		if err != nil {
			return err
		}
		rows = append(rows, args)
	}
	return s.insertRows(ctx, tx, "audit_log", auditInsertCols, "", rows, nil)
}

// applyImportSteps writes what the plan's steps create.
func (s *Store) applyImportSteps(ctx context.Context, st *txState, actor ledger.Actor, file string, steps []ledger.ImportStep) error {
	created, err := s.importCustomers(ctx, st, actor, steps)
	if err != nil {
		return err
	}
	accounts, err := s.importAccounts(ctx, st, actor, steps, created)
	if err != nil {
		return err
	}
	return s.importOpenings(ctx, st, actor, file, accounts)
}

// importCustomers creates the plan's new customers and returns their ids
// by phone.
func (s *Store) importCustomers(ctx context.Context, st *txState, actor ledger.Actor, steps []ledger.ImportStep) (map[string]int64, error) {
	var rows [][]any
	for _, step := range steps {
		if c := step.Row.Customer; step.FirstOfCustomer {
			rows = append(rows, []any{c.Name, nullString(c.Phone), nullString(c.Email), c.Company, c.Remark, "", micros(st.now), micros(st.now)})
		}
	}
	ids := map[string]int64{}
	var changes []change
	err := s.insertRows(ctx, st.tx, "customers", "(name, phone, email, company, remark, default_currency, created_at, updated_at)",
		" RETURNING "+customerCols, rows, func(row scanner) error {
			c, err := scanCustomer(row)
			ids[c.Phone] = c.ID
			changes = append(changes, change{action: "customer.create", objectType: "customer", objectID: c.ID, after: auditCustomer(c)})
			return err
		})
	if unique, _ := uniqueViolation(err); unique {
		// Another customer took a phone since the import's lookup (on
		// PostgreSQL, in a transaction that committed in between).
		return nil, ledger.ErrDuplicatePhone.With("another customer took one of the file's phones during the import; run it again")
	}
	if err != nil {
		return nil, err
	}
	return ids, s.insertAudits(ctx, st.tx, actor, changes)
}

// importedAccount is an account an import opened, with its row.
type importedAccount struct {
	account ledger.Account
	row     *ledger.ImportRow
}

type accountKey struct {
	customerID int64
	currency   string
}

// importAccounts opens the plan's accounts with their alert amounts,
// credit limits (the default one when the row gives none) and opening
// balances. The balance is written with the account, and its one entry by
// importOpenings in the same transaction: at commit the stored balance is
// the sum of its entries, as always, without an UPDATE of every account.
func (s *Store) importAccounts(ctx context.Context, st *txState, actor ledger.Actor, steps []ledger.ImportStep, created map[string]int64) ([]importedAccount, error) {
	want := map[accountKey]*ledger.ImportRow{}
	var keys []accountKey
	for _, step := range steps {
		if !step.OpenAccount {
			continue
		}
		id := step.CustomerID
		if id == 0 {
			id = created[step.Row.Customer.Phone]
		}
		k := accountKey{id, step.Row.Currency}
		want[k] = step.Row
		keys = append(keys, k)
	}
	got := map[accountKey]ledger.Account{}
	// A random account number already taken leaves its row out of the
	// INSERT's result (ON CONFLICT DO NOTHING): such rows go again.
	for attempt := 0; len(got) < len(keys); attempt++ {
		if attempt == 5 {
			return nil, errors.New("store: could not number the imported accounts after 5 attempts")
		}
		if err := s.insertImportAccounts(ctx, st, keys, want, got); err != nil {
			return nil, err
		}
	}
	out := make([]importedAccount, 0, len(keys))
	changes := make([]change, 0, len(keys))
	for _, k := range keys {
		a := got[k]
		st.tx.note(a.ID, lockInfo{customerID: a.CustomerID, alertAmount: a.AlertAmount}) // new: no alert yet
		out = append(out, importedAccount{account: a, row: want[k]})
		changes = append(changes, change{action: "account.create", objectType: "account", objectID: a.ID, after: auditAccount(a)})
	}
	return out, s.insertAudits(ctx, st.tx, actor, changes)
}

// insertImportAccounts inserts the accounts of keys not yet in got.
func (s *Store) insertImportAccounts(ctx context.Context, st *txState, keys []accountKey, want map[accountKey]*ledger.ImportRow, got map[accountKey]ledger.Account) error {
	credits := map[string]int64{}
	var rows [][]any
	for _, k := range keys {
		if _, done := got[k]; done {
			continue
		}
		row := want[k]
		credit := row.CreditLimit
		if !row.HasCredit {
			c, ok := credits[row.Currency]
			if !ok {
				var err error
				if c, err = s.defaultCreditLimit(ctx, st.tx, row.Currency); err != nil {
					return err
				}
				credits[row.Currency] = c
			}
			credit = c
		}
		rows = append(rows, []any{ledger.NewAccountNumber(), k.customerID, k.currency, row.Opening, row.AlertAmount, credit,
			micros(st.now), micros(st.now)})
	}
	return s.insertRows(ctx, st.tx, "accounts", "(number, customer_id, currency, balance, alert_amount, credit_limit, created_at, updated_at)",
		" ON CONFLICT DO NOTHING RETURNING "+accountCols, rows, func(row scanner) error {
			a, err := scanAccount(row)
			got[accountKey{a.CustomerID, a.Currency.Code()}] = a
			return err
		})
}

// importOpenings posts the opening balances: each an adjustment (reason
// opening_balance) between the account and the system account opening,
// checked by the rules of every posting (floor, bounds) against the
// account as it was opened, with its entries, event and operation record.
func (s *Store) importOpenings(ctx context.Context, st *txState, actor ledger.Actor, file string, accounts []importedAccount) error {
	var txs []*ledger.Transaction
	for _, ia := range accounts {
		if ia.row.Opening == 0 {
			continue
		}
		t, err := s.openingTransaction(ctx, st, actor, file, ia)
		if err != nil {
			return err
		}
		txs = append(txs, t)
	}
	if err := s.insertTransactions(ctx, st.tx, txs); err != nil {
		return err
	}
	return s.insertPostingRecords(ctx, st.tx, actor, txs)
}

// openingTransaction builds and checks the opening balance of ia.
func (s *Store) openingTransaction(ctx context.Context, st *txState, actor ledger.Actor, file string, ia importedAccount) (*ledger.Transaction, error) {
	a, opening := ia.account, ia.row.Opening
	a.Balance = 0 // as opened: the balance written with it is this posting's
	var err error
	if opening < 0 {
		err = a.CheckDebit(-opening, st.now)
	} else {
		err = a.CheckCredit(opening)
	}
	if err != nil {
		return nil, fmt.Errorf("line %d: %w", ia.row.Line, err)
	}
	sys, err := s.systemAccount(ctx, st, ledger.SystemOpening, a.Currency)
	if err != nil {
		return nil, err
	}
	return newTransaction(st, ledger.Transaction{Type: ledger.TxAdjustment, Reason: ledger.ReasonOpeningBalance,
		Reference: importReference(file, ia.row.Line), Note: "opening balance", CreatedBy: actor.AdminID}, a, opening, sys), nil
}

// insertTransactions writes txs and their entries and sets their ids.
func (s *Store) insertTransactions(ctx context.Context, tx *txn, txs []*ledger.Transaction) error {
	byAccount := map[int64]*ledger.Transaction{} // an import posts once to an account
	rows := make([][]any, 0, len(txs))
	for _, t := range txs {
		if sum := t.Entries[0].Amount + t.Entries[1].Amount; sum != 0 || len(t.Entries) != 2 {
			return fmt.Errorf("store: refusing unbalanced transaction (%d entries, sum %d)", len(t.Entries), sum)
		}
		byAccount[t.AccountID] = t
		rows = append(rows, txArgs(t))
	}
	err := s.insertRows(ctx, tx, "transactions", txInsertCols, " RETURNING id, account_id", rows, func(row scanner) error {
		var id, account int64
		err := row.Scan(&id, &account)
		if t := byAccount[account]; t != nil {
			t.ID = id
		}
		return err
	})
	if err != nil {
		return err
	}
	entries := make([][]any, 0, 2*len(txs))
	for _, t := range txs {
		for i := range t.Entries {
			t.Entries[i].TransactionID = t.ID
			entries = append(entries, entryArgs(t.ID, &t.Entries[i]))
		}
	}
	return s.insertRows(ctx, tx, "entries", entryInsertCols, "", entries, nil)
}

// insertPostingRecords writes what writePosting writes beside a posting's
// rows: its transaction.posted event, its operation record, and the
// low-balance alert a debit below the alert amount raises.
func (s *Store) insertPostingRecords(ctx context.Context, tx *txn, actor ledger.Actor, txs []*ledger.Transaction) error {
	events := make([][]any, 0, len(txs))
	changes := make([]change, 0, len(txs))
	for _, t := range txs {
		ev, err := s.eventArgs("transaction.posted", postedEvent(t))
		if err != nil {
			return err
		}
		events = append(events, ev)
		changes = append(changes, auditPosting(t))
	}
	if err := s.insertRows(ctx, tx, "events", eventInsertCols, "", events, nil); err != nil {
		return err
	}
	if err := s.insertAudits(ctx, tx, actor, changes); err != nil {
		return err
	}
	tx.quiet = true
	defer func() { tx.quiet = false }()
	for _, t := range txs {
		// Only a negative opening balance can raise an alert: a credit
		// from zero raises none (alertMove), and no alert is open yet.
		if t.Amount < 0 {
			if err := s.settleAlerts(ctx, tx, t); err != nil {
				return err
			}
		}
	}
	return nil
}
