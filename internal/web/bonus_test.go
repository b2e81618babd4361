package web_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// grantBonus credits amount of bonus to account id, as a promotion
// adjustment, expiring at expires (nil: never); it returns the grant's
// transaction.
func grantBonus(t *testing.T, s *site, id, amount int64, expires *time.Time) int64 {
	t.Helper()
	out, err := s.st.SubmitAdjustment(context.Background(), ledger.Adjustment{Target: ledger.Target{AccountID: id}, Direction: ledger.Credit,
		Amount: amount, Reason: ledger.ReasonPromotion, Note: "spring promotion", Bonus: true, BonusExpiresAt: expires, Actor: ledger.Actor{Name: "test"}})
	if err != nil || out.Approval != nil {
		t.Fatalf("grant bonus: %v (queued: %v)", err, out.Approval != nil)
	}
	return out.Posted.Transaction.ID
}

// splitCharge is an account with 100.00 of its own money and 5.00 of bonus
// valid through a day ahead, and a consumption of 8.00 that bonus paid
// 5.00 of (the default order, bonus first).
type splitCharge struct {
	account, grant, charge int64
}

func newSplitCharge(t *testing.T, s *site) splitCharge {
	t.Helper()
	_, a := testdb.Funded(t, s.st, "13800007777", 10000)
	expires := store.StartOfDay(time.Now().Year(), time.Now().Month(), time.Now().Day()+2, time.UTC)
	f := splitCharge{account: a.ID, grant: grantBonus(t, s, a.ID, 500, &expires)}
	p, err := s.st.Charge(context.Background(), ledger.Charge{AccountID: a.ID, Amount: 800, Note: "lunch", Actor: ledger.Actor{Name: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	f.charge = p.Transaction.ID
	return f
}

// TestBonusOnTransactionPages: a consumption that bonus paid part of shows
// both parts, on its page beside each entry of the customer account and on
// its receipt, with the balance its last entry left; the grant says until
// when its bonus is valid; the list filters the new types.
func TestBonusOnTransactionPages(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			f := newSplitCharge(t, s)
			b := s.login("clerk")
			_, page, _ := b.get("/transactions/" + itoa(f.charge))
			for _, want := range []string{`id="tx-bonus">-$5.00`, `id="tx-principal">-$3.00`, `part-bonus">· Bonus`, `part-principal">· Own money`, "$97.00"} {
				if !strings.Contains(page, want) {
					t.Errorf("the split consumption's page lacks %q", want)
				}
			}
			if strings.Contains(page, "$100.00</dd>") {
				t.Error("the balance after is the step between the two entries")
			}
			if _, receipt, _ := b.get("/transactions/" + itoa(f.charge) + "/receipt"); !strings.Contains(receipt, `id="tx-bonus">-$5.00`) {
				t.Error("the receipt does not say what bonus paid")
			}
			// The first grant is spent; a second one is there to read.
			expires := time.Now().Add(72 * time.Hour)
			_, grant, _ := b.get("/transactions/" + itoa(grantBonus(t, s, f.account, 200, &expires)))
			if !regexp.MustCompile(`id="tx-lot">· valid through [A-Z][a-z]{2} \d+, \d{4} \d\d:\d\d<`).MatchString(grant) || !strings.Contains(grant, "Promotions (system account)") {
				t.Errorf("the grant's page does not say its end or its source:\n%s", grant)
			}
			for _, typ := range []string{"bonus", "bonus_expired"} {
				if code, _, _ := b.get("/transactions?type=" + typ); code != 200 {
					t.Errorf("filter by type %s = %d", typ, code)
				}
			}
		})
	}
}

