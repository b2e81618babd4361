package ledger

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Import of customers and their opening balances from a CSV file (SPEC 12).
// Reading and checking a file is pure: it needs no database, so the
// command line and the console's upload page share it, and a dry run
// finds exactly the problems a real run would refuse.

// ImportColumns are the columns an import file may have, matched by their
// header without regard to case or order.
var ImportColumns = []string{"name", "phone", "email", "company", "remark", "currency", "opening_balance", "alert_amount", "credit_limit"}

// importRequired are the columns a file must have: customers are matched
// by phone, so without it running a file twice could not create nothing new.
var importRequired = []string{"name", "phone"}

const (
	// MaxImportRows bounds the rows of one file: beyond it an import is
	// better split than held in one database transaction.
	MaxImportRows = 200_000
	// MaxImportBytes bounds the bytes read from one file, so that a forged
	// file (one endless line) cannot exhaust memory.
	MaxImportBytes = 128 << 20
)

// ImportRow is one checked row of an import file. Phone and email are
// normalised; Currency is "" when the row opens no account.
type ImportRow struct {
	Line        int // line of the file, the header being line 1
	Customer    NewCustomer
	Currency    string
	Opening     int64 // minor units; may be negative, down to -CreditLimit
	AlertAmount int64
	CreditLimit int64
	HasCredit   bool // credit_limit given; otherwise the account gets the default
}

// ImportProblem is one problem of an import file, by line and column
// (Column is "" when the problem is the line's or the file's as a whole).
// Reason is a FieldReasons key, as in FieldProblem.
type ImportProblem struct {
	Line    int
	Column  string
	Reason  string
	Message string
	Params  []any
}

func (p ImportProblem) String() string {
	if p.Column == "" {
		return fmt.Sprintf("line %d: %s", p.Line, p.Message)
	}
	return fmt.Sprintf("line %d, column %s: %s", p.Line, p.Column, p.Message)
}

// Import is a read import file: the rows that passed and every problem
// found. Only a file without problems may be applied.
type Import struct {
	Rows     []ImportRow
	Problems []ImportProblem
	// Region is the phone_region the phones were read under; the store
	// refuses to match them with customers normalised under another.
	Region string
}

// ErrImportProblems refuses to apply an import that has problems.
var ErrImportProblems = define("validation_failed", "import_problems", "the import file has problems; nothing was imported")

// importReader reads one file; problems collect as it goes.
type importReader struct {
	imp    Import
	region string         // the phone_region setting
	cols   map[string]int // column name → index in a record
	phones map[[2]string]int
}

func (r *importReader) problem(line int, column, reason, msg string, params ...any) {
	r.imp.Problems = append(r.imp.Problems, ImportProblem{Line: line, Column: column, Reason: reason, Message: msg, Params: params})
}

// ReadImport reads and checks an import file: a header row naming the
// columns, then one customer (and account) a row. A UTF-8 byte order mark
// is skipped. It reads the whole file and reports every problem, not only
// the first, except that a file which is not CSV text, or whose header is
// wrong, is not read further. Phones are normalised for region, the
// phone_region setting (NormalizePhone), as the customers they are matched
// with were.
func ReadImport(in io.Reader, region string) *Import {
	r := &importReader{phones: map[[2]string]int{}, region: region}
	r.imp.Region = region
	br := bufio.NewReaderSize(&limitedReader{r: in, left: MaxImportBytes}, 64<<10)
	if head, _ := br.Peek(3); bytes.Equal(head, []byte("\xEF\xBB\xBF")) {
		br.Discard(3)
	}
	if head, _ := br.Peek(4096); !looksLikeText(head) {
		r.problem(1, "", "not_csv", "is not a CSV text file (UTF-8)")
		return &r.imp
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // a wrong count is a problem of its line, not the end
	cr.ReuseRecord = true
	if !r.header(cr) {
		return &r.imp
	}
	r.body(cr)
	if len(r.imp.Rows) == 0 && len(r.imp.Problems) == 0 {
		r.problem(2, "", "no_rows", "the file has a header but no rows")
	}
	return &r.imp
}

// looksLikeText tells a text file from binary: no NUL byte, and valid
// UTF-8 but for a character cut at the end of what was peeked.
func looksLikeText(b []byte) bool {
	if bytes.IndexByte(b, 0) >= 0 {
		return false
	}
	for len(b) > 0 {
		c, n := utf8.DecodeRune(b)
		if c == utf8.RuneError && n <= 1 {
			return len(b) < utf8.UTFMax && !utf8.FullRune(b)
		}
		b = b[n:]
	}
	return true
}

// header reads the header row and maps the columns; false stops the read.
func (r *importReader) header(cr *csv.Reader) bool {
	rec, err := cr.Read()
	if err == io.EOF {
		r.problem(1, "", "no_rows", "the file is empty; it needs a header row and rows")
		return false
	}
	if err != nil {
		r.csvProblem(err)
		return false
	}
	r.cols = map[string]int{}
	ok := true
	for i, h := range rec {
		name := strings.ToLower(strings.TrimSpace(h))
		_, seen := r.cols[name]
		switch {
		case !isImportColumn(name):
			r.problem(1, h, "unknown_column", "is not a column of an import file (name, phone, email, company, remark, currency, opening_balance, alert_amount, credit_limit)")
			ok = false
		case seen:
			r.problem(1, h, "duplicate_column", "appears twice in the header")
			ok = false
		default:
			r.cols[name] = i
		}
	}
	for _, c := range importRequired {
		if _, found := r.cols[c]; !found {
			r.problem(1, c, "missing_column", "is missing from the header")
			ok = false
		}
	}
	return ok
}

func isImportColumn(name string) bool {
	for _, c := range ImportColumns {
		if c == name {
			return true
		}
	}
	return false
}

// csvProblem reports a record that is not CSV (a stray quote, say).
func (r *importReader) csvProblem(err error) {
	line := 1
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		line = pe.StartLine
		err = pe.Err
	}
	if errors.Is(err, errImportTooLarge) {
		r.problem(line, "", "file_too_large", "the file is larger than "+strconv.Itoa(MaxImportBytes>>20)+" MiB; split it", MaxImportBytes>>20)
		return
	}
	r.problem(line, "", "not_csv", "is not valid CSV: "+err.Error())
}

// body reads the rows after the header until the end, the row limit, or a
// line that is not CSV (after which no line number could be trusted).
func (r *importReader) body(cr *csv.Reader) {
	rows := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return
		}
		if err != nil {
			r.csvProblem(err)
			return
		}
		line, _ := cr.FieldPos(0)
		if blank(rec) {
			continue // spreadsheets end files with rows of empty cells
		}
		if rows++; rows > MaxImportRows {
			r.problem(line, "", "too_many_rows", "the file has more than "+strconv.Itoa(MaxImportRows)+" rows; split it", MaxImportRows)
			return
		}
		if len(rec) != len(r.cols) {
			r.problem(line, "", "field_count", fmt.Sprintf("has %d fields, the header %d", len(rec), len(r.cols)), len(rec), len(r.cols))
			continue
		}
		r.row(line, rec)
	}
}

var errImportTooLarge = errors.New("import file too large")

// blank reports whether every cell of rec is empty or spaces.
func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// limitedReader is io.LimitReader that says when the limit cut the file
// short, instead of ending it as if it were whole.
type limitedReader struct {
	r    io.Reader
	left int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		if n, _ := l.r.Read(make([]byte, 1)); n > 0 {
			return 0, errImportTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}
