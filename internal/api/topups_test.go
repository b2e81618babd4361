package api_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/voucher"
)

func TestTopUpLifecycle(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		clerk, checker, super := e.token[ledger.RoleAdmin], e.token[ledger.RoleReviewer], e.token[ledger.RoleSuperAdmin]
		cid := e.do("POST", "/api/v1/customers", clerk, map[string]any{"name": "Warehouse client", "phone": "13900000001"}).want(201).str("id")
		paid := "2026-11-20T08:00:00Z"
		r := e.do("POST", "/api/v1/topups", clerk, map[string]any{"customer_id": cid, "currency": "CNY", "amount": "1000.00",
			"payment_method": "3", "payment_account": "ICBC 6222 0000", "transaction_no": "TX-889", "remark": "November deposit",
			"payment_status": "paid", "paid_at": paid}, "Idempotency-Key", "dep-1").want(201)
		tu := r.json()
		id := tu["id"].(string)
		if tu["status"] != "pending" || tu["currency"] != "CNY" || !strings.HasPrefix(tu["number"].(string), "R") || tu["paid_at"] != paid {
			t.Errorf("submitted = %v", tu)
		}
		again := e.do("POST", "/api/v1/topups", clerk, map[string]any{"customer_id": cid, "currency": "CNY", "amount": "1000.00",
			"payment_method": "3", "payment_account": "ICBC 6222 0000", "transaction_no": "TX-889", "remark": "November deposit",
			"payment_status": "paid", "paid_at": paid}, "Idempotency-Key", "dep-1").want(201)
		if again.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(again.Body, r.Body) {
			t.Errorf("repeated submission was not a replay: %s", again.Body)
		}
		// The account opened on submission; its balance waits for approval.
		acc := tu["account_id"].(string)
		if a := e.do("GET", "/api/v1/accounts/"+acc, clerk, nil).want(200).json(); a["balance"] != "0.00" || a["currency"] != "CNY" {
			t.Errorf("account after submission = %v", a)
		}
		body, ct := multipartFile(t, "file", "receipt.jpeg", "image/jpeg", jpegBytes(t, 32, 24))
		v := e.do("POST", "/api/v1/topups/"+id+"/vouchers", clerk, body, "Content-Type", ct).want(201).json()
		e.do("PATCH", "/api/v1/topups/"+id, clerk, map[string]any{"amount": "1,000"}).wantProblem(422, "validation_failed")
		e.do("PATCH", "/api/v1/topups/"+id, super, map[string]any{"remark": "not mine"}).wantProblem(403, "forbidden")
		e.do("PATCH", "/api/v1/topups/"+id, clerk, map[string]any{"amount": "1200.00", "remark": "corrected amount"}).want(200)

		// Roles: a reviewer cannot submit, an admin cannot approve, the
		// submitter cannot approve their own.
		e.do("POST", "/api/v1/topups", checker, map[string]any{"customer_id": cid, "currency": "CNY", "amount": "1.00", "payment_method": "1"}).wantProblem(403, "forbidden")
		e.do("POST", "/api/v1/topups/"+id+"/approve", clerk, map[string]any{}).wantProblem(403, "forbidden")
		mine := e.do("POST", "/api/v1/topups", super, map[string]any{"customer_id": cid, "currency": "CNY", "amount": "5.00", "payment_method": "1"}).want(201).str("id")
		e.do("POST", "/api/v1/topups/"+mine+"/approve", super, map[string]any{}).wantProblem(403, "self_approval")
		e.do("POST", "/api/v1/topups/"+mine+"/reject", super, map[string]any{}).wantProblem(403, "self_approval")

		e.do("POST", "/api/v1/topups/"+id+"/approve", checker, map[string]any{"actual_amount": "1199.50", "exchange_rate": "0"}).wantProblem(422, "validation_failed")
		e.do("POST", "/api/v1/topups/"+id+"/approve", checker, map[string]any{"actual_amount": "1199.505"}).wantProblem(422, "validation_failed")
		ok := e.do("POST", "/api/v1/topups/"+id+"/approve", checker, map[string]any{"actual_amount": "1199.50", "exchange_rate": "7.23450",
			"remark": "bank fee 0.50"}, "Idempotency-Key", "approve-1").want(200)
		ap := ok.json()
		if ap["status"] != "approved" || ap["actual_amount"] != "1199.50" || ap["exchange_rate"] != "7.23450" || ap["reviewed_by"] != e.admin[ledger.RoleReviewer] ||
			ap["reviewed_at"] == nil || ap["transaction_id"] == nil || len(ap["vouchers"].([]any)) != 1 {
			t.Errorf("approved = %v", ap)
		}
		rep := e.do("POST", "/api/v1/topups/"+id+"/approve", checker, map[string]any{"actual_amount": "1199.50", "exchange_rate": "7.23450",
			"remark": "bank fee 0.50"}, "Idempotency-Key", "approve-1").want(200)
		if rep.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(rep.Body, ok.Body) {
			t.Errorf("repeated approval: %s", rep.Body)
		}
		if a := e.do("GET", "/api/v1/accounts/"+acc, clerk, nil).want(200).json(); a["balance"] != "1199.50" {
			t.Errorf("balance after approval = %v", a["balance"])
		}
		tx := e.do("GET", "/api/v1/transactions/"+ap["transaction_id"].(string), clerk, nil).want(200).json()
		if tx["type"] != "topup" || tx["amount"] != "1199.50" || tx["topup_id"] != id {
			t.Errorf("posting = %v", tx)
		}
		// Nobody changes it after review.
		e.do("PATCH", "/api/v1/topups/"+id, clerk, map[string]any{"remark": "late"}).wantProblem(409, "not_pending")
		e.do("POST", "/api/v1/topups/"+id+"/cancel", clerk, nil).wantProblem(409, "not_pending")
		e.do("POST", "/api/v1/topups/"+id+"/reject", checker, map[string]any{}).wantProblem(409, "not_pending")
		e.do("POST", "/api/v1/topups/"+id+"/approve", super, map[string]any{}).wantProblem(409, "not_pending")
		e.do("POST", "/api/v1/topups/"+id+"/vouchers", clerk, body, "Content-Type", ct).wantProblem(409, "not_pending")

		// Reject and cancel.
		rj := e.do("POST", "/api/v1/topups", clerk, map[string]any{"customer_id": cid, "currency": "CNY", "amount": "50.00", "payment_method": "1"}).want(201).str("id")
		e.do("POST", "/api/v1/topups/"+rj+"/reject", checker, map[string]any{"remark": "no such payment"}).want(200)
		cn := e.do("POST", "/api/v1/topups", clerk, map[string]any{"customer_id": cid, "currency": "CNY", "amount": "60.00", "payment_method": "1"}).want(201).str("id")
		e.do("POST", "/api/v1/topups/"+cn+"/cancel", super, nil).wantProblem(403, "forbidden")
		e.do("POST", "/api/v1/topups/"+cn+"/cancel", clerk, nil).want(200)
		if a := e.do("GET", "/api/v1/accounts/"+acc, clerk, nil).want(200).json(); a["balance"] != "1199.50" {
			t.Errorf("balance after reject and cancel = %v", a["balance"])
		}

		// Recharge records: per account, by status, as CSV.
		recs := e.do("GET", "/api/v1/topups?account_id="+acc, checker, nil).want(200).items()
		if len(recs) != 4 {
			t.Errorf("%d recharge records for the account, want 4", len(recs))
		}
		if got := e.do("GET", "/api/v1/topups?status=rejected", checker, nil).want(200).items(); len(got) != 1 || got[0]["review_remark"] != "no such payment" {
			t.Errorf("rejected = %v", got)
		}
		if got := e.do("GET", "/api/v1/topups?payment_method=3&customer_id="+cid, checker, nil).want(200).items(); len(got) != 1 {
			t.Errorf("by method = %v", got)
		}
		today := time.Now().UTC().Format("2006-01-02")
		if got := e.do("GET", "/api/v1/topups?from="+today+"&to="+today, checker, nil).want(200).items(); len(got) != 4 {
			t.Errorf("today's records = %d", len(got))
		}
		_, rows := exportCSV2(t, e, "/api/v1/topups?customer_id="+cid, checker)
		if len(rows) != 5 || rows[0][1] != "number" {
			t.Errorf("CSV of recharge records = %v", rows)
		}
		// Events for the webhooks to come.
		var n int
		e.store.DB().QueryRow("SELECT COUNT(*) FROM events WHERE type IN ('topup.submitted', 'topup.approved', 'topup.rejected')").Scan(&n)
		if n != 4+1+1 {
			t.Errorf("%d top-up events, want 4 submitted, 1 approved, 1 rejected", n)
		}
		// The voucher reads back as it was sent.
		img := e.do("GET", v["url"].(string)[len(""):], checker, nil).want(200)
		if img.Header.Get("Content-Type") != "image/jpeg" || img.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(img.Header.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("voucher headers = %v", img.Header)
		}
		if problems, err := e.store.VerifyLedger(ctx); err != nil || len(problems) > 0 {
			t.Errorf("ledger: %v %v", problems, err)
		}
	})
}

func TestConcurrentApprovalsPostOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		cid := e.do("POST", "/api/v1/customers", e.token[ledger.RoleAdmin], map[string]any{"name": "Race"}).want(201).str("id")
		id := e.do("POST", "/api/v1/topups", e.token[ledger.RoleAdmin], map[string]any{"customer_id": cid, "currency": "USD", "amount": "100.00", "payment_method": "1"}).want(201).str("id")
		var wg sync.WaitGroup
		codes := make([]int, 10)
		start := make(chan struct{})
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				tok := e.token[ledger.RoleReviewer]
				if i%2 == 1 {
					tok = e.token[ledger.RoleSuperAdmin]
				}
				codes[i] = e.do("POST", "/api/v1/topups/"+id+"/approve", tok, map[string]any{}).Code
			}()
		}
		close(start)
		wg.Wait()
		ok, conflict := 0, 0
		for _, c := range codes {
			switch c {
			case 200:
				ok++
			case 409:
				conflict++
			}
		}
		if ok != 1 || conflict != 9 {
			t.Errorf("approvals answered %v: want one 200 and nine 409 not_pending", codes)
		}
		tu := e.do("GET", "/api/v1/topups/"+id, e.token[ledger.RoleAdmin], nil).want(200).json()
		if a := e.do("GET", "/api/v1/accounts/"+tu["account_id"].(string), e.token[ledger.RoleAdmin], nil).want(200).json(); a["balance"] != "100.00" {
			t.Errorf("balance = %v, want 100.00 posted once", a["balance"])
		}
		if n := len(e.do("GET", "/api/v1/transactions?type=topup", e.token[ledger.RoleAdmin], nil).want(200).items()); n != 1 {
			t.Errorf("%d top-up transactions, want 1", n)
		}
	})
}

