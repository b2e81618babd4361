// Package demo fills an empty Coffer database with realistic demo data, so
// that a newcomer sees a living system: administrators of every role,
// customers in several countries and currencies, and months of top-up
// requests with their reviews, charges, adjustments, reversals, credit and
// low-balance alerts.
//
// Everything goes through the store, exactly as the API would do it, so the
// ledger's rules hold and every change has its operation record. The store
// runs on a Clock that the generator moves from one simulated event to the
// next, so each record carries the time it would have had. The same seed,
// configuration and end time give the same data.
package demo

import (
	"bytes"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/store"
)

// Config says how much demo data to make.
type Config struct {
	Customers int       // how many customers (default 300)
	Days      int       // days of history up to End (default 90)
	Seed      uint64    // the same seed, config and End give the same data
	End       time.Time // when the history ends (default: now)
	Password  string    // of every demo administrator, at least 10 characters
	Progress  io.Writer // if set, gets a line every ten simulated days
}

// Login is a demo administrator.
type Login struct {
	Username, Name string
	Role           ledger.Role
}

// Result counts what Run made.
type Result struct {
	Admins                                         []Login
	Customers, Accounts                            int
	TopUps, Approved, Rejected, Cancelled, Pending int
	Charges, Adjustments, Reversals                int
	BelowAlert                                     int64
}

// ErrNotEmpty: the demo fills only a database that has no administrator
// and no customer yet, so that it never mixes with real data.
var ErrNotEmpty = errors.New("the database is not empty: coffer demo fills only a new, empty database")

// Clock is the store's clock during a run. It stands still between events;
// the generator moves it forward to each event's time.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now is the simulated time; pass it as store.Options.Now.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *Clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
}

// Start is when a run with cfg begins: the first simulated day, at
// midnight UTC. Open the store with NewClock(Start(cfg)).Now.
func Start(cfg Config) time.Time {
	cfg = cfg.withDefaults()
	y, m, d := cfg.End.UTC().AddDate(0, 0, -cfg.Days).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func (c Config) withDefaults() Config {
	if c.Customers <= 0 {
		c.Customers = 300
	}
	if c.Days <= 0 {
		c.Days = 90
	}
	if c.End.IsZero() {
		c.End = time.Now()
	}
	c.End = c.End.UTC().Truncate(time.Microsecond)
	return c
}

// account is a customer account as the generator knows it.
type account struct {
	id, customerID int64
	cur            money.Currency
	reg            *region
	trade          trade
	business       bool
	dormant        bool    // stops topping up: ends up below its alert amount
	rate           float64 // charges per day
	pending        bool    // a top-up request of theirs awaits review
	lastCharge     int64   // for corrections
}

// request is a top-up request waiting for review.
type request struct {
	id        int64
	acc       *account
	submitter ledger.Actor
	at        time.Time
	done      bool
}

// event is something that happens at a simulated time; seq keeps events of
// the same time in the order they were planned, so runs repeat exactly.
type event struct {
	at  time.Time
	seq int
	do  func() error
}

type events []*event

func (e events) Len() int { return len(e) }
func (e events) Less(i, j int) bool {
	if !e[i].at.Equal(e[j].at) {
		return e[i].at.Before(e[j].at)
	}
	return e[i].seq < e[j].seq
}
func (e events) Swap(i, j int) { e[i], e[j] = e[j], e[i] }
func (e *events) Push(x any)   { *e = append(*e, x.(*event)) }
func (e *events) Pop() any {
	old := *e
	x := old[len(old)-1]
	*e = old[:len(old)-1]
	return x
}

// gen is one run's state.
type gen struct {
	ctx   context.Context
	st    *store.Store
	clock *Clock
	r     *rand.Rand
	cfg   Config
	res   Result
	start time.Time

	queue events
	seq   int

	// today is the business day of cfg.End in the business time zone,
	// [today[0], today[1]): see dayTime.
	today [2]time.Time

	supers, clerks, reviewers []ledger.Actor
	billing                   ledger.Actor // a program token of the shop's billing system
	methods                   map[string]int64
	accounts                  []*account
	requests                  []*request
	charges                   []int64 // charge ids, for reversals
	topups                    []int64 // top-up transaction ids
	reversed                  map[int64]bool
	phones, emails            map[string]bool
	refNo                     int
}

// Run fills st, which must be empty and opened with clock.Now, where clock
// was made with NewClock(Start(cfg)).
func Run(ctx context.Context, st *store.Store, clock *Clock, cfg Config) (Result, error) {
	cfg = cfg.withDefaults()
	if err := auth.ValidatePassword(cfg.Password); err != nil {
		return Result{}, fmt.Errorf("demo password %v", err)
	}
	if n, err := st.CountAdmins(ctx); err != nil || n > 0 {
		if err == nil {
			err = ErrNotEmpty
		}
		return Result{}, err
	}
	if cs, err := st.Customers(ctx, store.CustomerFilter{Limit: 1}); err != nil || len(cs) > 0 {
		if err == nil {
			err = ErrNotEmpty
		}
		return Result{}, err
	}
	g := &gen{ctx: ctx, st: st, clock: clock, r: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)), cfg: cfg,
		start: Start(cfg), methods: map[string]int64{}, reversed: map[int64]bool{}, phones: map[string]bool{}, emails: map[string]bool{}}
	clock.set(g.start)
	var err error
	if g.today, err = businessDay(ctx, st, cfg.End); err != nil {
		return Result{}, err
	}
	if err := g.setUp(); err != nil {
		return g.res, err
	}
	g.plan()
	day := -1
	for g.queue.Len() > 0 {
		ev := heap.Pop(&g.queue).(*event)
		if ev.at.After(cfg.End) {
			continue // the future has not happened yet
		}
		clock.set(ev.at)
		if err := ev.do(); err != nil {
			return g.res, fmt.Errorf("demo at %s: %w", ev.at.Format(time.RFC3339), err)
		}
		if d := int(ev.at.Sub(g.start) / (24 * time.Hour)); d != day && d%10 == 0 && cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "  %s: %d customers, %d charges, %d top-up requests\n", ev.at.Format(time.DateOnly), g.res.Customers, g.res.Charges, g.res.TopUps)
			day = d
		}
	}
	for _, q := range g.requests {
		if !q.done {
			g.res.Pending++
		}
	}
	if _, err := st.SealAudit(ctx); err != nil {
		return g.res, err
	}
	totals, err := st.ReportTotals(ctx)
	if err != nil {
		return g.res, err
	}
	for _, t := range totals {
		g.res.BelowAlert += t.BelowAlert
	}
	return g.res, nil
}

