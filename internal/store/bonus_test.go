package store_test

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// bonusModel is what one account's principal and lots must be, worked out
// without the ledger package's split: lots by grant transaction.
type bonusModel struct {
	customerID        int64
	clerk, checker    ledger.Actor // who submit and approve reviewed top-ups
	principal, credit int64
	lots              []*modelLot
	order             ledger.SpendOrder
	posted            map[int64]*modelTx // by transaction id
}

type modelLot struct {
	grant     int64 // the granting transaction
	remaining int64
	expires   *time.Time
}

// modelTx is what a posted transaction did, for its reversal.
type modelTx struct {
	kind      string // topup, grant, debit
	principal int64  // signed
	took      map[*modelLot]int64
	lot       *modelLot
	reversed  bool
}

func (m *bonusModel) bonus() (sum int64) {
	for _, l := range m.lots {
		sum += l.remaining
	}
	return sum
}

func (m *bonusModel) live(now time.Time) []*modelLot {
	var out []*modelLot
	for _, l := range m.lots {
		if l.remaining > 0 && (l.expires == nil || now.Before(*l.expires)) {
			out = append(out, l)
		}
	}
	// First to expire first, never-expiring last, then in grant order.
	slices.SortStableFunc(out, func(a, b *modelLot) int {
		ka, kb := int64(1<<62), int64(1<<62)
		if a.expires != nil {
			ka = a.expires.UnixMicro()
		}
		if b.expires != nil {
			kb = b.expires.UnixMicro()
		}
		if ka != kb {
			return map[bool]int{true: -1, false: 1}[ka < kb]
		}
		return map[bool]int{true: -1, false: 1}[a.grant < b.grant]
	})
	return out
}

// debit applies a debit of amount at now, or says it does not fit.
func (m *bonusModel) debit(amount int64, now time.Time) (*modelTx, bool) {
	live := m.live(now)
	var liveSum int64
	for _, l := range live {
		liveSum += l.remaining
	}
	if m.principal+liveSum+m.credit < amount {
		return nil, false
	}
	fromBonus := min(amount, liveSum)
	if m.order == ledger.PrincipalFirst {
		fromBonus = min(max(amount-max(m.principal, 0), 0), liveSum)
	}
	tx := &modelTx{kind: "debit", principal: -(amount - fromBonus), took: map[*modelLot]int64{}}
	for _, l := range live {
		take := min(fromBonus, l.remaining)
		if take > 0 {
			l.remaining -= take
			fromBonus -= take
			tx.took[l] = take
		}
	}
	m.principal += tx.principal
	return tx, true
}

// expire ends, at now, the lots that ran out; the job's work.
func (m *bonusModel) expire(now time.Time) {
	for _, l := range m.lots {
		if l.expires != nil && !now.Before(*l.expires) {
			l.remaining = 0
		}
	}
}

// reverse undoes tx, or says why not: "" when it should succeed.
func (m *bonusModel) reverse(tx *modelTx) string {
	switch {
	case tx.reversed:
		return "already"
	case tx.kind == "grant":
		if tx.lot.remaining == 0 {
			return "spent"
		}
		tx.lot.remaining = 0
	case tx.kind == "topup":
		if m.principal-tx.principal < -m.credit {
			return "funds"
		}
		m.principal -= tx.principal
		if tx.lot != nil { // its bonus goes back with it, what is left of it
			tx.lot.remaining = 0
		}
	default:
		m.principal -= tx.principal
		for l, n := range tx.took {
			l.remaining += n
		}
	}
	tx.reversed = true
	return ""
}