func TestVoucherUploads(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		clerk := e.token[ledger.RoleAdmin]
		cid := e.do("POST", "/api/v1/customers", clerk, map[string]any{"name": "Uploader"}).want(201).str("id")
		id := e.do("POST", "/api/v1/topups", clerk, map[string]any{"customer_id": cid, "currency": "USD", "amount": "10.00", "payment_method": "1"}).want(201).str("id")
		upload := func(name, declared string, data []byte) *resp {
			body, ct := multipartFile(t, "file", name, declared, data)
			return e.do("POST", "/api/v1/topups/"+id+"/vouchers", clerk, body, "Content-Type", ct)
		}
		png1 := pngBytes(t, 20, 10)
		for _, ok := range []struct {
			name, declared, want string
			data                 []byte
		}{
			{"a.png", "image/png", "image/png", png1},
			{"b.jpg", "image/jpeg", "image/jpeg", jpegBytes(t, 16, 16)},
			{"c.jpeg", "image/jpeg", "image/jpeg", jpegBytes(t, 8, 30)},
			{"renamed.jpg", "image/jpeg", "image/png", pngBytes(t, 5, 5)}, // a PNG named .jpg is a PNG
		} {
			if got := upload(ok.name, ok.declared, ok.data).want(201).str("content_type"); got != ok.want {
				t.Errorf("%s stored as %s, want %s", ok.name, got, ok.want)
			}
		}
		countVouchers := func() int {
			var n int
			e.store.DB().QueryRow("SELECT COUNT(*) FROM vouchers").Scan(&n)
			return n
		}
		before := countVouchers()
		big := append(pngBytes(t, 4, 4), make([]byte, voucher.MaxBytes)...)[:voucher.MaxBytes+1]
		for _, bad := range []struct {
			name, declared string
			data           []byte
			status         int
			code           string
		}{
			{"notes.png", "image/png", []byte("just some text, not an image at all"), 415, "unsupported_media_type"},
			{"page.png", "text/html", []byte("<!doctype html><html><script>alert(1)</script></html>"), 415, "unsupported_media_type"},
			{"anim.gif", "image/gif", gifBytes(t), 415, "unsupported_media_type"},
			{"cut.png", "image/png", png1[:len(png1)/2], 415, "unsupported_media_type"},
			{"header-only.png", "image/png", png1[:33], 415, "unsupported_media_type"},
			{"cut.jpg", "image/jpeg", jpegBytes(t, 64, 64)[:200], 415, "unsupported_media_type"},
			{"big.png", "image/png", big, 413, "too_large"},
			{"empty.png", "image/png", nil, 415, "unsupported_media_type"},
		} {
			upload(bad.name, bad.declared, bad.data).wantProblem(bad.status, bad.code)
		}
		// A body far over the limit is cut off before it is read.
		huge, hct := multipartFile(t, "file", "huge.png", "image/png", make([]byte, 5<<20))
		e.do("POST", "/api/v1/topups/"+id+"/vouchers", clerk, huge, "Content-Type", hct).wantProblem(413, "too_large")
		e.do("POST", "/api/v1/topups/"+id+"/vouchers", clerk, map[string]any{"file": "x"}).wantProblem(415, "unsupported_media_type")
		nofile, nct := multipartFile(t, "document", "a.png", "image/png", png1)
		e.do("POST", "/api/v1/topups/"+id+"/vouchers", clerk, nofile, "Content-Type", nct).wantProblem(422, "validation_failed")
		if after := countVouchers(); after != before {
			t.Errorf("refused uploads stored %d vouchers", after-before)
		}
		// A polyglot (a whole PNG followed by HTML) is kept as an image and
		// served so that no browser runs it.
		poly := append(pngBytes(t, 3, 3), []byte("<html><script>alert(document.cookie)</script></html>")...)
		v := upload("poly.png", "text/html", poly).want(201).json()
		img := e.do("GET", "/api/v1/vouchers/"+v["id"].(string), e.token[ledger.RoleReviewer], nil).want(200)
		if img.Header.Get("Content-Type") != "image/png" || img.Header.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.Contains(img.Header.Get("Content-Security-Policy"), "sandbox") || !bytes.Equal(img.Body, poly) {
			t.Errorf("polyglot served with %v", img.Header)
		}
		e.do("GET", "/api/v1/vouchers/"+v["id"].(string), "", nil).wantProblem(401, "unauthorized")
		if r := e.do("GET", "/api/v1/vouchers/../../etc/passwd", clerk, nil); r.Code != 404 {
			t.Errorf("path traversal answered %d", r.Code)
		}
		e.do("GET", "/api/v1/vouchers/..%2F..%2Fetc%2Fpasswd", clerk, nil).wantProblem(404, "not_found")
		e.do("GET", "/api/v1/vouchers/999999", clerk, nil).wantProblem(404, "not_found")
	})
}

