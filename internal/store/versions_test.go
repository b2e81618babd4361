package store_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// reviewActors adds a submitting admin and a reviewer.
func reviewActors(t *testing.T, s *store.Store) (clerk, checker ledger.Actor) {
	return testdb.Reviewers(t, s)
}

func submit(t *testing.T, s *store.Store, clerk ledger.Actor, customerID, amount int64) ledger.TopUpRequest {
	return testdb.SubmitTopUp(t, s, clerk, customerID, "USD", amount)
}

func setAmount(amount int64) func(*ledger.TopUpFields) {
	return func(f *ledger.TopUpFields) { f.Amount = amount }
}

// TestTopUpVersions: every change of a request makes a new version, and a
// decision on an old one changes nothing, consumes no idempotency key and
// writes no operation record.
func TestTopUpVersions(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		clerk, checker := reviewActors(t, s)
		c, a := fixture(t, s, "13800000201", 0)
		tu := submit(t, s, clerk, c.ID, 1000)
		if tu.Version != 1 {
			t.Fatalf("a new request has version %d, want 1", tu.Version)
		}
		seen := tu.Version
		fixed, err := s.UpdateTopUp(ctx, clerk, tu.ID, setAmount(999900))
		if err != nil {
			t.Fatal(err)
		}
		if fixed.Version <= seen {
			t.Fatalf("a correction left the version at %d", fixed.Version)
		}
		same, err := s.UpdateTopUp(ctx, clerk, tu.ID, setAmount(999900))
		if err != nil || same.Version != fixed.Version {
			t.Errorf("a correction that changes nothing: version %d → %d (%v)", fixed.Version, same.Version, err)
		}
		if _, err := s.AddVoucher(ctx, clerk, tu.ID, "image/png", []byte("png")); err != nil {
			t.Fatal(err)
		}
		withVoucher, _ := s.TopUpRequest(ctx, tu.ID)
		if withVoucher.Version <= fixed.Version {
			t.Errorf("a voucher left the version at %d", withVoucher.Version)
		}

		records := countRows(t, s, "audit_log")
		key := ledger.Idempotency{Scope: checker.IdempotencyScope(), Key: "approve-once"}
		for _, d := range []store.TopUpDecision{{Approve: true, Version: &seen}, {Approve: false, Version: &seen}, {Approve: true, Version: &fixed.Version}} {
			if _, err := s.ReviewTopUp(ctx, checker, tu.ID, d, key); !errors.Is(err, ledger.ErrStaleVersion) {
				t.Errorf("decision %+v on an old version: %v, want stale_version", d, err)
			}
		}
		now, _ := s.TopUpRequest(ctx, tu.ID)
		if now.Status != ledger.TopUpPending || now.Version != withVoucher.Version || balance(t, s, a.ID) != 0 || countRows(t, s, "audit_log") != records {
			t.Fatalf("stale decisions changed something: %+v, balance %d", now, balance(t, s, a.ID))
		}
		// The key was not used up: with the current version it approves.
		res, err := s.ReviewTopUp(ctx, checker, tu.ID, store.TopUpDecision{Approve: true, Version: &now.Version}, key)
		if err != nil || res.Replayed || res.TopUp.Status != ledger.TopUpApproved || *res.TopUp.ActualAmount != 999900 {
			t.Fatalf("approval of the current version = %+v, %v", res, err)
		}
		if balance(t, s, a.ID) != 999900 || res.TopUp.Version <= now.Version {
			t.Errorf("after approval: balance %d, version %d", balance(t, s, a.ID), res.TopUp.Version)
		}
		// The version is part of the key's request.
		old := now.Version - 1
		if _, err := s.ReviewTopUp(ctx, checker, tu.ID, store.TopUpDecision{Approve: true, Version: &old}, key); !errors.Is(err, ledger.ErrIdempotencyKeyReused) {
			t.Errorf("the same key with another version: %v, want idempotency_key_reused", err)
		}
		again, err := s.ReviewTopUp(ctx, checker, tu.ID, store.TopUpDecision{Approve: true, Version: &now.Version}, key)
		if err != nil || !again.Replayed {
			t.Errorf("the same key and version again: %+v, %v", again, err)
		}
		mustVerify(t, s)
	})
}

