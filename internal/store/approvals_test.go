package store_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// approvalSettings sets a USD threshold (minor units) and whether credit
// changes need approval.
func approvalSettings(t *testing.T, s *store.Store, usd int64, credit bool) {
	t.Helper()
	if _, err := s.UpdateSettings(ctx, sys, func(st *ledger.Settings) error {
		st.ApprovalThresholds["USD"] = usd
		st.ApproveCreditChanges = credit
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func debit(clerk ledger.Actor, account, amount int64) ledger.Adjustment {
	return ledger.Adjustment{Target: ledger.Target{AccountID: account}, Direction: ledger.Debit, Amount: amount,
		Reason: ledger.ReasonCorrection, Note: "large correction", Actor: clerk}
}

func queue(t *testing.T, s *store.Store, r ledger.Adjustment) ledger.Approval {
	t.Helper()
	out, err := s.SubmitAdjustment(ctx, r)
	if err != nil || out.Approval == nil {
		t.Fatalf("submit: %+v, %v; want an approval", out, err)
	}
	return *out.Approval
}

func TestApprovalThresholds(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		clerk, _ := reviewActors(t, s)
		_, a := fixture(t, s, "40001", 500_000)
		approvalSettings(t, s, 100_000, false)
		t.Run("BelowPosts", func(t *testing.T) {
			out, err := s.SubmitAdjustment(ctx, debit(clerk, a.ID, 99_999))
			if err != nil || out.Approval != nil || out.Posted.Transaction.ID == 0 {
				t.Fatalf("%+v, %v; want a posting", out, err)
			}
		})
		t.Run("AtQueues", func(t *testing.T) {
			ap := queue(t, s, debit(clerk, a.ID, 100_000))
			if ap.Status != ledger.ApprovalPending || ap.Kind != ledger.ApprovalAdjustment || ap.Amount != 100_000 || ap.Version != 1 {
				t.Errorf("approval = %+v", ap)
			}
			if got := balance(t, s, a.ID); got != 400_001 {
				t.Errorf("balance = %d, want 400001: nothing posted", got)
			}
		})
		t.Run("OtherCurrencyHasNone", func(t *testing.T) {
			c, _ := fixture(t, s, "40002", 0)
			out, err := s.SubmitAdjustment(ctx, ledger.Adjustment{Target: ledger.Target{CustomerID: c.ID, Currency: "EUR"}, Direction: ledger.Credit,
				Amount: 10_000_000, Reason: ledger.ReasonPromotion, Note: "big", Actor: clerk})
			if err != nil || out.Approval != nil {
				t.Fatalf("%+v, %v; want a posting", out, err)
			}
		})
		t.Run("KeyReplaysTheApproval", func(t *testing.T) {
			r := debit(clerk, a.ID, 200_000)
			r.Idem = ledger.Idempotency{Scope: "admin:x", Key: "big-1"}
			first := queue(t, s, r)
			again, err := s.SubmitAdjustment(ctx, r)
			if err != nil || !again.Replayed || again.Approval == nil || again.Approval.ID != first.ID {
				t.Fatalf("repeat: %+v, %v; want a replay of approval %d", again, err, first.ID)
			}
		})
		mustVerify(t, s)
	})
}

func TestApprovalDecisions(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		clerk, checker := reviewActors(t, s)
		_, a := fixture(t, s, "40011", 300_000)
		approvalSettings(t, s, 100_000, false)
		t.Run("SelfApprovalRefused", func(t *testing.T) {
			ap := queue(t, s, debit(clerk, a.ID, 100_000))
			if _, err := s.ApproveApproval(ctx, clerk, ap.ID, store.ApprovalDecision{}, ledger.Idempotency{}); !errors.Is(err, ledger.ErrSelfApproval) {
				t.Fatalf("own approval: %v, want self_approval", err)
			}
		})
		t.Run("StaleVersionRefused", func(t *testing.T) {
			ap := queue(t, s, debit(clerk, a.ID, 100_000))
			v := ap.Version + 1
			if _, err := s.ApproveApproval(ctx, checker, ap.ID, store.ApprovalDecision{Version: &v}, ledger.Idempotency{}); !errors.Is(err, ledger.ErrStaleVersion) {
				t.Fatalf("stale: %v, want stale_version", err)
			}
		})
		t.Run("RejectNeedsRemark", func(t *testing.T) {
			ap := queue(t, s, debit(clerk, a.ID, 100_000))
			if _, err := s.RejectApproval(ctx, checker, ap.ID, store.ApprovalDecision{}, ledger.Idempotency{}); ledger.CodeOf(err) != ledger.CodeValidation {
				t.Fatalf("reject without remark: %v", err)
			}
			r, err := s.RejectApproval(ctx, checker, ap.ID, store.ApprovalDecision{Remark: "no ticket"}, ledger.Idempotency{})
			if err != nil || r.Approval.Status != ledger.ApprovalRejected || r.Approval.DecidedBy != checker.AdminID {
				t.Fatalf("reject: %+v, %v", r, err)
			}
		})
		t.Run("CancelByRequesterOnly", func(t *testing.T) {
			ap := queue(t, s, debit(clerk, a.ID, 100_000))
			if _, err := s.CancelApproval(ctx, checker, ap.ID, ledger.Idempotency{}); !errors.Is(err, ledger.ErrNotRequester) {
				t.Fatalf("someone else's cancel: %v", err)
			}
			r, err := s.CancelApproval(ctx, clerk, ap.ID, ledger.Idempotency{})
			if err != nil || r.Approval.Status != ledger.ApprovalCancelled {
				t.Fatalf("cancel: %+v, %v", r, err)
			}
			if _, err := s.ApproveApproval(ctx, checker, ap.ID, store.ApprovalDecision{}, ledger.Idempotency{}); !errors.Is(err, ledger.ErrNotPending) {
				t.Fatalf("approve after cancel: %v, want not_pending", err)
			}
		})
		t.Run("FundsGoneStaysPending", func(t *testing.T) {
			ap := queue(t, s, debit(clerk, a.ID, 250_000))
			if _, err := s.Charge(ctx, ledger.Charge{AccountID: a.ID, Amount: 100_000}); err != nil {
				t.Fatal(err)
			}
			_, err := s.ApproveApproval(ctx, checker, ap.ID, store.ApprovalDecision{}, ledger.Idempotency{})
			if !errors.Is(err, ledger.ErrInsufficientFunds) {
				t.Fatalf("approve past the floor: %v, want insufficient_funds", err)
			}
			now, _ := s.Approval(ctx, ap.ID)
			if now.Status != ledger.ApprovalPending || now.Version != ap.Version {
				t.Errorf("after the refusal: %+v; want it pending as it was", now)
			}
		})
		mustVerify(t, s)
	})
}

