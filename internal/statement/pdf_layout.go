package statement

import (
	"strconv"
)

// column is one column of the movements table.
type column struct {
	heading string  // label key
	width   float64 // mm; the widths add up to contentWidth
	align   string
	lines   int // how many lines its text may wrap onto
}

// columns of the table. The note gets what the others leave; the figures are
// wide enough for a balance in the hundreds of millions at table size, and
// shrink to fit beyond (a figure is never cut).
var columns = []column{
	{"col.time", 26, "L", 1},
	{"col.type", 19, "L", 1},
	{"col.reference", 31, "L", 2},
	{"col.note", 54, "L", 3},
	{"col.amount", 25, "R", 1},
	{"col.balance", 25, "R", 1},
}

// Indexes of the figure columns, drawn by figure rather than wrapped.
const (
	amountCol  = 4
	balanceCol = 5
)

// header draws the first page's top: business and title, then who, what
// and when the statement is about, and the opening balance.
func (d *document) header() {
	y := margin
	titled := d.text(titleSize, true, ink)
	if d.s.Business != "" {
		titled.cell(margin, y, contentWidth, 7, titled.fit(d.s.Business, contentWidth), "L")
		y += 8
		sub := d.text(11, false, greyInk)
		sub.cell(margin, y, contentWidth, 5, label(d.lang, "title"), "L")
		y += 6
	} else {
		titled.cell(margin, y, contentWidth, 7, label(d.lang, "title"), "L")
		y += 8
	}
	d.rule(y+1, 0.4)
	y += 4
	info := [][2]string{
		{"customer", d.s.CustomerName},
		{"customer.id", strconv.FormatInt(d.s.CustomerID, 10)},
		{"currency", d.s.Currency.Code()},
		{"period", d.s.period() + "   " + labelf(d.lang, "time.zone", d.loc.String())},
		{"opening", d.s.withCode(d.s.Opening)},
	}
	const labelWidth = 34.0
	for i, kv := range info {
		bold := i == len(info)-1
		key := d.text(infoSize, bold, greyInk)
		key.cell(margin, y, labelWidth, 5, label(d.lang, kv[0]), "L")
		value := d.text(infoSize, bold, ink)
		// A long customer name takes a second line rather than losing its end.
		for k, line := range value.lines(kv[1], contentWidth-labelWidth, 2) {
			if k > 0 {
				y += 4.2
			}
			value.cell(margin+labelWidth, y, contentWidth-labelWidth, 5, line, "L")
		}
		y += 5.2
	}
	d.y = y + 4
}

// continuation starts a page after the first: a line saying whose
// statement it is, then the table goes on.
func (d *document) continuation() {
	d.pdf.AddPage()
	t := d.text(smallSize, false, greyInk)
	half := contentWidth/2 - 2
	left := joinNonEmpty(" · ", d.s.Business, label(d.lang, "title"))
	right := joinNonEmpty(" · ", d.s.CustomerName, d.s.Currency.Code(), d.s.period())
	t.cell(margin, margin, half, 4, t.fit(left, half), "L")
	t.cell(pageWidth-margin-half, margin, half, 4, t.fit(right, half), "R")
	d.rule(margin+5, 0.2)
	d.y = margin + 8
}

// heading draws the table's heading row.
func (d *document) heading() {
	const h = 7.0
	d.pdf.SetFillColor(headFill[0], headFill[1], headFill[2])
	d.pdf.Rect(margin, d.y, contentWidth, h, "F")
	t := d.text(tableSize, true, ink)
	x := margin
	for _, c := range columns {
		text := heading(d.lang, c.heading, d.s.Currency.Code())
		inner := c.width - 2*cellPadX
		t.cell(x+cellPadX, d.y, inner, h, t.fit(text, inner), c.align)
		x += c.width
	}
	d.y += h
}

