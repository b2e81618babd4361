package notify_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/notify"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
	"github.com/cofferhq/coffer/internal/testsmtp"
)

var (
	ctx = context.Background()
	sys = ledger.Actor{Name: "test"}
	log = slog.New(slog.NewTextHandler(io.Discard, nil))
)

// clock is a settable clock shared by a store, a worker and their test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func (c *clock) set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// useServer points the mail settings at host:port.
func useServer(t *testing.T, s *store.Store, host string, port int) {
	t.Helper()
	if _, err := s.UpdateSettings(ctx, sys, func(st *ledger.Settings) error {
		st.BusinessName, st.Timezone = "明德物流", "Asia/Shanghai"
		st.SMTP = ledger.SMTP{Host: host, Port: port, From: "Mingde Logistics <billing@mingde.example>"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func customer(t *testing.T, s *store.Store, name, phone, lang string) (ledger.Customer, ledger.Account) {
	t.Helper()
	c, err := s.CreateCustomer(ctx, sys, ledger.NewCustomer{Name: name, Phone: phone, Email: phone + "@mail.example", Locale: lang})
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := s.OpenAccount(ctx, sys, c.ID, "CNY")
	if err != nil {
		t.Fatal(err)
	}
	return c, a
}

func adjust(t *testing.T, s *store.Store, account int64, dir ledger.Direction, amount int64, note string) {
	t.Helper()
	if _, err := s.Adjust(ctx, ledger.Adjustment{Target: ledger.Target{AccountID: account}, Direction: dir, Amount: amount,
		Reason: ledger.ReasonCompensation, Note: note, Actor: sys}); err != nil {
		t.Fatal(err)
	}
}

// drain runs w until a round sends nothing.
func drain(t *testing.T, w *notify.Worker) {
	t.Helper()
	for range 50 {
		n, err := w.Tick(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("the worker never ran dry")
}

func pending(t *testing.T, s *store.Store) []ledger.Notification {
	t.Helper()
	ns, err := s.Notifications(ctx, store.NotificationFilter{Status: ledger.NotificationPending, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// TestEveryKindArrivesOnce: an adjustment with its note, a fall below the
// alert amount and the recovery, a top-up approved and one rejected each
// reach a real SMTP server once, in the customer's language, with the
// figures of the change; a second round sends nothing more, and the log
// says sent with the subject.
func TestEveryKindArrivesOnce(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		srv := testsmtp.Start(t, testsmtp.Accept)
		useServer(t, s, srv.Host, srv.Port)
		zh, zhAcc := customer(t, s, "张三", "13500000001", "zh-CN")
		en, enAcc := customer(t, s, "Ann Lee", "13500000002", "en")
		alert := int64(5000)
		if _, err := s.UpdateAccount(ctx, sys, zhAcc.ID, store.AccountChange{AlertAmount: &alert}); err != nil {
			t.Fatal(err)
		}
		adjust(t, s, zhAcc.ID, ledger.Credit, 10000, "十月服务中断补偿 <3 天>")                             // 100.00
		if _, err := s.Charge(ctx, ledger.Charge{AccountID: zhAcc.ID, Amount: 6000}); err != nil { // 40.00: below 50.00
			t.Fatal(err)
		}
		adjust(t, s, zhAcc.ID, ledger.Credit, 2000, "补回") // 60.00: recovered
		adjust(t, s, enAcc.ID, ledger.Credit, 123456, "Opening credit for the warehouse")
		w := notify.New(s, log, notify.Options{})
		drain(t, w)
		got := srv.Wait(5, 10*time.Second)
		if len(got) != 5 {
			t.Fatalf("%d messages arrived, want 5", len(got))
		}
		byTo := map[string][]testsmtp.Received{}
		ids := map[string]bool{}
		for _, m := range got {
			byTo[m.To[0]] = append(byTo[m.To[0]], m)
			if ids[m.MessageID] {
				t.Errorf("Message-ID %s twice", m.MessageID)
			}
			ids[m.MessageID] = true
		}
		zhMail := byTo[zh.Email]
		if len(zhMail) != 4 {
			t.Fatalf("张三 got %d messages", len(zhMail))
		}
		for _, want := range [][]string{{"十月服务中断补偿 <3 天>", "100.00"}, {"40.00", "50.00"}, {"60.00"}, {"补回", "20.00"}} {
			if !anyContains(zhMail, want...) {
				t.Errorf("no message of 张三's has %q", want)
			}
		}
		for _, m := range zhMail {
			if !strings.Contains(m.Text, "明德物流") || !strings.Contains(m.Subject, "余额") {
				t.Errorf("a message to 张三 not in Chinese: %q / %q", m.Subject, m.Text)
			}
			if strings.Contains(m.HTML, "<3 天>") {
				t.Errorf("the note went into the HTML unescaped")
			}
		}
		if enMail := byTo[en.Email]; len(enMail) != 1 || !strings.Contains(enMail[0].Text, "1,234.56") || !strings.Contains(enMail[0].Subject, "Your balance") {
			t.Errorf("Ann's mail: %+v", enMail)
		}
		drain(t, w)
		if n := len(srv.Messages()); n != 5 {
			t.Errorf("a second round sent more: %d messages", n)
		}
		log, _ := s.Notifications(ctx, store.NotificationFilter{CustomerID: zh.ID, Limit: 10})
		for _, n := range log {
			if n.Status != ledger.NotificationSent || n.Subject == "" || n.SentAt == nil || n.Attempts != 1 {
				t.Errorf("log %+v", n)
			}
		}
	})
}

func anyContains(ms []testsmtp.Received, parts ...string) bool {
	for _, m := range ms {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(m.Text, p)
		}
		if ok {
			return true
		}
	}
	return false
}

// TestTopUpDecisionsArrive: an approved top-up says the credit and the new
// balance, a rejected one the reviewer's reason.
func TestTopUpDecisionsArrive(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		srv := testsmtp.Start(t, testsmtp.Accept)
		useServer(t, s, srv.Host, srv.Port)
		c, _ := customer(t, s, "Bo Chen", "13500000011", "en")
		clerk, checker := testdb.Reviewers(t, s)
		ok := testdb.SubmitTopUp(t, s, clerk, c.ID, "CNY", 5000)
		if _, err := s.ApproveTopUp(ctx, checker, ok.ID, nil, "", "", ledger.Idempotency{}); err != nil {
			t.Fatal(err)
		}
		no := testdb.SubmitTopUp(t, s, clerk, c.ID, "CNY", 700)
		if _, err := s.RejectTopUp(ctx, checker, no.ID, "The transfer slip is unreadable", ledger.Idempotency{}); err != nil {
			t.Fatal(err)
		}
		drain(t, notify.New(s, log, notify.Options{}))
		got := srv.Wait(2, 10*time.Second)
		if !anyContains(got, "50.00", ok.Number()) || !anyContains(got, "7.00", "The transfer slip is unreadable") || len(got) != 2 {
			t.Errorf("top-up mail: %+v", got)
		}
	})
}

// TestAFailingServerDelaysMailNotPostings: while the server answers 451,
// postings go on and their mail waits, tried again with back-off; a server
// that never answers holds up the worker, not the postings; once the
// server accepts, every message goes out once. A 550 fails the message
// for good.
func TestAFailingServerDelaysMailNotPostings(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		// The worker's clock runs ahead, so that what is posted now is due.
		clk := &clock{t: time.Now().Add(time.Minute)}
		srv := testsmtp.Start(t, testsmtp.TempFail)
		useServer(t, s, srv.Host, srv.Port)
		_, a := customer(t, s, "Cai Wen", "13500000021", "en")
		w := notify.New(s, log, notify.Options{Now: clk.Now, BaseDelay: time.Minute})
		for i := range 5 {
			adjust(t, s, a.ID, ledger.Credit, int64(100*(i+1)), "credit")
		}
		drain(t, w)
		p := pending(t, s)
		if len(p) != 5 || p[0].Attempts != 1 || !strings.Contains(p[0].LastError, "451") || !p[0].NextAttemptAt.After(clk.Now()) {
			t.Fatalf("after a 451: %+v", p)
		}

		// A server that never answers: the worker waits on it in the
		// background while postings go on.
		host, port := testsmtp.Stalling(t)
		useServer(t, s, host, port)
		clk.Add(2 * time.Minute)
		stalled := notify.New(s, log, notify.Options{Now: clk.Now, Timeout: 2 * time.Second})
		done := make(chan struct{})
		go func() { defer close(done); stalled.Tick(ctx) }()
		for range 20 {
			if _, err := s.Charge(ctx, ledger.Charge{AccountID: a.ID, Amount: 1}); err != nil {
				t.Fatal(err)
			}
		}
		adjust(t, s, a.ID, ledger.Debit, 10, "posted while the mail server hangs")
		<-done
		if n := len(pending(t, s)); n != 6 {
			t.Fatalf("%d pending after the stall, want 6", n)
		}

		srv.SetMode(testsmtp.Accept)
		useServer(t, s, srv.Host, srv.Port)
		clk.Add(3 * time.Hour)
		drain(t, w)
		if got := srv.Wait(6, 10*time.Second); len(got) != 6 {
			t.Fatalf("%d messages after the server came back, want 6", len(got))
		}
		if n := len(pending(t, s)); n != 0 {
			t.Fatalf("%d still pending", n)
		}

		srv.SetMode(testsmtp.Reject)
		adjust(t, s, a.ID, ledger.Credit, 1, "refused")
		drain(t, w)
		failed, _ := s.Notifications(ctx, store.NotificationFilter{Status: ledger.NotificationFailed, Limit: 5})
		if len(failed) != 1 || !strings.Contains(failed[0].LastError, "550") {
			t.Fatalf("after a 550: %+v", failed)
		}
		testdb.MustVerify(t, s)
	})
}

// TestNoServerSkipsMail: without a mail server set up, due mail is marked
// skipped, with why, rather than piling up to go out all at once later.
func TestNoServerSkipsMail(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		_, a := customer(t, s, "Du Fang", "13500000031", "zh-CN")
		adjust(t, s, a.ID, ledger.Credit, 100, "x")
		drain(t, notify.New(s, log, notify.Options{}))
		ns, _ := s.Notifications(ctx, store.NotificationFilter{Limit: 5})
		if len(ns) != 1 || ns[0].Status != ledger.NotificationSkipped || ns[0].LastError == "" || ns[0].Subject == "" {
			t.Fatalf("log %+v", ns)
		}
	})
}