// businessDay is the day of t in the business time zone, from its
// midnight to the next.
func businessDay(ctx context.Context, st *store.Store, t time.Time) ([2]time.Time, error) {
	settings, err := st.Settings(ctx)
	if err != nil {
		return [2]time.Time{}, err
	}
	loc := settings.Location()
	t = t.In(loc)
	return [2]time.Time{store.StartOfDay(t.Year(), t.Month(), t.Day(), loc), store.StartOfDay(t.Year(), t.Month(), t.Day()+1, loc)}, nil
}

// at schedules fn at t.
func (g *gen) at(t time.Time, fn func() error) {
	g.seq++
	heap.Push(&g.queue, &event{at: t, seq: g.seq, do: fn})
}

// dayTime returns the start of simulated day d plus a random time between
// hour from and hour to.
//
// Today's routine is squeezed into the part of today that has passed: a
// time of today, between its midnight and the next in the business time
// zone, becomes as far into [midnight, End) as it was into the whole day.
// Whenever the demo runs, the console's Today (dashboard, an admin's
// report) then shows a whole day's charges, top-ups and reviews, all of
// them already past.
func (g *gen) dayTime(d int, from, to float64) time.Time {
	h := from + g.r.Float64()*(to-from)
	t := g.start.AddDate(0, 0, d).Add(time.Duration(h * float64(time.Hour)))
	if midnight, next := g.today[0], g.today[1]; !t.Before(midnight) && t.Before(next) {
		passed := float64(t.Sub(midnight)) / float64(next.Sub(midnight))
		t = midnight.Add(time.Duration(passed * float64(g.cfg.End.Sub(midnight))))
	}
	return t.Truncate(time.Second)
}

