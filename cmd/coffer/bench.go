package main

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// coffer bench drives a running Coffer over HTTP the way its clients would:
// N concurrent clients post charges with Idempotency-Keys, submit top-ups
// that a second administrator approves (maker-checker), and read filtered
// account lists, over M accounts of which a few are hot. It prints a
// progress line every second and, at the end, throughput, latency
// percentiles and errors per operation.
//
// It only ever connects to loopback addresses: it is a measuring tool for
// the machine it runs on, not a way to load someone else's server.

const benchUsage = `Usage: coffer bench [flags]        load a running coffer serve over HTTP (loopback only)
       coffer bench seed [flags]   add many customers and accounts straight into a database

coffer bench logs in with a super admin's user and password (flags or
COFFER_BENCH_USER / COFFER_BENCH_PASSWORD, else COFFER_ADMIN_USER /
COFFER_ADMIN_PASSWORD), creates the administrators bench-maker (admin) and
bench-checker (reviewer) or resets their passwords, and creates and funds
the accounts it needs (customers named bench-0000000, …) unless they exist.
Then it runs until --duration or --requests is reached.

Flags:
`

type benchConfig struct {
	base      string
	user      string
	password  string
	clients   int
	accounts  int
	hot       int
	hotShare  float64
	duration  time.Duration
	requests  int64
	mix       []weighted
	lists     []string
	currency  string
	setupOnly bool
}

type weighted struct {
	name   string
	weight int
}

func (m weighted) String() string { return m.name + "=" + strconv.Itoa(m.weight) }

func bench(args []string) error {
	if len(args) > 0 && args[0] == "seed" {
		return benchSeed(args[1:])
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), benchUsage); fs.PrintDefaults() }
	var c benchConfig
	fs.StringVar(&c.base, "url", envOr("COFFER_BENCH_URL", "http://127.0.0.1:8080"), "the server's base URL; loopback addresses only (env COFFER_BENCH_URL)")
	fs.StringVar(&c.user, "user", envOr("COFFER_BENCH_USER", os.Getenv("COFFER_ADMIN_USER")), "a super admin's username (env COFFER_BENCH_USER)")
	fs.StringVar(&c.password, "password", "", "the super admin's password; better given as env COFFER_BENCH_PASSWORD")
	fs.IntVar(&c.clients, "clients", 32, "concurrent clients, each with its own keep-alive connection")
	fs.IntVar(&c.accounts, "accounts", 10000, "accounts to spread the postings over")
	fs.IntVar(&c.hot, "hot", 10, "how many of them are hot")
	fs.Float64Var(&c.hotShare, "hot-share", 0.10, "the share of postings that go to the hot accounts")
	fs.DurationVar(&c.duration, "duration", 30*time.Second, "stop after this long")
	fs.Int64Var(&c.requests, "requests", 0, "stop after this many requests (0: no limit)")
	mix := fs.String("mix", "charge=85,topup=5,list=10", "operations and their weights; a top-up is a submit and an approval")
	lists := fs.String("lists", "currency,balance,below_alert,created,customer,q", "the account-list filters that list reads choose from")
	fs.StringVar(&c.currency, "currency", "USD", "the currency of the bench accounts")
	fs.BoolVar(&c.setupOnly, "setup-only", false, "create and fund the accounts, then stop")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench: unexpected argument %q", fs.Arg(0))
	}
	if c.password == "" {
		c.password = envOr("COFFER_BENCH_PASSWORD", os.Getenv("COFFER_ADMIN_PASSWORD"))
	}
	if c.user == "" || c.password == "" {
		return errors.New("bench: give a super admin's --user and password (COFFER_BENCH_USER, COFFER_BENCH_PASSWORD)")
	}
	if c.clients < 1 || c.accounts < 1 || c.hot < 0 || c.hot > c.accounts || c.hotShare < 0 || c.hotShare > 1 {
		return errors.New("bench: need --clients >= 1, --accounts >= 1, 0 <= --hot <= --accounts, 0 <= --hot-share <= 1")
	}
	var err error
	if c.mix, err = parseMix(*mix); err != nil {
		return err
	}
	for _, l := range strings.Split(*lists, ",") {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		if !slices.Contains([]string{"currency", "balance", "below_alert", "created", "customer", "q", "number"}, l) {
			return fmt.Errorf("bench: unknown list filter %q (currency, balance, below_alert, created, customer, q, number)", l)
		}
		c.lists = append(c.lists, l)
	}
	if len(c.lists) == 0 {
		c.lists = []string{"currency"}
	}
	c.base = strings.TrimRight(c.base, "/")
	if err := checkLoopback(c.base); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return runBench(ctx, c, os.Stdout)
}

