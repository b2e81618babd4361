// Package mail composes customer notifications (templates in English and
// Chinese) and sends them over the business's SMTP server with go-mail.
package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"slices"
	"strings"
	texttemplate "text/template"
	"time"
)

// Kinds of customer notification (SPEC: low balance once per crossing,
// recovered, top-up approved or rejected, adjustment posted with its note,
// monthly statement).
const (
	KindLowBalance    = "low_balance"    // balance fell below the alert amount
	KindRecovered     = "recovered"      // balance back at or above it
	KindTopUpApproved = "topup_approved" // a top-up was approved and credited
	KindTopUpRejected = "topup_rejected" // a top-up was rejected, with a reason
	KindAdjustment    = "adjustment"     // a manual adjustment was posted
	KindStatement     = "statement"      // the monthly statement
)

// Kinds are all kinds of notification, each with templates in every
// language.
var Kinds = []string{KindLowBalance, KindRecovered, KindTopUpApproved, KindTopUpRejected, KindAdjustment, KindStatement}

// Data is what a message says. Amounts are exact decimal strings in the
// major unit ("1234.50"); Compose formats them for reading ("1,234.50 CNY").
type Data struct {
	Business     string // business name from settings; "" gives a neutral wording
	CustomerName string // "" greets without a name
	Currency     string // ISO 4217 code of Amount, Balance and AlertAmount
	Amount       string // the top-up, or the adjustment (signed)
	Balance      string // balance after the change
	AlertAmount  string // low_balance and recovered
	Note         string // adjustment note, or the top-up rejection reason; shown verbatim
	// Reason is the adjustment reason code: refund, promotion, compensation,
	// correction or other; shown as a label in the language.
	Reason      string
	Reference   string         // top-up or posting reference, may be ""
	At          time.Time      // when it happened; zero leaves the date out
	Location    *time.Location // business time zone for At and the period; nil is UTC
	PeriodStart time.Time      // statement period [PeriodStart, PeriodEnd)
	PeriodEnd   time.Time
	Statements  []StatementSummary // statement: one per currency account
	Link        string             // optional http(s) URL of a read-only statement page
}

// StatementSummary is one currency account's figures for a statement
// period, as decimal strings in the major unit of Currency.
type StatementSummary struct{ Currency, Opening, Credits, Debits, Closing string }

//go:embed templates
var templateFS embed.FS

// templates are parsed once; a broken template stops the program at start,
// and TestComposeEveryKind runs every one.
var templates = func() map[string]templateSet {
	sets := make(map[string]templateSet, len(languages))
	for tag := range languages {
		sets[tag] = templateSet{
			text: texttemplate.Must(texttemplate.New("").Funcs(texttemplate.FuncMap(funcs)).
				ParseFS(templateFS, "templates/text/"+tag+".tmpl")),
			html: htmltemplate.Must(htmltemplate.New("").Funcs(htmltemplate.FuncMap(funcs)).
				ParseFS(templateFS, "templates/html/layout.tmpl", "templates/html/"+tag+".tmpl")),
		}
	}
	return sets
}()

type templateSet struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// row is a labelled line of details: reference, date, note.
type row struct{ Label, Value string }

var funcs = map[string]any{
	"row": func(label, value string) row { return row{label, value} },
	// details keeps the rows that have a value, so a template lists every
	// possible line and the message shows those that apply.
	"details": func(rows ...row) []row {
		return slices.DeleteFunc(rows, func(r row) bool { return r.Value == "" })
	},
	// summary pairs a statement's figures with the language's row names
	// (opening, credits, debits, closing) for the HTML "summary" template.
	"summary": func(s StatementSummary, labels ...string) summaryRows {
		return summaryRows{Summary: s, Labels: labels}
	},
}

type summaryRows struct {
	Summary StatementSummary
	Labels  []string
}

// Compose returns the subject, text and HTML of a message of kind in lang
// ("en", "zh-CN"; anything else is English). It fails when d lacks what the
// kind says, or has an amount, currency or link that does not parse.
func Compose(kind, lang string, d Data) (subject, text, html string, err error) {
	if !slices.Contains(Kinds, kind) {
		return "", "", "", fmt.Errorf("mail: unknown kind of notification %q", kind)
	}
	l := languageOf(lang)
	v, err := newView(kind, l, d)
	if err != nil {
		return "", "", "", fmt.Errorf("mail: compose %s: %w", kind, err)
	}
	set := templates[l.tag]
	var b bytes.Buffer
	run := func(name string, execute func() error) string {
		b.Reset()
		if err == nil {
			if e := execute(); e != nil {
				err = fmt.Errorf("mail: compose %s in %s: %s: %w", kind, l.tag, name, e)
			}
		}
		return b.String()
	}
	exec := func(name string) string {
		return run(name, func() error { return set.text.ExecuteTemplate(&b, name, v) })
	}
	v.Subject = oneLine(exec(kind + ".subject"))
	v.TextBody = exec(kind + ".body")
	text = exec("layout")
	v.HTMLBody = htmltemplate.HTML(run(kind, func() error { return set.html.ExecuteTemplate(&b, kind, v) }))
	html = run("layout", func() error { return set.html.ExecuteTemplate(&b, "layout", v) })
	if err != nil {
		return "", "", "", err
	}
	return v.Subject, text, html, nil
}