// squeezed is a span of the simulated day as long as it is now: shorter
// today, whose routine is squeezed into the part that has passed (dayTime).
func (g *gen) squeezed(d time.Duration) time.Duration {
	midnight, next := g.today[0], g.today[1]
	if g.clock.Now().Before(midnight) {
		return d
	}
	return time.Duration(float64(d) * float64(g.cfg.End.Sub(midnight)) / float64(next.Sub(midnight)))
}

// setUp makes the administrators, a program token and two more payment
// methods, the day before the history starts.
func (g *gen) setUp() error {
	hash, err := auth.HashPassword(g.cfg.Password)
	if err != nil {
		return err
	}
	staff := []Login{
		{"olivia", "Olivia Bennett (owner)", ledger.RoleSuperAdmin},
		{"max", "Max Hoffmann (finance)", ledger.RoleSuperAdmin},
		{"anna", "Anna Kowalski", ledger.RoleAdmin},
		{"ben", "Ben Okafor", ledger.RoleAdmin},
		{"chen", "Chen Jing (陈静)", ledger.RoleAdmin},
		{"diego", "Diego Alvarez (audit)", ledger.RoleReviewer},
		{"emma", "Emma Lindqvist (audit)", ledger.RoleReviewer},
	}
	for i, s := range staff {
		a := ledger.Admin{Username: s.Username, Name: s.Name, Role: s.Role, PasswordHash: hash}
		var made ledger.Admin
		if i == 0 {
			made, err = g.st.CreateAdmin(g.ctx, a)
		} else {
			made, err = g.st.AddAdmin(g.ctx, g.supers[0], a)
		}
		if err != nil {
			return err
		}
		actor := ledger.Actor{AdminID: made.ID, Name: made.Username, Role: made.Role, Addr: "192.0.2.10"}
		switch s.Role {
		case ledger.RoleSuperAdmin:
			g.supers = append(g.supers, actor)
		case ledger.RoleAdmin:
			g.clerks = append(g.clerks, actor)
		default:
			g.reviewers = append(g.reviewers, actor)
		}
		g.res.Admins = append(g.res.Admins, s)
	}
	_, tok, err := g.st.CreateProgramToken(g.ctx, g.supers[0], "shop-billing", ledger.RoleAdmin, nil)
	if err != nil {
		return err
	}
	g.billing = ledger.Actor{AdminID: g.supers[0].AdminID, TokenID: tok.ID, Name: "olivia/shop-billing", Role: ledger.RoleAdmin, Addr: "198.51.100.7"}
	methods, err := g.st.PaymentMethods(g.ctx)
	if err != nil {
		return err
	}
	for _, m := range methods {
		g.methods[m.Code] = m.ID
	}
	for _, m := range []struct{ code, name string }{{"card", "Credit card"}, {"cash", "Cash at the counter"}} {
		made, err := g.st.AddPaymentMethod(g.ctx, g.supers[0], m.name, true)
		if err != nil {
			return err
		}
		g.methods[m.code] = made.ID
	}
	return nil
}

// plan schedules the customers' sign-ups and each day's routine.
func (g *gen) plan() {
	n := g.cfg.Customers
	for i := range n {
		// A good part of the customers were there from the start; the rest
		// sign up over the months.
		d := g.r.IntN(3)
		if g.r.IntN(10) >= 4 {
			d = g.r.IntN(max(1, g.cfg.Days-2))
		}
		closing := i == n-1 && n >= 10 // one customer leaves again
		g.at(g.dayTime(d, 9, 17), func() error { return g.signUp(closing) })
	}
	for d := 0; d <= g.cfg.Days; d++ {
		g.at(g.dayTime(d, 7, 7), func() error { return g.morning(d) })
	}
}

