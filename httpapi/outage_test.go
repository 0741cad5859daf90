package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/httpapi"
	"github.com/logstats/logstats/internal/dsn"
	"github.com/logstats/logstats/internal/loggen"
	"github.com/logstats/logstats/internal/testdb"
)

// proxy is a TCP proxy that a test can cut and restore, in three ways:
// refuse (every connection closed, new ones refused: the database is down),
// blackhole (every connection closed, new ones accepted and never answered)
// and silent (every connection kept open, nothing forwarded any more: a
// network that starts dropping packets).
type proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cond  *sync.Cond
	mode  string // "up", "refuse", "blackhole" or "silent"
	conns map[net.Conn]bool
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, mode: "up", conns: map[net.Conn]bool{}}
	p.cond = sync.NewCond(&p.mu)
	t.Cleanup(func() { ln.Close(); p.restore() })
	go p.serve()
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		mode := p.mode
		if mode != "refuse" {
			p.conns[c] = true
		}
		p.mu.Unlock()
		switch mode {
		case "refuse":
			c.Close()
		case "up":
			go p.forward(c)
		} // blackhole, silent: hold the connection open and say nothing
	}
}

func (p *proxy) forward(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[up] = true
	p.mu.Unlock()
	go p.pipe(up, c)
	p.pipe(c, up)
}

// pipe copies src to dst, holding the data back while the proxy is silent.
func (p *proxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			for p.mode == "silent" {
				p.cond.Wait()
			}
			p.mu.Unlock()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *proxy) cut(mode string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = mode
	if mode != "silent" {
		for c := range p.conns {
			c.Close()
		}
		clear(p.conns)
	}
}

// restore closes every connection (the held ones would deliver stale data)
// and forwards again.
func (p *proxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
	p.mode = "up"
	p.cond.Broadcast()
}

// TestDatabaseOutage puts a proxy between the API and MySQL and cuts it, each
// time with a load in flight: during the cut /health/ answers 200, and
// /ready, the data routes and the load answer 503 with a JSON error within a
// bounded time; after the restore everything works again without a restart,
// and rerunning the load ends with every line counted once.
//
// "Tuned" cuts five times, in turn refusing, blackholing and silencing the
// network, with short timeouts so that it runs quickly. "Shipped" silences
// it once with the settings the example programs use: a 10 s query timeout
// and the driver's 30 s read and write timeouts.
func TestDatabaseOutage(t *testing.T) {
	t.Run("Tuned", func(t *testing.T) {
		testOutage(t, outageSettings{
			dsnParams:    "?readTimeout=3s&timeout=1s",
			queryTimeout: 2 * time.Second,
			modes:        []string{"refuse", "blackhole", "silent", "refuse", "silent"},
			queryBound:   10 * time.Second,
			loadBound:    10 * time.Second,
		})
	})
	t.Run("Shipped", func(t *testing.T) {
		if testing.Short() {
			t.Skip("waits out the shipped 30 s driver timeout; skipped with -short")
		}
		testOutage(t, outageSettings{
			modes:      []string{"silent"},
			queryBound: 15 * time.Second, // the 10 s query timeout
			loadBound:  40 * time.Second, // the driver's 30 s read timeout, and a 2 s ping
		})
	})
}

type outageSettings struct {
	dsnParams             string        // added to the DSN
	queryTimeout          time.Duration // httpapi.Options.QueryTimeout; 0 is the default
	modes                 []string      // how each cut cuts
	queryBound, loadBound time.Duration // the longest a route or a load may take to answer
}