// view is Data made ready to show: amounts and dates formatted, the reason
// a label. The templates only place what it holds.
type view struct {
	Lang                   string
	Business, CustomerName string
	Amount                 string // formatted, "-" when negative
	SignedAmount           string // formatted, with "+" when not negative
	AbsAmount              string // formatted, without sign
	Credit                 bool   // the adjustment adds to the balance
	Balance, AlertAmount   string
	Note, Reason           string // Reason: the label
	Reference, Link        string
	At, Period             string
	Statements             []StatementSummary // formatted
	Subject                string
	TextBody               string
	HTMLBody               htmltemplate.HTML // executed html/template output, already escaped
}

// newView checks that d has what kind needs and formats it.
func newView(kind string, l language, d Data) (*view, error) {
	loc := d.Location
	if loc == nil {
		loc = time.UTC
	}
	v := &view{Lang: l.tag, Business: strings.TrimSpace(d.Business), CustomerName: strings.TrimSpace(d.CustomerName),
		Note: d.Note, Reference: d.Reference}
	if !d.At.IsZero() {
		v.At = d.At.In(loc).Format(l.at)
	}
	f := &figures{currency: d.Currency}
	switch kind {
	case KindLowBalance, KindRecovered:
		v.Balance, v.AlertAmount = f.amount("Balance", d.Balance), f.amount("AlertAmount", d.AlertAmount)
	case KindTopUpApproved:
		v.Amount, v.Balance = f.amount("Amount", d.Amount), f.amount("Balance", d.Balance)
	case KindTopUpRejected:
		v.Amount = f.amount("Amount", d.Amount)
	case KindAdjustment:
		v.Amount, v.Balance = f.amount("Amount", d.Amount), f.amount("Balance", d.Balance)
		v.AbsAmount, v.Credit = strings.TrimPrefix(v.Amount, "-"), !strings.HasPrefix(v.Amount, "-")
		v.SignedAmount = v.Amount
		if v.Credit {
			v.SignedAmount = "+" + v.Amount
		}
		if d.Reason != "" {
			if v.Reason = l.reasons[d.Reason]; v.Reason == "" {
				return nil, fmt.Errorf("Reason %q is not one of %s", d.Reason, strings.Join(ReasonCodes, ", "))
			}
		}
	case KindStatement:
		if err := statementView(v, f, l, d, loc); err != nil {
			return nil, err
		}
	}
	if f.err != nil {
		return nil, f.err
	}
	if d.Link != "" {
		if u, err := url.Parse(d.Link); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("Link %q is not an http(s) URL", d.Link)
		}
		v.Link = d.Link
	}
	return v, nil
}

// statementView fills in the period and the per-currency figures.
func statementView(v *view, f *figures, l language, d Data, loc *time.Location) error {
	if d.PeriodStart.IsZero() || !d.PeriodEnd.After(d.PeriodStart) {
		return fmt.Errorf("PeriodStart %v and PeriodEnd %v do not make a period", d.PeriodStart, d.PeriodEnd)
	}
	if len(d.Statements) == 0 {
		return fmt.Errorf("Statements is empty")
	}
	v.Period = formatPeriod(l, d.PeriodStart, d.PeriodEnd, loc)
	for _, s := range d.Statements {
		f.currency = s.Currency
		v.Statements = append(v.Statements, StatementSummary{
			Currency: s.Currency,
			Opening:  f.amount("Opening", s.Opening),
			Credits:  f.amount("Credits", s.Credits),
			Debits:   f.amount("Debits", s.Debits),
			Closing:  f.amount("Closing", s.Closing),
		})
	}
	return nil
}

// figures formats amounts of one currency and keeps the first error, so
// that a view is filled in without a check after every field.
type figures struct {
	currency string
	err      error
}

func (f *figures) amount(field, s string) string {
	if f.err != nil {
		return ""
	}
	if s == "" {
		f.err = fmt.Errorf("%s is required", field)
		return ""
	}
	out, err := formatAmount(s, f.currency)
	if err != nil {
		f.err = fmt.Errorf("%s %q (%s): %w", field, s, f.currency, err)
	}
	return out
}