// TestTwoInstancesSendEachOnce: workers of two instances on one database,
// running at once, send every message exactly once.
func TestTwoInstancesSendEachOnce(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			dsn := testdb.DSN(t, d)
			var stores []*store.Store
			for range 2 {
				s, err := store.Open(ctx, dsn, store.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				stores = append(stores, s)
			}
			srv := testsmtp.Start(t, testsmtp.Accept)
			useServer(t, stores[0], srv.Host, srv.Port)
			const n = 40
			for i := range 4 {
				_, a := customer(t, stores[i%2], "Customer", "1350000010"+string(rune('0'+i)), "en")
				for j := range n / 4 {
					adjust(t, stores[j%2], a.ID, ledger.Credit, int64(j+1), "credit")
				}
			}
			runCtx, stop := context.WithCancel(ctx)
			var wg sync.WaitGroup
			for _, s := range stores {
				for range 2 {
					w := notify.New(s, log, notify.Options{Interval: 10 * time.Millisecond, Batch: 3})
					wg.Go(func() { w.Run(runCtx) })
				}
			}
			got := srv.Wait(n, 30*time.Second)
			time.Sleep(300 * time.Millisecond) // room for a double to arrive
			stop()
			wg.Wait()
			got = srv.Messages()
			seen := map[string]int{}
			for _, m := range got {
				seen[m.MessageID]++
			}
			if len(got) != n || len(seen) != n {
				t.Fatalf("%d messages with %d Message-IDs, want %d of each", len(got), len(seen), n)
			}
		})
	}
}

