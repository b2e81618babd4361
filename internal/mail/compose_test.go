package mail_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/mail"
)

// note holds what HTML must escape and text must keep as it is.
const note = `Goodwill <script>alert("x")</script> & thanks`

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// sample returns Data for kind and the figures and names that its subject
// and body must show, as formatted in lang.
func sample(kind, lang string) (d mail.Data, inSubject, inBody []string) {
	d = mail.Data{
		Business: "Lotus Tea House", CustomerName: "Li Wei", Currency: "CNY",
		Reference: "TX-2026-0042", Location: shanghai,
		At:   time.Date(2026, 11, 3, 6, 5, 0, 0, time.UTC), // 14:05 in Shanghai
		Link: "https://coffer.example/s/abc?x=1&y=2",
	}
	at := map[string]string{"en": "3 November 2026 at 14:05 CST", "zh-CN": "2026年11月3日 14:05 CST"}[lang]
	refund := map[string]string{"en": "Refund", "zh-CN": "退款"}[lang]
	switch kind {
	case mail.KindLowBalance, mail.KindRecovered:
		d.Balance, d.AlertAmount = "87.5", "100"
		return d, []string{"87.50 CNY"}, []string{"87.50 CNY", "100.00 CNY"}
	case mail.KindTopUpApproved:
		d.Amount, d.Balance = "1000", "1087.5"
		return d, []string{"1,000.00 CNY"}, []string{"1,000.00 CNY", "1,087.50 CNY", "TX-2026-0042", at}
	case mail.KindTopUpRejected:
		d.Amount, d.Note = "1000", note
		return d, []string{"1,000.00 CNY"}, []string{"1,000.00 CNY", "TX-2026-0042", at}
	case mail.KindAdjustment:
		d.Amount, d.Balance, d.Note, d.Reason = "-20", "67.5", note, "refund"
		return d, []string{"-20.00 CNY"}, []string{"20.00 CNY", "67.50 CNY", refund, "TX-2026-0042", at}
	case mail.KindStatement:
		d.PeriodStart = time.Date(2026, 11, 1, 0, 0, 0, 0, shanghai)
		d.PeriodEnd = time.Date(2026, 12, 1, 0, 0, 0, 0, shanghai)
		d.Statements = []mail.StatementSummary{
			{Currency: "CNY", Opening: "1000", Credits: "2500.5", Debits: "1234", Closing: "2266.5"},
			{Currency: "JPY", Opening: "120000", Credits: "0", Debits: "5000", Closing: "115000"},
		}
		period := map[string]string{"en": "November 2026", "zh-CN": "2026年11月"}[lang]
		return d, []string{period}, []string{period, "1,000.00 CNY", "2,500.50 CNY", "1,234.00 CNY", "2,266.50 CNY",
			"120,000 JPY", "0 JPY", "5,000 JPY", "115,000 JPY"}
	}
	panic("no sample for " + kind)
}

var tag = regexp.MustCompile(`<[a-zA-Z/!]|&[a-z]+;|&#`)

func TestComposeEveryKind(t *testing.T) {
	for _, lang := range []string{"en", "zh-CN"} {
		for _, kind := range mail.Kinds {
			t.Run(lang+"/"+kind, func(t *testing.T) {
				d, inSubject, inBody := sample(kind, lang)
				subject, text, html, err := mail.Compose(kind, lang, d)
				if err != nil {
					t.Fatal(err)
				}
				for _, want := range append(inSubject, d.Business) {
					if !strings.Contains(subject, want) {
						t.Errorf("subject %q lacks %q", subject, want)
					}
				}
				for _, want := range append(inBody, d.Business, d.CustomerName, d.Link) {
					if !strings.Contains(text, want) {
						t.Errorf("text lacks %q:\n%s", want, text)
					}
				}
				// In HTML the link's '&' is escaped; the rest shows as is.
				for _, want := range append(inBody, d.Business, d.CustomerName, "https://coffer.example/s/abc?x=1&amp;y=2") {
					if !strings.Contains(html, want) {
						t.Errorf("html lacks %q:\n%s", want, html)
					}
				}
				if d.Note != "" {
					if !strings.Contains(text, note) {
						t.Errorf("text lacks the note verbatim:\n%s", text)
					}
					escaped := "Goodwill &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; thanks"
					if !strings.Contains(html, escaped) || strings.Contains(html, "<script") {
						t.Errorf("html does not escape the note:\n%s", html)
					}
				}
				if m := tag.FindString(strings.ReplaceAll(text, note, "")); m != "" {
					t.Errorf("text has HTML (%q):\n%s", m, text)
				}
				if strings.ContainsAny(subject, "\r\n") {
					t.Errorf("subject %q has a line break", subject)
				}
				if !strings.HasPrefix(html, "<!DOCTYPE html>") || !strings.Contains(html, `lang="`+lang+`"`) {
					t.Errorf("html is not a whole page in %s:\n%s", lang, html)
				}
			})
		}
	}
}

