package apiclient_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/cofferhq/coffer/apiclient"
	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/server"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// serve starts a Coffer server on a fresh store with one super admin,
// and returns its address.
func serve(t *testing.T, d store.Dialect) string {
	t.Helper()
	s := testdb.Open(t, d, store.Options{})
	hash, err := auth.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateFirstAdmin(context.Background(), "root", hash); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(server.New(s, slog.New(slog.NewTextHandler(io.Discard, nil)), server.Options{}))
	t.Cleanup(hs.Close)
	return hs.URL
}

var update = flag.Bool("update", false, "write the served document to openapi-3.0.json")

// TestDocumentIsCurrent holds the document the client was generated from
// to the one the server serves: a change to the API that is not followed
// by `go generate ./apiclient` fails here.
func TestDocumentIsCurrent(t *testing.T) {
	res, err := http.Get(serve(t, store.SQLite) + "/api/v1/openapi-3.0.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	served, _ := io.ReadAll(res.Body)
	var indented bytes.Buffer
	if err := json.Indent(&indented, served, "", "  "); err != nil {
		t.Fatal(err)
	}
	indented.WriteByte('\n')
	if *update {
		if err := os.WriteFile("openapi-3.0.json", indented.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	committed, err := os.ReadFile("openapi-3.0.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(indented.Bytes(), committed) {
		t.Error("apiclient/openapi-3.0.json differs from the served document: run go generate ./apiclient")
	}
}

// An integrator's program logs in, credits an account and posts a charge
// with the generated client; sending the charge again with the same
// Idempotency-Key answers with the same transaction and debits once.
func TestChargeWithIdempotencyKey(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) { chargeTwice(t, serve(t, d)) })
	}
}

func chargeTwice(t *testing.T, base string) {
	ctx := context.Background()
	anon, err := apiclient.NewClientWithResponses(base)
	if err != nil {
		t.Fatal(err)
	}
	login, err := anon.LoginWithResponse(ctx, apiclient.LoginJSONRequestBody{Username: "root", Password: "correct horse battery"})
	if err != nil || login.JSON200 == nil {
		t.Fatalf("login: %v %s", err, login.Body)
	}
	bearer := apiclient.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+login.JSON200.Token)
		return nil
	})
	c, err := apiclient.NewClientWithResponses(base, bearer)
	if err != nil {
		t.Fatal(err)
	}
	cny := "CNY"
	cust, err := c.CreateCustomerWithResponse(ctx, apiclient.CreateCustomerJSONRequestBody{Name: "Mingde Trading", DefaultCurrency: &cny})
	if err != nil || cust.JSON201 == nil {
		t.Fatalf("create customer: %v %s", err, cust.Body)
	}
	credit := "topup-1"
	adj, err := c.PostAdjustmentWithResponse(ctx, &apiclient.PostAdjustmentParams{IdempotencyKey: &credit}, apiclient.PostAdjustmentJSONRequestBody{
		CustomerId: &cust.JSON201.Id, Currency: &cny, Direction: apiclient.AdjustmentInputBodyDirectionCredit,
		Amount: "100.00", Reason: apiclient.AdjustmentInputBodyReasonCorrection, Note: "opening balance"})
	if err != nil || adj.JSON201 == nil {
		t.Fatalf("adjust: %v %s", err, adj.Body)
	}
	key := "order-2026-0042"
	body := apiclient.PostChargeJSONRequestBody{AccountId: adj.JSON201.AccountId, Amount: "12.50", Reference: ptr("INV-0042")}
	first, err := c.PostChargeWithResponse(ctx, &apiclient.PostChargeParams{IdempotencyKey: &key}, body)
	if err != nil || first.JSON201 == nil {
		t.Fatalf("charge: %v %s", err, first.Body)
	}
	again, err := c.PostChargeWithResponse(ctx, &apiclient.PostChargeParams{IdempotencyKey: &key}, body)
	if err != nil || again.JSON201 == nil {
		t.Fatalf("repeat: %v %s", err, again.Body)
	}
	if again.JSON201.Id != first.JSON201.Id {
		t.Errorf("the repeat posted transaction %s, the first %s", again.JSON201.Id, first.JSON201.Id)
	}
	acct, err := c.GetAccountWithResponse(ctx, adj.JSON201.AccountId)
	if err != nil || acct.JSON200 == nil {
		t.Fatalf("account: %v %s", err, acct.Body)
	}
	if acct.JSON200.Balance != "87.50" {
		t.Errorf("balance %s after one charge of 12.50 on 100.00, want 87.50", acct.JSON200.Balance)
	}
	// The same key with another body is refused, with the contract's code.
	body.Amount = "13.00"
	other, err := c.PostChargeWithResponse(ctx, &apiclient.PostChargeParams{IdempotencyKey: &key}, body)
	if err != nil || other.ApplicationproblemJSON422 == nil || other.ApplicationproblemJSON422.Code != apiclient.ProblemCodeIdempotencyKeyReused {
		t.Errorf("same key, other body: %v %d %s", err, other.StatusCode(), other.Body)
	}
}

func ptr[T any](v T) *T { return &v }
