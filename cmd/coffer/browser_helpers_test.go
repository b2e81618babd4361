package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// axeSource is axe-core (MPL-2.0, testdata/axe/LICENSE), vendored for the
// accessibility checks of the browser tests only; it is not in the binary.
//
//go:embed testdata/axe/axe.min.js
var axeSource string

// Viewports the console is judged at: a laptop and a phone.
const (
	desktopWidth, desktopHeight = 1366, 900
	phoneWidth, phoneHeight     = 390, 844
)

// browser is headless Chromium pointed at one real `coffer serve`, with the
// steps a browser test is written in. Every step fails the test with the
// server's logs.
type browser struct {
	t       *testing.T
	ctx     context.Context
	base    string
	logs    *syncBuffer
	screens string
	// data holds the words of the test's own data (names, notes), which a
	// Chinese page shows as they were typed.
	data map[string]bool
}

// serveForBrowser starts `coffer serve` on dialect d (a fresh SQLite file or
// PostgreSQL schema) with root as super admin, and opens a browser on it.
// It skips the test when Chromium is missing, unless COFFER_REQUIRE_BROWSER
// is set (as ./test.sh does).
func serveForBrowser(t *testing.T, d store.Dialect, args ...string) *browser {
	t.Helper()
	return serveForBrowserArgs(t, append([]string{"--db", testdb.DSN(t, d)}, args...))
}

// serveForBrowserArgs is serveForBrowser with the whole of serve's arguments.
func serveForBrowserArgs(t *testing.T, args []string) *browser {
	t.Helper()
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("COFFER_REQUIRE_BROWSER") != "" {
			t.Fatal("chromium is not installed (apt-get install chromium); ./test.sh installs it")
		}
		t.Skip("chromium is not installed; ./test.sh installs it and runs this test")
	}
	dir := t.TempDir()
	addr, _, logs := start(t, dir, []string{"COFFER_ADMIN_USER=root", "COFFER_ADMIN_PASSWORD=root password 1"}, args...)
	// The profile lives outside t.TempDir: Chromium's helper processes may
	// still write to it for a moment after the browser is closed, which would
	// fail the test's own cleanup. It is removed here, as well as that allows.
	profile, err := os.MkdirTemp("", "coffer-chrome-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile), chromedp.WindowSize(desktopWidth, desktopHeight),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	// A step that waits for what never comes fails when this runs out.
	limit := 5 * time.Minute
	if m, err := time.ParseDuration(os.Getenv("COFFER_BROWSER_LIMIT")); err == nil {
		limit = m
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, limit)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc(); os.RemoveAll(profile) })
	screens := filepath.Join("testdata", "screens")
	os.MkdirAll(screens, 0o755)
	b := &browser{t: t, ctx: ctx, base: "http://" + addr, logs: logs, screens: screens, data: map[string]bool{}}
	b.run("start the browser", chromedp.EmulateViewport(desktopWidth, desktopHeight))
	return b
}

// api makes a request of the server's API, for a test's data, and fails
// the test unless the answer has status want.
func (b *browser) api(want int, method, path, token string, body any) map[string]any {
	b.t.Helper()
	code, m, err := apiCall(b.base, method, path, token, body)
	if err != nil || code != want {
		b.t.Fatalf("%s %s = %d %v: %v", method, path, code, m, err)
	}
	return m
}

func (b *browser) run(step string, actions ...chromedp.Action) {
	b.t.Helper()
	if err := chromedp.Run(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v\nserver logs:\n%s", step, err, b.logs.String())
	}
}

