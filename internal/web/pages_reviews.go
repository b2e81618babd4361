package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/cofferhq/coffer/internal/api"
	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/store"
)

// The recharge audit (G 3.2): a queue of pending requests, oldest first,
// and a page per request where a reviewer approves or rejects it. Every
// decision names the version the reviewer saw (SPEC section 7).

type queueData struct {
	Rows    []store.TopUpRow
	Methods map[int64]string
	Pager   pager
}

// methodNames names each payment method by its id, disabled ones too: old
// requests keep the method they chose.
func (web *Web) methodNames(q *request) (map[int64]string, error) {
	ms, err := web.store.PaymentMethods(q.r.Context())
	names := map[int64]string{}
	for _, m := range ms {
		names[m.ID] = methodLabel(q.L, m)
	}
	return names, err
}

// queryWithoutDone is a list page's query without the one-off message of the
// action that led to it, so that paging on does not repeat it.
func queryWithoutDone(q *request) url.Values {
	v := q.r.URL.Query()
	v.Del("done")
	return v
}

// reviews is the recharge audit queue: who has waited longest comes first.
func (web *Web) reviews(q *request) {
	v := queryWithoutDone(q)
	_, size, offset := pageOf(v)
	rows, total, err := web.store.TopUpPage(q.r.Context(), store.TopUpQuery{TopUpFilter: store.TopUpFilter{Status: ledger.TopUpPending},
		Offset: offset, Size: size, OldestFirst: true})
	if err != nil {
		q.internal(err)
		return
	}
	names, err := web.methodNames(q)
	if err != nil {
		q.internal(err)
		return
	}
	p := q.page(q.L.T("nav.reviews"), queueData{Rows: rows, Methods: names, Pager: newPager(q.L, "/reviews", v, total, len(rows))})
	q.render("reviews", http.StatusOK, p)
}

// reviewData is one request on its review page.
type reviewData struct {
	T         store.TopUpRow
	Methods   map[int64]string
	FormToken string
	// Decide is whether the decision form is offered; when it is not,
	// Why says why: "own" (the submitter), "role" (not a reviewer), or ""
	// (decided already: the status says so).
	Decide bool
	Why    string
	Seen   int64 // after a stale form: the version it was made on
	// BonusHint is the bonus approving the amount would credit beside it,
	// under today's promotion rules (SPEC 11).
	BonusHint *bonusHint
}

// reviewPage shows a request with the decision form, its amount and
// exchange rate filled in with what the page shows.
func (web *Web) reviewPage(q *request) {
	id, ok := q.pathID()
	if !ok {
		return
	}
	t, err := web.store.TopUpRowOf(q.r.Context(), id)
	if err != nil {
		q.failErr(err)
		return
	}
	p := q.page(t.Number(), nil)
	web.renderReview(q, p, t, true, 0, http.StatusOK)
}

// renderReview writes the review page of t. A fresh form starts with the
// request's own amount and rate 1; a refused one keeps what was typed.
// seen is the version a stale form was made on (0: none).
func (web *Web) renderReview(q *request, p *page, t store.TopUpRow, fresh bool, seen int64, status int) {
	names, err := web.methodNames(q)
	if err != nil {
		q.internal(err)
		return
	}
	d := reviewData{T: t, Methods: names, FormToken: randomToken(), Seen: seen}
	switch {
	case t.Status != ledger.TopUpPending:
	case !q.can(auth.ActReview):
		d.Why = "role"
	case t.CheckReviewer(q.actor(), false) != nil:
		d.Why = "own"
	default:
		d.Decide = true
	}
	if fresh { // the remark typed into a stale form stays: it is not about the amount
		cur, _ := money.LookupCurrency(t.Currency)
		p.Form = url.Values{"actual_amount": {money.New(t.Amount, cur).String()}, "exchange_rate": {"1"}, "remark": {p.Form.Get("remark")}}
	}
	if d.Decide {
		if d.BonusHint, err = web.bonusHintFor(q, p.Form.Get("actual_amount"), t.Currency); err != nil {
			q.internal(err)
			return
		}
	}
	// A refused form's page is the review page: its menu entry, and where
	// the language buttons come back to.
	p.Path = "/reviews/" + itoa(t.ID)
	p.Data = d
	q.render("review", status, p)
}