// TestMonthlyStatementMail: on the first of the month (business time
// zone) each opted-in customer gets last month's statement once, the PDF
// attached in their language: pdftotext reads the customer's name in
// Chinese and the opening and closing balances.
func TestMonthlyStatementMail(t *testing.T) {
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("COFFER_REQUIRE_TOOLS") != "" {
			t.Fatal("pdftotext is not installed (Debian's poppler-utils)")
		}
		t.Skip("pdftotext is not installed (Debian's poppler-utils); set COFFER_REQUIRE_TOOLS to make this a failure")
	}
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			clk := &clock{t: time.Date(2026, 10, 20, 4, 0, 0, 0, time.UTC)}
			s := testdb.Open(t, d, store.Options{Now: clk.Now})
			srv := testsmtp.Start(t, testsmtp.Accept)
			useServer(t, s, srv.Host, srv.Port)
			w := notify.New(s, log, notify.Options{Now: clk.Now})
			c, a := customer(t, s, "张三贸易有限公司", "13500000041", "zh-CN")
			adjust(t, s, a.ID, ledger.Credit, 150000, "十月") // 1,500.00 before November
			clk.set(time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC))
			drain(t, w) // the first round ever notes October as done: a new installation mails no old statement
			clk.set(time.Date(2026, 11, 3, 2, 0, 0, 0, time.UTC))
			if _, err := s.Charge(ctx, ledger.Charge{AccountID: a.ID, Amount: 23456, Reference: "WH-1103"}); err != nil {
				t.Fatal(err)
			}
			adjust(t, s, a.ID, ledger.Credit, 10000, "仓储费返还")
			// 30 November 23:59 in Shanghai: nothing yet.
			clk.set(time.Date(2026, 11, 30, 15, 59, 0, 0, time.UTC))
			drain(t, w)
			before := len(srv.Messages())
			// 1 December 00:01 in Shanghai.
			clk.set(time.Date(2026, 11, 30, 16, 1, 0, 0, time.UTC))
			drain(t, w)
			clk.Add(2 * time.Hour)
			drain(t, w)
			msgs := srv.Messages()[before:]
			var stmts []testsmtp.Received
			for _, m := range msgs {
				if len(m.Attachments) > 0 {
					stmts = append(stmts, m)
				}
			}
			if len(stmts) != 1 || stmts[0].To[0] != c.Email {
				t.Fatalf("statement mail: %d of %d messages", len(stmts), len(msgs))
			}
			m := stmts[0]
			if !strings.Contains(m.Text, "1,500.00") || !strings.Contains(m.Text, "1,365.44") {
				t.Errorf("the mail's figures: %s", m.Text)
			}
			file := filepath.Join(t.TempDir(), "statement.pdf")
			if err := os.WriteFile(file, m.Attachments[0].Data, 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(pdftotext, "-layout", file, "-").Output()
			if err != nil {
				t.Fatalf("pdftotext: %v", err)
			}
			text := string(out)
			for _, want := range []string{"张三贸易有限公司", "期初余额", "1,500.00", "期末余额", "1,365.44", "WH-1103"} {
				if !strings.Contains(text, want) {
					t.Errorf("the PDF lacks %q:\n%s", want, text)
				}
			}
		})
	}
}

