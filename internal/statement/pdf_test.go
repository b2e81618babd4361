package statement

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// tool finds a poppler-utils program, or skips the test without it, unless
// COFFER_REQUIRE_TOOLS is set.
func tool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("COFFER_REQUIRE_TOOLS") != "" {
			t.Fatalf("%s is needed to read the rendered PDF: %v", name, err)
		}
		t.Skipf("%s is not installed (Debian's poppler-utils); the PDF is not read back (set COFFER_REQUIRE_TOOLS to make this a failure)", name)
	}
	return path
}

// rendered is a PDF written to a file and read back with poppler.
type rendered struct {
	size  int
	pages int
	text  string // pdftotext -layout, pages separated by form feeds
}

func renderPDF(t *testing.T, s Statement, lang string) rendered {
	t.Helper()
	pdftotext, pdfinfo := tool(t, "pdftotext"), tool(t, "pdfinfo")
	var buf bytes.Buffer
	if err := PDF(&buf, s, lang); err != nil {
		t.Fatalf("PDF: %v", err)
	}
	file := filepath.Join(t.TempDir(), "statement-"+lang+".pdf")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	text, err := exec.Command(pdftotext, "-layout", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	info, err := exec.Command(pdfinfo, file).Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)$`).FindSubmatch(info)
	if m == nil {
		t.Fatalf("pdfinfo gives no page count:\n%s", info)
	}
	pages, _ := strconv.Atoi(string(m[1]))
	return rendered{size: buf.Len(), pages: pages, text: string(text)}
}

func TestPDF(t *testing.T) {
	s := sample(t, 120)
	for _, tt := range []struct {
		lang     string
		want     []string
		page     string // page label, with %d for the page and for the count
		balance  string // the table's balance heading
		typeName string // the label of a top-up
	}{
		{"en", []string{"Account statement", "Opening balance", "Closing balance", "Total credits", "Total debits", "Generated at 2026-02-01 09:30 +08:00"},
			"Page %d of %d", "Balance (CNY)", "Top-up"},
		{"zh-CN", []string{"账户对账单", "期初余额", "期末余额", "入账合计", "出账合计", "生成时间：2026-02-01 09:30 +08:00"},
			"第 %d 页，共 %d 页", "余额 (CNY)", "充值"},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			r := renderPDF(t, s, tt.lang)
			t.Logf("%d movements in %s: %d pages, %d bytes", len(s.Movements), tt.lang, r.pages, r.size)
			// fpdf embeds only the glyphs used; the whole font would be 4 MB.
			if r.size > 200<<10 {
				t.Errorf("the PDF is %d bytes: is the font embedded whole?", r.size)
			}
			want := append(tt.want, "Coffer 咖啡馆", "张三 Trading", "2026-01-01 – 2026-01-31",
				"1,234.50 CNY", s.withCode(s.Closing), "微信支付充值", "hold_capture", tt.typeName)
			for _, w := range want {
				if !strings.Contains(r.text, w) {
					t.Errorf("the PDF's text has no %q", w)
				}
			}
			if r.pages < 2 {
				t.Fatalf("%d movements on %d page(s), want several", len(s.Movements), r.pages)
			}
			checkPages(t, r, tt.page, tt.balance)
			checkRows(t, r, s)
		})
	}
}

// checkPages: every page has its number out of the count, and every page
// that holds table rows has the table's heading.
func checkPages(t *testing.T, r rendered, page, heading string) {
	t.Helper()
	texts := strings.Split(strings.TrimRight(r.text, "\f"), "\f")
	if len(texts) != r.pages {
		t.Fatalf("pdftotext found %d pages, pdfinfo %d", len(texts), r.pages)
	}
	row := regexp.MustCompile(`(?m)^\s*2026-\d\d-\d\d \d\d:\d\d `)
	for i, text := range texts {
		if want := fmt.Sprintf(page, i+1, r.pages); !strings.Contains(text, want) {
			t.Errorf("page %d has no %q", i+1, want)
		}
		if row.MatchString(text) && !strings.Contains(text, heading) {
			t.Errorf("page %d has movements but no table heading %q", i+1, heading)
		}
	}
}

// checkRows: every movement is on the statement, once, in order, with its
// balance, so none was lost or repeated at a page break.
func checkRows(t *testing.T, r rendered, s Statement) {
	t.Helper()
	row := regexp.MustCompile(`(?m)^\s*(2026-\d\d-\d\d \d\d:\d\d) .*?(-?[\d,]+\.\d\d)\s+(-?[\d,]+\.\d\d)\s*$`)
	found := row.FindAllStringSubmatch(r.text, -1)
	if len(found) != len(s.Movements) {
		t.Fatalf("%d rows in the text, want %d", len(found), len(s.Movements))
	}
	for i, m := range s.Movements {
		at := m.At.In(s.Location).Format(dateTimeLayout)
		amount, balance := grouped(m.Amount, 2), grouped(m.Balance, 2)
		if got := found[i]; got[1] != at || got[2] != amount || got[3] != balance {
			t.Errorf("row %d reads %q, %q, %q; want %q, %q, %q", i+1, got[1], got[2], got[3], at, amount, balance)
		}
	}
}

func TestPDFOnePage(t *testing.T) {
	s := sample(t, 0)
	s.Business = ""
	r := renderPDF(t, s, "zh-CN")
	for _, w := range []string{"账户对账单", "本期无交易记录。", "第 1 页，共 1 页", "期初余额", "期末余额"} {
		if !strings.Contains(r.text, w) {
			t.Errorf("the PDF's text has no %q", w)
		}
	}
	if r.pages != 1 {
		t.Errorf("%d pages, want 1", r.pages)
	}
}

func TestPDFRefusesInconsistent(t *testing.T) {
	s := sample(t, 5)
	s.Movements[2].Balance++
	var buf bytes.Buffer
	if err := PDF(&buf, s, "en"); !errors.Is(err, ErrInconsistent) {
		t.Fatalf("PDF() = %v, want ErrInconsistent", err)
	}
	if buf.Len() != 0 {
		t.Errorf("PDF wrote %d bytes of a statement it refused", buf.Len())
	}
}

// TestPDFDeterministic: the same statement renders to the same bytes, as
// the file's dates are the statement's and not the clock's, whatever was
// rendered in between.
func TestPDFDeterministic(t *testing.T) {
	s := sample(t, 20)
	var a, b bytes.Buffer
	if err := PDF(&a, s, "zh-CN"); err != nil {
		t.Fatal(err)
	}
	other := sample(t, 120)
	other.CustomerName = "李四 餐饮管理有限公司"
	if err := PDF(io.Discard, other, "zh-CN"); err != nil {
		t.Fatal(err)
	}
	if err := PDF(&b, s, "zh-CN"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two renderings of one statement differ")
	}
}

// TestPDFConcurrent: statements render at once from several requests, all
// reading the one embedded font; each comes out as it would alone. Run
// with -race to see that nothing writes to the shared font bytes.
func TestPDFConcurrent(t *testing.T) {
	s := sample(t, 12)
	var alone bytes.Buffer
	if err := PDF(&alone, s, "zh-CN"); err != nil {
		t.Fatal(err)
	}
	outs := make([]bytes.Buffer, 4)
	errs := make([]error, len(outs))
	var wg sync.WaitGroup
	for i := range outs {
		wg.Go(func() { errs[i] = PDF(&outs[i], s, "zh-CN") })
	}
	wg.Wait()
	for i := range outs {
		if errs[i] != nil || !bytes.Equal(outs[i].Bytes(), alone.Bytes()) {
			t.Errorf("rendering %d at once: error %v, same bytes as alone: %v", i, errs[i], bytes.Equal(outs[i].Bytes(), alone.Bytes()))
		}
	}
}

// droidSHA256 is the SHA-256 of DroidSansFallbackFull.ttf as Debian ships
// it (fonts/LICENSE).
const droidSHA256 = "acb6440a713d880a13a21b468ba7cd43f5a2b2934972e51be791c880730777b8"

// TestFontBytesUntouched: rendering leaves the embedded font as it was.
// fpdf v0.12.0 writes into the font bytes it is given while it cuts the
// subset (getMetrics appends to a slice of them), which made one statement
// render differently depending on what had been rendered before it.
func TestFontBytesUntouched(t *testing.T) {
	if got := fmt.Sprintf("%x", sha256.Sum256(droidSansFallback)); got != droidSHA256 {
		t.Fatalf("the embedded font's SHA-256 is %s before rendering, want %s", got, droidSHA256)
	}
	if err := PDF(io.Discard, sample(t, 120), "zh-CN"); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%x", sha256.Sum256(droidSansFallback)); got != droidSHA256 {
		t.Errorf("rendering changed the embedded font: SHA-256 %s", got)
	}
}