// table draws the movements, starting a page (and repeating the heading)
// whenever the next row would not fit.
func (d *document) table() {
	d.heading()
	if len(d.s.Movements) == 0 {
		t := d.text(tableSize, false, greyInk)
		t.cell(margin+cellPadX, d.y, contentWidth, 8, label(d.lang, "no.movements"), "L")
		d.y += 8
	}
	for i, m := range d.s.Movements {
		cells := d.cells(m)
		n := 1
		for _, lines := range cells {
			n = max(n, len(lines))
		}
		h := float64(n)*tableLine + 2*cellPadY
		if d.y+h > contentEnd {
			d.continuation()
			d.heading()
		}
		if i%2 == 1 {
			d.pdf.SetFillColor(stripe[0], stripe[1], stripe[2])
			d.pdf.Rect(margin, d.y, contentWidth, h, "F")
		}
		d.row(cells)
		d.y += h
	}
	d.rule(d.y, 0.3)
}

// cells is the text of one movement's row, column by column, each cell's
// lines already wrapped or cut to its column.
func (d *document) cells(m Movement) [][]string {
	t := d.text(tableSize, false, ink)
	texts := []string{
		m.At.In(d.loc).Format(dateTimeLayout),
		typeLabel(d.lang, m.Type),
		m.Reference,
		m.Note,
		grouped(m.Amount, d.s.Currency.Digits()),
		grouped(m.Balance, d.s.Currency.Digits()),
	}
	out := make([][]string, len(columns))
	for i, c := range columns {
		if i == amountCol || i == balanceCol {
			out[i] = []string{texts[i]}
			continue
		}
		out[i] = t.lines(texts[i], c.width-2*cellPadX, c.lines)
	}
	return out
}

// row draws one row's cells at d.y.
func (d *document) row(cells [][]string) {
	x := margin
	for i, c := range columns {
		inner := c.width - 2*cellPadX
		for k, line := range cells[i] {
			y := d.y + cellPadY + float64(k)*tableLine
			if i == amountCol || i == balanceCol {
				d.figure(x+cellPadX, y, inner, tableLine, line)
				continue
			}
			t := d.text(tableSize, false, ink)
			t.cell(x+cellPadX, y, inner, tableLine, line, c.align)
		}
		x += c.width
	}
}

// figure draws a number right-aligned in w, in a smaller size if it does
// not fit: a cut figure would be a wrong one.
func (d *document) figure(x, y, w, h float64, s string) {
	t := d.text(tableSize, false, ink)
	for t.width(s) > w && t.size > 4 {
		t.size -= 0.5
	}
	t.cell(x, y, w, h, s, "R")
}

// summary draws the totals, the closing balance and when the statement was
// made, on a new page if they do not fit below the table.
func (d *document) summary() {
	const line, height = 5.5, 36.0
	if d.y+height > contentEnd {
		d.continuation()
	}
	const width = 100.0
	x := pageWidth - margin - width
	y := d.y + 4
	totals := [][2]string{
		{"credits", d.s.withCode(d.credits)},
		{"debits", d.s.withCode(d.debits)},
		{"closing", d.s.withCode(d.s.Closing)},
	}
	closing := len(totals) - 1
	if d.s.HasBonus() { // the closing balance's two parts, under it
		totals = append(totals, [2]string{"own.money", d.s.withCode(d.s.Closing - d.s.ClosingBonus)},
			[2]string{"of.bonus", d.s.withCode(d.s.ClosingBonus)})
	}
	for i, kv := range totals {
		bold := i == closing
		if bold {
			d.pdf.SetDrawColor(ruleColor[0], ruleColor[1], ruleColor[2])
			d.pdf.SetLineWidth(0.3)
			d.pdf.Line(x, y+0.5, pageWidth-margin, y+0.5)
			y += 1.5
		}
		t := d.text(infoSize, bold, ink)
		t.cell(x, y, width/2, line, label(d.lang, kv[0]), "L")
		t.cell(x+width/2, y, width/2-cellPadX, line, kv[1], "R")
		y += line
	}
	generated := d.s.GeneratedAt.In(d.loc).Format("2006-01-02 15:04 -07:00")
	t := d.text(smallSize, false, greyInk)
	t.cell(margin, y+6, contentWidth, 4, labelf(d.lang, "generated", generated), "L")
	d.y = y + 10
}
