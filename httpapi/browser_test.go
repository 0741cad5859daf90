package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/follow"
	"github.com/logstats/logstats/httpapi"
	"github.com/logstats/logstats/internal/loggen"
	"github.com/logstats/logstats/internal/testdb"
)

// findChromium returns the path of a Chromium or Chrome, or "".
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestDashboard_Browser drives the dashboard in headless Chromium against a
// server with 8 customers over 30 days: it picks a customer, changes the
// range, and checks that the table's numbers are the API's, that the three
// charts drew pixels, that the endpoints table is the API's breakdown in
// the order of the column clicked, that choosing an endpoint narrows the
// days to the API's filtered stats and is kept in the address, that a phone-width window does not scroll sideways,
// and that an unknown customer and an empty range say so. Any console error,
// uncaught exception or failed resource (a CSP violation, say) fails it. The
// screenshots go to $LOGSTATS_TEST_SCREENSHOT_DIR (docs/ keeps the README's)
// or the test's temporary directory.
func TestDashboard_Browser(t *testing.T) {
	chromium := needChromium(t)
	db := testdb.Open(t, logstats.DialectSQLite)
	// A day zone of its own, in which the days are cut and which the page
	// must name.
	zone, err := time.LoadLocation("America/Argentina/Buenos_Aires")
	if err != nil {
		t.Fatal(err)
	}
	if err := logstats.SetDayZone(context.Background(), db.DB, zone); err != nil {
		t.Fatal(err)
	}
	ing := logstats.NewIngester(db.DB)
	cfg := loggen.DefaultConfig()
	cfg.Lines, cfg.Customers, cfg.MalformedRate = 40_000, 8, 0.001
	var log bytes.Buffer
	if err := loggen.Write(&log, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := ing.Load(context.Background(), "dashboard.log", &log, logstats.LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	// Customers whose ids need escaping in a path, one of them "..".
	if _, err := ing.Load(context.Background(), "odd.log", strings.NewReader("2024-10-05 10:00:00 .. /a 503 0.25\n2024-10-05 10:00:00 a/b?#% /a 200 0.5\n"), logstats.LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	// A customer from a log without request times (combined).
	combined := `203.0.113.7 - untimed [05/Oct/2024:10:00:00 +0000] "GET /a HTTP/1.1" 200 9 "-" "curl/8.5.0"
203.0.113.7 - untimed [06/Oct/2024:10:00:00 +0000] "GET /a HTTP/1.1" 503 9 "-" "curl/8.5.0"
`
	if _, err := ing.Load(context.Background(), "combined.log", strings.NewReader(combined), logstats.LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	stats := logstats.NewStatsService(db.DB)
	stats.DayZone = zone
	// Objectives, which the charts draw as target lines and the overview
	// says met or breached.
	if stats.Objectives, err = logstats.ParseObjectives("uptime>=90,p99<=1.5"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.NewHandler(httpapi.Deps{Logger: slog.New(slog.DiscardHandler), DB: db.DB, Stats: stats, Loader: ing}, httpapi.Options{}))
	t.Cleanup(srv.Close)

	shots := os.Getenv("LOGSTATS_TEST_SCREENSHOT_DIR")
	if shots == "" {
		shots = t.TempDir()
	}
	ctx, checkConsole := startBrowser(t, chromium)
	eval := func(t *testing.T, step, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { `+js+`; return true })()`)); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	waitReady := func(t *testing.T, step string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`body[data-state="ready"]`))); err != nil {
			t.Fatalf("%s: the dashboard never became ready: %v", step, err)
		}
		checkConsole(t, step)
	}
	// set changes inputs as a person would (value, then a change event) and
	// waits until the dashboard has drawn the answer.
	set := func(t *testing.T, step string, pairs ...string) {
		t.Helper()
		js := `document.body.dataset.state = "acting"`
		for i := 0; i+1 < len(pairs); i += 2 {
			js += fmt.Sprintf(`; { const e = document.querySelector(%q); e.value = %q; e.dispatchEvent(new Event("change")); }`, pairs[i], pairs[i+1])
		}
		eval(t, step, js)
		waitReady(t, step)
	}
	// typeInto types over an input's text as a person would, then leaves it
	// with Tab, which commits the value (a change event).
	typeInto := func(t *testing.T, step, sel, text string) {
		t.Helper()
		eval(t, step, fmt.Sprintf(`document.body.dataset.state = "acting"; document.querySelector(%q).select()`, sel))
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(sel), text+kb.Tab)); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		waitReady(t, step)
	}
	screenshot := func(t *testing.T, name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(shots, name)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatal(err)
	}
	waitReady(t, "open the dashboard")

	// The default: the customer with the most requests, its last 30 days
	// with data.
	type selection struct{ Customer, From, To string }
	state, err := chromedp.Run(ctx, chromedp.Evaluate[selection](`({Customer: customer.value, From: from.value, To: to.value})`))
	if err != nil {
		t.Fatal(err)
	}
	if want := (selection{busiestCustomer(t, srv.URL), "2024-10-01", "2024-10-30"}); state != want {
		t.Fatalf("default selection %+v, want %+v", state, want)
	}
	checkCharts(t, ctx)
	if zone, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("day-zone").textContent`)); err != nil || zone != "America/Argentina/Buenos_Aires" {
		t.Fatalf("the page names the day zone %q (%v), want the answers' America/Argentina/Buenos_Aires", zone, err)
	}

	typeInto(t, "pick a customer", "#customer", "cust_3")
	if got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.hash`)); err != nil || got != "#customer=cust_3&from=2024-10-01&to=2024-10-30" {
		t.Fatalf("after picking cust_3 the address says %q (%v)", got, err)
	}
	set(t, "change the range", "#from", "2024-10-08", "#to", "2024-10-21")
	checkTable(t, ctx, srv.URL, "cust_3", "2024-10-08", "2024-10-21", 14)
	checkCharts(t, ctx)
	screenshot(t, "dashboard.png")
	checkEndpoints(t, ctx, srv.URL, "cust_3", "2024-10-08", "2024-10-21", "total_requests")

	// Sorting by a column, then choosing an endpoint: the charts and the
	// days narrow to it, and the address records it.
	eval(t, "sort the endpoints by p99", `document.querySelector('#endpoints th button[data-sort="p99_latency"]').click()`)
	checkEndpoints(t, ctx, srv.URL, "cust_3", "2024-10-08", "2024-10-21", "p99_latency")
	eval(t, "choose an endpoint", `document.body.dataset.state = "acting";
		[...document.querySelectorAll("#endpoints tbody tr")].find(tr => tr.cells[1].textContent === "/api/v1/users").click()`)
	waitReady(t, "choose an endpoint")
	if got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.hash`)); err != nil || got != "#customer=cust_3&from=2024-10-08&to=2024-10-21&endpoint=+%2Fapi%2Fv1%2Fusers" {
		t.Fatalf("after choosing /api/v1/users the address says %q (%v)", got, err)
	}
	checkTableOf(t, ctx, srv.URL, "cust_3", "2024-10-08", "2024-10-21", "&method=&route=/api/v1/users", 14)
	checkCharts(t, ctx)
	if chosen, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#endpoints tbody tr[aria-selected="true"]').cells[1].textContent + " | " + document.getElementById("endpoint-chosen").textContent`)); err != nil || chosen != "/api/v1/users |  /api/v1/users" {
		t.Fatalf("the chosen row and title say %q (%v)", chosen, err)
	}
	screenshot(t, "dashboard-endpoints.png")
	// The address opens the page so narrowed.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/#customer=cust_3&from=2024-10-08&to=2024-10-21&endpoint=+%2Fapi%2Fv1%2Fusers")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	waitReady(t, "open a narrowed address")
	checkTableOf(t, ctx, srv.URL, "cust_3", "2024-10-08", "2024-10-21", "&method=&route=/api/v1/users", 14)
	eval(t, "all endpoints again", `document.body.dataset.state = "acting"; document.getElementById("endpoint-clear").click()`)
	waitReady(t, "all endpoints again")
	checkTable(t, ctx, srv.URL, "cust_3", "2024-10-08", "2024-10-21", 14)

	// The headline figures against the range before, and the objectives
	// as target lines.
	checkExtras(t, ctx)
	// Weeks: a row a week, as the API's periods.
	set(t, "per week", "#interval", "week")
	checkPeriods(t, ctx, srv.URL, "cust_3", "2024-10-08", "2024-10-21", "week")
	checkCharts(t, ctx)
	set(t, "per month", "#interval", "month")
	checkPeriods(t, ctx, srv.URL, "cust_3", "2024-10-08", "2024-10-21", "month")
	set(t, "per day", "#interval", "day")
	checkTable(t, ctx, srv.URL, "cust_3", "2024-10-08", "2024-10-21", 14)

	// The overview: every customer, worst first; a row opens its page.
	eval(t, "open the overview", `document.body.dataset.state = "acting"; document.getElementById("nav-overview").click()`)
	waitReady(t, "open the overview")
	checkOverview(t, ctx, srv.URL, "2024-10-08", "2024-10-21")
	screenshot(t, "dashboard-overview.png")
	if got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.hash`)); err != nil || got != "#view=overview&from=2024-10-08&to=2024-10-21" {
		t.Fatalf("the overview's address is %q (%v)", got, err)
	}
	eval(t, "open a customer from the overview", `document.body.dataset.state = "acting";
		[...document.querySelectorAll("#fleet tbody tr")].find(tr => tr.cells[0].textContent === "cust_5").click()`)
	waitReady(t, "open a customer from the overview")
	if shown, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById("fleet").offsetParent !== null) + " " + (document.getElementById("days").offsetParent !== null) + " " + location.hash`)); err != nil ||
		shown != "false true #customer=cust_5&from=2024-10-08&to=2024-10-21" {
		t.Fatalf("after a click in the overview, the fleet table, the days table and the address: %q (%v)", shown, err)
	}
	checkTable(t, ctx, srv.URL, "cust_5", "2024-10-08", "2024-10-21", 14)
	checkCharts(t, ctx)
	// The overview's address opens it.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/#view=overview&from=2024-10-01&to=2024-10-30")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	waitReady(t, "open the overview's address")
	checkOverview(t, ctx, srv.URL, "2024-10-01", "2024-10-30")
	eval(t, "back to cust_3", `document.body.dataset.state = "acting";
		[...document.querySelectorAll("#fleet tbody tr")].find(tr => tr.cells[0].textContent === "cust_3").click()`)
	waitReady(t, "back to cust_3")

	// A phone-width window: nothing wider than the screen but the table,
	// which scrolls in its own box.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	set(t, "phone width", "#to", "2024-10-20")
	overflow, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if err != nil {
		t.Fatal(err)
	}
	if overflow {
		t.Fatal("at 390 px wide the page scrolls sideways")
	}
	checkCharts(t, ctx)
	screenshot(t, "dashboard-phone.png")
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1200, 900)); err != nil {
		t.Fatal(err)
	}

	// An empty range and an unknown customer: a message, no chart, no row.
	set(t, "an empty range", "#from", "2025-01-01", "#to", "2025-01-31")
	checkEmpty(t, ctx, "No requests of cust_3 from 2025-01-01 to 2025-01-31")
	set(t, "an id that needs escaping", "#customer", "a/b?#%")
	checkTable(t, ctx, srv.URL, "a/b?#%", "2024-09-06", "2024-10-05", 1)
	// ".." cannot be asked for by a browser, which resolves the segment
	// even escaped: the dashboard says so instead of showing another route.
	set(t, "the id ..", "#customer", "..")
	checkEmpty(t, ctx, `A browser cannot ask for customer ".."`)
	set(t, "an unknown customer", "#customer", "nobody")
	checkEmpty(t, ctx, "No customer nobody has any requests")
	// A log without request times: the counts and the uptime, and a note
	// where the latency chart would be.
	set(t, "a customer without latencies", "#customer", "untimed", "#from", "2024-10-01", "#to", "2024-10-07")
	note, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const el = document.querySelector("#chart-latency");
		return (el.querySelector("canvas") ? "canvas " : "") + el.textContent + " | " + document.querySelector("#summary").textContent;
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(note, "No latency in this log") || !strings.Contains(note, "Requests2") || !strings.Contains(note, "Uptime %50.00") {
		t.Fatalf("the page of a customer without latencies: %q", note)
	}

	// Live: a range that includes today (of the day zone) refreshes by
	// itself. A line written to a log that a Follower follows shows on the
	// page without a reload.
	logPath := filepath.Join(t.TempDir(), "live.log")
	line := func() string {
		return time.Now().UTC().Format("2006-01-02 15:04:05.000") + " cust_live /v1/live 200 0.042\n"
	}
	if err := os.WriteFile(logPath, []byte(line()), 0o644); err != nil {
		t.Fatal(err)
	}
	followCtx, stopFollow := context.WithCancel(context.Background())
	followed := make(chan error, 1)
	go func() {
		f := &follow.Follower{Ingester: ing, Globs: []string{logPath}, Interval: 200 * time.Millisecond, MinRound: 50 * time.Millisecond}
		followed <- f.Run(followCtx)
	}()
	t.Cleanup(func() { stopFollow(); <-followed })
	todayBA := time.Now().In(zone).Format(time.DateOnly)
	yesterdayBA := time.Now().In(zone).AddDate(0, 0, -1).Format(time.DateOnly)
	waitFor(t, "the follower's first line", func() bool {
		st, err := stats.FindStats(context.Background(), "cust_live", logstats.StatsFilter{})
		return err == nil && st.Stats.TotalRequests == 1
	})
	// The list of customers is read once, at the page's start: this id is
	// typed, as any unlisted one may be.
	set(t, "a range that includes today", "#customer", "cust_live", "#from", yesterdayBA, "#to", todayBA)
	total := func() string {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("#days tfoot tr td:nth-child(2)") || {}).textContent || ""`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := total(); got != "1" {
		t.Fatalf("cust_live's total on the page is %q, want 1", got)
	}
	eval(t, "mark the page", `window.notReloaded = true`)
	f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(line()); err != nil {
		t.Fatal(err)
	}
	f.Close()
	waitFor(t, "the new line on the page", func() bool { return total() == "2" })
	updated, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.notReloaded === true ? document.getElementById("updated").textContent : "reloaded"`))
	if err != nil || !strings.HasPrefix(updated, "updated ") || !strings.HasSuffix(updated, " s ago · live") {
		t.Fatalf("after the refresh the page says %q (%v), want \"updated N s ago · live\", and no reload", updated, err)
	}
	checkConsole(t, "the end")
}

