package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/dsn"
)

// exportResult is how fast one customer's raw requests come back out of the
// SQLite database the runner loaded (blocks), as NDJSON: the whole customer,
// from the first day of the log on.
type exportResult struct {
	Customer string // the customer with the most requests
	Requests int64  // its requests, which every export must write as many lines of
	// Runner is runner -export to /dev/null, process start to exit; HTTP is
	// curl of GET /customers/{id}/requests to /dev/null, from an already
	// running server. Medians.
	Runner, HTTP time.Duration
	// HTTPMissing says why HTTP was not measured (the server has no such
	// route yet), or is empty.
	HTTPMissing string
}

// export measures exporting, through the runner and over HTTP, the
// requests of the customer with the most of them in the SQLite database at
// sqlitePath. Each way is first run once through wc -l, which must count
// the customer's requests.
func (b *bench) export(ctx context.Context, lines int, sqlitePath string) (*exportResult, error) {
	target := "sqlite://" + sqlitePath
	customer, requests, err := topCustomer(ctx, target)
	if err != nil {
		return nil, err
	}
	res := &exportResult{Customer: customer, Requests: requests}
	runner := fmt.Sprintf("%q -dsn %q -export %q -from %s", b.bin("runner"), target, customer, genStart)
	if res.Runner, err = b.timeExport(ctx, runner, requests, b.reps(lines)); err != nil {
		return nil, err
	}

	srv, err := b.startServer(ctx, target)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	url := fmt.Sprintf("%s/customers/%s/requests?from=%s", srv.url, customer, genStart)
	if res.HTTPMissing, err = routeMissing(url); err != nil || res.HTTPMissing != "" {
		return res, err
	}
	if res.HTTP, err = b.timeExport(ctx, fmt.Sprintf("curl -sS --fail %q", url), requests, b.reps(lines)); err != nil {
		return nil, err
	}
	return res, nil
}

// timeExport runs the shell command that writes an export on its standard
// output once through wc -l, which must count want lines, then reps times
// to /dev/null, and returns the median time.
func (b *bench) timeExport(ctx context.Context, command string, want int64, reps int) (time.Duration, error) {
	_, out, err := b.output(ctx, "bash", "-o", "pipefail", "-c", command+" | wc -l")
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s | wc -l: %q", command, out)
	}
	if n != want {
		return 0, fmt.Errorf("%s wrote %d lines, want %d, the customer's requests", command, n, want)
	}
	d, _, err := median(reps, func() (time.Duration, int64, error) {
		return noRSS(b.shell(ctx, command+" >/dev/null"))
	})
	return d, err
}

// topCustomer returns the customer of loggen's with the most requests in
// the database, and their number.
func topCustomer(ctx context.Context, target string) (string, int64, error) {
	d, err := dsn.Parse(target)
	if err != nil {
		return "", 0, err
	}
	db, err := dsn.Open(ctx, d)
	if err != nil {
		return "", 0, err
	}
	defer db.Close()
	svc := logstats.NewStatsService(db)
	last := genStart.AddDays(genDays - 1)
	best, most := "", int64(-1)
	for i := 1; i <= genCustomers; i++ {
		customer := fmt.Sprintf("cust_%d", i)
		s, err := svc.FindStats(ctx, customer, logstats.StatsFilter{From: genStart, To: &last})
		if err != nil {
			return "", 0, fmt.Errorf("stats of %s: %w", customer, err)
		}
		if s.Stats.TotalRequests > most {
			best, most = customer, s.Stats.TotalRequests
		}
	}
	return best, most, nil
}

// routeMissing asks for url once. It returns a reason when the server has
// no such route (its JSON 404 says "no route"), and an error for any other
// answer but 200.
func routeMissing(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch {
	case resp.StatusCode == http.StatusOK:
		return "", nil
	case resp.StatusCode == http.StatusNotFound && strings.Contains(string(head), "no route"):
		log.Printf("export over HTTP not measured: the server has no GET /customers/{id}/requests")
		return "the server has no GET /customers/{id}/requests (404)", nil
	}
	return "", fmt.Errorf("GET %s: %s: %s", url, resp.Status, head)
}