// signUp creates a customer with an account (sometimes two), sets its
// alert amount and, for businesses, a credit limit, and submits the first
// top-up request.
func (g *gen) signUp(closing bool) error {
	reg := &regions[g.r.IntN(len(regions))]
	business := g.r.IntN(10) < 3
	name, user := reg.people(g.r)
	nc := ledger.NewCustomer{Name: name, DefaultCurrency: reg.currency}
	for {
		p := reg.phone(g.r)
		if norm, err := ledger.NormalizePhone(p, ""); err == nil && !g.phones[norm] {
			g.phones[norm], nc.Phone = true, p
			break
		}
	}
	if g.r.IntN(10) < 8 {
		email := user + "@" + pick(g.r, reg.domains)
		for i := 2; g.emails[email]; i++ {
			email = fmt.Sprintf("%s%d@%s", user, i, pick(g.r, reg.domains))
		}
		g.emails[email], nc.Email = true, email
	}
	if business {
		nc.Company = pick(g.r, reg.company)
	}
	if g.r.IntN(6) == 0 {
		nc.Remark = pick(g.r, []string{"Prefers to be called in the afternoon", "VIP since 2023", "Monthly invoice by email",
			"Referred by a partner", "Asks for receipts with company name"})
	}
	clerk := pick(g.r, g.clerks)
	c, err := g.st.CreateCustomer(g.ctx, clerk, nc)
	if err != nil {
		return err
	}
	g.res.Customers++
	if closing {
		// Signs up, never pays, and is deleted (archived) a few days on.
		g.at(g.clock.Now().Add(time.Duration(2+g.r.IntN(5))*24*time.Hour), func() error {
			_, err := g.st.ArchiveCustomer(g.ctx, g.supers[0], c.ID)
			return err
		})
		g.res.Accounts++
		return nil
	}
	currencies := []*region{reg}
	if g.r.IntN(7) == 0 { // some also hold money in a second currency
		other := &regions[g.r.IntN(len(regions))]
		if other.currency != reg.currency {
			currencies = append(currencies, other)
		}
	}
	tr := pick(g.r, trades)
	for i, rg := range currencies {
		acc, _, err := g.st.OpenAccount(g.ctx, clerk, c.ID, rg.currency)
		if err != nil {
			return err
		}
		a := &account{id: acc.ID, customerID: c.ID, cur: acc.Currency, reg: rg, trade: tr, business: business,
			dormant: g.r.IntN(8) == 0, rate: 0.1 + g.r.Float64()*0.4}
		if business {
			a.rate = 0.5 + g.r.Float64()*1.5
		}
		if i > 0 {
			a.rate /= 3
		}
		g.accounts = append(g.accounts, a)
		g.res.Accounts++
		var change store.AccountChange
		if g.r.IntN(10) < 7 {
			alert := g.major(a, pick(g.r, []int64{20, 50, 50, 100, 200}))
			if business {
				alert = g.major(a, pick(g.r, []int64{300, 500, 1000}))
			}
			change.AlertAmount = &alert
			if _, err := g.st.UpdateAccount(g.ctx, clerk, a.id, change); err != nil {
				return err
			}
		}
		if business && g.r.IntN(2) == 0 {
			// Credit for businesses is the owner's decision (super admin).
			credit := g.major(a, pick(g.r, []int64{200, 500, 1000}))
			cc := store.AccountChange{CreditLimit: &credit}
			if g.r.IntN(4) == 0 {
				od := credit / 2
				exp := g.clock.Now().AddDate(0, 0, 20+g.r.IntN(60))
				expp := &exp
				cc.Overdraft, cc.OverdraftExpiresAt = &od, &expp
			}
			if _, err := g.st.UpdateAccount(g.ctx, g.supers[g.r.IntN(len(g.supers))], a.id, cc); err != nil {
				return err
			}
		}
		if err := g.submit(a, clerk); err != nil {
			return err
		}
	}
	return nil
}

// major converts a round amount in US dollars' worth to the account's
// currency, in minor units, keeping it round.
func (g *gen) major(a *account, usd int64) int64 {
	v := usd * a.reg.unit
	step := int64(math.Pow10(a.cur.Digits())) // a whole major unit
	if a.cur.Digits() == 0 {
		step = 100 // round yen
	}
	return max(step, v/step*step)
}

