package web

import (
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
)

// option is one choice of a filter's select.
type option struct{ Value, Label string }

type auditData struct {
	Items   []recordView
	Pager   pager
	Admins  []ledger.Admin
	Actions []option
	Objects []option
}

// audit lists operation records, newest first, paged by number; others
// than super admins see their own (SPEC section 3).
func (web *Web) audit(q *request) {
	v := q.r.URL.Query()
	p := q.page(q.L.T("nav.audit"), nil)
	admins, err := web.store.Admins(q.r.Context())
	if err != nil {
		q.internal(err)
		return
	}
	d := auditData{Admins: admins, Actions: labelled(q.L, "audit.act.", auditActions), Objects: labelled(q.L, "audit.obj.", auditObjects),
		Pager: newPager(q.L, "/audit", v, 0, 0)}
	p.Data = d
	f := web.auditFilter(q, p, v)
	if q.queryRefused("audit", p) {
		return
	}
	total, err := web.store.AuditCount(q.r.Context(), f)
	if err != nil {
		q.internal(err)
		return
	}
	records, err := web.store.AuditRecords(q.r.Context(), f)
	if err != nil {
		q.internal(err)
		return
	}
	rc, err := web.recordContext(q, admins)
	if err != nil {
		q.internal(err)
		return
	}
	for _, r := range records {
		d.Items = append(d.Items, rc.view(r))
	}
	d.Pager = newPager(q.L, "/audit", v, total, len(records))
	p.Data = d
	q.render("audit", http.StatusOK, p)
}

// auditFilter reads the filters of the audit page into a store filter; a
// value that is not one the page offers is marked beside its field.
func (web *Web) auditFilter(q *request, p *page, v url.Values) store.AuditFilter {
	p.Form = v
	_, size, offset := pageOf(v)
	// Who is a select and the object's id comes from links (another page's
	// "operation records" of one object): a value that does not parse is
	// a link gone wrong. before is the cursor of links from before the
	// list was paged by number.
	f := store.AuditFilter{Action: v.Get("action"), ObjectType: v.Get("object_type"), Offset: offset, Limit: size,
		ActorID: q.linkID(p, "actor_id"), BeforeID: q.cursor(p, "before")}
	if id := q.linkID(p, "object_id"); id != 0 {
		f.ObjectID = itoa(id)
	}
	if f.Action != "" && !slices.Contains(auditActions, f.Action) {
		p.Errs["action"] = q.L.T("err.invalid")
	}
	if f.ObjectType != "" && !slices.Contains(auditObjects, f.ObjectType) {
		p.Errs["object_type"] = q.L.T("err.invalid")
	}
	if !q.can(auth.ActAllRecords) {
		f.ActorID = q.p.Admin.ID
	}
	f.From = q.dayField(p, v, "from", 0)
	f.To = q.dayField(p, v, "to", 1)
	if f.From != nil && f.To != nil && !f.To.After(*f.From) {
		p.Errs["to"] = q.L.T("audit.to_before_from")
	}
	return f
}

// dayField reads a date field as the start of that day, plus days, in
// the business time zone; empty is nil.
func (q *request) dayField(p *page, v url.Values, field string, days int) *time.Time {
	s := v.Get(field)
	if s == "" {
		return nil
	}
	t, err := time.ParseInLocation(time.DateOnly, s, q.L.loc)
	if err != nil {
		p.Errs[field] = q.L.T("err.date")
		return nil
	}
	t = store.StartOfDay(t.Year(), t.Month(), t.Day()+days, q.L.loc)
	return &t
}

// recordContext gathers what labelling records needs.
func (web *Web) recordContext(q *request, admins []ledger.Admin) (recordContext, error) {
	rc := recordContext{L: q.L, Admins: map[int64]ledger.Admin{}, Methods: map[int64]store.PaymentMethod{}, System: q.can(auth.ActSystem)}
	for _, a := range admins {
		rc.Admins[a.ID] = a
	}
	methods, err := web.store.PaymentMethods(q.r.Context())
	for _, m := range methods {
		rc.Methods[m.ID] = m
	}
	return rc, err
}

// labelled pairs codes with their labels under prefix, for a select.
func labelled(l *locale, prefix string, codes []string) []option {
	out := make([]option, len(codes))
	for i, c := range codes {
		out[i] = option{Value: c, Label: l.T(prefix + c)}
	}
	return out
}
