package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/loggen"
)

// breakdownResult is a breakdown by endpoint of one customer's requests
// (SPEC §14), asked of logstats and of DuckDB, each in a process of its own
// after a warm-up.
type breakdownResult struct {
	Customer string
	Requests int // the customer's, over 30 days
	Groups   int // endpoints (method and route)
	Others   int // requests of other customers in the crowded database
	Reps     int
	// Logstats is the breakdown out of a SQLite database holding the
	// customer alone, Crowded out of one that also holds Others requests of
	// other customers; DuckDB the GROUP BY of a DuckDB file holding the
	// customer alone; Filtered the stats of the busiest endpoint (the
	// stats route's filters) out of the first database. Medians.
	Logstats, Crowded, DuckDB, Filtered time.Duration
	// Profile is a CPU profile of the timed breakdowns of the first
	// database.
	Profile string
}

// breakdownCustomer is the customer of the breakdown's log.
const breakdownCustomer = "acme"

// breakdown measures a breakdown by endpoint over n requests of one
// customer, about 50 endpoints over 30 days.
func (b *bench) breakdown(ctx context.Context, n int) (*breakdownResult, error) {
	res := &breakdownResult{Customer: breakdownCustomer, Requests: n, Others: 10 * n, Reps: max(5, b.cfg.reps)}
	logPath := filepath.Join(b.cfg.work, "breakdown-acme.log")
	csvPath := filepath.Join(b.cfg.work, "breakdown-acme.csv")
	othersPath := filepath.Join(b.cfg.work, "breakdown-others.log")
	defer os.Remove(logPath)
	defer os.Remove(csvPath)
	defer os.Remove(othersPath)
	log.Printf("breakdown: generating %d requests of %s and %d of others", n, breakdownCustomer, res.Others)
	if err := writeBreakdownLog(logPath, csvPath, n, 1, func(*rand.Rand) string { return breakdownCustomer }); err != nil {
		return nil, err
	}
	if err := writeBreakdownLog(othersPath, "", res.Others, 2, func(rng *rand.Rand) string { return "other_" + strconv.Itoa(rng.IntN(9)) }); err != nil {
		return nil, err
	}

	alone, crowded := filepath.Join(b.cfg.work, "breakdown-alone.db"), filepath.Join(b.cfg.work, "breakdown-crowded.db")
	duck := filepath.Join(b.cfg.work, "breakdown.duckdb")
	for _, p := range []string{alone, crowded} {
		removeDB(p)
		defer removeDB(p)
	}
	removeDuckDB(duck)
	defer removeDuckDB(duck)
	log.Printf("breakdown: loading SQLite (alone, crowded) and DuckDB")
	if _, err := b.run(ctx, b.bin("runner"), "-progress", "off", "-complete", "-dsn", "sqlite://"+alone, logPath); err != nil {
		return nil, err
	}
	if _, err := b.run(ctx, b.bin("runner"), "-progress", "off", "-complete", "-dsn", "sqlite://"+crowded, logPath, othersPath); err != nil {
		return nil, err
	}
	_, out, err := b.output(ctx, "node", b.duckdbScript("breakdown.mjs"), "load", duck, csvPath)
	if err != nil {
		return nil, err
	}
	var loaded struct{ Rows int }
	if err := json.Unmarshal(out, &loaded); err != nil || loaded.Rows != n {
		return nil, fmt.Errorf("DuckDB loaded %s (%v), want %d rows", out, err, n)
	}

	res.Profile = b.cfg.breakdownProfile
	if res.Profile == "" {
		res.Profile = filepath.Join(b.cfg.work, "breakdown.pprof")
	}
	from, to := genStart, genStart.AddDays(genDays-1)
	reps := strconv.Itoa(res.Reps)
	ask := func(db string) (breakdownTimes, error) {
		var t breakdownTimes
		args := []string{"breakdown-query", "-db", db, "-customer", breakdownCustomer, "-from", from.String(), "-to", to.String(), "-reps", reps}
		if db == alone {
			args = append(args, "-cpuprofile", res.Profile)
		}
		_, out, err := b.output(ctx, b.bin("bench"), args...)
		if err == nil {
			err = json.Unmarshal(out, &t)
		}
		return t, err
	}
	log.Printf("breakdown: asking, %d times each after a warm-up", res.Reps)
	ours, err := ask(alone)
	if err != nil {
		return nil, err
	}
	crowd, err := ask(crowded)
	if err != nil {
		return nil, err
	}
	var theirs breakdownTimes
	if _, out, err = b.output(ctx, "node", b.duckdbScript("breakdown.mjs"), "query", duck, breakdownCustomer, from.String(), to.String(), reps); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(out, &theirs); err != nil {
		return nil, fmt.Errorf("DuckDB's breakdown: %v in %q", err, out)
	}
	for _, t := range []breakdownTimes{crowd, theirs} {
		if t.Groups != ours.Groups || t.Requests != ours.Requests || ours.Requests != n {
			return nil, fmt.Errorf("breakdowns disagree: logstats %d groups of %d requests, %d of %d, want %d requests", ours.Groups, ours.Requests, t.Groups, t.Requests, n)
		}
	}
	res.Groups = ours.Groups
	res.Logstats, res.Crowded, res.DuckDB, res.Filtered = ours.median(), crowd.median(), theirs.median(), medianMS(ours.FilteredMS)
	return res, nil
}

