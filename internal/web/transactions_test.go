package web_test

import (
	"context"
	"encoding/csv"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// txFixture is two customers and four transactions: Ada's recharge of
// 100.00 USD (by root) and consumption of 12.50 (INV-1), Bo's promotion
// credit of 30.00 CNY and consumption of 5.00 (INV-2), by the clerk.
type txFixture struct {
	ada, bo                           ledger.Account
	topup, adaCharge, promo, boCharge int64
}

func newTxFixture(t *testing.T, s *site) txFixture {
	t.Helper()
	ctx := context.Background()
	root, _ := s.st.AdminByUsername(ctx, "root")
	clerk, _ := s.st.AdminByUsername(ctx, "clerk")
	rootActor := ledger.Actor{AdminID: root.ID, Name: "root", Role: ledger.RoleSuperAdmin}
	clerkActor := ledger.Actor{AdminID: clerk.ID, Name: "clerk", Role: ledger.RoleAdmin}
	var f txFixture
	for _, c := range []struct {
		name, phone, cur string
		acc              *ledger.Account
	}{{"Ada Lovelace", "13800000001", "USD", &f.ada}, {"Bo Chen", "13800000002", "CNY", &f.bo}} {
		cu, err := s.st.CreateCustomer(ctx, clerkActor, ledger.NewCustomer{Name: c.name, Phone: c.phone, DefaultCurrency: c.cur})
		if err != nil {
			t.Fatal(err)
		}
		accs, err := s.st.Accounts(ctx, store.AccountFilter{CustomerID: cu.ID, Limit: 1})
		if err != nil || len(accs) != 1 {
			t.Fatalf("accounts of %s: %v %v", c.name, accs, err)
		}
		*c.acc = accs[0].Account
	}
	post := func(p store.Posted, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return p.Transaction.ID
	}
	f.topup = post(s.st.TopUp(ctx, ledger.TopUp{Target: ledger.Target{AccountID: f.ada.ID}, Amount: 10000, PaymentMethod: "alipay", Actor: rootActor}))
	f.adaCharge = post(s.st.Charge(ctx, ledger.Charge{AccountID: f.ada.ID, Amount: 1250, Reference: "INV-1", Note: "parcel fees", Actor: clerkActor}))
	f.promo = post(s.st.Adjust(ctx, ledger.Adjustment{Target: ledger.Target{AccountID: f.bo.ID}, Direction: ledger.Credit, Amount: 3000,
		Reason: ledger.ReasonPromotion, Note: "welcome gift", Actor: clerkActor}))
	f.boCharge = post(s.st.Charge(ctx, ledger.Charge{AccountID: f.bo.ID, Amount: 500, Reference: "INV-2", Actor: clerkActor}))
	return f
}

var txLink = regexp.MustCompile(`href="/transactions/(\d+)" class="tx-link"`)

// listed is the transaction ids a list page shows, in its order.
func listed(body string) []string {
	var ids []string
	for _, m := range txLink.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// TestTransactionListFiltersCombine queries the list as an operator does:
// each filter alone and together, the count beside them, the order of the
// column headers, and a value that does not parse said beside its field.
func TestTransactionListFiltersCombine(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			f := newTxFixture(t, s)
			clerk := s.login("clerk")
			today := time.Now().UTC().Format(time.DateOnly)
			tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
			id := itoa
			for _, c := range []struct {
				query string
				want  []int64
			}{
				{"", []int64{f.boCharge, f.promo, f.adaCharge, f.topup}},
				{"q=ada", []int64{f.adaCharge, f.topup}},
				{"q=13800000002", []int64{f.boCharge, f.promo}},
				{"q=Bo", []int64{f.boCharge, f.promo}},
				{"q=" + f.bo.Number, []int64{f.boCharge, f.promo}},
				{"q=ada&type=charge", []int64{f.adaCharge}},
				{"type=charge", []int64{f.boCharge, f.adaCharge}},
				{"reason=promotion", []int64{f.promo}},
				{"currency=CNY", []int64{f.boCharge, f.promo}},
				{"currency=CNY&type=charge", []int64{f.boCharge}},
				{"amount_min=10&amount_max=20", []int64{f.adaCharge}},
				{"amount_min=12.5&amount_max=12.5", []int64{f.adaCharge}},
				{"amount_min=12.501&amount_max=20", nil},
				{"amount_max=5", []int64{f.boCharge}},
				{"operator=roo", []int64{f.topup}},
				{"operator=clerk&currency=USD", []int64{f.adaCharge}},
				{"reference=inv", []int64{f.boCharge, f.adaCharge}},
				{"reference=INV-1", []int64{f.adaCharge}},
				{"from=" + today + "&to=" + today, []int64{f.boCharge, f.promo, f.adaCharge, f.topup}},
				{"from=" + tomorrow, nil},
				{"to=" + today + "&type=topup", []int64{f.topup}},
				{"sort=amount", []int64{f.adaCharge, f.boCharge, f.promo, f.topup}},
				{"sort=-amount", []int64{f.topup, f.promo, f.boCharge, f.adaCharge}},
				{"sort=created_at", []int64{f.topup, f.adaCharge, f.promo, f.boCharge}},
				{"page=2&size=20", nil},
			} {
				code, body, _ := clerk.get("/transactions?" + c.query)
				if code != 200 {
					t.Errorf("GET /transactions?%s = %d", c.query, code)
					continue
				}
				var want []string
				for _, w := range c.want {
					want = append(want, id(w))
				}
				if got := listed(body); strings.Join(got, ",") != strings.Join(want, ",") {
					t.Errorf("?%s lists %v, want %v", c.query, got, want)
				}
				if c.query != "page=2&size=20" && len(c.want) > 0 && !strings.Contains(body, "1–"+id(int64(len(c.want)))+" of "+id(int64(len(c.want)))) {
					t.Errorf("?%s does not say 1–%d of %d", c.query, len(c.want), len(c.want))
				}
			}
			if _, body, _ := clerk.get("/transactions?page=2&size=20"); !strings.Contains(body, "Nothing found") {
				t.Error("page 2 of 4 rows says nothing")
			}
			// A value that does not parse is said beside its field, with
			// what was typed kept, and nothing is listed in its place.
			for field, value := range map[string]string{"from": "2026-13-01", "amount_min": "-5", "amount_max": "1,000", "currency": "XYZ", "type": "gift"} {
				code, body, _ := clerk.get("/transactions?" + url.Values{field: {value}, "q": {"ada"}}.Encode())
				if code != 422 || !strings.Contains(body, `id="e-`+field+`"`) || !strings.Contains(body, `value="ada"`) || len(listed(body)) != 0 {
					t.Errorf("%s=%s: %d, field error shown %v, rows %v", field, value, code, strings.Contains(body, `id="e-`+field+`"`), listed(body))
				}
			}
			if code, _, _ := clerk.get("/transactions?sort=balance"); code != 422 {
				t.Errorf("a sort the list has not = %d, want 422", code)
			}
			if _, body, _ := clerk.get("/transactions"); !strings.Contains(body, "<option>CNY</option>") || !strings.Contains(body, "<option>USD</option>") {
				t.Error("the currency filter does not offer the currencies posted in")
			}
			// Rows link their customer and account.
			_, body, _ := clerk.get("/transactions?q=ada&type=charge")
			for _, link := range []string{`href="/accounts/` + id(f.ada.ID) + `"`, `href="/customers/` + id(f.ada.CustomerID) + `"`, "INV-1", "parcel fees", "clerk"} {
				if !strings.Contains(body, link) {
					t.Errorf("the row lacks %s", link)
				}
			}
		})
	}
}

