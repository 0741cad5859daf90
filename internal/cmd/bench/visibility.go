package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/dsn"
)

// visibilityResult is how long a line written to a followed log takes to
// show in its customer's stats, on one backend.
type visibilityResult struct {
	Backend    string
	LinesPerS  int           // the writer's rate
	Seconds    float64       // how long it wrote
	Probes     int           // probe lines measured
	Unseen     int           // probes not visible when the run ended
	P50, P95   time.Duration // write to visible in FindStats
	Max        time.Duration
	Resolution time.Duration // the poll interval
}

// visibilityRate is the writer's rate: SPEC §12's 10,000 lines a second.
const visibilityRate = 10_000

// visibility runs runner -follow on a log written at visibilityRate lines
// a second for d, with a probe line of a customer of its own every 100 ms,
// and measures, for each probe, the time from its write to the moment
// FindStats of its customer counts it (polled every 10 ms).
func (b *bench) visibility(ctx context.Context, backend string, d time.Duration) (*visibilityResult, error) {
	dir := filepath.Join(b.cfg.work, "visibility-"+backend)
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	target := "sqlite://" + filepath.Join(dir, "db.sqlite")
	if backend == "mysql" {
		if err := b.freshMySQL(ctx, "bench_follow"); err != nil {
			return nil, err
		}
		target = b.mysqlDSN("bench_follow")
	}
	parsed, err := dsn.Parse(target)
	if err != nil {
		return nil, err
	}
	db, err := dsn.Open(ctx, parsed)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := logstats.Migrate(ctx, db); err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "access.log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()

	cmd := exec.CommandContext(ctx, b.bin("runner"), "-dsn", target, "-follow", logPath+"*")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	log.Printf("visibility, %s: %d lines/s for %v, a probe every 100 ms", backend, visibilityRate, d)

	const tick, perTick, pollEvery = 10 * time.Millisecond, visibilityRate / 100, 10 * time.Millisecond
	var mu sync.Mutex
	pending := map[string]time.Time{} // probe customer -> when written
	var seen []time.Duration
	stats := logstats.NewStatsService(db)
	stopPoll := make(chan struct{})
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		for {
			select {
			case <-stopPoll:
				return
			case <-time.After(pollEvery):
			}
			mu.Lock()
			ids := make([]string, 0, len(pending))
			for id := range pending {
				ids = append(ids, id)
			}
			mu.Unlock()
			for _, id := range ids {
				st, err := stats.FindStats(ctx, id, logstats.StatsFilter{})
				if err != nil || st.Stats.TotalRequests == 0 {
					continue
				}
				now := time.Now()
				mu.Lock()
				seen = append(seen, now.Sub(pending[id]))
				delete(pending, id)
				mu.Unlock()
			}
		}
	}()

	start := time.Now()
	var buf []byte
	n, probe := 0, 0
	for ticks, next := 0, start; time.Since(start) < d; ticks, next = ticks+1, next.Add(tick) {
		time.Sleep(time.Until(next))
		buf = buf[:0]
		var probeID string
		if ticks%10 == 0 { // every 100 ms, the tick's last line
			probeID = fmt.Sprintf("probe_%d", probe)
			probe++
		}
		for i := 0; i < perTick; i++ {
			ts := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Millisecond)
			customer := fmt.Sprintf("cust_%d", n%50)
			if i == perTick-1 && probeID != "" {
				customer = probeID
			}
			buf = fmt.Appendf(buf, "%s %s /v1/items/%d %d 0.%03d\n", ts.Format("2006-01-02 15:04:05.000"), customer, n%100, 200+(n%7)/6*300, n%1000)
			n++
		}
		if _, err := f.Write(buf); err != nil {
			return nil, err
		}
		if probeID != "" {
			mu.Lock()
			pending[probeID] = time.Now()
			mu.Unlock()
		}
	}
	wrote := time.Since(start)
	// Let the last probes show, for up to 5 s.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		left := len(pending)
		mu.Unlock()
		if left == 0 {
			break
		}
	}
	close(stopPoll)
	<-polled
	res := &visibilityResult{Backend: backend, LinesPerS: visibilityRate, Seconds: wrote.Seconds(), Probes: probe,
		Unseen: len(pending), Resolution: pollEvery}
	if len(seen) == 0 {
		return nil, fmt.Errorf("visibility, %s: no probe became visible; the follower said:\n%s", backend, stderr.String())
	}
	slices.Sort(seen)
	res.P50, res.P95, res.Max = seen[len(seen)/2], seen[(len(seen)*95)/100], seen[len(seen)-1]
	return res, nil
}
