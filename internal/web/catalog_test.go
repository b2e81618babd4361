package web

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/cofferhq/coffer/internal/ledger"
)

// TestCatalogIsComplete finds every message key the templates and the Go
// code use, and fails if a language lacks one, or has one nobody uses.
func TestCatalogIsComplete(t *testing.T) {
	used := map[string]bool{}
	literal := regexp.MustCompile(`(?:L\.T[fn]?(?:Nowrap)?|navItem \. "[^"]*") "([a-z_.-]+)"`)
	goKey := regexp.MustCompile(`"((?:err|done|profile|recharge|charge|adjust|accounts|customer|nav|login|batch|webhooks|holds|mail|links|public|statement|promotions|reports)\.[a-z_]+)"`)
	fs.WalkDir(templateFiles, "templates", func(path string, d fs.DirEntry, err error) error {
		if d.IsDir() {
			return nil
		}
		b, _ := templateFiles.ReadFile(path)
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
		return nil
	})
	gofiles, _ := filepath.Glob("*.go")
	for _, f := range gofiles {
		if strings.HasSuffix(f, "_test.go") || f == "catalog.go" {
			continue
		}
		b, _ := os.ReadFile(f)
		for _, m := range goKey.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
	}
	// Keys built from a value in a template: {{.L.T (print "status." .Status)}}.
	for prefix, values := range map[string]string{
		"status.": "normal frozen disabled", "role.": "super_admin admin reviewer", "type.": "topup charge adjustment reversal bonus bonus_expired",
		"part.":   "bonus principal",
		"reason.": "refund promotion compensation correction other opening_balance", "topupstatus.": "pending approved rejected cancelled",
		"paid.": "paid unpaid", "sort.": "created_at -created_at balance -balance number -number",
		"field.":                 "name phone email company default_currency remark",
		"done.":                  "saved archived submitted approved rejected cancelled charged adjusted reversed password batch undone pinged hold_placed hold_captured hold_released approval_approved approval_rejected approval_cancelled revoked",
		"batchscope.":            "accounts currency all",
		"group.":                 "currency day payment_method customer",
		"webhooks.grace_":        "0 1 24 72 168",
		"holdstatus.":            "active captured released expired",
		"approvals.kind.":        "adjustment credit_change",
		"approvals.not_decider.": "adjustment credit_change",
		"approvals.confirm.":     "adjustment credit_change",
		"adjust.":                "credit debit",
		"locale.":                "en zh-CN",
		"notify.":                "low_balance topup adjustment statement",
		"mailkind.":              "low_balance recovered topup_approved topup_rejected adjustment statement",
		"mailstatus.":            "pending sent failed skipped",
		"mailskip.":              "no_mail_server nothing_to_tell",
		"mail.":                  "business_name smtp_host smtp_port smtp_username smtp_password smtp_from",
		"statement.":             "from to",
		"promostatus.":           "upcoming active ended",
	} {
		for _, v := range strings.Fields(values) {
			used[prefix+v] = true
		}
	}
	// Labels of operation records, webhook events and statuses, built
	// from the record's codes (audit_view.go).
	for _, k := range recordKeys() {
		used[k] = true
	}
	// Every error of the domain can reach a page: each has its message.
	for _, e := range ledger.KnownErrors() {
		used[e.Key()] = true
	}
	// And every reason a field problem can give.
	for _, r := range ledger.FieldReasons {
		used["why."+r] = true
	}
	if len(used) < 100 {
		t.Fatalf("found only %d keys: the scan is broken", len(used))
	}
	for lang, msgs := range catalogTexts(t) {
		for key := range used {
			if msgs[key] == "" {
				t.Errorf("%s lacks %q", lang, key)
			}
		}
		for key := range msgs {
			if !used[key] {
				t.Errorf("%s has %q, which nothing uses", lang, key)
			}
		}
	}
}

// catalogTexts reads each language's message file as key → text; of a
// message with plural forms it takes the general one ("other").
func catalogTexts(t *testing.T) map[string]map[string]string {
	t.Helper()
	texts := map[string]map[string]string{}
	for lang, f := range catalog.files {
		texts[lang] = map[string]string{}
		for _, m := range f.Messages {
			texts[lang][m.ID] = m.Other
		}
	}
	if len(texts) != len(languages) {
		t.Fatalf("catalog has %d languages, want %d", len(texts), len(languages))
	}
	return texts
}

// pluralForms are the CLDR plural forms each language has for whole
// numbers: a message that counts gives exactly these.
var pluralForms = map[string][]string{"en": {"one", "other"}, "zh-CN": {"other"}}

// TestLocaleFilesParse holds every message file to the shape the catalog
// expects: one per language and no other, a flat object of unique keys,
// and plural forms that are the language's own.
func TestLocaleFilesParse(t *testing.T) {
	names, err := fs.Glob(localeFiles, "locales/*")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, lang := range languages {
		want["locales/"+lang+".json"] = true
	}
	for _, name := range names {
		if !want[name] {
			t.Errorf("%s is not the file of a language the UI offers", name)
		}
		delete(want, name)
	}
	for name := range want {
		t.Errorf("%s is missing", name)
	}
	for _, lang := range languages {
		t.Run(lang, func(t *testing.T) {
			b, err := localeFiles.ReadFile("locales/" + lang + ".json")
			if err != nil {
				t.Fatal(err)
			}
			checkFlatUniqueKeys(t, b)
			f, err := i18n.ParseMessageFileBytes(b, "locales/"+lang+".json", nil)
			if err != nil {
				t.Fatal(err)
			}
			if f.Tag != language.Make(lang) {
				t.Errorf("file's language is %s, want %s", f.Tag, lang)
			}
			for _, m := range f.Messages {
				if m.Other == "" {
					t.Errorf("%q has no text (no \"other\" form)", m.ID)
				}
				if got := formsOf(m); len(got) > 1 && !slices.Equal(got, pluralForms[lang]) {
					t.Errorf("%q has plural forms %v, want %v", m.ID, got, pluralForms[lang])
				}
			}
		})
	}
}