// TestCorrectionRacingApproval: a submitter's correction and an approval
// made on the version the reviewer read, at the same time. Whatever is
// posted is the amount of that version: the correction either lands first
// (and the approval is stale) or waits (and finds the request decided).
func TestCorrectionRacingApproval(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		clerk, checker := reviewActors(t, s)
		c, a := fixture(t, s, "13800000202", 0)
		var posted int64
		outcomes := map[string]int{}
		for i := range 30 {
			tu := submit(t, s, clerk, c.ID, 1000+int64(i))
			seen, _ := s.TopUpRequest(ctx, tu.ID)
			var wg sync.WaitGroup
			var corrErr, approveErr error
			var res store.TopUpResult
			start := make(chan struct{})
			wg.Add(2)
			go func() {
				defer wg.Done()
				<-start
				_, corrErr = s.UpdateTopUp(ctx, clerk, tu.ID, setAmount(900000+int64(i)))
			}()
			go func() {
				defer wg.Done()
				<-start
				res, approveErr = s.ReviewTopUp(ctx, checker, tu.ID, store.TopUpDecision{Approve: true, Version: &seen.Version}, ledger.Idempotency{})
			}()
			close(start)
			wg.Wait()
			after, _ := s.TopUpRequest(ctx, tu.ID)
			switch {
			case approveErr == nil:
				outcomes["approved"]++
				if !errors.Is(corrErr, ledger.ErrNotPending) {
					t.Errorf("round %d: approved, and the correction = %v", i, corrErr)
				}
				if *res.TopUp.ActualAmount != seen.Amount || after.Amount != seen.Amount {
					t.Fatalf("round %d: the reviewer saw %d; posted %d, request says %d", i, seen.Amount, *res.TopUp.ActualAmount, after.Amount)
				}
				tx, err := s.Transaction(ctx, res.TopUp.TransactionID)
				if err != nil || tx.Amount != seen.Amount {
					t.Fatalf("round %d: posting %+v (%v), want %d", i, tx, err, seen.Amount)
				}
				posted += tx.Amount
			case errors.Is(approveErr, ledger.ErrStaleVersion):
				outcomes["stale"]++
				if corrErr != nil || after.Status != ledger.TopUpPending || after.TransactionID != 0 {
					t.Fatalf("round %d: stale approval, correction %v, request %+v", i, corrErr, after)
				}
			default:
				t.Fatalf("round %d: approval = %v", i, approveErr)
			}
			if got := balance(t, s, a.ID); got != posted {
				t.Fatalf("round %d: balance %d, posted %d", i, got, posted)
			}
		}
		t.Logf("outcomes: %v", outcomes)
		mustVerify(t, s)
	})
}

