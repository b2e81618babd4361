package statement

import (
	"strings"
	"unicode"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/text/encoding/charmap"
)

// Text in the PDF is set in two fonts. Droid Sans Fallback has the Chinese
// (and Japanese and Korean) glyphs but, being a fallback font, none for
// ASCII: Latin text set in it comes out as empty boxes, although pdftotext
// still extracts it. So Latin text goes in Helvetica, one of the fonts every
// PDF reader has, in Windows-1252, which also covers accented Latin letters
// and typographic punctuation; everything else goes in Droid Sans Fallback.
// A line is split into runs of one font, drawn one after the other.

// face is one of the two fonts.
type face uint8

const (
	latin face = iota // PDF core font Helvetica, text in Windows-1252 bytes
	cjk               // the embedded Droid Sans Fallback, text in UTF-8
)

const cjkFamily = "droidsansfallback"

// run is a piece of a line set in one face, text already in the encoding
// that face's fpdf font takes.
type run struct {
	face face
	text string
}

// faceOf picks the face for r, and the text to set for it there.
func faceOf(r rune) (face, string) {
	if unicode.IsSpace(r) || unicode.IsControl(r) {
		return latin, " "
	}
	if b, ok := charmap.Windows1252.EncodeRune(r); ok {
		return latin, string([]byte{b})
	}
	// fpdf's UTF-8 fonts index glyph widths by rune in a table of 65536, and
	// write text as UTF-16 code units: a rune beyond the BMP would read past
	// the table. U+FFFD is what invalid UTF-8 decodes to; the font has no
	// glyph for it.
	if r > 0xFFFF || r == unicode.ReplacementChar || !unicode.IsGraphic(r) {
		return latin, "?"
	}
	return cjk, string(r)
}

// runs splits s into maximal runs of one face.
func runs(s string) []run {
	var out []run
	for _, r := range s {
		f, t := faceOf(r)
		if n := len(out); n > 0 && out[n-1].face == f {
			out[n-1].text += t
			continue
		}
		out = append(out, run{face: f, text: t})
	}
	return out
}

// typesetter draws and measures mixed-face text at one size and weight.
type typesetter struct {
	pdf  *fpdf.Fpdf
	size float64 // points
	bold bool
	em   advances
}

// advances caches glyph advance widths, in thousandths of an em, by face,
// weight and rune. Measuring through fpdf means selecting the font, and
// fpdf writes every change of font into the page: text that alternates
// Chinese and Latin, measured rune by rune to wrap it, would fill the page
// with font changes that draw nothing.
type advances map[advanceKey]int

type advanceKey struct {
	face face
	bold bool
	r    rune
}

// use selects f at the typesetter's size and weight. Droid Sans Fallback
// has no bold; bold Chinese is drawn filled and stroked (see draw).
func (t *typesetter) use(f face) {
	if f == latin {
		style := ""
		if t.bold {
			style = "B"
		}
		t.pdf.SetFont("helvetica", style, t.size)
		return
	}
	t.pdf.SetFont(cjkFamily, "", t.size)
}

// width of s in mm.
func (t *typesetter) width(s string) float64 {
	units := 0
	for _, r := range s {
		units += t.advance(r)
	}
	return float64(units) / 1000 * t.size * 25.4 / 72
}

// advance is the width of r in thousandths of an em.
func (t *typesetter) advance(r rune) int {
	f, text := faceOf(r)
	key := advanceKey{face: f, bold: t.bold && f == latin, r: r}
	if w, ok := t.em[key]; ok {
		return w
	}
	t.use(f)
	w := t.pdf.GetStringSymbolWidth(text)
	t.em[key] = w
	return w
}

// draw sets s with its baseline at y, starting at x.
func (t *typesetter) draw(x, y float64, s string) {
	for _, r := range runs(s) {
		t.use(r.face)
		fake := t.bold && r.face == cjk
		if fake {
			lw := t.pdf.GetLineWidth()
			cr, cg, cb := t.pdf.GetDrawColor()
			t.pdf.SetDrawColor(t.pdf.GetTextColor())
			// About 2% of the em, the usual weight of a synthetic bold.
			t.pdf.SetLineWidth(t.size * 0.02 * 25.4 / 72)
			t.pdf.SetTextRenderingMode(2) // fill, then stroke
			t.pdf.Text(x, y, r.text)
			t.pdf.SetTextRenderingMode(0)
			t.pdf.SetLineWidth(lw)
			t.pdf.SetDrawColor(cr, cg, cb)
		} else {
			t.pdf.Text(x, y, r.text)
		}
		x += t.pdf.GetStringWidth(r.text)
	}
}

