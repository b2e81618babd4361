package api_test

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/testdb"
)

// TestStatementForms: one statement as JSON, CSV and PDF, by Accept; its
// figures add up and match the account.
func TestStatementForms(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		clerk := e.token[ledger.RoleAdmin]
		cid, acc := e.customer("13600000001", 10000) // 100.00
		e.do("POST", "/api/v1/charges", clerk, map[string]any{"account_id": acc, "amount": "12.34", "reference": "=HYPERLINK(\"x\")"}).want(201)
		e.do("POST", "/api/v1/adjustments", clerk, map[string]any{"account_id": acc, "direction": "credit", "amount": "2.00",
			"reason": "compensation", "note": "延误补偿"}).want(201)
		r := e.do("GET", "/api/v1/customers/"+cid+"/statement", clerk, nil).want(200)
		j := r.json()
		if j["opening_balance"] != "0.00" || j["credits"] != "102.00" || j["debits"] != "12.34" || j["closing_balance"] != "89.66" {
			t.Fatalf("statement %s", r.Body)
		}
		if mv := j["movements"].([]any); len(mv) != 3 || mv[2].(map[string]any)["note"] != "延误补偿" || mv[1].(map[string]any)["balance"] != "87.66" {
			t.Fatalf("movements %v", mv)
		}
		if got := e.do("GET", "/api/v1/accounts/"+acc, clerk, nil).want(200).str("balance"); got != j["closing_balance"] {
			t.Fatalf("closing %v, account balance %s", j["closing_balance"], got)
		}

		r = e.do("GET", "/api/v1/customers/"+cid+"/statement", clerk, nil, "Accept", "text/csv").want(200)
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !strings.Contains(r.Header.Get("Content-Disposition"), ".csv") {
			t.Fatalf("CSV headers %v", r.Header)
		}
		rows, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
		if err != nil || len(rows) < 5 {
			t.Fatalf("CSV %q: %v", r.Body, err)
		}
		if strings.Contains(string(r.Body), ",=HYPERLINK") {
			t.Errorf("a reference that is a formula went out as one: %s", r.Body)
		}

		r = e.do("GET", "/api/v1/customers/"+cid+"/statement?lang=zh-CN", clerk, nil, "Accept", "application/pdf").want(200)
		if r.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(r.Body, []byte("%PDF-")) {
			t.Fatalf("PDF: %v %q", r.Header, r.Body[:min(20, len(r.Body))])
		}
	})
}

// TestMailPasswordIsNeverShown: the settings say a password is set, never
// what it is, in answers and in operation records.
func TestMailPasswordIsNeverShown(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		super := e.token[ledger.RoleSuperAdmin]
		const secret = "s3cret-smtp-pa55"
		r := e.do("PATCH", "/api/v1/settings", super, map[string]any{"business_name": "明德物流", "smtp": map[string]any{"host": "smtp.mingde.example",
			"port": 587, "username": "billing", "password": secret, "from": "Mingde <billing@mingde.example>", "starttls": true}}).want(200)
		smtp := r.json()["smtp"].(map[string]any)
		if smtp["password_set"] != true || smtp["host"] != "smtp.mingde.example" || r.json()["business_name"] != "明德物流" {
			t.Fatalf("settings %s", r.Body)
		}
		for _, p := range []string{"/api/v1/settings", "/api/v1/audit?limit=500"} {
			if body := e.do("GET", p, super, nil).want(200).Body; bytes.Contains(body, []byte(secret)) {
				t.Errorf("%s shows the password", p)
			}
		}
		// Another field changed: the password stays.
		e.do("PATCH", "/api/v1/settings", super, map[string]any{"smtp": map[string]any{"port": 465}}).want(200)
		if s, _ := e.store.Settings(ctx); s.SMTP.Password != secret || s.SMTP.Port != 465 {
			t.Fatalf("stored %+v", s.SMTP)
		}
	})
}

