package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cofferhq/coffer/internal/api"
	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
)

// MaxImportUpload bounds a file uploaded on the import page: 32 MiB holds
// well over 100,000 rows; a larger file (up to ledger.MaxImportBytes) is
// for `coffer import` on the server.
const MaxImportUpload = 32 << 20

// importPath is where the import page takes its upload.
const importPath = "/import"

// UploadLimit is the most of r's body the server reads: the import page's
// upload may hold a file of MaxImportUpload and its envelope; any other
// request no more than a voucher image and its envelope (3 MiB).
func UploadLimit(r *http.Request) int64 {
	if r.Method == http.MethodPost && r.URL.Path == importPath {
		return MaxImportUpload + 1<<20
	}
	return 3 << 20
}

// maxProblemsShown bounds the problems the page lists: a file wrong in
// every one of 200,000 rows would otherwise make a page too large to use.
const maxProblemsShown = 1000

// importExample is the example file the page shows and offers.
var importExample = func() string {
	b, err := staticFiles.ReadFile("static/import-example.csv")
	if err != nil {
		panic(err)
	}
	return strings.TrimSpace(string(b))
}()

type importData struct {
	MaxMB   int
	Example string
	Check   *importCheck
	Done    *importDone
}

// importCheck is what the check of a file shows.
type importCheck struct {
	File     string
	Size     int64
	SHA256   string
	Token    string // "" when the file may not be imported
	Rows     int
	Counts   importCounts
	Problems []importProblem
	More     int // problems beyond those listed
	Total    int // problems in all
}

// importCountsView is what the import_counts template gets.
type importCountsView struct {
	L *locale
	C importCounts
}

type importTotal struct{ Currency, Amount string }

// importCounts are what an import creates, as a check and the page after
// an import both show them.
type importCounts struct {
	NewCustomers, MatchedCustomers, NewAccounts, SkippedAccounts int
	Totals                                                       []importTotal
	// Nothing: the import creates (or created) nothing new; every
	// customer is matched and every account exists already.
	Nothing bool
}

type importProblem struct {
	Line            int
	Column, Message string
}

// importDone is the operation record of an import, as the page after it
// shows: its fields are those auditImport in the store writes.
type importDone struct {
	RecordLink       string            `json:"-"` // the record in the list of operation records
	FileName         string            `json:"file_name"`
	Rows             int               `json:"rows"`
	CustomersCreated int               `json:"customers_created"`
	CustomersMatched int               `json:"customers_matched"`
	AccountsCreated  int               `json:"accounts_created"`
	AccountsSkipped  int               `json:"accounts_skipped"`
	OpeningBalances  map[string]string `json:"opening_balances"`
	Counts           importCounts      `json:"-"`
}

func (q *request) importPage(data importData) *page {
	data.MaxMB, data.Example = MaxImportUpload>>20, importExample
	return q.page(q.L.T("nav.import"), data)
}

// importForm shows the upload form, and after an import (?record=ID) what
// it did.
func (web *Web) importForm(q *request) {
	if !q.need(auth.ActSystem) {
		return
	}
	p, status := q.importPage(importData{}), http.StatusOK
	if id := q.linkID(p, "record"); id != 0 {
		done, err := web.importRecord(q, id)
		if err != nil {
			q.internal(err)
			return
		}
		p = q.importPage(importData{Done: done})
		if done == nil {
			p.Error, status = q.L.Tf("err.bad_link", "record"), http.StatusNotFound
		}
	}
	q.render("import", status, p)
}

// importRecord reads the operation record id of an import; nil when there
// is no such record.
func (web *Web) importRecord(q *request, id int64) (*importDone, error) {
	recs, err := web.store.AuditRecords(q.r.Context(), store.AuditFilter{Action: "import.run", BeforeID: id + 1, Limit: 1})
	if err != nil || len(recs) == 0 || recs[0].ID != id {
		return nil, err
	}
	d := &importDone{RecordLink: "/audit?action=import.run&before=" + itoa(id+1)}
	if err := json.Unmarshal([]byte(recs[0].After), d); err != nil {
		return nil, err
	}
	d.Counts = importCounts{NewCustomers: d.CustomersCreated, MatchedCustomers: d.CustomersMatched,
		NewAccounts: d.AccountsCreated, SkippedAccounts: d.AccountsSkipped, Nothing: d.CustomersCreated == 0 && d.AccountsCreated == 0}
	for _, code := range slices.Sorted(maps.Keys(d.OpeningBalances)) {
		d.Counts.Totals = append(d.Counts.Totals, importTotal{Currency: code, Amount: q.L.Money(d.OpeningBalances[code], code)})
	}
	return d, nil
}