// TestAccountVersions: an account's version counts changes of its
// settings, from any door (an edit, a batch, an undo), not postings; an
// edit on an old version changes nothing.
func TestAccountVersions(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		_, a := fixture(t, s, "13800000203", 5000)
		if a.Version != 1 {
			t.Fatalf("a new account has version %d, want 1", a.Version)
		}
		if _, err := s.Charge(ctx, ledger.Charge{AccountID: a.ID, Amount: 100}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Account(ctx, a.ID); got.Version != a.Version {
			t.Errorf("a posting moved the version to %d", got.Version)
		}
		credit := int64(20000)
		v1 := a.Version
		edited, err := s.UpdateAccount(ctx, sys, a.ID, store.AccountChange{CreditLimit: &credit, Version: &v1})
		if err != nil || edited.Version != v1+1 || edited.CreditLimit != credit {
			t.Fatalf("edit on the current version = %+v, %v", edited, err)
		}
		same, err := s.UpdateAccount(ctx, sys, a.ID, store.AccountChange{CreditLimit: &credit})
		if err != nil || same.Version != edited.Version {
			t.Errorf("an edit that changes nothing: version %d → %d (%v)", edited.Version, same.Version, err)
		}
		records := countRows(t, s, "audit_log")
		frozen := ledger.StatusFrozen
		if _, err := s.UpdateAccount(ctx, sys, a.ID, store.AccountChange{Status: &frozen, Version: &v1}); !errors.Is(err, ledger.ErrStaleVersion) {
			t.Errorf("edit on an old version: %v, want stale_version", err)
		}
		if got, _ := s.Account(ctx, a.ID); got.Status != ledger.StatusNormal || got.Version != edited.Version || countRows(t, s, "audit_log") != records {
			t.Errorf("a stale edit changed the account: %+v", got)
		}
		batch, err := s.CreateAlertBatch(ctx, sys, ledger.AlertBatchRequest{AlertAmount: "7", AccountIDs: []int64{a.ID}}, ledger.Idempotency{})
		if err != nil {
			t.Fatal(err)
		}
		afterBatch, _ := s.Account(ctx, a.ID)
		if afterBatch.Version != edited.Version+1 {
			t.Errorf("a batch that changed the alert amount left version %d (was %d)", afterBatch.Version, edited.Version)
		}
		if _, err := s.UpdateAccount(ctx, sys, a.ID, store.AccountChange{Status: &frozen, Version: &edited.Version}); !errors.Is(err, ledger.ErrStaleVersion) {
			t.Errorf("edit on the version from before the batch: %v, want stale_version", err)
		}
		if _, err := s.UndoAlertBatch(ctx, sys, batch.Batch.ID, ledger.Idempotency{}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Account(ctx, a.ID); got.Version != afterBatch.Version+1 || got.AlertAmount != 0 {
			t.Errorf("after undo: %+v, want version %d", got, afterBatch.Version+1)
		}
		// Archiving the customer disables the account: a settings change too.
		settled, _ := s.Account(ctx, a.ID)
		if settled.Balance != 0 {
			if _, err := s.Charge(ctx, ledger.Charge{AccountID: a.ID, Amount: settled.Balance}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.ArchiveCustomer(ctx, sys, a.CustomerID); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Account(ctx, a.ID); got.Status != ledger.StatusDisabled || got.Version != settled.Version+1 {
			t.Errorf("after archiving its customer: status %s, version %d, want disabled, %d", got.Status, got.Version, settled.Version+1)
		}
	})
}

// TestBalanceRangeInEachCurrency: balance_min/balance_max without a
// currency, in each account's own major unit, compared exactly.
func TestBalanceRangeInEachCurrency(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		ids := map[string]int64{}
		for _, b := range []struct {
			cur     string
			balance int64
		}{{"USD", 999}, {"USD", 1000}, {"JPY", 9}, {"JPY", 10}, {"JPY", 1}, {"JPY", 0}, {"JPY", -1}, {"KWD", 9999}, {"KWD", 10000}, {"BHD", 500}} {
			name := fmt.Sprintf("%s %d", b.cur, b.balance)
			ids[name] = balanceAccount(t, s, b.cur, b.balance)
		}
		for _, tc := range []struct {
			min, max string
			want     []string
		}{
			{"10", "", []string{"USD 1000", "JPY 10", "KWD 10000"}},
			{"", "9.99", []string{"USD 999", "JPY 9", "JPY 1", "JPY 0", "JPY -1", "BHD 500"}},
			{"0.5", "", []string{"USD 999", "USD 1000", "JPY 9", "JPY 10", "JPY 1", "KWD 9999", "KWD 10000", "BHD 500"}},
			{"", "0.5", []string{"JPY 0", "JPY -1", "BHD 500"}},
			{"0.5", "0.5", []string{"BHD 500"}},
			{"-0.5", "0.5", []string{"JPY 0", "BHD 500"}},
			{"", "-0.5", []string{"JPY -1"}},
			{"9.9999", "9.9999", nil},
			{"9.999", "10", []string{"USD 1000", "JPY 10", "KWD 9999", "KWD 10000"}},
			{"0.0000001", "0.9", []string{"BHD 500"}},
			{"99999999999999999999999", "", nil},
			{"", "99999999999999999999999", []string{"USD 999", "USD 1000", "JPY 9", "JPY 10", "JPY 1", "JPY 0", "JPY -1", "KWD 9999", "KWD 10000", "BHD 500"}},
			{"-99999999999999999999999", "-0.001", []string{"JPY -1"}},
		} {
			f := store.AccountFilter{Limit: 100}
			for _, b := range []struct {
				s   string
				dst **store.MajorBound
			}{{tc.min, &f.MajorMin}, {tc.max, &f.MajorMax}} {
				if b.s == "" {
					continue
				}
				m, err := store.ParseMajorBound(b.s)
				if err != nil {
					t.Fatalf("parse %q: %v", b.s, err)
				}
				*b.dst = &m
			}
			rows, err := s.Accounts(ctx, f)
			if err != nil {
				t.Fatalf("min %q max %q: %v", tc.min, tc.max, err)
			}
			var got, want []int64
			for _, r := range rows {
				got = append(got, r.ID)
			}
			for _, n := range tc.want {
				want = append(want, ids[n])
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("min %q max %q: got %v, want %v (%v)", tc.min, tc.max, got, want, tc.want)
			}
		}
	})
}

// balanceAccount opens an account in cur for a new customer and brings
// its balance to b (a negative one through credit and a charge).
func balanceAccount(t *testing.T, s *store.Store, cur string, b int64) int64 {
	t.Helper()
	c, err := s.CreateCustomer(ctx, sys, ledger.NewCustomer{Name: fmt.Sprintf("%s %d", cur, b)})
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := s.OpenAccount(ctx, sys, c.ID, cur)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case b > 0:
		_, err = s.TopUp(ctx, ledger.TopUp{Target: ledger.Target{AccountID: a.ID}, Amount: b, PaymentMethod: "bank_transfer"})
	case b < 0:
		if _, err = setLimits(s, a.ID, AccountLimits{CreditLimit: -b}); err == nil {
			_, err = s.Charge(ctx, ledger.Charge{AccountID: a.ID, Amount: -b})
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}

func TestParseMajorBound(t *testing.T) {
	for _, ok := range []string{"0", "10", "-2.5", "0.125", "007.5000", "-0", "123456789012345678901234567890.5"} {
		if _, err := store.ParseMajorBound(ok); err != nil {
			t.Errorf("ParseMajorBound(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-", ".5", "5.", "1e3", "+1", "1,000", "１", "1.2.3", " 1", "--1", "0x10"} {
		if _, err := store.ParseMajorBound(bad); err == nil {
			t.Errorf("ParseMajorBound(%q) accepted", bad)
		}
	}
}