// TestBonusOnAccountPages: an account with bonus shows its balance as own
// money and bonus, the bonus that expires first, and its lots linked to
// their grants; once a lot has run out (and the job has not yet taken it
// off) the page says so and what can be spent leaves it out. The lists
// say the bonus under the balance. An account that never had bonus shows
// none of it. In both languages.
func TestBonusOnAccountPages(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
			s := newSiteAt(t, d, func() time.Time { return now })
			c, a := testdb.Funded(t, s.st, "13800006666", 10000)
			soon, later := now.Add(2*time.Hour), store.StartOfDay(2026, 12, 31+1, time.UTC)
			first := grantBonus(t, s, a.ID, 300, &soon)
			grantBonus(t, s, a.ID, 200, &later)
			grantBonus(t, s, a.ID, 100, nil)
			_, plain := testdb.Funded(t, s.st, "13800006667", 5000)
			b := s.login("clerk")
			_, page, _ := b.get("/accounts/" + itoa(a.ID))
			for _, want := range []string{`id="balance">$106.00`, `id="principal">$100.00`, `id="bonus">$6.00`,
				`id="bonus-next">$3.00 valid through Dec 4, 2026 11:00`, `id="lots-table"`, `href="/transactions/` + itoa(first) + `"`,
				"Dec 31, 2026", "no expiry", `part-bonus">· Bonus`} {
				if !strings.Contains(page, want) {
					t.Errorf("the account page lacks %q", want)
				}
			}
			if strings.Contains(page, `id="bonus-expired"`) {
				t.Error("bonus shows as expired before its time")
			}
			_, list, _ := b.get("/accounts")
			if !strings.Contains(list, "incl. bonus $6.00") || strings.Count(list, "incl-bonus") != 1 {
				t.Errorf("the accounts list does not say the bonus under the balance, once")
			}
			if _, cust, _ := b.get("/customers/" + itoa(c.ID)); !strings.Contains(cust, "incl. bonus $6.00") {
				t.Error("the customer's accounts do not say the bonus")
			}
			_, page, _ = b.get("/accounts/" + itoa(plain.ID))
			for _, no := range []string{`id="principal"`, `id="bonus"`, `id="bonus-lots"`, "part-"} {
				if strings.Contains(page, no) {
					t.Errorf("an account without bonus shows %s", no)
				}
			}

			now = now.Add(3 * time.Hour) // the first lot has run out; no job runs here
			_, page, _ = b.get("/accounts/" + itoa(a.ID))
			for _, want := range []string{`id="bonus-expired">$3.00 has expired`, `id="available">$103.00`, `id="bonus-next">$2.00 valid through Dec 31, 2026<`,
				`<span class="badge text-bg-secondary">Expired</span>`} {
				if !strings.Contains(page, want) {
					t.Errorf("after the first lot ran out the account page lacks %q", want)
				}
			}
			b.post("/lang", b.form("lang", "zh-CN", "back", "/"))
			_, page, _ = b.get("/accounts/" + itoa(a.ID))
			for _, want := range []string{"本金", "赠送金额明细", "已过期", "长期有效", "有效期至 2026年12月31日"} {
				if !strings.Contains(page, want) {
					t.Errorf("the Chinese account page lacks %q", want)
				}
			}
		})
	}
}

