package ledger

import (
	"math/big"
	"sort"

	"github.com/cofferhq/coffer/internal/money"
)

// ReasonOpeningBalance is the reason of the adjustment an import posts
// for a new account's opening balance. It is not one of Reasons: an
// administrator never picks it for a manual adjustment.
const ReasonOpeningBalance Reason = "opening_balance"

// SystemOpening is the system account that opening balances come from:
// the money the customers held before Coffer kept it.
const SystemOpening = "opening"

// ImportExisting is what the database already holds of an import's
// customers: live customers by normalised phone, and the currencies each
// of them has an account in.
type ImportExisting struct {
	Customers map[string]int64          // phone → customer id
	Accounts  map[int64]map[string]bool // customer id → currencies
}

// ImportStep is what an import does for one row.
type ImportStep struct {
	Row *ImportRow
	// CustomerID is the existing customer the row's phone matched; 0 when
	// the row's customer is new (FirstOfCustomer: this row creates it,
	// otherwise an earlier row of the same phone did).
	CustomerID      int64
	FirstOfCustomer bool
	// OpenAccount: the row opens an account in its currency (and posts its
	// opening balance, if any). Skipped: the customer has an account in
	// that currency already, so the row changes nothing of it; a second
	// run of a file skips every account of the first.
	OpenAccount bool
	Skipped     bool
}

// ImportPlan is what an import does, row by row, with its counts.
type ImportPlan struct {
	Steps            []ImportStep
	NewCustomers     int
	MatchedCustomers int // distinct existing customers the file's phones found
	NewAccounts      int
	SkippedAccounts  int
	OpeningPostings  int
	// OpeningTotals is the sum of the opening balances posted, per
	// currency code, in minor units (exact: many rows may pass int64).
	OpeningTotals map[string]*big.Int
}

// PlanImport decides what rows do given what exists: a phone that a live
// customer has reuses that customer (its fields are left as they are); an
// account the customer has in the row's currency is skipped, with its
// balance and settings. Running a file twice thus creates nothing new.
func PlanImport(rows []ImportRow, existing ImportExisting) ImportPlan {
	p := ImportPlan{OpeningTotals: map[string]*big.Int{}}
	newPhones := map[string]bool{}
	matched := map[int64]bool{}
	opened := map[string]map[string]bool{} // phone → currencies opened by this file
	for i := range rows {
		row := &rows[i]
		st := ImportStep{Row: row, CustomerID: existing.Customers[row.Customer.Phone]}
		switch {
		case st.CustomerID != 0:
			if !matched[st.CustomerID] {
				matched[st.CustomerID] = true
				p.MatchedCustomers++
			}
		case !newPhones[row.Customer.Phone]:
			newPhones[row.Customer.Phone] = true
			st.FirstOfCustomer = true
			p.NewCustomers++
		}
		if row.Currency != "" {
			st.OpenAccount = !existing.Accounts[st.CustomerID][row.Currency] && !opened[row.Customer.Phone][row.Currency]
			st.Skipped = !st.OpenAccount
			p.count(st, opened)
		}
		p.Steps = append(p.Steps, st)
	}
	return p
}

// count adds an account step to the plan's counts.
func (p *ImportPlan) count(st ImportStep, opened map[string]map[string]bool) {
	row := st.Row
	if st.Skipped {
		p.SkippedAccounts++
		return
	}
	if opened[row.Customer.Phone] == nil {
		opened[row.Customer.Phone] = map[string]bool{}
	}
	opened[row.Customer.Phone][row.Currency] = true
	p.NewAccounts++
	if row.Opening == 0 {
		return
	}
	p.OpeningPostings++
	t := p.OpeningTotals[row.Currency]
	if t == nil {
		t = new(big.Int)
		p.OpeningTotals[row.Currency] = t
	}
	t.Add(t, big.NewInt(row.Opening))
}

// OpeningTotal is one currency's total of opening balances.
type OpeningTotal struct {
	Currency string
	Total    string // in the major unit, e.g. "1250.00"
}

// Totals lists the opening balances' totals by currency code.
func (p ImportPlan) Totals() []OpeningTotal {
	var out []OpeningTotal
	for code, t := range p.OpeningTotals {
		cur, err := money.LookupCurrency(code)
		if err != nil {
			continue // a plan's codes were looked up when its rows were read
		}
		out = append(out, OpeningTotal{Currency: code, Total: money.FormatTotal(t, cur.Digits())})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out
}