// breakdownTimes is what a breakdown-query process prints (and
// breakdown.mjs query).
type breakdownTimes struct {
	Groups     int       `json:"groups"`
	Requests   int       `json:"requests"`
	MS         []float64 `json:"ms"`
	FilteredMS []float64 `json:"filtered_ms,omitempty"`
}

func (t breakdownTimes) median() time.Duration { return medianMS(t.MS) }

func medianMS(ms []float64) time.Duration {
	if len(ms) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(ms))
	return time.Duration(s[len(s)/2] * float64(time.Millisecond))
}

// duckdbScript is the path of a script of scripts/duckdb, beside the
// node_modules that scripts/bench.sh installed.
func (b *bench) duckdbScript(name string) string {
	return filepath.Join(filepath.Dir(b.cfg.duckdb), name)
}

// writeBreakdownLog writes an nginx log of n requests over the 30 days of
// genStart, of the customers customer draws, to about 50 endpoints: 25
// paths, some with identifiers (numbers, UUIDs), each with one or two
// methods. With csvPath, it also writes them as the CSV breakdown.mjs
// loads, their routes as the automatic step names them.
func writeBreakdownLog(logPath, csvPath string, n int, seed uint64, customer func(*rand.Rand) string) error {
	rng := rand.New(rand.NewPCG(seed, 77))
	f, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	var cw *bufio.Writer
	if csvPath != "" {
		c, err := os.Create(csvPath)
		if err != nil {
			return err
		}
		defer c.Close()
		cw = bufio.NewWriterSize(c, 1<<20)
		cw.WriteString("day,customer_id,method,route,status,latency\n")
	}
	routes, err := logstats.ParseRoutes(nil, true)
	if err != nil {
		return err
	}
	start := time.Date(genStart.Year, genStart.Month, genStart.Day, 0, 0, 0, 0, time.UTC)
	statuses := []int{200, 200, 200, 200, 200, 200, 201, 204, 301, 400, 404, 429, 500, 503}
	var line []byte
	for range n {
		k := rng.IntN(25)
		path := "/api/v" + strconv.Itoa(1+k%3) + "/res" + strconv.Itoa(k)
		switch k % 4 {
		case 1:
			path += "/" + strconv.Itoa(rng.IntN(100_000))
		case 2:
			path += fmt.Sprintf("/%08x-%04x-4%03x-a%03x-%012x/items", rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<12), rng.IntN(1<<12), rng.Int64N(1<<48))
		}
		method := "GET"
		if rng.IntN(3) == 0 {
			method = []string{"POST", "PUT", "DELETE"}[k%3]
		}
		r := loggen.Request{
			Time:     start.Add(time.Duration(rng.Int64N(int64(genDays)*86400)) * time.Second),
			Customer: customer(rng),
			Method:   method,
			Path:     path,
			Status:   statuses[rng.IntN(len(statuses))],
			Latency:  time.Duration(1+rng.IntN(50)*(1+k)) * time.Millisecond,
			Addr:     "10.0.0.1",
			Bytes:    512,
		}
		if line, err = loggen.Append(line[:0], "nginx", r); err != nil {
			return err
		}
		w.Write(append(line, '\n'))
		if cw != nil {
			fmt.Fprintf(cw, "%s,%s,%s,%s,%d,%s\n", r.Time.Format(time.DateOnly), r.Customer, r.Method, routes.Route(r.Path), r.Status,
				strconv.FormatFloat(r.Latency.Seconds(), 'f', 3, 64))
		}
	}
	if cw != nil {
		if err := cw.Flush(); err != nil {
			return err
		}
	}
	return w.Flush()
}

// breakdownQuery is the process `bench breakdown-query` that times the
// breakdown in: it opens the database, asks once (a warm-up), then -reps
// times, then as many times for the stats of the busiest endpoint, and
// prints breakdownTimes.
func breakdownQuery(args []string) error {
	var customer string
	q, err := openQueryProcess("breakdown-query", args, func(fs *flag.FlagSet) {
		fs.StringVar(&customer, "customer", "", "customer")
	})
	if err != nil {
		return err
	}
	defer q.db.Close()
	ctx := context.Background()
	f := logstats.BreakdownFilter{From: q.from, To: &q.to, By: []string{"endpoint"}, Limit: logstats.MaxBreakdownLimit}
	var out breakdownTimes
	var bd *logstats.Breakdown
	if out.MS, err = q.time(func() (err error) {
		bd, err = q.svc.Breakdown(ctx, customer, f)
		return err
	}); err != nil {
		return err
	}
	out.Groups = bd.TotalGroups
	for _, g := range bd.Groups {
		out.Requests += int(g.Stats.TotalRequests)
	}
	if len(bd.Groups) == 0 {
		return fmt.Errorf("no requests of %s", customer)
	}
	busiest := bd.Groups[0].Key
	sf := logstats.StatsFilter{From: q.from, To: &q.to, Match: []logstats.Match{{Key: "method", Value: busiest[0]}, {Key: "route", Value: busiest[1]}}}
	q.profile = "" // of the breakdowns alone
	out.FilteredMS, err = q.time(func() error {
		_, err := q.svc.FindStats(ctx, customer, sf)
		return err
	})
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}
