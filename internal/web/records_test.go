package web_test

import (
	"context"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/testdb"
)

// tags strips a page's markup, leaving what a reader sees (and the
// contents of <option>s), so that codes in attributes do not count.
var tags = regexp.MustCompile(`(?s)<[^>]*>`)

func visible(body string) string { return html.UnescapeString(tags.ReplaceAllString(body, " ")) }

// auditRows is the text of the records table's body.
func auditRows(t *testing.T, body string) string {
	t.Helper()
	_, rest, ok := strings.Cut(body, `id="audit-table"`)
	if !ok {
		t.Fatalf("no records table in:\n%s", body)
	}
	rows, _, _ := strings.Cut(rest, "</table></div>")
	return visible(rows)
}

// TestRecordsFilterByWhoObjectAndAction: the operation records filter by
// administrator, object type, action and date, say how many match, and an
// ordinary admin sees their own records whatever the link asks.
func TestRecordsFilterByWhoObjectAndAction(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			ctx := context.Background()
			clerk := s.login("clerk")
			if code, _, _ := clerk.post("/customers/new", clerk.form("name", "Ada", "phone", "13800000011", "default_currency", "USD")); code != 303 {
				t.Fatalf("create customer = %d", code)
			}
			root := s.login("root")
			if code, _, _ := root.post("/settings", root.form("retention_days", "200", "timezone", "UTC")); code != 303 {
				t.Fatalf("save settings = %d", code)
			}
			clerkAdmin, _ := s.st.AdminByUsername(ctx, "clerk")
			rootAdmin, _ := s.st.AdminByUsername(ctx, "root")

			_, body, _ := root.get("/audit?actor_id=" + itoa(clerkAdmin.ID))
			rows := auditRows(t, body)
			if !strings.Contains(rows, "Customer created") || !strings.Contains(rows, "Account opened") || strings.Contains(rows, "Settings changed") {
				t.Errorf("records of clerk:\n%s", rows)
			}
			if !strings.Contains(body, `<option value="`+itoa(clerkAdmin.ID)+`" selected>clerk</option>`) {
				t.Error("the who filter does not show the administrator chosen")
			}
			_, body, _ = root.get("/audit?action=settings.update")
			if rows := auditRows(t, body); !strings.Contains(rows, "Settings changed") || strings.Contains(rows, "Customer created") {
				t.Errorf("records of settings.update:\n%s", rows)
			}
			_, body, _ = root.get("/audit?object_type=customer")
			rows = auditRows(t, body)
			if !strings.Contains(rows, "Customer created") || strings.Contains(rows, "Account opened") || strings.Contains(rows, "Settings changed") {
				t.Errorf("records of customers:\n%s", rows)
			}
			if !strings.Contains(body, `id="list-total">1–1 of 1<`) {
				t.Errorf("the customer records do not say 1 of 1")
			}
			if _, body, _ = root.get("/audit?from=2000-01-01&to=2000-01-31"); strings.Contains(auditRows(t, body), "Customer created") {
				t.Error("a period without records lists records")
			}
			// The clerk sees their own, whoever the link names, and is not
			// offered anyone else's.
			_, body, _ = clerk.get("/audit?actor_id=" + itoa(rootAdmin.ID))
			rows = auditRows(t, body)
			if strings.Contains(body, `name="actor_id"`) || strings.Contains(rows, "Settings changed") || !strings.Contains(rows, "Customer created") {
				t.Errorf("the clerk's records:\n%s", rows)
			}
			// A value the filter does not offer is said beside its field.
			code, body, _ := root.get("/audit?action=customer.explode")
			if code != 422 || !strings.Contains(body, `id="e-action">Not a valid value.<`) || !strings.Contains(body, `class="form-select form-select-sm is-invalid" name="action"`) {
				t.Errorf("unknown action = %d", code)
			}
		})
	}
}

