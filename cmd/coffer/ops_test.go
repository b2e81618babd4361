package main

import (
	"database/sql"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// coffer version names the build: its version, commit and Go release.
func TestVersion(t *testing.T) {
	out, err := exec.Command(binary, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("coffer version: %v\n%s", err, out)
	}
	if s := string(out); !strings.HasPrefix(s, "coffer ") || !strings.Contains(s, runtime.Version()) || !strings.Contains(s, "commit ") {
		t.Errorf("coffer version printed %q", s)
	}
}

// --log-level sets the least severe line written: at warn the access log's
// lines (info) are gone, by default they are there; a level that does not
// exist is refused before anything starts.
func TestLogLevel(t *testing.T) {
	env := []string{"COFFER_ADMIN_USER=owner", "COFFER_ADMIN_PASSWORD=a long secret"}
	for _, c := range []struct {
		level  string
		access bool
	}{{"", true}, {"warn", false}, {"debug", true}} {
		args := []string{"--db", t.TempDir() + "/c.db"}
		if c.level != "" {
			args = append(args, "--log-level", c.level)
		}
		addr, _, logs := start(t, t.TempDir(), env, args...)
		get(t, "http://"+addr+"/healthz")
		if got := strings.Contains(logs.String(), `"msg":"request"`); got != c.access {
			t.Errorf("--log-level %q: access lines %v, want %v; logs:\n%s", c.level, got, c.access, logs.String())
		}
	}
	out, err := exec.Command(binary, "serve", "--log-level", "loud", "--db", t.TempDir()+"/c.db").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "log-level") {
		t.Errorf("--log-level loud: %v\n%s", err, out)
	}
}

// coffer verify passes a database the demo filled, and fails, naming the
// account, once an entry is changed behind the ledger's back; a record of
// the operation log edited in place breaks the chain, and it says where.
func TestVerify(t *testing.T) {
	db := filepath.Join(t.TempDir(), "v.db")
	if out, err := exec.Command(binary, "demo", "--db", db, "--customers", "8", "--days", "3").CombinedOutput(); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	out, err := exec.Command(binary, "verify", "--db", db).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "every balance equals its entries") || !strings.Contains(string(out), "is whole") {
		t.Fatalf("verify of the demo: %v\n%s", err, out)
	}
	sqlDB, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	var entry, account int64
	if err := sqlDB.QueryRow("SELECT e.id, e.account_id FROM entries e JOIN accounts a ON a.id = e.account_id WHERE a.customer_id IS NOT NULL ORDER BY e.id LIMIT 1").Scan(&entry, &account); err != nil {
		t.Fatal(err)
	}
	// Someone with the database file in hand, past the triggers that keep
	// entries and records immutable.
	for _, q := range []string{"DROP TRIGGER entries_immutable", "DROP TRIGGER audit_log_immutable",
		fmt.Sprintf("UPDATE entries SET amount = amount + 1 WHERE id = %d", entry),
		"UPDATE audit_log SET action = 'customer.update' WHERE id = (SELECT MIN(id) FROM audit_log)"} {
		if _, err := sqlDB.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	out, err = exec.Command(binary, "verify", "--db", db).CombinedOutput()
	if err == nil || !strings.Contains(string(out), fmt.Sprintf("account %d", account)) || !strings.Contains(string(out), "the chain breaks at record") {
		t.Errorf("verify after tampering: %v\n%s", err, out)
	}
	if out, err := exec.Command(binary, "verify", "--db", filepath.Join(t.TempDir(), "missing.db")).CombinedOutput(); err == nil {
		t.Errorf("verify of a missing file passed:\n%s", out)
	}
}

// coffer migrate up brings a new database up to date; status then lists
// every migration as applied; one whose record of the newest migration is
// gone (as a database an older Coffer made lacks it) shows it pending.
func TestMigrate(t *testing.T) {
	db := filepath.Join(t.TempDir(), "m.db")
	if out, err := exec.Command(binary, "migrate", "status", "--db", db).CombinedOutput(); err == nil {
		t.Fatalf("status of a missing file passed:\n%s", out)
	}
	out, err := exec.Command(binary, "migrate", "up", "--db", db).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "up to date") {
		t.Fatalf("migrate up: %v\n%s", err, out)
	}
	sqlDB, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	var newest int64
	if err := sqlDB.QueryRow("SELECT MAX(version_id) FROM goose_db_version").Scan(&newest); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlDB.Exec("DELETE FROM goose_db_version WHERE version_id = ?", newest); err != nil {
		t.Fatal(err)
	}
	out, _ = exec.Command(binary, "migrate", "status", "--db", db).CombinedOutput()
	if !strings.Contains(string(out), "1 of") || !strings.Contains(string(out), "pending") {
		t.Errorf("status with the newest migration undone:\n%s", out)
	}
	if out, err := exec.Command(binary, "migrate", "sideways", "--db", db).CombinedOutput(); err == nil {
		t.Errorf("migrate sideways passed:\n%s", out)
	}
}

// coffer admin create adds an administrator who can then log in (the
// password from standard input); a weak password, a bad role and a taken
// user name are refused. coffer token create prints a secret the API takes.
func TestAdminAndTokenCreate(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "a.db")
	create := func(stdin string, args ...string) (string, error) {
		cmd := exec.Command(binary, append([]string{"admin", "create", "--db", db}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		cmd.Env = append(cmd.Environ(), "COFFER_ADMIN_PASSWORD=")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := create("a long password 1\n", "--username", "owner", "--role", "super_admin"); err != nil || !strings.Contains(out, "created owner") {
		t.Fatalf("admin create: %v\n%s", err, out)
	}
	for _, c := range [][]string{
		{"short\n", "--username", "weak", "--role", "admin"},
		{"a long password 1\n", "--username", "odd", "--role", "boss"},
		{"a long password 1\n", "--username", "OWNER", "--role", "admin"},
	} {
		if out, err := create(c[0], c[1:]...); err == nil {
			t.Errorf("admin create %v passed:\n%s", c[1:], out)
		}
	}
	out, err := exec.Command(binary, "token", "create", "--db", db, "--by", "owner", "--name", "shop till", "--role", "admin", "--expires", "24h").CombinedOutput()
	if err != nil {
		t.Fatalf("token create: %v\n%s", err, out)
	}
	if out, err := exec.Command(binary, "token", "create", "--db", db, "--by", "nobody", "--name", "x", "--role", "admin").CombinedOutput(); err == nil {
		t.Errorf("a token on no one's authority was made:\n%s", out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	secret := lines[len(lines)-1]
	addr, _, _ := start(t, dir, nil, "--db", db)
	for _, c := range []struct {
		auth string
		want int
	}{{"Bearer " + secret, 200}, {"Bearer not-" + secret, 401}} {
		req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/me", nil)
		req.Header.Set("Authorization", c.auth)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != c.want {
			t.Errorf("GET /api/v1/me with %.12s…: %d, want %d", c.auth, res.StatusCode, c.want)
		}
	}
	login, _ := http.Post("http://"+addr+"/api/v1/auth/login", "application/json", strings.NewReader(`{"username":"owner","password":"a long password 1"}`))
	if login.StatusCode != 200 {
		t.Errorf("the administrator made on the command line cannot log in: %d", login.StatusCode)
	}
	login.Body.Close()
}
