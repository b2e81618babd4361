package web

import "coffer/internal/ledger"

// action is something the permission table (SPEC section 3) grants.
type action int

const (
	actOperate    action = iota // customers, consumption, top-ups, alert amounts, adjustments, reversals
	actReview                   // approve or reject top-ups
	actCredit                   // credit limit, overdraft, freeze/disable
	actArchive                  // delete (archive) customers
	actSystem                   // administrators, settings, payment methods, webhooks
	actAnyPeriod                // reports for any period, system totals
	actAllRecords               // everyone's operation records
)

// actions names them for templates: {{if .Can.operate}}.
var actions = map[string]action{
	"operate": actOperate, "review": actReview, "credit": actCredit, "archive": actArchive,
	"system": actSystem, "anyPeriod": actAnyPeriod, "allRecords": actAllRecords,
}

func can(r ledger.Role, a action) bool {
	switch r {
	case ledger.RoleSuperAdmin:
		return true
	case ledger.RoleAdmin:
		return a == actOperate
	case ledger.RoleReviewer:
		return a == actReview
	}
	return false
}

// need answers 403 unless the administrator may do a.
func (q *request) need(a action) bool {
	if q.can(a) {
		return true
	}
	q.fail(403, "err.forbidden")
	return false
}