// TestBonusProperties posts random top-ups, grants of bonus (with and
// without expiry), charges, debits, reversals, moves of the clock with and
// without the expiry job, and changes of the spending order, against a
// model. After every step: principal and bonus are the model's and each the
// sum of their entries (VerifyLedger), every lot holds what the model says
// and none is below zero, and the balance is never below the floor.
func TestBonusProperties(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			clk := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
			s := testdb.Open(t, d, store.Options{Now: clk.Now})
			clerk, checker := reviewActors(t, s)
			// Reviewed top-ups of 100.00 or more bring 10%, for two days.
			createPromotion(t, s, ledger.Promotion{Name: "property", Currency: money.MustCurrency("USD"), MinAmount: 10_000,
				BonusPercentBP: 1000, ValidFrom: clk.Now().Add(-time.Hour), BonusExpiresInDays: 2})
			n := 0
			rapid.Check(t, func(rt *rapid.T) {
				n++
				c, a := fixture(t, s, fmt.Sprintf("5%05d", n), 0)
				m := &bonusModel{customerID: c.ID, clerk: clerk, checker: checker, posted: map[int64]*modelTx{}, order: ledger.BonusFirst}
				setOrder(t, s, m.order)
				if rapid.Bool().Draw(rt, "credit") {
					m.credit = 3000
					if _, err := setLimits(s, a.ID, AccountLimits{CreditLimit: m.credit}); err != nil {
						rt.Fatal(err)
					}
				}
				steps := rapid.IntRange(5, 30).Draw(rt, "steps")
				for step := range steps {
					op := rapid.SampledFrom([]string{"topup", "reviewed", "grant", "grant", "charge", "charge", "debit", "reverse", "time", "order"}).Draw(rt, "op")
					bonusStep(rt, s, clk, a.ID, m, op)
					where := fmt.Sprintf("step %d %s", step, op)
					checkBonusModel(rt, s, a.ID, m, where)
					checkBonusStatement(rt, s, c.ID, m, where)
				}
			})
		})
	}
}

func setOrder(t interface{ Fatal(...any) }, s *store.Store, o ledger.SpendOrder) {
	if _, err := s.UpdateSettings(ctx, sys, func(st *ledger.Settings) error { st.SpendOrder = o; return nil }); err != nil {
		t.Fatal(err)
	}
}

// bonusStep does op on the account and the model alike.
func bonusStep(rt *rapid.T, s *store.Store, clk *clock, id int64, m *bonusModel, op string) {
	amount := rapid.Int64Range(1, 5000)
	var p store.Posted
	var err error
	var tx *modelTx
	ok := true
	switch op {
	case "topup":
		amt := amount.Draw(rt, "amount")
		p, err = s.TopUp(ctx, ledger.TopUp{Target: ledger.Target{AccountID: id}, Amount: amt, PaymentMethod: "alipay"})
		tx, m.principal = &modelTx{kind: "topup", principal: amt}, m.principal+amt
	case "reviewed":
		p, tx, err = reviewedStep(rt, s, clk, id, m)
	case "grant":
		amt := amount.Draw(rt, "amount")
		var exp *time.Time
		if days := rapid.IntRange(0, 5).Draw(rt, "days"); days > 0 {
			e := clk.Now().Add(time.Duration(days) * 24 * time.Hour)
			exp = &e
		}
		p, err = s.Adjust(ctx, ledger.Adjustment{Target: ledger.Target{AccountID: id}, Direction: ledger.Credit, Amount: amt,
			Reason: ledger.ReasonPromotion, Note: "bonus", Bonus: true, BonusExpiresAt: exp})
		tx = &modelTx{kind: "grant", lot: &modelLot{remaining: amt, expires: exp}}
		if err == nil {
			tx.lot.grant = p.Transaction.ID
			m.lots = append(m.lots, tx.lot)
		}
	case "charge", "debit":
		amt := amount.Draw(rt, "amount")
		tx, ok = m.debit(amt, clk.Now())
		if op == "charge" {
			p, err = s.Charge(ctx, ledger.Charge{AccountID: id, Amount: amt})
		} else {
			p, err = s.Adjust(ctx, ledger.Adjustment{Target: ledger.Target{AccountID: id}, Direction: ledger.Debit, Amount: amt,
				Reason: ledger.ReasonCorrection, Note: "property"})
		}
	case "reverse":
		reverseStep(rt, s, m)
		return
	case "time":
		clk.Add(time.Duration(rapid.IntRange(1, 72).Draw(rt, "hours")) * time.Hour)
		if rapid.Bool().Draw(rt, "job") {
			if _, err := s.ExpireBonus(ctx, sys, 1000); err != nil {
				rt.Fatal(err)
			}
			m.expire(clk.Now())
		}
		return
	case "order":
		m.order = rapid.SampledFrom([]ledger.SpendOrder{ledger.BonusFirst, ledger.PrincipalFirst}).Draw(rt, "order")
		setOrder(rt, s, m.order)
		return
	}
	switch {
	case !ok && !errors.Is(err, ledger.ErrInsufficientFunds):
		rt.Fatalf("%s: got %v, want insufficient funds", op, err)
	case ok && err != nil:
		rt.Fatalf("%s: %v", op, err)
	case ok:
		m.posted[p.Transaction.ID] = tx
	}
}

