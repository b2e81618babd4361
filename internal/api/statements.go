package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/statement"
	"github.com/cofferhq/coffer/internal/store"
)

// Statements (SPEC 10): a customer's account over a period as JSON, CSV or
// PDF, and the links that show it to the customer without a login.

// StatementJSON is one account of one customer over a period.
type StatementJSON struct {
	CustomerID   string         `json:"customer_id" example:"42"`
	CustomerName string         `json:"customer_name" example:"Shanghai Mingde Trading Co."`
	Currency     string         `json:"currency" example:"CNY"`
	From         time.Time      `json:"from" doc:"Start of the period (inclusive)."`
	To           time.Time      `json:"to" doc:"End of the period (exclusive)."`
	Timezone     string         `json:"timezone" example:"Asia/Shanghai"`
	Opening      string         `json:"opening_balance" doc:"The balance at from." example:"1200.00"`
	Credits      string         `json:"credits" doc:"The sum of the movements into the account." example:"500.00"`
	Debits       string         `json:"debits" doc:"The sum of the movements out of it, as a positive number." example:"320.50"`
	Closing      string         `json:"closing_balance" doc:"The balance at to: opening + credits - debits, exactly." example:"1379.50"`
	OpeningBonus string         `json:"opening_bonus" doc:"Of the opening balance, bonus (SPEC 11); the rest is the customer's own money." example:"50.00"`
	ClosingBonus string         `json:"closing_bonus" doc:"Of the closing balance, bonus." example:"20.00"`
	Movements    []MovementJSON `json:"movements"`
}

// MovementJSON is one posting on the account.
type MovementJSON struct {
	TransactionID string    `json:"transaction_id" example:"9001"`
	At            time.Time `json:"at"`
	Type          string    `json:"type" enum:"topup,charge,adjustment,reversal,bonus,bonus_expired"`
	Reference     string    `json:"reference" example:"ORDER-2026-1001"`
	Note          string    `json:"note"`
	Amount        string    `json:"amount" doc:"Signed: negative takes money out." example:"-20.50"`
	Balance       string    `json:"balance" doc:"The running balance after it." example:"1179.50"`
	Bonus         string    `json:"bonus" doc:"The part of amount that moved bonus; a charge that spent bonus and own money is one movement." example:"-20.50"`
	BonusBalance  string    `json:"bonus_balance" doc:"Of balance, bonus after it." example:"0.00"`
}

// StatementInput asks for a statement; Accept picks its form.
type StatementInput struct {
	ID       string `path:"id"`
	From     string `query:"from" doc:"First day (YYYY-MM-DD, business time zone) or RFC 3339 time. Default: the first of the month that to falls in."`
	To       string `query:"to" doc:"Last day (inclusive) or RFC 3339 time (exclusive). Default: now."`
	Currency string `query:"currency" doc:"The account's currency; may be left out when the customer has one account." example:"CNY"`
	Lang     string `query:"lang" enum:"en,zh-CN," doc:"The language of a CSV or PDF; default the customer's."`
	Accept   string `header:"Accept" doc:"application/json (default), text/csv or application/pdf."`
}

// StatementOutput is the statement in the form asked for.
type StatementOutput struct {
	ContentType string `header:"Content-Type"`
	Disposition string `header:"Content-Disposition"`
	NoSniff     string `header:"X-Content-Type-Options"`
	Body        []byte
}

func (a *API) registerStatements() {
	tags := []string{"customers"}
	register(a, huma.Operation{OperationID: "get-statement", Method: http.MethodGet, Path: "/customers/{id}/statement", Tags: tags,
		Summary: "A customer's statement for a period",
		Description: "Opening balance, every movement with its running balance, closing balance; opening + movements = closing, exactly. " +
			"Accept: application/json, text/csv or application/pdf (in the customer's language, or lang). A period that reaches back into what " +
			"retention archived is refused (from, archived).",
		Errors: []int{422}, Responses: statementResponses(a)}, auth.ActView, a.getStatement)
	register(a, huma.Operation{OperationID: "create-statement-link", Method: http.MethodPost, Path: "/customers/{id}/statement-links", Tags: tags,
		Summary: "Make a link to the customer's statement page",
		Description: "The URL opens a read-only page of this customer's balances, recent movements and PDF statements, without a login, " +
			"until it expires or is revoked. It is shown once: only a hash of it is kept.",
		Errors: []int{409, 422}}, auth.ActOperate, a.createStatementLink)
	register(a, huma.Operation{OperationID: "list-statement-links", Method: http.MethodGet, Path: "/customers/{id}/statement-links", Tags: tags,
		Summary: "The customer's statement links, without their URLs"}, auth.ActView, a.listStatementLinks)
	register(a, huma.Operation{OperationID: "revoke-statement-link", Method: http.MethodDelete, Path: "/customers/{id}/statement-links/{link_id}", Tags: tags,
		Summary: "Revoke a statement link", Description: "Its page answers 404 from now on. Revoking twice changes nothing."},
		auth.ActOperate, a.revokeStatementLink)
}

