package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/danielgtaylor/huma/v2/validation"

	"github.com/cofferhq/coffer/internal/ledger"
)

// Problem is an RFC 9457 problem detail with Coffer's stable error code.
type Problem struct {
	Type   string       `json:"type" doc:"A URI for the problem type; about:blank for the codes below."`
	Title  string       `json:"title"`
	Status int          `json:"status"`
	Detail string       `json:"detail,omitempty"`
	Code   string       `json:"code" doc:"Stable machine-readable code, e.g. insufficient_funds, validation_failed."`
	Errors []FieldError `json:"errors,omitempty" doc:"For validation_failed: each invalid field and why."`
	// RequestID is the request's X-Request-ID (SPEC section 7), so that a
	// problem a user reports can be found in the server's log.
	RequestID string `json:"request_id,omitempty" doc:"The request's id, as in the answer's X-Request-ID header and the server's log."`
}

// FieldError names one invalid field.
type FieldError struct {
	Field   string `json:"field" doc:"The field, as the request names it: amount, customer.name, limit, Idempotency-Key." example:"amount"`
	Message string `json:"message" doc:"Why the field was refused." example:"must be greater than zero"`
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
	// JSON member names match exactly (SPEC section 7): huma's validator
	// would otherwise take "AMOUNT" for "amount", and encoding/json, which
	// decodes after it, would let the last of the two win.
	huma.ValidateStrictCasing = true
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
			p.Errors = append(p.Errors, FieldError{Field: detailField(d), Message: d.Message})
			switch {
			case strings.Contains(d.Message, "isn't multipart/form-data"):
				p.Status = http.StatusUnsupportedMediaType
			case strings.Contains(d.Message, "request body too large"):
				p.Status = http.StatusRequestEntityTooLarge
			case d.Message == validation.MsgUnexpectedProperty:
				// SPEC: an unknown field is a malformed request (400), not an invalid value.
				p.Status = http.StatusBadRequest
			}
		}
		p.Code = genericCode[p.Status]
		if p.Code == "" {
			p.Code = strings.ToLower(strings.ReplaceAll(http.StatusText(p.Status), " ", "_"))
		}
		p.fill()
		return p
	}
}

// genericCode is the code of a problem that huma or the middleware finds
// before any handler runs, by its status.
var genericCode = map[int]string{
	http.StatusBadRequest:            "bad_request",
	http.StatusUnauthorized:          "unauthorized",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "not_found",
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusRequestEntityTooLarge: "too_large",
	http.StatusUnsupportedMediaType:  "unsupported_media_type",
	http.StatusUnprocessableEntity:   ledger.CodeValidation,
	http.StatusTooManyRequests:       "rate_limited",
	http.StatusInternalServerError:   "internal",
}

// detailField names the field of one of huma's error details as the
// contract does: "amount", "customer.name", "limit". A missing property is
// reported at the object that lacks it, so its name is read back from the
// message huma formats with validation.MsgExpectedRequiredProperty.
func detailField(d *huma.ErrorDetail) string {
	field := d.Location
	for _, pfx := range []string{"body.", "query.", "path.", "header."} {
		field = strings.TrimPrefix(field, pfx)
	}
	if field == "body" {
		field = ""
	}
	var missing string
	if n, err := fmt.Sscanf(d.Message, validation.MsgExpectedRequiredProperty, &missing); n == 1 && err == nil {
		if field == "" {
			return missing
		}
		return field + "." + missing
	}
	return field
}

