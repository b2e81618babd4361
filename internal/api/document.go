package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// The OpenAPI document is generated from the routes; finishDocument adds
// what the routes cannot say themselves, so that an integrator's tools (a
// linter, a client generator) read the contract as it is: every operation's
// error answers, the problem codes, the servers, the tags, CSV exports.
//
// It replaces schemas rather than changing them: huma validates requests
// with the very schema objects the document was built from, and the
// document may describe a value more strictly than the server accepts it
// (limit is a whole number; an empty filter is the same as none).
func (a *API) finishDocument() {
	doc := a.huma.OpenAPI()
	doc.Servers = []*huma.Server{{URL: "/", Description: "This Coffer server; the paths start with /api/v1."}}
	doc.Info.License = &huma.License{Name: "All rights reserved", Identifier: "LicenseRef-Proprietary"}
	doc.Info.Contact = &huma.Contact{Name: "The operator of this Coffer server"}
	doc.Components.Responses = problemResponses()
	if p := doc.Components.Schemas.Map()["Problem"]; p != nil {
		p.Properties["code"] = withCodes(p.Properties["code"])
		p.Examples = []any{problemExamples[http.StatusUnprocessableEntity]}
	}
	used := map[string]bool{}
	for path, item := range doc.Paths {
		for method, op := range operations(item) {
			for _, t := range op.Tags {
				used[t] = true
			}
			documentParams(op)
			documentErrors(path, op)
			documentCSV(method, path, op)
		}
	}
	doc.Tags = nil
	for _, t := range tagOrder {
		if used[t.Name] {
			doc.Tags = append(doc.Tags, &huma.Tag{Name: t.Name, Description: t.Description})
		}
	}
}

// tagOrder describes the groups of operations, in the order a reader of
// the contract meets them.
var tagOrder = []huma.Tag{
	{Name: "auth", Description: "Logging in and out, and the caller's own administrator."},
	{Name: "admins", Description: "Administrators of the console and the API, and their roles."},
	{Name: "tokens", Description: "Program tokens for other systems that post charges or read the ledger."},
	{Name: "customers", Description: "The businesses' customers: name, phone, email, company, remark."},
	{Name: "accounts", Description: "A customer's account per currency: balance, credit limit, alert amount, status, entries."},
	{Name: "postings", Description: "Charges, adjustments and reversals, and the ledger transactions they post."},
	{Name: "holds", Description: "Money in flight: amounts reserved on an account, then captured as a charge, released, or run out."},
	{Name: "top-ups", Description: "Recharges with their vouchers, reviewed before they are credited; payment methods."},
	{Name: "promotions", Description: "Bonus rules for top-ups: which top-ups earn what, from when to when, and how long a bonus lasts."},
	{Name: "alerts", Description: "Low-balance alerts, and alert amounts set for many accounts at once."},
	{Name: "reports", Description: "Totals per currency, day, payment method or customer, as JSON, CSV or a chart."},
	{Name: "audit", Description: "The operation record: who did what, when and from where, in a hash chain."},
	{Name: "settings", Description: "The business's settings: name, time zone, currencies, review rules."},
	{Name: "webhooks", Description: "Event subscriptions signed with Standard Webhooks, and their deliveries."},
	{Name: "archives", Description: "Retention: old records moved to archive files, and those files."},
}

// operations lists a path's operations by method.
func operations(item *huma.PathItem) map[string]*huma.Operation {
	ops := map[string]*huma.Operation{}
	for m, op := range map[string]*huma.Operation{
		http.MethodGet: item.Get, http.MethodPost: item.Post, http.MethodPatch: item.Patch,
		http.MethodPut: item.Put, http.MethodDelete: item.Delete,
	} {
		if op != nil {
			ops[m] = op
		}
	}
	return ops
}

