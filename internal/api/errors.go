package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"coffer/internal/ledger"
	"coffer/internal/money"
	"coffer/internal/store"
)

// Problem is an RFC 9457 problem detail with Coffer's stable error code.
type Problem struct {
	Type   string       `json:"type" doc:"A URI for the problem type; about:blank for the codes below."`
	Title  string       `json:"title"`
	Status int          `json:"status"`
	Detail string       `json:"detail,omitempty"`
	Code   string       `json:"code" doc:"Stable machine-readable code, e.g. insufficient_funds, validation_failed."`
	Errors []FieldError `json:"errors,omitempty" doc:"For validation_failed: each invalid field and why."`
}

// FieldError names one invalid field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (p *Problem) Error() string { return p.Code + ": " + p.Detail }

// GetStatus and ContentType make Problem huma's error model.
func (p *Problem) GetStatus() int            { return p.Status }
func (p *Problem) ContentType(string) string { return "application/problem+json" }
func (p *Problem) fill()                     { p.fillDefaults() }
func (p *Problem) fillDefaults() {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
}

func init() {
	// huma reports malformed requests (bad JSON, wrong types, unknown
	// fields, too large, wrong content type) through NewError; give them
	// Coffer's shape and codes.
	huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
		p := &Problem{Status: status, Detail: msg}
		for _, err := range errs {
			var d *huma.ErrorDetail
			if !errors.As(err, &d) {
				if err != nil {
					p.Errors = append(p.Errors, FieldError{Message: err.Error()})
				}
				continue
			}
			field := d.Location
			for _, pfx := range []string{"body.", "query.", "path.", "header."} {
				field = strings.TrimPrefix(field, pfx)
			}
			if field == "body" {
				field = ""
			}
			p.Errors = append(p.Errors, FieldError{Field: field, Message: d.Message})
			if strings.Contains(d.Message, "isn't multipart/form-data") {
				p.Status = http.StatusUnsupportedMediaType
			}
			if strings.Contains(d.Message, "request body too large") {
				p.Status = http.StatusRequestEntityTooLarge
			}
			if strings.Contains(d.Message, "unexpected property") {
				// SPEC: an unknown field is a malformed request (400), not an invalid value.
				p.Status = http.StatusBadRequest
			}
		}
		switch p.Status {
		case http.StatusBadRequest:
			p.Code = "bad_request"
		case http.StatusUnprocessableEntity:
			p.Code = "validation_failed"
		case http.StatusRequestEntityTooLarge:
			p.Code = "too_large"
		case http.StatusUnsupportedMediaType:
			p.Code = "unsupported_media_type"
		case http.StatusNotFound:
			p.Code = "not_found"
		case http.StatusUnauthorized:
			p.Code = "unauthorized"
		case http.StatusForbidden:
			p.Code = "forbidden"
		default:
			p.Code = strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "_"))
		}
		p.fill()
		return p
	}
}

// problem turns an error from the store or the domain into the answer the
// API contract gives for it.
func (a *API) problem(ctx context.Context, err error) error {
	var p *Problem
	if errors.As(err, &p) {
		p.fill()
		return p
	}
	var se huma.StatusError
	if errors.As(err, &se) {
		return se
	}
	var ve *ledger.ValidationError
	if errors.As(err, &ve) {
		p = &Problem{Status: 422, Code: "validation_failed", Detail: "the request has invalid fields"}
		for _, fp := range ve.Problems {
			p.Errors = append(p.Errors, FieldError{Field: fp.Field, Message: fp.Message})
		}
		p.fill()
		return p
	}
	codes := []struct {
		err    error
		status int
		code   string
	}{
		{ledger.ErrNotFound, 404, "not_found"},
		{ledger.ErrInsufficientFunds, 422, "insufficient_funds"},
		{ledger.ErrAccountFrozen, 409, "account_frozen"},
		{ledger.ErrAccountDisabled, 409, "account_disabled"},
		{ledger.ErrDuplicatePhone, 409, "duplicate_phone"},
		{ledger.ErrAlreadyExists, 409, "already_exists"},
		{ledger.ErrNonzeroBalance, 409, "nonzero_balance"},
		{ledger.ErrAlreadyReversed, 409, "already_reversed"},
		{ledger.ErrIdempotencyKeyReused, 422, "idempotency_key_reused"},
		{ledger.ErrCustomerArchived, 409, "customer_archived"},
		{store.ErrLastSuperAdmin, 409, "last_super_admin"},
		{ledger.ErrNotPending, 409, "not_pending"},
		{ledger.ErrSelfApproval, 403, "self_approval"},
		{ledger.ErrNotSubmitter, 403, "forbidden"},
		{store.ErrAlertBatchUndone, 409, "already_undone"},
		{store.ErrUndoConflict, 409, "undo_conflict"},
		{context.Canceled, 499, "canceled"},
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			p = &Problem{Status: c.status, Code: c.code, Detail: err.Error()}
			p.fill()
			return p
		}
	}
	a.log.ErrorContext(ctx, "request failed", "err", err)
	p = &Problem{Status: 500, Code: "internal", Detail: "internal error; the operation was not carried out"}
	p.fill()
	return p
}

// writeProblem answers from middleware, before a handler runs.
func writeProblem(ctx huma.Context, p *Problem) {
	p.fill()
	ctx.SetHeader("Content-Type", "application/problem+json")
	ctx.SetStatus(p.Status)
	json.NewEncoder(ctx.BodyWriter()).Encode(p)
}

// invalid is a validation_failed problem for one field.
func invalid(field, msg string) error { return ledger.Invalid(field, msg) }

// amountProblem explains why an amount string was refused.
func amountProblem(field string, err error) error {
	var pe *money.ParseError
	if errors.As(err, &pe) {
		return invalid(field, pe.Error())
	}
	return invalid(field, err.Error())
}

func writeJSON(w http.ResponseWriter, v any) { json.NewEncoder(w).Encode(v) }
