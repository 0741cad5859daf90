package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/httpapi"
	"github.com/logstats/logstats/internal/loggen"
	"github.com/logstats/logstats/internal/testdb"
)

// TestDashboard_CustomerLink opens the dashboard as a customer does, from
// the link -create-key prints (/#key=KEY) on a server with an admin token:
// the page takes the key out of the address, shows that customer alone (no
// picker) with the API's numbers, and editing the address to another
// customer shows that customer nothing; the page's own requests for another
// customer get 404. Without a key, and with a revoked one, it says what to
// do.
func TestDashboard_CustomerLink(t *testing.T) {
	chromium := needChromium(t)
	db := testdb.Open(t, logstats.DialectSQLite)
	ing := logstats.NewIngester(db.DB)
	cfg := loggen.DefaultConfig()
	cfg.Lines, cfg.Customers = 5_000, 4
	var log bytes.Buffer
	if err := loggen.Write(&log, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := ing.Load(context.Background(), "link.log", &log, logstats.LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	ks := logstats.NewKeyService(db.DB)
	_, key, err := ks.CreateKey(context.Background(), "cust_3", "dashboard test")
	if err != nil {
		t.Fatal(err)
	}
	revoked, revokedKey, _ := ks.CreateKey(context.Background(), "cust_3", "revoked")
	ks.RevokeKey(context.Background(), revoked.ID)
	stats := logstats.NewStatsService(db.DB)
	srv := httptest.NewServer(httpapi.NewHandler(httpapi.Deps{Logger: slog.New(slog.DiscardHandler), DB: db.DB, Stats: stats, Loader: ing, Keys: ks},
		httpapi.Options{AdminToken: adminToken}))
	t.Cleanup(srv.Close)

	ctx, checkConsole := startBrowser(t, chromium)
	str := func(t *testing.T, js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	open := func(t *testing.T, url string) {
		t.Helper()
		// A reload too: a navigation that changes only the fragment does
		// not load the page again.
		if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.Reload()); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`body[data-state="ready"]`))); err != nil {
			t.Fatalf("%s: the dashboard never became ready: %v", url, err)
		}
	}

	open(t, srv.URL+"/#key="+key)
	checkConsole(t, "open the customer's link")
	if hash := str(t, `location.hash`); strings.Contains(hash, "key=") || strings.Contains(hash, key) {
		t.Fatalf("the address keeps the key: %q", hash)
	}
	if name := str(t, `document.getElementById("customer-name").textContent`); name != "cust_3" {
		t.Fatalf("the page names %q, want cust_3", name)
	}
	if visible := str(t, `String(document.getElementById("customer-label").offsetParent !== null)`); visible != "false" {
		t.Fatal("the customer picker shows on a customer's page")
	}
	from, to := str(t, `from.value`), str(t, `to.value`)
	want := totalOf(t, stats, "cust_3", from, to)
	if got := str(t, `document.querySelector("#days tfoot tr td:nth-child(2)").textContent`); got != want {
		t.Fatalf("cust_3's total on the page is %q, want %q (the API's)", got, want)
	}

	// The customer edits the address to another customer and reloads: the
	// page still shows its own.
	open(t, srv.URL+"/#customer=cust_2&from="+from+"&to="+to)
	checkConsole(t, "edit the address")
	if name, shown := str(t, `document.getElementById("customer-name").textContent`), str(t, `customer.value`); name != "cust_3" || shown != "cust_3" {
		t.Fatalf("after editing the address to cust_2 the page shows %q (%q)", shown, name)
	}
	if got := str(t, `document.querySelector("#days tfoot tr td:nth-child(2)").textContent`); got != want {
		t.Fatalf("after editing the address the total is %q, want cust_3's %q", got, want)
	}
	// Asking the API for cust_2 with the page's key, as a curious customer
	// could from the console: 404, as for a customer that does not exist.
	for _, id := range []string{"cust_2", "nobody"} {
		status := str(t, `fetch("customers/`+id+`/stats/?from=`+from+`", {headers: {Authorization: "Bearer " + sessionStorage.getItem("logstats-key")}}).then(r => String(r.status))`)
		if status != "404" {
			t.Fatalf("the page's key asking for %s: %s, want 404", id, status)
		}
	}

	// Another tab without the key: the server asks for one.
	ctx2, cancel := chromedp.NewContext(ctx)
	defer cancel()
	if err := chromedp.Do(ctx2, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`body[data-state="ready"]`))); err != nil {
		t.Fatal(err)
	}
	msg, err := chromedp.Run(ctx2, chromedp.Evaluate[string](`document.getElementById("message").textContent`))
	if err != nil || !strings.Contains(msg, "#key=") {
		t.Fatalf("without a key the page says %q (%v), want the link's #key= explained", msg, err)
	}
	if rows, _ := chromedp.Run(ctx2, chromedp.Evaluate[int](`document.querySelectorAll("#days tbody tr").length`)); rows != 0 {
		t.Fatalf("without a key the page shows %d days", rows)
	}
	// A revoked key: the page says so.
	if err := chromedp.Do(ctx2, chromedp.Navigate(srv.URL+"/#key="+revokedKey), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`body[data-state="ready"]`))); err != nil {
		t.Fatal(err)
	}
	if msg, _ := chromedp.Run(ctx2, chromedp.Evaluate[string](`document.getElementById("message").textContent`)); !strings.Contains(msg, "revoked") {
		t.Fatalf("with a revoked key the page says %q", msg)
	}
}

