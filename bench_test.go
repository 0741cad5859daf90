package logstats_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/loggen"
	"github.com/logstats/logstats/internal/testdb"
)

// benchLog generates n lines of the seed's shape (50 customers, 30 days).
func benchLog(b *testing.B, n int, seed uint64) []byte {
	b.Helper()
	cfg := loggen.DefaultConfig()
	cfg.Lines, cfg.Seed = n, seed
	var buf bytes.Buffer
	if err := loggen.Write(&buf, cfg); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkIngest loads a 100,000-line log (one default batch) per iteration
// (a new log each time, so nothing is skipped) and reports lines per second.
// MySQL loads raw rows with LOAD DATA, as the runner does.
func BenchmarkIngest(b *testing.B) {
	const lines = 100_000
	for _, d := range testdb.Dialects {
		b.Run(d.String(), func(b *testing.B) {
			db := testdb.Open(b, d)
			logs := make([][]byte, 0, 4)
			for i := range 4 {
				logs = append(logs, benchLog(b, lines, uint64(i+1)))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				if i > 0 && i%len(logs) == 0 {
					// Every log was loaded once; new ones are needed.
					for j := range logs {
						logs[j] = benchLog(b, lines, uint64(i+j+1))
					}
				}
				b.StartTimer()
				ing := logstats.NewIngester(db.DB)
				ing.Dialect = d
				res, err := ing.Load(context.Background(), "bench.log", bytes.NewReader(logs[i%len(logs)]), logstats.LoadOptions{})
				if err != nil || res.Inserted != lines {
					b.Fatalf("load: %+v, %v", res, err)
				}
			}
			b.ReportMetric(float64(b.N*lines)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}

// BenchmarkFindStats asks for 30 days of a customer's stats: over 100,000
// requests of 50 customers (about 70 a customer-day), and "dense", over
// 200,000 requests of one customer (about 6,700 a day, as 10M lines of 50
// customers would give). The ratio of the two is how the query's cost grows
// with rows rather than days.
func BenchmarkFindStats(b *testing.B) {
	cases := []struct {
		name             string
		lines, customers int
	}{{"100k", 100_000, 50}, {"dense", 200_000, 1}}
	for _, d := range testdb.Dialects {
		for _, tc := range cases {
			b.Run(d.String()+"/"+tc.name, func(b *testing.B) {
				db := testdb.Open(b, d)
				ing := logstats.NewIngester(db.DB)
				ing.Dialect = d
				cfg := loggen.DefaultConfig()
				cfg.Lines, cfg.Customers = tc.lines, tc.customers
				var log bytes.Buffer
				if err := loggen.Write(&log, cfg); err != nil {
					b.Fatal(err)
				}
				if _, err := ing.Load(context.Background(), "bench.log", &log, logstats.LoadOptions{}); err != nil {
					b.Fatal(err)
				}
				svc := logstats.NewStatsService(db.DB)
				p999, _ := logstats.ParsePercentile("99.9")
				filter := logstats.StatsFilter{From: date("2024-10-01"), To: ptr(date("2024-10-30")), Percentiles: []logstats.Percentile{p999}}
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					st, err := svc.FindStats(context.Background(), fmt.Sprintf("cust_%d", 1+i%tc.customers), filter)
					if err != nil || len(st.Daily) != 30 {
						b.Fatalf("FindStats: %+v, %v", st, err)
					}
				}
			})
		}
	}
}

// BenchmarkCheckFile checks a 200,000-line log (the dry run of a load), on
// one core and on every core, and reports the time a line.
func BenchmarkCheckFile(b *testing.B) {
	const lines = 200_000
	path := filepath.Join(b.TempDir(), "bench.log")
	if err := os.WriteFile(path, benchLog(b, lines, 1), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, workers := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res, err := logstats.CheckFile(context.Background(), path, logstats.CheckOptions{Workers: workers})
				if err != nil || res.Requests != lines {
					b.Fatalf("CheckFile: %+v, %v", res, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*lines), "ns/line")
		})
	}
}

// BenchmarkParser reads a generated 200,000-line log with a Parser, whose
// entries have their strings as a load's do, and reports the time a line:
// with BenchmarkCheckFile/workers=1, what the strings cost.
func BenchmarkParser(b *testing.B) {
	const lines = 200_000
	log := benchLog(b, lines, 1)
	b.ReportAllocs()
	for b.Loop() {
		p, err := logstats.NewParser(bytes.NewReader(log), logstats.ParseConfig{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for ; ; n++ {
			if _, err := p.Next(); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
		}
		if n != lines {
			b.Fatalf("%d entries, want %d", n, lines)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*lines), "ns/line")
}

// BenchmarkBreakdown breaks one customer's requests of a 300,000-line log
// (three customers, paths with identifiers) down by endpoint and by
// status, on SQLite, and reports requests per second.
func BenchmarkBreakdown(b *testing.B) {
	db := testdb.Open(b, logstats.DialectSQLite)
	mustLoad(b, logstats.NewIngester(db.DB), "bench.log", breakdownLog(b, 300_000, 1))
	svc := logstats.NewStatsService(db.DB)
	for _, by := range []string{"endpoint", "status"} {
		b.Run(by, func(b *testing.B) {
			var requests int64
			for b.Loop() {
				bd, err := svc.Breakdown(context.Background(), "c1", logstats.BreakdownFilter{By: []string{by}, Limit: logstats.MaxBreakdownLimit})
				if err != nil {
					b.Fatal(err)
				}
				requests = 0
				for _, g := range bd.Groups {
					requests += g.Stats.TotalRequests
				}
			}
			b.ReportMetric(float64(requests)*float64(b.N)/b.Elapsed().Seconds(), "requests/s")
		})
	}
}