// TestTransactionExportIsTheList downloads the CSV of a filtered list: the
// same rows, the table's columns, plain decimal amounts.
func TestTransactionExportIsTheList(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			f := newTxFixture(t, s)
			checker := s.login("checker") // every role may view transactions
			for _, c := range []struct {
				query string
				rows  [][]string // id, type, reason, amount, balance after, reference, operator
			}{
				{"currency=CNY", [][]string{{itoa(f.boCharge), "Consumption", "", "-5.00", "25.00", "INV-2", "clerk"},
					{itoa(f.promo), "Adjustment", "Promotion", "30.00", "30.00", "", "clerk"}}},
				{"q=ada&sort=created_at", [][]string{{itoa(f.topup), "Recharge", "", "100.00", "100.00", "", "root"},
					{itoa(f.adaCharge), "Consumption", "", "-12.50", "87.50", "INV-1", "clerk"}}},
				{"from=2000-01-01&to=2000-01-02", nil},
			} {
				res, err := checker.c.Get(s.url + "/transactions/export?" + c.query)
				if err != nil {
					t.Fatal(err)
				}
				rows, err := csv.NewReader(res.Body).ReadAll()
				res.Body.Close()
				if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
					res.Header.Get("Content-Disposition") != `attachment; filename="transactions.csv"` || err != nil {
					t.Fatalf("export ?%s = %d %q %q %v", c.query, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"), err)
				}
				if len(rows) != len(c.rows)+1 || rows[0][1] != "Transaction no." || rows[0][7] != "Amount" {
					t.Fatalf("export ?%s: %v", c.query, rows)
				}
				for i, want := range c.rows {
					r := rows[i+1]
					got := []string{r[1], r[5], r[6], r[7], r[8], r[9], r[11]}
					if strings.Join(got, "|") != strings.Join(want, "|") {
						t.Errorf("export ?%s row %d = %v, want %v", c.query, i+1, got, want)
					}
				}
			}
			if code, _, _ := checker.get("/transactions/export?amount_min=abc"); code != 422 {
				t.Errorf("export with a bad amount = %d, want 422", code)
			}
		})
	}
}

