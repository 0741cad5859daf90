package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/dsn"
	"github.com/logstats/logstats/internal/loggen"
	"github.com/logstats/logstats/internal/testdb"
)

// startServer runs the server in the background and returns its base URL;
// cancelling the context shuts it down and run must then return nil.
func startServer(t *testing.T, getenv func(string) string, args ...string) string {
	t.Helper()
	return startServerWith(t, getenv, io.Discard, args...)
}

func startServerWith(t *testing.T, getenv func(string) string, stderr io.Writer, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), getenv, pw, stderr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("server did not start: %v", <-done)
	}
	go io.Copy(io.Discard, pr)
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run after shutdown: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("server did not shut down")
		}
	})
	fields := strings.Fields(line) // logstats: serving on http://ADDR (database ...)
	return fields[3]
}

func getJSON(t *testing.T, url string, header ...string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if len(header) == 2 {
		req.Header.Set(header[0], header[1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, v
}

func TestRun(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		base := startServer(t, func(string) string { return "" }, "-dsn", db.DSN, "-load", "../../testdata/api_requests.log")
		if status, body := getJSON(t, base+"/health/"); status != 200 || body["status"] != "ok" {
			t.Fatalf("/health/: %d %v", status, body)
		}
		status, body := getJSON(t, base+"/customers/cust_42/stats?from=2024-10-01")
		if status != 200 || body["stats"].(map[string]any)["total_requests"].(float64) == 0 {
			t.Fatalf("the seed's example request: %d %v", status, body)
		}
	})
}

func TestRun_EnvTokenAndConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.ini")
	os.WriteFile(cfg, []byte("[other]\nx = 1\n"), 0o644) // no [mysql]: the default SQLite
	env := map[string]string{"LOGSTATS_DSN": "sqlite://" + filepath.Join(dir, "env.db"), "LOGSTATS_LOAD_TOKEN": "tok"}
	base := startServer(t, func(k string) string { return env[k] }, "-config", cfg, "-log-file", "../../testdata/api_requests.log")
	req, _ := http.NewRequest("POST", base+"/load", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("POST /load without the token from LOGSTATS_LOAD_TOKEN: %d, want 401", resp.StatusCode)
	}
	req, _ = http.NewRequest("POST", base+"/load", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST /load with the token: %d", resp.StatusCode)
	}
	if _, err := os.Stat(filepath.Join(dir, "env.db")); err != nil {
		t.Fatalf("LOGSTATS_DSN was not used: %v", err)
	}
}

