package web_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/store"
)

// TestUnknownLinkSpeaksTheVisitorsLanguage: a link that opens nothing is a
// 404 in the language the browser asks for, or the one its switch chose.
func TestUnknownLinkSpeaksTheVisitorsLanguage(t *testing.T) {
	s := newSite(t, store.SQLite)
	for _, c := range []struct{ path, accept, want string }{
		{"/s/cst_nothing", "zh-CN,zh;q=0.9,en;q=0.8", "此链接无法打开对账单"},
		{"/s/cst_nothing", "zh-TW", "此链接无法打开对账单"},
		{"/s/cst_nothing", "de-DE,en;q=0.5", "This link does not open a statement"},
		{"/s/cst_nothing?lang=en", "zh-CN", "This link does not open a statement"},
		{"/s/cst_nothing", "", "This link does not open a statement"},
	} {
		req, _ := http.NewRequest("GET", s.url+c.path, nil)
		if c.accept != "" {
			req.Header.Set("Accept-Language", c.accept)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 404 || !strings.Contains(string(body), c.want) {
			t.Errorf("%s with Accept-Language %q: %d, want 404 with %q", c.path, c.accept, resp.StatusCode, c.want)
		}
	}
}
