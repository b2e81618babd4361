package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// TestRememberedPrincipals: a principal found is remembered, but a change
// made on this instance (a revocation, a disabled administrator) applies
// to the next request at once, and one made by a second instance on the
// same database applies within two seconds.
func TestRememberedPrincipals(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			clk := &clock{t: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)}
			dsn := testdb.DSN(t, d)
			var here, there *store.Store
			for _, s := range []**store.Store{&here, &there} {
				var err error
				if *s, err = store.Open(ctx, dsn, store.Options{Now: clk.Now}); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { (*s).Close() })
			}
			admin, err := here.CreateAdmin(ctx, ledger.Admin{Username: "clerk", Name: "Clerk", Role: ledger.RoleAdmin, PasswordHash: "x"})
			if err != nil {
				t.Fatal(err)
			}
			live := func(s *store.Store, secret string) bool {
				t.Helper()
				_, err := s.Authenticate(ctx, secret)
				if err != nil && !errors.Is(err, ledger.ErrNotFound) {
					t.Fatal(err)
				}
				return err == nil
			}
			session := func() (string, store.Token) {
				t.Helper()
				secret, tok, err := here.StartSession(ctx, admin, "192.0.2.1", time.Hour)
				if err != nil {
					t.Fatal(err)
				}
				if !live(here, secret) || !live(there, secret) {
					t.Fatal("a new session is not found")
				}
				return secret, tok
			}

			// Revoked here: refused here at once.
			secret, tok := session()
			if err := here.RevokeToken(ctx, sys, tok.ID, "session"); err != nil {
				t.Fatal(err)
			}
			if live(here, secret) {
				t.Error("a session revoked on this instance still works on it")
			}
			// On the other instance, which found it a moment ago, within
			// two seconds.
			clk.Add(2 * time.Second)
			if live(there, secret) {
				t.Error("a revoked session works on another instance two seconds later")
			}

			// Disabled here: every session of the administrator refused here at once.
			secret, _ = session()
			disabled := true
			if _, err := here.UpdateAdmin(ctx, sys, admin.ID, store.AdminChange{Disabled: &disabled}); err != nil {
				t.Fatal(err)
			}
			if live(here, secret) {
				t.Error("a disabled administrator's session still works")
			}
			clk.Add(2 * time.Second)
			if live(there, secret) {
				t.Error("a disabled administrator's session works on another instance two seconds later")
			}

			// An expired session is refused even while remembered.
			enabled := false
			if _, err := here.UpdateAdmin(ctx, sys, admin.ID, store.AdminChange{Disabled: &enabled}); err != nil {
				t.Fatal(err)
			}
			secret, _, err = here.StartSession(ctx, admin, "192.0.2.1", time.Second)
			if err != nil || !live(here, secret) {
				t.Fatalf("a short session: %v", err)
			}
			clk.Add(time.Second)
			if live(here, secret) {
				t.Error("an expired session works while remembered")
			}
		})
	}
}
