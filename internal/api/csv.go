package api

import (
	"encoding/csv"
	"errors"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"coffer/internal/ledger"
)

// WantsCSV reports whether a list request asks for a CSV export.
func WantsCSV(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/csv" {
			return true
		}
	}
	return false
}

// safeCell keeps a spreadsheet from reading user text as a formula: a cell
// that starts with = + - @ or a control character gets a leading quote.
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r\n", rune(s[0])) {
		return "'" + s
	}
	return s
}

// ExportAccountsCSV answers GET /api/v1/accounts with Accept: text/csv. It
// takes the list's filters and streams every matching account, a page of
// rows at a time from the database, so that memory does not grow with the
// export.
func (a *API) ExportAccountsCSV(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	status := http.StatusOK
	defer func() { a.metrics.observe(r.Method, prefix+"/accounts", status, time.Since(start)) }()
	fail := func(p *Problem) {
		p.fill()
		status = p.Status
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(p.Status)
		writeJSON(w, p)
	}
	secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		fail(&Problem{Status: 401, Code: "unauthorized", Detail: "send Authorization: Bearer <token>"})
		return
	}
	p, err := a.store.Authenticate(r.Context(), strings.TrimSpace(secret))
	if err != nil {
		fail(&Problem{Status: 401, Code: "unauthorized", Detail: "the token is unknown, expired or revoked"})
		return
	}
	if !slices.Contains(everyone, p.Role()) {
		fail(&Problem{Status: 403, Code: "forbidden", Detail: "your role may not do this"})
		return
	}
	q := r.URL.Query()
	for name := range q {
		if !slices.Contains([]string{"customer_id", "currency", "status", "balance_min", "balance_max", "created_from", "created_to", "below_alert", "q", "sort"}, name) {
			fail(&Problem{Status: 422, Code: "validation_failed", Detail: "unknown filter", Errors: []FieldError{{Field: name, Message: "is not a filter of this list"}}})
			return
		}
	}
	in := &ListAccountsInput{CustomerID: q.Get("customer_id"), Currency: q.Get("currency"), Status: q.Get("status"),
		BalanceMin: q.Get("balance_min"), BalanceMax: q.Get("balance_max"), CreatedFrom: q.Get("created_from"),
		CreatedTo: q.Get("created_to"), BelowAlert: q.Get("below_alert"), Q: q.Get("q"), Sort: q.Get("sort")}
	if in.Status != "" && !ledger.Status(in.Status).Valid() {
		fail(&Problem{Status: 422, Code: "validation_failed", Errors: []FieldError{{Field: "status", Message: "must be normal, frozen or disabled"}}})
		return
	}
	if in.BelowAlert != "" && in.BelowAlert != "true" && in.BelowAlert != "false" {
		fail(&Problem{Status: 422, Code: "validation_failed", Errors: []FieldError{{Field: "below_alert", Message: "must be true or false"}}})
		return
	}
	f, err := a.accountFilter(r.Context(), in)
	if err != nil {
		var ve *ledger.ValidationError
		if errors.As(err, &ve) {
			pr := a.problem(r.Context(), err).(*Problem)
			fail(pr)
			return
		}
		fail(&Problem{Status: 500, Code: "internal", Detail: "internal error"})
		return
	}
	f.Limit = 1000
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="accounts.csv"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "number", "customer_id", "customer_name", "customer_email", "customer_phone", "currency", "balance",
		"available", "alert_amount", "credit_limit", "overdraft", "overdraft_expires_at", "status", "below_alert", "created_at"})
	flusher, _ := w.(http.Flusher)
	for {
		rows, err := a.store.Accounts(r.Context(), f)
		if err != nil {
			// The header is gone; cut the body short so that the client
			// sees an incomplete export rather than a complete-looking one.
			a.log.Error("csv export", "err", err)
			panic(http.ErrAbortHandler)
		}
		for _, row := range rows {
			j := a.accountJSON(row.Account, row.CustomerName)
			exp := ""
			if j.OverdraftExpiresAt != nil {
				exp = j.OverdraftExpiresAt.Format(time.RFC3339)
			}
			cw.Write([]string{j.ID, j.Number, j.CustomerID, safeCell(row.CustomerName), safeCell(row.CustomerEmail), safeCell(row.CustomerPhone),
				j.Currency, j.Balance, j.Available, j.AlertAmount, j.CreditLimit, j.Overdraft, exp, j.Status,
				strconv.FormatBool(j.BelowAlert), j.CreatedAt.Format(time.RFC3339)})
		}
		cw.Flush()
		if flusher != nil {
			flusher.Flush()
		}
		if len(rows) < f.Limit {
			return
		}
		last := rows[len(rows)-1].SortKey(f.Sort)
		f.After = &last
	}
}