func TestRun_Errors(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "x.db")
	noEnv := func(string) string { return "" }
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"ErrLoadMissing", []string{"-dsn", dsn, "-load", "nope.log"}, "testdata/api_requests.log"},
		{"ErrDatabaseUnreachable", []string{"-dsn", "mysql://root@127.0.0.1:1/x"}, "cannot reach MySQL at 127.0.0.1:1"},
		{"ErrTimezone", []string{"-dsn", dsn, "-timezone", "Mars/Olympus"}, "-timezone"},
		{"ErrAddrInUse", []string{"-dsn", dsn, "-addr", "256.0.0.1:99999"}, "listen"},
		{"ErrArgument", []string{"-dsn", dsn, "extra"}, "unexpected argument"},
		{"ErrRawMode", []string{"-dsn", dsn, "-raw", "columns"}, `-raw: logstats: invalid raw mode: "columns"; use blocks (the default), rows or none`},
		{"ErrRawModeEmpty", []string{"-dsn", dsn, "-raw", ""}, "-raw: logstats: invalid raw mode"},
		{"ErrLogLevel", []string{"-dsn", dsn, "-log-level", "chatty"}, "-log-level"},
		{"ErrLogFormat", []string{"-dsn", dsn, "-log-format", "yaml"}, "-log-format"},
		{"ErrWatchGlob", []string{"-dsn", dsn, "-watch", "logs/[.log"}, "-watch: follow: glob"},
		{"ErrOpenAddressWithoutAdminToken", []string{"-dsn", dsn, "-addr", "0.0.0.0:0"}, "set -admin-token (or -admin-token-file), or pass -open-reads"},
		{"ErrDataDirRoot", []string{"-dsn", dsn, "-data-dir", "/"}, "file system's root"},
		{"ErrDataDirRootDotDot", []string{"-dsn", dsn, "-data-dir", "/tmp/../"}, "file system's root"},
		{"ErrDataDirMissing", []string{"-dsn", dsn, "-data-dir", "/no/such/dir"}, "-data-dir"},
		{"ErrAdminTokenShort", []string{"-dsn", dsn, "-admin-token", "short"}, "at least 16 characters"},
		{"ErrAdminTokenSpace", []string{"-dsn", dsn, "-admin-token", "a token with spaces in it"}, "no spaces"},
		{"ErrTokenAndFile", []string{"-dsn", dsn, "-load-token", "x", "-load-token-file", "/etc/hostname"}, "keep one"},
		{"ErrTokenFileMissing", []string{"-dsn", dsn, "-admin-token-file", "/no/such/token"}, "-admin-token-file"},
		{"ErrAlertNoSecret", []string{"-dsn", dsn, "-alert-webhook", "https://hooks.example.com/x"}, "-alert-webhook needs -alert-secret"},
		{"ErrAlertShortSecret", []string{"-dsn", dsn, "-alert-webhook", "https://hooks.example.com/x", "-alert-secret", "short"}, "at least 16 characters"},
		{"ErrAlertURL", []string{"-dsn", dsn, "-alert-webhook", "hooks.example.com", "-alert-secret", "0123456789abcdef"}, `-alert-webhook: "hooks.example.com" is not an http or https URL`},
		{"ErrAlertSecretAlone", []string{"-dsn", dsn, "-alert-secret", "0123456789abcdef"}, "-alert-secret without -alert-webhook"},
		{"ErrSLOWindow", []string{"-dsn", dsn, "-slo-window", "0"}, "-slo-window 0: want at least 1 day"},
		{"ErrSLO", []string{"-dsn", dsn, "-slo", "uptime=99"}, `-slo: logstats: invalid objective "uptime=99"`},
		{"ErrFailed", []string{"-dsn", dsn, "-failed", "500"}, `-failed: logstats: invalid definition of failed requests: "500"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.args, noEnv, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run error=%v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestRun_Version(t *testing.T) {
	var out strings.Builder
	err := run(context.Background(), []string{"-version"}, func(string) string { return "" }, &out, io.Discard)
	if err != nil || !regexp.MustCompile(`^server \S+ \(.*go1\.\d+`).MatchString(out.String()) {
		t.Fatalf("-version: %q, %v", out.String(), err)
	}
}

// TestRun_JSONLogs checks that -log-format json writes one JSON record a
// line, at -log-level and above (the -load summary and each request), and
// that the -load file shows in /metrics.
func TestRun_JSONLogs(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "x.db")
	var logs testdb.SyncBuffer
	addr := startServerWith(t, func(string) string { return "" }, &logs,
		"-dsn", dsn, "-log-format", "json", "-log-level", "info", "-load", "../../testdata/api_requests.log")
	if status, _ := getJSON(t, addr+"/health/"); status != 200 {
		t.Fatalf("health: %d", status)
	}
	var msgs []string
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec struct{ Level, Msg string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Level == "" || rec.Msg == "" {
			t.Fatalf("not a JSON log record: %q", line)
		}
		msgs = append(msgs, rec.Msg)
	}
	if !slices.Contains(msgs, "loaded") || !slices.Contains(msgs, "request") {
		t.Fatalf("records %q, want a loaded and a request record", msgs)
	}

	// The -load file is counted in the metrics, as POST /load would be.
	resp, err := http.Get(addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	metrics, _ := io.ReadAll(resp.Body)
	for _, want := range []string{`logstats_loads_total{outcome="ok"} 1`, `logstats_load_lines_total{result="inserted"} 1989`} {
		if !strings.Contains(string(metrics), want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestRun_SharedSQLiteFile loads into the server's SQLite file from another
// connection pool (as the runner would, from another process) while the
// server answers queries: WAL mode and the busy timeout, set per connection,
// let both work at once.
func TestRun_SharedSQLiteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	base := startServer(t, func(string) string { return "" }, "-dsn", "sqlite://"+path)

	d, err := dsn.Parse("sqlite://" + path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := dsn.Open(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var log strings.Builder
	cfg := loggen.DefaultConfig()
	cfg.Lines = 30_000
	if err := loggen.Write(&log, cfg); err != nil {
		t.Fatal(err)
	}
	ing := logstats.NewIngester(db)
	ing.BatchLines = 1000
	done := make(chan error, 1)
	go func() {
		_, err := ing.Load(context.Background(), "shared.log", strings.NewReader(log.String()), logstats.LoadOptions{})
		done <- err
	}()
	queries := 0
	for loading := true; loading; queries++ {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("load beside the server: %v", err)
			}
			loading = false
		default:
		}
		if status, body := getJSON(t, base+"/customers/cust_1/stats?from=2024-10-01"); status != 200 {
			t.Fatalf("query %d during the load: %d %v", queries, status, body)
		}
	}
	want, err := logstats.NewStatsService(db).FindStats(context.Background(), "cust_1", logstats.StatsFilter{})
	if err != nil || want.Stats.TotalRequests == 0 {
		t.Fatalf("the loader's stats: %+v, %v", want, err)
	}
	// The server caches answers for up to -cache-for (1 s) before it
	// checks the ledger: a load that ended within it shows after it.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, body := getJSON(t, base+"/customers/cust_1/stats?from=2024-10-01")
		got := body["stats"].(map[string]any)["total_requests"]
		if got == float64(want.Stats.TotalRequests) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server sees %v requests 5 s after the load, the loader %d", got, want.Stats.TotalRequests)
		}
	}
	t.Logf("%d queries answered during the load", queries)
}

func TestDefaultAddrIsLoopback(t *testing.T) {
	host, _, err := net.SplitHostPort(defaultAddr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		t.Fatalf("the default address %s is not loopback", defaultAddr)
	}
}