// open loads path and waits for the CSS selector sel to be visible.
func (b *browser) open(path, sel string) {
	b.t.Helper()
	b.run("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitVisible(sel, chromedp.ByQuery))
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	var s string
	b.run("read "+sel, chromedp.Text(sel, &s, chromedp.ByQuery))
	return strings.TrimSpace(s)
}

func (b *browser) value(sel string) string {
	b.t.Helper()
	var s string
	b.run("read the value of "+sel, chromedp.Value(sel, &s, chromedp.ByQuery))
	return s
}

func (b *browser) exists(sel string) bool {
	b.t.Helper()
	var ok bool
	b.run("look for "+sel, chromedp.Evaluate(fmt.Sprintf("document.querySelector(%q) !== null", sel), &ok))
	return ok
}

func (b *browser) shot(name string) {
	b.t.Helper()
	var png []byte
	b.run("screenshot "+name, chromedp.FullScreenshot(&png, 100))
	os.WriteFile(filepath.Join(b.screens, name+".png"), png, 0o644)
}

func (b *browser) login(user, pass string) {
	b.t.Helper()
	b.run("log in as "+user, chromedp.Navigate(b.base+"/login"), chromedp.WaitVisible("#username", chromedp.ByID),
		chromedp.SendKeys("#username", user, chromedp.ByID), chromedp.SendKeys("#password", pass, chromedp.ByID),
		chromedp.Click("#login", chromedp.ByID), chromedp.WaitVisible("#logout", chromedp.ByID))
}

func (b *browser) logout() {
	b.t.Helper()
	b.run("log out", chromedp.Click("#logout", chromedp.ByID), chromedp.WaitVisible("#username", chromedp.ByID))
}

// submit clicks sel and waits for waitFor to be visible. On a loaded
// machine a click can land while the page still moves and miss its button;
// a click after which nothing at all happened (no form sent, no htmx
// request, no new page, waitFor not on show) is made again, so a step never
// waits out the whole limit for a lost click. One that sent something is
// never repeated.
func (b *browser) submit(step, sel, waitFor string) {
	b.t.Helper()
	const watch = `window.__cofferSent = false;
		if (!window.__cofferWatch) {
			window.__cofferWatch = true;
			var sent = function () { window.__cofferSent = true; };
			document.addEventListener("submit", sent, true);
			document.addEventListener("htmx:beforeRequest", sent, true);
			document.addEventListener("click", function (e) { if (e.target.closest && e.target.closest("a[href]")) sent(); }, true);
		}`
	for try := 1; ; try++ {
		b.run(step+": watch the page", chromedp.Evaluate(watch, nil))
		b.run(step, chromedp.Click(sel, chromedp.ByQuery))
		ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
		err := chromedp.Run(ctx, chromedp.WaitVisible(waitFor, chromedp.ByQuery))
		cancel()
		if err == nil {
			return
		}
		var lost bool
		chromedp.Run(b.ctx, chromedp.Evaluate(`window.__cofferSent === false`, &lost))
		if !lost || try == 3 {
			break
		}
		b.t.Logf("%s: the click on %s did nothing; clicking again", step, sel)
	}
	b.run(step, chromedp.WaitVisible(waitFor, chromedp.ByQuery))
}

// submitPage is submit for a form that leads to a new page whose waitFor
// may be on show already before the click (a #flash from the step before):
// it waits for the new page first, so that the next step does not race the
// post still on its way.
func (b *browser) submitPage(step, sel, waitFor string) {
	b.t.Helper()
	b.run(step+": mark the page", chromedp.Evaluate(`window.__cofferOld = true`, nil))
	b.run(step, chromedp.Click(sel, chromedp.ByQuery))
	b.nextPage(step)
	b.run(step, chromedp.WaitVisible(waitFor, chromedp.ByQuery))
}

// nextPage waits until the page marked by submitPage has been replaced by a
// loaded one. The evaluation fails while the page changes; that is waited
// out too.
func (b *browser) nextPage(step string) {
	b.t.Helper()
	for {
		var fresh bool
		err := chromedp.Run(b.ctx, chromedp.Evaluate(`window.__cofferOld !== true && document.readyState !== "loading"`, &fresh))
		if err == nil && fresh {
			return
		}
		if b.ctx.Err() != nil {
			b.t.Fatalf("%s: the next page never came\nserver logs:\n%s", step, b.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// language switches the UI to "en" or "zh-CN" from the header's buttons.
func (b *browser) language(lang string) {
	b.t.Helper()
	var now string
	b.run("page language", chromedp.Evaluate(`document.documentElement.lang`, &now))
	if now == lang {
		return // a click would reload the page while the next step loads another
	}
	id := map[string]string{"en": "#lang-en", "zh-CN": "#lang-zh"}[lang]
	b.run("switch to "+lang, chromedp.Click(id, chromedp.ByQuery), chromedp.WaitVisible(`html[lang="`+lang+`"]`, chromedp.ByQuery))
}

// check judges the page on screen as an operator would, at desktop and at
// phone width: no serious or critical accessibility violation (axe-core), no
// page wider than the viewport, and on a Chinese page no English words
// outside data and brand names. It saves a screenshot of each width as
// name-desktop.png and name-phone.png, and leaves the desktop viewport on.
func (b *browser) check(name string) {
	b.t.Helper()
	for _, vp := range []struct {
		label string
		w, h  int64
	}{{"desktop", desktopWidth, desktopHeight}, {"phone", phoneWidth, phoneHeight}} {
		b.run("viewport "+vp.label, chromedp.EmulateViewport(vp.w, vp.h), chromedp.Sleep(50*time.Millisecond))
		b.shot(name + "-" + vp.label)
		var wide struct{ Page, View int }
		b.run("page width", chromedp.Evaluate(`({Page: document.documentElement.scrollWidth, View: window.innerWidth})`, &wide))
		if wide.Page > wide.View {
			b.t.Errorf("%s at %s width: the page is %d px wide in a %d px viewport", name, vp.label, wide.Page, wide.View)
		}
		if vp.label == "desktop" {
			b.axe(name)
			b.noEnglish(name)
		}
	}
	b.run("viewport desktop", chromedp.EmulateViewport(desktopWidth, desktopHeight))
}

// axe runs axe-core on the page and fails on serious or critical violations.
func (b *browser) axe(name string) {
	b.t.Helper()
	var loaded bool
	b.run("is axe loaded", chromedp.Evaluate(`typeof axe !== "undefined"`, &loaded))
	if !loaded {
		b.run("load axe", chromedp.Evaluate(axeSource+";true", &loaded))
	}
	var out string
	b.run("run axe", chromedp.Evaluate(`axe.run(document, {resultTypes: ["violations"], runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}).then(r => JSON.stringify(
		r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({
			id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))))`,
		&out, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	var found []struct {
		ID, Impact, Help string
		Nodes            []string
	}
	if err := json.Unmarshal([]byte(out), &found); err != nil {
		b.t.Fatalf("%s: axe answered %q: %v", name, out, err)
	}
	for _, v := range found {
		b.t.Errorf("%s: accessibility %s (%s): %s at %v", name, v.ID, v.Impact, v.Help, v.Nodes)
	}
}

// englishAllowed are words a Chinese page may show in Latin letters: the
// brand, currency codes, formats and the language switch.
var englishAllowed = map[string]bool{"Coffer": true, "EN": true, "English": true, "CSV": true, "JSON": true, "PDF": true,
	"Webhook": true, "Webhooks": true, "URL": true, "ID": true, "API": true, "PNG": true, "JPEG": true, "IANA": true,
	"SMTP": true, "STARTTLS": true, "TLS": true}

// allow declares the words of data the test typed (a customer's name, a
// note): a Chinese page shows them as they are.
func (b *browser) allow(texts ...string) {
	for _, s := range texts {
		for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') }) {
			b.data[w] = true
		}
	}
}

// noEnglish fails when a Chinese page shows an English word other than the
// test's data (see allow), brand names and codes; inputs, code and anything
// marked translate="no" or lang="en" are not read.
func (b *browser) noEnglish(name string) {
	b.t.Helper()
	var lang string
	b.run("page language", chromedp.Evaluate(`document.documentElement.lang`, &lang))
	if lang != "zh-CN" {
		return
	}
	var words []string
	b.run("English words", chromedp.Evaluate(`(() => {
		const skip = el => el.closest('[translate="no"], [lang="en"], code, pre, textarea, script, style, [hidden]');
		const out = [];
		const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
		for (let n; (n = w.nextNode());) {
			if (skip(n.parentElement) || !n.parentElement.getClientRects().length) continue;
			for (const m of n.textContent.matchAll(/[A-Za-z]{3,}/g)) out.push(m[0]);
		}
		return out;
	})()`, &words))
	var bad []string
	for _, w := range words {
		if !englishAllowed[w] && !b.data[w] && !isCurrencyCode(w) {
			bad = append(bad, w)
		}
	}
	if len(bad) > 0 {
		if len(bad) > 15 {
			bad = bad[:15]
		}
		b.t.Errorf("%s: English on a Chinese page: %v", name, bad)
	}
}

func isCurrencyCode(w string) bool {
	return len(w) == 3 && strings.ToUpper(w) == w
}