func statementResponses(a *API) map[string]*huma.Response {
	ref := a.huma.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(StatementJSON{}), true, "")
	return map[string]*huma.Response{"200": {Description: "The statement", Content: map[string]*huma.MediaType{
		"application/json": {Schema: ref},
		"text/csv":         {Schema: &huma.Schema{Type: huma.TypeString, Description: "time, type, reference, note, amount, balance, bonus, bonus balance; an opening row first and a closing row last."}},
		"application/pdf":  {Schema: &huma.Schema{Type: huma.TypeString, Format: "binary"}},
	}}}
}

func (a *API) getStatement(ctx context.Context, in *StatementInput) (*StatementOutput, error) {
	c, err := byID(ctx, in.ID, "customer", a.store.Customer)
	if err != nil {
		return nil, err
	}
	from, to, err := a.statementPeriod(ctx, in.From, in.To)
	if err != nil {
		return nil, err
	}
	st, err := a.store.Statement(ctx, c.ID, strings.ToUpper(in.Currency), from, to)
	if err != nil {
		return nil, err
	}
	lang := in.Lang
	if lang == "" {
		lang = c.Locale
	}
	return renderStatement(st, acceptedStatement(in.Accept), lang)
}

// acceptedStatement is the form an Accept header asks for: the first of
// PDF or CSV it names, else JSON.
func acceptedStatement(accept string) string {
	for _, part := range strings.Split(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err == nil && (mt == "application/pdf" || mt == "text/csv") {
			return mt
		}
	}
	return "application/json"
}

// StatementFileName is what a downloaded statement is called.
func StatementFileName(st statement.Statement, ext string) string {
	last := st.To.In(st.Location).Add(-time.Nanosecond)
	return "statement-" + idString(st.CustomerID) + "-" + st.Currency.Code() + "-" + st.From.In(st.Location).Format("20060102") + "-" +
		last.Format("20060102") + "." + ext
}

func renderStatement(st statement.Statement, form, lang string) (*StatementOutput, error) {
	var buf bytes.Buffer
	out := &StatementOutput{ContentType: form, NoSniff: "nosniff"}
	var err error
	switch form {
	case "application/pdf":
		err = statement.PDF(&buf, st, lang)
		out.Disposition = `attachment; filename="` + StatementFileName(st, "pdf") + `"`
	case "text/csv":
		out.ContentType = "text/csv; charset=utf-8"
		err = statement.CSV(&buf, st, lang)
		out.Disposition = `attachment; filename="` + StatementFileName(st, "csv") + `"`
	default:
		var j StatementJSON
		if j, err = statementJSON(st); err == nil {
			err = json.NewEncoder(&buf).Encode(j)
		}
	}
	out.Body = buf.Bytes()
	return out, err
}

func statementJSON(st statement.Statement) (StatementJSON, error) {
	credits, debits, err := st.Totals()
	cur := st.Currency
	j := StatementJSON{CustomerID: idString(st.CustomerID), CustomerName: st.CustomerName, Currency: cur.Code(), From: utc(st.From), To: utc(st.To),
		Timezone: st.Location.String(), Opening: fmtAmount(st.Opening, cur), Credits: fmtAmount(credits, cur), Debits: fmtAmount(debits, cur),
		Closing: fmtAmount(st.Closing, cur), OpeningBonus: fmtAmount(st.OpeningBonus, cur), ClosingBonus: fmtAmount(st.ClosingBonus, cur),
		Movements: make([]MovementJSON, len(st.Movements))}
	for i, m := range st.Movements {
		j.Movements[i] = MovementJSON{TransactionID: idString(m.TransactionID), At: utc(m.At), Type: m.Type, Reference: m.Reference, Note: m.Note,
			Amount: fmtAmount(m.Amount, cur), Balance: fmtAmount(m.Balance, cur), Bonus: fmtAmount(m.Bonus, cur), BonusBalance: fmtAmount(m.BonusBalance, cur)}
	}
	return j, err
}