func TestComposeNeutral(t *testing.T) {
	for _, tc := range []struct{ lang, header, greeting string }{
		{"en", "Account notice", "Hello,"},
		{"zh-CN", "账户通知", "您好："},
	} {
		for _, kind := range mail.Kinds {
			t.Run(tc.lang+"/"+kind, func(t *testing.T) {
				d, _, _ := sample(kind, tc.lang)
				d.Business, d.CustomerName, d.Link = "", "", ""
				subject, text, html, err := mail.Compose(kind, tc.lang, d)
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(subject, "  ") || strings.Contains(subject, " with ") || strings.Contains(subject, "在") {
					t.Errorf("subject %q names no business but reads as if it did", subject)
				}
				if !strings.HasPrefix(text, tc.greeting) || !strings.Contains(html, tc.header) {
					t.Errorf("want greeting %q and header %q:\n%s\n%s", tc.greeting, tc.header, text, html)
				}
				if strings.Contains(text, "http") || strings.Contains(html, "<a ") {
					t.Errorf("a link paragraph without a link:\n%s", text)
				}
			})
		}
	}
}

func TestComposeAdjustmentCredit(t *testing.T) {
	d, _, _ := sample(mail.KindAdjustment, "en")
	d.Amount = "20"
	subject, text, _, err := mail.Compose(mail.KindAdjustment, "en", d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(subject, "+20.00 CNY") || !strings.Contains(text, "added 20.00 CNY to your balance") {
		t.Errorf("a credit should read as one: %q\n%s", subject, text)
	}
	_, text, _, err = mail.Compose(mail.KindAdjustment, "zh-CN", d)
	if err != nil || !strings.Contains(text, "已增加 20.00 CNY") {
		t.Errorf("zh credit: %v\n%s", err, text)
	}
}

func TestComposeLanguageFallback(t *testing.T) {
	d, _, _ := sample(mail.KindLowBalance, "en")
	for lang, want := range map[string]string{"": "Your balance", "fr": "Your balance", "en-GB": "Your balance", "zh-cn": "您在", "zh": "您在"} {
		subject, _, _, err := mail.Compose(mail.KindLowBalance, lang, d)
		if err != nil || !strings.HasPrefix(subject, want) {
			t.Errorf("lang %q: subject %q, %v; want it to start %q", lang, subject, err, want)
		}
	}
}

func TestComposeRefuses(t *testing.T) {
	low, _, _ := sample(mail.KindLowBalance, "en")
	adj, _, _ := sample(mail.KindAdjustment, "en")
	stmt, _, _ := sample(mail.KindStatement, "en")
	for _, tc := range []struct {
		name, kind string
		change     func(d *mail.Data)
		want       string
	}{
		{"unknown kind", "birthday", func(d *mail.Data) {}, "unknown kind"},
		{"no balance", mail.KindLowBalance, func(d *mail.Data) { d.Balance = "" }, "Balance is required"},
		{"bad amount", mail.KindLowBalance, func(d *mail.Data) { d.AlertAmount = "1.234" }, "AlertAmount"},
		{"bad currency", mail.KindLowBalance, func(d *mail.Data) { d.Currency = "RMB" }, "RMB"},
		{"bad link", mail.KindLowBalance, func(d *mail.Data) { d.Link = "javascript:alert(1)" }, "Link"},
		{"unknown reason", mail.KindAdjustment, func(d *mail.Data) { d.Reason = "bonus" }, "Reason"},
		{"no period", mail.KindStatement, func(d *mail.Data) { d.PeriodEnd = d.PeriodStart }, "period"},
		{"no statements", mail.KindStatement, func(d *mail.Data) { d.Statements = nil }, "Statements"},
		{"bad statement", mail.KindStatement, func(d *mail.Data) {
			d.Statements = []mail.StatementSummary{{Currency: "JPY", Opening: "1.5", Credits: "0", Debits: "0", Closing: "1.5"}}
		}, "Opening"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := map[string]mail.Data{mail.KindAdjustment: adj, mail.KindStatement: stmt}[tc.kind]
			if d.Currency == "" {
				d = low
			}
			tc.change(&d)
			_, _, _, err := mail.Compose(tc.kind, "en", d)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one naming %q", err, tc.want)
			}
		})
	}
}

func TestReasonLabels(t *testing.T) {
	for _, lang := range []string{"en", "zh-CN"} {
		for _, code := range mail.ReasonCodes {
			d, _, _ := sample(mail.KindAdjustment, lang)
			d.Reason = code
			if _, _, _, err := mail.Compose(mail.KindAdjustment, lang, d); err != nil {
				t.Errorf("%s %s: %v", lang, code, err)
			}
		}
	}
}
