package deploy_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// testVersion is stamped into the binaries the tests build, as release.sh
// stamps a release's.
const testVersion = "v0.0.0-deploytest"

// root is the top of the checkout: this package is deploy/ in it.
func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// need skips the test when the program is not installed.
func need(t *testing.T, program string) string {
	t.Helper()
	path, err := exec.LookPath(program)
	if err != nil {
		t.Skipf("%s is not installed: not checked", program)
	}
	return path
}

// buildCoffer builds cmd/coffer with the version stamped by the same -X
// flag as release.sh, into a temporary directory, and returns its path.
// It keeps the toolchain's other settings, so that it reuses the build
// cache of the rest of the test run; release.sh itself is run by
// TestRelease.
// The tests share one build, removed by TestMain.
func buildCoffer(t *testing.T) string {
	t.Helper()
	goTool := need(t, "go")
	built.Do(func() {
		built.bin = filepath.Join(built.dir, "coffer")
		cmd := exec.Command(goTool, "build", "-ldflags", "-X main.buildVersion="+testVersion, "-o", built.bin, "./cmd/coffer")
		cmd.Dir = root(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

var built struct {
	sync.Once
	dir, bin string
	err      error
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "coffer-deploy-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	built.dir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// unitFor is deploy/coffer.service with ExecStart on bin instead of
// /usr/local/bin/coffer, written to a temporary directory:
// systemd-analyze verify checks that the program exists.
func unitFor(t *testing.T, bin string) string {
	t.Helper()
	unit, err := os.ReadFile("coffer.service")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(unit), "\nExecStart=/usr/local/bin/coffer serve\n") {
		t.Fatal("coffer.service: ExecStart is not /usr/local/bin/coffer serve")
	}
	path := filepath.Join(t.TempDir(), "coffer.service")
	text := strings.Replace(string(unit), "ExecStart=/usr/local/bin/coffer", "ExecStart="+bin, 1)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// unitSettings are the settings of coffer.service, by name, in order.
func unitSettings(t *testing.T) map[string][]string {
	t.Helper()
	f, err := os.Open("coffer.service")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	settings := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '[' {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("coffer.service: %q is not a setting", line)
		}
		settings[name] = append(settings[name], value)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return settings
}

func TestVersionStamped(t *testing.T) {
	bin := buildCoffer(t)
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatalf("coffer version: %v", err)
	}
	if !strings.HasPrefix(string(out), "coffer "+testVersion+",") {
		t.Fatalf("coffer version printed %q, want the stamped %s", out, testVersion)
	}
}

// TestUnitSettings checks the settings of the shipped unit that docs/deploy.md
// promises, whatever systemd is installed.
func TestUnitSettings(t *testing.T) {
	s := unitSettings(t)
	want := map[string]string{
		"User":                    "coffer",
		"StateDirectory":          "coffer",
		"WorkingDirectory":        "/var/lib/coffer",
		"EnvironmentFile":         "-/etc/coffer/coffer.env",
		"ExecStart":               "/usr/local/bin/coffer serve",
		"Restart":                 "on-failure",
		"UMask":                   "0077",
		"NoNewPrivileges":         "yes",
		"CapabilityBoundingSet":   "",
		"ProtectSystem":           "strict",
		"ProtectHome":             "yes",
		"PrivateTmp":              "yes",
		"PrivateDevices":          "yes",
		"ProtectKernelTunables":   "yes",
		"ProtectKernelModules":    "yes",
		"ProtectKernelLogs":       "yes",
		"ProtectControlGroups":    "yes",
		"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
		"RestrictNamespaces":      "yes",
		"LockPersonality":         "yes",
		"MemoryDenyWriteExecute":  "yes",
		"SystemCallArchitectures": "native",
	}
	for name, value := range want {
		if got := s[name]; len(got) != 1 || got[0] != value {
			t.Errorf("%s = %q, want %q once", name, got, value)
		}
	}
	if got := s["SystemCallFilter"]; len(got) == 0 || got[0] != "@system-service" {
		t.Errorf("SystemCallFilter = %q, want @system-service first", got)
	}
	// coffer serve waits 20 s for requests in flight, then for the webhook
	// attempts under way (10 s each): systemd must not kill it sooner.
	stop, err := time.ParseDuration(strings.Join(s["TimeoutStopSec"], ""))
	if err != nil || stop < 35*time.Second {
		t.Errorf("TimeoutStopSec = %q, want at least 35s", s["TimeoutStopSec"])
	}
	// The database is under the state directory by default.
	if !contains(s["Environment"], "COFFER_DB=/var/lib/coffer/coffer.db") {
		t.Errorf("Environment = %q, want COFFER_DB=/var/lib/coffer/coffer.db", s["Environment"])
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestSettingsExist checks that every COFFER_ variable the shipped files
// set is one that coffer reads, so that a typo is not silently ignored.
func TestSettingsExist(t *testing.T) {
	sources, err := filepath.Glob(filepath.Join(root(t), "cmd", "coffer", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var code strings.Builder
	for _, src := range sources {
		if strings.HasSuffix(src, "_test.go") {
			continue
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		code.Write(b)
	}
	name := regexp.MustCompile(`\bCOFFER_[A-Z_]+\b`)
	for _, file := range []string{"coffer.service", "coffer.env.example", "nginx.conf", "Caddyfile"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range name.FindAllString(string(b), -1) {
			switch {
			case strings.Contains(code.String(), `"`+v+`"`):
			default:
				t.Errorf("%s: coffer reads no %s", file, v)
			}
		}
	}
}

func TestSystemdVerify(t *testing.T) {
	analyze := need(t, "systemd-analyze")
	unit := unitFor(t, buildCoffer(t))
	out, err := exec.Command(analyze, "verify", unit).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestSystemdSecurity rates the unit's sandbox; systemd before 250 cannot
// rate a unit file that is not loaded (--offline), and the test is skipped.
func TestSystemdSecurity(t *testing.T) {
	analyze := need(t, "systemd-analyze")
	unit := unitFor(t, buildCoffer(t))
	help, _ := exec.Command(analyze, "security", "--help").CombinedOutput()
	if !strings.Contains(string(help), "--offline") {
		t.Skip("this systemd-analyze cannot rate a unit file offline: not checked")
	}
	// The threshold is in tenths: 20 is 2.0, the top of "OK"; the unit
	// rates about 1.2 to 1.4.
	out, err := exec.Command(analyze, "security", "--offline=yes", "--threshold=20", "--no-pager", unit).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	if m := regexp.MustCompile(`Overall exposure level for \S+: (\S+)`).FindSubmatch(out); m != nil {
		t.Logf("exposure %s", m[1])
	}
}

// TestServeAsUnit runs coffer serve as the unit does, with its environment
// (the database in the state directory, which is the working directory),
// checks /healthz and /readyz, and that SIGTERM stops it well within
// TimeoutStopSec.
func TestServeAsUnit(t *testing.T) {
	bin := buildCoffer(t)
	state := t.TempDir()
	cmd := exec.Command(bin, "serve")
	cmd.Dir = state
	cmd.Env = append(os.Environ(), "COFFER_DB="+filepath.Join(state, "coffer.db"), "COFFER_ADDR=127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	serving := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`"msg":"coffer is serving","addr":"([^"]+)"`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				serving <- m[1]
			}
		}
		exited <- cmd.Wait()
	}()
	var addr string
	select {
	case addr = <-serving:
	case err := <-exited:
		exited <- err
		t.Fatalf("coffer serve exited before serving: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("coffer serve did not serve within 30 s")
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(body) != "ok\n" {
			t.Errorf("GET %s: %d %q, want 200 ok", path, resp.StatusCode, body)
		}
	}
	if _, err := os.Stat(filepath.Join(state, "coffer.db")); err != nil {
		t.Errorf("the database is not in the state directory: %v", err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		exited <- err
		if err != nil {
			t.Errorf("coffer serve after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("coffer serve did not stop within 30 s of SIGTERM")
	}
}

// TestNginx checks deploy/nginx.conf with nginx -t, inside a minimal main
// configuration and with a self-signed certificate in place of the
// Let's Encrypt one.
func TestNginx(t *testing.T) {
	nginx := need(t, "nginx")
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	site, err := os.ReadFile("nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer(
		"/etc/letsencrypt/live/coffer.example.com/fullchain.pem", cert,
		"/etc/letsencrypt/live/coffer.example.com/privkey.pem", key,
	).Replace(string(site))
	if text == string(site) {
		t.Fatal("nginx.conf names no /etc/letsencrypt certificate to replace")
	}
	write(t, filepath.Join(dir, "coffer.conf"), text)
	write(t, filepath.Join(dir, "nginx.conf"), "pid "+filepath.Join(dir, "nginx.pid")+";\n"+
		"error_log "+filepath.Join(dir, "error.log")+";\n"+
		"events {}\n"+
		"http {\n"+
		"    client_body_temp_path "+filepath.Join(dir, "body")+";\n"+
		"    proxy_temp_path "+filepath.Join(dir, "proxy")+";\n"+
		"    access_log off;\n"+
		"    include "+filepath.Join(dir, "coffer.conf")+";\n"+
		"}\n")
	cmd := exec.Command(nginx, "-t", "-q", "-p", dir, "-c", filepath.Join(dir, "nginx.conf"), "-e", filepath.Join(dir, "error.log"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
}

// TestCaddyfile checks deploy/Caddyfile with caddy adapt --validate, which
// neither listens nor asks for a certificate.
func TestCaddyfile(t *testing.T) {
	caddy := need(t, "caddy")
	cmd := exec.Command(caddy, "adapt", "--adapter", "caddyfile", "--config", "Caddyfile", "--validate")
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "XDG_DATA_HOME="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("caddy adapt: %v\n%s", err, out)
	}
}

// TestRelease runs release.sh into a temporary directory and checks its
// archives: their SHA256SUMS, their files, and the version the binary of
// this machine's architecture prints. Its first run builds every package
// anew (CGO_ENABLED=0, -trimpath), which takes minutes, so it runs only
// with COFFER_TEST_RELEASE set: to 1 for this machine's architecture, to
// all for linux/amd64 and linux/arm64.
func TestRelease(t *testing.T) {
	mode := os.Getenv("COFFER_TEST_RELEASE")
	if mode == "" {
		t.Skip("set COFFER_TEST_RELEASE=1 (this architecture) or all (amd64 and arm64) to run deploy/release.sh")
	}
	if runtime.GOOS != "linux" {
		t.Skip("release.sh builds for Linux and is checked on Linux")
	}
	need(t, "go")
	need(t, "git")
	arches := runtime.GOARCH
	if mode == "all" {
		arches = "amd64 arm64"
	}
	dist := t.TempDir()
	cmd := exec.Command("bash", filepath.Join(root(t), "deploy", "release.sh"), testVersion)
	cmd.Dir = t.TempDir() // any directory
	cmd.Env = append(os.Environ(), "ARCHES="+arches, "DIST="+dist)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("release.sh: %v\n%s", err, out)
	}
	check := exec.Command("sha256sum", "--check", "--strict", "SHA256SUMS")
	check.Dir = dist
	if out, err := check.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum --check: %v\n%s", err, out)
	}
	for _, arch := range strings.Fields(arches) {
		name := "coffer-" + testVersion + "-linux-" + arch
		out, err := exec.Command("tar", "-xzf", filepath.Join(dist, name+".tar.gz"), "-C", dist).CombinedOutput()
		if err != nil {
			t.Fatalf("tar: %v\n%s", err, out)
		}
		for _, f := range []string{"coffer", "README.md", "docs/deploy.md", "deploy/coffer.service",
			"deploy/coffer.sysusers", "deploy/coffer.env.example", "deploy/nginx.conf", "deploy/Caddyfile"} {
			if _, err := os.Stat(filepath.Join(dist, name, f)); err != nil {
				t.Errorf("%s.tar.gz: %v", name, err)
			}
		}
		if arch != runtime.GOARCH {
			continue
		}
		v, err := exec.Command(filepath.Join(dist, name, "coffer"), "version").Output()
		if err != nil {
			t.Fatalf("coffer version: %v", err)
		}
		if !strings.HasPrefix(string(v), "coffer "+testVersion+",") {
			t.Errorf("coffer version of %s printed %q, want %s", name, v, testVersion)
		}
	}
}

// TestReleaseScriptParses checks release.sh's syntax, always, since
// TestRelease only runs on request.
func TestReleaseScriptParses(t *testing.T) {
	bash := need(t, "bash")
	if out, err := exec.Command(bash, "-n", "release.sh").CombinedOutput(); err != nil {
		t.Fatalf("bash -n release.sh: %v\n%s", err, out)
	}
	if fi, err := os.Stat("release.sh"); err != nil || fi.Mode()&0o111 == 0 {
		t.Errorf("release.sh is not executable: %v", err)
	}
}

// selfSigned writes a certificate for coffer.example.com and its key into
// dir and returns their paths.
func selfSigned(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "coffer.example.com"},
		DNSNames:     []string{"coffer.example.com"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	write(t, cert, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	write(t, key, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})))
	return cert, key
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}