// cell sets s on one line in the box at x, y of width w and height h,
// aligned "L", "R" or "C", vertically centred as fpdf centres its cells.
// Text wider than w is not cut here; callers fit or wrap it first.
func (t *typesetter) cell(x, y, w, h float64, s, align string) {
	tw := t.width(s)
	switch align {
	case "R":
		x += w - tw
	case "C":
		x += (w - tw) / 2
	}
	t.draw(x, y+h/2+0.3*t.size*25.4/72, s)
}

const ellipsis = "…"

// fit returns s on one line: s itself, or as much of it as fits in w
// followed by an ellipsis.
func (t *typesetter) fit(s string, w float64) string {
	return t.lines(s, w, 1)[0]
}

// maxRunes bounds the text lines looks at: more than fills the widest
// column's three lines even in the narrowest glyphs, so that a note of a
// megabyte costs no more to lay out than one of a line.
const maxRunes = 400

// lines breaks s into at most max lines of width w, between words or
// between Chinese characters; a word wider than w is broken where it must.
// Runs of white space, line breaks included, become one space: a table cell
// is no place for the note's own layout. When text is left out, the last
// line ends in an ellipsis. There is always at least one line.
func (t *typesetter) lines(s string, w float64, max int) []string {
	rs := []rune(strings.Join(strings.Fields(s), " "))
	left := len(rs) > maxRunes
	if left {
		rs = rs[:maxRunes]
	}
	ws := make([]float64, len(rs))
	for i, r := range rs {
		ws[i] = t.width(string(r))
	}
	out := []string{}
	start, lastStart, lastEnd := 0, 0, 0
	for start < len(rs) && len(out) < max {
		lastStart, lastEnd = start, lineEnd(rs, ws, start, w)
		out = append(out, strings.TrimRight(string(rs[start:lastEnd]), " "))
		for start = lastEnd; start < len(rs) && rs[start] == ' '; start++ {
		}
	}
	if len(out) == 0 {
		return []string{""}
	}
	if left || start < len(rs) {
		out[len(out)-1] = t.cut(rs[lastStart:lastEnd], ws[lastStart:lastEnd], w)
	}
	return out
}

// lineEnd is where the line of rs starting at start ends (exclusive): the
// last break before the text overflows w, or the overflow itself when the
// line has no break, but never before start+1.
func lineEnd(rs []rune, ws []float64, start int, w float64) int {
	sum, i := 0.0, start
	for i < len(rs) && sum+ws[i] <= w {
		sum += ws[i]
		i++
	}
	if i == len(rs) {
		return i
	}
	for b := i; b > start; b-- {
		if breakBefore(rs, b) {
			return b
		}
	}
	return max(i, start+1)
}

// breakBefore reports whether a line may break between rs[b-1] and rs[b]:
// at a space, or beside a Chinese character unless rs[b] is punctuation
// that must not begin a line.
func breakBefore(rs []rune, b int) bool {
	if rs[b-1] == ' ' || rs[b] == ' ' {
		return true
	}
	wide := func(r rune) bool { f, _ := faceOf(r); return f == cjk }
	return (wide(rs[b-1]) || wide(rs[b])) && !strings.ContainsRune(noLineStart, rs[b])
}

// noLineStart is the closing punctuation, Chinese and Latin, that stays on
// the line of the text before it.
const noLineStart = "，。、；：？！）」』》〉】〕…—,.;:!?)]}%"

// cut shortens the line rs, of rune widths ws, until it and an ellipsis fit
// in w, and appends the ellipsis: the mark that something was left out.
func (t *typesetter) cut(rs []rune, ws []float64, w float64) string {
	room, n := w-t.width(ellipsis), 0
	for sum := 0.0; n < len(rs) && sum+ws[n] <= room; n++ {
		sum += ws[n]
	}
	return strings.TrimRight(string(rs[:n]), " ") + ellipsis
}