// TestRecordsDiffShowsLabels: a record's changes name the fields in words,
// only the ones that changed, with money in its currency and roles and
// statuses by their labels; never the stored JSON.
func TestRecordsDiffShowsLabels(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			ctx := context.Background()
			acc := fundedAccount(t, s, 10000)
			a, _ := s.st.Account(ctx, acc)
			clerk := s.login("clerk")
			form := clerk.form("name", "Funded Ltd", "phone", "13800000012", "default_currency", "USD")
			if code, _, _ := clerk.post("/customers/"+itoa(a.CustomerID)+"/edit", form); code != 303 {
				t.Fatalf("modify customer = %d", code)
			}
			if code, _, _ := clerk.post("/accounts/"+itoa(acc)+"/alert", clerk.form("alert_amount", "25.00", "version", itoa(a.Version))); code != 303 {
				t.Fatalf("alert amount = %d", code)
			}
			root := s.login("root")
			hash := "x"
			temp, err := s.st.AddAdmin(ctx, ledger.Actor{Name: "root", Role: ledger.RoleSuperAdmin}, ledger.Admin{Username: "temp", Role: ledger.RoleAdmin, PasswordHash: hash})
			if err != nil {
				t.Fatal(err)
			}
			if code, _, _ := root.post("/admins/"+itoa(temp.ID), root.form("role", "reviewer", "name", "")); code != 303 {
				t.Fatalf("change role = %d", code)
			}
			check := func(query string, want ...string) string {
				t.Helper()
				_, body, _ := root.get("/audit?" + query)
				rows := auditRows(t, body)
				for _, w := range want {
					if !strings.Contains(rows, w) {
						t.Errorf("%s: records lack %q:\n%s", query, w, rows)
					}
				}
				for _, raw := range []string{`"name"`, "default_currency", "alert_amount", "customer.update", `"role"`, "reviewer "} {
					if strings.Contains(rows, raw) {
						t.Errorf("%s: records show %q:\n%s", query, raw, rows)
					}
				}
				return rows
			}
			rows := check("action=customer.update", "Customer modified", "2 fields changed", "Name", "Funded", "Funded Ltd", "Mobile phone")
			if strings.Contains(rows, "Default currency") {
				t.Error("an unchanged field is listed")
			}
			check("action=account.update", "Account modified", "Alert amount", "25.00")
			check("action=admin.update", "Administrator modified", "Role", "Administrator", "Reviewer")
			check("action=transaction.create", "Transaction posted", "Type", "Recharge", "Amount", "100.00")
			if _, body, _ := root.get("/audit?action=customer.update"); !strings.Contains(body, `href="/customers/`+itoa(a.CustomerID)+`" translate="no">Funded Ltd</a>`) {
				t.Error("the record does not link its customer")
			}
		})
	}
}

// TestRecordsInChineseShowNoCodes: in Chinese the records, the filters and
// the dashboard's recent activity say actions and objects in Chinese, and no
// action code reaches the reader.
func TestRecordsInChineseShowNoCodes(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			fundedAccount(t, s, 10000)
			root := s.login("root")
			root.post("/settings", root.form("retention_days", "200", "timezone", "UTC"))
			root.post("/lang", root.form("lang", "zh-CN", "back", "/"))
			for _, path := range []string{"/audit", "/"} {
				_, body, _ := root.get(path)
				text := visible(body)
				for _, code := range []string{"customer.create", "account.create", "transaction.create", "settings.update", "admin.locale", "login"} {
					if regexp.MustCompile(`(^|\s)` + regexp.QuoteMeta(code) + `(\s|$)`).MatchString(text) {
						t.Errorf("%s in Chinese shows the code %s", path, code)
					}
				}
				for _, want := range []string{"新建客户", "记入交易", "修改系统设置"} {
					if !strings.Contains(text, want) {
						t.Errorf("%s in Chinese lacks %s", path, want)
					}
				}
			}
			_, body, _ := root.get("/audit?action=settings.update")
			if rows := auditRows(t, body); !strings.Contains(rows, "保留天数") || !strings.Contains(rows, "183") || !strings.Contains(rows, "200") {
				t.Errorf("the settings change in Chinese:\n%s", rows)
			}
		})
	}
}

// TestReportsInChinese: the report's chart, its groups and the consumption
// line are in Chinese for a Chinese reader, built-in payment methods by
// their Chinese names.
func TestReportsInChinese(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			acc := fundedAccount(t, s, 10000)
			clerk := s.login("clerk")
			if code, _, _ := clerk.post("/charge", clerk.form("account_id", itoa(acc), "amount", "12.50", "form_token", "c1")); code != 303 {
				t.Fatalf("charge = %d", code)
			}
			root := s.login("root")
			root.post("/lang", root.form("lang", "zh-CN", "back", "/"))
			_, body, _ := root.get("/reports?group_by=payment_method")
			text := visible(body)
			for _, want := range []string{"消费（无支付方式）", "支付宝", "合计", "系统累计"} {
				if !strings.Contains(text, want) {
					t.Errorf("the Chinese report lacks %s", want)
				}
			}
			if strings.Contains(text, "Alipay") || strings.Contains(text, "consumption") {
				t.Error("the Chinese report shows English group names")
			}
			src := regexp.MustCompile(`id="report-chart"|src="(/reports/chart\.svg\?[^"]+)"`).FindAllStringSubmatch(body, -1)
			chart := ""
			for _, m := range src {
				if m[1] != "" {
					chart = html.UnescapeString(m[1])
				}
			}
			if !strings.Contains(chart, "lang=zh-CN") {
				t.Fatalf("the chart is not asked for in Chinese: %q", chart)
			}
			code, svg, _ := root.get(chart)
			if code != 200 || !strings.Contains(svg, "每日充值与消费") || !strings.Contains(svg, "金额（USD）") || strings.Contains(svg, "Recharge and consumption") {
				t.Errorf("the Chinese chart = %d:\n%.600s", code, svg)
			}
			if _, en, _ := root.get(strings.Replace(chart, "lang=zh-CN", "lang=en", 1)); !strings.Contains(en, "Recharge and consumption per day") {
				t.Error("the English chart is not in English")
			}
		})
	}
}

