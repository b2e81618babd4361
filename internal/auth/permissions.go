package auth

import (
	"slices"

	"github.com/cofferhq/coffer/internal/ledger"
)

// Action is something the permission table of SPEC section 3 grants. The
// API and the web UI both ask Can; neither keeps a list of its own.
type Action string

const (
	ActView       Action = "view"        // customers, accounts, transactions, recharge records, one's own records
	ActOperate    Action = "operate"     // customers, consumption, top-up requests, alert amounts and batches, adjustments, reversals
	ActReview     Action = "review"      // approve or reject top-up requests (never one's own)
	ActCredit     Action = "credit"      // credit limit and overdraft; freeze and disable accounts
	ActArchive    Action = "archive"     // delete (archive) customers
	ActAnyPeriod  Action = "any_period"  // reports for any period; system-wide totals
	ActAllRecords Action = "all_records" // everyone's operation records, and their verification
	ActSystem     Action = "system"      // administrators, tokens, settings, payment methods, webhooks, retention
	// ActDirectTopUp posts a top-up without review, while the direct_topup
	// setting is on (SPEC section 2, "Optional direct top-up").
	ActDirectTopUp Action = "direct_topup"
	// ActApproveAdjustment approves or rejects an adjustment that waited for
	// a second person, ActApproveCredit a change of credit (SPEC section 9);
	// never one's own.
	ActApproveAdjustment Action = "approve_adjustment"
	ActApproveCredit     Action = "approve_credit"
	// ActPromotions writes promotion rules (SPEC section 11); every role
	// reads them (ActView), so that whoever takes a top-up can tell the
	// customer what it earns.
	ActPromotions Action = "promotions"
)

// Actions lists every action, in the order of SPEC section 3.
var Actions = []Action{ActView, ActOperate, ActReview, ActCredit, ActArchive, ActAnyPeriod, ActAllRecords, ActSystem, ActDirectTopUp,
	ActApproveAdjustment, ActApproveCredit, ActPromotions}

var (
	everyone  = []ledger.Role{ledger.RoleSuperAdmin, ledger.RoleAdmin, ledger.RoleReviewer}
	superOnly = []ledger.Role{ledger.RoleSuperAdmin}
)

// permissions is SPEC section 3's table: who may do each action.
var permissions = map[Action][]ledger.Role{
	ActView:        everyone,
	ActOperate:     {ledger.RoleSuperAdmin, ledger.RoleAdmin},
	ActReview:      {ledger.RoleSuperAdmin, ledger.RoleReviewer},
	ActCredit:      superOnly,
	ActArchive:     superOnly,
	ActAnyPeriod:   superOnly,
	ActAllRecords:  superOnly,
	ActSystem:      superOnly,
	ActDirectTopUp: superOnly,

	ActApproveAdjustment: {ledger.RoleSuperAdmin, ledger.RoleReviewer},
	ActApproveCredit:     superOnly,
	ActPromotions:        superOnly,
}

// ApprovalAction is the action that decides an approval of kind k.
func ApprovalAction(k ledger.ApprovalKind) Action {
	if k == ledger.ApprovalCreditChange {
		return ActApproveCredit
	}
	return ActApproveAdjustment
}

// Can reports whether role r may do a.
func Can(r ledger.Role, a Action) bool { return slices.Contains(permissions[a], r) }

// Roles lists the roles that may do a.
func Roles(a Action) []ledger.Role { return slices.Clone(permissions[a]) }
