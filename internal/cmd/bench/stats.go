package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/dsn"
)

// seedQueryMaxRows is the largest size the seed's query is measured at.
const seedQueryMaxRows = 1_000_000

// The logs loggen writes by default: customers cust_1..cust_50 over the 30
// days from 2024-10-01.
const (
	genCustomers = 50
	genDays      = 30
	rangeDays    = 30
)

var genStart = logstats.Date{Year: 2024, Month: time.October, Day: 1}

// statsResult is the latency of one way of answering stats requests.
type statsResult struct {
	Backend string // "MySQL" or "SQLite"
	Path    string // "in-process", "HTTP" or "Django query"
	P50     time.Duration
	P99     time.Duration
}

// statsRequest is a customer and a 30-day range.
type statsRequest struct {
	customer string
	from, to logstats.Date
}

// requests returns the same n random requests for every backend and path:
// a random customer and a 30-day range starting on a random day of the data.
func requests(n int) []statsRequest {
	rng := rand.New(rand.NewPCG(1, 2))
	reqs := make([]statsRequest, n)
	for i := range reqs {
		from := genStart.AddDays(rng.IntN(genDays))
		reqs[i] = statsRequest{
			customer: fmt.Sprintf("cust_%d", 1+rng.IntN(genCustomers)),
			from:     from,
			to:       from.AddDays(rangeDays - 1),
		}
	}
	return reqs
}

// latencies runs f for 10 warm-up requests, then for each request, and
// returns the median and 99th percentile.
func latencies(reqs []statsRequest, f func(statsRequest) error) (p50, p99 time.Duration, err error) {
	for _, r := range reqs[:min(10, len(reqs))] {
		if err := f(r); err != nil {
			return 0, 0, err
		}
	}
	ds := make([]time.Duration, 0, len(reqs))
	for _, r := range reqs {
		start := time.Now()
		if err := f(r); err != nil {
			return 0, 0, err
		}
		ds = append(ds, time.Since(start))
	}
	slices.Sort(ds)
	rank := func(q float64) time.Duration { return ds[int(q*float64(len(ds)-1)+0.5)] }
	return rank(0.5), rank(0.99), nil
}