// statusOf is the one table from a domain error's code to its HTTP status
// (SPEC section 6); the web UI answers with the same statuses.
var statusOf = map[string]int{
	"bad_request":            http.StatusBadRequest,
	"unauthorized":           http.StatusUnauthorized,
	"forbidden":              http.StatusForbidden,
	"self_approval":          http.StatusForbidden,
	"not_found":              http.StatusNotFound,
	"method_not_allowed":     http.StatusMethodNotAllowed,
	"account_frozen":         http.StatusConflict,
	"account_disabled":       http.StatusConflict,
	"duplicate_phone":        http.StatusConflict,
	"already_exists":         http.StatusConflict,
	"not_pending":            http.StatusConflict,
	"nonzero_balance":        http.StatusConflict,
	"already_reversed":       http.StatusConflict,
	"hold_not_active":        http.StatusConflict,
	"request_in_progress":    http.StatusConflict,
	"stale_version":          http.StatusConflict,
	"customer_archived":      http.StatusConflict,
	"last_super_admin":       http.StatusConflict,
	"already_undone":         http.StatusConflict,
	"undo_conflict":          http.StatusConflict,
	"retention_running":      http.StatusConflict,
	"retention_refused":      http.StatusConflict,
	"archive_missing":        http.StatusConflict,
	"archive_altered":        http.StatusConflict,
	"too_large":              http.StatusRequestEntityTooLarge,
	"unsupported_media_type": http.StatusUnsupportedMediaType,
	"validation_failed":      http.StatusUnprocessableEntity,
	"insufficient_funds":     http.StatusUnprocessableEntity,
	"idempotency_key_reused": http.StatusUnprocessableEntity,
	"rate_limited":           http.StatusTooManyRequests,
	"canceled":               499, // the client went away; nobody reads it
	"internal":               http.StatusInternalServerError,
	"archives_unavailable":   http.StatusServiceUnavailable,
}

// StatusOf is the HTTP status of an error: its code's, or 500 for an error
// that is not the domain's.
func StatusOf(err error) int {
	if errors.Is(err, context.Canceled) {
		return statusOf["canceled"]
	}
	if s, ok := statusOf[ledger.CodeOf(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Codes lists every code the API answers with, for the OpenAPI document
// and the tests.
func Codes() []string {
	out := make([]string, 0, len(statusOf))
	for c := range statusOf {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
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
		p = &Problem{Status: 422, Code: ledger.CodeValidation, Detail: "the request has invalid fields"}
		for _, fp := range ve.Problems {
			p.Errors = append(p.Errors, FieldError{Field: fp.Field, Message: fp.Message})
		}
		p.fill()
		return p
	}
	var de *ledger.Error
	switch {
	case errors.Is(err, context.Canceled):
		p = &Problem{Status: statusOf["canceled"], Code: "canceled", Detail: err.Error()}
	case errors.As(err, &de) && statusOf[de.Code] != 0:
		p = &Problem{Status: statusOf[de.Code], Code: de.Code, Detail: err.Error()}
	default:
		a.log.ErrorContext(ctx, "request failed", "err", err)
		p = &Problem{Status: 500, Code: "internal", Detail: "internal error; the operation was not carried out"}
	}
	p.fill()
	return p
}

// requestIDHeader is the header in which the server (internal/server)
// gives every answer its request's id before the API sees the request.
const requestIDHeader = "X-Request-ID"

// requestIDOf reads the request id from the answer's headers, where the
// server put it: the API needs no import of the server for it.
func requestIDOf(ctx huma.Context) string {
	_, w := humago.Unwrap(ctx)
	if w == nil {
		return ""
	}
	return w.Header().Get(requestIDHeader)
}

// withRequestID is the transformer that puts the request id in every
// problem huma writes, whether a handler returned it or huma found it.
func withRequestID(ctx huma.Context, _ string, v any) (any, error) {
	if p, ok := v.(*Problem); ok && p.RequestID == "" {
		p.RequestID = requestIDOf(ctx)
	}
	return v, nil
}

// writeProblem answers from middleware, before a handler runs.
func writeProblem(ctx huma.Context, p *Problem) {
	p.fill()
	p.RequestID = requestIDOf(ctx)
	ctx.SetHeader("Content-Type", "application/problem+json")
	ctx.SetStatus(p.Status)
	json.NewEncoder(ctx.BodyWriter()).Encode(p)
}

// invalid is a validation_failed problem for one field.
func invalid(field, msg string) error { return ledger.Invalid(field, msg) }

// amountProblem explains why an amount string was refused.
func amountProblem(field string, err error) error { return ledger.AmountProblem(field, err) }

func writeJSON(w http.ResponseWriter, v any) { json.NewEncoder(w).Encode(v) }
