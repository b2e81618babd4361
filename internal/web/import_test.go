package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
	"github.com/cofferhq/coffer/internal/web"
)

const goodImport = "name,phone,email,currency,opening_balance,alert_amount\n" +
	"Li Wei,+86 138 0013 8000,li.wei@example.com,CNY,1250.00,100\n" +
	"Li Wei,+86 138 0013 8000,,USD,80.00,\n" +
	"Sato Yui,+81 90 1234 5678,,JPY,30000,\n" +
	"Ana Costa,+351 912 345 678,,,,\n"

// importUpload posts a file to the import page with one of its buttons.
func (b *browser) importUpload(step, name, data string) (int, string, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("csrf", b.csrf)
	w.WriteField("step", step)
	fw, _ := w.CreateFormFile("file", name)
	io.WriteString(fw, data)
	w.Close()
	req, _ := http.NewRequest("POST", b.s.url+"/import", &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Origin", b.s.url)
	res, err := b.c.Do(req)
	if err != nil {
		b.s.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body), res.Header.Get("Location")
}

// confirmFields reads the confirm form of a check: its token and hash.
func confirmFields(t *testing.T, body string) (token, sum string) {
	t.Helper()
	m := regexp.MustCompile(`name="token" value="([0-9a-f]+)"><input type="hidden" name="sha256" value="([0-9a-f]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the check has no confirm form:\n%s", body)
	}
	return m[1], m[2]
}

func (s *site) customerCount() int64 {
	n, err := s.st.CountCustomers(context.Background(), store.CustomerFilter{})
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}

func TestImportPageRefusesOtherRoles(t *testing.T) {
	s := newSite(t, store.SQLite)
	for _, user := range []string{"clerk", "checker"} {
		b := s.login(user)
		if code, _, _ := b.get("/import"); code != 403 {
			t.Errorf("%s GET /import = %d, want 403", user, code)
		}
		if code, _, _ := b.importUpload("import", "c.csv", goodImport); code != 403 {
			t.Errorf("%s POST /import = %d, want 403", user, code)
		}
		if code, _, _ := b.post("/import/confirm", b.form("token", "x", "sha256", "y")); code != 403 {
			t.Errorf("%s POST /import/confirm = %d, want 403", user, code)
		}
	}
	if n := s.customerCount(); n != 0 {
		t.Errorf("refused imports created %d customers", n)
	}
	_, body, _ := s.login("clerk").get("/")
	if strings.Contains(body, `href="/import"`) {
		t.Error("the menu offers Import to an admin")
	}
}

func TestImportPageShowsProblemsAndImportsNothing(t *testing.T) {
	s := newSite(t, store.SQLite)
	root := s.login("root")
	bad := "name,phone,currency,opening_balance\nLi Wei,+86 138 0013 8000,CNY,12.345\n,13800000002,USD,1\nBo,13800000003,XYZ,1\n"
	for _, step := range []string{"check", "import"} {
		code, body, _ := root.importUpload(step, "bad.csv", bad)
		if code != 422 {
			t.Fatalf("%s of a file with problems = %d, want 422", step, code)
		}
		for _, want := range []string{`<td>2</td><td><code>opening_balance</code></td><td>Too many decimal places`,
			`<td>3</td><td><code>name</code></td>`, `<td>4</td><td><code>currency</code></td><td>Not a currency code`,
			"3 problems: nothing was imported"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the page lacks %q", step, want)
			}
		}
		if strings.Contains(body, `id="import-confirm"`) {
			t.Errorf("%s: a file with problems is offered for import", step)
		}
	}
	// In the operator's language.
	root.post("/lang", root.form("lang", "zh-CN", "back", "/import"))
	if _, body, _ := root.importUpload("check", "bad.csv", bad); !strings.Contains(body, "共 3 个问题") || !strings.Contains(body, "小数位数超过了该币种允许的位数") {
		t.Errorf("the Chinese check does not list the problems in Chinese:\n%s", body)
	}
	if code, _, _ := root.importUpload("check", "empty.csv", ""); code != 422 {
		t.Errorf("an empty upload = %d, want 422", code)
	}
	if n := s.customerCount(); n != 0 {
		t.Errorf("a file with problems created %d customers", n)
	}
}

// The import page takes a file larger than other forms' 3 MB limit, up to
// its own, and refuses a larger one with its own message.
func TestImportPageBodyLimit(t *testing.T) {
	s := newSite(t, store.SQLite)
	root := s.login("root")
	var big strings.Builder
	big.WriteString("name,phone\n")
	for i := 0; big.Len() < 5<<20; i++ {
		fmt.Fprintf(&big, "Customer %07d,+1 555 %07d\n", i, i)
	}
	code, body, _ := root.importUpload("check", "big.csv", big.String())
	if code != 200 || !strings.Contains(body, `id="import-confirm"`) {
		t.Errorf("a 5 MB file = %d", code)
	}
	code, body, _ = root.importUpload("check", "huge.csv", strings.Repeat("x", web.MaxImportUpload+1<<20))
	if code != 413 || !strings.Contains(body, "larger than 32 MB. Split it") {
		t.Errorf("a file over the limit = %d", code)
	}
	if code, _ := root.upload("/customers/new", "big.bin", make([]byte, 4<<20)); code != 413 {
		t.Errorf("another form with 4 MB = %d, want 413", code)
	}
}

func TestImportPageChecksThenImportsOnce(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			root := s.login("root")
			code, body, _ := root.importUpload("check", "customers.csv", goodImport)
			if code != 200 || !strings.Contains(body, "3 new, 0 matched by phone") || !strings.Contains(body, "3 new, 0 skipped") || !strings.Contains(body, "Import 4 rows") {
				t.Fatalf("check = %d:\n%s", code, body)
			}
			token, sum := confirmFields(t, body)
			if want := sha256.Sum256([]byte(goodImport)); sum != hex.EncodeToString(want[:]) {
				t.Errorf("the check shows SHA-256 %s of the file", sum)
			}
			if n := s.customerCount(); n != 0 {
				t.Fatalf("the check created %d customers", n)
			}
			// A form naming another file, another check, or another
			// session's check changes nothing, and says so.
			other := s.login("root")
			for name, f := range map[string]*browser{"other hash": root, "other token": root, "other session": other} {
				v := f.form("token", token, "sha256", sum)
				switch name {
				case "other hash":
					v.Set("sha256", strings.Repeat("0", 64))
				case "other token":
					v.Set("token", strings.Repeat("1", 32))
				}
				code, body, _ := f.post("/import/confirm", v)
				if code != 409 || !strings.Contains(body, "This check has expired") {
					t.Errorf("%s: confirm = %d", name, code)
				}
			}
			if n := s.customerCount(); n != 0 {
				t.Fatalf("refused confirms created %d customers", n)
			}
			code, _, loc := root.post("/import/confirm", root.form("token", token, "sha256", sum))
			if code != 303 || !strings.HasPrefix(loc, "/import?record=") {
				t.Fatalf("confirm = %d → %s", code, loc)
			}
			_, done, _ := root.get(loc)
			for _, want := range []string{`id="import-done"`, "Imported.", "customers.csv", "3 new, 0 matched by phone", "CN¥1,250.00", `href="/customers"`, `/audit?action=import.run&amp;before=`, "at most 32 MB", "Sato Yui,&#43;81 90 1234 5678"} {
				if !strings.Contains(done, want) {
					t.Errorf("the done page lacks %q:\n%s", want, done)
				}
			}
			if code, _, _ := root.get("/import?record=99999"); code != 404 {
				t.Errorf("the done page of no import = %d, want 404", code)
			}
			if n := s.customerCount(); n != 3 {
				t.Errorf("the import created %d customers, want 3", n)
			}
			importedBalances(t, s)
			// The check is used up: pressing the button again does nothing.
			if code, _, _ := root.post("/import/confirm", root.form("token", token, "sha256", sum)); code != 409 {
				t.Errorf("a second confirm = %d, want 409", code)
			}
			importTwice(t, s, root)
		})
	}
}

// importedBalances checks the accounts the good file opened.
func importedBalances(t *testing.T, s *site) {
	t.Helper()
	accs, _ := s.st.Accounts(context.Background(), store.AccountFilter{Limit: 10})
	got := map[string]int64{}
	for _, a := range accs {
		got[a.Currency.Code()] = a.Balance
	}
	if len(accs) != 3 || got["CNY"] != 125000 || got["USD"] != 8000 || got["JPY"] != 30000 {
		t.Errorf("accounts after the import: %v", got)
	}
}

// importTwice runs the same file again: the check says it creates nothing
// and offers no import; importing it anyway creates nothing new.
func importTwice(t *testing.T, s *site, root *browser) {
	t.Helper()
	code, body, _ := root.importUpload("check", "customers.csv", goodImport)
	if code != 200 || !strings.Contains(body, "0 new, 3 matched by phone") || !strings.Contains(body, `id="import-nothing"`) || strings.Contains(body, `id="import-confirm"`) {
		t.Errorf("check of a file imported before = %d:\n%s", code, body)
	}
	code, _, loc := root.importUpload("import", "customers.csv", goodImport)
	if code != 303 {
		t.Fatalf("importing a file again = %d", code)
	}
	if _, done, _ := root.get(loc); !strings.Contains(done, "nothing new was created") || !strings.Contains(done, "0 new, 3 skipped") {
		t.Errorf("the done page of a second import:\n%s", done)
	}
	if n := s.customerCount(); n != 3 {
		t.Errorf("a second import left %d customers, want 3", n)
	}
	importedBalances(t, s)
}