// morning plans one day: charges, top-up requests of accounts running low,
// review sessions, an adjustment or a reversal now and then.
func (g *gen) morning(d int) error {
	for _, a := range g.accounts {
		rate := a.rate
		if wd := g.start.AddDate(0, 0, d).Weekday(); wd == time.Saturday || wd == time.Sunday {
			rate /= 2 // quieter weekends
		}
		n := int(rate)
		if g.r.Float64() < rate-float64(n) {
			n++
		}
		for range n {
			g.at(g.dayTime(d, 8, 21), func() error { return g.charge(a) })
		}
		if a.pending || a.dormant {
			continue
		}
		acc, err := g.st.Account(g.ctx, a.id)
		if err != nil {
			return err
		}
		if acc.Status == ledger.StatusNormal && (acc.BelowAlert() || acc.Balance < g.major(a, 30)) && g.r.IntN(10) < 6 {
			a.pending = true // planned: no second request meanwhile
			clerk := pick(g.r, g.clerks)
			if g.r.IntN(10) == 0 {
				clerk = g.supers[1]
			}
			g.at(g.dayTime(d, 9, 18), func() error { a.pending = false; return g.submit(a, clerk) })
		}
	}
	sessions := []float64{10, 14.5, 17.5}
	if d == g.cfg.Days {
		// Today the reviewers have not held their evening session yet: the
		// requests since the midday one wait for review.
		sessions = sessions[:2]
	}
	for _, h := range sessions {
		g.at(g.dayTime(d, h, h+0.75), g.review)
	}
	if g.r.IntN(10) < 4 {
		g.at(g.dayTime(d, 9, 18), g.adjust)
	}
	if g.r.IntN(4) == 0 {
		g.at(g.dayTime(d, 9, 18), g.reverseCharge)
	}
	if d > 0 && d%30 == 0 {
		g.at(g.dayTime(d, 11, 16), g.reverseTopUp)
	}
	if d == g.cfg.Days-10 && len(g.accounts) > 5 {
		// A dispute: the owner freezes an account (debits stop, top-ups go on).
		a := g.accounts[g.r.IntN(len(g.accounts))]
		g.at(g.dayTime(d, 12, 13), func() error {
			st := ledger.StatusFrozen
			_, err := g.st.UpdateAccount(g.ctx, g.supers[0], a.id, store.AccountChange{Status: &st})
			return err
		})
	}
	return nil
}

// submit files a top-up request for a, usually with a voucher image; one
// in thirty is cancelled by its submitter before review.
func (g *gen) submit(a *account, clerk ledger.Actor) error {
	amounts := a.reg.topups
	if a.business {
		amounts = a.reg.business
	}
	amount := pick(g.r, amounts) * int64(math.Pow10(a.cur.Digits()))
	method := a.reg.methods[0]
	if g.r.IntN(3) > 0 {
		method = pick(g.r, a.reg.methods)
	}
	paid := g.clock.Now().Add(-time.Duration(5+g.r.IntN(600)) * time.Minute)
	f := ledger.TopUpFields{Amount: amount, PaymentMethodID: g.methods[method], PaymentStatus: "paid", PaidAt: &paid}
	switch method {
	case "alipay":
		f.PaymentAccount, f.TransactionNo = "1"+digits(g.r, 2)+"****"+digits(g.r, 4), paid.Format("20060102")+"2200"+digits(g.r, 16)
	case "wechat_pay":
		f.PaymentAccount, f.TransactionNo = "wxid_"+digits(g.r, 8), "4200"+digits(g.r, 6)+paid.Format("20060102")+digits(g.r, 10)
	case "bank_transfer":
		f.PaymentAccount, f.TransactionNo = pick(g.r, []string{"DE89 **** **** ", "GB29 **** **** ", "6222 02** **** ", "US ****"})+digits(g.r, 4), "BT"+digits(g.r, 12)
	case "card":
		f.PaymentAccount, f.TransactionNo = pick(g.r, []string{"VISA", "Mastercard", "JCB"})+" **** "+digits(g.r, 4), "ch_"+digits(g.r, 16)
	}
	if g.r.IntN(5) == 0 {
		f.Remark = pick(g.r, []string{"Monthly prepayment", "Paid at the counter", "Prepayment for next quarter", "Customer called to confirm the transfer"})
	}
	res, err := g.st.SubmitTopUp(g.ctx, clerk, store.NewTopUp{CustomerID: a.customerID, Currency: a.cur.Code(), TopUpFields: f}, ledger.Idempotency{})
	if err != nil {
		return err
	}
	g.res.TopUps++
	q := &request{id: res.TopUp.ID, acc: a, submitter: clerk, at: g.clock.Now()}
	g.requests = append(g.requests, q)
	a.pending = true
	if method != "cash" && g.r.IntN(10) < 7 {
		if _, err := g.st.AddVoucher(g.ctx, clerk, q.id, "image/png", g.voucher()); err != nil {
			return err
		}
	}
	if g.r.IntN(30) == 0 {
		q.done = true // no reviewer will see it
		g.at(g.clock.Now().Add(time.Duration(10+g.r.IntN(80))*time.Minute), func() error {
			if _, err := g.st.CancelTopUp(g.ctx, clerk, q.id, ledger.Idempotency{}); err != nil {
				return err
			}
			g.res.Cancelled++
			a.pending = false
			return nil
		})
	}
	return nil
}

