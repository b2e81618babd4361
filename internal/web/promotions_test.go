package web_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/testdb"
)

// promotionForm is a valid new rule as the console's form sends it.
func promotionForm(b *browser, kv ...string) []string {
	f := []string{"name", "Winter top-up", "currency", "USD", "min_amount", "1,000.00", "bonus_kind", "percent", "bonus", "12.5%",
		"valid_from", "2026-12-01T09:00", "valid_to", "", "bonus_expires_in_days", "90"}
	for i := 0; i+1 < len(kv); i += 2 {
		for j := 0; j+1 < len(f); j += 2 {
			if f[j] == kv[i] {
				f[j+1] = kv[i+1]
			}
		}
	}
	return f
}

// TestPromotionPages: a super admin makes a rule from the form (amounts
// and percentages as people type them); everyone reads the list with each
// rule's status; a field that is wrong is said beside it, in the user's
// language, with what was typed kept; other roles may not write.
func TestPromotionPages(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			root, checker := s.login("root"), s.login("checker")
			code, _, loc := root.post("/promotions", root.form(promotionForm(root)...))
			if code != 303 || loc != "/promotions?done=saved" {
				t.Fatalf("create = %d → %q", code, loc)
			}
			rules, _ := s.st.Promotions(context.Background())
			if len(rules) != 1 || rules[0].MinAmount != 100_000 || rules[0].BonusPercentBP != 1_250 || rules[0].BonusExpiresInDays != 90 {
				t.Fatalf("stored %+v", rules)
			}
			id := itoa(rules[0].ID)
			_, list, _ := checker.get("/promotions")
			row := regexp.MustCompile(`(?s)<tr id="promotion-` + id + `" class="promotion">.*?</tr>`).FindString(list)
			for _, want := range []string{"Winter top-up", "1,000.00", "12.5%", "90 days", "Active"} {
				if !strings.Contains(row, want) {
					t.Errorf("the reviewer's row lacks %q: %s", want, row)
				}
			}
			if strings.Contains(list, `id="promotion-new"`) || strings.Contains(list, "/promotions/"+id+`"`) {
				t.Error("a reviewer is offered the forms of a super admin")
			}
			if code, _, _ := checker.post("/promotions", checker.form(promotionForm(checker)...)); code != 403 {
				t.Errorf("reviewer POST /promotions = %d, want 403", code)
			}
			if code, _, _ := checker.get("/promotions/" + id); code != 403 {
				t.Errorf("reviewer GET /promotions/%s = %d, want 403", id, code)
			}

			root.post("/lang", root.form("lang", "zh-CN", "back", "/"))
			for _, c := range []struct {
				field string
				form  []string
				want  string
			}{
				{"bonus", promotionForm(root, "bonus", "12.345"), "最多两位小数"},
				{"bonus", promotionForm(root, "bonus", "101"), "100%"},
				{"bonus", promotionForm(root, "bonus_kind", "fixed", "bonus", "0"), "大于零"},
				{"valid_to", promotionForm(root, "valid_to", "2026-11-30T09:00"), "晚于生效时间"},
				{"bonus_expires_in_days", promotionForm(root, "bonus_expires_in_days", "4000"), "3650"},
				{"min_amount", promotionForm(root, "min_amount", "1.001"), "小数位数"},
				{"currency", promotionForm(root, "currency", "XTS1"), "币种"},
			} {
				code, body, _ := root.post("/promotions", root.form(c.form...))
				if code != 422 || !regexp.MustCompile(`id="e-`+c.field+`">[^<]*`+regexp.QuoteMeta(c.want)).MatchString(body) {
					t.Errorf("%v = %d; want %q beside %s", c.form, code, c.want, c.field)
				}
				if !strings.Contains(body, `value="Winter top-up"`) {
					t.Errorf("%v: the form lost the name typed", c.form)
				}
			}
			if rules, _ := s.st.Promotions(context.Background()); len(rules) != 1 {
				t.Errorf("%d rules after refused forms, want 1", len(rules))
			}
		})
	}
}

// TestStalePromotionEditKeepsWhatWasTyped: a change made on a version that
// another super admin's edit has replaced changes nothing; the form comes
// back (409) with what was typed, the rule as saved now beside it, and the
// current version, so that saving again is a choice.
func TestStalePromotionEditKeepsWhatWasTyped(t *testing.T) {
	s := newSite(t, testdb.Dialects[0])
	ctx := context.Background()
	p, err := s.st.CreatePromotion(ctx, ledger.Actor{Name: "test"}, ledger.Promotion{Name: "Spring", Currency: money.MustCurrency("USD"),
		BonusFixed: 500, ValidFrom: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	root := s.login("root")
	id := itoa(p.ID)
	_, page, _ := root.get("/promotions/" + id)
	version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(page)
	if version == nil || version[1] != "1" || !strings.Contains(page, `value="5.00"`) || !strings.Contains(page, `value="fixed" id="f-kind-fixed" checked`) {
		t.Fatalf("the edit form does not show the rule at version 1:\n%s", page)
	}
	other := p
	other.BonusFixed = 700
	if _, err := s.st.UpdatePromotion(ctx, ledger.Actor{Name: "test"}, other); err != nil {
		t.Fatal(err)
	}
	edit := root.form("version", "1", "name", "Spring again", "min_amount", "0", "bonus_kind", "fixed", "bonus", "9.00",
		"valid_from", "2026-03-01T08:00", "valid_to", "", "bonus_expires_in_days", "0")
	code, body, _ := root.post("/promotions/"+id, edit)
	if code != 409 || !strings.Contains(body, `value="Spring again"`) || !strings.Contains(body, `value="9.00"`) ||
		!strings.Contains(body, `id="promotion-saved"`) || !strings.Contains(body, `name="version" value="2"`) {
		t.Fatalf("stale edit = %d; want 409 with what was typed, the saved rule and version 2:\n%s", code, body)
	}
	if got, _ := s.st.Promotion(ctx, p.ID); got.Name != "Spring" || got.BonusFixed != 700 {
		t.Errorf("a stale edit changed the rule: %+v", got)
	}
	edit.Set("version", "2")
	if code, _, loc := root.post("/promotions/"+id, edit); code != 303 || loc != "/promotions?done=saved" {
		t.Fatalf("saving again = %d → %s", code, loc)
	}
	if got, _ := s.st.Promotion(ctx, p.ID); got.Name != "Spring again" || got.BonusFixed != 900 || got.Version != 3 {
		t.Errorf("after saving again: %+v", got)
	}
	_, records, _ := root.get("/audit?object_type=promotion")
	for _, want := range []string{"Promotion modified", "Fixed bonus", "$9.00"} {
		if !strings.Contains(records, want) {
			t.Errorf("the operation records lack %q", want)
		}
	}
}
