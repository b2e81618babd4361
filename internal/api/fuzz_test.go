package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// FuzzCursor: a cursor from a client never panics the decoder, and one it
// accepts encodes back to an equivalent cursor.
func FuzzCursor(f *testing.F) {
	f.Add("eyJuIjoxLCJpIjoyfQ", false)
	f.Add("eyJzIjoiMTIzIiwiaSI6NH0", true)
	f.Add("", false)
	f.Add("%%%", true)
	f.Add("eyJpIjotMX0", false)
	f.Fuzz(func(t *testing.T, s string, text bool) {
		c, err := decodeCursor(s, text)
		if err != nil || c == nil {
			return
		}
		if c.ID <= 0 {
			t.Fatalf("accepted a cursor with id %d", c.ID)
		}
		back, err := decodeCursor(*encodeCursor(*c, text), text)
		if err != nil || *back != *c {
			t.Fatalf("cursor %+v does not survive a round trip: %+v %v", c, back, err)
		}
	})
}

// FuzzCheckJSON: the guard never panics, and a document it accepts that
// encoding/json can decode has no object with a key twice.
func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":1,"a":2}`, `{"a":{"b":1,"b":2}}`, `[{"a":1},{"a":1}]`, `{"a":[1,{"a":2}],"b":"a"}`,
		strings.Repeat("[", 40), `{"a":"b","b":"a"}`, `"x"`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if checkJSON(body) != nil {
			return
		}
		var v any
		if json.Unmarshal(body, &v) != nil {
			return
		}
		if dup := hasDuplicateKey(body); dup {
			t.Fatalf("accepted %q, which repeats a key", body)
		}
	})
}

// hasDuplicateKey is a second, recursive reading of the same rule.
func hasDuplicateKey(body []byte) bool {
	var walk func(raw json.RawMessage) bool
	walk = func(raw json.RawMessage) bool {
		s := strings.TrimSpace(string(raw))
		switch {
		case strings.HasPrefix(s, "{"):
			dec := json.NewDecoder(strings.NewReader(s))
			dec.Token()
			seen := map[string]bool{}
			for dec.More() {
				k, _ := dec.Token()
				key, _ := k.(string)
				if seen[key] {
					return true
				}
				seen[key] = true
				var v json.RawMessage
				if dec.Decode(&v) != nil || walk(v) {
					return true
				}
			}
		case strings.HasPrefix(s, "["):
			var items []json.RawMessage
			json.Unmarshal(raw, &items)
			for _, it := range items {
				if walk(it) {
					return true
				}
			}
		}
		return false
	}
	return walk(body)
}

// FuzzSafeCell: no exported cell starts like a formula unless it is a plain
// number.
func FuzzSafeCell(f *testing.F) {
	for _, s := range []string{"=cmd|' /C calc'!A0", "+8613800000001", "-12.50", "@SUM(A1)", "\t=1", "plain", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := safeCell(s)
		if out != "" && strings.ContainsRune("=+-@\t\r\n", rune(out[0])) && !plainNumber.MatchString(out) {
			t.Fatalf("safeCell(%q) = %q starts like a formula", s, out)
		}
		if out != s && out != "'"+s {
			t.Fatalf("safeCell(%q) = %q changed more than a leading quote", s, out)
		}
	})
}

// FuzzAccountFilter: the account list's query never panics the parser, is
// refused with the fields at fault, or becomes a filter that the store runs
// without a database error (SQL meta characters, LIKE wildcards, NUL bytes
// and huge numbers included). It runs against a real SQLite store.
func FuzzAccountFilter(f *testing.F) {
	f.Add("", "", "", "", "", "", "", "", "", "", "")
	f.Add("12", "USD", "frozen", "10.00", "20.5", "2026-01-01", "2026-02-01", "true", "张'; DROP TABLE accounts; --", "-balance", "50")
	f.Add("0", "usd", "x", "1e3", "-0", "2026-13-01", "yesterday", "maybe", "%_\\", "number", "501")
	f.Add("99999999999999999999", "XXX", "", "99999999999999999.99", "", "2026-01-01T00:00:00Z", "", "", "\x00", "-number", "-1")
	a := New(testdb.Open(f, store.SQLite, store.Options{}), slog.New(slog.NewTextHandler(io.Discard, nil)), http.NewServeMux(), Options{})
	f.Fuzz(func(t *testing.T, customer, cur, status, bmin, bmax, from, to, below, q, sort, limit string) {
		in := &ListAccountsInput{Page: Page{Limit: limit}, CustomerID: customer, Currency: cur, Status: status, BalanceMin: bmin,
			BalanceMax: bmax, CreatedFrom: from, CreatedTo: to, BelowAlert: below, Q: q, Sort: sort}
		fl, err := a.accountFilter(context.Background(), in)
		if err != nil {
			var v *ledger.ValidationError
			if !errors.As(err, &v) || len(v.Problems) == 0 {
				t.Fatalf("refused without naming a field: %v", err)
			}
			return
		}
		if _, err := a.store.Accounts(context.Background(), fl); err != nil {
			var v *ledger.ValidationError
			if !errors.As(err, &v) {
				t.Fatalf("accepted filter %+v fails in the store: %v", fl, err)
			}
		}
	})
}