// review is a reviewer's session: most requests submitted before it are
// decided, most of them approved.
func (g *gen) review() error {
	now := g.clock.Now()
	for _, q := range g.requests {
		if q.done || now.Sub(q.at) < g.squeezed(15*time.Minute) || g.r.IntN(10) < 2 {
			continue
		}
		reviewer := pick(g.r, g.reviewers)
		if g.r.IntN(8) == 0 && g.supers[0].AdminID != q.submitter.AdminID {
			reviewer = g.supers[0]
		}
		q.done, q.acc.pending = true, false
		if g.r.IntN(100) < 9 {
			remark := pick(g.r, []string{"No matching transfer on the bank statement", "Voucher does not show the amount",
				"Duplicate of an earlier request", "Amount differs from the transfer received; please resubmit"})
			if _, err := g.st.RejectTopUp(g.ctx, reviewer, q.id, remark, ledger.Idempotency{}); err != nil {
				return err
			}
			g.res.Rejected++
			continue
		}
		var actual *int64
		remark := pick(g.r, []string{"", "", "Checked against the bank statement", "OK"})
		if g.r.IntN(25) == 0 {
			t, err := g.st.TopUpRequest(g.ctx, q.id)
			if err != nil {
				return err
			}
			v := t.Amount - max(1, t.Amount/100) // the bank kept a fee
			actual, remark = &v, "Bank fee deducted by the sender's bank"
		}
		res, err := g.st.ApproveTopUp(g.ctx, reviewer, q.id, actual, "1", remark, ledger.Idempotency{})
		if errors.Is(err, ledger.ErrAccountDisabled) {
			continue
		}
		if err != nil {
			return err
		}
		g.res.Approved++
		g.topups = append(g.topups, res.TopUp.TransactionID)
	}
	return nil
}

// charge posts consumption, unless the account cannot take it: the
// business would refuse the service.
func (g *gen) charge(a *account) error {
	acc, err := g.st.Account(g.ctx, a.id)
	if err != nil {
		return err
	}
	// Log-uniform between 1 and 40 dollars' worth, or 10 and 300 for a business.
	lo, hi := 1.0, 40.0
	if a.business {
		lo, hi = 10, 300
	}
	usd := math.Exp(math.Log(lo) + g.r.Float64()*(math.Log(hi)-math.Log(lo)))
	amount := max(1, int64(usd*float64(a.reg.unit)))
	if a.cur.Digits() == 0 {
		amount = max(10, amount/10*10)
	}
	if acc.CheckDebit(amount, g.clock.Now()) != nil {
		return nil
	}
	actor := pick(g.r, g.clerks)
	if a.trade.byProgram {
		actor = g.billing // posted by the other system over the API
	}
	g.refNo++
	p, err := g.st.Charge(g.ctx, ledger.Charge{AccountID: a.id, Amount: amount, Reference: a.trade.reference(g.r, 100000+g.refNo),
		Note: a.trade.note(g.r), Actor: actor})
	if errors.Is(err, ledger.ErrInsufficientFunds) || errors.Is(err, ledger.ErrAccountFrozen) || errors.Is(err, ledger.ErrAccountDisabled) {
		return nil
	}
	if err != nil {
		return err
	}
	g.res.Charges++
	g.charges = append(g.charges, p.Transaction.ID)
	a.lastCharge = p.Transaction.ID
	return nil
}