func TestPaymentMethodsAndDirectTopUps(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		super, clerk := e.token[ledger.RoleSuperAdmin], e.token[ledger.RoleAdmin]
		ms := e.do("GET", "/api/v1/payment-methods", clerk, nil).want(200).items()
		if len(ms) != 3 || ms[0]["name"] != "Alipay" || ms[1]["name"] != "WeChat Pay" || ms[2]["name"] != "Bank Transfer" {
			t.Errorf("default methods = %v", ms)
		}
		paypal := e.do("POST", "/api/v1/payment-methods", super, map[string]any{"name": "PayPal"}).want(201).str("id")
		e.do("POST", "/api/v1/payment-methods", super, map[string]any{"name": "paypal"}).wantProblem(409, "already_exists")
		e.do("POST", "/api/v1/payment-methods", super, map[string]any{"name": ""}).wantProblem(422, "validation_failed")
		cid := e.do("POST", "/api/v1/customers", clerk, map[string]any{"name": "Methods"}).want(201).str("id")
		old := e.do("POST", "/api/v1/topups", clerk, map[string]any{"customer_id": cid, "currency": "USD", "amount": "10.00", "payment_method": paypal}).want(201).str("id")
		e.do("PATCH", "/api/v1/payment-methods/"+paypal, super, map[string]any{"enabled": false}).want(200)
		e.do("POST", "/api/v1/topups", clerk, map[string]any{"customer_id": cid, "currency": "USD", "amount": "10.00", "payment_method": paypal}).wantProblem(422, "validation_failed")
		e.do("POST", "/api/v1/topups", clerk, map[string]any{"customer_id": cid, "currency": "USD", "amount": "10.00", "payment_method": "999"}).wantProblem(422, "validation_failed")
		// The request made before keeps its method and can still be approved.
		ap := e.do("POST", "/api/v1/topups/"+old+"/approve", e.token[ledger.RoleReviewer], map[string]any{}).want(200).json()
		if ap["payment_method"] != paypal {
			t.Errorf("approved request's method = %v", ap["payment_method"])
		}

		// Direct top-ups: off by default; on, a super admin's posts at once.
		direct := map[string]any{"customer_id": cid, "currency": "USD", "amount": "25.00", "payment_method": "1", "direct": true}
		e.do("POST", "/api/v1/topups", super, direct).wantProblem(403, "forbidden")
		e.do("PATCH", "/api/v1/settings", super, map[string]any{"direct_topup": true}).want(200)
		e.do("POST", "/api/v1/topups", clerk, direct).wantProblem(403, "forbidden")
		d := e.do("POST", "/api/v1/topups", super, direct).want(201).json()
		if d["status"] != "approved" || d["reviewed_by"] != e.admin[ledger.RoleSuperAdmin] || d["transaction_id"] == nil {
			t.Errorf("direct top-up = %v", d)
		}
		if a := e.do("GET", "/api/v1/accounts/"+d["account_id"].(string), clerk, nil).want(200).json(); a["balance"] != "35.00" {
			t.Errorf("balance = %v, want 35.00", a["balance"])
		}
	})
}