// TestTransactionReversedOnce reverses a consumption from its page: the
// two are linked both ways, the reversed one offers no second reversal and
// refuses one posted anyway, and a reviewer neither sees nor reaches the
// reversal.
func TestTransactionReversedOnce(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			f := newTxFixture(t, s)
			clerk := s.login("clerk")
			page := "/transactions/" + itoa(f.adaCharge)
			if code, body, _ := clerk.get(page); code != 200 || !strings.Contains(body, `id="reverse"`) || !strings.Contains(body, "INV-1") {
				t.Fatalf("GET %s = %d; reverse offered: %v", page, code, strings.Contains(body, `id="reverse"`))
			}
			if code, body, _ := clerk.get(page + "/receipt"); code != 200 || !strings.Contains(body, "Ada Lovelace") || !strings.Contains(body, "data-print") {
				t.Errorf("receipt = %d", code)
			}
			// A note too long comes back beside the field, as typed.
			long := strings.Repeat("x", 1001)
			code, body, _ := clerk.post(page+"/reverse", clerk.form("note", long, "form_token", "rv-1"))
			if code != 422 || !strings.Contains(body, `id="e-note"`) || !strings.Contains(body, long) {
				t.Errorf("long note: %d, field error %v", code, strings.Contains(body, `id="e-note"`))
			}
			code, _, loc := clerk.post(page+"/reverse", clerk.form("note", "charged twice", "form_token", "rv-1"))
			if code != 303 || !strings.HasPrefix(loc, "/transactions/") || !strings.HasSuffix(loc, "?done=reversed") {
				t.Fatalf("reverse = %d → %s", code, loc)
			}
			rev := strings.TrimSuffix(strings.TrimPrefix(loc, "/transactions/"), "?done=reversed")
			_, body, _ = clerk.get(loc)
			if !strings.Contains(body, `id="corrects"`) || !strings.Contains(body, `href="`+page+`"`) || strings.Contains(body, `id="reverse"`) ||
				!strings.Contains(body, "Reversal posted") || !strings.Contains(body, "charged twice") {
				t.Error("the reversal's page does not link the original, or offers to reverse a reversal")
			}
			_, body, _ = clerk.get(page)
			if !strings.Contains(body, `id="reversed-by"`) || !strings.Contains(body, `href="/transactions/`+rev+`"`) || strings.Contains(body, `id="reverse"`) {
				t.Error("the reversed transaction does not link its reversal, or offers a second one")
			}
			if _, body, _ = clerk.get("/transactions?q=ada&type=charge"); !strings.Contains(body, `href="/transactions/`+rev+`"`) {
				t.Error("the list does not mark the charge reversed")
			}
			// A second reversal, from a fresh form, is refused and says why.
			code, body, _ = clerk.post(page+"/reverse", clerk.form("note", "again", "form_token", "rv-2"))
			if code != 409 || !strings.Contains(body, "reversed already") || strings.Contains(body, `id="confirm-reverse"`) {
				t.Errorf("second reversal = %d", code)
			}
			if code, body, _ := clerk.get(page + "/reverse"); code != 409 || strings.Contains(body, `id="confirm-reverse"`) {
				t.Errorf("the confirmation of a reversed transaction = %d", code)
			}
			if code, _, _ := clerk.post("/transactions/"+rev+"/reverse", clerk.form("form_token", "rv-3")); code != 422 {
				t.Errorf("reversing a reversal = %d, want 422", code)
			}
			if a, _ := s.st.Account(context.Background(), f.ada.ID); a.Balance != 10000 {
				t.Errorf("balance after one reversal and refused ones = %d, want 10000", a.Balance)
			}
			// The reviewer sees the transaction, not the reversal.
			checker := s.login("checker")
			other := "/transactions/" + itoa(f.boCharge)
			if code, body, _ := checker.get(other); code != 200 || strings.Contains(body, `id="reverse"`) {
				t.Errorf("reviewer GET %s = %d, reverse offered %v", other, code, strings.Contains(body, `id="reverse"`))
			}
			for _, try := range []func() int{
				func() int { c, _, _ := checker.get(other + "/reverse"); return c },
				func() int { c, _, _ := checker.post(other+"/reverse", checker.form("form_token", "rv-4")); return c },
			} {
				if code := try(); code != 403 {
					t.Errorf("reviewer reaches the reversal: %d", code)
				}
			}
			for _, p := range []string{"/transactions/999999", "/transactions/abc", "/transactions/0/receipt"} {
				if code, _, _ := checker.get(p); code != 404 {
					t.Errorf("GET %s = %d, want 404", p, code)
				}
			}
		})
	}
}