// needChromium returns the path of Chromium, or skips the test without it
// (fails it with LOGSTATS_TEST_REQUIRE_BROWSER=1).
func needChromium(t *testing.T) string {
	t.Helper()
	chromium := findChromium()
	if chromium == "" {
		if os.Getenv("LOGSTATS_TEST_REQUIRE_BROWSER") == "1" {
			t.Fatal("no Chromium found, and LOGSTATS_TEST_REQUIRE_BROWSER=1: apt-get install chromium")
		}
		t.Skip("no Chromium found: apt-get install chromium to run the browser test (LOGSTATS_TEST_REQUIRE_BROWSER=1 makes this a failure)")
	}
	return chromium
}

// startBrowser starts a headless Chromium for the test and returns its
// context and checkConsole, which fails the test on any console error,
// uncaught exception or browser log error (a failed resource, a CSP
// violation) seen since the start.
func startBrowser(t *testing.T, chromium string) (context.Context, func(t *testing.T, step string)) {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox, // CI runs as root
		chromedp.WindowSize(1200, 900),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel)

	// Every console error, uncaught exception and browser log error (a
	// failed resource, a CSP violation) is collected, and fails the test.
	var mu sync.Mutex
	var consoleErrors []string
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`true`)); err != nil { // starts the browser
		t.Fatalf("start %s: %v", chromium, err)
	}
	console := chromedp.Console(ctx) // subscribed from here, before the page loads
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				mu.Lock()
				consoleErrors = append(consoleErrors, m.String())
				mu.Unlock()
			}
		}
	}()
	checkConsole := func(t *testing.T, step string) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		if len(consoleErrors) > 0 {
			t.Fatalf("%s: the browser reported errors:\n%s", step, strings.Join(consoleErrors, "\n"))
		}
	}
	return ctx, checkConsole
}