// version reads an answer's "version", which must be a JSON integer.
func (r *resp) version() int64 {
	r.t.Helper()
	v, ok := r.json()["version"].(float64)
	if !ok || v != float64(int64(v)) || v < 1 {
		r.t.Fatalf("%s %s: version %v is not a positive integer: %s", r.method, r.path, r.json()["version"], r.Body)
	}
	return int64(v)
}

// auditCount is how many operation records there are.
func (e *env) auditCount() int {
	e.t.Helper()
	var n int
	if err := e.store.DB().QueryRow("SELECT COUNT(*) FROM audit_log").Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestReviewApprovesWhatTheReviewerSaw (SPEC section 7): the submitter
// corrects a pending request after the reviewer read it; an approval on the
// version the reviewer read credits nothing and changes nothing, and one on
// the current version posts the corrected amount.
func TestReviewApprovesWhatTheReviewerSaw(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		clerk, checker := e.token[ledger.RoleAdmin], e.token[ledger.RoleReviewer]
		cid, acc := e.customer("13800000301", 0)
		created := e.do("POST", "/api/v1/topups", clerk, map[string]any{"customer_id": cid, "currency": "USD", "amount": "10.00", "payment_method": "1"}).want(201)
		id := created.str("id")
		seen := e.do("GET", "/api/v1/topups/"+id, checker, nil).want(200)
		if seen.version() != created.version() || seen.str("amount") != "10.00" {
			t.Fatalf("the reviewer reads %s", seen.Body)
		}
		if items := e.do("GET", "/api/v1/topups?status=pending", checker, nil).want(200).items(); len(items) != 1 || items[0]["version"] != float64(seen.version()) {
			t.Errorf("the list shows %v", items)
		}
		fixed := e.do("PATCH", "/api/v1/topups/"+id, clerk, map[string]any{"amount": "9999.00"}).want(200)
		if fixed.version() <= seen.version() {
			t.Fatalf("the correction left version %d", fixed.version())
		}
		records := e.auditCount()
		e.do("POST", "/api/v1/topups/"+id+"/approve", checker, map[string]any{"version": seen.version()}, "Idempotency-Key", "review-1").
			wantProblem(409, "stale_version")
		now := e.do("GET", "/api/v1/topups/"+id, checker, nil).want(200)
		if now.str("status") != "pending" || now.version() != fixed.version() || now.json()["transaction_id"] != nil {
			t.Errorf("after the stale approval: %s", now.Body)
		}
		if b := e.do("GET", "/api/v1/accounts/"+acc, checker, nil).want(200).str("balance"); b != "0.00" {
			t.Errorf("the stale approval credited: balance %s", b)
		}
		if n := e.auditCount(); n != records {
			t.Errorf("the stale approval wrote %d operation records", n-records)
		}
		// The key was not used up: the same key with the current version
		// approves, and posts the amount of that version.
		ok := e.do("POST", "/api/v1/topups/"+id+"/approve", checker, map[string]any{"version": fixed.version()}, "Idempotency-Key", "review-1").want(200)
		if ok.Header.Get("Idempotent-Replayed") != "" || ok.str("status") != "approved" || ok.str("actual_amount") != "9999.00" || ok.version() <= fixed.version() {
			t.Errorf("approval of the current version: %s", ok.Body)
		}
		if b := e.do("GET", "/api/v1/accounts/"+acc, checker, nil).want(200).str("balance"); b != "9999.00" {
			t.Errorf("balance %s, want 9999.00", b)
		}
		// The version is part of the request the key stands for.
		e.do("POST", "/api/v1/topups/"+id+"/approve", checker, map[string]any{"version": seen.version()}, "Idempotency-Key", "review-1").
			wantProblem(422, "idempotency_key_reused")
		e.do("POST", "/api/v1/topups/"+id+"/approve", checker, map[string]any{"version": fixed.version()}, "Idempotency-Key", "review-1").want(200)
	})
}