// reviewedStep submits and approves a top-up, which the promotion rule
// rewards from 100.00 on; the model gets its principal and its lot.
func reviewedStep(rt *rapid.T, s *store.Store, clk *clock, id int64, m *bonusModel) (store.Posted, *modelTx, error) {
	amt := rapid.Int64Range(5_000, 30_000).Draw(rt, "reviewed amount")
	req, err := s.SubmitTopUp(ctx, m.clerk, store.NewTopUp{CustomerID: m.customerID, Currency: "USD",
		TopUpFields: ledger.TopUpFields{Amount: amt, PaymentMethodID: 1, PaymentStatus: "paid"}}, ledger.Idempotency{})
	if err != nil {
		rt.Fatal(err)
	}
	r, err := s.ApproveTopUp(ctx, m.checker, req.TopUp.ID, nil, "", "", ledger.Idempotency{})
	if err != nil {
		return store.Posted{}, nil, err
	}
	tx := &modelTx{kind: "topup", principal: amt}
	m.principal += amt
	if amt >= 10_000 {
		lots, err := s.Lots(ctx, id)
		if err != nil {
			rt.Fatal(err)
		}
		known := map[int64]bool{}
		for _, l := range m.lots {
			known[l.grant] = true
		}
		exp := clk.Now().Add(48 * time.Hour)
		tx.lot = &modelLot{remaining: amt / 10, expires: &exp}
		for _, l := range lots {
			if !known[l.TransactionID] {
				tx.lot.grant = l.TransactionID
			}
		}
		m.lots = append(m.lots, tx.lot)
	}
	p, err := s.Transaction(ctx, r.TopUp.TransactionID)
	return store.Posted{Transaction: p}, tx, err
}