// waitFor waits until cond holds, for up to 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

// busiestCustomer asks the API for the customer with the most requests.
func busiestCustomer(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/customers/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Customers []struct {
			ID    string `json:"customer_id"`
			Total int64  `json:"total_requests"`
		} `json:"customers"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || len(list.Customers) == 0 {
		t.Fatalf("customers: %v", err)
	}
	best := list.Customers[0]
	for _, c := range list.Customers {
		if c.Total > best.Total {
			best = c
		}
	}
	return best.ID
}

// checkTable compares the dashboard's table, row by row and in its total row,
// with the API's answer for the same customer and range.
func checkTable(t *testing.T, ctx context.Context, base, customer, from, to string, wantDays int) {
	t.Helper()
	checkTableOf(t, ctx, base, customer, from, to, "", wantDays)
}

// checkTableOf is checkTable of the requests the filters of query select
// ("&route=...").
func checkTableOf(t *testing.T, ctx context.Context, base, customer, from, to, query string, wantDays int) {
	t.Helper()
	cells := func(sel string) [][]string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[[][]string](`[...document.querySelectorAll("`+sel+`")].map(tr => [...tr.cells].map(td => td.textContent))`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	rows, foot := cells("#days tbody tr"), cells("#days tfoot tr")
	resp, err := http.Get(base + customerPath(customer) + "?from=" + from + "&to=" + to + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	type stats struct {
		Date       string   `json:"date"`
		Total      int64    `json:"total_requests"`
		Successful int64    `json:"total_successful_requests"`
		Failed     int64    `json:"total_failed_requests"`
		Uptime     *float64 `json:"uptime"`
		Average    *float64 `json:"average_latency"`
		Median     *float64 `json:"median_latency"`
		P99        *float64 `json:"p99_latency"`
	}
	var api struct {
		Stats stats   `json:"stats"`
		Daily []stats `json:"daily"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&api); err != nil {
		t.Fatal(err)
	}
	if len(api.Daily) != wantDays || len(rows) != wantDays || len(foot) != 1 {
		t.Fatalf("API has %d days, the table %d rows and %d total rows; want %d days and one total", len(api.Daily), len(rows), len(foot), wantDays)
	}
	compare := func(what string, cells []string, s stats, date string) {
		t.Helper()
		if len(cells) != 8 || cells[0] != date {
			t.Fatalf("%s: cells %q, want 8 starting with %q", what, cells, date)
		}
		ints := []int64{s.Total, s.Successful, s.Failed}
		for i, want := range ints {
			got, err := strconv.ParseInt(strings.ReplaceAll(cells[1+i], ",", ""), 10, 64)
			if err != nil || got != want {
				t.Fatalf("%s: column %d shows %q, the API says %d", what, 1+i, cells[1+i], want)
			}
		}
		floats := []struct {
			v     *float64
			scale float64
		}{{s.Uptime, 1}, {s.Average, 1000}, {s.Median, 1000}, {s.P99, 1000}}
		for i, f := range floats {
			got, err := strconv.ParseFloat(cells[4+i], 64)
			if f.v == nil || err != nil || !shownAs(cells[4+i], got, *f.v*f.scale, f.scale) {
				t.Fatalf("%s: column %d shows %q, the API says %v (x%g)", what, 4+i, cells[4+i], deref(f.v), f.scale)
			}
		}
	}
	for i, d := range api.Daily {
		compare("day "+d.Date, rows[i], d, d.Date)
	}
	compare("total", foot[0], api.Stats, "Total")
}