func TestStaleRejectionChangesNothing(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		clerk, checker := e.token[ledger.RoleAdmin], e.token[ledger.RoleReviewer]
		cid, _ := e.customer("13800000302", 0)
		id := e.do("POST", "/api/v1/topups", clerk, map[string]any{"customer_id": cid, "currency": "USD", "amount": "50.00", "payment_method": "1"}).want(201).str("id")
		seen := e.do("GET", "/api/v1/topups/"+id, checker, nil).want(200).version()
		fixed := e.do("PATCH", "/api/v1/topups/"+id, clerk, map[string]any{"transaction_no": "TX-1", "payment_status": "paid"}).want(200).version()
		e.do("POST", "/api/v1/topups/"+id+"/reject", checker, map[string]any{"version": seen, "remark": "no such transfer"}).wantProblem(409, "stale_version")
		if r := e.do("GET", "/api/v1/topups/"+id, checker, nil).want(200); r.str("status") != "pending" || r.str("review_remark") != "" || r.version() != fixed {
			t.Errorf("after the stale rejection: %s", r.Body)
		}
		r := e.do("POST", "/api/v1/topups/"+id+"/reject", checker, map[string]any{"version": fixed, "remark": "no such transfer"}).want(200)
		if r.str("status") != "rejected" || r.version() <= fixed {
			t.Errorf("rejection of the current version: %s", r.Body)
		}
	})
}

func TestVoucherMakesANewVersion(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		clerk, checker := e.token[ledger.RoleAdmin], e.token[ledger.RoleReviewer]
		cid, acc := e.customer("13800000303", 0)
		id := e.do("POST", "/api/v1/topups", clerk, map[string]any{"customer_id": cid, "currency": "USD", "amount": "20.00", "payment_method": "1"}).want(201).str("id")
		seen := e.do("GET", "/api/v1/topups/"+id, checker, nil).want(200).version()
		body, ct := multipartFile(t, "file", "receipt.png", "image/png", pngBytes(t, 8, 8))
		e.do("POST", "/api/v1/topups/"+id+"/vouchers", clerk, body, "Content-Type", ct).want(201)
		now := e.do("GET", "/api/v1/topups/"+id, checker, nil).want(200).version()
		if now <= seen {
			t.Fatalf("a voucher left the version at %d", now)
		}
		e.do("POST", "/api/v1/topups/"+id+"/approve", checker, map[string]any{"version": seen, "actual_amount": "20.00"}).wantProblem(409, "stale_version")
		if b := e.do("GET", "/api/v1/accounts/"+acc, checker, nil).want(200).str("balance"); b != "0.00" {
			t.Errorf("balance %s after a stale approval", b)
		}
		e.do("POST", "/api/v1/topups/"+id+"/approve", checker, map[string]any{"version": now, "actual_amount": "20.00"}).want(200)
	})
}