func (web *Web) approve(q *request) { web.decide(q, true) }

func (web *Web) reject(q *request) { web.decide(q, false) }

// decide records a reviewer's decision from the review page. A form whose
// version is no longer current (or that has none) changes nothing: the
// reviewer gets the request as it is now, to decide again.
func (web *Web) decide(q *request, approve bool) {
	t, p, ok := web.postedTopUp(q, auth.ActReview)
	if !ok {
		return
	}
	id, f := t.ID, q.r.PostForm
	d := store.TopUpDecision{Approve: approve, Remark: f.Get("remark")}
	// A stale form is told so before anything about its fields: what it
	// shows is no longer the request. The store checks again under its lock.
	version, err := strconv.ParseInt(f.Get("version"), 10, 64)
	switch {
	case err != nil || version != t.Version:
		err = ledger.ErrStaleVersion
	default:
		d.Version = &version
		err = q.readDecision(t, &d)
	}
	if err == nil {
		_, err = web.store.ReviewTopUp(q.r.Context(), q.actor(), id, d, q.idem())
	}
	switch {
	case err == nil && approve:
		q.redirect("/reviews?done=approved")
	case err == nil:
		q.redirect("/reviews?done=rejected")
	case errors.Is(err, ledger.ErrStaleVersion), errors.Is(err, ledger.ErrNotPending):
		web.redecide(q, p, id, version, err)
	case q.formErrors(p, err):
		web.renderReview(q, p, t, false, 0, api.StatusOf(err))
	default:
		q.internal(err)
	}
}

// readDecision reads the form's amount and rate (approval) or insists on
// a remark (rejection: the submitter must learn why), noting each problem
// beside its field. The amount is required: the form starts with the
// amount it showed, and an empty box must not mean "whatever the request
// says by the time it is approved".
func (q *request) readDecision(t store.TopUpRow, d *store.TopUpDecision) error {
	var problems []ledger.FieldProblem
	add := func(err error) {
		var ve *ledger.ValidationError
		if errors.As(err, &ve) {
			problems = append(problems, ve.Problems...)
		}
	}
	f := q.r.PostForm
	if !d.Approve {
		if strings.TrimSpace(d.Remark) == "" {
			add(ledger.InvalidBecause("remark", "required", "is required"))
		}
	} else {
		d.ExchangeRate = strings.TrimSpace(f.Get("exchange_rate"))
		if d.ExchangeRate != "" {
			add(ledger.ValidExchangeRate(d.ExchangeRate))
		}
		cur, _ := money.LookupCurrency(t.Currency)
		if s := strings.TrimSpace(f.Get("actual_amount")); s == "" {
			add(ledger.InvalidBecause("actual_amount", "required", "is required"))
		} else if a, err := money.ParsePositive(s, cur); err != nil {
			add(ledger.AmountProblem("actual_amount", err))
		} else {
			m := a.Minor()
			d.ActualAmount = &m
		}
	}
	if problems != nil {
		return &ledger.ValidationError{Problems: problems}
	}
	return nil
}

// redecide answers a form that came too late, a stale one or one on a
// request decided since, with the request as it is now, and says why.
func (web *Web) redecide(q *request, p *page, id, seen int64, why error) {
	t, err := web.store.TopUpRowOf(q.r.Context(), id)
	if err != nil {
		q.failErr(err)
		return
	}
	p.Errs = map[string]string{}
	p.Error = q.L.T(ledger.ErrStaleVersion.Key())
	if errors.Is(why, ledger.ErrNotPending) || t.Status != ledger.TopUpPending {
		p.Error = q.L.T(ledger.ErrNotPending.Key())
	}
	p.Title = t.Number()
	web.renderReview(q, p, t, true, seen, http.StatusConflict)
}
