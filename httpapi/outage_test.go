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

// proxy is a TCP proxy that a test can cut and restore: cut closes every
// connection and then either refuses new ones (the database is down) or
// accepts them and never answers (a network that drops packets).
type proxy struct {
	ln     net.Listener
	target string

	mu        sync.Mutex
	down      bool
	blackhole bool
	conns     map[net.Conn]bool
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.cut(false) })
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
		down, blackhole := p.down, p.blackhole
		if !down || blackhole {
			p.conns[c] = true
		}
		p.mu.Unlock()
		switch {
		case down && blackhole:
			// Hold the connection open and silent.
		case down:
			c.Close()
		default:
			go p.forward(c)
		}
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
	go func() { io.Copy(up, c); up.Close() }()
	io.Copy(c, up)
	c.Close()
}

// cut closes every connection; new ones are refused, or, with blackhole,
// accepted and never answered.
func (p *proxy) cut(blackhole bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down, p.blackhole = true, blackhole
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *proxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns { // the blackholed ones
		c.Close()
	}
	clear(p.conns)
	p.down = false
}

// TestDatabaseOutage puts a proxy between the API and MySQL and cuts it,
// five times, alternating a refused and a silent network: during the cut
// /health/ answers 200 and /ready and the data routes 503 with a JSON error
// within a bounded time, and a load in flight fails cleanly; after the
// restore everything works again without a restart, and rerunning the load
// ends with every line counted once.
func TestDatabaseOutage(t *testing.T) {
	const cuts = 5
	// Bounds: the query timeout, the ping's 2 s and the driver's read timeout
	// all fall inside it.
	const bound = 10 * time.Second
	db := testdb.Open(t, logstats.DialectMySQL)
	d, err := dsn.Parse(db.DSN + "?readTimeout=3s&timeout=1s")
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

	dataDir := t.TempDir()
	for i := range cuts {
		f, _ := os.Create(filepath.Join(dataDir, fmt.Sprintf("big%d.log", i)))
		cfg := loggen.DefaultConfig()
		cfg.Lines, cfg.Seed = 100_000, uint64(i+1)
		loggen.Write(f, cfg)
		f.Close()
	}
	h := httpapi.NewHandler(nil, viaProxy, logstats.NewStatsService(viaProxy), logstats.NewIngester(viaProxy), httpapi.Options{
		LogFile: filepath.Join(dataDir, "api_requests.log"), QueryTimeout: 2 * time.Second,
	})
	srv := newHTTPServer(t, h)
	get := func(method, path string) (int, string, time.Duration) {
		start := time.Now()
		req, _ := http.NewRequest(method, srv+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("%s %s: Content-Type %q", method, path, ct)
		}
		return resp.StatusCode, string(body), time.Since(start)
	}

	ref := testdb.Open(t, logstats.DialectMySQL)
	var slowest time.Duration // the slowest answer during a cut
	for i := range cuts {
		blackhole := i%2 == 1
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
		px.cut(blackhole)
		cutAt := time.Now()

		// The routes, all at once, as clients would come.
		var wg sync.WaitGroup
		var mu sync.Mutex
		var failures []string
		for _, tc := range []struct {
			method, path string
			status       int
		}{
			{"GET", "/health/", 200},
			{"GET", "/ready", 503},
			{"GET", "/customers/cust_1/stats/?from=2024-10-01", 503},
			{"GET", "/customers/", 503},
			{"POST", fmt.Sprintf("/load?path=big%d.log", (i+1)%cuts), 503},
		} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				status, body, took := get(tc.method, tc.path)
				mu.Lock()
				defer mu.Unlock()
				slowest = max(slowest, took)
				if status != tc.status || took > bound || (status == 503 && !strings.Contains(body, `"error"`)) {
					failures = append(failures, fmt.Sprintf("%s %s: %d %s after %v; want %d within %v", tc.method, tc.path, status, body, took, tc.status, bound))
				}
			}()
		}
		wg.Wait()
		if len(failures) > 0 {
			t.Fatalf("cut %d (blackhole %v): %s", i, blackhole, strings.Join(failures, "; "))
		}
		r := <-loadDone
		slowest = max(slowest, r.at.Sub(cutAt))
		if !strings.HasPrefix(r.reply, "503 ") || r.at.Sub(cutAt) > bound {
			t.Fatalf("cut %d: the load in flight answered %s, %v after the cut; want 503 within %v", i, r.reply, r.at.Sub(cutAt), bound)
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
		if _, err := logstats.NewIngester(ref.DB).LoadFile(context.Background(), filepath.Join(dataDir, fmt.Sprintf("big%d.log", i))); err != nil {
			t.Fatal(err)
		}
		clearStarted(t, db)
	}
	testdb.CheckSame(t, testdb.Snapshot(t, db.DB), testdb.Snapshot(t, ref.DB))
	t.Logf("%d cuts (refused and silent network in turn), each with a load in flight: /health/ 200, /ready, data routes and the load 503, the slowest after %v (bound %v); recovered without a restart; every line counted once",
		cuts, slowest.Round(time.Millisecond), bound)
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
