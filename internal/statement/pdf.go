package statement

import (
	"bytes"
	_ "embed"
	"io"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
)

// droidSansFallback is Droid Sans Fallback from Debian's fonts-droid-fallback
// (Apache License 2.0, fonts/LICENSE). fpdf's UTF-8 font path reads TrueType
// glyf outlines: Noto Sans CJK is CFF (OpenType) and WenQuanYi a TrueType
// collection, neither of which it reads. fpdf embeds only the glyphs a
// document uses, so a statement carries some kilobytes of the 4 MB font.
//
//go:embed fonts/DroidSansFallbackFull.ttf
var droidSansFallback []byte

// PDF writes the statement as an A4 portrait PDF in lang ("en" or "zh-CN";
// anything else is English): a header with the business, the customer, the
// currency, the period and the opening balance; a table of the movements,
// its heading repeated on every page; the totals of credits and debits, the
// closing balance and when the statement was made; and "Page i of N" at the
// foot of each page. Dates are in the business time zone. The statement is
// refused, before anything is written, unless Check passes and its totals
// fit in int64.
func PDF(w io.Writer, s Statement, lang string) error {
	if err := s.Check(); err != nil {
		return err
	}
	credits, debits, err := s.Totals()
	if err != nil {
		return err
	}
	lang = language(lang)
	// N of "Page i of N" is known only once the pages are laid out, so they
	// are laid out twice: once to count them, once with the count. fpdf's
	// page-count alias would save the first pass, but fpdf measures the
	// alias as the four characters "{nb}", and a right-aligned footer would
	// then stand off the margin by the difference.
	count := newDocument(s, lang, credits, debits, 0)
	if err := count.render(); err != nil {
		return err
	}
	final := newDocument(s, lang, credits, debits, count.pdf.PageCount())
	if err := final.render(); err != nil {
		return err
	}
	return final.pdf.Output(w)
}

// Page geometry, in mm.
const (
	pageWidth    = 210.0
	pageHeight   = 297.0
	margin       = 15.0
	contentWidth = pageWidth - 2*margin
	contentEnd   = pageHeight - 20 // lowest y of the body; the footer is below
	footerY      = pageHeight - 14
)

// Text sizes, in points, and the line height of table text in mm.
const (
	titleSize = 15.0
	infoSize  = 9.5
	tableSize = 8.0
	smallSize = 7.5
	tableLine = 3.7
	cellPadX  = 1.2
	cellPadY  = 1.1
)

// Ink: near-black text, grey for secondary text, the table's fills.
var (
	ink       = [3]int{30, 30, 30}
	greyInk   = [3]int{110, 110, 110}
	headFill  = [3]int{226, 230, 236}
	stripe    = [3]int{245, 247, 250}
	ruleColor = [3]int{160, 165, 175}
)

// document is one rendering of a statement.
type document struct {
	s               Statement
	lang            string
	loc             *time.Location
	credits, debits int64
	pages           int // the page count, for the footer; 0 while counting
	pdf             *fpdf.Fpdf
	y               float64 // where the next block of the body goes
	em              advances
}

func newDocument(s Statement, lang string, credits, debits int64, pages int) *document {
	pdf := fpdf.New("P", "mm", "A4", "")
	// Each document gets its own copy of the font: fpdf v0.12.0 writes into
	// the bytes it is given when it cuts the subset (utf8FontFile.getMetrics
	// appends to a slice of them), so a shared copy would be corrupted for
	// the statements rendered after, and raced on by those rendered at once.
	pdf.AddUTF8FontFromBytes(cjkFamily, "", bytes.Clone(droidSansFallback))
	// Page breaks are placed by the table, which must repeat its heading.
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(margin, margin, margin)
	title := label(lang, "title")
	if s.CustomerName != "" {
		title += " – " + s.CustomerName
	}
	pdf.SetTitle(title, true)
	pdf.SetAuthor(s.Business, true)
	pdf.SetCreator("Coffer", false)
	pdf.SetLang(lang)
	// The file's own dates are the statement's, so that the same statement
	// renders to the same bytes.
	pdf.SetCreationDate(s.GeneratedAt)
	pdf.SetModificationDate(s.GeneratedAt)
	pdf.SetCatalogSort(true)
	d := &document{s: s, lang: lang, loc: s.location(), credits: credits, debits: debits, pages: pages, pdf: pdf, em: advances{}}
	pdf.SetFooterFunc(d.footer)
	return d
}

// render lays out every page; fpdf keeps the first error it meets.
func (d *document) render() error {
	d.pdf.AddPage()
	d.header()
	d.table()
	d.summary()
	return d.pdf.Error()
}

// text returns a typesetter at size, in colour c.
func (d *document) text(size float64, bold bool, c [3]int) *typesetter {
	d.pdf.SetTextColor(c[0], c[1], c[2])
	return &typesetter{pdf: d.pdf, size: size, bold: bold, em: d.em}
}

// rule draws a horizontal line across the content width at y.
func (d *document) rule(y, width float64) {
	d.pdf.SetDrawColor(ruleColor[0], ruleColor[1], ruleColor[2])
	d.pdf.SetLineWidth(width)
	d.pdf.Line(margin, y, pageWidth-margin, y)
}

// footer is fpdf's footer function: who the statement is for, and the page
// number out of the page count.
func (d *document) footer() {
	t := d.text(smallSize, false, greyInk)
	who := joinNonEmpty(" · ", d.s.CustomerName, d.s.Currency.Code())
	t.cell(margin, footerY, contentWidth*0.6, 4, t.fit(who, contentWidth*0.6), "L")
	page := labelf(d.lang, "page", d.pdf.PageNo(), d.pages)
	t.cell(margin, footerY, contentWidth, 4, page, "R")
}

// joinNonEmpty joins the parts that are not empty, so that a missing
// business or customer name leaves no stray separator.
func joinNonEmpty(sep string, parts ...string) string {
	kept := parts[:0:0]
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, sep)
}