// FuzzDecodeBody drives the whole decoding path of a JSON body, the guard
// and huma, on the adjustment's input: whatever arrives, an operation only
// ever sees a document that a strict reading agrees with. A body it is given
// is valid UTF-8, names each member once, exactly as the schema spells it
// (no case variants), nests at most maxJSONDepth deep, and the values the
// operation got are the values under those exact names.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{
		`{"direction":"credit","amount":"1.00","reason":"other","note":"x"}`,
		`{"direction":"credit","DIRECTION":"debit","amount":"1.00","reason":"other","note":"x"}`,
		`{"direction":"credit","amount":"1.00","Amount":"9.00","reason":"other","note":"x"}`,
		`{"direction":"credit","amount":"1.00","amount":"9.00","reason":"other","note":"x"}`,
		`{"direction":"credit","amount":"1.00","reason":"other","note":"x","corrects":"12"}`,
		`{"direction":"credit","amount":"1.00","reason":"other","note":"\xff"}`,
		`{"direction":"credit","amount":"1.00","reason":"other","note":"x","x":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`,
		`{"dIrEcTiOn":"credit","amount":"1.00","reason":"other","note":"x"}`,
		`{"direction":"credit","amount":"1.00","reason":"other","note":"x","ſ":1}`,
		`{"direction":"credit","amount":"1.00","reason":"other","NOTE":"y","note":"x"}`,
		`[]`, `null`, `{`, ``,
	} {
		f.Add([]byte(s), "application/json")
	}
	f.Add([]byte(`{"direction":"credit","amount":"1.00","reason":"other","note":"x"}`), "text/plain")
	f.Add([]byte(`{"direction":"credit","amount":"1.00","reason":"other","note":"x"}`), "application/json; charset=latin1")
	mux := http.NewServeMux()
	api := humago.New(mux, huma.DefaultConfig("fuzz", "1"))
	var got *AdjustmentInput
	huma.Register(api, huma.Operation{Method: http.MethodPost, Path: "/adjust"}, func(_ context.Context, in *AdjustmentInput) (*struct{}, error) {
		got = in
		return nil, nil
	})
	h := GuardJSON(mux)
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		got = nil
		r := httptest.NewRequest(http.MethodPost, "/adjust", bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if got == nil {
			if w.Code < 400 {
				t.Fatalf("%q answered %d without reaching the operation", body, w.Code)
			}
			return
		}
		if mt, _, _ := mime.ParseMediaType(contentType); mt != "application/json" {
			t.Fatalf("a body sent as %q reached the operation", contentType)
		}
		if !utf8.Valid(body) || hasDuplicateKey(body) || checkJSON(body) != nil {
			t.Fatalf("the operation got %q, which is not strictly valid", body)
		}
		var exact map[string]json.RawMessage
		if err := json.Unmarshal(body, &exact); err != nil {
			t.Fatalf("the operation got %q, which is no object: %v", body, err)
		}
		want := map[string]*string{"account_id": &got.Body.AccountID, "customer_id": &got.Body.CustomerID, "currency": &got.Body.Currency,
			"direction": &got.Body.Direction, "amount": &got.Body.Amount, "reason": &got.Body.Reason, "note": &got.Body.Note, "corrects": &got.Body.Corrects}
		for k := range exact {
			if _, ok := want[k]; !ok {
				t.Fatalf("the operation got %q, with the member %q the schema does not name", body, k)
			}
		}
		for k, v := range want {
			var s string
			if raw, ok := exact[k]; ok && json.Unmarshal(raw, &s) != nil {
				t.Fatalf("%q: member %s is no string", body, k)
			}
			if s != *v {
				t.Fatalf("%q: the operation read %s = %q, the body says %q", body, k, *v, s)
			}
		}
	})
}
