package logstats_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/sqlite"
)

func ExampleParseLine() {
	e, err := logstats.ParseLine("2024-10-03 14:22:05 cust_17 /api/v1/resource2 404 1.234")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(e.CustomerID, e.Path, e.Status, e.Latency, e.Successful())

	_, err = logstats.ParseLine("2024-10-03 14:22:05 cust_17 /api/v1/resource2 abc 1.234")
	fmt.Println(err, errors.Is(err, logstats.ErrInvalidStatus))
	// Output:
	// cust_17 /api/v1/resource2 404 1.234s false
	// status "abc" is not an integer true
}

func ExampleParseDimensions() {
	dims, err := logstats.ParseDimensions([]string{"region=http_x_region", "tier=query:tier"})
	if err != nil {
		log.Fatal(err)
	}
	format, err := logstats.ParseFormat(`nginx:$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent $request_time "$http_x_region"`)
	if err != nil {
		log.Fatal(err)
	}
	p, err := logstats.NewParser(nil, logstats.ParseConfig{Format: format, Dimensions: dims})
	if err != nil {
		log.Fatal(err)
	}
	e, err := p.Parse([]byte(`10.0.0.1 - acme [10/Oct/2024:13:55:36 +0000] "GET /v1/orders?tier=gold HTTP/1.1" 200 512 0.042 "eu-west"`))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(e.CustomerID, e.Path, e.Dimensions)

	_, err = logstats.ParseDimensions([]string{"status=http_x_status"})
	fmt.Println(err)
	// Output:
	// acme /v1/orders [eu-west gold]
	// logstats: invalid dimension: name "status" is a built-in key or a query parameter of the API; choose another
}

func ExampleParser_Next() {
	log := "2024-10-03 14:22:05 cust_1 /a 200 0.1\n" +
		"\n" +
		"2024-10-03 14:22:06 cust_2 /b 500 0.25\n" +
		"2024-02-30 14:22:07 cust_1 /a 200 0.1\n"
	// The zero ParseConfig detects the format (here the logstats format).
	p, err := logstats.NewParser(strings.NewReader(log), logstats.ParseConfig{}) // gzip is detected too
	if err != nil {
		panic(err) // a ParseConfig that cannot work
	}
	for {
		e, err := p.Next()
		if err == io.EOF {
			break
		}
		var perr *logstats.ParseError
		if errors.As(err, &perr) {
			fmt.Println("skipped", perr) // a malformed line: report it and go on
			continue
		}
		if err != nil {
			panic(err) // reading failed
		}
		fmt.Println(e.Time.Format("15:04:05"), e.CustomerID, e.Status, e.Latency)
	}
	// Output:
	// 14:22:05 cust_1 200 100ms
	// 14:22:06 cust_2 500 250ms
	// skipped line 4: date "2024-02-30" is not a real calendar date (want YYYY-MM-DD)
}