// stats measures stats requests on the databases the loads left: both
// backends in-process and over HTTP, and the seed's query on its schema.
func (b *bench) stats(ctx context.Context, lines int, sqlitePath string) ([]statsResult, error) {
	reqs := requests(b.cfg.statsN)
	var out []statsResult
	var want map[statsRequest]int64 // MySQL's totals, which the Django query must match
	for _, backend := range []struct{ name, dsn string }{
		{"MySQL", b.mysqlDSN("bench_logstats")},
		{"SQLite", "sqlite://" + sqlitePath},
	} {
		d, err := dsn.Parse(backend.dsn)
		if err != nil {
			return nil, err
		}
		db, err := dsn.Open(ctx, d)
		if err != nil {
			return nil, err
		}
		svc := logstats.NewStatsService(db)
		totals := make(map[statsRequest]int64)
		p50, p99, err := latencies(reqs, func(r statsRequest) error {
			to := r.to
			s, err := svc.FindStats(ctx, r.customer, logstats.StatsFilter{From: r.from, To: &to})
			if err == nil {
				totals[r] = s.Stats.TotalRequests
			}
			return err
		})
		db.Close()
		if err != nil {
			return nil, fmt.Errorf("%s stats: %w", backend.name, err)
		}
		if backend.name == "MySQL" {
			want = totals
		}
		out = append(out, statsResult{backend.name, "in-process", p50, p99})

		srv, err := b.startServer(ctx, backend.dsn)
		if err != nil {
			return nil, err
		}
		client := &http.Client{Timeout: 30 * time.Second}
		p50, p99, err = latencies(reqs, func(r statsRequest) error {
			return get(client, srv.url+statsPath(r))
		})
		srv.stop()
		if err != nil {
			return nil, fmt.Errorf("%s stats over HTTP: %w", backend.name, err)
		}
		out = append(out, statsResult{backend.name, "HTTP", p50, p99})
	}

	// The seed's way: fetch every matching row from its schema and compute
	// the statistics in the client. Beyond 1M rows each such request reads
	// hundreds of thousands of rows from disk (seconds each), so it is
	// measured up to 1M only.
	if lines > seedQueryMaxRows {
		return out, nil
	}
	d, _ := dsn.Parse(b.mysqlDSN("bench_seed"))
	db, err := dsn.Open(ctx, d)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	p50, p99, err := latencies(reqs, func(r statsRequest) error {
		st, err := seedStats(ctx, db, r)
		if err == nil && st.total != want[r] {
			err = fmt.Errorf("%s %s..%s: the Django schema's rows count %d requests, logstats %d", r.customer, r.from, r.to, st.total, want[r])
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("Django query: %w", err)
	}
	out = append(out, statsResult{"MySQL", "Django query", p50, p99})
	for _, s := range out {
		log.Printf("%d lines: stats %s %s: p50 %v p99 %v", lines, s.Backend, s.Path, s.P50, s.P99)
	}
	return out, nil
}

func statsPath(r statsRequest) string {
	return fmt.Sprintf("/customers/%s/stats/?from=%s&to=%s", r.customer, r.from, r.to)
}

func get(client *http.Client, url string) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// seedResult is what the seed's stats request computed.
type seedResult struct {
	total                     int64
	uptime, mean, median, p99 float64
}

// seedStats answers a request as the seed did: every row of the customer in
// the range goes to the client, which counts, averages and sorts the
// latencies for the median and p99.
func seedStats(ctx context.Context, db *sql.DB, r statsRequest) (seedResult, error) {
	rows, err := db.QueryContext(ctx, `SELECT status_code, duration FROM logs_apirequest
		WHERE customer_id = ? AND timestamp >= ? AND timestamp < ?`,
		r.customer, r.from.String(), r.to.AddDays(1).String())
	if err != nil {
		return seedResult{}, err
	}
	defer rows.Close()
	var durations []float64
	var ok, sum float64
	for rows.Next() {
		var status int
		var d float64
		if err := rows.Scan(&status, &d); err != nil {
			return seedResult{}, err
		}
		if status < 400 {
			ok++
		}
		sum += d
		durations = append(durations, d)
	}
	if err := rows.Err(); err != nil {
		return seedResult{}, err
	}
	n := len(durations)
	if n == 0 {
		return seedResult{}, nil
	}
	slices.Sort(durations)
	return seedResult{
		total:  int64(n),
		uptime: ok / float64(n) * 100,
		mean:   sum / float64(n),
		median: durations[n/2],
		p99:    durations[(n-1)*99/100],
	}, nil
}

// server is a running examples/server.
type server struct {
	url  string
	stop func()
}

// startServer starts the server binary on a free loopback port and waits
// until /health/ answers.
func (b *bench) startServer(ctx context.Context, dbDSN string) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(ctx, b.bin("server"), "-dsn", dbDSN, "-addr", addr)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, err
	}
	srv := &server{url: "http://" + addr, stop: func() { cancel(); cmd.Wait() }}
	for deadline := time.Now().Add(30 * time.Second); ; {
		if err := get(http.DefaultClient, srv.url+"/health/"); err == nil {
			return srv, nil
		} else if time.Now().After(deadline) {
			srv.stop()
			return nil, fmt.Errorf("server on %s did not answer /health/ within 30 s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// wrkResult is the throughput of one route.
type wrkResult struct {
	Backend      string
	StatsRPS     float64
	HealthRPS    float64
	StatsLatency string // wrk's average latency
}

// wrk measures requests per second on a stats route and on /health/ of the
// same server, for each backend.
func (b *bench) wrk(ctx context.Context, sqlitePath string) ([]wrkResult, error) {
	var out []wrkResult
	statsURL := statsPath(statsRequest{"cust_1", genStart, genStart.AddDays(rangeDays - 1)})
	for _, backend := range []struct{ name, dsn string }{
		{"MySQL", b.mysqlDSN("bench_logstats")},
		{"SQLite", "sqlite://" + sqlitePath},
	} {
		srv, err := b.startServer(ctx, backend.dsn)
		if err != nil {
			return nil, err
		}
		r := wrkResult{Backend: backend.name}
		var lat string
		r.StatsRPS, r.StatsLatency, err = b.wrkRun(ctx, srv.url+statsURL)
		if err == nil {
			r.HealthRPS, lat, err = b.wrkRun(ctx, srv.url+"/health/")
		}
		srv.stop()
		if err != nil {
			return nil, err
		}
		log.Printf("wrk %s: stats %.0f req/s, /health/ %.0f req/s (%s)", backend.name, r.StatsRPS, r.HealthRPS, lat)
		out = append(out, r)
	}
	return out, nil
}

var (
	wrkRPS     = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	wrkLatency = regexp.MustCompile(`Latency\s+(\S+)`)
	wrkErrors  = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
)

func (b *bench) wrkRun(ctx context.Context, url string) (float64, string, error) {
	out, err := exec.CommandContext(ctx, "wrk", "-t", "2", "-c", strconv.Itoa(b.cfg.wrkConns),
		"-d", fmt.Sprintf("%ds", int(b.cfg.wrkFor.Seconds())), url).CombinedOutput()
	if err != nil {
		return 0, "", fmt.Errorf("wrk %s: %v\n%s", url, err, out)
	}
	if m := wrkErrors.FindSubmatch(out); m != nil {
		return 0, "", fmt.Errorf("wrk %s: %s responses were errors:\n%s", url, m[1], out)
	}
	m := wrkRPS.FindSubmatch(out)
	if m == nil {
		return 0, "", fmt.Errorf("wrk %s: no Requests/sec in:\n%s", url, out)
	}
	rps, _ := strconv.ParseFloat(string(m[1]), 64)
	lat := ""
	if l := wrkLatency.FindSubmatch(out); l != nil {
		lat = strings.TrimSpace(string(l[1]))
	}
	return rps, lat, nil
}
