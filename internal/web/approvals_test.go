package web_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/testdb"
)

// TestApprovalQueue: a clerk's large adjustment goes to the queue instead
// of being posted, and the page says so with a link; the reviewer finds it
// with its customer, amount and requester, is told beside the field that a
// rejection needs a remark (in their language), and approving posts it.
func TestApprovalQueue(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			ctx := context.Background()
			if _, err := s.st.UpdateSettings(ctx, ledger.Actor{Name: "test"}, func(st *ledger.Settings) error {
				st.ApprovalThresholds["USD"] = 100_000
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			clerk, checker := s.login("clerk"), s.login("checker")
			_, acc := submitRecharge(t, s, clerk, "Grace Hopper", "1.00")
			code, _, loc := clerk.post("/adjust", clerk.form("account_id", itoa(acc), "direction", "credit", "amount", "1500.00",
				"reason", "compensation", "note", "lost parcel", "form_token", "big-1"))
			m := regexp.MustCompile(`^/adjust\?approval=(\d+)&done=queued$|^/adjust\?done=queued&approval=(\d+)$`).FindStringSubmatch(loc)
			if code != 303 || m == nil {
				t.Fatalf("large adjustment = %d to %q; want the queued message", code, loc)
			}
			id := m[1] + m[2]
			if _, page, _ := clerk.get(loc); !strings.Contains(page, `id="queued"`) || !strings.Contains(page, `href="/approvals/`+id+`"`) {
				t.Errorf("the adjustment page does not say it went to approval, with a link:\n%s", page)
			}
			if s.balance(acc) != 0 {
				t.Errorf("balance = %d before approval, want 0", s.balance(acc))
			}
			_, queue, _ := checker.get("/approvals")
			row := regexp.MustCompile(`(?s)<tr class="approval" id="approval-` + id + `">.*?</tr>`).FindString(queue)
			if !strings.Contains(row, "Grace Hopper") || !strings.Contains(row, "1,500.00") || !strings.Contains(row, "clerk") {
				t.Errorf("queue row lacks customer, amount or requester: %s", row)
			}
			_, page, _ := checker.get("/approvals/" + id)
			version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(page)
			if version == nil {
				t.Fatalf("no decision form with a version:\n%s", page)
			}
			checker.post("/lang", checker.form("lang", "zh-CN", "back", "/"))
			code, body, _ := checker.post("/approvals/"+id+"/reject", checker.form("version", version[1], "remark", " ", "form_token", "rj-1"))
			if code != 422 || !regexp.MustCompile(`id="e-remark">[^<]*必填`).MatchString(body) {
				t.Errorf("rejection without a remark = %d; the Chinese message is not beside the field", code)
			}
			code, body, _ = checker.post("/approvals/"+id+"/approve", checker.form("version", "99", "remark", "ticket 4411", "form_token", "ap-0"))
			if code != 409 || !strings.Contains(body, "ticket 4411") {
				t.Errorf("stale approval = %d; want 409 with the remark kept", code)
			}
			if code, _, loc = checker.post("/approvals/"+id+"/approve", checker.form("version", version[1], "remark", "ok", "form_token", "ap-1")); code != 303 {
				t.Fatalf("approve = %d", code)
			}
			if s.balance(acc) != 150_000 {
				t.Errorf("balance = %d after approval, want 150000", s.balance(acc))
			}
			if _, page, _ = clerk.get("/approvals/" + id); !strings.Contains(page, `id="approval-tx"`) {
				t.Error("the approved approval does not link its posting")
			}
		})
	}
}

// TestAccountEditToApproval: while credit changes need approval, the
// account dialog's change of credit waits and says so with a link; the
// same dialog changing only the alert amount (credit sent as it is) saves.
func TestAccountEditToApproval(t *testing.T) {
	s := newSite(t, testdb.Dialects[0])
	if _, err := s.st.UpdateSettings(context.Background(), ledger.Actor{Name: "test"}, func(st *ledger.Settings) error {
		st.ApproveCreditChanges = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	root := s.login("root")
	_, acc := submitRecharge(t, s, root, "Ada Lovelace", "1.00")
	id := itoa(acc)
	edit := func(alert, credit string) (int, string) {
		_, page, _ := root.get("/accounts/" + id + "/edit")
		version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(page)[1]
		code, _, loc := root.post("/accounts/"+id+"/edit", root.form("version", version, "alert_amount", alert, "credit_limit", credit,
			"overdraft", "0.00", "overdraft_expires_at", "", "status", "normal", "back", "/accounts/"+id))
		return code, loc
	}
	if code, loc := edit("5.00", "0.00"); code != 303 || !strings.Contains(loc, "done=modified") {
		t.Fatalf("alert amount alone = %d → %s; want it saved", code, loc)
	}
	code, loc := edit("5.00", "800.00")
	if code != 303 || !strings.Contains(loc, "done=queued") || !strings.Contains(loc, "approval=") {
		t.Fatalf("credit change = %d → %s; want it sent to approval", code, loc)
	}
	if _, page, _ := root.get(loc); !strings.Contains(page, `id="queued-link"`) {
		t.Error("the account page does not say the change went to approval")
	}
	if a, _ := s.st.Account(context.Background(), acc); a.CreditLimit != 0 || a.AlertAmount != 500 {
		t.Errorf("after the dialog: credit %d alert %d; want 0 and 500", a.CreditLimit, a.AlertAmount)
	}
}
