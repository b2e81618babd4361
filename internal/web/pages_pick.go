package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
)

// pickForms are the money forms the picker leads to.
var pickForms = []string{"recharge", "charge", "adjust"}

// pickLimit is how many customers, and accounts, the picker lists: enough
// to see whom a search found, few enough to read at a glance.
const pickLimit = 8

// pickData is the customer and account picker of the money forms: what was
// searched and what it found. L is there because the results are rendered
// with it as their dot, on a form's page and alone for htmx.
type pickData struct {
	L         *locale
	For       string // the form a choice leads to, one of pickForms
	Q         string
	Searched  bool
	Customers []ledger.Customer
	Accounts  []store.AccountRow // accounts whose number holds the query
	Now       time.Time
}

// Href is the form's address with one choice made: customer_id or
// account_id.
func (d pickData) Href(name string, id int64) string {
	return "/" + d.For + "?" + url.Values{name: {itoa(id)}}.Encode()
}

// Available is what an account can still spend, for the results.
func (d pickData) Available(a ledger.Account) int64 {
	v, _ := a.Available(d.Now) // both terms are bounded far inside int64
	return v
}

// Closed tells an account the form cannot post to, shown but not offered:
// a disabled one takes nothing, a frozen one no consumption (it still
// takes credits, so an adjustment may choose it).
func (d pickData) Closed(a ledger.Account) bool {
	return a.Status == ledger.StatusDisabled || (a.Status == ledger.StatusFrozen && d.For == "charge")
}

// pickQuery is the text to search for: a phone number typed with spaces,
// hyphens, dots or parentheses is searched without them, as it is stored;
// digits alone are also part of an account number (number tells).
func pickQuery(s string) (text string, number bool) {
	text = strings.TrimSpace(s)
	bare := strings.Map(func(r rune) rune {
		if strings.ContainsRune(" -.()", r) {
			return -1
		}
		return r
	}, text)
	digits := strings.TrimPrefix(bare, "+")
	if asciiDigits(digits) {
		return bare, bare == digits
	}
	return text, false
}

// pickSearch finds the customers whose name, phone, email or company holds
// the text typed, and the accounts whose number does.
func (web *Web) pickSearch(q *request, form, typed string) (pickData, error) {
	d := pickData{L: q.L, For: form, Q: strings.TrimSpace(typed), Now: web.now()}
	if d.Q == "" {
		return d, nil
	}
	d.Searched = true
	text, number := pickQuery(d.Q)
	var err error
	if d.Customers, err = web.store.Customers(q.r.Context(), store.CustomerFilter{Q: text, Limit: pickLimit}); err != nil {
		return d, err
	}
	if !number {
		return d, nil
	}
	// AccountFilter.Q also finds the accounts of the customers found
	// above; of those only the ones whose number holds the digits are new.
	accs, err := web.store.Accounts(q.r.Context(), store.AccountFilter{Q: text, Sort: "number", Limit: 50})
	for _, a := range accs {
		if strings.Contains(a.Number, text) && len(d.Accounts) < pickLimit {
			d.Accounts = append(d.Accounts, a)
		}
	}
	// The whole number typed is that account: it goes first.
	slices.SortStableFunc(d.Accounts, func(a, b store.AccountRow) int {
		return boolRank(a.Number == text) - boolRank(b.Number == text)
	})
	return d, err
}

func boolRank(exact bool) int {
	if exact {
		return 0
	}
	return 1
}

// exactAccount is the account whose whole number was typed, if one was.
func (d pickData) exactAccount() (store.AccountRow, bool) {
	text, _ := pickQuery(d.Q)
	for _, a := range d.Accounts {
		if a.Number == text {
			return a, true
		}
	}
	return store.AccountRow{}, false
}

// pick answers the picker's search as the user types (htmx): the list of
// matches, each a link to the form with that choice made. Without htmx the
// form's own page searches (?q=), so a plain request goes there.
func (web *Web) pick(q *request) {
	if !q.need(auth.ActOperate) {
		return
	}
	v := q.r.URL.Query()
	form := v.Get("for")
	if !slices.Contains(pickForms, form) {
		form = "charge"
	}
	if q.r.Header.Get("HX-Request") != "true" {
		q.redirect("/" + form + "?" + url.Values{"q": {v.Get("q")}}.Encode())
		return
	}
	d, err := web.pickSearch(q, form, v.Get("q"))
	if err != nil {
		q.internal(err)
		return
	}
	q.renderBlock("pick", "fragment", http.StatusOK, q.page("", d))
}
