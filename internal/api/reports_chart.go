package api

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"math/big"
	"sort"

	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/store"
)

// The daily chart is a plain SVG drawn here, with no script and no external
// resource: one panel per currency, a pair of bars per day (recharge,
// consumption), a y axis in the currency's major unit and the days on the x
// axis. Amounts stay int64 minor units until they become pixel positions.

// chartPanel is one currency's series, one value per day of the period.
type chartPanel struct {
	currency    money.Currency
	days        []string // YYYY-MM-DD
	recharge    []int64
	consumption []int64
}

// chartData spreads the summary rows by day over every day of the period,
// so that days without activity show as gaps at zero. With a currency asked
// for, that currency gets a panel even when it had no activity.
func chartData(days []string, rows []store.ReportRow, only money.Currency) []chartPanel {
	index := map[string]int{}
	for i, d := range days {
		index[d] = i
	}
	byCur := map[string]*chartPanel{}
	panel := func(code string) *chartPanel {
		if byCur[code] == nil {
			cur, err := money.LookupCurrency(code)
			if err != nil {
				return nil
			}
			byCur[code] = &chartPanel{currency: cur, days: days, recharge: make([]int64, len(days)), consumption: make([]int64, len(days))}
		}
		return byCur[code]
	}
	if !only.IsZero() {
		panel(only.Code())
	}
	for _, r := range rows {
		i, ok := index[r.Key]
		p := panel(r.Currency)
		if !ok || p == nil {
			continue
		}
		p.recharge[i] = chartValue(r.Recharge)
		p.consumption[i] = chartValue(r.Consumption)
	}
	var out []chartPanel
	for _, p := range byCur {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].currency.Code() < out[j].currency.Code() })
	return out
}

// chartLimit bounds a bar: a day's total can pass what int64 arithmetic
// of the axis allows (SPEC section 7 sums totals exactly), and a bar that
// tall is drawn at the limit; the exact figure is in the summary.
const chartLimit = math.MaxInt64 / 8

// chartValue is a day's exact total as the height of its bar.
func chartValue(t *big.Int) int64 {
	switch {
	case t.Cmp(big.NewInt(chartLimit)) > 0:
		return chartLimit
	case t.Cmp(big.NewInt(-chartLimit)) < 0:
		return -chartLimit
	}
	return t.Int64()
}

// Chart geometry, in pixels.
const (
	chartWidth   = 960
	panelHeight  = 340
	marginLeft   = 100 // room for the amounts of the y axis
	marginRight  = 20
	marginTop    = 64 // title and legend
	marginBottom = 60 // days and the x axis title
	colRecharge  = "#2e7d32"
	colConsume   = "#c62828"
)

// chartWords are the chart's texts in one language (the lang query
// parameter: the web console asks in its administrator's language).
type chartWords struct {
	title, empty, panel, period, recharge, consumption, rechargeBar, consumptionBar, day, amount string
}

// chartLanguages are the languages the chart speaks; fmt verbs fill in the
// time zone, currency, days and codes.
var chartLanguages = map[string]chartWords{
	"en": {title: "Recharge and consumption per day (%s)", empty: "No recharge or consumption in this period",
		panel: "Recharge and consumption per day, %s", period: ", %s to %s",
		recharge: "Recharge (top-ups minus reversals)", consumption: "Consumption (charges minus reversals)",
		rechargeBar: "recharge", consumptionBar: "consumption",
		day: "Day (month-day, time zone %s)", amount: "Amount (%s)"},
	"zh-CN": {title: "每日充值与消费（%s）", empty: "此期间没有充值或消费",
		panel: "每日充值与消费，%s", period: "，%s 至 %s",
		recharge: "充值（充值减冲正）", consumption: "消费（消费减冲正）",
		rechargeBar: "充值", consumptionBar: "消费",
		day: "日期（月-日，时区 %s）", amount: "金额（%s）"},
}

// chartIn is the chart's words in lang; anything else is English.
func chartIn(lang string) chartWords {
	if w, ok := chartLanguages[lang]; ok {
		return w
	}
	return chartLanguages["en"]
}

// esc makes text safe inside an XML element or attribute.
func esc(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// drawChart renders the panels as one SVG document, in English.
func drawChart(panels []chartPanel, tz string) []byte { return chartIn("en").draw(panels, tz) }

// draw renders the panels as one SVG document in w's language.
func (w chartWords) draw(panels []chartPanel, tz string) []byte {
	n := max(len(panels), 1)
	height := n * panelHeight
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12" role="img">`+"\n",
		chartWidth, height, chartWidth, height)
	fmt.Fprintf(&b, "<title>%s</title>\n", esc(fmt.Sprintf(w.title, tz)))
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>`+"\n", chartWidth, height)
	if len(panels) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="16">%s</text>`+"\n", chartWidth/2, panelHeight/2,
			esc(w.empty))
	}
	for i, p := range panels {
		w.drawPanel(&b, p, i*panelHeight, tz)
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// drawPanel draws one currency's panel, top pixels down the document.
func (w chartWords) drawPanel(b *bytes.Buffer, p chartPanel, top int, tz string) {
	w.drawPanelTitle(b, p, top)
	pl := plotOf(p, top)
	drawGrid(b, p, pl)
	w.drawBars(b, p, pl)
	w.drawAxes(b, p, pl, tz)
	b.WriteString("</g>\n")
}

// drawPanelTitle opens the panel's group with its title and legend.
func (w chartWords) drawPanelTitle(b *bytes.Buffer, p chartPanel, top int) {
	title := fmt.Sprintf(w.panel, p.currency.Code())
	if len(p.days) > 0 {
		title += fmt.Sprintf(w.period, p.days[0], p.days[len(p.days)-1])
	}
	fmt.Fprintf(b, `<g><text x="%d" y="%d" font-size="16" font-weight="bold">%s</text>`+"\n", marginLeft, top+24, esc(title))
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n",
		marginLeft, top+36, colRecharge, marginLeft+18, top+46, esc(w.recharge))
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n",
		marginLeft+260, top+36, colConsume, marginLeft+278, top+46, esc(w.consumption))
}

