package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/cofferhq/coffer/internal/api"
	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
)

// Four-eyes approvals (SPEC section 9), beside the recharge audit: a queue
// of what waits for a second person, and a page per approval where someone
// other than the requester approves it (which applies it) or rejects it.
// Every decision names the version the decider saw (SPEC section 7).

// approvalView is an approval with the names an operator reads it by.
type approvalView struct {
	ledger.Approval
	CustomerID                 int64
	CustomerName, AccountNo    string
	RequesterName, DeciderName string
	Adjustment                 *store.AdjustmentRequest
	Credit                     *store.CreditChangeRequest
}

// SignedAmount is the amount as the account would see it: a debit
// negative; a credit change shows the credit limit asked for.
func (v approvalView) SignedAmount() int64 {
	if v.Adjustment != nil && v.Adjustment.Direction == ledger.Debit {
		return -v.Amount
	}
	return v.Amount
}

// approvalView names a's account, customer and administrators.
func (web *Web) approvalView(ctx context.Context, a ledger.Approval, admins map[int64]string) (approvalView, error) {
	v := approvalView{Approval: a, RequesterName: admins[a.RequestedBy], DeciderName: admins[a.DecidedBy]}
	acc, err := web.store.Account(ctx, a.AccountID)
	if err != nil {
		return v, err
	}
	v.CustomerID, v.AccountNo = acc.CustomerID, acc.Number
	c, err := web.store.Customer(ctx, acc.CustomerID)
	if err != nil {
		return v, err
	}
	v.CustomerName = c.Name
	if a.Kind == ledger.ApprovalAdjustment {
		v.Adjustment = &store.AdjustmentRequest{}
		return v, json.Unmarshal(a.Request, v.Adjustment)
	}
	v.Credit = &store.CreditChangeRequest{}
	return v, json.Unmarshal(a.Request, v.Credit)
}

// adminNames names every administrator by id, disabled ones too.
func (web *Web) adminNames(ctx context.Context) (map[int64]string, error) {
	as, err := web.store.Admins(ctx)
	names := map[int64]string{}
	for _, a := range as {
		names[a.ID] = a.Username
		if a.Name != "" {
			names[a.ID] = a.Name
		}
	}
	return names, err
}

type approvalsData struct {
	Rows   []approvalView
	Status string
	Older  string // the link to the next page, if any
}

// approvals is the queue: pending approvals by default, newest first.
func (web *Web) approvals(q *request) {
	v := queryWithoutDone(q)
	status := v.Get("status")
	if status == "" {
		status = string(ledger.ApprovalPending)
	}
	if !slices.Contains([]string{"pending", "approved", "rejected", "cancelled", "all"}, status) {
		status = string(ledger.ApprovalPending) // a link of our own never says otherwise
	}
	f := store.ApprovalFilter{Limit: 50}
	if status != "all" {
		f.Status = ledger.ApprovalStatus(status)
	}
	f.BeforeID, _ = strconv.ParseInt(v.Get("before"), 10, 64)
	ctx := q.r.Context()
	as, err := web.store.Approvals(ctx, f)
	if err != nil {
		q.internal(err)
		return
	}
	names, err := web.adminNames(ctx)
	if err != nil {
		q.internal(err)
		return
	}
	d := approvalsData{Status: status}
	for _, a := range as {
		row, err := web.approvalView(ctx, a, names)
		if err != nil {
			q.internal(err)
			return
		}
		d.Rows = append(d.Rows, row)
	}
	if len(as) == f.Limit {
		d.Older = "/approvals?" + url.Values{"status": {status}, "before": {itoa(as[len(as)-1].ID)}}.Encode()
	}
	q.render("approvals", http.StatusOK, q.page(q.L.T("nav.approvals"), d))
}

// approvalData is one approval on its page.
type approvalData struct {
	A         approvalView
	FormToken string
	// Decide is whether the decision form is offered; when it is not, Why
	// says why: "own" (the requester), "role" (may not decide this kind),
	// or "" (decided already: the status says so).
	Decide, Cancel bool
	Why            string
	Seen           int64 // after a stale form: the version it was made on
}

func (web *Web) approvalPage(q *request) {
	id, ok := q.pathID()
	if !ok {
		return
	}
	web.renderApproval(q, q.page("", nil), id, 0, http.StatusOK)
}