// TestTransactionPagesInEveryLanguage opens the list, a transaction, its
// receipt and its reversal as each role in both languages: every text is
// in the catalog, and the reversal is offered only to those who may post.
func TestTransactionPagesInEveryLanguage(t *testing.T) {
	s := newSite(t, store.SQLite)
	f := newTxFixture(t, s)
	tx := "/transactions/" + itoa(f.promo)
	missing := regexp.MustCompile(`\[[a-z_]+\.[a-z_.-]+\]`)
	for _, c := range []struct {
		user    string
		reverse bool
	}{{"root", true}, {"clerk", true}, {"checker", false}} {
		b := s.login(c.user)
		for _, lang := range []string{"en", "zh-CN"} {
			b.post("/lang", b.form("lang", lang, "back", "/"))
			paths := []string{"/transactions", "/transactions?type=adjustment&reason=promotion", tx, tx + "/receipt"}
			if c.reverse {
				paths = append(paths, tx+"/reverse")
			}
			for _, p := range paths {
				code, body, _ := b.get(p)
				if code != 200 || !strings.Contains(body, `lang="`+lang+`"`) {
					t.Errorf("%s %s GET %s = %d", c.user, lang, p, code)
				}
				if m := missing.FindString(body); m != "" {
					t.Errorf("%s %s %s shows a missing message %s", c.user, lang, p, m)
				}
			}
			if _, body, _ := b.get(tx); strings.Contains(body, `id="reverse"`) != c.reverse {
				t.Errorf("%s %s: reverse offered = %v", c.user, lang, !c.reverse)
			}
		}
	}
}