// Many deciders at once: exactly one wins, and at most one posting is made.
func TestConcurrentApprovalDecisions(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		clerk, checker := reviewActors(t, s)
		_, a := fixture(t, s, "40021", 1_000_000)
		approvalSettings(t, s, 100_000, false)
		ap := queue(t, s, debit(clerk, a.ID, 150_000))
		before := countRows(t, s, "transactions")
		var won, lost atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				var err error
				if i%2 == 0 {
					_, err = s.ApproveApproval(ctx, checker, ap.ID, store.ApprovalDecision{Version: &ap.Version}, ledger.Idempotency{})
				} else {
					_, err = s.RejectApproval(ctx, checker, ap.ID, store.ApprovalDecision{Remark: "no", Version: &ap.Version}, ledger.Idempotency{})
				}
				switch {
				case err == nil:
					won.Add(1)
				case errors.Is(err, ledger.ErrNotPending), errors.Is(err, ledger.ErrStaleVersion):
					lost.Add(1)
				default:
					t.Error(err)
				}
			}(i)
		}
		wg.Wait()
		if won.Load() != 1 || lost.Load() != 15 {
			t.Fatalf("%d won, %d lost; want 1 and 15", won.Load(), lost.Load())
		}
		final, _ := s.Approval(ctx, ap.ID)
		posted := countRows(t, s, "transactions") - before
		if (final.Status == ledger.ApprovalApproved) != (posted == 1) || posted > 1 {
			t.Errorf("status %s with %d postings", final.Status, posted)
		}
		mustVerify(t, s)
	})
}

func TestCreditChangeApproval(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		clerk, _ := reviewActors(t, s)
		boss, err := s.AddAdmin(ctx, sys, ledger.Admin{Username: "boss", Role: ledger.RoleSuperAdmin, PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		super := ledger.Actor{AdminID: boss.ID, Name: "boss", Role: ledger.RoleSuperAdmin}
		_, a := fixture(t, s, "40031", 0)
		approvalSettings(t, s, 100_000, true)
		limit, alert := int64(50_000), int64(700)
		acc, ap, err := s.SubmitAccountChange(ctx, clerk, a.ID, store.AccountChange{CreditLimit: &limit, AlertAmount: &alert})
		if err != nil || ap == nil || ap.Kind != ledger.ApprovalCreditChange || ap.Amount != limit {
			t.Fatalf("submit: %+v, %v", ap, err)
		}
		if acc.CreditLimit != 0 || acc.AlertAmount != 0 {
			t.Errorf("applied before approval: %+v", acc)
		}
		same := int64(0)
		if _, ap2, err := s.SubmitAccountChange(ctx, clerk, a.ID, store.AccountChange{AlertAmount: &alert, CreditLimit: &same}); err != nil || ap2 != nil {
			t.Fatalf("an alert amount beside an unchanged credit limit: %+v, %v; want it applied", ap2, err)
		}
		r, err := s.ApproveApproval(ctx, super, ap.ID, store.ApprovalDecision{Remark: "ok"}, ledger.Idempotency{})
		if err != nil || r.Approval.Status != ledger.ApprovalApproved {
			t.Fatalf("approve: %+v, %v", r, err)
		}
		now, _ := s.Account(ctx, a.ID)
		if now.CreditLimit != limit || now.AlertAmount != alert {
			t.Errorf("after approval: credit %d alert %d; want %d and %d", now.CreditLimit, now.AlertAmount, limit, alert)
		}
	})
}