// documentParams describes limit as the whole number it is and leaves out
// the empty member huma's validator needs in optional filters' enums.
func documentParams(op *huma.Operation) {
	for i, p := range op.Parameters {
		if p.Schema == nil {
			continue
		}
		switch {
		case p.In == "query" && p.Name == "limit":
			one, most := 1.0, 500.0
			op.Parameters[i].Schema = &huma.Schema{Type: huma.TypeInteger, Minimum: &one, Maximum: &most,
				Default: 50, Description: p.Schema.Description, Examples: []any{100}}
		case slices.Contains(p.Schema.Enum, any("")):
			s := *p.Schema
			s.Enum = slices.DeleteFunc(slices.Clone(s.Enum), func(v any) bool { return v == "" })
			op.Parameters[i].Schema = &s
		}
	}
}

// documentErrors declares the problems an operation can answer with, as
// references to the shared responses: every operation can meet a malformed
// request or an internal error; one that needs a token, 401 and 403; one
// with an id in its path, 404; one with a body or parameters, 422; one with
// an Idempotency-Key, 409 for a repeat still in progress.
func documentErrors(path string, op *huma.Operation) {
	statuses := []int{http.StatusBadRequest, http.StatusInternalServerError}
	if len(op.Security) != 0 || op.Security == nil {
		statuses = append(statuses, http.StatusUnauthorized, http.StatusForbidden)
	}
	if strings.Contains(path, "{") {
		statuses = append(statuses, http.StatusNotFound)
	}
	if op.RequestBody != nil {
		statuses = append(statuses, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity)
		if _, ok := op.RequestBody.Content["multipart/form-data"]; ok {
			statuses = append(statuses, http.StatusUnsupportedMediaType)
		}
	}
	for _, p := range op.Parameters {
		switch {
		case p.Name == "Idempotency-Key":
			statuses = append(statuses, http.StatusConflict, http.StatusUnprocessableEntity)
		case p.In == "query" || p.In == "path":
			statuses = append(statuses, http.StatusUnprocessableEntity)
		}
	}
	delete(op.Responses, "default")
	for code := range op.Responses {
		if s, _ := strconv.Atoi(code); s >= 400 {
			statuses = append(statuses, s)
		}
	}
	for _, s := range statuses {
		if _, ok := problemResponseNames[s]; ok {
			op.Responses[strconv.Itoa(s)] = &huma.Response{Ref: "#/components/responses/" + problemResponseNames[s]}
		}
	}
}

// documentCSV declares the CSV export that every list answers with when
// asked with Accept: text/csv (ExportCSV), and the reports' CSV.
func documentCSV(method, path string, op *huma.Operation) {
	ok := op.Responses["200"]
	if method != http.MethodGet || ok == nil || ok.Content["application/json"] == nil {
		return
	}
	ref := ""
	if s := ok.Content["application/json"].Schema; s != nil {
		ref = s.Ref
	}
	if !strings.HasPrefix(ref, "#/components/schemas/List") && !strings.HasPrefix(path, prefix+"/reports/") {
		return
	}
	ok.Content["text/csv"] = &huma.MediaType{
		Schema: &huma.Schema{Type: huma.TypeString, Description: "With Accept: text/csv: every matching item, one row each, " +
			"columns named as the JSON fields; nested values as JSON. UTF-8, with a header row."},
		Example: "id,customer_id,currency,balance\n7,3,CNY,120.00\n",
	}
}

// problemResponseNames names the shared error responses by status.
var problemResponseNames = map[int]string{
	http.StatusBadRequest:            "BadRequest",
	http.StatusUnauthorized:          "Unauthorized",
	http.StatusForbidden:             "Forbidden",
	http.StatusNotFound:              "NotFound",
	http.StatusConflict:              "Conflict",
	http.StatusRequestEntityTooLarge: "TooLarge",
	http.StatusUnsupportedMediaType:  "UnsupportedMediaType",
	http.StatusUnprocessableEntity:   "Unprocessable",
	http.StatusTooManyRequests:       "TooManyRequests",
	http.StatusInternalServerError:   "Internal",
	http.StatusServiceUnavailable:    "Unavailable",
}