// statementPeriod reads from and to as the lists do, with a statement's
// defaults: up to now, from the first of to's month.
func (a *API) statementPeriod(ctx context.Context, from, to string) (time.Time, time.Time, error) {
	settings, err := a.store.Settings(ctx)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	loc := settings.Location()
	f, t, err := timeRange("from", from, "to", to, loc)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	end := a.now().Truncate(time.Microsecond).Add(time.Microsecond) // a posting of this very microsecond is in
	if to != "" {
		end = *t
	}
	if from == "" {
		local := end.Add(-time.Nanosecond).In(loc)
		return time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, loc), end, nil
	}
	if !end.After(*f) {
		return time.Time{}, time.Time{}, invalid("to", "must be after from")
	}
	return *f, end, nil
}

// StatementLinkJSON is a statement link; url only in the answer that made it.
type StatementLinkJSON struct {
	ID           string     `json:"id" example:"5"`
	URL          string     `json:"url,omitempty" doc:"Only when the link is made: it is not kept." example:"https://coffer.mingde.example/s/cst_3q2…"`
	CustomerID   string     `json:"customer_id" example:"42"`
	CreatedAt    time.Time  `json:"created_at"`
	ExpiresAt    time.Time  `json:"expires_at"`
	RevokedAt    *time.Time `json:"revoked_at"`
	LastOpenedAt *time.Time `json:"last_opened_at"`
}

func statementLinkJSON(l store.StatementLink) StatementLinkJSON {
	return StatementLinkJSON{ID: idString(l.ID), CustomerID: idString(l.CustomerID), CreatedAt: utc(l.CreatedAt), ExpiresAt: utc(l.ExpiresAt),
		RevokedAt: optTime(l.RevokedAt), LastOpenedAt: optTime(l.LastOpenedAt)}
}

// CreateStatementLinkInput is how long the link lasts.
type CreateStatementLinkInput struct {
	ID   string `path:"id"`
	Body struct {
		ExpiresInDays int `json:"expires_in_days" minimum:"1" maximum:"90" default:"30" doc:"1 to 90 days (default 30)." example:"30"`
	}
}

// StatementLinkOutput is one link.
type StatementLinkOutput struct{ Body StatementLinkJSON }

// StatementLinkInput names one link of one customer.
type StatementLinkInput struct {
	ID     string `path:"id"`
	LinkID string `path:"link_id"`
}

// StatementLinksOutput is a customer's links, newest first.
type StatementLinksOutput struct {
	Body struct {
		Items []StatementLinkJSON `json:"items"`
	}
}

func (a *API) createStatementLink(ctx context.Context, in *CreateStatementLinkInput) (*StatementLinkOutput, error) {
	id, err := parseID(in.ID, "customer")
	if err != nil {
		return nil, err
	}
	days := in.Body.ExpiresInDays
	if days == 0 {
		days = 30
	}
	l, token, err := a.store.CreateStatementLink(ctx, callerOf(ctx).actor(), id, days)
	if err != nil {
		return nil, err
	}
	j := statementLinkJSON(l)
	j.URL = a.linkBase(ctx) + StatementPagePath(token)
	return &StatementLinkOutput{Body: j}, nil
}

// StatementPagePath is where a link's page is served (package web).
func StatementPagePath(token string) string { return "/s/" + token }

// linkBase is the address customers reach Coffer at: --base-url, or the
// address of the request.
func (a *API) linkBase(ctx context.Context) string {
	if a.baseURL != nil {
		return strings.TrimRight(a.baseURL.String(), "/")
	}
	return callerOf(ctx).origin
}

func (a *API) listStatementLinks(ctx context.Context, in *CustomerIDInput) (*StatementLinksOutput, error) {
	c, err := byID(ctx, in.ID, "customer", a.store.Customer)
	if err != nil {
		return nil, err
	}
	ls, err := a.store.StatementLinks(ctx, c.ID, 100)
	out := &StatementLinksOutput{}
	out.Body.Items = make([]StatementLinkJSON, len(ls))
	for i, l := range ls {
		out.Body.Items[i] = statementLinkJSON(l)
	}
	return out, err
}

func (a *API) revokeStatementLink(ctx context.Context, in *StatementLinkInput) (*StatementLinkOutput, error) {
	id, err := parseID(in.ID, "customer")
	if err != nil {
		return nil, err
	}
	linkID, err := parseID(in.LinkID, "statement link")
	if err != nil {
		return nil, err
	}
	l, err := a.store.RevokeStatementLink(ctx, callerOf(ctx).actor(), id, linkID)
	if errors.Is(err, ledger.ErrNotFound) {
		err = notFound("statement link")
	}
	return &StatementLinkOutput{Body: statementLinkJSON(l)}, err
}