// This example loads a log into SQLite and asks for a customer's stats.
// The same code runs on MySQL with a *sql.DB from github.com/go-sql-driver/mysql.
func ExampleIngester_Load() {
	dir, _ := os.MkdirTemp("", "logstats-example")
	defer os.RemoveAll(dir)
	db, err := sqlite.Open(filepath.Join(dir, "logstats.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := logstats.Migrate(ctx, db); err != nil {
		log.Fatal(err)
	}

	const logText = "2024-10-01 10:00:00 cust_42 /api/v1/resource1 200 0.100\n" +
		"2024-10-01 10:00:01 cust_42 /api/v1/resource1 200 0.130\n" +
		"2024-10-02 09:30:00 cust_42 /api/v1/resource2 503 0.300\n" +
		"not a log line\n"
	ing := logstats.NewIngester(db)
	res, err := ing.Load(ctx, "api_requests.log", strings.NewReader(logText), logstats.LoadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("inserted %d, malformed %d: %v\n", res.Inserted, res.Malformed, res.Errors[0])

	// Loading the same log again adds nothing.
	res, _ = ing.Load(ctx, "api_requests.log", strings.NewReader(logText), logstats.LoadOptions{})
	fmt.Printf("inserted %d, already loaded %d\n", res.Inserted, res.SkippedAlreadyLoaded)

	p99, _ := logstats.ParsePercentile("99")
	st, err := logstats.NewStatsService(db).FindStats(ctx, "cust_42", logstats.StatsFilter{
		From:        logstats.Date{Year: 2024, Month: 10, Day: 1},
		Percentiles: []logstats.Percentile{p99},
	})
	if err != nil {
		log.Fatal(err)
	}
	s := st.Stats
	fmt.Printf("requests %d, uptime %.2f%%, average %v, median %v, p99 %v\n",
		s.TotalRequests, s.Uptime, s.AverageLatency, s.MedianLatency, s.P99Latency)
	for _, d := range st.Daily {
		fmt.Println(d.Date, d.Stats.TotalRequests, d.Stats.FailedRequests)
	}
	// Output:
	// inserted 3, malformed 1: line 4: expected 6 fields (date time customer path status latency), got 4
	// inserted 0, already loaded 4
	// requests 3, uptime 66.67%, average 176.667ms, median 130ms, p99 296.6ms
	// 2024-10-01 2 0
	// 2024-10-02 1 1
}

// Check reports what a load would find in a log, and stores nothing:
// CheckFile does the same for a file, on every core.
func ExampleCheck() {
	log := strings.Join([]string{
		"2024-10-03 14:22:05 cust_17 /api/v1/orders 200 0.120",
		"2024-10-03 14:22:06 cust_17 /api/v1/orders 5OO 0.080",
		"",
		"2024-10-03 14:22:07 cust_9 /health 200 0.001",
	}, "\n")
	res, err := logstats.Check(context.Background(), strings.NewReader(log), logstats.CheckOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d lines, %d valid, %d malformed\n", res.Lines, res.Requests, res.Malformed)
	for _, e := range res.Errors {
		fmt.Println(e)
	}
	// Output:
	// 4 lines, 2 valid, 1 malformed
	// line 2: status "5OO" is not an integer
}

// With CacheFor set, a StatsService answers repeated questions from memory,
// and notices a load or prune within CacheFor.
func ExampleStatsService_cache() {
	dir, _ := os.MkdirTemp("", "logstats")
	defer os.RemoveAll(dir)
	db, err := sqlite.Open(filepath.Join(dir, "stats.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	ctx := context.Background()
	if err := logstats.Migrate(ctx, db); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := logstats.NewIngester(db).Load(ctx, "a.log", strings.NewReader("2024-10-03 14:22:05 cust_17 /a 200 0.120\n"), logstats.LoadOptions{}); err != nil {
		fmt.Println(err)
		return
	}
	stats := logstats.NewStatsService(db)
	stats.CacheFor = time.Second
	for range 2 { // the second answer comes from memory
		st, err := stats.FindStats(ctx, "cust_17", logstats.StatsFilter{})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(st.Stats.TotalRequests, st.Stats.MedianLatency)
	}
	// Output:
	// 1 120ms
	// 1 120ms
}

// FindStats answers for a customer and a range of UTC days: the range's
// statistics and each day's, with exact percentiles, extra ones included.
func ExampleStatsService_FindStats() {
	dir, _ := os.MkdirTemp("", "logstats")
	defer os.RemoveAll(dir)
	db, err := sqlite.Open(filepath.Join(dir, "stats.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := logstats.Migrate(ctx, db); err != nil {
		log.Fatal(err)
	}
	const logText = "2024-10-01 09:00:00 cust_7 /a 200 0.100\n" +
		"2024-10-01 09:00:01 cust_7 /a 200 0.200\n" +
		"2024-10-01 09:00:02 cust_7 /b 404 0.300\n" +
		"2024-10-02 09:00:00 cust_7 /a 500 1.000\n" +
		"2024-10-05 09:00:00 cust_7 /a 200 0.050\n" // outside the range below
	if _, err := logstats.NewIngester(db).Load(ctx, "a.log", strings.NewReader(logText), logstats.LoadOptions{}); err != nil {
		log.Fatal(err)
	}

	p90, _ := logstats.ParsePercentile("90")
	to := logstats.Date{Year: 2024, Month: 10, Day: 3}
	st, err := logstats.NewStatsService(db).FindStats(ctx, "cust_7", logstats.StatsFilter{
		From:        logstats.Date{Year: 2024, Month: 10, Day: 1},
		To:          &to,
		Percentiles: []logstats.Percentile{p90},
	})
	if err != nil {
		log.Fatal(err)
	}
	s := st.Stats
	fmt.Printf("%s to %s: %d requests, %d failed, uptime %.2f%%, median %v, p90 %v\n",
		st.From, st.To, s.TotalRequests, s.FailedRequests, s.Uptime, s.MedianLatency, s.Percentiles[0].Latency)
	for _, d := range st.Daily {
		fmt.Printf("%s: %d requests, average %v\n", d.Date, d.Stats.TotalRequests, d.Stats.AverageLatency)
	}
	// Output:
	// 2024-10-01 to 2024-10-03: 4 requests, 2 failed, uptime 50.00%, median 250ms, p90 790ms
	// 2024-10-01: 3 requests, average 200ms
	// 2024-10-02: 1 requests, average 1s
}

// A breakdown says where a customer's requests fail or slow down: here by
// endpoint, the paths' identifiers named by a route template and by the
// automatic step ({id}), slowest p99 first. A Match narrows stats the same
// way.
func ExampleStatsService_Breakdown() {
	dir, _ := os.MkdirTemp("", "logstats")
	defer os.RemoveAll(dir)
	db, err := sqlite.Open(filepath.Join(dir, "stats.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := logstats.Migrate(ctx, db); err != nil {
		log.Fatal(err)
	}
	const logText = `10.0.0.1 - cust_7 [01/Oct/2024:09:00:00 +0000] "GET /v1/users/42 HTTP/1.1" 200 512 "-" "curl/8" 0.100
10.0.0.1 - cust_7 [01/Oct/2024:09:00:01 +0000] "GET /v1/users/7 HTTP/1.1" 200 512 "-" "curl/8" 0.300
10.0.0.1 - cust_7 [01/Oct/2024:09:00:02 +0000] "POST /v1/users/7/orders/a1 HTTP/1.1" 503 0 "-" "curl/8" 2.000
10.0.0.1 - cust_7 [01/Oct/2024:09:00:03 +0000] "POST /v1/users/9/orders/b2 HTTP/1.1" 201 64 "-" "curl/8" 0.500
10.0.0.1 - cust_7 [01/Oct/2024:09:00:04 +0000] "GET /health HTTP/1.1" 200 2 "-" "curl/8" 0.001
`
	if _, err := logstats.NewIngester(db).Load(ctx, "access.log", strings.NewReader(logText), logstats.LoadOptions{}); err != nil {
		log.Fatal(err)
	}

	svc := logstats.NewStatsService(db)
	if svc.Routes, err = logstats.ParseRoutes([]string{"/v1/users/{user}/orders/{order}"}, true); err != nil {
		log.Fatal(err)
	}
	b, err := svc.Breakdown(ctx, "cust_7", logstats.BreakdownFilter{
		From: logstats.Date{Year: 2024, Month: 10, Day: 1},
		By:   []string{"endpoint"},
		Sort: "p99_latency",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(b.By, b.TotalGroups, "groups")
	for _, g := range b.Groups {
		fmt.Printf("%-4s %-31s %d requests, %d failed, p99 %v\n", g.Key[0], g.Key[1], g.Stats.TotalRequests, g.Stats.FailedRequests, g.Stats.P99Latency)
	}

	st, err := svc.FindStats(ctx, "cust_7", logstats.StatsFilter{
		From:  logstats.Date{Year: 2024, Month: 10, Day: 1},
		Match: []logstats.Match{{Key: "route", Value: "/v1/users/{id}"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("/v1/users/{id}: %d requests, median %v\n", st.Stats.TotalRequests, st.Stats.MedianLatency)
	// Output:
	// [method route] 3 groups
	// POST /v1/users/{user}/orders/{order} 2 requests, 1 failed, p99 1.985s
	// GET  /v1/users/{id}                  2 requests, 0 failed, p99 298ms
	// GET  /health                         1 requests, 0 failed, p99 1ms
	// /v1/users/{id}: 2 requests, median 200ms
}

// Verify checks a database after a crash, a restore or a migration: each
// source's raw requests against its ledger, each customer-day's rollup
// against its raw requests.
func ExampleVerify() {
	dir, _ := os.MkdirTemp("", "logstats-example")
	defer os.RemoveAll(dir)
	db, err := sqlite.Open(filepath.Join(dir, "logstats.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := logstats.Migrate(ctx, db); err != nil {
		log.Fatal(err)
	}
	const logText = "2024-10-01 10:00:00 cust_42 /a 200 0.100\n2024-10-02 09:30:00 cust_42 /b 503 0.300\n"
	if _, err := logstats.NewIngester(db).Load(ctx, "api_requests.log", strings.NewReader(logText), logstats.LoadOptions{}); err != nil {
		log.Fatal(err)
	}
	rep, err := logstats.Verify(ctx, db, logstats.VerifyOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rep.OK(), rep.Sources, rep.Requests, rep.Days)

	// A request lost behind the ledger's back.
	db.Exec(`DELETE FROM logstats_raw_blocks WHERE day = '2024-10-02'`)
	rep, _ = logstats.Verify(ctx, db, logstats.VerifyOptions{})
	for _, d := range rep.Discrepancies {
		fmt.Println(d)
	}
	// Output:
	// true 1 2 2
	// rollup of cust_42 on 2024-10-02: expected no requests (recomputed from the raw requests), found 1 requests (0/0/0/0/1 by class), latency sum 300000us min 300000us max 300000us, 1 distinct latencies
	// source api_requests.log (id 338986570975949018): expected 2 raw requests (2 committed, 0 pruned), found 1
}
