package api

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/store"
)

// Customer accounts: one per customer and currency, holding the balance.

// AccountJSON is a customer's account in one currency, with its balance and
// what it may still spend.
type AccountJSON struct {
	ID                 string     `json:"id" example:"42"`
	Number             string     `json:"number"`
	CustomerID         string     `json:"customer_id" example:"3"`
	CustomerName       string     `json:"customer_name,omitempty" example:"Shanghai Mingde Trading Co."`
	Currency           string     `json:"currency" example:"CNY"`
	Balance            string     `json:"balance" doc:"principal + bonus." example:"120.00"`
	Principal          string     `json:"principal" doc:"The customer's own money: the balance less its bonus (SPEC 11); negative when credit is in use." example:"100.00"`
	Bonus              string     `json:"bonus" doc:"Promotional credit: what the account's bonus lots hold. Spent before principal unless the setting spend_order says otherwise." example:"20.00"`
	BonusExpiresAt     *time.Time `json:"bonus_expires_at" doc:"When the first of the bonus lots runs out; null when none expires."`
	ExpiredBonus       string     `json:"expired_bonus" doc:"Bonus that has run out and is no longer spendable, not yet posted as bonus_expired (the expiry job does that within seconds)." example:"0.00"`
	Held               string     `json:"held" doc:"Sum of the active holds (SPEC 8); a hold stops counting when it runs out." example:"30.00"`
	Available          string     `json:"available" doc:"Balance plus credit limit plus the overdraft while it is active, minus held."`
	AlertAmount        string     `json:"alert_amount" example:"50.00"`
	CreditLimit        string     `json:"credit_limit" example:"500.00"`
	Overdraft          string     `json:"overdraft" example:"0.00"`
	OverdraftExpiresAt *time.Time `json:"overdraft_expires_at"`
	Status             string     `json:"status" enum:"normal,frozen,disabled"`
	BelowAlert         bool       `json:"below_alert"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
	Version            int64      `json:"version" doc:"Grows with every change of the account's settings (alert amount, credit limit, overdraft and its expiry, status), not with postings. Send it back with a change to have the change refused (stale_version) if the settings changed since."`
}

// accountJSON shows acc as of now; customerName is left out when "".
func (a *API) accountJSON(acc ledger.Account, customerName string) AccountJSON {
	cur := acc.Currency
	avail, err := acc.Available(a.now())
	if err != nil {
		avail = acc.Balance
	}
	return AccountJSON{ID: idString(acc.ID), Number: acc.Number, CustomerID: idString(acc.CustomerID), CustomerName: customerName,
		Currency: cur.Code(), Balance: fmtAmount(acc.Balance, cur), Principal: fmtAmount(acc.Principal(), cur), Bonus: fmtAmount(acc.Bonus, cur),
		BonusExpiresAt: optTime(acc.BonusUntil), ExpiredBonus: fmtAmount(acc.ExpiredBonus, cur), Held: fmtAmount(acc.Held, cur), Available: fmtAmount(avail, cur),
		AlertAmount: fmtAmount(acc.AlertAmount, cur), CreditLimit: fmtAmount(acc.CreditLimit, cur), Overdraft: fmtAmount(acc.Overdraft, cur),
		OverdraftExpiresAt: optTime(acc.OverdraftExpiresAt), Status: string(acc.Status), BelowAlert: acc.BelowAlert(),
		CreatedAt: utc(acc.CreatedAt), UpdatedAt: utc(acc.UpdatedAt), Version: acc.Version}
}

// AccountOutput is one account.
type AccountOutput struct{ Body AccountJSON }

// AccountIDInput names one account.
type AccountIDInput struct {
	ID string `path:"id"`
}

// CreateAccountInput opens a customer's account in a currency.
type CreateAccountInput struct {
	Body struct {
		CustomerID string `json:"customer_id" example:"3"`
		Currency   string `json:"currency" doc:"ISO 4217 code, e.g. USD." example:"CNY"`
	}
}

// PatchAccountInput changes the settings it gives of one account.
type PatchAccountInput struct {
	ID   string `path:"id"`
	Body struct {
		AlertAmount        *string `json:"alert_amount,omitempty" doc:"Admins and super admins." example:"50.00"`
		CreditLimit        *string `json:"credit_limit,omitempty" doc:"Super admins only." example:"500.00"`
		Overdraft          *string `json:"overdraft,omitempty" doc:"Super admins only." example:"0.00"`
		OverdraftExpiresAt *string `json:"overdraft_expires_at,omitempty" doc:"RFC 3339 time, or \"\" for no expiry. Super admins only."`
		Status             *string `json:"status,omitempty" enum:"normal,frozen,disabled" doc:"Super admins only."`
		Version            *int64  `json:"version,omitempty" doc:"The account's version the change was decided on; if its settings changed since, nothing changes and the answer is 409 stale_version."`
	}
}

// ListAccountsInput finds accounts; its filters combine.
type ListAccountsInput struct {
	Page
	CustomerID  string `query:"customer_id"`
	Currency    string `query:"currency"`
	Status      string `query:"status" enum:"normal,frozen,disabled,"`
	BalanceMin  string `query:"balance_min" doc:"Lowest balance, inclusive. With currency, in that currency; without, in each account's own currency's major unit (10 is 10.00 USD and 10 JPY), compared exactly whatever its decimals."`
	BalanceMax  string `query:"balance_max" doc:"Highest balance, inclusive; read as balance_min is."`
	CreatedFrom string `query:"created_from" doc:"Date (business time zone) or RFC 3339 time."`
	CreatedTo   string `query:"created_to" doc:"Date (inclusive) or RFC 3339 time."`
	BelowAlert  string `query:"below_alert" enum:"true,false,"`
	Q           string `query:"q" doc:"Part of the customer's name, email, phone or company, or of the account number. Three or more characters find their rows through an index."`
	Sort        string `query:"sort" doc:"created_at, balance or number; prefix - for descending. Default -created_at."`
	Accept      string `header:"Accept" doc:"text/csv exports every matching account as CSV instead of a page of JSON."`
}

// AccountsOutput is a page of accounts in the order asked for.
type AccountsOutput struct{ Body List[AccountJSON] }

// EntryJSON is one ledger entry of an account.
type EntryJSON struct {
	ID            string    `json:"id" example:"42"`
	TransactionID string    `json:"transaction_id" example:"1024"`
	Type          string    `json:"type"`
	Amount        string    `json:"amount" doc:"Signed: negative takes money from the account." example:"12.50"`
	BalanceAfter  string    `json:"balance_after" example:"107.50"`
	Part          string    `json:"part" enum:"principal,bonus" doc:"Which part of the balance the entry moves (SPEC 11). A debit that spends bonus and principal has one entry of each."`
	CreatedAt     time.Time `json:"created_at"`
}

// EntriesInput names the account whose entries to list.
type EntriesInput struct {
	ID string `path:"id"`
	Page
}

// EntriesOutput is a page of an account's entries, newest first.
type EntriesOutput struct{ Body List[EntryJSON] }

func (a *API) registerAccounts() {
	tags := []string{"accounts"}
	register(a, huma.Operation{OperationID: "list-accounts", Method: http.MethodGet, Path: "/accounts", Tags: tags,
		Summary: "Find accounts", Description: "Filters combine. With Accept: text/csv the whole result is exported as CSV."}, auth.ActView,
		a.listAccounts)
	register(a, huma.Operation{OperationID: "create-account", Method: http.MethodPost, Path: "/accounts", Tags: tags,
		Summary: "Open a customer's account in a currency", Description: "Accounts also open by themselves on a customer's first top-up or adjustment in a currency.",
		Errors: []int{409, 422}}, auth.ActOperate, a.createAccount)
	register(a, huma.Operation{OperationID: "get-account", Method: http.MethodGet, Path: "/accounts/{id}", Tags: tags,
		Summary: "One account with its balance and what is available"}, auth.ActView, a.getAccount)
	register(a, a.orApproval(huma.Operation{OperationID: "update-account", Method: http.MethodPatch, Path: "/accounts/{id}", Tags: tags,
		Summary: "Change an account's alert amount, credit, overdraft or status",
		Description: "Customer and number cannot change. Admins may change the alert amount; credit limit, overdraft and status are for super admins. " +
			"While the setting approve_credit_changes is on, a change that touches credit_limit, overdraft or overdraft_expires_at is not applied: " +
			"the whole change (every field it gives) waits for another super admin, and the answer is 202 with the approval (see /approvals).",
		Errors: []int{403, 404, 409, 422}}, http.StatusOK, AccountJSON{}), auth.ActOperate,
		a.updateAccount)
	register(a, huma.Operation{OperationID: "list-entries", Method: http.MethodGet, Path: "/accounts/{id}/entries", Tags: tags,
		Summary: "The account's ledger entries, newest first, with the balance after each"}, auth.ActView, a.listEntries)
}

func (a *API) listAccounts(ctx context.Context, in *ListAccountsInput) (*AccountsOutput, error) {
	f, err := a.accountFilter(ctx, in)
	if err != nil {
		return nil, err
	}
	rows, err := a.store.Accounts(ctx, f)
	if err != nil {
		return nil, err
	}
	out := &AccountsOutput{}
	out.Body.Items = []AccountJSON{}
	for _, r := range rows {
		out.Body.Items = append(out.Body.Items, a.accountJSON(r.Account, r.CustomerName))
	}
	// The cursor is the last row's sort key, so the next page continues in
	// the order asked for rather than by id.
	if len(rows) == f.Limit {
		out.Body.NextCursor = encodeCursor(rows[len(rows)-1].SortKey(f.Sort), strings.TrimPrefix(f.Sort, "-") == "number")
	}
	return out, nil
}

func (a *API) createAccount(ctx context.Context, in *CreateAccountInput) (*AccountOutput, error) {
	cid, err := parseOptID(in.Body.CustomerID, "customer_id")
	if err != nil {
		return nil, err
	}
	acc, created, err := a.store.OpenAccount(ctx, callerOf(ctx).actor(), cid, in.Body.Currency)
	if err != nil {
		return nil, err
	}
	if !created {
		return nil, ledger.ErrAlreadyExists.With("the customer already has an account in " + in.Body.Currency + ": " + idString(acc.ID))
	}
	return &AccountOutput{Body: a.accountJSON(acc, "")}, nil
}

func (a *API) getAccount(ctx context.Context, in *AccountIDInput) (*AccountOutput, error) {
	acc, err := byID(ctx, in.ID, "account", a.store.Account)
	if err != nil {
		return nil, err
	}
	c, err := a.store.Customer(ctx, acc.CustomerID)
	return &AccountOutput{Body: a.accountJSON(acc, c.Name)}, err
}

func (a *API) updateAccount(ctx context.Context, in *PatchAccountInput) (*AccountChangeOutput, error) {
	acc, err := byID(ctx, in.ID, "account", a.store.Account)
	if err != nil {
		return nil, err
	}
	b := in.Body
	if !auth.Can(callerOf(ctx).Role(), auth.ActCredit) && (b.CreditLimit != nil || b.Overdraft != nil || b.OverdraftExpiresAt != nil || b.Status != nil) {
		return nil, forbidden("only a super admin may change credit limit, overdraft or status")
	}
	c, err := accountChange(in, acc.Currency)
	if err != nil {
		return nil, err
	}
	acc, queued, err := a.store.SubmitAccountChange(ctx, callerOf(ctx).actor(), acc.ID, c)
	if err != nil {
		return nil, err
	}
	if queued != nil {
		return &AccountChangeOutput{Status: http.StatusAccepted, Body: approvalJSON(*queued)}, nil
	}
	return &AccountChangeOutput{Status: http.StatusOK, Body: a.accountJSON(acc, "")}, nil
}

// AccountChangeOutput is the account after a change (200), or the approval
// the change waits as (202) while approve_credit_changes is on.
type AccountChangeOutput struct {
	Status int
	Body   any `doc:"200: the account (AccountJSON); 202: the approval (ApprovalJSON)."`
}

// accountChange reads a change of an account's settings, its amounts in the
// account's currency.
func accountChange(in *PatchAccountInput, cur money.Currency) (store.AccountChange, error) {
	b := in.Body
	c := store.AccountChange{Version: b.Version}
	var problems fieldProblems
	amount := func(field string, s *string) *int64 {
		if s == nil {
			return nil
		}
		v, err := limitAmount(field, *s, cur)
		if err != nil {
			problems.add(err)
			return nil
		}
		return &v
	}
	c.AlertAmount = amount("alert_amount", b.AlertAmount)
	c.CreditLimit = amount("credit_limit", b.CreditLimit)
	c.Overdraft = amount("overdraft", b.Overdraft)
	if b.OverdraftExpiresAt != nil {
		exp, err := optionalTime("overdraft_expires_at", *b.OverdraftExpiresAt)
		problems.add(err)
		c.OverdraftExpiresAt = &exp
	}
	if b.Status != nil {
		st := ledger.Status(*b.Status)
		c.Status = &st
	}
	return c, problems.err()
}

// optionalTime reads a field that is an RFC 3339 time or "" for none
// (nil): an overdraft that does not expire, a promotion without an end.
func optionalTime(field, s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, invalid(field, "must be an RFC 3339 time or \"\"")
	}
	return &t, nil
}

func (a *API) listEntries(ctx context.Context, in *EntriesInput) (*EntriesOutput, error) {
	id, err := parseID(in.ID, "account")
	if err != nil {
		return nil, err
	}
	limit, before, err := in.window()
	if err != nil {
		return nil, err
	}
	acc, err := a.store.Account(ctx, id)
	if err != nil {
		return nil, err
	}
	rows, err := a.store.Entries(ctx, id, before, limit)
	if err != nil {
		return nil, err
	}
	toJSON := func(e store.EntryRow) EntryJSON { return entryJSON(e, acc.Currency) }
	return &EntriesOutput{Body: pageOf(rows, limit, toJSON, func() int64 { return rows[len(rows)-1].ID })}, nil
}

// entryJSON shows an entry of an account in cur; balance_after is "" for an
// entry whose balance was not kept.
func entryJSON(e store.EntryRow, cur money.Currency) EntryJSON {
	after := ""
	if e.BalanceAfter != nil {
		after = fmtAmount(*e.BalanceAfter, cur)
	}
	return EntryJSON{ID: idString(e.ID), TransactionID: idString(e.TransactionID), Type: string(e.Type),
		Amount: fmtAmount(e.Amount, cur), BalanceAfter: after, Part: string(e.Part), CreatedAt: utc(e.CreatedAt)}
}

// accountFilter turns the list's query into a store filter.
func (a *API) accountFilter(ctx context.Context, in *ListAccountsInput) (store.AccountFilter, error) {
	var f store.AccountFilter
	var problems fieldProblems
	var err error
	f.Limit, err = in.limit()
	problems.add(err)
	f.CustomerID, err = parseOptID(in.CustomerID, "customer_id")
	problems.add(err)
	var cur money.Currency
	if in.Currency != "" {
		cur, err = currency("currency", in.Currency)
		problems.add(err)
		f.Currency = in.Currency
	}
	f.Status = ledger.Status(in.Status)
	problems.add(balanceRange(&f, cur, in.BalanceMin, in.BalanceMax))
	if in.BelowAlert != "" {
		v := in.BelowAlert == "true"
		f.BelowAlert = &v
	}
	settings, err := a.store.Settings(ctx)
	if err != nil {
		return f, err
	}
	f.CreatedFrom, f.CreatedTo, err = timeRange("created_from", in.CreatedFrom, "created_to", in.CreatedTo, settings.Location())
	problems.add(err)
	f.Q = in.Q
	f.Sort = in.Sort
	if f.Sort == "" {
		f.Sort = "-created_at"
	}
	if !slices.Contains(store.AccountSorts, f.Sort) {
		problems.field("sort", "must be one of "+strings.Join(store.AccountSorts, ", "))
	}
	// The cursor's shape depends on the sort, so it is read only once the
	// sort is known to be right.
	if len(problems) == 0 {
		f.After, err = decodeCursor(in.Cursor, strings.TrimPrefix(f.Sort, "-") == "number")
		problems.add(err)
	}
	return f, problems.err()
}

// balanceRange reads balance_min and balance_max: in cur when the list
// names a currency, else in each account's own currency (SPEC section 7).
func balanceRange(f *store.AccountFilter, cur money.Currency, min, max string) error {
	var problems fieldProblems
	for _, b := range []struct {
		field, v string
		dst      **int64
		major    **store.MajorBound
	}{{"balance_min", min, &f.BalanceMin, &f.MajorMin}, {"balance_max", max, &f.BalanceMax, &f.MajorMax}} {
		if b.v == "" {
			continue
		}
		var err error
		if cur.IsZero() { // no currency, or an unknown one (reported already)
			var m store.MajorBound
			if m, err = store.ParseMajorBound(b.v); err == nil {
				*b.major = &m
			}
		} else {
			var v money.Amount
			if v, err = money.Parse(b.v, cur); err == nil {
				m := v.Minor()
				*b.dst = &m
			}
		}
		if err != nil {
			problems.add(amountProblem(b.field, err))
		}
	}
	return problems.err()
}