// TestReportsAdminSeesTodayOnly: an ordinary admin is offered no dates,
// told why, and a link asking for another period shows today instead of
// failing.
func TestReportsAdminSeesTodayOnly(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			fundedAccount(t, s, 10000)
			clerk := s.login("clerk")
			code, body, _ := clerk.get("/reports?from=2026-01-01&to=2026-01-31")
			if code != 200 || strings.Contains(body, `name="from"`) || strings.Contains(body, `name="to"`) || !strings.Contains(body, `id="today-only"`) {
				t.Fatalf("an admin's report = %d, offers dates or does not say why", code)
			}
			if strings.Contains(body, `id="totals-table"`) {
				t.Error("an admin sees the system totals")
			}
			m := regexp.MustCompile(`src="(/reports/chart\.svg\?[^"]+)"`).FindStringSubmatch(body)
			if m == nil || strings.Contains(m[1], "2026-01-01") {
				t.Fatalf("the admin's chart asks for another period: %v", m)
			}
			if code, _, _ := clerk.get(html.UnescapeString(m[1])); code != 200 {
				t.Errorf("the admin's own chart = %d", code)
			}
			root := s.login("root")
			if _, body, _ := root.get("/reports"); !strings.Contains(body, `name="from"`) || strings.Contains(body, `id="today-only"`) || !strings.Contains(body, `id="totals-table"`) {
				t.Error("a super admin is not offered any period and the totals")
			}
		})
	}
}

// TestSystemFormsSayWhatIsWrongInPlace: the administrator and settings
// forms come back with what was typed and each problem beside its field.
func TestSystemFormsSayWhatIsWrongInPlace(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			root := s.login("root")
			code, body, _ := root.post("/admins", root.form("username", "Clerk", "name", "Second clerk", "role", "admin", "password", "long enough password"))
			if code != 409 || !strings.Contains(body, `id="e-username">This username is taken`) || !strings.Contains(body, `value="Second clerk"`) {
				t.Errorf("a taken username = %d", code)
			}
			code, body, _ = root.post("/admins", root.form("username", "newbie", "role", "admin", "password", "short"))
			if code != 422 || !strings.Contains(body, `id="e-password"`) || !strings.Contains(body, `value="newbie"`) {
				t.Errorf("a short password = %d", code)
			}
			clerk, _ := s.st.AdminByUsername(context.Background(), "clerk")
			code, body, _ = root.post("/admins/"+itoa(clerk.ID), root.form("role", "admin", "name", "Clara", "password", "short"))
			if code != 422 || !strings.Contains(body, `id="e-a`+itoa(clerk.ID)+`-password"`) || !strings.Contains(body, `value="Clara"`) || !strings.Contains(body, "admin-edit\" open") {
				t.Errorf("a short new password = %d; the row's form is not open with the problem", code)
			}
			root.post("/lang", root.form("lang", "zh-CN", "back", "/"))
			code, body, _ = root.post("/settings", root.form("retention_days", "5", "timezone", "Mars/Base", "credit_currency", "USD", "credit_amount", "1.234"))
			for _, want := range []string{`id="e-retention_days">请输入 30 到 3650`, `id="e-timezone">不是有效的时区`, `id="e-credit_amount">`, `value="Mars/Base"`, `value="1.234"`} {
				if code != 422 || !strings.Contains(body, want) {
					t.Errorf("bad settings = %d; lacks %s", code, want)
				}
			}
			if st, _ := s.st.Settings(context.Background()); st.RetentionDays != 183 || st.Timezone != "UTC" {
				t.Errorf("refused settings changed them: %+v", st)
			}
			if _, body, _ := root.get("/settings"); !strings.Contains(body, "支付宝") || !strings.Contains(body, "银行转账") {
				t.Error("the built-in payment methods are not named in Chinese")
			}
		})
	}
}