// checkFlatUniqueKeys fails on a key given twice, which encoding/json
// (and so the catalog) would silently take the last of, and on a key
// whose value is neither a text nor an object of plural forms.
func checkFlatUniqueKeys(t *testing.T, b []byte) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("does not open with an object: %v %v", tok, err)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		key := tok.(string)
		if seen[key] {
			t.Errorf("%q is given twice", key)
		}
		seen[key] = true
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			t.Fatal(err)
		}
		var text string
		var forms map[string]string
		if json.Unmarshal(value, &text) != nil && json.Unmarshal(value, &forms) != nil {
			t.Errorf("%q is neither a text nor an object of plural forms: %s", key, value)
		}
	}
}

// formsOf lists the plural forms a message gives, in CLDR order.
func formsOf(m *i18n.Message) []string {
	var forms []string
	for _, f := range []struct{ name, text string }{
		{"zero", m.Zero}, {"one", m.One}, {"two", m.Two}, {"few", m.Few}, {"many", m.Many}, {"other", m.Other},
	} {
		if f.text != "" {
			forms = append(forms, f.name)
		}
	}
	return forms
}

// fmtVerb matches a fmt verb, flags, width, precision and index included;
// "%%" is matched too, so that it is not taken for a verb.
var fmtVerb = regexp.MustCompile(`%(?:%|[-+# 0]*(?:\[\d+\])?(?:\d+|\*)?(?:\.(?:\d+|\*)?)?(?:\[\d+\])?[a-zA-Z])`)

func verbsOf(s string) []string {
	var verbs []string
	for _, v := range fmtVerb.FindAllString(s, -1) {
		if v != "%%" {
			verbs = append(verbs, v)
		}
	}
	return verbs
}

// TestMessageVerbsAgree holds every form of every message, in every
// language, to the fmt verbs of the English text, in the same order: Tf
// and Tn fill them with the same arguments whatever the language. A
// message that counts has the one verb Tn fills with the count.
func TestMessageVerbsAgree(t *testing.T) {
	en := map[string]*i18n.Message{}
	for _, m := range catalog.files["en"].Messages {
		en[m.ID] = m
		if m.One != "" && len(verbsOf(m.Other)) != 1 {
			t.Errorf("en %q counts, but has verbs %v: Tn fills exactly one", m.ID, verbsOf(m.Other))
		}
	}
	for lang, f := range catalog.files {
		for _, m := range f.Messages {
			ref, ok := en[m.ID]
			if !ok {
				continue // TestCatalogIsComplete tells of it
			}
			want := verbsOf(ref.Other)
			for _, form := range []string{m.Zero, m.One, m.Two, m.Few, m.Many, m.Other} {
				if got := verbsOf(form); form != "" && !slices.Equal(got, want) {
					t.Errorf("%s %q: %q has verbs %v, English %v", lang, m.ID, form, got, want)
				}
			}
		}
	}
}

// TestLocaleTn checks the plural form each language picks for a count,
// and what T, Tf and Tn give for keys that are not there.
func TestLocaleTn(t *testing.T) {
	en, zh := newLocale("en", time.UTC), newLocale("zh-CN", time.UTC)
	for _, c := range []struct {
		name, got, want string
	}{
		{"EnglishOne", en.Tn("batch.selected_n", 1), "1 account selected."},
		{"EnglishOther", en.Tn("batch.selected_n", 2), "2 accounts selected."},
		{"EnglishZero", en.Tn("batch.selected_n", 0), "0 accounts selected."},
		{"EnglishInt64", en.Tn("batch.selected_n", int64(1)), "1 account selected."},
		{"EnglishCountAsText", en.Tn("batch.changed_n", "1"), "Adjusted successfully: 1 account changed."},
		{"EnglishNotANumber", en.Tn("batch.changed_n", "x"), "Adjusted successfully: x accounts changed."},
		{"ChineseOne", zh.Tn("batch.selected_n", 1), "已选择 1 个账户。"},
		{"ChineseOther", zh.Tn("batch.selected_n", 2), "已选择 2 个账户。"},
		{"TGivesGeneralForm", en.T("batch.selected_n"), "%d accounts selected."},
		{"TfFillsVerbs", zh.Tf("err.bad_link", "id"), "此链接中有无效的值（id），因此未显示任何内容。请您从菜单重新打开此页面。"},
		{"MissingKey", en.T("no.such_key"), "[no.such_key]"},
		{"UnknownLanguageIsEnglish", newLocale("fr", time.UTC).T("common.save"), "Save"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %q, want %q", c.got, c.want)
			}
		})
	}
}

// TestChineseSaysNin: the Chinese texts address the administrator
// politely, as 您, never as 你.
func TestChineseSaysNin(t *testing.T) {
	for _, m := range catalog.files["zh-CN"].Messages {
		for _, form := range []string{m.Zero, m.One, m.Two, m.Few, m.Many, m.Other} {
			if strings.Contains(form, "你") {
				t.Errorf("%q says 你: %q", m.ID, form)
			}
		}
	}
}
