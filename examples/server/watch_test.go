package main

import (
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/logstats/logstats/internal/testdb"
)

// TestRun_Watch: a server started with -watch loads a log that grows and
// rotates, reports it in /ready and /metrics, and its stats follow.
func TestRun_Watch(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		dir := t.TempDir()
		w := testdb.NewRotatingLog(t, dir, "access.log")
		w.Write(200)
		base := startServer(t, func(string) string { return "" }, "-dsn", db.DSN, "-watch", filepath.Join(dir, "access.log*"))
		want := func() { testdb.WaitSame(t, db.DB, w.Reference(t, db.Dialect), 20*time.Second, nil) }
		want()
		waitReady(t, base)
		w.Write(100)
		w.Rotate(testdb.RenameCreate)
		w.Write(50)
		want()
		status, body := getJSON(t, base+"/ready")
		watched, _ := body["watched"].([]any)
		if status != 200 || len(watched) != 2 {
			t.Fatalf("/ready: %d %v, want 200 and the two files", status, body)
		}
		// A file of the watch: its lines and its lag, at 0 once caught up.
		// The round that committed the lines publishes them just after the
		// commit, so the metrics may lag the stats a little.
		live := regexp.QuoteMeta(w.Path())
		wantMetrics := []*regexp.Regexp{
			regexp.MustCompile(`logstats_watch_lines_total\{file="` + live + `"\} 50\n`),
			regexp.MustCompile(`logstats_watch_lag_bytes\{file="` + live + `"\} 0\n`),
			regexp.MustCompile(`logstats_watch_lost_bytes_total 0\n`),
		}
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			metrics := getText(t, base+"/metrics")
			missing := slices.IndexFunc(wantMetrics, func(re *regexp.Regexp) bool { return !re.MatchString(metrics) })
			if missing < 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("/metrics has no line matching %s:\n%s", wantMetrics[missing], metrics)
			}
		}
		status, body = getJSON(t, base+"/customers/cust_3/stats?from=2024-10-01")
		if status != 200 || body["stats"].(map[string]any)["total_requests"].(float64) == 0 {
			t.Fatalf("stats of a customer of the watched log: %d %v", status, body)
		}
	})
}

// waitReady waits until /ready answers 200.
func waitReady(t *testing.T, base string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if status, _ := getJSON(t, base+"/ready"); status == 200 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("/ready never answered 200")
		}
	}
}

func getText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d, %v", url, resp.StatusCode, err)
	}
	return string(b)
}
