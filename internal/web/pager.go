package web

import (
	"net/url"
	"strconv"
)

// pageSizes are the page sizes a list offers; the first is the default.
var pageSizes = []int{50, 20, 100, 200}

// pager is a list's position: which page of how many rows, with the links
// to the pages beside it. Lists page by number (offset), so that an
// operator can go back as well as on, and see the total.
type pager struct {
	L           *locale
	Total       int64 // rows matching the filters
	Page, Size  int   // 1-based page number; rows per page
	Prev, Next  string
	First, Last int64 // 1-based numbers of the rows shown
	Query       url.Values
	Sizes       []int
}

// pageOf reads page and size from the query v (bad or missing values give
// the first page at the default size) and returns the offset to read at.
func pageOf(v url.Values) (page, size, offset int) {
	page, _ = strconv.Atoi(v.Get("page"))
	if page < 1 || page > 1_000_000 {
		page = 1
	}
	size = pageSizes[0]
	if s, _ := strconv.Atoi(v.Get("size")); s > 0 {
		for _, ok := range pageSizes {
			if s == ok {
				size = s
			}
		}
	}
	return page, size, (page - 1) * size
}

// newPager links the pages of a list at path with the filters of v.
func newPager(l *locale, path string, v url.Values, total int64, shown int) pager {
	page, size, offset := pageOf(v)
	p := pager{L: l, Total: total, Page: page, Size: size, Sizes: pageSizes}
	if shown > 0 {
		p.First, p.Last = int64(offset)+1, int64(offset+shown)
	}
	link := func(n int) string {
		q := url.Values{}
		for k, vals := range v {
			q[k] = vals
		}
		q.Set("page", strconv.Itoa(n))
		if size != pageSizes[0] {
			q.Set("size", strconv.Itoa(size))
		} else {
			q.Del("size")
		}
		return path + "?" + q.Encode()
	}
	if page > 1 {
		p.Prev = link(page - 1)
	}
	if int64(offset+shown) < total {
		p.Next = link(page + 1)
	}
	q := url.Values{}
	for k, vals := range v {
		if k != "page" && k != "size" {
			q[k] = vals
		}
	}
	p.Query = q
	return p
}
