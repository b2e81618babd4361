package api

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/money"
)

// The chart escapes every text it shows and stays well-formed XML, with
// negative days (more reversed than posted) and with no data at all.
func TestChartEscapesText(t *testing.T) {
	p := chartPanel{currency: money.MustCurrency("JPY"), days: []string{"2026-03-01", "<b>&'\"", "2026-03-03"},
		recharge: []int64{5000, -12000, 0}, consumption: []int64{300, 0, 1}}
	for _, svg := range [][]byte{drawChart([]chartPanel{p}, `Evil/<script>alert("x")</script>&`), drawChart(nil, "UTC")} {
		dec := xml.NewDecoder(bytes.NewReader(svg))
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("not well-formed: %v\n%s", err, svg)
			}
			if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "script" {
				t.Fatalf("text became an element:\n%s", svg)
			}
		}
		if !strings.Contains(string(svg), "<svg") {
			t.Errorf("no svg element: %s", svg)
		}
	}
	if got := niceStep(3400); got != 5000 {
		t.Errorf("niceStep(3400) = %d", got)
	}
	if floorTo(-1, 5000) != -5000 || ceilTo(1, 5000) != 5000 || floorTo(5000, 5000) != 5000 {
		t.Error("floorTo/ceilTo")
	}
}