// TestStatementMailLink: with the address customers reach Coffer at, the
// monthly statement mail carries a link to the statement page; a retry
// mails a new link and closes the one the failed attempt made, so that
// only the link in the mail that went out opens the page.
func TestStatementMailLink(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		srv := testsmtp.Start(t, testsmtp.TempFail)
		useServer(t, s, srv.Host, srv.Port)
		_, a := customer(t, s, "Eve Shop", "13500000051", "en")
		adjust(t, s, a.ID, ledger.Credit, 5000, "credit")
		now := time.Now()
		if _, err := s.QueueMonthlyStatements(ctx, now.AddDate(0, -1, 0)); err != nil { // notes the month before last
			t.Fatal(err)
		}
		if n, err := s.QueueMonthlyStatements(ctx, now.AddDate(0, 1, 0)); err != nil || n != 1 {
			t.Fatalf("queued %d: %v", n, err)
		}
		clk := &clock{t: now.AddDate(0, 1, 0)}
		w := notify.New(s, log, notify.Options{Now: clk.Now, BaseURL: "https://coffer.example/", BaseDelay: time.Minute})
		drain(t, w) // the adjustment's mail and the statement both meet a 451
		srv.SetMode(testsmtp.Accept)
		clk.Add(time.Hour)
		drain(t, w)
		var stmt *testsmtp.Received
		for _, m := range srv.Wait(2, 10*time.Second) {
			if len(m.Attachments) > 0 {
				stmt = &m
			}
		}
		if stmt == nil {
			t.Fatal("no statement mail")
		}
		i := strings.Index(stmt.Text, "https://coffer.example/s/cst_")
		if i < 0 {
			t.Fatalf("the statement mail has no link: %s", stmt.Text)
		}
		token := strings.Fields(stmt.Text[i+len("https://coffer.example/s/"):])[0]
		if _, err := s.OpenStatementLink(ctx, token); err != nil {
			t.Errorf("the mailed link does not open: %v", err)
		}
		var live, all int
		s.DB().QueryRow("SELECT COUNT(*) FROM statement_links WHERE revoked_at IS NULL").Scan(&live)
		s.DB().QueryRow("SELECT COUNT(*) FROM statement_links").Scan(&all)
		if live != 1 || all != 2 {
			t.Errorf("%d links made, %d open; want 2 and 1 (the failed attempt's closed)", all, live)
		}
	})
}