// problemWhen says when each status is answered.
var problemWhen = map[int]string{
	http.StatusBadRequest:            "The request is malformed: not JSON, a duplicate or unknown member, a member in another case, a wrong type.",
	http.StatusUnauthorized:          "No token, or one that is unknown, expired or revoked; or, for logging in, a wrong username or password.",
	http.StatusForbidden:             "The token's role may not do this (SPEC section 3), or a reviewer would approve their own request.",
	http.StatusNotFound:              "No such object.",
	http.StatusConflict:              "The object's state forbids it (frozen, not pending, already reversed, a stale version), or a repeat of an Idempotency-Key whose first request is still being answered.",
	http.StatusRequestEntityTooLarge: "The body is larger than the server accepts.",
	http.StatusUnsupportedMediaType:  "The body is not of the media type the operation takes.",
	http.StatusUnprocessableEntity:   "Fields are invalid (errors names each), the balance does not cover a debit, or an Idempotency-Key was used with another body.",
	http.StatusTooManyRequests:       "Too many attempts; wait and try again.",
	http.StatusInternalServerError:   "The server failed; the operation was not carried out. Quote request_id to the operator.",
	http.StatusServiceUnavailable:    "The archive directory is not configured on this server.",
}

// problemExamples are the answers the shared responses show.
var problemExamples = map[int]Problem{
	http.StatusBadRequest:   {Type: "about:blank", Title: "Bad Request", Status: 400, Code: "bad_request", Detail: "duplicate member \"amount\"", RequestID: "01JDQ7ZK3M2V5X8N4P6R9T0W1Y"},
	http.StatusUnauthorized: {Type: "about:blank", Title: "Unauthorized", Status: 401, Code: "unauthorized", Detail: "send Authorization: Bearer <token>", RequestID: "01JDQ7ZK3M2V5X8N4P6R9T0W1Y"},
	http.StatusForbidden:    {Type: "about:blank", Title: "Forbidden", Status: 403, Code: "forbidden", Detail: "your role may not do this", RequestID: "01JDQ7ZK3M2V5X8N4P6R9T0W1Y"},
	http.StatusNotFound:     {Type: "about:blank", Title: "Not Found", Status: 404, Code: "not_found", Detail: "no such account", RequestID: "01JDQ7ZK3M2V5X8N4P6R9T0W1Y"},
	http.StatusConflict:     {Type: "about:blank", Title: "Conflict", Status: 409, Code: "account_frozen", Detail: "the account is frozen", RequestID: "01JDQ7ZK3M2V5X8N4P6R9T0W1Y"},
	http.StatusUnprocessableEntity: {Type: "about:blank", Title: "Unprocessable Entity", Status: 422, Code: "validation_failed", Detail: "the request has invalid fields",
		Errors: []FieldError{{Field: "amount", Message: "has more decimals than CNY allows (2)"}}, RequestID: "01JDQ7ZK3M2V5X8N4P6R9T0W1Y"},
	http.StatusTooManyRequests:     {Type: "about:blank", Title: "Too Many Requests", Status: 429, Code: "rate_limited", Detail: "too many attempts; try again in a minute", RequestID: "01JDQ7ZK3M2V5X8N4P6R9T0W1Y"},
	http.StatusInternalServerError: {Type: "about:blank", Title: "Internal Server Error", Status: 500, Code: "internal", Detail: "internal error; the operation was not carried out", RequestID: "01JDQ7ZK3M2V5X8N4P6R9T0W1Y"},
}

// problemResponses are the shared error responses, one per status.
func problemResponses() map[string]*huma.Response {
	out := map[string]*huma.Response{}
	for status, name := range problemResponseNames {
		mt := &huma.MediaType{Schema: &huma.Schema{Ref: "#/components/schemas/Problem"}}
		if ex, ok := problemExamples[status]; ok {
			mt.Example = ex
		}
		out[name] = &huma.Response{Description: problemWhen[status], Content: map[string]*huma.MediaType{"application/problem+json": mt}}
	}
	return out
}

// withCodes is the problem's code property with the contract's codes as
// its enum.
func withCodes(s *huma.Schema) *huma.Schema {
	c := huma.Schema{Type: huma.TypeString}
	if s != nil {
		c = *s
	}
	c.Enum = nil
	for _, code := range Codes() {
		c.Enum = append(c.Enum, code)
	}
	return &c
}
