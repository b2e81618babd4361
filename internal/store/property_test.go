package store_test

import (
	"errors"
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// TestLedgerProperties posts random sequences of top-ups, charges,
// adjustments, reversals and credit changes, and keeps a model of what each
// balance must be. After every step: the store agrees with the model, every
// stored balance equals the sum of its entries, every transaction sums to
// zero, and no account is below its floor.
func TestLedgerProperties(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := testdb.Open(t, d, store.Options{})
			iteration := 0
			rapid.Check(t, func(rt *rapid.T) {
				iteration++
				type acct struct {
					id              int64
					balance, credit int64
				}
				var accounts []*acct
				for i := 0; i < 3; i++ {
					_, a := fixture(t, s, fmt.Sprintf("4%04d%d", iteration, i), 0)
					accounts = append(accounts, &acct{id: a.ID})
				}
				type posted struct {
					id       int64
					acct     *acct
					amount   int64
					reversal bool
					reversed bool
				}
				var history []*posted
				amount := rapid.Int64Range(1, 50000)
				steps := rapid.IntRange(5, 25).Draw(rt, "steps")
				for step := 0; step < steps; step++ {
					a := rapid.SampledFrom(accounts).Draw(rt, "account")
					floor := -a.credit
					var p store.Posted
					var err error
					var want int64 // expected effect on the balance
					wantErr := error(nil)
					op := rapid.SampledFrom([]string{"topup", "charge", "credit", "debit", "reverse", "limit"}).Draw(rt, "op")
					switch op {
					case "topup":
						want = amount.Draw(rt, "amount")
						p, err = s.TopUp(ctx, ledger.TopUp{Target: ledger.Target{AccountID: a.id}, Amount: want, PaymentMethod: "alipay"})
					case "charge", "debit":
						amt := amount.Draw(rt, "amount")
						want = -amt
						if a.balance-amt < floor {
							wantErr = ledger.ErrInsufficientFunds
						}
						if op == "charge" {
							p, err = s.Charge(ctx, ledger.Charge{AccountID: a.id, Amount: amt})
						} else {
							p, err = s.Adjust(ctx, ledger.Adjustment{Target: ledger.Target{AccountID: a.id}, Direction: ledger.Debit,
								Amount: amt, Reason: ledger.ReasonCorrection, Note: "property"})
						}
					case "credit":
						want = amount.Draw(rt, "amount")
						p, err = s.Adjust(ctx, ledger.Adjustment{Target: ledger.Target{AccountID: a.id}, Direction: ledger.Credit,
							Amount: want, Reason: ledger.ReasonRefund, Note: "property"})
					case "reverse":
						if len(history) == 0 {
							continue
						}
						h := rapid.SampledFrom(history).Draw(rt, "transaction")
						a = h.acct
						floor = -a.credit
						want = -h.amount
						switch {
						case h.reversal:
							wantErr = &ledger.ValidationError{}
						case h.reversed:
							wantErr = ledger.ErrAlreadyReversed
						case want < 0 && a.balance+want < floor:
							wantErr = ledger.ErrInsufficientFunds
						}
						p, err = s.Reverse(ctx, ledger.Reversal{TransactionID: h.id})
						if err == nil {
							h.reversed = true
						}
					case "limit":
						credit := rapid.Int64Range(0, 20000).Draw(rt, "credit")
						if _, err := setLimits(s, a.id, AccountLimits{CreditLimit: credit}); err != nil {
							rt.Fatal(err)
						}
						a.credit = credit
						continue
					}
					switch {
					case wantErr == nil && err != nil:
						rt.Fatalf("step %d %s: unexpected error %v", step, op, err)
					case wantErr != nil:
						var ve *ledger.ValidationError
						if _, isVE := wantErr.(*ledger.ValidationError); isVE && !errors.As(err, &ve) || !isVE && !errors.Is(err, wantErr) {
							rt.Fatalf("step %d %s: error %v, want %v", step, op, err, wantErr)
						}
						want = 0
					default:
						if p.Transaction.Amount != want {
							rt.Fatalf("step %d %s: transaction amount %d, want %d", step, op, p.Transaction.Amount, want)
						}
						history = append(history, &posted{id: p.Transaction.ID, acct: a, amount: want, reversal: op == "reverse"})
					}
					a.balance += want
					for _, x := range accounts {
						if got := balance(t, s, x.id); got != x.balance {
							rt.Fatalf("step %d %s: account %d balance %d, model says %d", step, op, x.id, got, x.balance)
						}
					}
					// Lowering a credit limit may leave a balance under the new
					// floor; what must never happen is a debit that ends there.
					if want < 0 && a.balance < -a.credit {
						rt.Fatalf("step %d %s: account %d debited to %d, below its floor %d", step, op, a.id, a.balance, -a.credit)
					}
					if problems, err := s.VerifyLedger(ctx); err != nil || len(problems) > 0 {
						rt.Fatalf("step %d %s: verify: %v %v", step, op, problems, err)
					}
				}
			})
		})
	}
}
