package web

import (
	"fmt"
	"html/template"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/bojanz/currency"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	i18ntemplate "github.com/nicksnyder/go-i18n/v2/i18n/template"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/store"
)

// locale formats and translates for one request: the administrator's
// language and the business time zone.
type locale struct {
	Lang string // "en" or "zh-CN"
	loc  *time.Location
	fmt  *currency.Formatter
	msgs *i18n.Localizer
}

func newLocale(lang string, loc *time.Location) *locale {
	msgs, ok := catalog.localizers[lang]
	if !ok {
		lang = languages[0]
		msgs = catalog.localizers[lang]
	}
	cl := "en"
	if lang == "zh-CN" {
		cl = "zh"
	}
	return &locale{Lang: lang, loc: loc, fmt: currency.NewFormatter(currency.NewLocale(cl)), msgs: msgs}
}

// T translates a message key; a key missing from the catalog shows as
// itself in brackets (and fails the catalog test). Of a message with
// plural forms it gives the general one ("other"), verbs unfilled.
func (l *locale) T(key string) string {
	if s, err := l.localize(key, nil); s != "" || err == nil {
		return s
	}
	return "[" + key + "]"
}

// Tf translates a key whose text holds fmt verbs.
func (l *locale) Tf(key string, args ...any) string { return fmt.Sprintf(l.T(key), args...) }

// Tn translates a key that counts something: n picks the language's plural
// form ("1 account", "2 accounts"; Chinese has one) and fills the text's one
// verb. n is an integer, or a string holding one as a query value does; a
// string that is no number takes the general form.
func (l *locale) Tn(key string, n any) string {
	s, err := l.localize(key, n)
	if s == "" && err != nil {
		s = l.T(key)
	}
	return fmt.Sprintf(s, n)
}

// localize looks a message up, falling back to the first language. The
// texts are fmt formats, never templates: the identity parser keeps a
// "{{" in a text as it is.
func (l *locale) localize(key string, count any) (string, error) {
	return l.msgs.Localize(&i18n.LocalizeConfig{MessageID: key, PluralCount: count, TemplateParser: i18ntemplate.IdentityParser{}})
}

// Plain writes minor units of a currency as the decimal a form takes
// ("12.50"), for placeholders and values of amount fields.
func (l *locale) Plain(minor int64, code string) string {
	cur, err := money.LookupCurrency(code)
	if err != nil {
		return fmt.Sprint(minor)
	}
	return money.FormatMinor(minor, cur.Digits())
}

// Money formats minor units of a currency the way the language writes money.
func (l *locale) Money(minor any, code string) string {
	var a currency.Amount
	var err error
	switch v := minor.(type) {
	case int64:
		a, err = currency.NewAmountFromInt64(v, code)
	case *big.Int: // an exact total, which may pass int64
		if cur, cerr := money.LookupCurrency(code); cerr != nil {
			err = cerr
		} else {
			a, err = currency.NewAmount(money.FormatTotal(v, cur.Digits()), code)
		}
	case string: // in the major unit, as operation records keep totals
		a, err = currency.NewAmount(v, code)
	default:
		err = fmt.Errorf("web: Money of %T", minor)
	}
	if err != nil {
		return fmt.Sprint(minor) + " " + code
	}
	return l.fmt.Format(a)
}

// TfNowrap is Tf of one figure that never breaks across lines: a muted
// "of which bonus -$5.00" under a figure may wrap between its words on a
// phone, but not after the minus, which would leave the sign behind.
func (l *locale) TfNowrap(key, figure string) template.HTML {
	span := `<span class="nowrap">` + template.HTMLEscapeString(figure) + `</span>`
	return template.HTML(fmt.Sprintf(template.HTMLEscapeString(l.T(key)), span))
}

// Signed is Money with a plus sign before a credit, as statements show
// movements (a debit has its minus already).
func (l *locale) Signed(minor int64, code string) string {
	if minor > 0 {
		return "+" + l.Money(minor, code)
	}
	return l.Money(minor, code)
}

// Time formats a time in the business time zone.
func (l *locale) Time(t any) string {
	var v time.Time
	switch x := t.(type) {
	case time.Time:
		v = x
	case *time.Time:
		if x == nil {
			return ""
		}
		v = *x
	default:
		return ""
	}
	v = v.In(l.loc)
	if l.Lang == "zh-CN" {
		return v.Format("2006年1月2日 15:04")
	}
	return v.Format("Jan 2, 2006 15:04")
}

// Clock is the hour and minute of a time in the business time zone.
func (l *locale) Clock(t time.Time) string { return t.In(l.loc).Format("15:04") }

// Date formats a day in the business time zone.
func (l *locale) Date(t time.Time) string {
	t = t.In(l.loc)
	if l.Lang == "zh-CN" {
		return t.Format("2006年1月2日")
	}
	return t.Format("Jan 2, 2006")
}

var templateFuncs = template.FuncMap{
	"join":           strings.Join,
	"split":          strings.Fields,
	"deref":          func(p *int64) int64 { return *p },
	"eq2":            func(a, b any) bool { return fmt.Sprint(a) == fmt.Sprint(b) },
	"add":            func(a, b int) int { return a + b },
	"badge":          badge,
	"methodLabel":    methodLabel,
	"importCountsOf": func(l *locale, c importCounts) importCountsView { return importCountsView{L: l, C: c} },
	"mailLog": func(l *locale, items []ledger.Notification, names map[int64]string) mailLogArgs {
		return mailLogArgs{L: l, Items: items, Names: names}
	},
	"linkExpired": func(l store.StatementLink) bool { return !l.ExpiresAt.After(time.Now()) },
	"statementOf": func(l *locale, v *statementView) statementArgs { return statementArgs{L: l, V: v} },
	"statementPartsOf": func(l *locale, name string, principal, bonus int64, code string) statementParts {
		return statementParts{L: l, Name: name, Principal: principal, Bonus: bonus, Code: code}
	},
	"reportCellsOf": func(l *locale, line reportLine, showBonus bool) reportCells {
		return reportCells{L: l, Line: line, ShowBonus: showBonus}
	},
	// periodEnd is the last instant of a period that ends before t.
	"periodEnd": func(t time.Time) time.Time { return t.Add(-time.Nanosecond) },
	"navItem": func(p *page, href, key, id string) navLink {
		current := p.Path == href || (href != "/" && strings.HasPrefix(p.Path, href+"/"))
		return navLink{Href: href, Label: p.L.T(key), ID: id, Current: current}
	},
}

// mailLogArgs are what the mail_log template shows.
type mailLogArgs struct {
	L     *locale
	Items []ledger.Notification
	Names map[int64]string
}

// statementParts are what the statement_parts template shows: a balance's
// own money and bonus.
type statementParts struct {
	L                *locale
	Name, Code       string
	Principal, Bonus int64
}

// statementArgs are what the statement_body template shows.
type statementArgs struct {
	L *locale
	V *statementView
}

// navLink is one link of the sidebar, current on its own path and below.
type navLink struct {
	Href, Label, ID string
	Current         bool
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
