package ledger

import "errors"

// Error is the one error type of Coffer's domain. Its Code is stable: it is
// the API's problem `code` (the API holds the one table from code to HTTP
// status) and, with Reason when a finer message is worth showing, the web
// UI's message key "err.<reason or code>", so every door says the same
// thing in the user's language. Message is English, for logs and the API's
// `detail`.
type Error struct {
	Code    string
	Reason  string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Is matches by code and reason, so that an error made with a message of
// its own (see Errorf) still is the error of its kind.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Reason == e.Reason
}

// With returns the same kind of error with another message.
func (e *Error) With(message string) *Error {
	return &Error{Code: e.Code, Reason: e.Reason, Message: message}
}

// Key is the web UI's message key for the error.
func (e *Error) Key() string {
	if e.Reason != "" {
		return "err." + e.Reason
	}
	return "err." + e.Code
}

// NewError returns a domain error; reason may be empty.
func NewError(code, reason, message string) *Error {
	return &Error{Code: code, Reason: reason, Message: message}
}

// known lists the errors below, so that tests can hold every door's tables
// (status, web messages in each language) against all of them.
var known []*Error

func define(code, reason, message string) *Error {
	e := NewError(code, reason, message)
	known = append(known, e)
	return e
}

// KnownErrors lists every error the domain defines.
func KnownErrors() []*Error { return append([]*Error(nil), known...) }

// CodeValidation is the code of a ValidationError.
const CodeValidation = "validation_failed"

// CodeOf returns the stable code of err, or "" when err is not the
// domain's (a fault of ours, shown to users only as an internal error).
func CodeOf(err error) string {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return CodeValidation
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Errors of the domain. Each names its code; errors of the same code with a
// reason of their own get a message of their own in the web UI.
var (
	ErrNotFound             = define("not_found", "", "not found")
	ErrForbidden            = define("forbidden", "", "your role may not do this")
	ErrInsufficientFunds    = define("insufficient_funds", "", "insufficient funds: the debit would take the balance below its floor")
	ErrAccountFrozen        = define("account_frozen", "", "account is frozen: it takes credits only")
	ErrAccountDisabled      = define("account_disabled", "", "account is disabled: it takes no postings")
	ErrAlreadyReversed      = define("already_reversed", "", "transaction has already been reversed")
	ErrHoldNotActive        = define("hold_not_active", "", "the hold is no longer active: captured, released or run out")
	ErrIdempotencyKeyReused = define("idempotency_key_reused", "", "idempotency key was already used for a different request")
	ErrRequestInProgress    = define("request_in_progress", "", "a request with this Idempotency-Key is still being answered; retry shortly")
	ErrDuplicatePhone       = define("duplicate_phone", "", "another customer has this phone number")
	ErrAlreadyExists        = define("already_exists", "", "already exists")
	ErrNonzeroBalance       = define("nonzero_balance", "", "customer has an account with a non-zero balance or an active hold")
	ErrCustomerArchived     = define("customer_archived", "", "customer is archived")
	ErrLastSuperAdmin       = define("last_super_admin", "", "this would leave no active super admin")
	ErrTooLarge             = define("too_large", "", "what was sent is too large")
	ErrUnsupportedMedia     = define("unsupported_media_type", "", "the content type is not accepted here")
	ErrRateLimited          = define("rate_limited", "", "too many failed logins; try again in 15 minutes")
	ErrBadCredentials       = define("unauthorized", "bad_login", "wrong username or password")

	// Review of top-up requests (and, later, of any decision one person
	// takes on what another may still change).
	ErrNotPending     = define("not_pending", "", "the top-up request is no longer pending")
	ErrSelfApproval   = define("self_approval", "", "nobody may review a top-up request they submitted")
	ErrNotSubmitter   = define("forbidden", "not_submitter", "only the administrator who submitted a top-up request may change or cancel it")
	ErrDirectTopUpOff = define("forbidden", "direct_topup_off", "direct top-ups are switched off in the settings, or not for your role")
	ErrStaleVersion   = define("stale_version", "", "it changed since you saw it; look at it again")
	ErrNotRequester   = define("forbidden", "not_requester", "only the administrator who requested an approval may cancel it")

	// Batches of alert amounts.
	ErrAlertBatchUndone = define("already_undone", "", "this batch has already been undone")
	ErrUndoConflict     = define("undo_conflict", "", "alert amounts changed since the batch")

	// Retention and archives.
	ErrRetentionRunning = define("retention_running", "", "retention is running on another instance; try again later")
	ErrRetentionRefused = define("retention_refused", "", "retention refused to archive rows that do not verify")
	ErrNoArchiveDir     = define("archives_unavailable", "", "this instance has no archive directory")
	ErrArchiveMissing   = define("archive_missing", "", "the archive file is missing from the archive directory")
	ErrArchiveAltered   = define("archive_altered", "", "the archive file does not match the checksum recorded when it was written")
)