func parseMix(s string) ([]weighted, error) {
	var out []weighted
	total := 0
	for _, part := range strings.Split(s, ",") {
		name, w, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(w)
		if !ok || err != nil || n < 0 || !slices.Contains([]string{"charge", "topup", "list"}, name) {
			return nil, fmt.Errorf("bench: --mix wants name=weight pairs of charge, topup and list, not %q", part)
		}
		out = append(out, weighted{name, n})
		total += n
	}
	if total == 0 {
		return nil, errors.New("bench: --mix has no weight")
	}
	return out, nil
}

// checkLoopback refuses a base URL whose host is not (or does not resolve
// only to) a loopback address. The client's dialer checks every connection
// again, so a name that resolves elsewhere later is refused too.
func checkLoopback(base string) error {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("bench: --url %q is not an http:// URL", base)
	}
	host := u.Hostname()
	ips := []net.IP{net.ParseIP(host)}
	if ips[0] == nil {
		addrs, err := net.LookupIP(host)
		if err != nil || len(addrs) == 0 {
			return fmt.Errorf("bench: cannot resolve %q: %v", host, err)
		}
		ips = addrs
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return fmt.Errorf("bench: refusing %s (%s): coffer bench drives servers on this machine's loopback only", host, ip)
		}
	}
	return nil
}

func loopbackOnly(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("coffer bench connects to loopback addresses only, not %s", address)
	}
	return nil
}

// benchClient is a keep-alive HTTP client with a bearer token.
type benchClient struct {
	base  string
	hc    *http.Client
	token string
}

func newHTTPClient(conns int) *http.Client {
	return &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil, // never through a proxy: the server is on this machine
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, Control: loopbackOnly}).DialContext,
			MaxIdleConns:        conns * 2,
			MaxIdleConnsPerHost: conns * 2,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// do sends a request and returns the status and, if out is not nil, the
// decoded JSON answer. The body is read to the end so that the connection
// is reused. Status 0 is a transport error.
func (c *benchClient) do(method, path string, body []byte, key string, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if out != nil && res.StatusCode < 300 {
		err = json.NewDecoder(res.Body).Decode(out)
	}
	io.Copy(io.Discard, res.Body)
	if err != nil {
		return res.StatusCode, fmt.Errorf("%s %s: decoding the answer: %w", method, path, err)
	}
	return res.StatusCode, nil
}

// must is do for setup steps: anything but the wanted status is an error.
func (c *benchClient) must(method, path string, body any, key string, out any, want ...int) (int, error) {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return 0, err
		}
	}
	code, err := c.do(method, path, b, key, out)
	if err == nil && !slices.Contains(want, code) {
		err = fmt.Errorf("%s %s answered %d", method, path, code)
	}
	return code, err
}

type benchAccount struct {
	id, customerID string
}

// benchWorld is what the measured run needs from the setup.
type benchWorld struct {
	maker, checker *benchClient
	method         string // payment method id for top-ups
	accounts       []benchAccount
	digits         int // decimals of the currency
}