// renderApproval writes approval id's page; p keeps what a refused form had
// typed. seen is the version a stale form was made on (0: none).
func (web *Web) renderApproval(q *request, p *page, id, seen int64, status int) {
	ctx := q.r.Context()
	a, err := web.store.Approval(ctx, id)
	if err != nil {
		q.failErr(err)
		return
	}
	names, err := web.adminNames(ctx)
	if err != nil {
		q.internal(err)
		return
	}
	v, err := web.approvalView(ctx, a, names)
	if err != nil {
		q.internal(err)
		return
	}
	d := approvalData{A: v, FormToken: randomToken(), Seen: seen}
	pending := a.Status == ledger.ApprovalPending
	switch {
	case !pending:
	case a.RequestedBy == q.actor().AdminID:
		d.Why, d.Cancel = "own", q.can(auth.ActOperate)
	case !q.can(auth.ApprovalAction(a.Kind)):
		d.Why = "role"
	default:
		d.Decide = true
	}
	p.Title, p.Path, p.Data = q.L.Tf("approvals.title", a.ID), "/approvals/"+itoa(a.ID), d
	q.render("approval", status, p)
}

func (web *Web) approvalApprove(q *request) { web.decideApproval(q, "approve") }
func (web *Web) approvalReject(q *request)  { web.decideApproval(q, "reject") }
func (web *Web) approvalCancel(q *request)  { web.decideApproval(q, "cancel") }

// decideApproval records a decision from the approval's page. A form whose
// version is no longer current (or that has none) changes nothing: the
// decider gets the approval as it is now, to decide again.
func (web *Web) decideApproval(q *request, what string) {
	if !q.need(auth.ActView) {
		return
	}
	id, ok := q.pathID()
	if !ok {
		return
	}
	ctx, f := q.r.Context(), q.r.PostForm
	a, err := web.store.Approval(ctx, id)
	if err != nil {
		q.failErr(err)
		return
	}
	if what != "cancel" && !q.need(auth.ApprovalAction(a.Kind)) {
		return
	}
	p := q.page("", nil)
	p.Form = f
	d := store.ApprovalDecision{Remark: strings.TrimSpace(f.Get("remark"))}
	version, verr := strconv.ParseInt(f.Get("version"), 10, 64)
	switch {
	case what == "cancel":
		_, err = web.store.CancelApproval(ctx, q.actor(), id, q.idem())
	case verr != nil || version != a.Version:
		err = ledger.ErrStaleVersion
	case what == "approve":
		d.Version = &version
		_, err = web.store.ApproveApproval(ctx, q.actor(), id, d, q.idem())
	default:
		d.Version = &version
		_, err = web.store.RejectApproval(ctx, q.actor(), id, d, q.idem())
	}
	web.afterDecision(q, p, id, what, version, err)
}

// afterDecision sends the browser on after a decision, or back to the
// approval's page with why it was refused beside the field or above it.
func (web *Web) afterDecision(q *request, p *page, id int64, what string, seen int64, err error) {
	done := map[string]string{"approve": "approval_approved", "reject": "approval_rejected", "cancel": "approval_cancelled"}[what]
	switch {
	case err == nil && what == "cancel":
		q.redirect("/approvals/" + itoa(id) + "?done=" + done)
	case err == nil:
		q.redirect("/approvals?done=" + done)
	case errors.Is(err, ledger.ErrStaleVersion):
		p.Error = q.L.T(ledger.ErrStaleVersion.Key())
		web.renderApproval(q, p, id, seen, http.StatusConflict)
	case errors.Is(err, ledger.ErrInsufficientFunds):
		p.Error = q.L.T("approvals.insufficient")
		web.renderApproval(q, p, id, 0, http.StatusUnprocessableEntity)
	case q.formErrors(p, err):
		web.renderApproval(q, p, id, 0, api.StatusOf(err))
	default:
		q.internal(err)
	}
}

// queuedTo is where a form that was sent to approval goes next: back with
// the message that says so and links to the approval.
func queuedTo(path string, a *ledger.Approval) string {
	return withDone(path, "queued") + "&approval=" + itoa(a.ID)
}