// TestBonusAdjustmentForm: the adjustment form credits a promotion as
// bonus valid through a day of the business time zone, which ends it at
// the start of the next day there; what does not fit comes back with
// everything typed kept and the problem beside its field, in the user's
// language.
func TestBonusAdjustmentForm(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			ctx := context.Background()
			if _, err := s.st.UpdateSettings(ctx, ledger.Actor{Name: "test"}, func(st *ledger.Settings) error {
				st.Timezone, st.ApprovalThresholds["USD"] = "Asia/Shanghai", 100_000
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			_, a := testdb.Funded(t, s.st, "13800005555", 10000)
			b := s.login("clerk")
			if _, page, _ := b.get("/adjust?account_id=" + itoa(a.ID)); !strings.Contains(page, `id="f-bonus"`) || !strings.Contains(page, `type="date" name="bonus_expires_at"`) {
				t.Fatal("the adjustment form offers no bonus")
			}
			shanghai, _ := time.LoadLocation("Asia/Shanghai")
			day := time.Now().In(shanghai).AddDate(0, 0, 10)
			post := func(kv ...string) (int, string, string) {
				return b.post("/adjust", b.form(append([]string{"account_id", itoa(a.ID), "direction", "credit", "amount", "25.00", "reason", "promotion",
					"note", "spring promotion", "bonus", "1", "bonus_expires_at", day.Format(time.DateOnly), "form_token", "bonus-" + itoa(int64(len(kv)))}, kv...)...))
			}
			code, page, _ := post("reason", "refund")
			if code != 422 || !strings.Contains(page, `id="e-bonus">Only a credit with reason promotion can be bonus.`) ||
				!strings.Contains(page, `id="f-bonus" checked`) || !strings.Contains(page, `value="`+day.Format(time.DateOnly)+`"`) || !strings.Contains(page, "spring promotion") {
				t.Errorf("a refund as bonus = %d; want the problem beside the box, everything typed kept", code)
			}
			if code, page, _ = post("bonus_expires_at", "2026-02-30"); code != 422 || !strings.Contains(page, `id="e-bonus_expires_at">Not a date.`) {
				t.Errorf("an impossible day = %d; want it refused beside the field", code)
			}
			if code, page, _ = post("bonus_expires_at", "2020-01-31"); code != 422 || !strings.Contains(page, `id="e-bonus_expires_at">Choose today or a later day.`) {
				t.Errorf("a day gone by = %d; want it refused beside the field", code)
			}
			code, _, loc := post()
			if code != 303 {
				t.Fatalf("bonus credit = %d", code)
			}
			if _, page, _ = b.get(loc); !strings.Contains(page, `id="posted-bonus">$25.00`) {
				t.Error("the posted panel does not say the credit is bonus")
			}
			lots, err := s.st.Lots(ctx, a.ID)
			if want := store.StartOfDay(day.Year(), day.Month(), day.Day()+1, shanghai); err != nil || len(lots) != 1 || lots[0].Amount != 2500 || !lots[0].ExpiresAt.Equal(want) {
				t.Fatalf("lots %+v (%v); want one of 25.00 ending %v", lots, err, want)
			}
			if _, page, _ = b.get("/accounts/" + itoa(a.ID)); !strings.Contains(page, `$25.00 valid through `+day.Format("Jan 2, 2006")+`<`) {
				t.Error("the account page does not give back the day typed")
			}
			b.post("/lang", b.form("lang", "zh-CN", "back", "/"))
			if code, page, _ = post("direction", "debit"); code != 422 || !strings.Contains(page, `id="e-bonus">只有入账才能作为赠送金额`) {
				t.Errorf("a debit as bonus in Chinese = %d; want the Chinese problem beside the box", code)
			}
		})
	}
}

// TestBonusSpendOrderSetting: the settings page offers the spending order
// (SPEC 11), bonus first until changed; saving own money first makes the
// next consumption take own money first, and the operation record says
// the change in words. A save of the other settings leaves it unrecorded.
func TestBonusSpendOrderSetting(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			root := s.login("root")
			settings := func(kv ...string) int {
				code, _, _ := root.post("/settings", root.form(append([]string{"retention_days", "200", "timezone", "UTC"}, kv...)...))
				return code
			}
			if _, page, _ := root.get("/settings"); !strings.Contains(page, `<option value="bonus_first" selected>Bonus, then own money (default)</option>`) {
				t.Fatal("the settings do not offer the spending order, bonus first")
			}
			if code := settings("spend_order", "bonus_first"); code != 303 {
				t.Fatalf("save = %d", code)
			}
			if code, page, _ := root.post("/settings", root.form("retention_days", "200", "timezone", "UTC", "spend_order", "newest_first")); code != 422 ||
				!strings.Contains(page, `id="e-spend_order">Choose one of the options.`) {
				t.Errorf("an unknown order = %d; want it refused beside the field", code)
			}
			if code := settings("spend_order", "principal_first"); code != 303 {
				t.Fatalf("save = %d", code)
			}
			if _, page, _ := root.get("/settings"); !strings.Contains(page, `<option value="principal_first" selected>`) {
				t.Error("the saved order is not the one shown")
			}
			_, a := testdb.Funded(t, s.st, "13800004444", 1000)
			grantBonus(t, s, a.ID, 500, nil)
			if _, err := s.st.Charge(context.Background(), ledger.Charge{AccountID: a.ID, Amount: 800, Actor: ledger.Actor{Name: "test"}}); err != nil {
				t.Fatal(err)
			}
			if acc, _ := s.st.Account(context.Background(), a.ID); acc.Bonus != 500 || acc.Principal() != 200 {
				t.Errorf("own money first: bonus %d, own money %d; want 500 and 200", acc.Bonus, acc.Principal())
			}
			_, body, _ := root.get("/audit?action=settings.update")
			rows := auditRows(t, body)
			if strings.Count(rows, "Spending order") != 1 || !strings.Contains(rows, "Own money, then bonus") {
				t.Errorf("the records do not say the one change of the spending order:\n%s", rows)
			}
		})
	}
}

