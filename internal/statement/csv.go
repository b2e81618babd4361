package statement

import (
	"encoding/csv"
	"io"
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/money"
)

// CSV writes the statement as CSV, headings in lang (one of Languages;
// anything else is English). A block of header lines would break every
// program that reads the file as a table, so there is one row per movement
// (time, type, reference, note, amount, balance, then the part of the amount
// and of the balance that is bonus, SPEC 11) between an opening row at
// From and a closing row at To, whose type cell names them and whose amount
// is empty. Times are RFC 3339 in the business time zone, figures plain
// decimals (money.FormatMinor, no thousands separators) so that spreadsheets
// read them as numbers; the currency is named in the amount and balance
// headings. The statement is refused, before anything is written, unless
// Check passes.
func CSV(w io.Writer, s Statement, lang string) error {
	if err := s.Check(); err != nil {
		return err
	}
	lang = language(lang)
	loc, digits, code := s.location(), s.Currency.Digits(), s.Currency.Code()
	cw := csv.NewWriter(w)
	// csv.Writer buffers and keeps its first error, so rows go straight in
	// and the error is read once, after Flush.
	headings := make([]string, len(csvColumns))
	for i, key := range csvColumns {
		headings[i] = heading(lang, key, code)
	}
	cw.Write(headings)
	f := func(v int64) string { return money.FormatMinor(v, digits) }
	cw.Write([]string{stamp(s.From, loc), label(lang, "opening"), "", "", "", f(s.Opening), "", f(s.OpeningBonus)})
	for _, m := range s.Movements {
		cw.Write([]string{
			stamp(m.At, loc), sheetText(typeLabel(lang, m.Type)), sheetText(m.Reference), sheetText(m.Note),
			f(m.Amount), f(m.Balance), f(m.Bonus), f(m.BonusBalance),
		})
	}
	cw.Write([]string{stamp(s.To, loc), label(lang, "closing"), "", "", "", f(s.Closing), "", f(s.ClosingBonus)})
	cw.Flush()
	return cw.Error()
}

// csvColumns are the label keys of the CSV's columns, in order.
var csvColumns = []string{"col.time", "col.type", "col.reference", "col.note", "col.amount", "col.balance", "col.bonus", "col.bonus_balance"}

func stamp(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.RFC3339) }

// sheetText keeps a spreadsheet from running text as a formula (CSV
// injection): a cell that starts with = + - @, a tab, a carriage return or a line feed
// gets a leading apostrophe, which spreadsheets read as "this is text". It
// is for text from outside (references, notes, unknown types), all of it,
// numeric-looking or not: a reference "-1+1" is not ours to evaluate. The
// figures are ours and are written as they are, a negative amount keeping
// its minus.
func sheetText(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r\n", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}
