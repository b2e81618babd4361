package ledger

import (
	"fmt"
	"strings"

	"github.com/cofferhq/coffer/internal/money"
)

// MaxAlertBatchAccounts bounds the account_ids of one batch; a larger
// scope is a currency, or every account.
const MaxAlertBatchAccounts = 100000

// AlertBatchRequest asks to set the alert amount of a scope of accounts:
// exactly one of AccountIDs, Currency and All (G 2.4).
type AlertBatchRequest struct {
	// AlertAmount is a decimal in the major unit, read in each account's
	// currency: "100" is 100.00 USD and 100 JPY.
	AlertAmount string
	AccountIDs  []int64
	Currency    string
	All         bool
}

// Validate checks what needs no database and returns the scope's name:
// accounts, currency or all.
func (r AlertBatchRequest) Validate() (string, error) {
	var p problems
	scope, n := "", 0
	if len(r.AccountIDs) > 0 {
		scope, n = "accounts", n+1
	}
	if r.Currency != "" {
		scope, n = "currency", n+1
	}
	if r.All {
		scope, n = "all", n+1
	}
	switch {
	case n == 0:
		p.because("account_ids", "batch_scope", "choose the accounts: give account_ids, or currency, or all: true")
	case n > 1:
		p.because("account_ids", "batch_scope", "give only one of account_ids, currency and all")
	}
	if strings.TrimSpace(r.AlertAmount) == "" {
		p.because("alert_amount", "required", "is required")
	}
	if len(r.AccountIDs) > MaxAlertBatchAccounts {
		p.because("account_ids", "batch_size", fmt.Sprintf("at most %d accounts; use currency or all for more", MaxAlertBatchAccounts), MaxAlertBatchAccounts)
	}
	for _, id := range r.AccountIDs {
		if id <= 0 {
			p.because("account_ids", "no_such", "holds an id that is not valid")
			break
		}
	}
	if r.Currency != "" {
		if _, err := money.LookupCurrency(r.Currency); err != nil {
			p.because("currency", "unknown_currency", err.Error())
		}
	}
	return scope, p.err()
}