// TestBonusReversal: reversing a grant takes back what is left of it, and
// its confirmation says the balance that leaves; a grant spent whole is
// not offered for reversal, and its confirmation says why.
func TestBonusReversal(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			_, a := testdb.Funded(t, s.st, "13800003333", 10000)
			spent := grantBonus(t, s, a.ID, 300, nil)
			part := grantBonus(t, s, a.ID, 500, nil)
			// 500.00 of bonus: the older grant is spent whole, 2.00 of the other.
			if _, err := s.st.Charge(context.Background(), ledger.Charge{AccountID: a.ID, Amount: 500, Actor: ledger.Actor{Name: "test"}}); err != nil {
				t.Fatal(err)
			}
			b := s.login("clerk")
			if _, page, _ := b.get("/transactions/" + itoa(spent)); strings.Contains(page, `id="reverse"`) {
				t.Error("a grant spent whole is offered for reversal")
			}
			if code, page, _ := b.get("/transactions/" + itoa(spent) + "/reverse"); code != 409 || !strings.Contains(page, "Nothing is left of its bonus") {
				t.Errorf("the reversal of a spent grant = %d; want 409 saying why", code)
			}
			// Balance 103.00 now; the reversal takes back the 3.00 left.
			_, page, _ := b.get("/transactions/" + itoa(part) + "/reverse")
			if !regexp.MustCompile(`(?s)id="reverse-effect">.*\$103\.00.*\$100\.00`).MatchString(page) {
				t.Errorf("the reversal's confirmation does not say 103.00 becomes 100.00:\n%s", page)
			}
			token := regexp.MustCompile(`name="form_token" value="([^"]+)"`).FindStringSubmatch(page)
			if code, _, _ := b.post("/transactions/"+itoa(part)+"/reverse", b.form("note", "promotion withdrawn", "form_token", token[1])); code != 303 {
				t.Fatalf("reverse the grant = %d", code)
			}
			if got := s.balance(a.ID); got != 10000 {
				t.Errorf("after the reversal the balance is %d, want 10000", got)
			}
		})
	}
}

// TestRechargeShowsItsBonus: the recharge form says, under the amount, the
// bonus today's promotion rules give it (htmx asks as the amount is typed),
// in the user's language; nothing for an amount no rule rewards; and the
// review form says what approving would credit beside the top-up.
func TestRechargeShowsItsBonus(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			ctx := context.Background()
			root := ledger.Actor{Name: "test"}
			if _, err := s.st.CreatePromotion(ctx, root, ledger.Promotion{Name: "Winter 10%", Currency: money.MustCurrency("USD"), MinAmount: 10_000,
				BonusPercentBP: 1000, ValidFrom: time.Now().Add(-time.Hour), BonusExpiresInDays: 30}); err != nil {
				t.Fatal(err)
			}
			clerk := s.login("clerk")
			if _, page, _ := clerk.get("/recharge/bonus?amount=600.00&currency=USD"); !strings.Contains(page, "Bonus $60.00 with “Winter 10%”, valid for 30 days.") {
				t.Errorf("the hint for 600.00 = %q", page)
			}
			if _, page, _ := clerk.get("/recharge/bonus?amount=50.00&currency=USD"); strings.Contains(page, "Bonus") || !strings.Contains(page, `id="bonus-hint"`) {
				t.Errorf("the hint for 50.00 = %q; want an empty hint", page)
			}
			clerk.post("/lang", clerk.form("lang", "zh-CN", "back", "/"))
			if _, page, _ := clerk.get("/recharge/bonus?amount=1,000&currency=USD"); !strings.Contains(page, "赠送 US$100.00（“Winter 10%”），有效期 30 天。") {
				t.Errorf("the hint in Chinese = %q", page)
			}
			c, _ := testdb.Funded(t, s.st, "13800006666", 0)
			clerkActor, err := s.st.AdminByUsername(ctx, "clerk")
			if err != nil {
				t.Fatal(err)
			}
			req := testdb.SubmitTopUp(t, s.st, ledger.Actor{AdminID: clerkActor.ID, Name: "clerk", Role: ledger.RoleAdmin}, c.ID, "USD", 25_000)
			checker := s.login("checker")
			if _, page, _ := checker.get("/reviews/" + itoa(req.ID)); !strings.Contains(page, "Bonus $25.00 with “Winter 10%”, valid for 30 days.") {
				t.Error("the review form does not say the bonus approving would credit")
			}
		})
	}
}
