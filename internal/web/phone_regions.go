package web

import (
	"slices"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/cofferhq/coffer/internal/ledger"
)

// regionOption is one choice of the phone_region setting, named in the
// page's language: "China (CN)", "中国 (CN)".
type regionOption struct{ Code, Name string }

// phoneRegionOptions are the regions the numbering plan knows, sorted by
// their names in lang.
func phoneRegionOptions(lang string) []regionOption {
	tag := language.English
	if lang == "zh-CN" {
		tag = language.SimplifiedChinese
	}
	names := display.Regions(tag)
	var out []regionOption
	for code := range ledger.PhoneRegions() {
		name := code
		if r, err := language.ParseRegion(code); err == nil {
			if n := names.Name(r); n != "" {
				name = n
			}
		}
		out = append(out, regionOption{Code: code, Name: name})
	}
	c := collate.New(tag)
	slices.SortFunc(out, func(a, b regionOption) int { return c.CompareString(a.Name, b.Name) })
	return out
}

// phoneReportView is the last phone_region change's report as the
// settings page shows it: the numbers left alone, each with its customers
// to open, the first reportShown of each kind.
type phoneReportView struct {
	ledger.PhoneReport
	Shared  []sharedPhone
	Refused []refusedPhone
}

type sharedPhone struct {
	Phone     string
	Customers []ledger.Customer
}

type refusedPhone struct {
	Customer ledger.Customer
	Phone    string
	Why      string // in the page's language
}

const reportShown = 50

// Issues says whether the report left numbers for someone to decide on.
func (v *phoneReportView) Issues() bool {
	return v != nil && (len(v.Collisions) > 0 || len(v.Unreadable) > 0)
}

// phoneReport reads the report of the last phone_region change, nil when
// there was none.
func (web *Web) phoneReport(q *request) (*phoneReportView, error) {
	rep, ok, err := web.store.PhoneReport(q.r.Context())
	if err != nil || !ok {
		return nil, err
	}
	v := &phoneReportView{PhoneReport: rep}
	customer := func(id int64) ledger.Customer {
		c, err := web.store.Customer(q.r.Context(), id)
		if err != nil {
			c = ledger.Customer{ID: id} // archived since, or gone: the id still says who
		}
		return c
	}
	for _, c := range rep.Collisions[:min(reportShown, len(rep.Collisions))] {
		sp := sharedPhone{Phone: c.Phone}
		for _, id := range c.CustomerIDs {
			sp.Customers = append(sp.Customers, customer(id))
		}
		v.Shared = append(v.Shared, sp)
	}
	for _, u := range rep.Unreadable[:min(reportShown, len(rep.Unreadable))] {
		v.Refused = append(v.Refused, refusedPhone{Customer: customer(u.CustomerID), Phone: u.Phone,
			Why: q.L.Tf("why."+u.Reason, rep.Region)})
	}
	return v, nil
}