func closeTo(a, b float64) bool {
	d := a - b
	return d < 1e-9*max(1, b) && d > -1e-9*max(1, b)
}

// shownAs reports whether text, which parses as got, is want as the page
// shows it: an uptime (scale 1) to 2 decimals, a latency in milliseconds
// (scale 1000) to 1, one precision a unit.
func shownAs(text string, got, want, scale float64) bool {
	places := 2
	if scale == 1000 {
		places = 1
	}
	dot := strings.Index(text, ".")
	return dot >= 0 && len(text)-dot-1 == places && math.Abs(got-want) <= 0.5*math.Pow10(-places)+1e-9
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// checkCharts checks that each chart drew its series: enough pixels of each
// series' colour (axes and grid lines alone do not count).
func checkCharts(t *testing.T, ctx context.Context) {
	t.Helper()
	painted, err := chromedp.Run(ctx, chromedp.Evaluate[[][]int](`(() => {
		const css = getComputedStyle(document.documentElement);
		const rgb = (name) => {
			const h = css.getPropertyValue(name).trim();
			return [1, 3, 5].map(i => parseInt(h.slice(i, i + 2), 16));
		};
		const series = {"chart-requests": ["--ok", "--fail"], "chart-uptime": ["--ok"], "chart-latency": ["--avg", "--median", "--p99"]};
		return Object.entries(series).map(([id, names]) => {
			const c = document.querySelector("#" + id + " canvas");
			if (!c || c.width === 0 || c.height === 0) return names.map(() => 0);
			const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
			return names.map(name => {
				const [r, g, b] = rgb(name);
				let n = 0;
				for (let i = 0; i < px.length; i += 4) {
					if (px[i + 3] > 200 && Math.abs(px[i] - r) < 12 && Math.abs(px[i + 1] - g) < 12 && Math.abs(px[i + 2] - b) < 12) n++;
				}
				return n;
			});
		});
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	names := [][]string{{"successful bars", "failed bars"}, {"uptime line"}, {"average line", "median line", "p99 line"}}
	if len(painted) != 3 {
		t.Fatalf("%d charts, want 3", len(painted))
	}
	for i, counts := range painted {
		for j, n := range counts {
			if n < 100 {
				t.Errorf("the %s painted %d pixels of its colour; it did not draw", names[i][j], n)
			}
		}
	}
}

// checkEmpty checks the dashboard shows message, no chart and no day.
func checkEmpty(t *testing.T, ctx context.Context, message string) {
	t.Helper()
	type view struct {
		Message       string
		ChartsHidden  bool
		Rows, Canvas  int
		MessageHidden bool
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[view](`({
		Message: document.getElementById("message").textContent,
		MessageHidden: document.getElementById("message").hidden,
		ChartsHidden: document.getElementById("charts").hidden,
		Rows: document.querySelectorAll("#days tbody tr").length,
		Canvas: document.querySelectorAll(".chart canvas").length,
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if got.MessageHidden || !strings.Contains(got.Message, message) || !got.ChartsHidden || got.Rows != 0 || got.Canvas != 0 {
		t.Fatalf("empty answer shown as %+v; want the message %q, no chart and no row", got, message)
	}
}

// checkEndpoints compares the dashboard's endpoints table with the API's
// breakdown by endpoint of the same customer and range, in the order of
// the column sort, largest first.
func checkEndpoints(t *testing.T, ctx context.Context, base, customer, from, to, sort string) {
	t.Helper()
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[][]string](`[...document.querySelectorAll("#endpoints tbody tr")].map(tr => [...tr.cells].map(td => td.textContent))`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(base + "/customers/" + customer + "/breakdown?by=endpoint&from=" + from + "&to=" + to + "&sort=" + sort)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var api struct {
		Groups []struct {
			Key   struct{ Method, Route string } `json:"key"`
			Stats struct {
				Total  int64    `json:"total_requests"`
				Failed int64    `json:"total_failed_requests"`
				Uptime float64  `json:"uptime"`
				Median *float64 `json:"median_latency"`
				P99    *float64 `json:"p99_latency"`
			} `json:"stats"`
		} `json:"groups"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&api); err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(api.Groups) || len(rows) < 5 {
		t.Fatalf("the endpoints table has %d rows, the API %d groups (want at least 5)", len(rows), len(api.Groups))
	}
	for i, g := range api.Groups {
		method := g.Key.Method
		if method == "" {
			method = "–"
		}
		want := []string{method, g.Key.Route, strconv.FormatInt(g.Stats.Total, 10), strconv.FormatInt(g.Stats.Failed, 10), strconv.FormatFloat(g.Stats.Uptime, 'f', 2, 64)}
		got := rows[i]
		if len(got) != 7 || strings.Join(got[:5], "|") != strings.ReplaceAll(strings.Join(want, "|"), ",", "") {
			t.Fatalf("sorted by %s, endpoint row %d is %q, the API's group %q", sort, i, got, want)
		}
		for j, v := range []*float64{g.Stats.Median, g.Stats.P99} {
			ms, err := strconv.ParseFloat(got[5+j], 64)
			if v == nil || err != nil || !shownAs(got[5+j], ms, *v*1000, 1000) {
				t.Fatalf("sorted by %s, endpoint row %d column %d shows %q, the API says %v s", sort, i, 5+j, got[5+j], deref(v))
			}
		}
	}
}

// checkExtras checks the headline figures' changes against the range
// before, and the objectives' target lines: in the legends, and drawn.
func checkExtras(t *testing.T, ctx context.Context) {
	t.Helper()
	type extras struct {
		Deltas             []string
		UptimeLegend       string
		LatencyLegend      string
		UptimeTargetPixels int
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[extras](`(() => {
		const css = getComputedStyle(document.documentElement);
		const h = css.getPropertyValue("--target").trim();
		const [r, g, b] = [1, 3, 5].map(i => parseInt(h.slice(i, i + 2), 16));
		const c = document.querySelector("#chart-uptime canvas");
		const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
		let n = 0;
		for (let i = 0; i < px.length; i += 4) {
			if (px[i + 3] > 200 && Math.abs(px[i] - r) < 12 && Math.abs(px[i + 1] - g) < 12 && Math.abs(px[i + 2] - b) < 12) n++;
		}
		return {
			Deltas: [...document.querySelectorAll("#summary .delta")].map(d => d.textContent),
			UptimeLegend: document.querySelector("#chart-uptime .u-legend").textContent,
			LatencyLegend: document.querySelector("#chart-latency .u-legend").textContent,
			UptimeTargetPixels: n,
		};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Deltas) != 7 {
		t.Fatalf("%d headline changes, want 7: %q", len(got.Deltas), got.Deltas)
	}
	for _, d := range got.Deltas {
		if !strings.HasSuffix(d, " vs before") || !(strings.Contains(d, " %") || strings.Contains(d, " pts")) {
			t.Fatalf("a headline change says %q, want a change in %% or points vs before", d)
		}
	}
	if !strings.Contains(got.UptimeLegend, "target ≥ 90.00") || !strings.Contains(got.LatencyLegend, "p99 target ≤ 1500.0") || got.UptimeTargetPixels < 100 {
		t.Fatalf("target lines: uptime legend %q, latency legend %q, %d pixels of the uptime target", got.UptimeLegend, got.LatencyLegend, got.UptimeTargetPixels)
	}
	// An empty hover legend says "–".
	if strings.Contains(got.UptimeLegend+got.LatencyLegend, "--") {
		t.Fatalf("a legend shows \"--\": %q %q", got.UptimeLegend, got.LatencyLegend)
	}
}

// checkPeriods checks the table holds the API's weeks or months, each
// named by its first and last days in the range, with the same requests.
func checkPeriods(t *testing.T, ctx context.Context, base, customer, from, to, interval string) {
	t.Helper()
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[][]string](`[...document.querySelectorAll("#days tbody tr")].map(tr => [...tr.cells].map(td => td.textContent))`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(base + customerPath(customer) + "?from=" + from + "&to=" + to + "&interval=" + interval)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var api struct {
		Periods []struct {
			Start, End string
			Total      int64 `json:"total_requests"`
		} `json:"periods"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&api); err != nil || len(api.Periods) == 0 {
		t.Fatalf("the API's %ss: %v", interval, err)
	}
	if len(rows) != len(api.Periods) {
		t.Fatalf("per %s the table has %d rows, the API %d periods", interval, len(rows), len(api.Periods))
	}
	for i, p := range api.Periods {
		label := p.Start + " – " + p.End
		if p.Start == p.End {
			label = p.Start
		}
		if rows[i][0] != label || strings.ReplaceAll(rows[i][1], ",", "") != strconv.FormatInt(p.Total, 10) {
			t.Fatalf("per %s, row %d is %q, want %s with %d requests", interval, i, rows[i][:2], label, p.Total)
		}
	}
}

// checkOverview checks the overview's table against the API's fleet: the
// same customers with the same requests, uptime and objectives, worst
// first (breached first, then the smallest budget left).
func checkOverview(t *testing.T, ctx context.Context, base, from, to string) {
	t.Helper()
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[][]string](`[...document.querySelectorAll("#fleet tbody tr")].map(tr => [...tr.cells].map(td => td.textContent))`))
	if err != nil {
		t.Fatal(err)
	}
	// The overview shows, the customer's page does not.
	if shown, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById("fleet").offsetParent !== null) + " " + (document.getElementById("days").offsetParent !== null)`)); err != nil || shown != "true false" {
		t.Fatalf("in the overview, the fleet table and the days table are shown: %q (%v), want true false", shown, err)
	}
	resp, err := http.Get(base + "/customers/?from=" + from + "&to=" + to + "&limit=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	type customer struct {
		ID    string `json:"customer_id"`
		Stats struct {
			Total  int64    `json:"total_requests"`
			Uptime *float64 `json:"uptime"`
		} `json:"stats"`
		SLO []struct {
			Met    bool `json:"met"`
			Budget struct {
				Remaining *float64 `json:"remaining"`
			} `json:"budget"`
		} `json:"slo"`
	}
	var api struct {
		Total     int        `json:"total_customers"`
		Customers []customer `json:"customers"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&api); err != nil {
		t.Fatal(err)
	}
	if len(rows) != api.Total || len(rows) < 8 {
		t.Fatalf("the overview has %d rows, the API %d customers (want at least 8)", len(rows), api.Total)
	}
	byID := map[string]customer{}
	for _, c := range api.Customers {
		byID[c.ID] = c
	}
	seenMet := false
	for i, r := range rows {
		c, ok := byID[r[0]]
		if !ok || strings.ReplaceAll(r[1], ",", "") != strconv.FormatInt(c.Stats.Total, 10) || c.Stats.Uptime == nil || r[3] != strconv.FormatFloat(*c.Stats.Uptime, 'f', 2, 64) {
			t.Fatalf("overview row %d is %q, the API's %+v", i, r, c)
		}
		breached := false
		for _, o := range c.SLO {
			breached = breached || !o.Met
		}
		if breached && seenMet {
			t.Fatalf("overview row %d (%s) is breached after a customer whose objectives are met: not worst first", i, r[0])
		}
		seenMet = seenMet || !breached
		if want := map[bool]string{true: "breached", false: "met"}[breached]; !strings.HasPrefix(r[5], want) {
			t.Fatalf("overview row %d says %q, want %s", i, r[5], want)
		}
	}
}