// TestStatementLinks: a link opens its customer's page and PDF, without a
// login, and nothing of anyone else; altered, expired and revoked links,
// and a link of an archived customer, are the same 404.
func TestStatementLinks(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			var mu sync.Mutex
			now := time.Now()
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			e := newEnvAt(t, d, clock)
			clerk := e.token[ledger.RoleAdmin]
			mine, acc := e.customer("13600000011", 4321)
			e.do("PATCH", "/api/v1/customers/"+mine, clerk, map[string]any{"name": "张三 Trading"}).want(200)
			other, _ := e.customer("13600000012", 98765)
			e.do("PATCH", "/api/v1/customers/"+other, clerk, map[string]any{"name": "Other Person"}).want(200)
			e.do("POST", "/api/v1/charges", clerk, map[string]any{"account_id": acc, "amount": "1.00", "reference": "ORDER-MINE"}).want(201)

			r := e.do("POST", "/api/v1/customers/"+mine+"/statement-links", clerk, map[string]any{"expires_in_days": 2}).want(201)
			url, id := r.str("url"), r.str("id")
			if !strings.HasPrefix(url, e.url+"/s/cst_") {
				t.Fatalf("url %q", url)
			}
			page := func(u string) (int, string, http.Header) {
				t.Helper()
				resp, err := http.Get(u)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var b bytes.Buffer
				b.ReadFrom(resp.Body)
				return resp.StatusCode, b.String(), resp.Header
			}
			code, body, hdr := page(url)
			if code != 200 || !strings.Contains(body, "张三 Trading") || !strings.Contains(body, "ORDER-MINE") || !strings.Contains(body, "42.21") {
				t.Fatalf("the page: %d %s", code, body)
			}
			if strings.Contains(body, "Other Person") || strings.Contains(body, "987.65") || strings.Contains(body, "/customers") {
				t.Errorf("the page shows what is not the customer's: %s", body)
			}
			if hdr.Get("Referrer-Policy") != "no-referrer" || hdr.Get("Cache-Control") != "no-store" {
				t.Errorf("headers %v", hdr)
			}
			if code, body, hdr := page(url + "?format=pdf&lang=zh-CN"); code != 200 || !strings.HasPrefix(body, "%PDF-") || hdr.Get("Content-Type") != "application/pdf" {
				t.Errorf("the PDF: %d %v", code, hdr)
			}
			if code, _, _ := page(url + "?currency=EUR&month=1999-01"); code != 200 {
				t.Errorf("a month and currency not offered fall back to the defaults, got %d", code)
			}

			token := strings.TrimPrefix(url, e.url+"/s/")
			altered := []string{token[:len(token)-1] + flip(token[len(token)-1]), token[:20], token + "x", strings.ToUpper(token), "cst_", "%00"}
			for _, a := range altered {
				if code, body, _ := page(e.url + "/s/" + a); code != 404 || strings.Contains(body, "张三") {
					t.Errorf("altered link %q: %d", a, code)
				}
			}
			// A second link, revoked; the first, expired.
			second := e.do("POST", "/api/v1/customers/"+mine+"/statement-links", clerk, map[string]any{"expires_in_days": 30}).want(201)
			e.do("DELETE", "/api/v1/customers/"+mine+"/statement-links/"+second.str("id"), clerk, nil).want(200)
			if code, _, _ := page(second.str("url")); code != 404 {
				t.Errorf("revoked link: %d", code)
			}
			links := e.do("GET", "/api/v1/customers/"+mine+"/statement-links", clerk, nil).want(200).json()["items"].([]any)
			if len(links) != 2 || links[1].(map[string]any)["id"] != id || links[1].(map[string]any)["last_opened_at"] == nil {
				t.Errorf("links %v", links)
			}
			for _, l := range links {
				if _, ok := l.(map[string]any)["url"]; ok {
					t.Errorf("a listed link shows its url: %v", l)
				}
			}
			mu.Lock()
			now = now.Add(49 * time.Hour)
			mu.Unlock()
			if code, _, _ := page(url); code != 404 {
				t.Errorf("expired link: %d", code)
			}
		})
	}
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}