// reverseStep reverses a transaction posted before, picked at random.
func reverseStep(rt *rapid.T, s *store.Store, m *bonusModel) {
	if len(m.posted) == 0 {
		return
	}
	ids := make([]int64, 0, len(m.posted))
	for id := range m.posted {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	id := rapid.SampledFrom(ids).Draw(rt, "transaction")
	want := m.reverse(m.posted[id])
	_, err := s.Reverse(ctx, ledger.Reversal{TransactionID: id})
	var ve *ledger.ValidationError
	switch want {
	case "":
		if err != nil {
			rt.Fatalf("reverse %d: %v", id, err)
		}
	case "already":
		if !errors.Is(err, ledger.ErrAlreadyReversed) {
			rt.Fatalf("reverse %d again: got %v", id, err)
		}
	case "funds":
		if !errors.Is(err, ledger.ErrInsufficientFunds) {
			rt.Fatalf("reverse %d: got %v, want insufficient funds", id, err)
		}
	case "spent":
		if !errors.As(err, &ve) || ve.Problems[0].Reason != "bonus_spent" {
			rt.Fatalf("reverse %d: got %v, want bonus_spent", id, err)
		}
	}
}

// checkBonusModel compares the account and its lots with the model.
func checkBonusModel(rt *rapid.T, s *store.Store, id int64, m *bonusModel, where string) {
	a, err := s.Account(ctx, id)
	if err != nil {
		rt.Fatal(err)
	}
	if a.Principal() != m.principal || a.Bonus != m.bonus() {
		rt.Fatalf("%s: principal %d bonus %d, model says %d and %d", where, a.Principal(), a.Bonus, m.principal, m.bonus())
	}
	if a.Balance < -m.credit {
		rt.Fatalf("%s: balance %d below the floor %d", where, a.Balance, -m.credit)
	}
	lots, err := s.Lots(ctx, id)
	if err != nil {
		rt.Fatal(err)
	}
	got := map[int64]int64{}
	for _, l := range lots {
		got[l.TransactionID] = l.Remaining
	}
	for _, l := range m.lots {
		if got[l.grant] != l.remaining {
			rt.Fatalf("%s: lot of transaction %d holds %d, model says %d", where, l.grant, got[l.grant], l.remaining)
		}
	}
	if problems, err := s.VerifyLedger(ctx); err != nil || len(problems) > 0 {
		rt.Fatalf("%s: verify: %v %v", where, problems, err)
	}
	checkBonusTotals(rt, s, where)
}

// checkBonusTotals checks that the reports add up to the ledger, principal
// and bonus apart: the cumulative totals' identities, the accounts' bonus
// as their lots hold it, and a summary over all time against the totals.
func checkBonusTotals(rt *rapid.T, s *store.Store, where string) {
	totals, err := s.ReportTotals(ctx)
	if err != nil || len(totals) != 1 {
		rt.Fatalf("%s: totals %v, %v", where, totals, err)
	}
	r := totals[0]
	sum := func(plus []*big.Int, minus ...*big.Int) *big.Int {
		t := new(big.Int)
		for _, x := range plus {
			t.Add(t, x)
		}
		for _, x := range minus {
			t.Sub(t, x)
		}
		return t
	}
	if want := sum([]*big.Int{r.Recharge, r.AdjustmentsIn, r.Bonus}, r.Consumption, r.AdjustmentsOut, r.BonusExpired); want.Cmp(r.CustomerBalances) != 0 {
		rt.Fatalf("%s: customer balances %v, the totals say %v (%+v)", where, r.CustomerBalances, want, r)
	}
	if want := sum([]*big.Int{r.Bonus, r.BonusAdjusted}, r.ConsumptionBonus, r.BonusExpired); want.Cmp(r.CustomerBonus) != 0 {
		rt.Fatalf("%s: customer bonus %v, the totals say %v (%+v)", where, r.CustomerBonus, want, r)
	}
	var lots int64
	if err := s.DB().QueryRow("SELECT COALESCE(SUM(remaining), 0) FROM bonus_lots").Scan(&lots); err != nil || big.NewInt(lots).Cmp(r.CustomerBonus) != 0 {
		rt.Fatalf("%s: lots hold %d, customer bonus %v (%v)", where, lots, r.CustomerBonus, err)
	}
	rows, err := s.ReportSummary(ctx, store.ReportQuery{From: time.Unix(0, 0), To: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil || len(rows) > 1 {
		rt.Fatalf("%s: summary %v, %v", where, rows, err)
	}
	if len(rows) == 0 { // nothing a summary counts yet
		zero := new(big.Int)
		rows = []store.ReportRow{{Recharge: zero, Consumption: zero, Bonus: zero, ConsumptionBonus: zero}}
	}
	if rows[0].Recharge.Cmp(r.Recharge) != 0 || rows[0].Consumption.Cmp(r.Consumption) != 0 ||
		rows[0].Bonus.Cmp(r.Bonus) != 0 || rows[0].ConsumptionBonus.Cmp(r.ConsumptionBonus) != 0 {
		rt.Fatalf("%s: summary over all time %+v, totals %+v", where, rows[0], r)
	}
}

// TestChargesRaceExpiry charges one account from several goroutines while
// its bonus lots run out and the expiry job posts them. No charge may take
// from a lot at or after its expiry, and every unit of every lot ends
// either spent or expired: none is lost or counted twice.
func TestChargesRaceExpiry(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			clk := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
			s := testdb.Open(t, d, store.Options{Now: clk.Now})
			_, a := fixture(t, s, "5900001", 100000)
			for i := range 6 {
				exp := clk.Now().Add(time.Duration(i+1) * time.Minute)
				if _, err := s.Adjust(ctx, ledger.Adjustment{Target: ledger.Target{AccountID: a.ID}, Direction: ledger.Credit, Amount: 2000,
					Reason: ledger.ReasonPromotion, Note: "race", Bonus: true, BonusExpiresAt: &exp}); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			stop := make(chan struct{})
			for range 4 {
				wg.Go(func() {
					for {
						select {
						case <-stop:
							return
						default:
						}
						if _, err := s.Charge(ctx, ledger.Charge{AccountID: a.ID, Amount: 7}); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			for range 8 {
				time.Sleep(30 * time.Millisecond) // let the charges spend meanwhile
				clk.Add(50 * time.Second)
				if _, err := s.ExpireBonus(ctx, sys, 100); err != nil {
					t.Error(err)
				}
			}
			close(stop)
			wg.Wait()
			checkNoLateSpending(t, s)
			mustVerify(t, s)
		})
	}
}

// checkNoLateSpending fails when a debit took from a lot at or after the
// lot's expiry, or when a lot's units do not add up to spent + expired.
func checkNoLateSpending(t *testing.T, s *store.Store) {
	t.Helper()
	var late int
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM bonus_lot_uses u JOIN bonus_lots l ON l.id = u.lot_id JOIN transactions t ON t.id = u.transaction_id
		WHERE t.type <> 'bonus_expired' AND l.expires_at <= t.created_at`).Scan(&late); err != nil {
		t.Fatal(err)
	}
	if late > 0 {
		t.Errorf("%d debits took bonus from a lot that had expired", late)
	}
	rows, err := s.DB().Query(`SELECT l.id, l.amount, l.remaining, COALESCE(SUM(CASE WHEN t.type = 'charge' THEN u.amount END), 0),
		COALESCE(SUM(CASE WHEN t.type = 'bonus_expired' THEN u.amount END), 0)
		FROM bonus_lots l LEFT JOIN bonus_lot_uses u ON u.lot_id = l.id LEFT JOIN transactions t ON t.id = u.transaction_id GROUP BY l.id, l.amount, l.remaining`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var spent, lapsed int64
	for rows.Next() {
		var id, amount, remaining, charged, expired int64
		if err := rows.Scan(&id, &amount, &remaining, &charged, &expired); err != nil {
			t.Fatal(err)
		}
		spent, lapsed = spent+charged, lapsed+expired
		if remaining != 0 || charged+expired != amount {
			t.Errorf("lot %d of %d: %d left, %d spent, %d expired", id, amount, remaining, charged, expired)
		}
	}
	if spent == 0 || lapsed == 0 {
		t.Errorf("charges spent %d and the job expired %d: the race did not happen", spent, lapsed)
	}
}

// TestSplitDebitRaisesOneAlert: a charge that takes bonus and principal
// writes two entries on the account; crossing the alert amount raises one
// alert, not one per entry.
func TestSplitDebitRaisesOneAlert(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		_, a := fixture(t, s, "5900002", 900)
		alert := int64(930) // 950 with the bonus: the bonus entry crosses it

		if _, err := s.UpdateAccount(ctx, sys, a.ID, store.AccountChange{AlertAmount: &alert}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Adjust(ctx, ledger.Adjustment{Target: ledger.Target{AccountID: a.ID}, Direction: ledger.Credit, Amount: 50,
			Reason: ledger.ReasonPromotion, Note: "bonus", Bonus: true}); err != nil {
			t.Fatal(err)
		}
		p, err := s.Charge(ctx, ledger.Charge{AccountID: a.ID, Amount: 200})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(p.Transaction.Entries); n != 3 {
			t.Fatalf("charge has %d entries, want bonus, principal and revenue", n)
		}
		if got := countRows(t, s, "alerts"); got != 1 {
			t.Errorf("%d alerts raised, want 1", got)
		}
		mustVerify(t, s)
	})
}

// TestApprovedBonus: a bonus adjustment over the threshold waits for a
// second person and, approved, credits bonus with its expiry, not
// principal.
func TestApprovedBonus(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		clerk, checker := reviewActors(t, s)
		_, a := fixture(t, s, "5900003", 1000)
		approvalSettings(t, s, 100, false)
		exp := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
		ap := queue(t, s, ledger.Adjustment{Target: ledger.Target{AccountID: a.ID}, Direction: ledger.Credit, Amount: 500,
			Reason: ledger.ReasonPromotion, Note: "opening offer", Bonus: true, BonusExpiresAt: &exp, Actor: clerk})
		if _, err := s.ApproveApproval(ctx, checker, ap.ID, store.ApprovalDecision{}, ledger.Idempotency{}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Account(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Principal() != 1000 || got.Bonus != 500 || got.BonusUntil == nil || !got.BonusUntil.Equal(exp) {
			t.Errorf("principal %d bonus %d until %v; want 1000, 500, %v", got.Principal(), got.Bonus, got.BonusUntil, exp)
		}
		mustVerify(t, s)
	})
}

// checkBonusStatement checks the account's statement over all its time:
// it adds up, principal and bonus apart, to what the model says.
func checkBonusStatement(rt *rapid.T, s *store.Store, customerID int64, m *bonusModel, where string) {
	st, err := s.Statement(ctx, customerID, "USD", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		rt.Fatalf("%s: statement: %v", where, err)
	}
	if err := st.Check(); err != nil {
		rt.Fatalf("%s: statement: %v", where, err)
	}
	if st.Closing != m.principal+m.bonus() || st.ClosingBonus != m.bonus() || st.Opening != 0 || st.OpeningBonus != 0 {
		rt.Fatalf("%s: statement closes at %d (bonus %d), model says %d (bonus %d)", where, st.Closing, st.ClosingBonus, m.principal+m.bonus(), m.bonus())
	}
}

// TestTopUpBonus: an approved top-up that meets promotion rules brings the
// best rule's bonus, as a bonus transaction naming the top-up, in a lot
// expiring as the rule says; one below every minimum brings none; the
// reports count recharge without the bonus; reversing the top-up after part
// of the bonus was spent takes back only what is left of it.
func TestTopUpBonus(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			clk := &clock{t: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}
			s := testdb.Open(t, d, store.Options{Now: clk.Now})
			clerk, checker := reviewActors(t, s)
			c, a := fixture(t, s, "5900010", 0)
			createPromotion(t, s, promotion("ten percent", "USD", 1000)) // from 100.00
			fixed := promotion("fifty flat", "USD", 0)
			fixed.BonusFixed, fixed.MinAmount, fixed.BonusExpiresInDays = 5000, 40_000, 30
			createPromotion(t, s, fixed)

			approve := func(amount int64) store.TopUpResult {
				r, err := s.ApproveTopUp(ctx, checker, submit(t, s, clerk, c.ID, amount).ID, nil, "", "", ledger.Idempotency{})
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			approve(5_000)         // 50.00: below every minimum
			big := approve(60_000) // 600.00: ten percent gives 60.00, fifty flat 50.00
			lots, err := s.Lots(ctx, a.ID)
			if err != nil || len(lots) != 1 || lots[0].Amount != 6000 || lots[0].ExpiresAt != nil {
				t.Fatalf("lots %+v, %v; want one of 60.00 that never expires", lots, err)
			}
			bonusTx, err := s.Transaction(ctx, lots[0].TransactionID)
			if err != nil || bonusTx.Type != ledger.TxBonus || bonusTx.TopUpID != big.TopUp.ID || bonusTx.Note != "ten percent" {
				t.Fatalf("bonus transaction %+v, %v", bonusTx, err)
			}
			if _, err := s.Charge(ctx, ledger.Charge{AccountID: a.ID, Amount: 2_000}); err != nil { // spends 20.00 of the bonus
				t.Fatal(err)
			}
			totals, err := s.ReportTotals(ctx)
			if err != nil || totals[0].Recharge.Int64() != 65_000 || totals[0].Bonus.Int64() != 6_000 || totals[0].ConsumptionBonus.Int64() != 2_000 {
				t.Fatalf("totals %+v, %v; want recharge 650.00 without the bonus of 60.00, 20.00 of it spent", totals, err)
			}
			if _, err := s.Reverse(ctx, ledger.Reversal{TransactionID: big.TopUp.TransactionID, Note: "paid twice"}); err != nil {
				t.Fatal(err)
			}
			acc, err := s.Account(ctx, a.ID)
			if err != nil || acc.Principal() != 5_000 || acc.Bonus != 0 {
				t.Fatalf("after the reversal: principal %d bonus %d (%v); want 50.00 and nothing left of the bonus", acc.Principal(), acc.Bonus, err)
			}
			if _, err := s.Reverse(ctx, ledger.Reversal{TransactionID: bonusTx.ID}); ledger.CodeOf(err) != ledger.CodeValidation {
				t.Errorf("reversing the bonus on its own: %v, want refused", err)
			}
			mustVerify(t, s)
		})
	}
}
