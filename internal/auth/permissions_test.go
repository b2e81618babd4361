package auth

import (
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
)

// TestPermissionTable holds Can against SPEC section 3, row by row: the
// one table both the API and the web UI ask.
func TestPermissionTable(t *testing.T) {
	S, A, R := ledger.RoleSuperAdmin, ledger.RoleAdmin, ledger.RoleReviewer
	spec := []struct {
		row  string
		act  Action
		want []ledger.Role
	}{
		{"view customers, accounts, transactions, recharge records", ActView, []ledger.Role{S, A, R}},
		{"create/modify customers; consumption; submit top-ups; edit alert amount; batch alert; manual adjustment", ActOperate, []ledger.Role{S, A}},
		{"approve/reject top-ups (never one's own)", ActReview, []ledger.Role{S, R}},
		{"set credit limit/overdraft; freeze/disable accounts", ActCredit, []ledger.Role{S}},
		{"delete (archive) customers", ActArchive, []ledger.Role{S}},
		{"reports for any period; system totals", ActAnyPeriod, []ledger.Role{S}},
		{"operation records of everyone (others: own actions)", ActAllRecords, []ledger.Role{S}},
		{"administrators, settings, webhooks", ActSystem, []ledger.Role{S}},
		{"direct top-up (configurable role; Coffer: super admins)", ActDirectTopUp, []ledger.Role{S}},
		{"approve adjustments above a threshold (SPEC 9; never one's own)", ActApproveAdjustment, []ledger.Role{S, R}},
		{"approve credit changes (SPEC 9; never one's own)", ActApproveCredit, []ledger.Role{S}},
		{"promotion rules (SPEC 11; every role reads them)", ActPromotions, []ledger.Role{S}},
	}
	if len(spec) != len(Actions) {
		t.Fatalf("the test covers %d actions, the table has %d", len(spec), len(Actions))
	}
	for _, row := range spec {
		for _, r := range []ledger.Role{S, A, R, ledger.Role("auditor"), ""} {
			want := false
			for _, w := range row.want {
				want = want || w == r
			}
			if got := Can(r, row.act); got != want {
				t.Errorf("%s: Can(%q) = %v, want %v", row.row, r, got, want)
			}
		}
	}
}
