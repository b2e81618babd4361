package web_test

import (
	"context"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/testdb"
)

// TestExportsAreCSV downloads the accounts list and the report as the
// buttons of their pages do: CSV files named for what they hold, with the
// filters of the page applied.
func TestExportsAreCSV(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			clerk := s.login("clerk")
			for _, c := range []struct{ name, phone, cur string }{{"Ada", "13800000001", "USD"}, {"Bo", "13800000002", "CNY"}} {
				if code, _, _ := clerk.post("/customers/new", clerk.form("name", c.name, "phone", c.phone, "default_currency", c.cur)); code != 303 {
					t.Fatalf("create %s = %d", c.name, code)
				}
			}
			for _, c := range []struct {
				path, file string
				rows       int
			}{
				{"/accounts/export?currency=USD", "accounts.csv", 1},
				{"/accounts/export", "accounts.csv", 2},
				{"/reports/export", "summary.csv", -1}, // an admin: today only
			} {
				res, err := clerk.c.Get(s.url + c.path)
				if err != nil {
					t.Fatal(err)
				}
				rows, err := csv.NewReader(res.Body).ReadAll()
				res.Body.Close()
				if ct, cd := res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"); res.StatusCode != 200 ||
					!strings.HasPrefix(ct, "text/csv") || cd != `attachment; filename="`+c.file+`"` {
					t.Errorf("GET %s = %d, Content-Type %q, Content-Disposition %q", c.path, res.StatusCode, ct, cd)
					continue
				}
				if err != nil || len(rows) == 0 && c.rows >= 0 {
					t.Errorf("GET %s: not CSV (%v)", c.path, err)
					continue
				}
				if c.rows >= 0 && len(rows) != c.rows+1 {
					t.Errorf("GET %s: %d rows after the header, want %d: %v", c.path, len(rows)-1, c.rows, rows)
				}
			}
		})
	}
}

// The console refuses a webhook to a private address beside the URL field,
// in the UI's language, and registers nothing (the server does not allow
// private destinations here).
func TestWebhookToPrivateAddressRefusedInPlace(t *testing.T) {
	s := newSite(t, "sqlite")
	root := s.login("root")
	root.post("/lang", root.form("lang", "zh-CN", "back", "/"))
	code, body, _ := root.post("/webhooks", root.form("url", "http://169.254.169.254/latest", "events", "topup.approved"))
	if code != 422 || !strings.Contains(body, "内网地址") || !strings.Contains(body, `value="http://169.254.169.254/latest"`) {
		t.Errorf("POST /webhooks to a link-local address = %d; the page does not say why beside the field in Chinese, or lost the URL", code)
	}
	if hooks, _ := s.st.Webhooks(context.Background(), 0, 10); len(hooks) != 0 {
		t.Errorf("a refused webhook was registered: %+v", hooks)
	}
}