// totalOf is the total requests of a customer over a range, as the page
// prints it.
func totalOf(t *testing.T, stats *logstats.StatsService, customer, from, to string) string {
	t.Helper()
	f, err := logstats.ParseDate(from)
	if err != nil {
		t.Fatal(err)
	}
	end, err := logstats.ParseDate(to)
	if err != nil {
		t.Fatal(err)
	}
	st, err := stats.FindStats(context.Background(), customer, logstats.StatsFilter{From: f, To: &end})
	if err != nil || st.Stats.TotalRequests == 0 {
		t.Fatalf("stats of %s: %+v %v", customer, st, err)
	}
	n := strconv.FormatInt(st.Stats.TotalRequests, 10)
	for i := len(n) - 3; i > 0; i -= 3 {
		n = n[:i] + "," + n[i:]
	}
	return n
}

// TestBrowser_CrossOriginPost is the probe's cross-origin write, in a real
// browser: a page of another origin posts a log to the server as a
// "simple" request (text/plain, no preflight). The server refuses it, and
// nothing is loaded.
func TestBrowser_CrossOriginPost(t *testing.T) {
	chromium := needChromium(t)
	db := testdb.Open(t, logstats.DialectSQLite)
	api := httptest.NewServer(httpapi.NewHandler(httpapi.Deps{DB: db.DB, Stats: logstats.NewStatsService(db.DB), Loader: logstats.NewIngester(db.DB)}, httpapi.Options{}))
	t.Cleanup(api.Close)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, `<!doctype html><body><script>
			fetch(`+strconv.Quote(api.URL+"/load?source=evil.log")+`, {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"},
				body: "2024-10-01 10:00:00 victim /a 500 0.1\n"}).then(() => document.body.dataset.sent = "yes", () => document.body.dataset.sent = "yes");
		</script></body>`)
	}))
	t.Cleanup(evil.Close)
	ctx, _ := startBrowser(t, chromium)
	if err := chromedp.Do(ctx, chromedp.Navigate(evil.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`body[data-sent="yes"]`))); err != nil {
		t.Fatal(err)
	}
	st, err := logstats.NewStatsService(db.DB).FindStats(context.Background(), "victim", logstats.StatsFilter{})
	if err != nil || st.Stats.TotalRequests != 0 {
		t.Fatalf("a page of another origin loaded %d requests (%v)", st.Stats.TotalRequests, err)
	}
	// The same request from the server's own origin (its page) loads.
	own := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/load?source=own.log", strings.NewReader("2024-10-01 10:00:00 victim /a 500 0.1\n"))
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	httpapi.NewHandler(httpapi.Deps{DB: db.DB, Stats: logstats.NewStatsService(db.DB), Loader: logstats.NewIngester(db.DB)}, httpapi.Options{}).ServeHTTP(own, req)
	if own.Code != 200 {
		t.Fatalf("the same request from the server's own origin: %d %s", own.Code, own.Body)
	}
}