// adjust posts a manual adjustment with a reason and a note.
func (g *gen) adjust() error {
	if len(g.accounts) == 0 {
		return nil
	}
	a := g.accounts[g.r.IntN(len(g.accounts))]
	adj := ledger.Adjustment{Target: ledger.Target{AccountID: a.id}, Direction: ledger.Credit, Actor: pick(g.r, g.clerks)}
	switch k := g.r.IntN(20); {
	case k < 5:
		adj.Reason, adj.Amount = ledger.ReasonPromotion, g.major(a, pick(g.r, []int64{5, 10, 20, 50}))
		adj.Note = pick(g.r, []string{"Spring campaign: bonus on top-ups over 500", "Loyalty bonus: one year as a customer", "Welcome bonus"})
	case k < 10:
		adj.Reason, adj.Amount = ledger.ReasonRefund, g.major(a, pick(g.r, []int64{5, 12, 25, 40}))
		adj.Note = fmt.Sprintf("Refund for order ORD-%07d: item out of stock", 100000+g.r.IntN(900000))
	case k < 13:
		adj.Reason, adj.Amount = ledger.ReasonCompensation, g.major(a, pick(g.r, []int64{10, 20, 30}))
		adj.Note = "Compensation for the service outage on " + g.clock.Now().AddDate(0, 0, -1-g.r.IntN(5)).Format(time.DateOnly)
	case k < 18:
		adj.Reason, adj.Amount = ledger.ReasonCorrection, g.major(a, pick(g.r, []int64{3, 8, 15}))
		adj.Note = "Correction: the rate on the last invoice was wrong"
		if a.lastCharge != 0 {
			adj.Corrects = a.lastCharge
			adj.Note = fmt.Sprintf("Correction of transaction %d: billed at the wrong rate", a.lastCharge)
		}
		if g.r.IntN(2) == 0 {
			adj.Direction = ledger.Debit
			adj.Note = "Correction: fee charged too low on the last invoice"
		}
	default:
		adj.Reason, adj.Amount = ledger.ReasonOther, g.major(a, 10)
		adj.Note = "Goodwill gesture approved by the manager"
		adj.Actor = g.supers[1]
	}
	_, err := g.st.Adjust(g.ctx, adj)
	if errors.Is(err, ledger.ErrInsufficientFunds) || errors.Is(err, ledger.ErrAccountFrozen) || errors.Is(err, ledger.ErrAccountDisabled) {
		return nil
	}
	if err == nil {
		g.res.Adjustments++
	}
	return err
}

// reverseCharge undoes one of the last charges: billed twice, or cancelled.
func (g *gen) reverseCharge() error {
	if len(g.charges) == 0 {
		return nil
	}
	id := g.charges[len(g.charges)-1-g.r.IntN(min(len(g.charges), 50))]
	return g.reverse(id, pick(g.r, []string{"Duplicate charge: the order was billed twice", "Order cancelled by the customer", "Charged to the wrong customer"}))
}

// reverseTopUp undoes an approved top-up whose transfer came back.
func (g *gen) reverseTopUp() error {
	if len(g.topups) == 0 {
		return nil
	}
	return g.reverse(g.topups[g.r.IntN(len(g.topups))], "Bank transfer returned by the sender's bank")
}

func (g *gen) reverse(id int64, note string) error {
	if g.reversed[id] {
		return nil
	}
	_, err := g.st.Reverse(g.ctx, ledger.Reversal{TransactionID: id, Note: note, Actor: g.supers[g.r.IntN(len(g.supers))]})
	if errors.Is(err, ledger.ErrInsufficientFunds) || errors.Is(err, ledger.ErrAccountFrozen) || errors.Is(err, ledger.ErrAccountDisabled) {
		return nil
	}
	if err != nil {
		return err
	}
	g.reversed[id] = true
	g.res.Reversals++
	return nil
}

// voucher draws a small receipt-like PNG: a pale slip with lines of "text".
func (g *gen) voucher() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 120, 160))
	bg := color.RGBA{uint8(235 + g.r.IntN(20)), uint8(235 + g.r.IntN(20)), uint8(225 + g.r.IntN(30)), 255}
	for y := range 160 {
		for x := range 120 {
			img.Set(x, y, bg)
		}
	}
	ink := color.RGBA{40, 40, 60, 255}
	for y := 12; y < 150; y += 10 {
		w := 30 + g.r.IntN(75)
		for x := 8; x < 8+w; x++ {
			img.Set(x, y, ink)
			img.Set(x, y+1, ink)
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}
