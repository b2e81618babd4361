package statement

import (
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// setter is a typesetter at table size on a page of a real document, with
// the embedded font loaded.
func setter(t testing.TB) *typesetter {
	t.Helper()
	d := newDocument(sample(t, 0), "en", 0, 0, 1)
	d.pdf.AddPage()
	ts := d.text(tableSize, false, ink)
	if err := d.pdf.Error(); err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestRuns(t *testing.T) {
	tests := []struct {
		in   string
		want []run
	}{
		{"张三 Trading", []run{{cjk, "张三"}, {latin, " Trading"}}},
		{"拿铁 ×2，谢谢", []run{{cjk, "拿铁"}, {latin, " \xd72"}, {cjk, "，谢谢"}}},
		{"café – “ok”", []run{{latin, "caf\xe9 \x96 \x93ok\x94"}}},
		// No glyph in either font, or beyond what fpdf's UTF-8 fonts take.
		{"a😀\xffb", []run{{latin, "a??b"}}},
		{"a\tb\x00c\nd", []run{{latin, "a b c d"}}},
		{"", nil},
	}
	for _, tt := range tests {
		if got := runs(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("runs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestASCIIIsLatin: Droid Sans Fallback has no ASCII glyphs (its cmap
// has U+0020 and nothing else below U+0100); ASCII set in it would
// print as boxes, though pdftotext would still read it back correctly.
func TestASCIIIsLatin(t *testing.T) {
	for r := rune(0x20); r < 0x7f; r++ {
		if f, _ := faceOf(r); f != latin {
			t.Errorf("%q is set in Droid Sans Fallback", r)
		}
	}
	for _, r := range "张三充值，：（）" {
		if f, _ := faceOf(r); f != cjk {
			t.Errorf("%q is not set in Droid Sans Fallback", r)
		}
	}
}

// TestLinesKeepEveryCharacter: wrapping loses nothing but the spaces it
// breaks at, and no line is wider than asked unless it is one character.
// (fpdf's own SplitText drops the Chinese character at each break.)
func TestLinesKeepEveryCharacter(t *testing.T) {
	ts := setter(t)
	alphabet := []rune("补偿上周系统故障导致订单重复扣款经店长批准十元，。：abcdefghijk     ()-.,0123456789")
	rapid.Check(t, func(rt *rapid.T) {
		text := string(rapid.SliceOfN(rapid.SampledFrom(alphabet), 0, 300).Draw(rt, "text"))
		width := rapid.Float64Range(5, 60).Draw(rt, "width")
		lines := ts.lines(text, width, 1000)
		squeeze := func(s string) string { return strings.ReplaceAll(s, " ", "") }
		if got, want := squeeze(strings.Join(lines, "")), squeeze(text); got != want {
			rt.Fatalf("lines(%q, %.1f) = %q: characters lost or changed", text, width, lines)
		}
		for _, line := range lines {
			if ts.width(line) > width+1e-9 && len([]rune(line)) > 1 {
				rt.Fatalf("line %q is %.2f mm wide, more than %.2f", line, ts.width(line), width)
			}
		}
	})
}

func TestLines(t *testing.T) {
	ts := setter(t)
	note := "补偿：上周系统故障导致订单重复扣款，经店长批准补偿十元 (compensation approved by the manager)"
	t.Run("WrapsBetweenChineseCharacters", func(t *testing.T) {
		lines := ts.lines(note, 40, 10)
		if len(lines) < 3 {
			t.Fatalf("lines = %q, want the note on several lines", lines)
		}
		for _, line := range lines[1:] {
			if strings.HasPrefix(line, "，") {
				t.Errorf("line %q starts with a comma", line)
			}
		}
		squeeze := func(s string) string { return strings.ReplaceAll(s, " ", "") }
		if got := squeeze(strings.Join(lines, "")); got != squeeze(note) {
			t.Errorf("the lines joined are %q, want the note", got)
		}
	})
	t.Run("EllipsisWhenCut", func(t *testing.T) {
		lines := ts.lines(note, 40, 2)
		if len(lines) != 2 || !strings.HasSuffix(lines[1], ellipsis) {
			t.Fatalf("lines = %q, want two lines, the last ending in %q", lines, ellipsis)
		}
		if w := ts.width(lines[1]); w > 40 {
			t.Errorf("the cut line is %.1f mm wide, more than 40", w)
		}
	})
	t.Run("NoEllipsisWhenAllFits", func(t *testing.T) {
		if lines := ts.lines("拿铁 ×2", 40, 1); !slices.Equal(lines, []string{"拿铁 ×2"}) {
			t.Errorf("lines = %q", lines)
		}
	})
	t.Run("WhiteSpaceCollapses", func(t *testing.T) {
		if lines := ts.lines("  a\n\n b\t c  ", 40, 3); !slices.Equal(lines, []string{"a b c"}) {
			t.Errorf("lines = %q", lines)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		if lines := ts.lines("", 40, 3); !slices.Equal(lines, []string{""}) {
			t.Errorf("lines = %q, want one empty line", lines)
		}
	})
	t.Run("HugeNote", func(t *testing.T) {
		lines := ts.lines(strings.Repeat("长备注 long note ", 100000), 50, 3)
		if len(lines) != 3 || !strings.HasSuffix(lines[2], ellipsis) {
			t.Errorf("lines = %q, want three lines ending in an ellipsis", lines)
		}
	})
}
