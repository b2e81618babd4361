package api

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
)

// WantsCSV reports whether a request asks for a CSV export.
func WantsCSV(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/csv" {
			return true
		}
	}
	return false
}

// OwnCSV reports whether the operation at path answers text/csv itself
// (a statement) rather than through ExportCSV.
func OwnCSV(path string) bool { return strings.HasSuffix(path, "/statement") }

var plainNumber = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?$`)

// safeCell keeps a spreadsheet from reading text as a formula: a cell that
// starts with = + - @ or a control character gets a leading quote, unless it
// is a plain number such as an amount ("-12.50") or a phone ("+8613800000001").
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r\n", rune(s[0])) && !plainNumber.MatchString(s) {
		return "'" + s
	}
	return s
}

// ExportCSV answers a list request that asks for text/csv: it asks the JSON
// list (next) for every page in turn, with the same token and filters, and
// writes the items as CSV rows as they come, so that an export of any size
// is streamed, not built in memory. Columns are the items' fields in order;
// nested values are written as JSON. An error on the first page is answered
// as the list would answer it.
func ExportCSV(w http.ResponseWriter, r *http.Request, next http.Handler) {
	q := r.URL.Query()
	q.Del("cursor")
	q.Set("limit", "500")
	var out *csvExport
	flusher, _ := w.(http.Flusher)
	for {
		page, list, ok := askPage(r, q, next)
		if !ok {
			if out != nil {
				// Headers are gone; cut the body short so that the client sees
				// an incomplete export, not a complete-looking one.
				panic(http.ErrAbortHandler)
			}
			page.relay(w)
			return
		}
		if out == nil {
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			// Named for what it holds: accounts.csv, transactions.csv, summary.csv.
			w.Header().Set("Content-Disposition", `attachment; filename="`+path.Base(r.URL.Path)+`.csv"`)
			w.Header().Set("X-Content-Type-Options", "nosniff")
			out = &csvExport{w: csv.NewWriter(w)}
		}
		out.write(list.Items)
		out.w.Flush()
		if flusher != nil {
			flusher.Flush()
		}
		if list.NextCursor == nil {
			return
		}
		q.Set("cursor", *list.NextCursor)
	}
}

// listPage is one page of a list, or the rows of a report (one page, no
// cursor) as Items.
type listPage struct {
	Items      []json.RawMessage `json:"items"`
	Rows       []json.RawMessage `json:"rows"`
	NextCursor *string           `json:"next_cursor"`
}

// askPage asks the JSON list (next) for the page of query q. ok is false
// when the answer is not a page of a list (an error, to be relayed as it
// is).
func askPage(r *http.Request, q url.Values, next http.Handler) (page *bufferedResponse, list listPage, ok bool) {
	inner := r.Clone(r.Context())
	inner.Header.Set("Accept", "application/json")
	inner.URL.RawQuery = q.Encode()
	inner.RequestURI = ""
	page = &bufferedResponse{header: http.Header{}, code: http.StatusOK}
	next.ServeHTTP(page, inner)
	ok = page.code == http.StatusOK && json.Unmarshal(page.body.Bytes(), &list) == nil && (list.Items != nil || list.Rows != nil)
	if list.Items == nil {
		list.Items = list.Rows
	}
	return page, list, ok
}

// csvExport writes items as CSV rows: the first item's fields are the
// columns, in their order.
type csvExport struct {
	w    *csv.Writer
	cols []string
}

// write writes the rows of one page; the columns come from the first item
// of the export.
func (e *csvExport) write(items []json.RawMessage) {
	for _, item := range items {
		keys, vals, err := orderedFields(item)
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		if e.cols == nil {
			e.cols = keys
			e.w.Write(e.cols)
		}
		row := make([]string, len(e.cols))
		for i, c := range e.cols {
			for j, k := range keys {
				if k == c {
					row[i] = cell(vals[j])
				}
			}
		}
		e.w.Write(row)
	}
	if e.cols == nil {
		e.w.Write([]string{}) // an empty export is an empty file
	}
}

// orderedFields reads a JSON object's keys in their order, with raw values.
func orderedFields(obj json.RawMessage) ([]string, []json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if _, err := dec.Token(); err != nil {
		return nil, nil, err
	}
	var keys []string
	var vals []json.RawMessage
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, err
		}
		keys, vals = append(keys, tok.(string)), append(vals, v)
	}
	return keys, vals, nil
}

// cell is a value as a CSV cell: a string as it is, null as nothing, any
// other value as compact JSON.
func cell(v json.RawMessage) string {
	var s string
	switch {
	case string(v) == "null":
		return ""
	case json.Unmarshal(v, &s) == nil:
		return safeCell(s)
	default:
		var b bytes.Buffer
		if json.Compact(&b, v) == nil {
			return safeCell(b.String())
		}
		return ""
	}
}

// bufferedResponse holds one page of a list in memory.
type bufferedResponse struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

// Header, Write and WriteHeader make it the http.ResponseWriter of the
// inner request.
func (b *bufferedResponse) Header() http.Header         { return b.header }
func (b *bufferedResponse) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferedResponse) WriteHeader(code int)        { b.code = code }

// relay answers w with the page as it came, an error of the list included.
func (b *bufferedResponse) relay(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	w.WriteHeader(b.code)
	w.Write(b.body.Bytes())
}