// panelPlot is a panel's plot area, in pixels, and the amounts its y axis
// spans, in minor units.
type panelPlot struct {
	left, right, top, bottom float64
	lo, hi, step             int64
	slot                     float64 // the width of a day
}

// plotOf places the plot of a panel top pixels down. The y range covers
// zero and every value, in whole steps of a round amount (1, 2 or 5 times a
// power of ten, in minor units).
func plotOf(p chartPanel, top int) panelPlot {
	pl := panelPlot{left: float64(marginLeft), right: float64(chartWidth - marginRight),
		top: float64(top + marginTop), bottom: float64(top + panelHeight - marginBottom)}
	for i := range p.days {
		pl.lo = min(pl.lo, p.recharge[i], p.consumption[i])
		pl.hi = max(pl.hi, p.recharge[i], p.consumption[i])
	}
	if pl.hi == pl.lo {
		pl.hi = pl.lo + int64(math.Pow10(p.currency.Digits())) // an empty chart spans one unit
	}
	pl.step = niceStep(float64(pl.hi-pl.lo) / 5)
	pl.lo, pl.hi = floorTo(pl.lo, pl.step), ceilTo(pl.hi, pl.step)
	pl.slot = (pl.right - pl.left) / float64(max(len(p.days), 1))
	return pl
}

// y is the height of amount v.
func (pl panelPlot) y(v int64) float64 {
	return pl.bottom - (float64(v-pl.lo)/float64(pl.hi-pl.lo))*(pl.bottom-pl.top)
}

// drawGrid draws a line and the amount at every step of the y axis.
func drawGrid(b *bytes.Buffer, p chartPanel, pl panelPlot) {
	for v := pl.lo; v <= pl.hi; v += pl.step {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#dddddd"/>`, pl.left, pl.y(v), pl.right, pl.y(v))
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`+"\n", pl.left-6, pl.y(v)+4,
			esc(money.FormatMinor(v, p.currency.Digits())))
		if pl.hi-v < pl.step {
			break // the next step would overflow past hi
		}
	}
}

// drawBars draws recharge left and consumption right within each day's
// slot; a day without one draws no bar for it.
func (w chartWords) drawBars(b *bytes.Buffer, p chartPanel, pl panelPlot) {
	cur, digits := p.currency.Code(), p.currency.Digits()
	barW := math.Max(pl.slot*0.38, 0.5)
	bar := func(i int, v int64, dx float64, color, what string) {
		y0, y1 := pl.y(max(v, 0)), pl.y(min(v, 0))
		fmt.Fprintf(b, `<rect x="%.2f" y="%.2f" width="%.2f" height="%.2f" fill="%s"><title>%s</title></rect>`+"\n",
			pl.left+float64(i)*pl.slot+dx, y0, barW, math.Max(y1-y0, 0), color,
			esc(p.days[i]+" "+what+" "+money.FormatMinor(v, digits)+" "+cur))
	}
	for i := range p.days {
		if p.recharge[i] != 0 {
			bar(i, p.recharge[i], pl.slot*0.1, colRecharge, w.rechargeBar)
		}
		if p.consumption[i] != 0 {
			bar(i, p.consumption[i], pl.slot*0.52, colConsume, w.consumptionBar)
		}
	}
}

// drawAxes draws the zero line, the y axis, at most about 12 day labels
// (MM-DD) and the axes' titles.
func (w chartWords) drawAxes(b *bytes.Buffer, p chartPanel, pl panelPlot, tz string) {
	fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333333"/>`+"\n", pl.left, pl.y(0), pl.right, pl.y(0))
	fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333333"/>`+"\n", pl.left, pl.top, pl.left, pl.bottom)
	n := len(p.days)
	every := max(1, (n+11)/12)
	for i := 0; i < n; i += every {
		x := pl.left + (float64(i)+0.5)*pl.slot
		label := p.days[i]
		if len(label) == len("2006-01-02") {
			label = label[5:]
		}
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333333"/>`, x, pl.bottom, x, pl.bottom+4)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", x, pl.bottom+18, esc(label))
	}
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", (pl.left+pl.right)/2, pl.bottom+42,
		esc(fmt.Sprintf(w.day, tz)))
	fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="middle" transform="rotate(-90 %d %.1f)">%s</text>`+"\n",
		18, (pl.top+pl.bottom)/2, 18, (pl.top+pl.bottom)/2, esc(fmt.Sprintf(w.amount, p.currency.Code())))
}

// niceStep rounds raw up to 1, 2 or 5 times a power of ten, at least 1.
func niceStep(raw float64) int64 {
	if raw <= 1 {
		return 1
	}
	exp := math.Pow10(int(math.Floor(math.Log10(raw))))
	for _, f := range []float64{1, 2, 5, 10} {
		if raw <= f*exp {
			return int64(f * exp)
		}
	}
	return int64(10 * exp)
}

// floorTo rounds v down to a multiple of step.
func floorTo(v, step int64) int64 {
	q := v / step
	if v%step != 0 && v < 0 {
		q--
	}
	return q * step
}

// ceilTo rounds v up to a multiple of step.
func ceilTo(v, step int64) int64 {
	q := v / step
	if v%step != 0 && v > 0 {
		q++
	}
	return q * step
}