func testOutage(t *testing.T, set outageSettings) {
	db := testdb.Open(t, logstats.DialectMySQL)
	d, err := dsn.Parse(db.DSN + set.dsnParams)
	if err != nil {
		t.Fatal(err)
	}
	px := newProxy(t, d.MySQL.Addr)
	d.MySQL.Addr = px.ln.Addr().String()
	viaProxy, err := dsn.Open(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	defer viaProxy.Close()

	cuts := len(set.modes)
	dataDir := t.TempDir()
	for i := range cuts + 1 { // the last one is only ever tried during a cut
		f, _ := os.Create(filepath.Join(dataDir, fmt.Sprintf("big%d.log", i)))
		cfg := loggen.DefaultConfig()
		cfg.Lines, cfg.Seed = 100_000, uint64(i+1)
		loggen.Write(f, cfg)
		f.Close()
	}
	// Small batches keep a load in flight over several commits, so that a
	// cut finds one.
	ing := logstats.NewIngester(viaProxy)
	ing.BatchLines = 20_000
	h := httpapi.NewHandler(httpapi.Deps{DB: viaProxy, Stats: logstats.NewStatsService(viaProxy), Loader: ing}, httpapi.Options{
		LogFile: filepath.Join(dataDir, "api_requests.log"), DataDir: dataDir, QueryTimeout: set.queryTimeout,
	})
	srv := newHTTPServer(t, h)
	get := func(method, path string) (int, string, time.Duration) {
		start := time.Now()
		req, _ := http.NewRequest(method, srv+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("%s %s: %v", method, path, err)
			return 0, "", time.Since(start)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: Content-Type %q", method, path, ct)
		}
		return resp.StatusCode, string(body), time.Since(start)
	}

	ref := testdb.Open(t, logstats.DialectMySQL)
	slowest := map[string]time.Duration{} // the slowest answer during a cut, by kind
	for i, mode := range set.modes {
		// A load in flight when the network goes.
		type answer struct {
			reply string
			at    time.Time
		}
		loadDone := make(chan answer, 1)
		go func() {
			status, body, _ := get("POST", fmt.Sprintf("/load?path=big%d.log", i))
			loadDone <- answer{fmt.Sprintf("%d %s", status, body), time.Now()}
		}()
		for deadline := time.Now().Add(30 * time.Second); !sourceStarted(t, db); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("cut %d: the load committed nothing in 30s", i)
			}
		}
		px.cut(mode)
		cutAt := time.Now()

		// The routes, all at once, as clients would come.
		var wg sync.WaitGroup
		var mu sync.Mutex
		var failures []string
		for _, tc := range []struct {
			kind, method, path string
			status             int
		}{
			{"health", "GET", "/health/", 200},
			{"ready", "GET", "/ready", 503},
			{"stats", "GET", "/customers/cust_1/stats/?from=2024-10-01", 503},
			{"customers", "GET", "/customers/", 503},
			{"new load", "POST", fmt.Sprintf("/load?path=big%d.log", i+1), 503},
		} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				bound := set.queryBound
				if tc.kind == "new load" {
					bound = set.loadBound
				}
				status, body, took := get(tc.method, tc.path)
				mu.Lock()
				defer mu.Unlock()
				slowest[tc.kind] = max(slowest[tc.kind], took)
				if status != tc.status || took > bound || (status == 503 && !strings.Contains(body, `"error"`)) {
					failures = append(failures, fmt.Sprintf("%s %s: %d %s after %v; want %d within %v", tc.method, tc.path, status, body, took, tc.status, bound))
				}
			}()
		}
		wg.Wait()
		if len(failures) > 0 {
			t.Fatalf("cut %d (%s): %s", i, mode, strings.Join(failures, "; "))
		}
		r := <-loadDone
		slowest["load in flight"] = max(slowest["load in flight"], r.at.Sub(cutAt))
		if !strings.HasPrefix(r.reply, "503 ") || r.at.Sub(cutAt) > set.loadBound {
			t.Fatalf("cut %d (%s): the load in flight answered %s, %v after the cut; want 503 within %v", i, mode, r.reply, r.at.Sub(cutAt), set.loadBound)
		}

		px.restore()
		// Recovered, without a restart: the stats and the rerun of the load.
		status, body, _ := get("GET", "/ready")
		if status != 200 {
			t.Fatalf("after restore %d: /ready %d %s", i, status, body)
		}
		if status, body, _ := get("POST", fmt.Sprintf("/load?path=big%d.log", i)); status != 200 {
			t.Fatalf("after restore %d: rerun of the load: %d %s", i, status, body)
		}
		if status, body, _ := get("GET", "/customers/cust_1/stats/?from=2024-10-01"); status != 200 {
			t.Fatalf("after restore %d: stats %d %s", i, status, body)
		}
		testdb.LoadFile(t, ref.DB, filepath.Join(dataDir, fmt.Sprintf("big%d.log", i)))
		clearStarted(t, db)
	}
	testdb.CheckSame(t, testdb.Snapshot(t, db.DB), testdb.Snapshot(t, ref.DB))
	var parts []string
	for _, kind := range []string{"health", "ready", "stats", "customers", "new load", "load in flight"} {
		parts = append(parts, fmt.Sprintf("%s %v", kind, slowest[kind].Round(10*time.Millisecond)))
	}
	t.Logf("%d cuts %v, each with a load in flight: /health/ 200, the rest 503; slowest answers: %s (bounds %v for routes, %v for loads); recovered without a restart; every line counted once",
		cuts, set.modes, strings.Join(parts, ", "), set.queryBound, set.loadBound)
}

// sourceStarted reports whether a load has committed its first batch since
// the last clearStarted (a source whose offset is below its file's size).
func sourceStarted(t *testing.T, db *testdb.DB) bool {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM logstats_sources WHERE updated_us > (SELECT COALESCE(MAX(v), 0) FROM logstats_test_mark)`).Scan(&n); err != nil {
		// No mark table yet: any source counts.
		if err := db.QueryRow(`SELECT COUNT(*) FROM logstats_sources`).Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	return n > 0
}

// clearStarted marks now, so that sourceStarted waits for a new commit.
func clearStarted(t *testing.T, db *testdb.DB) {
	t.Helper()
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS logstats_test_mark (v BIGINT)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO logstats_test_mark VALUES (?)`, time.Now().UnixMicro()); err != nil {
		t.Fatal(err)
	}
}

func newHTTPServer(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}