func login(hc *http.Client, base, user, password string) (*benchClient, error) {
	c := &benchClient{base: base, hc: hc}
	var out struct {
		Token string `json:"token"`
	}
	if _, err := c.must("POST", "/api/v1/auth/login", map[string]string{"username": user, "password": password}, "", &out, 200); err != nil {
		return nil, fmt.Errorf("bench: logging in as %s: %w", user, err)
	}
	c.token = out.Token
	return c, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	crand.Read(b)
	return hex.EncodeToString(b)
}

// setup logs in, makes the two administrators, and finds or creates and
// funds the bench accounts.
func benchSetup(ctx context.Context, c benchConfig, hc *http.Client, w io.Writer) (*benchWorld, error) {
	root, err := login(hc, c.base, c.user, c.password)
	if err != nil {
		return nil, err
	}
	var admins struct {
		Items []struct {
			ID       string `json:"id"`
			Username string `json:"username"`
		} `json:"items"`
	}
	if _, err := root.must("GET", "/api/v1/admins", nil, "", &admins, 200); err != nil {
		return nil, fmt.Errorf("bench: %w (is %s a super admin?)", err, c.user)
	}
	world := &benchWorld{}
	for _, a := range []struct {
		name, role string
		dst        **benchClient
	}{{"bench-maker", "admin", &world.maker}, {"bench-checker", "reviewer", &world.checker}} {
		pw := "bench-" + randomHex(12)
		id := ""
		for _, it := range admins.Items {
			if it.Username == a.name {
				id = it.ID
			}
		}
		if id == "" {
			_, err = root.must("POST", "/api/v1/admins", map[string]any{"username": a.name, "name": a.name, "role": a.role, "password": pw}, "", nil, 201, 200)
		} else {
			_, err = root.must("PATCH", "/api/v1/admins/"+id, map[string]any{"role": a.role, "password": pw, "disabled": false}, "", nil, 200)
		}
		if err != nil {
			return nil, fmt.Errorf("bench: administrator %s: %w", a.name, err)
		}
		if *a.dst, err = login(hc, c.base, a.name, pw); err != nil {
			return nil, err
		}
	}
	var methods struct {
		Items []struct {
			ID      string `json:"id"`
			Enabled bool   `json:"enabled"`
		} `json:"items"`
	}
	if _, err := root.must("GET", "/api/v1/payment-methods", nil, "", &methods, 200); err != nil {
		return nil, err
	}
	for _, m := range methods.Items {
		if m.Enabled && world.method == "" {
			world.method = m.ID
		}
	}
	if world.method == "" {
		return nil, errors.New("bench: no payment method is enabled")
	}

	// Find the bench accounts made by earlier runs.
	world.accounts = make([]benchAccount, c.accounts)
	found, cursor := 0, ""
	start := time.Now()
	for found < c.accounts {
		var page struct {
			Items []struct {
				ID           string `json:"id"`
				CustomerID   string `json:"customer_id"`
				CustomerName string `json:"customer_name"`
			} `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		q := url.Values{"q": {"bench-"}, "currency": {c.currency}, "limit": {"500"}, "sort": {"created_at"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		if _, err := root.must("GET", "/api/v1/accounts?"+q.Encode(), nil, "", &page, 200); err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			n, err := strconv.Atoi(strings.TrimPrefix(it.CustomerName, "bench-"))
			if err != nil || !strings.HasPrefix(it.CustomerName, "bench-") || n < 0 || n >= c.accounts || world.accounts[n].id != "" {
				continue
			}
			world.accounts[n] = benchAccount{id: it.ID, customerID: it.CustomerID}
			found++
		}
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	fmt.Fprintf(w, "setup: %d of %d bench accounts exist (looked them up in %s)\n", found, c.accounts, time.Since(start).Round(time.Millisecond))
	if found == c.accounts {
		return world, world.learnDigits()
	}

	// Create and fund the missing ones with as many workers as clients.
	start = time.Now()
	todo := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	var made atomic.Int64
	for range c.clients {
		wg.Go(func() {
			for n := range todo {
				var cust struct {
					ID string `json:"id"`
				}
				_, err := world.maker.must("POST", "/api/v1/customers", map[string]any{"name": fmt.Sprintf("bench-%07d", n),
					"remark": "made by coffer bench"}, "", &cust, 201)
				var tx struct {
					AccountID string `json:"account_id"`
				}
				if err == nil {
					_, err = world.maker.must("POST", "/api/v1/adjustments", map[string]any{"customer_id": cust.ID, "currency": c.currency,
						"direction": "credit", "amount": "1000000", "reason": "other", "note": "coffer bench funding"},
						"bench-fund-"+cust.ID, &tx, 201)
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				world.accounts[n] = benchAccount{id: tx.AccountID, customerID: cust.ID}
				mu.Unlock()
				if m := made.Add(1); m%1000 == 0 {
					fmt.Fprintf(w, "setup: %d accounts made\n", m)
				}
			}
		})
	}
	for n := range world.accounts {
		if world.accounts[n].id != "" {
			continue
		}
		select {
		case todo <- n:
		case <-ctx.Done():
		}
		mu.Lock()
		bad := firstErr != nil
		mu.Unlock()
		if bad || ctx.Err() != nil {
			break
		}
	}
	close(todo)
	wg.Wait()
	if firstErr != nil {
		return nil, fmt.Errorf("bench: setting up accounts: %w", firstErr)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "setup: made and funded %d accounts in %s\n", made.Load(), time.Since(start).Round(time.Millisecond))
	return world, world.learnDigits()
}

// learnDigits reads the currency's decimals from how a balance is written.
func (world *benchWorld) learnDigits() error {
	var acc struct {
		Balance string `json:"balance"`
	}
	if _, err := world.maker.must("GET", "/api/v1/accounts/"+world.accounts[0].id, nil, "", &acc, 200); err != nil {
		return err
	}
	if _, frac, ok := strings.Cut(acc.Balance, "."); ok {
		world.digits = len(frac)
	}
	return nil
}

// sample is one request of the measured run.
type sample struct {
	op      string
	latency time.Duration
	status  int // 0: no HTTP answer
}

type opStats struct {
	latencies []time.Duration
	errors    map[int]int
}

// benchRecorder gathers one client's samples; clients never share one.
type benchRecorder struct {
	ops map[string]*opStats
}

func (r *benchRecorder) add(s sample) {
	st := r.ops[s.op]
	if st == nil {
		st = &opStats{errors: map[int]int{}}
		r.ops[s.op] = st
	}
	st.latencies = append(st.latencies, s.latency)
	if s.status < 200 || s.status > 299 {
		st.errors[s.status]++
	}
}

func runBench(ctx context.Context, c benchConfig, w io.Writer) error {
	hc := newHTTPClient(c.clients)
	world, err := benchSetup(ctx, c, hc, w)
	if err != nil {
		return err
	}
	if c.setupOnly {
		return nil
	}
	limit := "no request limit"
	if c.requests > 0 {
		limit = fmt.Sprintf("at most %d requests", c.requests)
	}
	fmt.Fprintf(w, "bench: %s, %d clients, %d accounts (%d hot, %.0f%% of postings), mix %v, lists %v, %s, %s\n",
		c.base, c.clients, c.accounts, c.hot, c.hotShare*100, c.mix, c.lists, c.duration, limit)

	runCtx, cancel := context.WithTimeout(ctx, c.duration)
	defer cancel()
	var issued, done, failed atomic.Int64
	runID := randomHex(4)
	recs := make([]*benchRecorder, c.clients)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range c.clients {
		rec := &benchRecorder{ops: map[string]*opStats{}}
		recs[i] = rec
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), uint64(start.UnixNano())))
			cl := &benchWorker{client: i, rng: rng, world: world, cfg: &c, runID: runID, cursors: map[string]string{}}
			seq := 0
			// take reserves one request of the budget; false when the run is over.
			take := func() bool {
				if runCtx.Err() != nil {
					return false
				}
				return c.requests <= 0 || issued.Add(1) <= c.requests
			}
			record := func(s sample) {
				rec.add(s)
				done.Add(1)
				if s.status < 200 || s.status > 299 {
					failed.Add(1)
				}
			}
			for take() {
				seq++
				cl.seq = seq
				cl.one(take, record)
			}
		})
	}

	// A progress line every second until the clients stop.
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last := int64(0)
	lastT := start
loop:
	for {
		select {
		case <-finished:
			break loop
		case now := <-tick.C:
			n := done.Load()
			fmt.Fprintf(w, "%5.0fs  requests %9d  rate %7.0f/s  errors %d\n", now.Sub(start).Seconds(), n,
				float64(n-last)/now.Sub(lastT).Seconds(), failed.Load())
			last, lastT = n, now
		}
	}
	elapsed := time.Since(start)
	report(w, recs, elapsed)
	return nil
}

// benchWorker is one measuring client.
type benchWorker struct {
	client  int
	seq     int
	rng     *rand.Rand
	world   *benchWorld
	cfg     *benchConfig
	runID   string
	cursors map[string]string // list kind -> the next page's cursor
}

func (cl *benchWorker) pickAccount() benchAccount {
	cfg, accs := cl.cfg, cl.world.accounts
	if cfg.hot > 0 && (cfg.hot == len(accs) || cl.rng.Float64() < cfg.hotShare) {
		return accs[cl.rng.IntN(cfg.hot)]
	}
	return accs[cfg.hot+cl.rng.IntN(len(accs)-cfg.hot)]
}

func (cl *benchWorker) pickOp() string {
	total := 0
	for _, m := range cl.cfg.mix {
		total += m.weight
	}
	r := cl.rng.IntN(total)
	for _, m := range cl.cfg.mix {
		if r < m.weight {
			return m.name
		}
		r -= m.weight
	}
	return cl.cfg.mix[0].name
}

// amount is a random amount from 0.01 to 4.99 in a currency with two
// decimals (1 to 499 minor units; in whole units when it has none).
func amount(rng *rand.Rand, digits int) string {
	minor := 1 + rng.IntN(499)
	if digits == 0 {
		return strconv.Itoa(minor)
	}
	s := fmt.Sprintf("%0*d", digits+1, minor)
	return s[:len(s)-digits] + "." + s[len(s)-digits:]
}

// timed sends one request and records it as op.
func timed(record func(sample), op string, c *benchClient, method, path string, body []byte, key string, out any) int {
	t := time.Now()
	code, err := c.do(method, path, body, key, out)
	if err != nil && code >= 200 && code <= 299 {
		code = 0 // an answer we could not read is no success
	}
	record(sample{op: op, latency: time.Since(t), status: code})
	return code
}

// one runs one operation of the mix: one request, or two for a top-up.
func (cl *benchWorker) one(take func() bool, record func(sample)) {
	key := fmt.Sprintf("bench-%s-%d-%d", cl.runID, cl.client, cl.seq)
	switch cl.pickOp() {
	case "charge":
		a := cl.pickAccount()
		body := `{"account_id":"` + a.id + `","amount":"` + amount(cl.rng, cl.world.digits) + `","reference":"bench"}`
		timed(record, "charge", cl.world.maker, "POST", "/api/v1/charges", []byte(body), key, nil)
	case "topup":
		a := cl.pickAccount()
		body := `{"customer_id":"` + a.customerID + `","currency":"` + cl.cfg.currency + `","amount":"` + amount(cl.rng, cl.world.digits) +
			`","payment_method":"` + cl.world.method + `","payment_status":"paid"}`
		var t struct {
			ID string `json:"id"`
		}
		if timed(record, "topup.submit", cl.world.maker, "POST", "/api/v1/topups", []byte(body), key+"-s", &t) != 201 || !take() {
			return
		}
		timed(record, "topup.approve", cl.world.checker, "POST", "/api/v1/topups/"+t.ID+"/approve", []byte(`{}`), key+"-a", nil)
	case "list":
		kind := cl.cfg.lists[cl.rng.IntN(len(cl.cfg.lists))]
		q := url.Values{}
		switch kind {
		case "currency":
			q.Set("currency", cl.cfg.currency)
			q.Set("status", "normal")
		case "balance":
			// Around what seeded accounts hold, or around the bench
			// accounts' opening balance of 1,000,000.
			lo := cl.rng.IntN(9900)
			if cl.rng.IntN(2) == 0 {
				lo = 999_000 + cl.rng.IntN(1900)
			}
			q.Set("currency", cl.cfg.currency)
			q.Set("balance_min", strconv.Itoa(lo))
			q.Set("balance_max", strconv.Itoa(lo+100))
			q.Set("sort", "-balance")
		case "below_alert":
			q.Set("below_alert", "true")
		case "created":
			day := time.Now().UTC().AddDate(0, 0, -cl.rng.IntN(seedDays))
			q.Set("created_from", day.Format("2006-01-02"))
			q.Set("created_to", day.AddDate(0, 0, 7).Format("2006-01-02"))
		case "customer":
			q.Set("customer_id", cl.pickAccount().customerID)
		case "q":
			q.Set("q", fmt.Sprintf("bench-%07d", cl.rng.IntN(len(cl.world.accounts))))
		case "number":
			q.Set("sort", "number")
		}
		// Half the time, read the page after the last one of this kind
		// (keyset pagination: as cheap as the first).
		if cur := cl.cursors[kind]; cur != "" && cl.rng.IntN(2) == 0 {
			q.Set("cursor", cur)
		}
		var page struct {
			NextCursor *string `json:"next_cursor"`
		}
		timed(record, "list."+kind, cl.world.maker, "GET", "/api/v1/accounts?"+q.Encode(), nil, "", &page)
		cl.cursors[kind] = ""
		if page.NextCursor != nil {
			cl.cursors[kind] = *page.NextCursor
		}
	}
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 1, 64) }

func report(w io.Writer, recs []*benchRecorder, elapsed time.Duration) {
	merged := map[string]*opStats{}
	all := &opStats{errors: map[int]int{}}
	for _, r := range recs {
		for op, st := range r.ops {
			m := merged[op]
			if m == nil {
				m = &opStats{errors: map[int]int{}}
				merged[op] = m
			}
			m.latencies = append(m.latencies, st.latencies...)
			all.latencies = append(all.latencies, st.latencies...)
			for code, n := range st.errors {
				m.errors[code] += n
				all.errors[code] += n
			}
		}
	}
	names := make([]string, 0, len(merged))
	for op := range merged {
		names = append(names, op)
	}
	sort.Strings(names)
	fmt.Fprintf(w, "\n%d requests in %s\n", len(all.latencies), elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "%-18s %9s %9s %8s %8s %8s %8s  %s\n", "operation", "requests", "per s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors")
	line := func(name string, st *opStats) {
		slices.Sort(st.latencies)
		var errs []string
		codes := make([]int, 0, len(st.errors))
		for code := range st.errors {
			codes = append(codes, code)
		}
		slices.Sort(codes)
		for _, code := range codes {
			label := strconv.Itoa(code)
			if code == 0 {
				label = "no answer"
			}
			errs = append(errs, fmt.Sprintf("%s: %d", label, st.errors[code]))
		}
		e := "0"
		if len(errs) > 0 {
			e = strings.Join(errs, ", ")
		}
		fmt.Fprintf(w, "%-18s %9d %9.0f %8s %8s %8s %8s  %s\n", name, len(st.latencies), float64(len(st.latencies))/elapsed.Seconds(),
			ms(percentile(st.latencies, .50)), ms(percentile(st.latencies, .95)), ms(percentile(st.latencies, .99)),
			ms(percentile(st.latencies, 1)), e)
	}
	for _, n := range names {
		line(n, merged[n])
	}
	line("all", all)
}
