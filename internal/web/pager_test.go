package web

import (
	"net/url"
	"testing"
)

func TestPagerLinksPagesBesideIt(t *testing.T) {
	l := newLocale("en", nil)
	v := url.Values{"q": {"ada"}, "page": {"2"}}
	p := newPager(l, "/accounts", v, 120, 50)
	if p.First != 51 || p.Last != 100 || p.Prev != "/accounts?page=1&q=ada" || p.Next != "/accounts?page=3&q=ada" {
		t.Errorf("page 2 of 120: %+v", p)
	}
	last := newPager(l, "/accounts", url.Values{"page": {"3"}, "size": {"50"}}, 120, 20)
	if last.Next != "" || last.First != 101 || last.Last != 120 {
		t.Errorf("last page: %+v", last)
	}
	for _, bad := range []string{"0", "-1", "x", "99999999"} {
		if page, size, off := pageOf(url.Values{"page": {bad}, "size": {"7"}}); page != 1 || size != 50 || off != 0 {
			t.Errorf("page=%s size=7: page %d size %d offset %d", bad, page, size, off)
		}
	}
	if _, size, off := pageOf(url.Values{"page": {"3"}, "size": {"20"}}); size != 20 || off != 40 {
		t.Errorf("page 3 of 20: size %d offset %d", size, off)
	}
}
