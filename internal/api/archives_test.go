package api_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/retention"
	"github.com/cofferhq/coffer/internal/store"
)

// TestArchives runs retention through the API over months of activity made
// through the API, then reads the archive back as an admin would.
func TestArchives(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			start := time.Date(2025, 2, 3, 10, 0, 0, 0, time.UTC)
			now := start
			var mu sync.Mutex
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			set := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
			e := newEnvAt(t, d, clock)
			dir := e.archiver.Dir()
			users := map[ledger.Role]string{ledger.RoleSuperAdmin: "root", ledger.RoleAdmin: "clerk", ledger.RoleReviewer: "checker"}
			// Sessions last 12 hours: everyone logs in again each month.
			relogin := func() {
				for role, user := range users {
					e.token[role] = e.login(user, password)
				}
			}

			var accs []string
			for m := 0; m < 8; m++ {
				set(start.AddDate(0, 0, 30*m))
				relogin()
				_, acc := e.customer(fmt.Sprintf("1390000%04d", m), 10000)
				accs = append(accs, acc)
				for _, a := range accs {
					e.do("POST", "/api/v1/charges", e.token[ledger.RoleAdmin], map[string]any{"account_id": a, "amount": "1.00", "reference": fmt.Sprintf("m%d", m)}).want(201)
				}
			}
			set(start.AddDate(0, 0, 30*8))
			relogin()
			cutoff := start.AddDate(0, 0, 30*8-183)
			super, admin := e.token[ledger.RoleSuperAdmin], e.token[ledger.RoleAdmin]
			balances := func() map[string]any {
				out := map[string]any{}
				for _, a := range accs {
					out[a] = e.do("GET", "/api/v1/accounts/"+a, super, nil).want(200).json()["balance"]
				}
				return out
			}
			before := balances()

			e.do("POST", "/api/v1/archives/run", admin, nil).wantProblem(403, "forbidden")
			run := e.do("POST", "/api/v1/archives/run", super, nil).want(200).json()
			arch, _ := run["archive"].(map[string]any)
			if arch == nil || run["cutoff"] != cutoff.Format(time.RFC3339) || run["more"] != false {
				t.Fatalf("run = %v; want an archive with cutoff %s", run, cutoff.Format(time.RFC3339))
			}
			id := arch["id"].(string)
			if arch["entries"].(float64) == 0 || arch["audit_records"].(float64) == 0 || arch["created_by"] != e.admin[ledger.RoleSuperAdmin] {
				t.Errorf("archive = %v", arch)
			}

			e.do("GET", "/api/v1/archives", e.token[ledger.RoleReviewer], nil).wantProblem(403, "forbidden")
			items := e.do("GET", "/api/v1/archives", admin, nil).want(200).items()
			if len(items) != 1 || items[0]["id"] != id || items[0]["sha256"] != arch["sha256"] || items[0]["url"] != "/api/v1/archives/"+id {
				t.Fatalf("archives = %v", items)
			}

			// The download is the file, checked, and reads back.
			e.do("GET", "/api/v1/archives/"+id, e.token[ledger.RoleReviewer], nil).wantProblem(403, "forbidden")
			dl := e.do("GET", "/api/v1/archives/"+id, admin, nil).want(200)
			if ct, cd := dl.Header.Get("Content-Type"), dl.Header.Get("Content-Disposition"); ct != "application/gzip" ||
				cd != `attachment; filename="`+arch["file_name"].(string)+`"` {
				t.Errorf("download headers: Content-Type %q, Content-Disposition %q", ct, cd)
			}
			if sum := sha256.Sum256(dl.Body); hex.EncodeToString(sum[:]) != arch["sha256"] || float64(len(dl.Body)) != arch["size"] {
				t.Errorf("downloaded %d bytes with SHA-256 %x; archive says %v bytes, %v", len(dl.Body), sum, arch["size"], arch["sha256"])
			}
			gz, err := gzip.NewReader(bytes.NewReader(dl.Body))
			if err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(gz)
			sc.Buffer(make([]byte, 1<<20), 16<<20)
			var header map[string]any
			counts := map[string]float64{}
			for n := 0; sc.Scan(); n++ {
				var line map[string]any
				if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
					t.Fatalf("line %d is not JSON: %s", n+1, sc.Bytes())
				}
				if n == 0 {
					header = line
					continue
				}
				counts[line["table"].(string)]++
				if at, _ := time.Parse(time.RFC3339Nano, line["created_at"].(string)); !at.Before(cutoff) {
					t.Errorf("archived row from %s, after the cutoff: %s", at, sc.Bytes())
				}
			}
			if sc.Err() != nil {
				t.Fatal(sc.Err())
			}
			if header["format"] != retention.ArchiveFormat || header["cutoff"] != cutoff.Format(time.RFC3339) ||
				counts["entries"] != arch["entries"] || counts["audit_log"] != arch["audit_records"] || header["entries"] != arch["entries"] {
				t.Errorf("header %v with rows %v; archive %v", header, counts, arch)
			}

			// Balances, the ledger and the chain are as they were.
			if after := balances(); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("balances %v, then %v", before, after)
			}
			if problems, err := e.store.VerifyLedger(ctx); err != nil || len(problems) > 0 {
				t.Errorf("verify ledger: %v, %v", problems, err)
			}
			if v := e.do("GET", "/api/v1/audit/verify", super, nil).want(200).json(); v["ok"] != true {
				t.Errorf("audit verify = %v", v)
			}
			// Recent entries and records are listed; older ones are gone.
			for i, a := range accs {
				es := e.do("GET", "/api/v1/accounts/"+a+"/entries?limit=500", admin, nil).want(200).items()
				if len(es) == 0 {
					t.Errorf("account %d (%s) lists no entries", i, a)
				}
				for _, x := range es {
					if at, _ := time.Parse(time.RFC3339Nano, x["created_at"].(string)); at.Before(cutoff) {
						t.Errorf("account %s still lists an entry from %s", a, at)
					}
				}
				if len(es) > 0 && es[0]["balance_after"] != before[a] {
					t.Errorf("account %s: newest entry's balance after %v, balance %v", a, es[0]["balance_after"], before[a])
				}
			}
			recs := rmAllPages(e, "/api/v1/audit", super)
			if len(recs) == 0 {
				t.Fatal("no operation records are listed")
			}
			for _, r := range recs {
				if at, _ := time.Parse(time.RFC3339Nano, r["created_at"].(string)); at.Before(cutoff) {
					t.Errorf("a record from %s is still listed: %v", at, r)
				}
			}
			if rs := e.do("GET", "/api/v1/audit?action=archive.create", super, nil).want(200).items(); len(rs) != 1 || rs[0]["object_id"] != id {
				t.Errorf("the run's operation records: %v", rs)
			}

			// Again: nothing more is old enough.
			if again := e.do("POST", "/api/v1/archives/run", super, nil).want(200).json(); again["archive"] != nil {
				t.Errorf("second run = %v", again)
			}

			// A file changed or gone is refused, not served.
			path := filepath.Join(dir, arch["file_name"].(string))
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, append(raw, 0), 0o600); err != nil {
				t.Fatal(err)
			}
			e.do("GET", "/api/v1/archives/"+id, admin, nil).wantProblem(409, "archive_altered")
			os.Remove(path)
			e.do("GET", "/api/v1/archives/"+id, admin, nil).wantProblem(409, "archive_missing")
			e.do("GET", "/api/v1/archives/999999", admin, nil).wantProblem(404, "not_found")
			if r := e.do("GET", "/api/v1/archives/x", admin, nil); r.Code != 404 || !strings.Contains(string(r.Body), "not_found") {
				t.Errorf("GET /archives/x = %d %s", r.Code, r.Body)
			}
		})
	}
}

// matrixArchive gives the role matrix an archive to list and download: on
// first use it archives only the oldest operation record, since the
// matrix's other rows need everything else as it is.
func matrixArchive(t *testing.T, e *env) string {
	t.Helper()
	list, err := e.store.Archives(ctx, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) > 0 {
		return fmt.Sprint(list[0].ID)
	}
	var first int64
	if err := e.store.DB().QueryRow("SELECT MIN(created_at) FROM audit_log").Scan(&first); err != nil {
		t.Fatal(err)
	}
	res, err := e.archiver.Run(ctx, ledger.Actor{Name: "matrix"}, retention.Options{Cutoff: time.UnixMicro(first + 1)})
	if err != nil || res.Archive == nil {
		t.Fatalf("archiving the first operation record = %+v, %v", res, err)
	}
	return fmt.Sprint(res.Archive.ID)
}