// importUpload takes the uploaded file: "Check file" shows what it would
// do and keeps it for the import; "Import" imports it at once unless it
// has problems.
func (web *Web) importUpload(q *request) {
	if !q.need(auth.ActSystem) {
		return
	}
	p := q.importPage(importData{})
	name, data, ok := q.importFile(p)
	if !ok {
		q.render("import", http.StatusUnprocessableEntity, p)
		return
	}
	sum := sha256.Sum256(data)
	c := &importCheck{File: name, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
	imp, err := web.readImport(q, data)
	if err != nil {
		q.internal(err)
		return
	}
	if len(imp.Problems) == 0 && q.r.PostFormValue("step") == "import" {
		web.importApply(q, p, name, imp)
		return
	}
	if err := web.importPlan(q, c, imp); err != nil {
		q.internal(err)
		return
	}
	status := http.StatusOK
	if len(imp.Problems) > 0 {
		status = http.StatusUnprocessableEntity
		p.Error = q.L.T("err.import_problems")
	} else if !c.Counts.Nothing {
		c.Token = web.imports.put(web.now(), &pendingImport{session: sessionKey(q.secret), sum: c.SHA256, name: name, data: data})
	}
	p.Data = q.importPage(importData{Check: c}).Data
	q.render("import", status, p)
}

// importFile reads the uploaded file; a problem is put beside the field.
func (q *request) importFile(p *page) (string, []byte, bool) {
	f, fh, err := q.r.FormFile("file")
	if err != nil {
		p.Errs["file"] = q.L.T("err.import_no_file")
		p.Error = q.L.T("err.fix_fields")
		return "", nil, false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxImportUpload+1))
	switch {
	case err != nil:
		p.Errs["file"] = q.L.T("err.import_no_file")
	case len(data) > MaxImportUpload:
		p.Errs["file"] = q.L.T("err.import_too_large")
	case len(data) == 0:
		p.Errs["file"] = q.L.T("err.import_empty")
	}
	if len(p.Errs) > 0 {
		p.Error = q.L.T("err.fix_fields")
		return "", nil, false
	}
	// Browsers send the base name; older ones a whole Windows path.
	name := filepath.Base(strings.ReplaceAll(fh.Filename, `\`, "/"))
	if name == "." || name == "/" {
		name = "upload.csv"
	}
	return name, data, true
}

// importPlan fills c with what the file would do and its problems, in the
// operator's language.
func (web *Web) importPlan(q *request, c *importCheck, imp *ledger.Import) error {
	plan, err := web.store.PlanImport(q.r.Context(), imp)
	if err != nil {
		return err
	}
	c.Rows = len(imp.Rows)
	c.Counts = importCounts{NewCustomers: plan.NewCustomers, MatchedCustomers: plan.MatchedCustomers, NewAccounts: plan.NewAccounts,
		SkippedAccounts: plan.SkippedAccounts, Nothing: len(imp.Problems) == 0 && plan.NewCustomers == 0 && plan.NewAccounts == 0}
	for _, t := range plan.Totals() {
		c.Counts.Totals = append(c.Counts.Totals, importTotal{Currency: t.Currency, Amount: q.L.Money(plan.OpeningTotals[t.Currency], t.Currency)})
	}
	c.Total = len(imp.Problems)
	for i, ip := range imp.Problems {
		if i == maxProblemsShown {
			c.More = len(imp.Problems) - i
			break
		}
		msg := q.fieldMessage(ledger.FieldProblem{Field: ip.Column, Reason: ip.Reason, Message: ip.Message, Params: ip.Params})
		c.Problems = append(c.Problems, importProblem{Line: ip.Line, Column: ip.Column, Message: msg})
	}
	return nil
}

// importConfirm imports the file a check kept, when the form names the
// check (its token) and the file it showed (its SHA-256). The store plans
// the import again in its transaction, so what changed since the check is
// taken into account (a customer created meanwhile is matched).
func (web *Web) importConfirm(q *request) {
	if !q.need(auth.ActSystem) {
		return
	}
	p := q.importPage(importData{})
	token, sum := q.r.PostFormValue("token"), q.r.PostFormValue("sha256")
	pend, ok := web.imports.take(web.now(), token, sessionKey(q.secret), sum)
	if !ok {
		p.Error = q.L.T("err.import_stale")
		q.render("import", http.StatusConflict, p)
		return
	}
	imp, err := web.readImport(q, pend.data)
	if err != nil {
		q.internal(err)
		return
	}
	if !web.importApply(q, p, pend.name, imp) {
		web.imports.restore(token, pend)
	}
}

// importApply imports imp and sends the browser to what it did; it
// reports whether the import ran.
func (web *Web) importApply(q *request, p *page, name string, imp *ledger.Import) bool {
	_, err := web.store.ApplyImport(q.r.Context(), q.actor(), name, imp)
	if errors.Is(err, ledger.ErrStaleVersion) { // the phone region changed since the check
		p.Error = q.L.T("err.import_stale")
		q.render("import", http.StatusConflict, p)
		return false
	}
	if err != nil {
		if !q.formErrors(p, err) {
			q.internal(err)
			return false
		}
		q.render("import", api.StatusOf(err), p)
		return false
	}
	// The record is the newest import of this administrator: the one
	// just written, unless another tab imported in between (then the
	// page shows that one, which names its file).
	recs, err := web.store.AuditRecords(q.r.Context(), store.AuditFilter{Action: "import.run", ActorID: q.p.Admin.ID, Limit: 1})
	if err != nil || len(recs) == 0 {
		q.internal(errors.Join(err, errors.New("import: no operation record")))
		return true
	}
	q.redirect(importPath + "?record=" + itoa(recs[0].ID))
	return true
}

// readImport reads a file's rows with the phones in the form the
// phone_region setting gives the customers they are matched with.
func (web *Web) readImport(q *request, data []byte) (*ledger.Import, error) {
	st, err := web.store.Settings(q.r.Context())
	if err != nil {
		return nil, err
	}
	return ledger.ReadImport(bytes.NewReader(data), st.PhoneRegion), nil
}
